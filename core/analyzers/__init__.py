"""The analyzer registry: every check the tool runs, in the order it runs.

``ANALYZERS`` run once per file, in a worker process (``core.pipeline.prepare``), each
failing alone; ``BATCHED`` run once per batch of decoded images (the classifier, then
stability: ``Analyzer.batch``). Every result lists every registered analyzer with its version and status
(``ScanResult.analyzers``), and the ledger asks each, in this order, for its findings.
Adding a check is one module defining ``ANALYZER`` (see ``base.py``) and one line here;
the README's "Adding an analyzer" shows a real example.
"""

from __future__ import annotations

import dataclasses
import traceback
import types
import typing
from pathlib import Path
from typing import Any

from PIL import Image

from core.context import Context
from core.errors import AnalysisError
from core.intake import Intake
from core.metadata.exif import read_exifread
from core.schema import AnalyzerRun, Notice, ScanResult

from . import (
    c2pa,
    classifier,
    clocks,
    declarations,
    ela,
    jpeg,
    metadata,
    noise,
    spectrum,
    stability,
    thumbnail,
    trailing_data,
    watermark,
)
from .base import NO_PIXELS, Analyzer, AnalyzerResult, Row

# Order matters: an analyzer reads what the earlier ones stored (``Analyzer.reads``: C2PA reads
# the XMP reference the metadata found; the declarations join the C2PA state and a watermark),
# and ``check_registry`` refuses, at import, an order in which one would read too early.
ANALYZERS: tuple[Analyzer, ...] = (
    metadata.ANALYZER,
    c2pa.ANALYZER,
    watermark.ANALYZER,
    declarations.ANALYZER,
    clocks.ANALYZER,
    trailing_data.ANALYZER,
    ela.ANALYZER,
    noise.ANALYZER,
    spectrum.ANALYZER,
    jpeg.ANALYZER,
    thumbnail.ANALYZER,
)
BATCHED: tuple[Analyzer, ...] = (classifier.ANALYZER, stability.ANALYZER)
REGISTRY: tuple[Analyzer, ...] = ANALYZERS + BATCHED


def check_registry(registry: tuple[Analyzer, ...]) -> None:
    """Every analyzer writes a typed field of ``ScanResult``, reads only what an earlier one
    stored, and no two write the same place (one place inside another counts: ``provenance``
    and ``provenance.c2pa``)."""
    earlier: set[str] = set()
    written: list[str] = []
    for analyzer in registry:
        if late := [name for name in analyzer.reads if name not in earlier]:
            raise RuntimeError(f"analyzer {analyzer.id} reads {', '.join(late)}, which must run before it")
        for place in analyzer.places():
            if not _is_field(place):
                raise RuntimeError(
                    f"analyzer {analyzer.id} writes {place}, which is not a field of ScanResult"
                )
            if clash := [
                w for w in written if place == w or place.startswith(w + ".") or w.startswith(place + ".")
            ]:
                raise RuntimeError(
                    f"analyzer {analyzer.id} writes {place}, where {clash[0]} is written already"
                )
        written += analyzer.places()
        earlier.add(analyzer.id)


def _is_field(dotted: str) -> bool:
    """Whether ``dotted`` names a field of ``ScanResult``, through its nested dataclasses."""
    kind: Any = ScanResult
    for name in dotted.split("."):
        if not dataclasses.is_dataclass(kind) or name not in (hints := typing.get_type_hints(kind)):
            return False
        kind = hints[name]
        if typing.get_origin(kind) in (typing.Union, types.UnionType):  # ``X | None``: the X
            kind = next(a for a in typing.get_args(kind) if a is not type(None))
    return True


check_registry(REGISTRY)

NOT_AN_IMAGE = "the content is not an image in a supported format"
PIXELS_OFF = "metadata-only scan: pixels were not decoded (setting pixels=false)"


def by_id(analyzer_id: str) -> Analyzer:
    return next(a for a in REGISTRY if a.id == analyzer_id)


def run(intake: Intake, ctx: Context, result: ScanResult) -> None:
    """Run every per-file analyzer on one file, storing each one's data and status in ``result``."""
    try:
        for analyzer in ANALYZERS:
            result.analyzers.append(_run_one(analyzer, intake, ctx, result))
    finally:
        # The EXIF parse the metadata and thumbnail analyzers share lives as long as this file:
        # a worker must not hold one file's bytes while it reads the next.
        read_exifread.cache_clear()


