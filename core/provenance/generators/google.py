"""Google's AI credit line: "Made with Google AI" (generated) or "Edited with Google AI"
(edited), in IPTC Credit or XMP ``photoshop:Credit``, beside an IPTC digital source type."""

from __future__ import annotations

from core.schema import Generator

from .common import GeneratorSource, declared

_PHRASES = {"made with google ai": "generation", "edited with google ai": "edit"}


def detect(src: GeneratorSource) -> Generator | None:
    for where, value in (
        ("xmp:photoshop:Credit", src.xmp.get("photoshop:Credit")),
        ("iptc:Credit", src.iptc.get("Credit")),
    ):
        values = value if isinstance(value, list) else [value]
        for text in values:
            if isinstance(text, str) and text.strip().lower() in _PHRASES:
                return declared(
                    "google",
                    text.strip(),
                    where,
                    _PHRASES[text.strip().lower()],
                )
    return None
