"""SwarmUI (StableSwarmUI): JSON with an ``sui_image_params`` object, in the PNG
``parameters`` chunk or in EXIF UserComment."""

from __future__ import annotations

from core.schema import Generator

from .common import GeneratorSource, PayloadError, declared, load_json, plain_settings, short


def detect(src: GeneratorSource) -> Generator | None:
    for where, text in (
        ("png:parameters", src.text("parameters")),
        ("exif:UserComment", src.exif.get("EXIF UserComment")),
    ):
        if not isinstance(text, str) or "sui_image_params" not in text:
            continue
        try:
            meta = load_json(text)
        except PayloadError as exc:
            return declared("swarmui", "SwarmUI", where, error=str(exc))
        params = meta.get("sui_image_params") if isinstance(meta, dict) else None
        params = params if isinstance(params, dict) else {}
        return declared(
            "swarmui",
            "SwarmUI",
            where,
            model=short(params.get("model")),
            prompt=short(params.get("prompt")),
            negative_prompt=short(params.get("negativeprompt")),
            seed=short(params.get("seed")),
            settings=plain_settings(
                {k: v for k, v in params.items() if k not in ("prompt", "negativeprompt")}
            ),
        )
    return None
