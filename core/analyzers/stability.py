"""Verdict stability (``core.stability``): the classifier re-run on re-shipped copies of the
image. A batched analyzer after the classifier: every re-shipped copy of every image of the
batch in one classifier call. With the setting ``stability=auto`` it runs only where the
answer can change what a person concludes (``stability_needed``, which reads the verdict the
ledger gave on the classifier's evidence); where it did not run, the row says why."""

from __future__ import annotations

from core import stability
from core.context import Context
from core.schema import Finding, Notice, ScanResult
from core.stability import score_range
from core.threads import map_in_threads
from core.vocabulary import Band, Basis, RunStatus

from .base import Analyzer, Row

# With stability=auto, re-scoring is skipped below this score: it is clearly low.
STABILITY_MIN_SCORE = 0.25
NO_SCORE = "no classifier score"


def findings(result: ScanResult) -> list[Finding]:
    s = result.stability
    if s is not None:
        rule, moves, flips = (
            ("stability.unstable", "moves", ", and its label flips: the score is unstable.")
            if s.unstable
            else ("stability.stable", "stays", "; its label does not flip.")
        )
        return [
            Finding(
                rule,
                "neutral",
                "statistical",
                f"The classifier's score {moves} {score_range(s)} when the image is re-compressed or resized{flips}",
                {"variants": s.variants},
            )
        ]
    if result.stability_skipped:
        return [
            Finding(
                "stability.skipped",
                "neutral",
                "context",
                f"Stability under re-compression was {result.stability_skipped}.",
                {"reason": result.stability_skipped},
            )
        ]
    return []


def stability_needed(result: ScanResult) -> str | None:
    """Why re-scoring re-shipped copies cannot change what a person concludes (None when it can),
    from the verdict on the classifier's evidence (``result.verdict``): it rests on a
    declaration or an integrity check, the score is clearly low, or the verdict is
    "inconclusive" already (a flip would make it inconclusive, nothing more)."""
    verdict = result.verdict
    if verdict.basis != Basis.STATISTICAL:
        return f"not computed: the verdict rests on {verdict.basis} evidence, not on the score"
    if result.classifier is not None and result.classifier.p_artificial < STABILITY_MIN_SCORE:
        return f"not computed: the score is clearly low (below {STABILITY_MIN_SCORE:.2f})"
    if verdict.band == Band.INCONCLUSIVE:
        return "not computed: the verdict is inconclusive whatever re-compression does to the score"
    return None


def batch(rows: list[Row], ctx: Context) -> list[ScanResult]:
    """Re-score every re-shipped copy of every image that needs it, in one classifier call;
    returns the results that got a stability (their verdict may change)."""
    mode = ctx.settings.stability
    ready = []
    for result, pixels in rows:
        if result.classifier is None or pixels is None:
            ANALYZER.record(result, RunStatus.SKIPPED, reason=NO_SCORE)
            continue
        if mode == "auto":
            result.stability_skipped = stability_needed(result)
        if mode == "never" or result.stability_skipped:
            reason = "switched off (setting stability=never)" if mode == "never" else result.stability_skipped
            ANALYZER.record(result, RunStatus.SKIPPED, reason=reason)
            continue
        ready.append((result, pixels))
    if not ready:
        return []
    try:
        # Encoding the copies is Pillow's work, which threads spread over the cores (core.threads).
        copies = map_in_threads(stability.variants, [pixels for _, pixels in ready])
        images = [variant for variants in copies for variant in variants]
        # Copies of an image whose own score needed float32 are near the same decision:
        # they skip the reduced-precision run that would only be computed again.
        exact = [r.classifier.dtype == "float32" for r, _ in ready for _ in stability.VARIANTS]
        scores = ctx.detector.predict(images, exact=exact)
    except Exception as exc:
        for result, _ in ready:
            message = f"{type(exc).__name__}: {str(exc)[:300]}"
            result.notices.append(Notice("stability_failed", message))
            ANALYZER.record(result, RunStatus.FAILED, code="stability_failed", message=message)
        return []
    per_image = len(stability.VARIANTS)
    for i, (result, _) in enumerate(ready):
        chunk = [s.p_artificial for s in scores[i * per_image : (i + 1) * per_image]]
        result.stability = stability.summarise(result.classifier.p_artificial, chunk)
        ANALYZER.record(result, RunStatus.OK)
    return [result for result, _ in ready]


ANALYZER = Analyzer(
    id="stability",
    version="2.0",
    needs="pixels",
    output="stability",
    reads=("classifier",),
    description="the classifier re-run on re-compressed and resized copies (JPEG q50, half size, WebP q80)",
    batch=batch,
    findings=findings,
    rules=("stability.stable", "stability.unstable", "stability.skipped"),
)
