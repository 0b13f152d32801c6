"""Invisible watermarks that open-source generators embed in the pixels, decoded as the
``invisible-watermark`` package decodes them (0.2.0, pinned: a mark is read back only by the
same arithmetic that embedded it; ``readout`` does the package's over whole arrays, bit for
bit; its ``dwtDct`` is known to skip a DCT step, upstream issues #2 and #39, which does not
matter as long as both sides use it).

- Stable Diffusion XL: the 48-bit message that diffusers' SDXL pipelines embed with
  ``dwtDct``, passing RGB pixels where the package expects BGR (so they are read the same way).
- Stable Diffusion 1.x and 2.x reference scripts: the text "StableDiffusionV1" and "SDV2",
  embedded in BGR order.

A mark counts only when so many bits match that the chance of it in an unmarked image is
below ``MAX_CHANCE`` (binomial, one half per bit): near misses are not evidence. One JPEG
re-save usually destroys these marks, so their absence says nothing. On bright or flat
images the decoder returns all ones (or all zeros) whatever the image holds: "not assessable".
"""

from __future__ import annotations

import functools
import importlib
import math
from typing import TYPE_CHECKING

from core.context import Context
from core.escaping import quote
from core.intake import Intake
from core.schema import Finding, ScanResult, WatermarkMark, Watermarks, to_dict

from .base import Analyzer, AnalyzerResult, library_version

if TYPE_CHECKING:
    import numpy as np

SDXL_MESSAGE = 0b101100111110110010010000011110111011000110011110
# name -> (tool, its name, what embeds it, expected bits, whether the pixels go in as RGB)
MARKS: dict[str, tuple[str, str, str, list[int], bool]] = {
    "sdxl": (
        "stable-diffusion-xl",
        "Stable Diffusion XL",
        "diffusers' Stable Diffusion XL pipelines",
        [int(b) for b in f"{SDXL_MESSAGE:048b}"],
        True,
    ),
    "sd1": (
        "stable-diffusion",
        "Stable Diffusion 1.x",
        "the Stable Diffusion 1.x reference scripts",
        [int(b) for byte in b"StableDiffusionV1" for b in f"{byte:08b}"],
        False,
    ),
    "sd2": (
        "stable-diffusion",
        "Stable Diffusion 2.x",
        "the Stable Diffusion 2.x reference scripts",
        [int(b) for byte in b"SDV2" for b in f"{byte:08b}"],
        False,
    ),
}
# A match must be less likely than this in an unmarked image (48 bits: 44 or more matching).
MAX_CHANCE = 1e-9
# The decoder needs at least 256 x 256 pixels. These marks are embedded at generation size
# (SDXL: about 1 MP; SD 1.x and 2.x: 0.25 to 0.6 MP) and do not survive resizing, so a larger
# picture (a camera's 12 MP) cannot hold one as embedded. (The package's own decoder took 0.4 s a MP.)
MIN_PIXELS = 256 * 256
MAX_PIXELS = 2048 * 2048
# The decoder's wavelet transform fails on a side shorter than this (1 x 100000 pixels, 65500 x 2):
# such a strip is skipped with its reason, not counted as a failed analyzer.
MIN_SIDE = 16
# A decoder reading (almost) only ones, or only zeros, answers for the image (bright or flat
# areas), not for a mark: on a bright marked photo it reads all ones, on a flat one all zeros.
CONSTANT_SHARE = 0.95


@functools.cache
def available() -> str | None:
    """Imported once per process to know: OpenCV's wheel needs the system's libGL and GLib
    (Debian: apt-get install libgl1 libglib2.0-0), which a bare server may lack."""
    try:
        importlib.import_module("cv2")
    except ImportError as exc:
        return f"opencv-python cannot be loaded ({exc})"
    return None


# The package's dwtDct parameters: 4 x 4 blocks of the U channel's Haar approximation, step 36.
BLOCK = 4
STEP = 36
# PyWavelets' Haar analysis filter tap (both taps), 1 / sqrt(2) as it stores it.
HAAR_TAP = 0.7071067811865476


