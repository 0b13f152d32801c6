"""The classifier's named thresholds and the bands they make (cited by the ledger, reports,
calibration profiles, the gauge and every chart). The classifier never decides a verdict by
itself: these only turn its score into a band when nothing in the file declares how it was made."""

from __future__ import annotations

from core.vocabulary import Band

# The score at which a classifier's top label turns from "real" to "artificial": the label a
# model reports, the direction of its ledger line, a flip under re-compression, a split
# between classifiers.
LABEL_BOUNDARY = 0.5

# Classifier thresholds on p_artificial (named so that reports can cite them).
STRONG_SIGNAL = 0.90
MODERATE_SIGNAL = 0.75
WEAK_SIGNAL = 0.60
LOW_SIGNAL = 0.40  # at or below this: little evidence of AI generation from the classifier

# Each band of the score, from its lower threshold up (the gauge's coloured steps).
SCORE_BANDS: tuple[tuple[float, float, Band], ...] = (
    (0.0, LOW_SIGNAL, Band.LITTLE_EVIDENCE),
    (LOW_SIGNAL, WEAK_SIGNAL, Band.INCONCLUSIVE),
    (WEAK_SIGNAL, MODERATE_SIGNAL, Band.WEAK_STATISTICAL),
    (MODERATE_SIGNAL, STRONG_SIGNAL, Band.MODERATE_STATISTICAL),
    (STRONG_SIGNAL, 1.0, Band.STRONG_STATISTICAL),
)


def classifier_band(p: float) -> Band:
    if p >= STRONG_SIGNAL:
        return Band.STRONG_STATISTICAL
    if p >= MODERATE_SIGNAL:
        return Band.MODERATE_STATISTICAL
    if p >= WEAK_SIGNAL:
        return Band.WEAK_STATISTICAL
    if p > LOW_SIGNAL:
        return Band.INCONCLUSIVE
    return Band.LITTLE_EVIDENCE


def labelled_artificial(p: float) -> bool:
    """Whether a score falls on the "artificial" side of ``LABEL_BOUNDARY``."""
    return p >= LABEL_BOUNDARY
