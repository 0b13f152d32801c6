"""Noise residual: the image minus a 3x3 median-filtered copy of itself.

Camera sensors leave fine, fairly uniform noise; generated images, heavy denoising
and pasted regions often leave residuals that are unusually weak or uneven across the
frame. The numbers give the residual's strength and how much it varies between
32x32 blocks; the map shows where.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

from PIL import Image

from .ela import block_means, central_crop, grey, stretched

BLOCK = 32


# The 19 compare-exchange steps that leave the median of nine values in the middle position
# (the classic median-of-9 sorting network, e.g. Paeth's, Graphics Gems, 1990).
_MEDIAN_OF_9 = (
    (1, 2),
    (4, 5),
    (7, 8),
    (0, 1),
    (3, 4),
    (6, 7),
    (1, 2),
    (4, 5),
    (7, 8),
    (0, 3),
    (5, 8),
    (4, 7),
    (3, 6),
    (1, 4),
    (2, 5),
    (4, 7),
    (4, 2),
    (6, 4),
    (4, 2),
)


# Rows of the median computed at a time: nine shifted copies of a whole 200 MP picture took 1.8 GB.
MEDIAN_ROWS = 512


def median_3x3(luma: np.ndarray) -> np.ndarray:
    """3x3 median with edge pixels repeated: the same values as Pillow's ``MedianFilter(3)``
    (checked on every corpus image), computed as whole-array minima and maxima of the nine
    shifted copies, six times faster than Pillow's per-pixel rank filter; ``MEDIAN_ROWS``
    rows at a time."""
    import numpy as np

    padded = np.pad(luma, 1, mode="edge")
    h, w = luma.shape
    out = np.empty_like(luma)
    for top in range(0, h, MEDIAN_ROWS):
        n = min(MEDIAN_ROWS, h - top)
        p = [padded[top + i : top + i + n, j : j + w] for i in range(3) for j in range(3)]
        for i, j in _MEDIAN_OF_9:
            p[i], p[j] = np.minimum(p[i], p[j]), np.maximum(p[i], p[j])
        out[top : top + n] = p[4]
    return out


def abs_residual(image: Image.Image) -> np.ndarray:
    """|luma - its 3x3 median| in 8 bits (the residual's size fits, exactly)."""
    import numpy as np

    luma = np.asarray(grey(image))
    median = median_3x3(luma)
    res = np.maximum(luma, median)
    res -= np.minimum(luma, median)
    return res


def analyze(image: Image.Image) -> dict:
    import numpy as np

    res = abs_residual(central_crop(image)).astype(np.float32)
    blocks = block_means(res, BLOCK)
    mean = float(res.mean())
    return {
        "mean_abs": round(mean, 3),
        "block_cv": round(float(blocks.std() / mean), 3) if mean > 0 else 0.0,
        "flat_block_share": round(float((blocks < 0.5).mean()), 3),  # blocks with almost no noise
    }


def render(image: Image.Image, gain: float | None = None) -> Image.Image:
    """The noise residual, amplified by ``gain`` (None: so that its 99th percentile is white)."""
    import numpy as np

    res = abs_residual(image)
    scale = float(gain) if gain else 255.0 / max(float(np.percentile(res, 99)), 1.0)
    return Image.fromarray(stretched(res, scale), "L")
