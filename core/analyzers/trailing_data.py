"""Data after the image's end marker (JPEG EOI, PNG IEND, the WebP RIFF size): invisible to
viewers; harmless padding or a phone's extra MPF images, or a hidden archive (a polyglot)."""

from __future__ import annotations

from core.context import Context
from core.forensics.file_structure import trailing_data
from core.intake import Intake
from core.schema import Finding, ScanResult, TrailingData, to_dict

from .base import Analyzer, AnalyzerResult


def analyze(intake: Intake, ctx: Context, found: ScanResult) -> AnalyzerResult:
    data = trailing_data(intake.data, intake.facts.format)
    if data is None:
        return AnalyzerResult.skip(f"the end of a {intake.facts.format} file is not located by this check")
    return AnalyzerResult(TrailingData(**data))


def findings(result: ScanResult) -> list[Finding]:
    trailing = result.forensics.trailing_data
    if (
        trailing is not None
        and trailing.bytes
        and trailing.kind not in ("padding", "none")
        and not trailing.kind.startswith("appended JPEG images")
    ):
        return [
            Finding(
                "file.trailing_data",
                "neutral",
                "context",
                f"{trailing.bytes:,} bytes follow the end of the image ({trailing.kind}); viewers do not show them.",
                to_dict(trailing),
            )
        ]
    return []


ANALYZER = Analyzer(
    id="trailing_data",
    version="1.0",
    needs="bytes",
    output="forensics.trailing_data",
    description="bytes after the image's end marker (JPEG, PNG, WebP)",
    analyze=analyze,
    findings=findings,
    switch="forensics",
    rules=("file.trailing_data",),
)