def reads_full_pixels(settings) -> bool:
    """Whether an analyzer switched on reads every image's full-resolution pixels (the forensic
    ones): then a JPEG is decoded once, whole, and its working copy made from it, instead of a
    DCT-scaled decode followed by a full one (on a heavy photo the entropy decoding, which both
    pay, is most of the cost). The watermark reader, which reads small images only, does not count."""
    return any(a.needs == "full_pixels" and a.switch and getattr(settings, a.switch) for a in ANALYZERS)


def not_run(reason: str) -> list[AnalyzerRun]:
    """Status rows for analyzers that never got to the file (it could not be read, the worker stopped)."""
    return [AnalyzerRun(a.id, a.version, "skipped", reason=reason) for a in ANALYZERS]


def _skip_reason(analyzer: Analyzer, intake: Intake, ctx: Context) -> str | None:
    if analyzer.switch and not getattr(ctx.settings, analyzer.switch):
        return f"switched off (setting {analyzer.switch}=false)"
    if intake.sniffed.format is None:
        return NOT_AN_IMAGE
    if analyzer.needs != "bytes" and intake.pixels is None:
        return PIXELS_OFF if intake.decoded is not None and not ctx.settings.pixels else NO_PIXELS
    return analyzer.available()


def _run_one(analyzer: Analyzer, intake: Intake, ctx: Context, result: ScanResult) -> AnalyzerRun:
    def status(state: str, **why: str | None) -> AnalyzerRun:
        return AnalyzerRun(analyzer.id, analyzer.version, state, **why)

    reason = _skip_reason(analyzer, intake, ctx)
    if reason is not None:
        return status("skipped", reason=reason)
    try:
        outcome = analyzer.analyze(intake, ctx, result)
    except MemoryError:
        raise  # the worker reports the memory limit for the whole file
    except Exception as exc:  # a bug or an unforeseen file: this analyzer fails, the others run
        code = exc.code if isinstance(exc, AnalysisError) else "internal_error"
        message = describe_failure(exc)
        result.notices.append(Notice("analyzer_failed", f"{analyzer.id}: {message}"))
        return status("failed", code=code, message=message)
    result.notices.extend(outcome.notices)
    if outcome.skipped is not None:
        return status("skipped", reason=outcome.skipped)
    if outcome.data is not None:
        _store(result, analyzer, outcome.data)
    return status("ok")


def describe_failure(exc: BaseException) -> str:
    """``"ValueError in ela.py:41: ..."``: the exception and where it was raised, for the row."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" in {Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else ""
    return f"{type(exc).__name__}{where}: {str(exc)[:300]}"


def _store(result: ScanResult, analyzer: Analyzer, data: Any) -> None:
    """Put ``data`` at the analyzer's place in the result (its typed slot), or (with ``fields``)
    only those fields of the object there."""
    if analyzer.fields:
        target = _at(result, analyzer.output)
        for name in analyzer.fields:
            setattr(target, name, getattr(data, name))
        return
    parent, _, last = analyzer.output.rpartition(".")
    setattr(_at(result, parent), last, data)


def _at(result: ScanResult, dotted: str) -> Any:
    """The object at a dotted place of the result ("" is the result itself)."""
    target: Any = result
    for name in filter(None, dotted.split(".")):
        target = getattr(target, name)
    return target


def render_maps(full_image: Image.Image, options: dict[str, dict] | None = None) -> dict[str, Image.Image]:
    """Every analyzer's map of one image (for display; the numbers are in the result), each
    drawn with the options given for it (``{"ela": {"quality": 75}, "noise": {"gain": 20}}``)."""
    maps = {}
    for analyzer in ANALYZERS:
        if analyzer.render is None:
            continue
        try:
            maps[analyzer.id] = analyzer.render(full_image, **(options or {}).get(analyzer.id, {}))
        except Exception:  # a map that cannot be drawn is simply not shown
            continue
    return maps


__all__ = [
    "ANALYZERS",
    "BATCHED",
    "REGISTRY",
    "Analyzer",
    "AnalyzerResult",
    "NO_PIXELS",
    "Row",
    "by_id",
    "not_run",
    "render_maps",
    "run",
]
