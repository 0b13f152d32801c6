"""``core.forensics.spectrum`` as an analyzer: Fourier spectrum of the central 512 px (periodic traces of upsampling); numbers and a map, no ledger line."""

from __future__ import annotations

from core.forensics import spectrum

from .base import pixel_statistics

ANALYZER = pixel_statistics(
    "spectrum",
    "1.0",
    "Fourier spectrum of the central 512 px (periodic traces of upsampling)",
    spectrum.analyze,
    spectrum.render,
)
