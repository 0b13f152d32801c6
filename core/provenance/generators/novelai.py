"""NovelAI: PNG ``Software`` = "NovelAI", ``Source`` (the model), ``Comment`` (JSON
settings with ``prompt`` and ``uc``); or the same JSON hidden in pixel LSBs (stealth)."""

from __future__ import annotations

from typing import Any

from core.schema import Generator

from .a1111 import from_infotext
from .common import GeneratorSource, PayloadError, declared, load_json, plain_settings, short
from .stealth import read_stealth


def _from_comment(comment: Any, where: str, source: str | None) -> Generator:
    meta = comment if isinstance(comment, dict) else {}
    return declared(
        "novelai",
        "NovelAI",
        where,
        model=short(source or meta.get("model")),
        prompt=short(meta.get("prompt")),
        negative_prompt=short(meta.get("uc")),
        seed=short(meta.get("seed")),
        settings=plain_settings({k: v for k, v in meta.items() if k not in ("prompt", "uc")}),
    )


def detect(src: GeneratorSource) -> Generator | None:
    software = src.text("Software") or ""
    if software.strip().lower().startswith("novelai"):
        comment = src.text("Comment")
        try:
            parsed = load_json(comment) if comment else {}
        except PayloadError as exc:
            return declared("novelai", "NovelAI", "png:Comment", error=str(exc))
        found = _from_comment(parsed, "png:Software+Comment", src.text("Source"))
        found.prompt = found.prompt or short(src.text("Description"))
        return found
    return detect_stealth(src)


def detect_stealth(src: GeneratorSource) -> Generator | None:
    image = src.full_image()
    if image is None:
        return None
    try:
        found = read_stealth(image)
    except (ValueError, OSError, EOFError) as exc:
        return declared("novelai", "NovelAI (stealth pixels)", "pixels:lsb", error=str(exc))
    if found is None:
        return None
    magic, payload = found
    where = f"pixels:{magic}"
    try:
        meta = load_json(payload)
    except PayloadError:
        # The A1111 "stealth pnginfo" extension hides plain infotext the same way.
        return from_infotext(payload, where)
    if isinstance(meta, dict) and isinstance(meta.get("Comment"), str):
        try:
            comment = load_json(meta["Comment"])
        except PayloadError:
            comment = {}
        return _from_comment(comment, where, meta.get("Source"))
    return _from_comment(meta, where, None)
