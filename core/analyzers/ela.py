"""``core.forensics.ela`` as an analyzer: error level analysis: a re-save at quality 90 over the central 1024 px; numbers and a map, no ledger line."""

from __future__ import annotations

from core.forensics import ela

from .base import pixel_statistics

ELA_READING = (
    "Bright areas changed most when the image was saved again: a region that is much brighter or darker "
    "than similar texture around it may have been pasted in or edited after the last save. Edges, text and "
    "fine texture are always bright; resizing, filters and repeated saving hide edits. Never proof on its own."
)

ANALYZER = pixel_statistics(
    "ela",
    "1.0",
    "error level analysis: a re-save at quality 90 over the central 1024 px",
    ela.analyze,
    ela.render,
    ELA_READING,
)
