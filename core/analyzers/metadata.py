"""The metadata analyzer: every block the file carries (EXIF, XMP, IPTC IIM, PNG text, ICC,
the EXIF thumbnail), read by ``core.metadata``, and what the ledger says about them: the
camera summary and its coherence with the pixels, editing software, placeholder values,
damaged blocks."""

from __future__ import annotations

from PIL import PngImagePlugin

from core.context import Context
from core.escaping import quote
from core.intake import Intake
from core.intake.decode import png_icc_dropped
from core.metadata import extract_metadata
from core.schema import Finding, Notice, ScanResult, to_dict

from .base import Analyzer, AnalyzerResult, library_version

CAVEAT_CAMERA_METADATA = (
    "Camera metadata can be copied into any file or edited; it supports a camera origin only weakly and "
    "is not evidence of authenticity."
)

# Damage met while reading metadata, worth a line in the ledger (the notice keeps the details).
DAMAGE_NOTICES = {
    "xmp_unsafe": "The XMP metadata declares XML entities, a known attack pattern; it was not expanded or read.",
    "xmp_malformed": "The XMP metadata is damaged and could not be read.",
    "exif_malformed": "The EXIF metadata is damaged and could not be fully read.",
    "iptc_malformed": "The IPTC metadata is damaged and could not be read.",
    "png_text_malformed": "A PNG text chunk is damaged.",
    "png_chunk_truncated": "The PNG's chunk structure is cut short.",
    "generator_payload_damaged": "A generator's metadata is present but damaged.",
    "icc_dropped": "The PNG's ICC colour profile is far larger than any real one and was not read.",
}
# Editing events quoted in the finding's data (the result keeps up to 20).
MAX_EDITING_SHOWN = 10


def analyze(intake: Intake, ctx: Context, found: ScanResult) -> AnalyzerResult:
    header = intake.decoded.image if intake.decoded else None
    result = AnalyzerResult(*extract_metadata(intake.data, header))
    if intake.sniffed.format == "png" and png_icc_dropped(intake.data):
        result.notices.append(Notice("icc_dropped", ICC_DROPPED))
    return result


ICC_DROPPED = (
    f"the PNG's ICC colour profile (iCCP) inflates past {PngImagePlugin.MAX_TEXT_CHUNK:,} bytes, more than any "
    "real profile (a compression bomb?): it was not read, and the pixels were analysed as sRGB"
)


def capture_summary(result: ScanResult) -> dict:
    """How complete and coherent the camera metadata is: ``status`` is ``coherent`` (camera,
    capture date, nothing contradicts the pixels), ``partial`` (a camera without a date, or
    the reverse), ``inconsistent`` (the metadata contradicts the image: EXIF dimensions or
    the embedded thumbnail), or ``absent`` (no camera and no capture date)."""
    meta, f = result.metadata, result.file
    cam = meta.camera
    dims = meta.exif_dimensions
    pixel_sizes = {(f.stored_width, f.stored_height), (f.width, f.height)}
    dims_match = None if dims is None or f.width is None else (dims.width, dims.height) in pixel_sizes
    thumb = result.forensics.thumbnail
    thumb_match = None if meta.thumbnail is None or thumb is None else not thumb.differs
    summary = {
        "camera": cam.display_name() or None,
        "lens": cam.lens,
        "datetime_original": meta.datetime_original,
        "thumbnail": meta.thumbnail is not None,
        "thumbnail_matches": thumb_match,
        "exif_dimensions_match": dims_match,
        "editing_software": bool(meta.editing),
        "placeholders": [p.field for p in meta.placeholders],
    }
    if not (cam.make or cam.model or meta.datetime_original):
        summary["status"] = "absent"
    elif dims_match is False or thumb_match is False:
        summary["status"] = "inconsistent"
    elif (cam.make or cam.model) and meta.datetime_original:
        summary["status"] = "coherent"
    else:
        summary["status"] = "partial"
    return summary


