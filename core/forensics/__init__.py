"""Pixel and file forensics: numbers for every file, maps for the analyst to look at.

Each analyzer returns JSON-safe numbers (stored in ``result.forensics[name]``) and,
where it makes sense, a ``render`` function that draws its map from the same pixels
(the dashboard calls it; nothing is drawn during batch scans). Only checks with a
clear reading produce ledger findings (re-encoding, double compression, a mismatched
thumbnail, hidden trailing data); ELA, noise and spectrum stay numbers and maps,
because their thresholds depend on content and are not calibrated here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PIL import Image

from core.schema import Finding, Notice

from . import ela, file_structure, jpeg_quant, noise, spectrum

# name -> (analyze(image) -> dict | None, render(image) -> Image | None)
PIXEL_ANALYZERS: tuple[
    tuple[str, Callable[[Image.Image], dict | None], Callable[[Image.Image], Image.Image] | None], ...
] = (
    ("ela", ela.analyze, ela.render),
    ("noise", noise.analyze, noise.render),
    ("spectrum", spectrum.analyze, spectrum.render),
    ("jpeg", jpeg_quant.analyze, None),
)
RENDERERS = {name: render for name, _, render in PIXEL_ANALYZERS if render is not None}


def run_forensics(
    data: bytes, fmt: str | None, full_image: Image.Image | None, thumbnail: bytes | None
) -> tuple[dict[str, Any], list[Notice]]:
    """Every forensic number for one file; a failing analyzer becomes a notice."""
    out: dict[str, Any] = {}
    notices: list[Notice] = []
    checks: list[tuple[str, Callable[[], dict | None]]] = [
        ("trailing_data", lambda: file_structure.trailing_data(data, fmt)),
    ]
    if full_image is not None:
        checks += [(name, (lambda fn=fn: fn(full_image))) for name, fn, _ in PIXEL_ANALYZERS]
        checks.append(("thumbnail", lambda: file_structure.thumbnail_mismatch(thumbnail, full_image)))
    for name, check in checks:
        try:
            value = check()
        except Exception as exc:
            notices.append(Notice("forensics_failed", f"{name}: {type(exc).__name__}: {str(exc)[:200]}"))
            continue
        if value is not None:
            out[name] = value
    return out, notices


def render_maps(full_image: Image.Image) -> dict[str, Image.Image]:
    """Every forensic map of one image (for display; the numbers come from ``run_forensics``)."""
    maps = {}
    for name, render in RENDERERS.items():
        try:
            maps[name] = render(full_image)
        except Exception:  # a map that cannot be drawn is simply not shown
            continue
    return maps


def forensic_findings(forensics: dict[str, Any], camera_named: bool) -> list[Finding]:
    findings: list[Finding] = []
    trailing = forensics.get("trailing_data") or {}
    if (
        trailing.get("bytes")
        and trailing.get("kind") not in ("padding", "none")
        and not str(trailing.get("kind", "")).startswith("appended JPEG images")
    ):
        findings.append(Finding(
            "file.trailing_data", "neutral", "context",
            f"{trailing['bytes']:,} bytes follow the end of the image ({trailing['kind']}); viewers do not show them.",
            trailing,
        ))  # fmt: skip
    thumb = forensics.get("thumbnail") or {}
    if thumb.get("differs"):
        findings.append(Finding(
            "file.thumbnail_mismatch", "editing", "statistical",
            "The embedded EXIF thumbnail does not match the main image: the picture was probably changed after "
            "the thumbnail was written.",
            thumb,
        ))  # fmt: skip
    jpeg = forensics.get("jpeg") or {}
    if jpeg.get("standard_ijg_tables") and camera_named:
        findings.append(Finding(
            "jpeg.reencoded", "editing", "statistical",
            f"The JPEG uses libjpeg's standard tables at quality {jpeg['estimated_quality']}: most cameras use "
            "tables of their own, so the file was probably re-encoded by software after capture.",
            {"estimated_quality": jpeg["estimated_quality"]},
        ))  # fmt: skip
    double = jpeg.get("double_compression") or {}
    if double.get("assessable") is False:
        findings.append(Finding(
            "jpeg.double_compression_not_assessable", "neutral", "context",
            f"The double-compression check is not assessable here: {double['not_assessable_because']}.",
            double,
        ))  # fmt: skip
    if double.get("indicated"):
        findings.append(Finding(
            "jpeg.double_compression", "editing", "statistical",
            f"A JPEG ghost suggests an earlier save at quality about {double['earlier_quality']}: the image was "
            "probably compressed more than once (common after editing or re-sharing).",
            double,
        ))  # fmt: skip
    return findings
