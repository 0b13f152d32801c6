"""``core.forensics.noise`` as an analyzer: median-filter noise residual over the central 1024 px; numbers and a map, no ledger line."""

from __future__ import annotations

from core.forensics import noise
from core.schema import NoiseResidual

from .base import pixel_statistics

NOISE_READING = (
    "The fine grain left after removing the picture's content: a camera leaves even grain across the frame; "
    "a region with grain of another kind, or none (smooth patches in a textured photo), may come from "
    "elsewhere. Generators and heavy denoising also give smooth grain. Context, not a conclusion."
)

ANALYZER = pixel_statistics(
    "noise",
    "1.0",
    "median-filter noise residual over the central 1024 px",
    noise.analyze,
    NoiseResidual,
    noise.render,
    NOISE_READING,
    numbers=(
        (
            "mean_abs",
            "average strength of the fine grain (0-255 per pixel): camera sensors at high ISO give more, "
            "denoising and generators less",
        ),
        (
            "block_cv",
            "how uneven the grain is across 32x32 blocks (their spread divided by their mean): high when "
            "areas of the frame have grain of different strength",
        ),
        (
            "flat_block_share",
            "share of 32x32 blocks with almost no grain (0-1): sky, flat walls, clipped highlights, "
            "or areas smoothed by editing or generation",
        ),
    ),
)
