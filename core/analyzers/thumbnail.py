"""The EXIF thumbnail against the main image (``core.forensics.file_structure``): a
thumbnail that shows a different picture means the image was changed by software that
did not refresh it."""

from __future__ import annotations

from core.context import Context
from core.forensics.file_structure import thumbnail_mismatch
from core.intake import Intake
from core.metadata.exif import read_exifread
from core.schema import Finding, ScanResult, ThumbnailCheck, to_dict

from .base import Analyzer, AnalyzerResult


def analyze(intake: Intake, ctx: Context, found: ScanResult) -> AnalyzerResult:
    thumbnail = read_exifread(intake.data).thumbnail  # the metadata reader's parse, not a second one
    if not thumbnail:
        return AnalyzerResult.skip("the file has no EXIF thumbnail")
    data = thumbnail_mismatch(thumbnail, intake.full_pixels())
    if data is None:
        return AnalyzerResult.skip("the EXIF thumbnail does not decode (see the notice thumbnail_malformed)")
    return AnalyzerResult(ThumbnailCheck(**data))


def findings(result: ScanResult) -> list[Finding]:
    thumb = result.forensics.thumbnail
    if thumb is None or not thumb.differs:
        return []
    return [
        Finding(
            "file.thumbnail_mismatch",
            "editing",
            "statistical",
            "The embedded EXIF thumbnail does not match the main image: the picture was probably changed after "
            "the thumbnail was written.",
            to_dict(thumb),
        )
    ]


ANALYZER = Analyzer(
    id="thumbnail",
    version="1.0",
    needs="full_pixels",
    output="forensics.thumbnail",
    description="the EXIF thumbnail compared with the main image",
    analyze=analyze,
    findings=findings,
    switch="forensics",
    rules=("file.thumbnail_mismatch",),
    reading="Cameras store a small preview in EXIF; editors often leave it as it was. A preview that shows "
    "another picture (mean difference above 24 of 255, or another shape) means the image changed after the "
    "preview was written. A matching preview does not show the image is unedited.",
)
