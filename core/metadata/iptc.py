"""IPTC IIM (IPTC-NAA Information Interchange Model 4.2), via Pillow's IPTC reader.

JPEG carries IIM in the Photoshop APP13 resource 0x0404; TIFF in tag 33723. Record 1
dataset 90 declares the character set (``ESC % G`` = UTF-8); without it, text is
decoded as UTF-8 when valid and Latin-1 otherwise, as most writers do.
"""

from __future__ import annotations

from typing import Any

from PIL import Image, IptcImagePlugin

from core.jsonsafe import clean_text, describe_bytes

# Application record (2:xx) datasets people search for; others keep their numeric name.
DATASETS = {
    (2, 5): "ObjectName",
    (2, 15): "Category",
    (2, 25): "Keywords",
    (2, 40): "SpecialInstructions",
    (2, 55): "DateCreated",
    (2, 60): "TimeCreated",
    (2, 65): "OriginatingProgram",
    (2, 70): "ProgramVersion",
    (2, 80): "By-line",
    (2, 85): "By-lineTitle",
    (2, 90): "City",
    (2, 92): "Sub-location",
    (2, 95): "Province-State",
    (2, 100): "Country-PrimaryLocationCode",
    (2, 101): "Country-PrimaryLocationName",
    (2, 103): "OriginalTransmissionReference",
    (2, 105): "Headline",
    (2, 110): "Credit",
    (2, 115): "Source",
    (2, 116): "CopyrightNotice",
    (2, 118): "Contact",
    (2, 120): "Caption-Abstract",
    (2, 122): "Writer-Editor",
}
_UTF8_MARKER = b"\x1b%G"


def read_iptc(image: Image.Image | None) -> tuple[dict[str, Any], str | None]:
    """IIM datasets as ``{name: text or [texts]}``; (empty, None) when absent."""
    if image is None:
        return {}, None
    try:
        info = IptcImagePlugin.getiptcinfo(image)
    except Exception as exc:  # a damaged APP13 block
        return {}, f"{type(exc).__name__}: {str(exc)[:200]}"
    if not info:
        return {}, None
    utf8 = info.get((1, 90)) == _UTF8_MARKER
    out: dict[str, Any] = {}
    for key, value in info.items():
        if key[0] == 1:  # envelope record: transport details, not content
            continue
        name = DATASETS.get(key, f"{key[0]}:{key[1]}")
        if isinstance(value, list):
            out[name] = [_text(v, utf8) for v in value]
        else:
            out[name] = _text(value, utf8)
    return out, None


def _text(value: bytes, utf8: bool) -> str:
    if not isinstance(value, bytes):
        return clean_text(str(value))
    if b"\x00" in value.rstrip(b"\x00") and not utf8:
        return describe_bytes(value)
    try:
        return clean_text(value.decode("utf-8"))
    except UnicodeDecodeError:
        return describe_bytes(value) if utf8 else clean_text(value.decode("latin-1"))
