"""``core.forensics.noise`` as an analyzer: median-filter noise residual over the central 1024 px; numbers and a map, no ledger line."""

from __future__ import annotations

from core.forensics import noise

from .base import pixel_statistics

ANALYZER = pixel_statistics(
    "noise", "1.0", "median-filter noise residual over the central 1024 px", noise.analyze, noise.render
)
