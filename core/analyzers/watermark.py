"""Invisible watermarks that open-source generators embed in the pixels, decoded with the
``invisible-watermark`` package (0.2.0, pinned: a mark is read back only by the same code
that embedded it; its ``dwtDct`` is known to skip a DCT step, upstream issues #2 and #39,
which does not matter as long as both sides use it).

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
import importlib.util
import math
import sys
from pathlib import Path

from core.context import Context
from core.escaping import quote
from core.intake import Intake
from core.schema import Finding, ScanResult, WatermarkMark, Watermarks, to_dict

from .base import Analyzer, AnalyzerResult, library_version

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
# picture (a camera's 12 MP) cannot hold one as embedded; decoding costs about 0.4 s per MP.
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
    for module, package in (("cv2", "opencv-python"), ("pywt", "PyWavelets")):
        try:
            importlib.import_module(module)
        except ImportError as exc:
            return f"{package} cannot be loaded ({exc})"
    try:
        _decoder_class()
    except (ImportError, OSError, AttributeError) as exc:
        return f"invisible-watermark cannot be loaded ({exc})"
    return None


@functools.cache
def _decoder_class() -> type:
    """The package's ``dwtDct`` decoder (``imwatermark/maxDct.py``), loaded on its own: the
    package's ``__init__`` imports its RivaGAN code and with it torch, which cost every file
    worker 1.1 s and about 300 MB for a method never used here. Loading the module by path
    runs the very same code as ``WatermarkDecoder(...).decode(image, "dwtDct")``."""
    spec = importlib.util.find_spec("imwatermark")  # finds the package without running its __init__
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("No module named 'imwatermark'")
    name = "imwatermark.maxDct"
    if name not in sys.modules:
        location = Path(next(iter(spec.submodule_search_locations))) / "maxDct.py"
        module_spec = importlib.util.spec_from_file_location(name, location)
        module = importlib.util.module_from_spec(module_spec)
        module_spec.loader.exec_module(module)
        sys.modules[name] = module
    return sys.modules[name].EmbedMaxDct


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
    checked, best = [], None
    for name, (tool, title, source, expected, as_rgb) in MARKS.items():
        decoded = list(_decoder_class()(watermarks=[], wmLen=len(expected)).decode(rgb if as_rgb else bgr))
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
