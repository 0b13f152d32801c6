"""``core.forensics.ela`` as an analyzer: error level analysis: a re-save at quality 90 over the central 1024 px; numbers and a map, no ledger line."""

from __future__ import annotations

from core.forensics import ela
from core.schema import ErrorLevels

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
    ErrorLevels,
    ela.render,
    ELA_READING,
    numbers=(
        ("resave_quality", "the JPEG quality of the re-save the image is compared with"),
        (
            "mean",
            "average change per pixel after the re-save (0-255): low for an image already saved at about "
            "that quality, high for one saved at a higher quality or never compressed",
        ),
        ("p99", "the change that only 1% of pixels exceed: how strong the brightest areas of the map are"),
        ("max", "the largest change of any pixel (edges and text reach it too)"),
        (
            "block_cv",
            "how uneven the change is across 16x16 blocks (their spread divided by their mean): high "
            "when some areas changed far more than others, which edits and mixed content both cause",
        ),
    ),
)
