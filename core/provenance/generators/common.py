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

from core.jsonsafe import clean_text
from core.schema import Generator

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


def declared(tool: str, name: str, where: str, declares: str = "generation", **fields: Any) -> Generator:
    """A recognised generator signature."""
    return Generator(tool=tool, name=name, confidence="declared", declares=declares, where=where, **fields)


# Product names, as they appear in software fields, C2PA claim generators, software agents
# and signer names -> tool id. One table for every place that names a tool.
KNOWN_PRODUCTS = (
    (re.compile(r"firefly", re.I), "adobe-firefly"),
    (re.compile(r"\bopenai\b|chatgpt|dall[\s\-·.]*e\b|\bsora\b|gpt-4o|gpt-image", re.I), "openai"),
    (re.compile(r"\bmidjourney\b", re.I), "midjourney"),
    (re.compile(r"\bnovelai\b", re.I), "novelai"),
    (re.compile(r"\bcomfyui\b", re.I), "comfyui"),
    (re.compile(r"\binvokeai\b", re.I), "invokeai"),
    (re.compile(r"\bfooocus\b", re.I), "fooocus"),
    (re.compile(r"\bswarmui\b", re.I), "swarmui"),
    (re.compile(r"\bstable[\s\-]*diffusion\b|\bautomatic1111\b", re.I), "automatic1111"),
    # Not "Imagen" or "Gemini" alone: "imagen" is Spanish for "image" in software names.
    (re.compile(r"made with google ai|google imagen|google gemini", re.I), "google"),
    (re.compile(r"microsoft designer|bing image creator", re.I), "microsoft"),
    (re.compile(r"stability ai", re.I), "stability-ai"),
    (re.compile(r"\brunway(ml)?\b", re.I), "runway"),
    (re.compile(r"black forest labs", re.I), "black-forest-labs"),
    (re.compile(r"\bmeta ai\b", re.I), "meta"),
    (re.compile(r"leonardo\.ai|\bleonardo ai\b", re.I), "leonardo"),
    (re.compile(r"\bideogram\b", re.I), "ideogram"),
)


def known_tool(text: str | None) -> str | None:
    """The tool id a product name refers to, or None."""
    if not text:
        return None
    return next((tool for pattern, tool in KNOWN_PRODUCTS if pattern.search(text)), None)
