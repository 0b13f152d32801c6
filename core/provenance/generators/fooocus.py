"""Fooocus: a JSON ``parameters`` chunk (with a ``fooocus_scheme`` chunk beside it), or
A1111-style infotext whose ``Version`` names Fooocus (handled by the A1111 parser)."""

from __future__ import annotations

from core.schema import Generator

from .common import GeneratorSource, PayloadError, declared, load_json, plain_settings, short


def detect(src: GeneratorSource) -> Generator | None:
    text = src.text("parameters")
    scheme = src.text("fooocus_scheme")
    if not text or not text.lstrip().startswith("{"):
        return None
    try:
        meta = load_json(text)
    except PayloadError as exc:
        if scheme:
            return declared("fooocus", "Fooocus", "png:parameters", error=str(exc))
        return None
    if not isinstance(meta, dict):
        return None
    version = str(meta.get("version") or meta.get("Version") or "")
    if not scheme and "fooocus" not in version.lower() and "full_prompt" not in meta:
        return None
    return declared(
        "fooocus",
        "Fooocus",
        "png:parameters",
        model=short(meta.get("base_model") or meta.get("Base Model")),
        prompt=short(meta.get("prompt") or meta.get("Prompt")),
        negative_prompt=short(meta.get("negative_prompt") or meta.get("Negative Prompt")),
        seed=short(meta.get("seed") or meta.get("Seed")),
        settings=plain_settings(meta),
    )
