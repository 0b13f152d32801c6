"""``core.forensics.ela`` as an analyzer: error level analysis: a re-save at quality 90 over the central 1024 px; numbers and a map, no ledger line."""

from __future__ import annotations

from core.forensics import ela

from .base import pixel_statistics

ANALYZER = pixel_statistics(
    "ela",
    "1.0",
    "error level analysis: a re-save at quality 90 over the central 1024 px",
    ela.analyze,
    ela.render,
)
