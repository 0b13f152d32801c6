"""What every generator parser reads, and the helpers they share.

Getting metadata is done once, per format, by ``core.metadata``; the parsers here only
*interpret* it (the split that sd-parsers uses). Each parser is a small function
``detect(source) -> Generator | None`` registered in ``generators.PARSERS``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from PIL import Image

from core.metadata.jsonsafe import clean_text

# Largest JSON payload parsed (ComfyUI workflows reach a few MB).
MAX_JSON_BYTES = 16 * 1024 * 1024
# Longest prompt kept in results, in characters.
MAX_PROMPT_CHARS = 20_000


@dataclass
class GeneratorSource:
    """Everything a parser may look at, already extracted from the file."""

    png_text: dict[str, str] = field(default_factory=dict)  # keyword -> text (first chunk wins)
    exif: dict[str, Any] = field(default_factory=dict)  # the EXIF dump ("IFD Tag" -> value)
    xmp: dict[str, Any] = field(default_factory=dict)
    iptc: dict[str, Any] = field(default_factory=dict)
    software: str | None = None
    full_image: Callable[[], Image.Image | None] = lambda: None  # the full-resolution pixels, on demand

    def text(self, *keys: str) -> str | None:
        """The first PNG text chunk among ``keys`` (case-insensitive)."""
        lowered = {k.lower(): v for k, v in self.png_text.items()}
        for key in keys:
            value = lowered.get(key.lower())
            if isinstance(value, str) and value.strip():
                return value
        return None


class PayloadError(ValueError):
    """A generator's signature is there but its payload cannot be read."""


def load_json(text: str) -> Any:
    """Parse untrusted JSON with a size limit; deep nesting or bad syntax raise PayloadError."""
    if len(text) > MAX_JSON_BYTES:
        raise PayloadError(f"JSON payload larger than {MAX_JSON_BYTES:,} characters")
    try:
        return json.loads(text)
    except RecursionError:
        raise PayloadError("JSON payload nested too deeply to parse") from None
    except ValueError as exc:
        raise PayloadError(f"JSON payload is not valid: {str(exc)[:120]}") from None


def short(value: Any, limit: int = MAX_PROMPT_CHARS) -> str | None:
    """A cleaned, length-bounded string, or None."""
    if value is None or isinstance(value, dict | list):
        return None
    text = clean_text(str(value), limit=limit).strip()
    return text or None


def plain_settings(values: dict[str, Any], limit: int = 40) -> dict[str, str]:
    """Scalar settings only, as short strings (the full payload stays in metadata.raw)."""
    out: dict[str, str] = {}
    for key, value in list(values.items())[:limit]:
        if isinstance(value, str | int | float | bool):
            out[clean_text(str(key), 80)] = clean_text(str(value), 300)
    return out


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "unknown"
