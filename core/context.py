"""What an analysis runs with: the settings, plus what is loaded once for them (the
classifier, or the reason there is none, and the C2PA trust anchors)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from core.calibration import for_model, load_profile
from core.errors import ClassifierUnavailable
from core.index import has_index
from core.provenance.c2pa_credentials import TrustList, load_trust_lists
from core.settings import Settings

if TYPE_CHECKING:
    from core.detector import Detector
    from core.index.records import SeenIndex

CLASSIFIER_DISABLED = "classifier switched off (setting classifier=false, or --no-classifier)"
CLASSIFIER_NEEDS_PIXELS = "classifier not run: a metadata-only scan decodes no pixels (setting pixels=false)"


@dataclass
class Context:
    settings: Settings
    detector: Detector | None = None  # the primary classifier (setting model)
    classifier_error: str | None = None
    trust_lists: tuple[TrustList, ...] = ()  # setting trust_anchors
    # The classifiers of the setting ``detectors``, beside the primary, and why any is missing.
    extra_detectors: list[Detector] = field(default_factory=list)
    extra_errors: list[str] = field(default_factory=list)
    # The calibration profile (setting ``calibration``) and its part for the primary classifier.
    calibration: dict | None = None
    calibration_part: dict | None = None
    # The desk's seen-before index (setting seen_before), when it has one.
    seen_index: SeenIndex | None = None


def make_context(settings: Settings) -> Context:
    """Load the classifier once for these settings; an unavailable one is a reason, not a crash.

    Raises ValueError or OSError for a trust-anchors file or a calibration profile that cannot
    be used (CalibrationError is a ValueError): a configuration error, reported before any
    file is analysed.
    """
    ctx = _with_classifiers(settings)
    ctx.seen_index = open_seen_index(settings)
    return ctx


def open_seen_index(settings: Settings) -> SeenIndex | None:
    """The desk's seen-before index beside its case store: none with the setting seen_before
    ``off``; with ``auto`` only one the desk already has (made by its first case item or ``index
    add``: a scan never creates one); with ``remember`` it is made when missing."""
    if settings.seen_before == "off" or (
        settings.seen_before == "auto" and not has_index(settings.store_path())
    ):
        return None
    from core.index.records import SeenIndex  # numpy and usearch: only for a desk that has an index

    if settings.seen_before == "remember":
        return SeenIndex.beside(settings.store_path())
    return SeenIndex.existing(settings.store_path())


def _with_classifiers(settings: Settings) -> Context:
    pem = load_trust_lists(settings.trust_anchors)
    if not settings.classifier:
        return Context(settings, None, CLASSIFIER_DISABLED, pem)
    if not settings.pixels:
        return Context(settings, None, CLASSIFIER_NEEDS_PIXELS, pem)
    from core.detector import get_detector  # the model stack: only when a classifier is used

    try:
        detector = get_detector(
            settings.model, settings.revision, settings.device, settings.batch_size, settings.backend
        )
    except ClassifierUnavailable as exc:
        return Context(settings, None, f"classifier unavailable: {exc}", pem)
    ctx = Context(settings, detector, None, pem)
    if settings.calibration:  # a configuration error, like the trust anchors: said before any file
        ctx.calibration = load_profile(settings.calibration, settings.desk_key())
        ctx.calibration_part = for_model(ctx.calibration, detector.model_id, detector.revision)
    for model in settings.detector_models():  # each extra classifier loads, or says why not, alone
        try:
            ctx.extra_detectors.append(
                get_detector(model, "main", settings.device, settings.batch_size, settings.backend)
            )
        except ClassifierUnavailable as exc:
            ctx.extra_errors.append(f"{model}: {exc}")
    return ctx
