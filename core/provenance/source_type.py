"""IPTC Digital Source Type (NewsCodes vocabulary ``digitalsourcetype``), matched on the full code.

The same vocabulary appears in XMP (``Iptc4xmpExt:DigitalSourceType``) and in C2PA
actions (``digitalSourceType``). Codes are compared whole, never by substring:
``trainedAlgorithmicMedia`` (AI-generated) is not ``compositeWithTrainedAlgorithmicMedia``
(a composite that includes AI-generated elements) and not ``digitalCapture``.
Reference: https://cv.iptc.org/newscodes/digitalsourcetype/
"""

from __future__ import annotations

from typing import Any

from core.schema import SourceType

# Code -> category. Categories drive the ledger; codes are kept verbatim in results.
CATEGORIES = {
    "trainedAlgorithmicMedia": "ai_generated",
    "compositeWithTrainedAlgorithmicMedia": "ai_edited",
    "algorithmicMedia": "algorithmic",
    "compositeSynthetic": "composite",
    "composite": "composite",
    "digitalCapture": "capture",
    "computationalCapture": "capture",
    "negativeFilm": "capture",
    "positiveFilm": "capture",
    "print": "capture",
    "compositeCapture": "edited_capture",
    "humanEdits": "edited_capture",
    "minorHumanEdits": "edited_capture",
    "algorithmicallyEnhanced": "edited_capture",
    "digitalCreation": "created",
    "digitalArt": "created",
    "dataDrivenMedia": "created",
    "virtualRecording": "created",
    "screenCapture": "created",
    "softwareImage": "created",
}

_PREFIXES = (
    "http://cv.iptc.org/newscodes/digitalsourcetype/",
    "https://cv.iptc.org/newscodes/digitalsourcetype/",
)


def parse_source_type(value: Any, where: str) -> SourceType | None:
    """A declared source type, or None when the value is empty. Unknown codes are kept as 'unknown'."""
    if not isinstance(value, str) or not value.strip():
        return None
    uri = value.strip()
    code = uri
    for prefix in _PREFIXES:
        if uri.lower().startswith(prefix):
            code = uri[len(prefix) :]
            break
    code = code.strip().strip("/")
    return SourceType(code=code, category=CATEGORIES.get(code, "unknown"), where=where, uri=uri)


def xmp_source_types(xmp: dict[str, Any]) -> list[SourceType]:
    """Every DigitalSourceType in the XMP properties (a bag of them is allowed)."""
    value = xmp.get("Iptc4xmpExt:DigitalSourceType")
    values = value if isinstance(value, list) else [value]
    return [st for v in values if (st := parse_source_type(v, "xmp")) is not None]
