"""JPEG quantisation tables: estimated quality, the standard-table test, and a
double-compression indicator.

Most software (libjpeg and its descendants: Pillow, GIMP, browsers, most web
platforms) writes the example tables of ITU-T T.81 Annex K scaled by the IJG quality
formula, so an exact match means "re-encoded by software at quality N". Cameras and
some editors use tables of their own. The double-compression indicator is a JPEG
ghost (H. Farid, "Exposing Digital Forgeries from JPEG Ghosts", 2009): re-compressing
at the quality of an *earlier* save leaves a dip in the difference curve below the
file's own quality.
"""

from __future__ import annotations

import io

from PIL import Image

from .ela import central_crop

# ITU-T T.81 Annex K, tables K.1 (luminance) and K.2 (chrominance), natural order.
ANNEX_K_LUMINANCE = (
    16,
    11,
    10,
    16,
    24,
    40,
    51,
    61,
    12,
    12,
    14,
    19,
    26,
    58,
    60,
    55,
    14,
    13,
    16,
    24,
    40,
    57,
    69,
    56,
    14,
    17,
    22,
    29,
    51,
    87,
    80,
    62,
    18,
    22,
    37,
    56,
    68,
    109,
    103,
    77,
    24,
    35,
    55,
    64,
    81,
    104,
    113,
    92,
    49,
    64,
    78,
    87,
    103,
    121,
    120,
    101,
    72,
    92,
    95,
    98,
    112,
    100,
    103,
    99,
)
ANNEX_K_CHROMINANCE = (
    17,
    18,
    24,
    47,
    99,
    99,
    99,
    99,
    18,
    21,
    26,
    66,
    99,
    99,
    99,
    99,
    24,
    26,
    56,
    99,
    99,
    99,
    99,
    99,
    47,
    66,
    99,
    99,
    99,
    99,
    99,
    99,
) + (99,) * 32

GHOST_QUALITIES = tuple(range(30, 101, 5))
GHOST_CROP = 512
# A dip this deep (relative to its neighbours) counts as a sign of an earlier save. Measured
# on the corpus's camera JPEGs re-saved by Pillow at quality 50 then 90: depths 0.57 to 0.96.
# Smooth synthetic images saved once reach 0.25 to 0.42, so the bar sits above them.
GHOST_DIP_THRESHOLD = 0.5
# Not assessable below this: the central crop's shorter side, in pixels (8x8 blocks too few
# for a stable curve)...
GHOST_MIN_SIDE = 256
# ...or when re-saving at quality 30 changes the crop by less than this mean squared
# error: a flat or very smooth picture that recompresses almost losslessly at every
# quality, where rounding alone makes dips.
GHOST_MIN_ERROR = 2.0


def ijg_table(base: tuple[int, ...], quality: int) -> tuple[int, ...]:
    scale = 5000 / quality if quality < 50 else 200 - 2 * quality
    return tuple(min(255, max(1, int((b * scale + 50) // 100))) for b in base)


def estimate_quality(tables: dict[int, list[int]]) -> tuple[int | None, bool]:
    """(IJG quality whose luminance table is closest, whether the tables match it exactly)."""
    lum = tables.get(0)
    if not lum or len(lum) != 64:
        return None, False
    best = min(
        range(1, 101),
        key=lambda q: sum(abs(a - b) for a, b in zip(ijg_table(ANNEX_K_LUMINANCE, q), lum, strict=True)),
    )
    exact = tuple(lum) == ijg_table(ANNEX_K_LUMINANCE, best) and (
        1 not in tables or tuple(tables[1]) == ijg_table(ANNEX_K_CHROMINANCE, best)
    )
    return best, exact


def ghost_curve(image: Image.Image) -> dict[int, float]:
    """Mean squared difference between the (aligned, central) pixels and their re-compression at each quality."""
    import numpy as np

    crop = central_crop(image, GHOST_CROP).convert("L")  # crop first: converting 12 MP costs 17 ms
    if min(crop.size) < 64:
        return {}
    original = np.asarray(crop, dtype=np.float32)
    curve = {}
    for q in GHOST_QUALITIES:
        buf = io.BytesIO()
        crop.save(buf, "JPEG", quality=q)
        again = np.asarray(Image.open(io.BytesIO(buf.getvalue())), dtype=np.float32)
        curve[q] = round(float(((original - again) ** 2).mean()), 3)
    return curve


def ghost_dip(curve: dict[int, float], own_quality: int | None) -> tuple[int | None, float]:
    """The deepest local minimum below the file's own quality, and its relative depth.

    Depth compares the minimum with the highest values up to two steps on each side,
    so that small ripples next to a dip do not hide it.
    """
    qs = sorted(curve)
    best_q, best_depth = None, 0.0
    for i in range(1, len(qs) - 1):
        q = qs[i]
        if own_quality is not None and q >= own_quality - 5:
            break
        mid = curve[q]
        if not (mid < curve[qs[i - 1]] and mid < curve[qs[i + 1]]):
            continue
        left = max(curve[k] for k in qs[max(0, i - 2) : i])
        right = max(curve[k] for k in qs[i + 1 : i + 3])
        depth = 1 - mid / max((left + right) / 2, 1e-6)
        if depth > best_depth:
            best_q, best_depth = q, depth
    return best_q, round(best_depth, 3)


def not_assessable(image: Image.Image, curve: dict[int, float]) -> str | None:
    """Why the ghost test cannot judge this image (None when it can)."""
    if min(image.size) < GHOST_MIN_SIDE:
        return f"the image is smaller than {GHOST_MIN_SIDE} pixels on a side"
    if not curve or max(curve.values()) < GHOST_MIN_ERROR:
        return "the image is too flat or smooth: re-compressing it changes almost nothing at any quality"
    return None


def analyze(image: Image.Image) -> dict | None:
    """None for files that are not JPEG."""
    tables = getattr(image, "quantization", None)
    if not tables:
        return None
    quality, standard = estimate_quality(tables)
    curve = ghost_curve(image)
    reason = not_assessable(image, curve)
    dip_quality, dip_depth = (None, None) if reason else ghost_dip(curve, quality)
    return {
        "tables": len(tables),
        "estimated_quality": quality,
        "standard_ijg_tables": standard,
        "luminance_table": list(tables.get(0, [])),
        "ghost_curve": {str(k): v for k, v in curve.items()},
        "double_compression": {
            "assessable": reason is None,
            "not_assessable_because": reason,
            "earlier_quality": dip_quality,
            "dip_depth": dip_depth,
            "indicated": reason is None and dip_depth >= GHOST_DIP_THRESHOLD,
        },
    }
