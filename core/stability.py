"""Verdict stability: does the classifier say the same after realistic re-shipping?

Images reach fact-checkers re-compressed and resized by messaging apps and platforms.
A score that flips when the same picture is saved as JPEG at quality 50 or shrunk to
half size says little about the picture. Each variant below is scored in the same
batch as the original; if any variant's label differs from the original's, the
result is "unstable", whatever the clean score.
"""

from __future__ import annotations

import io
import statistics
from collections.abc import Callable

from PIL import Image

from core.schema import Stability
from core.thresholds import labelled_artificial


def _jpeg(quality: int) -> Callable[[Image.Image], Image.Image]:
    def make(image: Image.Image) -> Image.Image:
        buf = io.BytesIO()
        image.save(buf, "JPEG", quality=quality)
        return Image.open(io.BytesIO(buf.getvalue())).convert("RGB")

    return make


def _half(image: Image.Image) -> Image.Image:
    return image.resize((max(1, image.width // 2), max(1, image.height // 2)), Image.Resampling.BICUBIC)


def _webp(image: Image.Image) -> Image.Image:
    buf = io.BytesIO()
    image.save(buf, "WEBP", quality=80)
    return Image.open(io.BytesIO(buf.getvalue())).convert("RGB")


# One copy per kind of re-shipping, each one more classifier run: heavy JPEG re-compression
# (as after a few shares through messaging apps), a smaller copy, and WebP (what platforms
# serve). The gentler JPEG re-saves at q90 and q75 of analyzer version 1.0 were dropped: they
# are milder steps of the same operation, and each cost as much as scoring another image
# (bench/README.md, "At the default settings").
VARIANTS: tuple[tuple[str, Callable[[Image.Image], Image.Image]], ...] = (
    ("jpeg_q50", _jpeg(50)),
    ("half_size", _half),
    ("webp_q80", _webp),
)


def variants(image: Image.Image) -> list[Image.Image]:
    return [make(image) for _, make in VARIANTS]


def summarise(original: float, scores: list[float]) -> Stability:
    """Stability from the original's p_artificial and one score per VARIANTS entry."""
    named = {name: round(p, 6) for (name, _), p in zip(VARIANTS, scores, strict=True)}
    everything = [original, *scores]
    flips = any(labelled_artificial(p) != labelled_artificial(original) for p in scores)
    return Stability(
        variants=named,
        min=round(min(everything), 6),
        median=round(statistics.median(everything), 6),
        max=round(max(everything), 6),
        flips=flips,
        unstable=flips,
    )


def score_range(s: Stability) -> str:
    """The scores of the original and its copies as people read them: "at 0.01" when they all
    show as the same two decimals, else "between 0.01 and 0.07"."""
    low, high = f"{s.min:.2f}", f"{s.max:.2f}"
    return f"at {low}" if low == high else f"between {low} and {high}"
