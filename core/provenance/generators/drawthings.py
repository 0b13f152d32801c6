"""Draw Things (iOS/macOS): XMP ``xmp:CreatorTool`` "Draw Things" and a JSON
``exif:UserComment`` in the XMP packet (``c`` prompt, ``uc`` negative, ``seed``, ``model``)."""

from __future__ import annotations

from core.schema import Generator

from .common import GeneratorSource, PayloadError, declared, load_json, plain_settings, short


def detect(src: GeneratorSource) -> Generator | None:
    creator = src.xmp.get("xmp:CreatorTool")
    if not (isinstance(creator, str) and creator.strip().lower().startswith("draw things")):
        return None
    comment = src.xmp.get("exif:UserComment")
    if isinstance(comment, list):
        comment = comment[0] if comment else None
    meta, error = {}, None
    if isinstance(comment, str) and comment.strip():
        try:
            loaded = load_json(comment)
            meta = loaded if isinstance(loaded, dict) else {}
        except PayloadError as exc:
            error = str(exc)
    return declared(
        "drawthings",
        "Draw Things",
        "xmp:CreatorTool+UserComment",
        model=short(meta.get("model")),
        prompt=short(meta.get("c")),
        negative_prompt=short(meta.get("uc")),
        seed=short(meta.get("seed")),
        settings=plain_settings({k: v for k, v in meta.items() if k not in ("c", "uc")}),
        error=error,
    )
