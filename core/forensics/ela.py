"""Error level analysis (N. Krawetz, "A Picture's Worth", Black Hat 2007).

The image is re-saved as JPEG at a fixed quality and compared with itself: regions
that were pasted in or edited after the last save often re-compress differently from
their surroundings. The numbers summarise how even the error level is across 16x16
blocks; the map is what an analyst reads. ELA is easily fooled by resizing, filters
and re-saving, so it is context, never a conclusion.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from PIL import Image

if TYPE_CHECKING:
    import numpy as np

RESAVE_QUALITY = 90
BLOCK = 16
# The numbers are computed on the central square of at most this many pixels a side
# (aligned to the 8x8 JPEG grid), which keeps a 50 MP photo as fast as a 1 MP one;
# the rendered map always covers the whole image.
NUMBERS_CROP = 1024


def central_crop(image: Image.Image, size: int = NUMBERS_CROP) -> Image.Image:
    """The central ``size`` x ``size`` square (or less), its corner on the 8-pixel grid."""
    w, h = image.size
    side = min(size, w, h)
    left, top = ((w - side) // 2) // 8 * 8, ((h - side) // 2) // 8 * 8
    return image.crop((left, top, left + side, top + side))


def grey(image: Image.Image) -> Image.Image:
    """Lightness of any mode. Pillow cannot convert LAB to L (it goes through RGB and refuses),
    but LAB's first band is the lightness itself."""
    if image.mode == "LAB":
        return image.getchannel("L")
    try:
        return image.convert("L")
    except ValueError:  # another mode without a direct path to L
        return image.convert("RGB").convert("L")


def error_levels(image: Image.Image, quality: int = RESAVE_QUALITY) -> np.ndarray:
    """Per-pixel maximum absolute difference over R, G, B after one JPEG re-save at ``quality``."""
    import numpy as np

    return error_levels_u8(image, quality).astype(np.float32)


def error_levels_u8(image: Image.Image, quality: int = RESAVE_QUALITY) -> np.ndarray:
    """The same levels as 8-bit values (a difference of 8-bit values fits), channel by channel,
    each array released once used: drawn at once, a 200 MP photo's map needed more than a
    file worker's 4 GiB."""
    import numpy as np

    rgb = image if image.mode == "RGB" else image.convert("RGB")
    buf = io.BytesIO()
    rgb.save(buf, "JPEG", quality=quality)
    a = np.asarray(rgb)
    del rgb
    with Image.open(buf) as resaved:
        b = np.asarray(resaved.convert("RGB") if resaved.mode != "RGB" else resaved)
    del buf
    levels = None
    for channel in range(3):
        x, y = a[..., channel], b[..., channel]
        diff = np.maximum(x, y)
        diff -= np.minimum(x, y)  # |x - y| in uint8: 10x faster than through int16
        levels = diff if levels is None else np.maximum(levels, diff, out=levels)
    return levels


def stretched(values: np.ndarray, scale: float) -> np.ndarray:
    """8-bit values times ``scale``, clipped to 0..255, through a table of the 256 results (a
    map of a 200 MP photo holds no float copy of itself)."""
    import numpy as np

    table = np.clip(np.arange(256, dtype=np.float32) * np.float32(scale), 0, 255).astype(np.uint8)
    return table[values]


def block_means(values: np.ndarray, block: int = BLOCK) -> np.ndarray:
    h, w = (values.shape[0] // block) * block, (values.shape[1] // block) * block
    if h == 0 or w == 0:
        return values.reshape(1, -1).mean(axis=1, keepdims=True)
    return values[:h, :w].reshape(h // block, block, w // block, block).mean(axis=(1, 3))


def analyze(image: Image.Image) -> dict:
    import numpy as np

    levels = error_levels(central_crop(image))
    blocks = block_means(levels)
    mean = float(levels.mean())
    return {
        "resave_quality": RESAVE_QUALITY,
        "mean": round(mean, 3),
        "p99": round(float(np.percentile(levels, 99)), 3),
        "max": round(float(levels.max()), 3),
        # Coefficient of variation of block means: how uneven the error level is.
        "block_cv": round(float(blocks.std() / mean), 3) if mean > 0 else 0.0,
    }


def render(image: Image.Image, quality: int = RESAVE_QUALITY) -> Image.Image:
    """The error-level map after a re-save at ``quality`` (an analyst compares several: a region
    saved at another quality stands out at some), brightened so that its 99th percentile is white."""
    import numpy as np

    levels = error_levels_u8(image, max(1, min(100, int(quality))))
    scale = 255.0 / max(float(np.percentile(levels, 99)), 1.0)
    return Image.fromarray(stretched(levels, scale), "L")
