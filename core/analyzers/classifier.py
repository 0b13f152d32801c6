"""The classifier (AIRealNet or another image classifier, ``core.detector``): a batched
analyzer, run once per batch of decoded images in one call, with the classifiers of the
setting ``detectors`` beside it. Its score is statistical evidence, never a verdict by
itself; the named thresholds (``core.thresholds``) turn it into words."""

from __future__ import annotations

from core.calibration import cite
from core.context import Context
from core.escaping import quote
from core.schema import Finding, Notice, ScanResult, to_dict
from core.thresholds import LABEL_BOUNDARY, classifier_band, labelled_artificial
from core.vocabulary import Direction, RowStatus, RunStatus, Strength

from .base import NO_PIXELS, Analyzer, Row, library_version


def calibrated(result: ScanResult) -> str:
    """The score against the desk's own photos, in numbers (setting ``calibration``)."""
    cal = result.calibration
    if not cal or not cal.real_files:
        return ""
    text = (
        f" On this desk's calibration photos, {cal.real_at_or_above} of its {cal.real_files} verified "
        "camera photos scored this high or higher"
    )
    if cal.ai_files:
        text += f", and {cal.ai_at_or_above} of its {cal.ai_files} known AI images"
    return text + f" (profile {cal.profile[:12]})."


def disagreement(result: ScanResult) -> str | None:
    """How the classifiers disagree about the label, in words; None when they agree (or there
    is only one). Scores are listed side by side and never averaged: a mean of a model that
    knows a generator and one that does not is a number neither model gave."""
    scores = result.classifiers
    high = [c for c in scores if labelled_artificial(c.p_artificial)]
    if len(scores) < 2 or len(high) in (0, len(scores)):
        return None
    return (
        f"{len(high)} of {len(scores)} classifiers score {LABEL_BOUNDARY} or more for 'artificial' and "
        f"{len(scores) - len(high)} below ({_listed(result)})"
    )


def _listed(result: ScanResult) -> str:
    return "; ".join(f"{quote(c.model, 40)} {c.p_artificial:.2f}" for c in result.classifiers)


def findings(result: ScanResult) -> list[Finding]:
    c = result.classifier
    if c is None:
        return []
    found = [
        Finding(
            "classifier.score",
            Direction.SYNTHESIS if labelled_artificial(c.p_artificial) else Direction.NEUTRAL,
            Strength.STATISTICAL,
            f"The classifier gives a probability of {c.p_artificial:.2f} for its 'artificial' label "
            f"({classifier_band(c.p_artificial)}).{calibrated(result)}",
            {
                "p_artificial": c.p_artificial,
                "model": c.model,
                "revision": c.revision,
                "calibration": to_dict(result.calibration) if result.calibration else None,
            },
        )
    ]
    if len(result.classifiers) > 1:
        scores = [
            {"model": s.model, "revision": s.revision, "p_artificial": s.p_artificial}
            for s in result.classifiers
        ]
        split = disagreement(result)
        found.append(
            Finding(
                "classifier.agreement",
                "neutral",
                "statistical",
                f"The classifiers disagree: {split}. Their scores are shown side by side, not averaged."
                if split
                else f"All {len(result.classifiers)} classifiers agree on the label ({_listed(result)}).",
                {"classifiers": scores, "agree": split is None},
            )
        )
    return found


def batch(rows: list[Row], ctx: Context) -> list[ScanResult]:
    """Score every decoded image of the batch in one call; every row records what was done."""
    for result, pixels in rows:
        if pixels is None or ctx.detector is None:
            reason = ctx.classifier_error if result.status == RowStatus.OK else NO_PIXELS
            ANALYZER.record(result, RunStatus.SKIPPED, reason=reason)
            if (
                ctx.detector is None and result.status == RowStatus.OK
            ):  # every image row says why it has no score
                result.classifier_error = ctx.classifier_error
    ready = [(result, pixels) for result, pixels in rows if pixels is not None]
    if ctx.detector is None or not ready:
        return []
    try:
        scores = ctx.detector.predict([pixels for _, pixels in ready])
    except Exception as exc:  # e.g. out of GPU memory: the rest of each row stays valid
        for result, _ in ready:
            result.classifier_error = f"classifier failed: {type(exc).__name__}: {str(exc)[:300]}"
            result.notices.append(Notice("classifier_failed", result.classifier_error))
            ANALYZER.record(
                result, RunStatus.FAILED, code="classifier_failed", message=result.classifier_error
            )
        return []
    for (result, _), score in zip(ready, scores, strict=True):
        result.classifier = score
        result.classifiers = [score]
        if ctx.calibration_part is not None:
            result.calibration = cite(ctx.calibration, ctx.calibration_part, score.p_artificial)
        ANALYZER.record(result, RunStatus.OK)
    _score_extra_detectors(ready, ctx)
    return [result for result, _ in ready]


def _score_extra_detectors(ready: list[Row], ctx: Context) -> None:
    """The classifiers of the setting ``detectors``, each on the whole batch; one that fails
    or could not load is a notice, and the others' scores stand."""
    for result, _ in ready:
        result.notices.extend(Notice("detector_unavailable", reason) for reason in ctx.extra_errors)
    for detector in ctx.extra_detectors:
        try:
            scores = detector.predict([pixels for _, pixels in ready])
        except Exception as exc:
            for result, _ in ready:
                result.notices.append(
                    Notice(
                        "classifier_failed", f"{detector.model_id}: {type(exc).__name__}: {str(exc)[:300]}"
                    )
                )
            continue
        for (result, _), score in zip(ready, scores, strict=True):
            result.classifiers.append(score)


ANALYZER = Analyzer(
    id="classifier",
    version=f"1.0 ({library_version('transformers', 'torch', 'openvino')})",
    needs="pixels",
    output="classifier",
    description="the image classifier's probability for its 'artificial' label (model and revision in the row)",
    batch=batch,
    findings=findings,
    switch="classifier",
    rules=("classifier.score", "classifier.agreement"),
)
