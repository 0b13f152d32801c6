"""Software and credit fields (EXIF Software, XMP CreatorTool, PNG Software, IPTC program,
credit lines) that name
an AI tool. A known generator's name is a declaration; a merely AI-looking string is
reported as "possible", never as fact. Camera and editor names never match."""

from __future__ import annotations

import re

from core.schema import Generator

from .common import GeneratorSource, declared, known_tool, short, slug

# Words that suggest, without naming a known tool, that software generates images.
POSSIBLE = re.compile(
    r"\bdiffusion\b|\bsdxl\b|\bflux(?:\.1)?[\s\-]*(?:dev|schnell|pro)\b|\btxt2img\b|\bimg2img\b|"
    r"\bai[\s\-]*(?:generated|image generator|art)\b|\bgenerative\b|\btext[\s\-]to[\s\-]image\b",
    re.I,
)


def _candidates(src: GeneratorSource):
    yield "exif:Software", src.exif.get("Image Software")
    yield "xmp:CreatorTool", src.xmp.get("xmp:CreatorTool")
    yield "png:Software", src.text("Software")
    yield "iptc:OriginatingProgram", src.iptc.get("OriginatingProgram")
    # Generators that write no tool field often sign the credit line instead.
    credit = src.xmp.get("photoshop:Credit")
    yield "xmp:photoshop:Credit", credit[0] if isinstance(credit, list) and credit else credit
    yield "iptc:Credit", src.iptc.get("Credit")


def detect(src: GeneratorSource) -> Generator | None:
    possible = None
    for where, value in _candidates(src):
        if not isinstance(value, str) or not value.strip():
            continue
        tool = known_tool(value)
        if tool:
            return declared(tool, short(value, 200) or tool, where)
        if possible is None and POSSIBLE.search(value):
            possible = Generator(
                tool=slug(value)[:40], name=short(value, 200), confidence="possible", where=where
            )
    return possible
