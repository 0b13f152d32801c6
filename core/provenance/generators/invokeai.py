"""InvokeAI: ``invokeai_metadata`` (JSON, 3.x and later), ``sd-metadata`` (JSON, 2.x) and
``Dream`` (a command line, 1.x) PNG chunks."""

from __future__ import annotations

import re
from typing import Any

from core.schema import Generator

from .common import GeneratorSource, PayloadError, declared, load_json, plain_settings, short


def _model_name(model: Any) -> str | None:
    if isinstance(model, dict):
        return short(model.get("name") or model.get("model_name"))
    return short(model)


def _generator(where: str, **fields: Any) -> Generator:
    return declared("invokeai", "InvokeAI", where, **fields)


def detect(src: GeneratorSource) -> Generator | None:
    text = src.text("invokeai_metadata")
    if text:
        try:
            meta = load_json(text)
        except PayloadError as exc:
            return _generator("png:invokeai_metadata", error=str(exc))
        if not isinstance(meta, dict):
            return _generator("png:invokeai_metadata", error="not a JSON object")
        return _generator(
            "png:invokeai_metadata",
            model=_model_name(meta.get("model")),
            prompt=short(meta.get("positive_prompt")),
            negative_prompt=short(meta.get("negative_prompt")),
            seed=short(meta.get("seed")),
            settings=plain_settings(
                {k: v for k, v in meta.items() if k not in ("positive_prompt", "negative_prompt")}
            ),
        )
    text = src.text("sd-metadata")
    if text:
        try:
            meta = load_json(text)
        except PayloadError as exc:
            return _generator("png:sd-metadata", error=str(exc))
        image = meta.get("image") if isinstance(meta, dict) and isinstance(meta.get("image"), dict) else {}
        prompt = image.get("prompt")
        if isinstance(prompt, list) and prompt and isinstance(prompt[0], dict):
            prompt = prompt[0].get("prompt")
        return _generator(
            "png:sd-metadata",
            model=short(meta.get("model_weights")) if isinstance(meta, dict) else None,
            prompt=short(prompt),
            seed=short(image.get("seed")),
            settings=plain_settings(image),
        )
    text = src.text("Dream")
    if text:
        m = re.match(r'\s*"((?:\\.|[^"\\])*)"(.*)', text, re.S)
        seed = re.search(r"\s-S\s*(\d+)", text)
        return _generator(
            "png:Dream",
            prompt=short(m.group(1) if m else text),
            seed=seed.group(1) if seed else None,
            settings={"command": short(text, 500) or ""},
        )
    return None
