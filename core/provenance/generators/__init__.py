"""Generator signatures: one small parser per tool, tried in this order.

Specific signatures come before general ones (SwarmUI and Fooocus also write a PNG
``parameters`` chunk, so they are tried before the AUTOMATIC1111 infotext parser; the
software-name hints come last). Every parser that matches is reported; the first
declared one is the file's generator.
"""

from __future__ import annotations

from collections.abc import Callable

from core.schema import Generator

from . import (
    a1111,
    comfyui,
    drawthings,
    fooocus,
    google,
    invokeai,
    midjourney,
    novelai,
    software_hints,
    swarmui,
)
from .common import GeneratorSource

PARSERS: tuple[tuple[str, Callable[[GeneratorSource], Generator | None]], ...] = (
    ("comfyui", comfyui.detect),
    ("invokeai", invokeai.detect),
    ("novelai", novelai.detect),
    ("swarmui", swarmui.detect),
    ("fooocus", fooocus.detect),
    ("automatic1111", a1111.detect),
    ("drawthings", drawthings.detect),
    ("midjourney", midjourney.detect),
    ("google", google.detect),
    ("software", software_hints.detect),
)


def detect_generators(src: GeneratorSource) -> tuple[list[Generator], list[str]]:
    """Every signature found, and the parsers that failed unexpectedly (named, not raised)."""
    found: list[Generator] = []
    failures: list[str] = []
    seen: set[tuple[str | None, str | None]] = set()
    for name, parse in PARSERS:
        try:
            generator = parse(src)
        except Exception as exc:  # a parser bug must not lose the other signatures
            failures.append(f"{name}: {type(exc).__name__}: {str(exc)[:200]}")
            continue
        if generator is not None and (generator.tool, generator.where) not in seen:
            seen.add((generator.tool, generator.where))
            found.append(generator)
    return found, failures


__all__ = ["GeneratorSource", "PARSERS", "detect_generators"]