def readout(pixels: np.ndarray) -> np.ndarray:
    """The bit each block carries, in the order the package's ``EmbedMaxDct.decode``
    (``imwatermark/maxDct.py``) reads them, computed over all blocks at once.

    The package visits the blocks one by one in a Python loop, three times per picture (one per
    mark): about 140 ms of the 215 ms that a default scan spent on an ordinary camera photo of the
    corpus. This is the same arithmetic over whole arrays: OpenCV's colour conversion; the Haar
    approximation that PyWavelets' ``dwt2`` computes (down the columns, then along the rows, each
    output the sum of two products with the same tap, so the order of the sum cannot change a
    bit); per block the largest magnitude after the first coefficient, modulo the step. Tests hold
    it bit for bit against ``dwt2`` and against the package's own decoder on every corpus photo.
    ``pixels`` go in as the package takes them (it reads them as BGR)."""
    import cv2
    import numpy as np

    rows, cols = pixels.shape[:2]
    yuv = cv2.cvtColor(pixels, cv2.COLOR_BGR2YUV)
    u = yuv[: rows // 4 * 4, : cols // 4 * 4, 1].astype(np.float64)
    down_columns = HAAR_TAP * u[0::2] + HAAR_TAP * u[1::2]
    frame = HAAR_TAP * down_columns[:, 0::2] + HAAR_TAP * down_columns[:, 1::2]
    down, across = frame.shape[0] // BLOCK, frame.shape[1] // BLOCK
    blocks = (
        frame[: down * BLOCK, : across * BLOCK]
        .reshape(down, BLOCK, across, BLOCK)
        .swapaxes(1, 2)
        .reshape(down * across, BLOCK * BLOCK)
    )
    magnitude = np.abs(blocks)
    strongest = magnitude[:, 1:].argmax(axis=1) + 1  # the first of equal maxima, as the package's argmax
    return magnitude[np.arange(len(blocks)), strongest] % STEP > 0.5 * STEP


def message_bits(bits: np.ndarray, length: int) -> list[int]:
    """The message of ``length`` bits as the package decodes it: block ``n`` votes for bit
    ``n % length``; a bit is 1 when more than half of its votes are (a bit with no block: 0)."""
    import numpy as np

    slots = np.arange(len(bits)) % length
    votes = np.bincount(slots, minlength=length)
    with np.errstate(invalid="ignore", divide="ignore"):  # no votes: NaN, which reads as 0
        share = np.bincount(slots, weights=bits, minlength=length) / votes
    return [int(b) for b in share * 255 > 127]


def chance(matching: int, bits: int) -> float:
    """Probability that an unmarked image matches at least ``matching`` of ``bits`` bits."""
    return sum(math.comb(bits, k) for k in range(matching, bits + 1)) / 2**bits


def analyze(intake: Intake, ctx: Context, found: ScanResult) -> AnalyzerResult:
    # The stored size (the full decode's) decides before any decoding: a 12 MP photo is skipped
    # without the full decode (70 ms) that a scan with forensics off would otherwise pay for nothing.
    import numpy as np

    pixels = intake.facts.stored_width * intake.facts.stored_height
    if pixels < MIN_PIXELS:
        return AnalyzerResult.skip("the image is smaller than 256 x 256 pixels, below what the decoder reads")
    if pixels > MAX_PIXELS:
        return AnalyzerResult.skip(
            "the image is larger than 2048 x 2048 pixels: these marks are embedded at "
            "generation size and do not survive resizing"
        )
    if min(intake.facts.stored_width, intake.facts.stored_height) < MIN_SIDE:
        return AnalyzerResult.skip(
            f"a side of the image is shorter than {MIN_SIDE} pixels, below what the decoder's transform reads"
        )
    image = intake.full_pixels()
    rgb = np.ascontiguousarray(np.asarray(image.convert("RGB")))
    bgr = np.ascontiguousarray(rgb[:, :, ::-1])  # the reference scripts' order, made once for both
    # One readout per channel order serves every mark embedded in it (SD 1.x and 2.x: BGR).
    readouts = {True: readout(rgb), False: readout(bgr)}
    checked, best = [], None
    for name, (tool, title, source, expected, as_rgb) in MARKS.items():
        decoded = message_bits(readouts[as_rgb], len(expected))
        matching = sum(int(a == b) for a, b in zip(decoded, expected, strict=True))
        ones = sum(int(b) for b in decoded) / len(decoded)
        constant = ones >= CONSTANT_SHARE or ones <= 1 - CONSTANT_SHARE
        row = WatermarkMark(
            mark=name,
            tool=tool,
            name=title,
            embedded_by=source,
            bits=len(expected),
            matching_bits=matching,
            chance=chance(matching, len(expected)),
            decoded_constant=constant,
        )
        checked.append(row)
        if (
            row.chance < MAX_CHANCE
            and not row.decoded_constant
            and (best is None or row.chance < best.chance)
        ):
            best = row
    assessable = best is not None or not all(r.decoded_constant for r in checked)
    return AnalyzerResult(
        Watermarks(
            found=best,
            checked=checked,
            assessable=assessable,
            not_assessable_because=None
            if assessable
            else "the decoder reads only ones or only zeros, as it does on bright or flat images whatever they hold",
        )
    )


def findings(result: ScanResult) -> list[Finding]:
    data = result.provenance.watermark
    if data is None:
        return []
    if found := data.found:
        return [
            Finding(
                f"watermark.{found.mark}",
                "synthesis",
                "declared",
                f"An invisible watermark that {found.embedded_by} embed is in the pixels: {found.matching_bits} of "
                f"{found.bits} bits match {quote(found.name)}'s message; an unmarked image matches that many with "
                f"a chance of {found.chance:.0e}. Anyone with the same open-source code can embed or remove it.",
                to_dict(found),
            )
        ]
    if not data.assessable:
        return [
            Finding(
                "watermark.not_assessable",
                "neutral",
                "context",
                f"The invisible-watermark check is not assessable here: {data.not_assessable_because}.",
                to_dict(data),
            )
        ]
    return []


ANALYZER = Analyzer(
    id="watermark",
    version=f"1.1 ({library_version('invisible-watermark', 'opencv-python')})",
    needs="full_pixels",
    output="provenance.watermark",
    description="invisible watermarks of open-source generators (Stable Diffusion XL, 1.x, 2.x), invisible-watermark",
    analyze=analyze,
    findings=findings,
    available=available,
    rules=("watermark.sdxl", "watermark.sd1", "watermark.sd2", "watermark.not_assessable"),
    reading="Open-source generators can hide a short message in the image's frequencies. A match of nearly every "
    "bit is a declaration by the generating code; no match says nothing (one JPEG re-save removes these marks, "
    "and most generators embed none).",
)
