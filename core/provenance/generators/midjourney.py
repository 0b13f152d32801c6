"""Midjourney: the prompt followed by ``Job ID: <uuid>`` in the PNG ``Description`` chunk
(or XMP/EXIF/IPTC description), with the user in ``Author``; recent files add an IPTC
digital source type, which is matched separately."""

from __future__ import annotations

import re

from core.schema import Generator

from .common import GeneratorSource, declared, short

_JOB = re.compile(r"Job ID:\s*([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})")


def _descriptions(src: GeneratorSource):
    yield "png:Description", src.text("Description")
    yield "exif:ImageDescription", src.exif.get("Image ImageDescription")
    desc = src.xmp.get("dc:description")
    yield "xmp:dc:description", desc[0] if isinstance(desc, list) and desc else desc
    yield "iptc:Caption-Abstract", src.iptc.get("Caption-Abstract")


def detect(src: GeneratorSource) -> Generator | None:
    for where, text in _descriptions(src):
        if not isinstance(text, str):
            continue
        m = _JOB.search(text)
        if m:
            author = src.text("Author")
            settings = {"job_id": m.group(1)}
            if author:
                settings["author"] = short(author, 200) or ""
            return declared(
                "midjourney",
                "Midjourney",
                where,
                prompt=short(text[: m.start()]),
                settings=settings,
            )
    return None
