"""The one way to analyse images: sources in, one ``ScanResult`` per source out.

Two stages, each failing per file:

1. ``prepare`` (per file, in a worker process under the per-file time and memory limits,
   ``prepare_safely``): read once, hash, sniff, decode under limits (``core.intake``), then
   every registered analyzer in order (``core.analyzers``: metadata, Content Credentials,
   declarations, pixel and file forensics), each failing alone;
2. ``complete`` (per batch): the batched analyzers (the classifier scores every decoded
   image of the batch in one call, stability where it can change the conclusion), then the
   ledger.

``core.scan.scan`` is the driver that runs these stages over many sources (CLI, case store,
dashboard); the Ray engine runs the same two stages on a cluster. The dashboard's display
jobs (preview, forensic viewer) are in ``core.display``. Nothing here writes to disk or
imports a UI.
"""

from __future__ import annotations

import contextlib
import io

from PIL import Image

from core import __version__, analyzers
from core.analyzers import Row
from core.context import Context
from core.errors import AnalysisError
from core.index.seen import look_up
from core.intake import describe_bytes, open_intake
from core.isolation import library_messages, run_limited
from core.ledger import collect_findings, decide
from core.provenance.c2pa_credentials import TrustList
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


def complete(rows: list[Row], ctx: Context) -> list[ScanResult]:
    """The batch stage: the classifier scores every decoded image of the batch at once; the
    verdict is decided on that evidence; stability re-scores where that verdict rests on the
    score (it reads the verdict), and only those rows are decided again, on the new evidence;
    then every row's ledger lines."""
    CLASSIFIER.batch(rows, ctx)
    for result, _ in rows:
        result.verdict = decide(result)
    for result in STABILITY.batch(rows, ctx):
        result.verdict = decide(result)
    if ctx.seen_index is not None:
        look_up(rows, ctx.seen_index, remember=ctx.settings.seen_before == "remember")
    for result, _ in rows:
        result.findings = collect_findings(result)
    return [result for result, _ in rows]


def prepare_safely(source: Source, ctx: Context) -> Row:
    """``prepare`` in a worker process under the per-file time and memory limits.

    A file that overruns them, or crashes a native decoder, becomes one error row (with
    its hashes, read again here) and the worker is replaced; the scan goes on.
    """
    settings = ctx.settings
    outcome = run_limited(
        _prepare_job,
        (source, settings, ctx.trust_lists),
        settings.file_timeout_s,
        settings.file_memory_mb,
        warm_up=warm_up_worker if settings.pixels else warm_up_metadata_worker,
    )
    if outcome.status == "ok":
        return outcome.value
    result = ScanResult(path=source.path, status="ok", tool_version=__version__)
    result.file.name = source.name
    result.analyzers = analyzers.not_run(
        f"not completed: the analysis of this file stopped ({outcome.status})"
    )
    with contextlib.suppress(AnalysisError):  # unreadable now: the row still says why it stopped
        data = source.read_isolated(settings.max_file_bytes, settings.file_timeout_s, settings.file_memory_mb)
        result.file, _ = describe_bytes(data, source.name)
    messages = {
        "time_limit": f"analysis of this file stopped after {settings.file_timeout_s:g} s (setting file_timeout_s)",
        "memory_limit": "analysis of this file stopped: it needed more than "
        f"{settings.file_memory_mb} MiB (setting file_memory_mb)",
        "crashed": f"a decoder {outcome.message}; nothing else was lost",
    }
    code = {"crashed": "worker_crashed", "failed": "internal_error"}.get(outcome.status, outcome.status)
    _fail(result, code, messages.get(outcome.status, f"unexpected failure: {outcome.message}"))
    return result, None


def warm_up_worker(pixels: bool = True) -> None:
    """One small JPEG through every stage, so a new worker has imported what they import lazily."""
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (90, 120, 150)).save(buffer, "JPEG")
    prepare(Source.from_bytes("warm-up.jpg", buffer.getvalue()), Context(Settings(pixels=pixels)))


def warm_up_metadata_worker() -> None:
    """The warm-up of a worker for metadata-only scans: the pixel analyzers' libraries (SciPy,
    OpenCV) are never imported there, which saves 0.2 s of each worker's start."""
    warm_up_worker(pixels=False)


def _prepare_job(source: Source, settings: Settings, trust_lists: tuple[TrustList, ...]):
    """What a worker process runs for one file: its libraries' messages become a notice of its
    row, and the row leaves the worker well-formed (``core.wellformed``: valid Unicode, finite
    numbers, bounded sizes), so that no writer, page or report downstream can choke on it."""
    with library_messages() as messages:
        result, pixels = prepare(source, Context(settings, trust_lists=trust_lists))
    result.notices.extend(Notice("library_messages", text) for text in messages)
    repair(result)
    if pixels is not None:
        pixels.info = {}  # the classifier needs the pixels only; file-made info need not travel
    return result, pixels


def prepare(source: Source, ctx: Context) -> Row:
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
    intake = open_intake(
        data,
        source.name,
        source.path,
        settings.max_pixels,
        settings.pixels,
        full=settings.pixels and analyzers.reads_full_pixels(settings),
    )
    result.file = intake.facts
    result.notices.extend(intake.notices)
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


__all__ = ["analyze", "analyze_batch", "complete", "prepare", "prepare_safely"]
