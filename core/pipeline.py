"""The one way to analyse images: sources in, one ``ScanResult`` per source out.

Two stages, each failing per file:

1. ``prepare`` (per file, in a worker process under the per-file time and memory limits,
   ``prepare_safely``): read once, hash, sniff, decode under limits (``core.intake``), then
   every registered analyzer in order (``core.analyzers``: metadata, Content Credentials,
   declarations, pixel and file forensics), each failing alone;
2. ``complete`` (per batch): the classifier scores every decoded image of the batch in one
   call, stability where it can change the conclusion, then the ledger.

``core.scan.scan`` is the driver that runs these stages over many sources (CLI, case store,
dashboard); the Ray engine runs the same two stages on a cluster. Nothing here writes to
disk or imports a UI.
"""

from __future__ import annotations

import contextlib
import io
from dataclasses import dataclass

import numpy as np
from PIL import Image

from core import __version__, analyzers, stability
from core.calibration import cite
from core.context import Context, make_context
from core.detector import Detector
from core.errors import AnalysisError
from core.intake import describe_bytes, open_intake, preview_jpeg
from core.intake.decode import to_rgb, upright
from core.isolation import library_messages, run_limited
from core.ledger import build_ledger, stability_needed
from core.metadata.exif import read_exifread
from core.metadata.thumbnail import open_thumbnail
from core.schema import ErrorInfo, Notice, ScanResult
from core.settings import Settings
from core.sources import Source
from core.wellformed import repair

CLASSIFIER, STABILITY = analyzers.BATCHED
PIXELS_NOT_DECODED = (
    "metadata-only scan: pixels were not decoded, so there is no perceptual hash, classifier score, "
    "pixel forensics or hidden alpha-channel payload check, and damage inside the compressed image "
    "data is not detected (a missing end marker is)"
)


def analyze(source: Source, ctx: Context) -> ScanResult:
    return analyze_batch([source], ctx)[0]


def analyze_batch(sources: list[Source], ctx: Context) -> list[ScanResult]:
    """Analyse files; exactly one result per source, in order, whatever the input."""
    return complete([prepare_safely(source, ctx) for source in sources], ctx)


def complete(rows: list[tuple[ScanResult, Image.Image | None]], ctx: Context) -> list[ScanResult]:
    """The batch stage: classify every decoded image of the batch at once, then the ledger."""
    _classify(rows, ctx)
    for result, _ in rows:
        build_ledger(result)
    return [result for result, _ in rows]


def prepare_safely(source: Source, ctx: Context) -> tuple[ScanResult, Image.Image | None]:
    """``prepare`` in a worker process under the per-file time and memory limits.

    A file that overruns them, or crashes a native decoder, becomes one error row (with
    its hashes, read again here) and the worker is replaced; the scan goes on.
    """
    settings = ctx.settings
    outcome = run_limited(
        _prepare_job,
        (source, settings, ctx.trust_anchors_pem),
        settings.file_timeout_s,
        settings.file_memory_mb,
        warm_up="core.pipeline:warm_up_worker"
        if settings.pixels
        else "core.pipeline:warm_up_metadata_worker",
    )
    if outcome.status == "ok":
        return outcome.value
    result = ScanResult(path=source.path, status="ok", tool_version=__version__)
    result.file.name = source.name
    result.analyzers = analyzers.not_run(
        f"not completed: the analysis of this file stopped ({outcome.status})"
    )
    with contextlib.suppress(AnalysisError):  # unreadable now: the row still says why it stopped
        result.file, _ = describe_bytes(source.read(settings.max_file_bytes), source.name)
    messages = {
        "time_limit": f"analysis of this file stopped after {settings.file_timeout_s:g} s (setting file_timeout_s)",
        "memory_limit": "analysis of this file stopped: it needed more than "
        f"{settings.file_memory_mb} MiB (setting file_memory_mb)",
        "crashed": f"a decoder {outcome.message}; nothing else was lost",
    }
    code = {"crashed": "worker_crashed", "failed": "internal_error"}.get(outcome.status, outcome.status)
    _fail(result, code, messages.get(outcome.status, f"unexpected failure: {outcome.message}"))
    return result, None


def preview_safely(data: bytes, settings: Settings, size: int) -> bytes | None:
    """A small JPEG of an image as displayed, made in a worker under the per-file limits, so
    that the dashboard and the reports never decode untrusted bytes in their own process.
    None when the bytes hold no image that decodes within the limits."""
    outcome = run_limited(
        _quietly, (preview_jpeg, data, settings.max_pixels, size), settings.file_timeout_s, settings.file_memory_mb,
        warm_up="core.pipeline:warm_up_worker",
    )  # fmt: skip
    return outcome.value if outcome.status == "ok" else None


# Long side, in pixels, of the images the forensic viewer shows.
VIEW_SIZE = 1024


@dataclass
class ForensicView:
    """What the forensic viewer shows, as plain arrays (the dashboard blends and zooms them with
    numpy; it never decodes anything): the image upright (RGB), each map that lies over it
    (``overlays``, greyscale) with exactly the image's height and width, by construction
    (``_displayed``), frequency plots shown beside it (``plots``: the spectrum), and the
    embedded EXIF thumbnail."""

    image: np.ndarray
    overlays: dict[str, np.ndarray]
    plots: dict[str, np.ndarray]
    thumbnail: np.ndarray | None = None


