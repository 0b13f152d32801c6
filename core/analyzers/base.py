"""The analyzer protocol: what one check needs, what it returns, how it reads in the ledger.

An analyzer is one module that defines ``ANALYZER = Analyzer(...)`` (after Ghiro's
processing modules and design.md): a stable ``id``, its own ``version`` (bump it when
its numbers or wording change), what it ``needs`` from the file, an ``analyze`` function
and a ``findings`` function. ``core.analyzers.run`` calls every registered analyzer in
order; one that raises fails alone (its status says why) and the others still run.

``analyze(intake, ctx, found)`` reads the file (``intake``), the settings (``ctx``) and
what earlier analyzers found (``found``, the result being built), and returns an
``AnalyzerResult`` whose ``data`` is stored at ``output`` in the result.

A batched analyzer (the classifier, stability) has ``batch(rows, ctx)`` instead: it runs
once per batch of decoded images in the main process (``core.pipeline.complete``), stores
its data in each row's result, records what it did for every row (``record``) and returns
the results whose evidence it changed, so that their ledger is brought up to date.

``findings(result)`` turns the stored data into ledger lines with stable rule ids. It is a
pure function of the result, so a result read back from JSON (a case, a bundle) gives
the same ledger, and a finding may weigh what a later analyzer found (the camera
summary uses the thumbnail check).
"""

from __future__ import annotations

import importlib.metadata
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from PIL import Image

from core.context import Context
from core.intake import Intake
from core.schema import AnalyzerRun, Finding, Notice, ScanResult
from core.vocabulary import RunStatus

# What an analyzer reads, cheapest first. ``bytes``: the original bytes (and the parsed
# header when there is one); ``pixels``: the decoded working copy (oriented, reduced);
# ``full_pixels``: the first frame at full stored resolution.
NEEDS = ("bytes", "pixels", "full_pixels")
MAP_KINDS = ("overlay", "plot")
NO_PIXELS = "the file holds no decodable image"

# What the batch stage holds for one file: its result so far, and the decoded working copy
# the classifier reads (None when the file has none).
Row = tuple[ScanResult, Image.Image | None]


@dataclass
class AnalyzerResult:
    """What ``analyze`` returns: ``data`` to store (None stores nothing) and notices; or a
    skip with its reason. Failures are exceptions: the runner records them."""

    data: Any = None
    notices: list[Notice] = field(default_factory=list)
    skipped: str | None = None  # why the analyzer did not apply to this file

    @classmethod
    def skip(cls, reason: str) -> AnalyzerResult:
        return cls(skipped=reason)


def no_findings(result: ScanResult) -> list[Finding]:
    return []


def always_available() -> str | None:
    return None


@dataclass(frozen=True)
class Analyzer:
    id: str
    version: str
    needs: str  # one of NEEDS
    output: str  # where ``data`` goes: a result field ("metadata"), a dotted field ("provenance.c2pa"), or "forensics.<id>"
    description: str  # one line, for the README and reports
    # Exactly one of the two: ``analyze`` (per file, in the file worker) or ``batch`` (per batch
    # of decoded images: the classifier, stability).
    analyze: Callable[[Intake, Context, ScanResult], AnalyzerResult] | None = None
    batch: Callable[[list[Row], Context], list[ScanResult]] | None = None
    findings: Callable[[ScanResult], list[Finding]] = no_findings
    available: Callable[[], str | None] = always_available  # None, or why it cannot run here
    switch: str | None = None  # the boolean setting that turns it off, if any
    # A map for the analyst, drawn from the full pixels, with keyword options (e.g. ELA quality).
    render: Callable[..., Image.Image] | None = None
    # "overlay": the map covers the picture pixel for pixel (drawn over it in the viewer);
    # "plot": another kind of picture (a spectrum), shown beside it.
    map_kind: str = "overlay"
    # What each number of its data shows, one line each, for the analyst beside the numbers:
    # (key, meaning) pairs.
    numbers: tuple[tuple[str, str], ...] = ()
    rules: tuple[str, ...] = ()  # the ledger rule ids its findings use (docs/result-schema.md)
    # The analyzers whose stored data ``analyze`` (or ``batch``) reads: each must come earlier
    # in the registry (checked at import), so the order is a fact, not a comment.
    reads: tuple[str, ...] = ()
    # Where ``output`` holds fields other analyzers own too: the fields of it this one writes
    # (the declarations write ``provenance``'s but its ``c2pa`` and ``watermark``).
    fields: tuple[str, ...] = ()
    # For the analyst beside its numbers or map: what it shows, and what it does not.
    reading: str = ""

    def __post_init__(self) -> None:
        if self.needs not in NEEDS:
            raise ValueError(f"analyzer {self.id}: needs must be one of {NEEDS}")
        if self.map_kind not in MAP_KINDS:
            raise ValueError(f"analyzer {self.id}: map_kind must be one of {MAP_KINDS}")
        if (self.analyze is None) == (self.batch is None):
            raise ValueError(f"analyzer {self.id}: give either analyze (per file) or batch (per batch)")

    def places(self) -> list[str]:
        """Where in a result this analyzer writes: ``output``, or each of its ``fields``."""
        return [f"{self.output}.{name}" for name in self.fields] if self.fields else [self.output]

    def record(self, result: ScanResult, status: RunStatus, **why: str | None) -> None:
        """Record what this analyzer did for one result (replacing an earlier record, if any)."""
        result.analyzers = [r for r in result.analyzers if r.id != self.id]
        result.analyzers.append(AnalyzerRun(self.id, self.version, status, **why))


def library_version(*distributions: str) -> str:
    """``"c2pa-python 0.38.1"``: the libraries an analyzer's results depend on, as installed."""
    parts = []
    for name in distributions:
        try:
            parts.append(f"{name} {importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            parts.append(f"{name} (not installed)")
    return ", ".join(parts)


def pixel_statistics(
    id: str,
    version: str,
    description: str,
    compute: Callable[[Image.Image], dict],
    kind: type,
    render: Callable[..., Image.Image] | None,
    reading: str = "",
    numbers: tuple[tuple[str, str], ...] = (),
    map_kind: str = "overlay",
) -> Analyzer:
    """An analyzer of numbers (and a map) computed from the full-resolution pixels, with no
    ledger line (ELA, noise, spectrum: their thresholds depend on content, so they are
    shown, not judged), stored as ``kind`` (its slot's type). Switched off with the setting
    ``forensics``."""

    def analyze(intake: Intake, ctx: Context, found: ScanResult) -> AnalyzerResult:
        return AnalyzerResult(kind(**compute(intake.full_pixels())))

    return Analyzer(
        id=id,
        version=version,
        needs="full_pixels",
        output=f"forensics.{id}",
        description=description,
        analyze=analyze,
        switch="forensics",
        render=render,
        reading=reading,
        numbers=numbers,
        map_kind=map_kind,
    )
