"""The classifier's named thresholds and the words for them (cited by the ledger, reports,
calibration profiles and the dashboard). The classifier never decides a verdict by itself:
these only turn its score into a band when nothing in the file declares how it was made."""

from __future__ import annotations

# Classifier thresholds on p_artificial (named so that reports can cite them).
STRONG_SIGNAL = 0.90
MODERATE_SIGNAL = 0.75
WEAK_SIGNAL = 0.60
LOW_SIGNAL = 0.40  # below this: little evidence of AI generation from the classifier


def classifier_band(p: float) -> str:
    if p >= STRONG_SIGNAL:
        return "strong statistical indication of AI generation"
    if p >= MODERATE_SIGNAL:
        return "moderate statistical indication of AI generation"
    if p >= WEAK_SIGNAL:
        return "weak statistical indication of AI generation"
    if p > LOW_SIGNAL:
        return "inconclusive"
    return "little evidence of AI generation"