def view_safely(
    data: bytes, settings: Settings, options: dict[str, dict] | None = None
) -> ForensicView | None:
    """The forensic viewer's images of one file, drawn in a worker under the per-file limits
    with the map options given (``{"ela": {"quality": 75}, "noise": {"gain": 20}}``); None
    when the image does not decode within the limits."""
    outcome = run_limited(
        _quietly, (_view_job, data, settings.max_pixels, options or {}), settings.file_timeout_s,
        settings.file_memory_mb, warm_up="core.pipeline:warm_up_worker",
    )  # fmt: skip
    return outcome.value if outcome.status == "ok" else None


def _quietly(fn, *args):
    """Run a display job in a worker with its libraries' messages dropped: the file's analysis
    row has them already; the server's log is not the place."""
    with library_messages():
        return fn(*args)


def _view_job(data: bytes, max_pixels: int, options: dict[str, dict]) -> ForensicView | None:
    intake = open_intake(data, "", "", max_pixels)
    full = intake.full_pixels()  # stored orientation, full resolution: what the maps are drawn from
    if full is None:
        return None
    size = view_size(full.size)
    orientation = intake.facts.orientation
    # The maps are drawn from the picture that is shown (16-bit rescaled, palette and CMYK
    # converted as for the analysis), so map and picture agree in content as well as in size.
    picture = full if full.mode == "RGB" else to_rgb(full)  # no 36 MB copy of a 12 MP RGB photo
    overlays, plots = {}, {}
    for name, image in analyzers.render_maps(picture, options).items():
        if analyzers.by_id(name).map_kind == "overlay":
            overlays[name] = _displayed(image, size, orientation, "L")
        else:  # a frequency plot has no place in the picture: shown as drawn
            image.thumbnail((VIEW_SIZE, VIEW_SIZE))
            plots[name] = np.asarray(image)
    thumbnail = None
    thumb_bytes = read_exifread(data).thumbnail
    if thumb_bytes:  # a damaged thumbnail is a notice of the analysis; here it is simply not shown
        with contextlib.suppress(Exception), open_thumbnail(thumb_bytes) as im:
            thumbnail = np.asarray(im.convert("RGB"))
    return ForensicView(_displayed(picture, size, orientation, "RGB"), overlays, plots, thumbnail)


def view_size(stored: tuple[int, int]) -> tuple[int, int]:
    """The stored size reduced so that its long side is at most ``VIEW_SIZE`` (never enlarged)."""
    w, h = stored
    scale = min(1.0, VIEW_SIZE / max(w, h))
    return max(1, round(w * scale)), max(1, round(h * scale))


def _displayed(image: Image.Image, size: tuple[int, int], orientation: int | None, mode: str) -> np.ndarray:
    """The one way an image of the viewer is made: ``mode``, exactly ``size`` in stored
    orientation, then turned upright. The picture and every map over it go through here, so
    they cannot differ in size or orientation (a 12 MP portrait JPEG and its maps included)."""
    image = image if image.mode == mode else image.convert(mode)
    if image.size != size:
        image = image.resize(size, Image.Resampling.BILINEAR, reducing_gap=3.0)
    return np.asarray(upright(image, orientation))


def warm_up_worker(pixels: bool = True) -> None:
    """One small JPEG through every stage, so a new worker has imported what they import lazily."""
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (90, 120, 150)).save(buffer, "JPEG")
    prepare(Source.from_bytes("warm-up.jpg", buffer.getvalue()), Context(Settings(pixels=pixels)))


def warm_up_metadata_worker() -> None:
    """The warm-up of a worker for metadata-only scans: the pixel analyzers' libraries (SciPy,
    OpenCV) are never imported there, which saves 0.2 s of each worker's start."""
    warm_up_worker(pixels=False)


def _prepare_job(source: Source, settings: Settings, trust_anchors_pem: str):
    """What a worker process runs for one file: its libraries' messages become a notice of its
    row, and the row leaves the worker well-formed (``core.wellformed``: valid Unicode, finite
    numbers, bounded sizes), so that no writer, page or report downstream can choke on it."""
    with library_messages() as messages:
        result, pixels = prepare(source, Context(settings, trust_anchors_pem=trust_anchors_pem))
    result.notices.extend(Notice("library_messages", text) for text in messages)
    repair(result)
    if pixels is not None:
        pixels.info = {}  # the classifier needs the pixels only; file-made info need not travel
    return result, pixels


