"""AUTOMATIC1111 Stable Diffusion web UI, and its forks Forge and SD.Next.

They write one text block ("infotext"): the prompt, an optional ``Negative prompt:``
line, and a last line of ``Key: value`` settings starting with ``Steps:``. It sits in a
PNG ``parameters`` chunk, or in EXIF UserComment for JPEG and WebP.
"""

from __future__ import annotations

import re

from core.schema import Generator

from .common import GeneratorSource, declared, plain_settings, short

_STEPS_LINE = re.compile(r"^Steps:\s*\d+", re.M)
# Longest setting name kept (real ones are a few words).
MAX_KEY_CHARS = 80


def _settings(line: str) -> dict[str, str]:
    """``Key: value, Key: "quoted, value"`` in one linear pass: a regex with a lazy key can
    backtrack for minutes on a crafted line such as ``"a " * 200000``."""
    items: list[str] = []
    start, quoted, escaped = 0, False, False
    for i, ch in enumerate(line):
        if escaped:
            escaped = False
        elif ch == "\\" and quoted:
            escaped = True
        elif ch == '"':
            quoted = not quoted
        elif ch == "," and not quoted:
            items.append(line[start:i])
            start = i + 1
    items.append(line[start:])
    settings: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition(":")
        key = key.strip()
        if sep and key and len(key) <= MAX_KEY_CHARS:
            settings[key] = value.strip().strip('"')
    return settings


def parse_infotext(text: str) -> tuple[str | None, str | None, dict[str, str]] | None:
    """Split infotext into (prompt, negative prompt, settings); None if it is not infotext."""
    matches = list(_STEPS_LINE.finditer(text))
    if not matches:
        return None
    start = matches[-1].start()
    settings_line = text[start:].splitlines()[0]
    head = text[:start].rstrip("\n")
    settings = _settings(settings_line)
    prompt, _, negative = head.partition("Negative prompt:")
    if not _:
        negative = ""
    return short(prompt), short(negative), settings


def from_infotext(text: str, where: str) -> Generator | None:
    parsed = parse_infotext(text)
    if parsed is None:
        return None
    prompt, negative, settings = parsed
    version = settings.get("Version", "")
    if "fooocus" in version.lower():
        tool, name = "fooocus", "Fooocus"
    elif settings.get("App", "").lower() == "sd.next":
        tool, name = "automatic1111", "SD.Next"
    elif re.match(r"^f\d", version) or "forge" in version.lower():
        tool, name = "automatic1111", "Stable Diffusion web UI Forge"
    else:
        tool, name = "automatic1111", "Stable Diffusion web UI (AUTOMATIC1111)"
    return declared(
        tool,
        name,
        where,
        model=short(settings.get("Model") or settings.get("Model hash")),
        prompt=prompt,
        negative_prompt=negative,
        seed=short(settings.get("Seed")),
        settings=plain_settings(settings),
    )


def detect(src: GeneratorSource) -> Generator | None:
    text = src.text("parameters")
    if text:
        found = from_infotext(text, "png:parameters")
        if found:
            return found
    comment = src.exif.get("EXIF UserComment")
    if isinstance(comment, str):
        return from_infotext(comment, "exif:UserComment")
    return None
