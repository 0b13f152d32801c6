"""``core.forensics.spectrum`` as an analyzer: Fourier spectrum of the central 512 px (periodic traces of upsampling); numbers and a map, no ledger line."""

from __future__ import annotations

from core.forensics import spectrum
from core.schema import Spectrum

from .base import pixel_statistics

SPECTRUM_READING = (
    "Frequencies of the image's fine detail (centre: coarse; edges: fine). Isolated bright dots off the "
    "axes are periodic patterns, typical of upsampling in generators and of resizing; a grid of dots can "
    "also come from JPEG blocks, halftone or screens. peak_score above about 10 is a strong periodic peak."
)

ANALYZER = pixel_statistics(
    "spectrum",
    "1.0",
    "Fourier spectrum of the central 512 px (periodic traces of upsampling)",
    spectrum.analyze,
    Spectrum,
    spectrum.render,
    SPECTRUM_READING,
    numbers=(
        ("crop", "side in pixels of the central square the spectrum is computed over"),
        (
            "peak_score",
            "how far the strongest isolated peak stands above the frequencies at the same distance "
            "from the centre (in standard deviations): above about 10 is a strong periodic pattern",
        ),
        (
            "peak_frequency",
            "where that peak lies, across and down, in cycles per pixel (0.125 is an 8-pixel "
            "period, as JPEG blocks give)",
        ),
    ),
    map_kind="plot",
)
