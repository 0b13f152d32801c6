"""JPEG quantisation tables and double compression (``core.forensics.jpeg_quant``): the
estimated quality, libjpeg's standard tables (a re-encode by software when the metadata
names a camera), and a JPEG ghost (Farid 2009) for an earlier save at a lower quality."""

from __future__ import annotations

from core.context import Context
from core.forensics import jpeg_quant
from core.intake import Intake
from core.schema import Finding, JpegTables, ScanResult, from_dict, to_dict

from .base import Analyzer, AnalyzerResult


def analyze(intake: Intake, ctx: Context, found: ScanResult) -> AnalyzerResult:
    if intake.facts.format != "jpeg":
        return AnalyzerResult.skip("not a JPEG file")
    data = jpeg_quant.analyze(intake.full_pixels())
    if data is None:
        return AnalyzerResult.skip("the JPEG's quantisation tables could not be read")
    return AnalyzerResult(from_dict(JpegTables, data))


def findings(result: ScanResult) -> list[Finding]:
    found: list[Finding] = []
    jpeg = result.forensics.jpeg
    if jpeg is None:
        return found
    cam = result.metadata.camera
    if jpeg.standard_ijg_tables and (cam.make or cam.model):
        found.append(
            Finding(
                "jpeg.reencoded",
                "editing",
                "statistical",
                f"The JPEG uses libjpeg's standard tables at quality {jpeg.estimated_quality}: most cameras use "
                "tables of their own, so the file was probably re-encoded by software after capture.",
                {"estimated_quality": jpeg.estimated_quality},
            )
        )
    double = jpeg.double_compression
    if not double.assessable:
        found.append(
            Finding(
                "jpeg.double_compression_not_assessable",
                "neutral",
                "context",
                f"The double-compression check is not assessable here: {double.not_assessable_because}.",
                to_dict(double),
            )
        )
    if double.indicated:
        found.append(
            Finding(
                "jpeg.double_compression",
                "editing",
                "statistical",
                f"A JPEG ghost suggests an earlier save at quality about {double.earlier_quality}: the image was "
                "probably compressed more than once (common after editing or re-sharing).",
                to_dict(double),
            )
        )
    return found


ANALYZER = Analyzer(
    id="jpeg",
    version="1.0",
    needs="full_pixels",
    output="forensics.jpeg",
    description="JPEG quality, standard (software) tables, and a JPEG ghost for double compression",
    analyze=analyze,
    findings=findings,
    switch="forensics",
    rules=("jpeg.reencoded", "jpeg.double_compression", "jpeg.double_compression_not_assessable"),
    reading="The quality the file was last saved at, estimated from its quantisation tables; standard libjpeg "
    "tables mean software wrote the file (most cameras use their own). A dip in the ghost curve below that "
    "quality suggests an earlier save at the dip's quality. Re-sharing by platforms also re-compresses.",
)
