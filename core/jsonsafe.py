"""Make parsed metadata values safe for JSON without silently dropping anything.

Bytes that decode as printable UTF-8 become text; other bytes become a hex string
that says how long the value was and how much of it is shown. NaN and infinities
become strings (JSON has no such numbers). Rationals become floats.
"""

from __future__ import annotations

import math
from fractions import Fraction
from numbers import Rational
from typing import Any

# Longest binary value shown in full, in bytes; longer ones show this many and say so.
HEX_PREVIEW_BYTES = 64
# Longest text kept from one value, in characters; longer ones are cut and say so.
MAX_TEXT_CHARS = 100_000


def bytes_to_text(value: bytes) -> str | None:
    """Decode bytes that are plain text (trailing NULs removed), else None."""
    stripped = value.rstrip(b"\x00")
    try:
        text = stripped.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if all(ch.isprintable() or ch in "\r\n\t" for ch in text):
        return text
    return None


def describe_bytes(value: bytes) -> str:
    """``hex:<digits>`` for short values; longer ones name their full length."""
    if len(value) <= HEX_PREVIEW_BYTES:
        return "hex:" + value.hex()
    return f"hex:{value[:HEX_PREVIEW_BYTES].hex()}... ({len(value):,} bytes, first {HEX_PREVIEW_BYTES} shown)"


def clean_text(text: str, limit: int = MAX_TEXT_CHARS) -> str:
    """Drop NUL characters; cut text longer than ``limit``, saying so in the value."""
    return cut_text(text.replace("\x00", ""), limit)


def cut_text(text: str, limit: int = MAX_TEXT_CHARS) -> str:
    """Text longer than ``limit`` cut, saying so in the value."""
    if len(text) > limit:
        return text[:limit] + f"... ({len(text):,} characters, first {limit:,} kept)"
    return text


def json_safe(value: Any, _depth: int = 0) -> Any:
    """Recursively convert a parsed value into JSON-safe Python types."""
    if _depth > 32:
        return "(nested too deeply to show)"
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, bytes | bytearray | memoryview):
        raw = bytes(value)
        text = bytes_to_text(raw)
        return clean_text(text) if text is not None else describe_bytes(raw)
    if isinstance(value, Fraction | Rational):
        if value.denominator == 0:
            return f"{value.numerator}/0"
        return float(value)
    if hasattr(value, "numerator") and hasattr(value, "denominator"):  # exifread and Pillow ratios
        num, den = value.numerator, value.denominator
        return float(num) / float(den) if den else f"{num}/0"
    if isinstance(value, dict):
        return {str(k): json_safe(v, _depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [json_safe(v, _depth + 1) for v in value]
    return clean_text(str(value))
