"""Software fields (EXIF Software, XMP CreatorTool, PNG Software, IPTC program) that name
an AI tool. A known generator's name is a declaration; a merely AI-looking string is
reported as "possible", never as fact. Camera and editor names never match."""

from __future__ import annotations

import re

from core.schema import Generator

from .common import GeneratorSource, short, slug

# Patterns naming a specific generator -> its tool id.
KNOWN = (
    (re.compile(r"\bmidjourney\b", re.I), "midjourney"),
    (re.compile(r"\bdall[\s\-·.]*e\b|\bopenai\b|\bchatgpt\b|\bgpt-image\b", re.I), "openai"),
    (re.compile(r"\bfirefly\b", re.I), "adobe-firefly"),
    (re.compile(r"\bnovelai\b", re.I), "novelai"),
    (re.compile(r"\bcomfyui\b", re.I), "comfyui"),
    (re.compile(r"\binvokeai\b", re.I), "invokeai"),
    (re.compile(r"\bfooocus\b", re.I), "fooocus"),
    (re.compile(r"\bswarmui\b", re.I), "swarmui"),
    (re.compile(r"\bstable[\s\-]*diffusion\b|\bautomatic1111\b", re.I), "automatic1111"),
    (re.compile(r"\bleonardo\.ai\b", re.I), "leonardo"),
    (re.compile(r"\bideogram\b", re.I), "ideogram"),
    (re.compile(r"\bimagen\b|\bgemini\b", re.I), "google"),
)
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


def detect(src: GeneratorSource) -> Generator | None:
    possible = None
    for where, value in _candidates(src):
        if not isinstance(value, str) or not value.strip():
            continue
        for pattern, tool in KNOWN:
            if pattern.search(value):
                return Generator(
                    tool=tool,
                    name=short(value, 200),
                    confidence="declared",
                    declares="generation",
                    where=where,
                )
        if possible is None and POSSIBLE.search(value):
            possible = Generator(
                tool=slug(value)[:40], name=short(value, 200), confidence="possible", where=where
            )
    return possible