def findings(result: ScanResult) -> list[Finding]:
    """Camera metadata (with its coherence), editing software, placeholder values, damaged blocks."""
    findings: list[Finding] = []
    meta = result.metadata
    summary = capture_summary(result)
    if summary["status"] == "absent":
        if result.status == "ok":
            findings.append(
                Finding(
                    "metadata.no_camera",
                    "neutral",
                    "context",
                    "No camera make or model and no capture date are recorded. Many platforms strip metadata, "
                    "so this proves nothing.",
                    summary,
                )
            )
    else:
        findings.append(
            Finding(
                "metadata.camera",
                "capture",
                "context",
                _capture_sentence(result, summary),
                summary,
            )
        )
    if meta.editing:
        names = meta.editing_software()
        where = sorted({e.where for e in meta.editing})
        named = ", ".join(quote(n, 60) for n in names[:3]) or "an edit history"
        findings.append(
            Finding(
                "metadata.editing_software",
                "editing",
                "context",
                f"The metadata names editing software: {named} ({', '.join(where)}). Editing is common and legitimate; "
                "it shows the file is not straight from a camera, not that its content was altered.",
                {"editing": [to_dict(e) for e in meta.editing[:MAX_EDITING_SHOWN]]},
            )
        )
    for placeholder in meta.placeholders:
        findings.append(
            Finding(
                "metadata.placeholder",
                "neutral",
                "context",
                f"The {placeholder.field} recorded ({quote(placeholder.value, 40)}) is a placeholder, not a real "
                f"value: {placeholder.reason}. It is not shown as a place or time.",
                to_dict(placeholder),
            )
        )
    for notice in result.notices:
        if notice.code in DAMAGE_NOTICES:
            findings.append(
                Finding(
                    f"metadata.{notice.code}",
                    "neutral",
                    "context",
                    f"{DAMAGE_NOTICES[notice.code]} Details: {quote(notice.message, 160)}",
                    {"code": notice.code},
                )
            )
    return findings


def _capture_sentence(result: ScanResult, summary: dict) -> str:
    meta, f = result.metadata, result.file
    have = []
    if summary["camera"]:
        have.append(f"a camera ({quote(summary['camera'])})")
    if summary["lens"]:
        have.append(f"a lens ({quote(summary['lens'], 60)})")
    if summary["datetime_original"]:
        have.append(f"a capture date ({summary['datetime_original']})")
    if summary["thumbnail_matches"]:
        have.append("an embedded thumbnail that matches the image")
    listed = ", ".join(have[:-1]) + (" and " if len(have) > 1 else "") + have[-1]
    status = summary["status"]
    if status == "inconsistent":
        problems = []
        if summary["exif_dimensions_match"] is False:
            d = meta.exif_dimensions
            problems.append(
                f"the EXIF dimensions ({d.width}x{d.height}) differ from the pixels ({f.width}x{f.height})"
            )
        if summary["thumbnail_matches"] is False:
            problems.append("the embedded thumbnail shows a different picture")
        detail = (
            f"The metadata names {listed}, but it does not fit the image: {'; '.join(problems)}. "
            "The image was probably resized, cropped or edited after capture."
        )
    elif status == "coherent":
        detail = f"The metadata names {listed}, and nothing in it contradicts the image."
    else:
        missing = "no capture date" if not summary["datetime_original"] else "no camera make or model"
        detail = f"The metadata names {listed}, with {missing}."
    return f"{detail} {CAVEAT_CAMERA_METADATA}"


ANALYZER = Analyzer(
    id="metadata",
    version=f"1.1 ({library_version('exiv2', 'exifread', 'pillow', 'defusedxml')})",
    needs="bytes",
    output="metadata",
    description="EXIF (Exiv2, cross-checked with exifread and Pillow), XMP, IPTC IIM, PNG text, ICC and the EXIF "
    "thumbnail",
    analyze=analyze,
    findings=findings,
    rules=(
        "metadata.camera",
        "metadata.no_camera",
        "metadata.editing_software",
        "metadata.placeholder",
        "metadata.<damage notice>",
    ),
)
