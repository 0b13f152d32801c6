"""Verdict stability (``core.stability``): the classifier re-run on re-shipped copies of the
image, in the classifier's batch. A batched stage like the classifier; where it was not
computed (setting ``stability=auto``), the row says why."""

from __future__ import annotations

from core.schema import Finding, ScanResult
from core.stability import score_range

from .base import Analyzer


def findings(result: ScanResult) -> list[Finding]:
    s = result.stability
    if s is not None:
        rule, moves, flips = (("stability.unstable", "moves", ", and its label flips: the score is unstable.")
                              if s.unstable else ("stability.stable", "stays", "; its label does not flip."))  # fmt: skip
        return [Finding(
            rule, "neutral", "statistical",
            f"The classifier's score {moves} {score_range(s)} when the image is re-compressed or resized{flips}",
            {"variants": s.variants},
        )]  # fmt: skip
    if result.stability_skipped:
        return [Finding(
            "stability.skipped", "neutral", "context",
            f"Stability under re-compression was {result.stability_skipped}.", {"reason": result.stability_skipped},
        )]  # fmt: skip
    return []


ANALYZER = Analyzer(
    id="stability",
    version="2.0",
    needs="pixels",
    output="stability",
    description="the classifier re-run on re-compressed and resized copies (JPEG q50, half size, WebP q80)",
    findings=findings,
    rules=("stability.stable", "stability.unstable", "stability.skipped"),
)