def prepare(source: Source, ctx: Context) -> tuple[ScanResult, Image.Image | None]:
    """The per-file stage (thread-safe): intake, metadata, provenance, forensics.

    Returns the partial result and the pixels the classifier will read (None if none).
    """
    settings = ctx.settings
    result = ScanResult(path=source.path, status="ok", tool_version=__version__)
    result.file.name = source.name
    try:
        data = source.read(settings.max_file_bytes)
    except AnalysisError as exc:
        result.analyzers = analyzers.not_run("the file could not be read")
        _fail(result, exc.code, exc.message)
        return result, None
    intake = open_intake(data, source.name, source.path, settings.max_pixels, settings.pixels)
    result.file = intake.facts
    if intake.decoded is not None and intake.pixels is None:
        # Pixel-reading analyzers are skipped in a metadata-only scan instead of decoding behind its back.
        result.notices.append(Notice("pixels_not_decoded", PIXELS_NOT_DECODED))
    analyzers.run(intake, ctx, result)
    if intake.error is not None:
        _fail(result, intake.error.code, intake.error.message)
        return result, None
    return result, intake.pixels


def _fail(result: ScanResult, code: str, message: str) -> None:
    result.status = "error"
    result.error = ErrorInfo(code=code, message=message)
    result.classifier_error = "not run: the file holds no decodable image"


def _classify(rows: list[tuple[ScanResult, Image.Image | None]], ctx: Context) -> None:
    """Score every decoded image of the batch in one call, then stability where it is needed;
    every row records what the two batched stages did for it."""
    for result, pixels in rows:
        if pixels is None or ctx.detector is None:
            reason = ctx.classifier_error if result.status == "ok" else analyzers.NO_PIXELS
            analyzers.record(result, CLASSIFIER, "skipped", reason=reason)
            analyzers.record(result, STABILITY, "skipped", reason="no classifier score")
    ready = [(result, pixels) for result, pixels in rows if pixels is not None]
    if ctx.detector is None:  # every image row says why it has no score (error rows say so already)
        for result, _ in rows:
            if result.status == "ok":
                result.classifier_error = ctx.classifier_error
        return
    if not ready:
        return
    try:
        scores = ctx.detector.predict([pixels for _, pixels in ready])
    except Exception as exc:  # e.g. out of GPU memory: the rest of each row stays valid
        for result, _ in ready:
            result.classifier_error = f"classifier failed: {type(exc).__name__}: {str(exc)[:300]}"
            result.notices.append(Notice("classifier_failed", result.classifier_error))
            analyzers.record(
                result, CLASSIFIER, "failed", code="classifier_failed", message=result.classifier_error
            )
            analyzers.record(result, STABILITY, "skipped", reason="no classifier score")
        return
    for (result, _), score in zip(ready, scores, strict=True):
        result.classifier = score
        result.classifiers = [score]
        if ctx.calibration_part is not None:
            result.calibration = cite(ctx.calibration, ctx.calibration_part, score.p_artificial)
        analyzers.record(result, CLASSIFIER, "ok")
    _score_extra_detectors(ready, ctx)
    mode = ctx.settings.stability
    if mode == "auto":  # only where the answer can change the verdict (ledger.stability_needed)
        for result, _ in ready:
            result.stability_skipped = stability_needed(result)
    for result, _ in ready:
        if mode == "never" or result.stability_skipped:
            reason = "switched off (setting stability=never)" if mode == "never" else result.stability_skipped
            analyzers.record(result, STABILITY, "skipped", reason=reason)
    if mode != "never":
        _score_stability([(r, p) for r, p in ready if r.stability_skipped is None], ctx.detector)


def _score_extra_detectors(ready: list[tuple[ScanResult, Image.Image]], ctx: Context) -> None:
    """The classifiers of the setting ``detectors``, each on the whole batch; one that fails
    or could not load is a notice, and the others' scores stand."""
    for result, _ in ready:
        result.notices.extend(Notice("detector_unavailable", reason) for reason in ctx.extra_errors)
    for detector in ctx.extra_detectors:
        try:
            scores = detector.predict([pixels for _, pixels in ready])
        except Exception as exc:
            for result, _ in ready:
                result.notices.append(Notice("classifier_failed", f"{detector.model_id}: {type(exc).__name__}: "
                                                                  f"{str(exc)[:300]}"))  # fmt: skip
            continue
        for (result, _), score in zip(ready, scores, strict=True):
            result.classifiers.append(score)


def _score_stability(ready: list[tuple[ScanResult, Image.Image]], detector: Detector) -> None:
    """Score every re-shipped variant of every image of the batch in one classifier call."""
    if not ready:
        return
    try:
        images = [variant for _, pixels in ready for variant in stability.variants(pixels)]
        scores = detector.predict(images)
    except Exception as exc:
        for result, _ in ready:
            message = f"{type(exc).__name__}: {str(exc)[:300]}"
            result.notices.append(Notice("stability_failed", message))
            analyzers.record(result, STABILITY, "failed", code="stability_failed", message=message)
        return
    per_image = len(stability.VARIANTS)
    for i, (result, _) in enumerate(ready):
        chunk = [s.p_artificial for s in scores[i * per_image : (i + 1) * per_image]]
        result.stability = stability.summarise(result.classifier.p_artificial, chunk)
        analyzers.record(result, STABILITY, "ok")


__all__ = ["Context", "Source", "analyze", "analyze_batch", "complete", "make_context", "ForensicView", "view_safely",
           "prepare", "prepare_safely", "preview_safely"]  # fmt: skip
