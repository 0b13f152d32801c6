"""Noise residual: the image minus a 3x3 median-filtered copy of itself.

Camera sensors leave fine, fairly uniform noise; generated images, heavy denoising
and pasted regions often leave residuals that are unusually weak or uneven across the
frame. The numbers give the residual's strength and how much it varies between
32x32 blocks; the map shows where.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageFilter

from .ela import block_means, central_crop, grey

BLOCK = 32


def residual(image: Image.Image) -> np.ndarray:
    luma = grey(image)
    smooth = luma.filter(ImageFilter.MedianFilter(3))
    return np.asarray(luma, dtype=np.float32) - np.asarray(smooth, dtype=np.float32)


def analyze(image: Image.Image) -> dict:
    res = np.abs(residual(central_crop(image)))
    blocks = block_means(res, BLOCK)
    mean = float(res.mean())
    return {
        "mean_abs": round(mean, 3),
        "block_cv": round(float(blocks.std() / mean), 3) if mean > 0 else 0.0,
        "flat_block_share": round(float((blocks < 0.5).mean()), 3),  # blocks with almost no noise
    }


def render(image: Image.Image, gain: float | None = None) -> Image.Image:
    """The noise residual, amplified by ``gain`` (None: so that its 99th percentile is white)."""
    res = np.abs(residual(image))
    scale = float(gain) if gain else 255.0 / max(float(np.percentile(res, 99)), 1.0)
    return Image.fromarray(np.clip(res * scale, 0, 255).astype(np.uint8), "L")
