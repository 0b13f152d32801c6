"""The classifier (AIRealNet or another image classifier, ``core.detector``): a batched
stage that the pipeline runs once per batch of decoded images, reported in the same shape
as the other analyzers. Its score is statistical evidence, never a verdict by itself; the
named thresholds below turn it into words."""

from __future__ import annotations

from core.escaping import quote
from core.schema import Finding, ScanResult
from core.thresholds import LABEL_BOUNDARY, classifier_band, labelled_artificial
from core.vocabulary import Direction, Strength

from .base import Analyzer, library_version


def calibrated(result: ScanResult) -> str:
    """The score against the desk's own photos, in numbers (setting ``calibration``)."""
    cal = result.calibration
    if not cal or not cal.get("real_files"):
        return ""
    text = (f" On this desk's calibration photos, {cal['real_at_or_above']} of its {cal['real_files']} verified "
            "camera photos scored this high or higher")  # fmt: skip
    if cal.get("ai_files"):
        text += f", and {cal['ai_at_or_above']} of its {cal['ai_files']} known AI images"
    return text + f" (profile {str(cal.get('profile'))[:12]})."


def disagreement(result: ScanResult) -> str | None:
    """How the classifiers disagree about the label, in words; None when they agree (or there
    is only one). Scores are listed side by side and never averaged: a mean of a model that
    knows a generator and one that does not is a number neither model gave."""
    scores = result.classifiers
    high = [c for c in scores if labelled_artificial(c.p_artificial)]
    if len(scores) < 2 or len(high) in (0, len(scores)):
        return None
    return (f"{len(high)} of {len(scores)} classifiers score {LABEL_BOUNDARY} or more for 'artificial' and "
            f"{len(scores) - len(high)} below ({_listed(result)})")  # fmt: skip


def _listed(result: ScanResult) -> str:
    return "; ".join(f"{quote(c.model, 40)} {c.p_artificial:.2f}" for c in result.classifiers)


def findings(result: ScanResult) -> list[Finding]:
    c = result.classifier
    if c is None:
        return []
    found = [Finding(
        "classifier.score", Direction.SYNTHESIS if labelled_artificial(c.p_artificial) else Direction.NEUTRAL, Strength.STATISTICAL,
        f"The classifier gives a probability of {c.p_artificial:.2f} for its 'artificial' label "
        f"({classifier_band(c.p_artificial)}).{calibrated(result)}",
        {"p_artificial": c.p_artificial, "model": c.model, "revision": c.revision, "calibration": result.calibration},
    )]  # fmt: skip
    if len(result.classifiers) > 1:
        scores = [{"model": s.model, "revision": s.revision, "p_artificial": s.p_artificial}
                  for s in result.classifiers]  # fmt: skip
        split = disagreement(result)
        found.append(Finding(
            "classifier.agreement", "neutral", "statistical",
            f"The classifiers disagree: {split}. Their scores are shown side by side, not averaged."
            if split else f"All {len(result.classifiers)} classifiers agree on the label ({_listed(result)}).",
            {"classifiers": scores, "agree": split is None},
        ))  # fmt: skip
    return found


ANALYZER = Analyzer(
    id="classifier",
    version=f"1.0 ({library_version('transformers', 'torch', 'openvino')})",
    needs="pixels",
    output="classifier",
    description="the image classifier's probability for its 'artificial' label (model and revision in the row)",
    findings=findings,
    switch="classifier",
    rules=("classifier.score", "classifier.agreement"),
)
