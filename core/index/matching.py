"""How a new image relates to one the desk has seen: the kind of match and how strong it is.

Whole-picture codes find re-encoded, resized, colour-shifted and mirrored copies; local
features, matched and checked for one consistent geometry (a RANSAC homography), find
crops and pictures placed inside a larger one (a border, a caption, a screenshot), and say
which copy contains the other.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .fingerprint import Fingerprint

# Bits of 64 by which two ISCC image codes of one picture may differ (re-encoding at q50
# and resizing to a quarter stay within a few bits; unrelated photos differ by about 32).
CODE_MATCH_BITS = 10
CODE_STRONG_BITS = 5
# Geometrically consistent feature matches that make two pictures share content.
MIN_INLIERS = 15
STRONG_INLIERS = 40
# Of the cross-checked feature matches, the share that must agree on the geometry, and the least
# share of the earlier picture a crop may show.
MIN_INLIER_SHARE = 0.25
MIN_SHOWN = 0.05
# Descriptor bits by which a pair may differ, and the RANSAC rounds (a real copy's geometry is
# found within a few dozen; the default 2,000 only costs time on unrelated pictures).
MAX_PAIR_BITS = 64
RANSAC_ROUNDS = 500
# Below this share of one picture's area inside the other, it is a crop, not the whole.
WHOLE = 0.9
# Around a picture, a frame (border, caption, screen) is mostly one flat colour: when this share
# of the surround is within FLAT_GREY grey levels of its median, it is a frame, not more scene.
FRAME_SHARE = 0.8
FLAT_GREY = 12


@dataclass
class Match:
    # "same file", "same picture re-encoded", "resized", "mirrored", "cropped" (a part of it),
    # "contains it" (it, framed), "uncropped" (a wider view it was cropped from), "unframed" (it without its frame)
    kind: str
    strength: str  # "strong" or "moderate"
    code_distance: int | None  # bits of 64 between the codes (mirror code for "mirrored")
    inliers: int  # consistent feature matches (0 when features were not needed)
    covers: float | None  # share of the earlier picture that the new one shows (crops)
    why: str  # the sentence a reader sees


def hamming(a: int, b: int) -> int:
    return (a ^ b).bit_count()


def compare(new: Fingerprint, old: Fingerprint) -> Match | None:
    """How ``new`` relates to ``old``, or None when they show different pictures."""
    if new.sha256 == old.sha256:
        return Match("same file", "strong", 0, 0, 1.0, "the same file, byte for byte (same SHA-256)")
    direct, mirrored = hamming(new.code, old.code), hamming(new.code, old.mirror_code)
    same_shape = abs(new.width / new.height - old.width / old.height) < 0.02
    if direct <= CODE_MATCH_BITS and same_shape:
        strength = "strong" if direct <= CODE_STRONG_BITS else "moderate"
        if (new.width, new.height) == (old.width, old.height):
            return Match(
                "same picture re-encoded",
                strength,
                direct,
                0,
                1.0,
                f"the same picture at the same size, encoded differently (codes {direct} bits of 64 apart)",
            )
        return Match(
            "resized",
            strength,
            direct,
            0,
            1.0,
            f"the same picture resized from {old.width}x{old.height} to {new.width}x{new.height} "
            f"(codes {direct} bits of 64 apart)",
        )
    if mirrored <= CODE_MATCH_BITS and mirrored < direct and same_shape:
        strength = "strong" if mirrored <= CODE_STRONG_BITS else "moderate"
        return Match(
            "mirrored",
            strength,
            mirrored,
            0,
            1.0,
            f"the same picture mirrored left to right (codes {mirrored} bits of 64 apart once mirrored)",
        )
    return _by_features(new, old, direct)


def _by_features(new: Fingerprint, old: Fingerprint, direct: int) -> Match | None:
    """Crops and containment, from local features that agree on one geometry."""
    import cv2

    a, b = _descriptors(new), _descriptors(old)
    if len(a) < MIN_INLIERS or len(b) < MIN_INLIERS:
        return None
    # Cross-checked pairs close enough to be the same corner (of 256 bits; unrelated ORB
    # descriptors sit about 128 apart): the geometry is only fitted when enough of them exist.
    pairs = [
        m for m in cv2.BFMatcher(cv2.NORM_HAMMING, crossCheck=True).match(a, b) if m.distance <= MAX_PAIR_BITS
    ]
    if len(pairs) < MIN_INLIERS:
        return None
    pa, pb = _points(new), _points(old)
    # In pixels of each picture, so that the homography maps one picture's frame onto the other's.
    src = np.float32([pa[m.queryIdx] * (new.width, new.height) for m in pairs])
    dst = np.float32([pb[m.trainIdx] * (old.width, old.height) for m in pairs])
    homography, mask = cv2.findHomography(
        src, dst, cv2.RANSAC, 0.02 * max(old.width, old.height), maxIters=RANSAC_ROUNDS, confidence=0.995
    )
    inliers = int(mask.sum()) if mask is not None else 0
    # Unrelated pictures share a few look-alike corners (text, round shapes) that a homography can
    # always fit: a real copy agrees on most of its matches, and maps its frame to a plausible one.
    if homography is None or inliers < max(MIN_INLIERS, MIN_INLIER_SHARE * len(pairs)):
        return None
    corners = np.float32([[0, 0], [new.width, 0], [new.width, new.height], [0, new.height]]).reshape(-1, 1, 2)
    projected = cv2.perspectiveTransform(corners, homography).reshape(-1, 2)  # the new picture, on the old
    frame = np.float32([[0, 0], [old.width, 0], [old.width, old.height], [0, old.height]])
    shown = _overlap(projected, frame) / float(old.width * old.height)  # of the earlier picture
    if shown < MIN_SHOWN or not cv2.isContourConvex(np.int32(np.round(projected)).reshape(-1, 1, 2)):
        return None  # a folded or vanishing frame: no real copy maps to it
    strength = "strong" if inliers >= STRONG_INLIERS else "moderate"
    agree = f"{inliers} matching features agree on one geometry"
    if shown < WHOLE:  # the new picture's content lies inside the earlier one's
        if _bare_outside(old, projected):
            return Match(
                "unframed",
                strength,
                direct,
                inliers,
                shown,
                f"the picture that the earlier image showed inside a border, a caption or a screen, without them "
                f"(it fills about {shown:.0%} of the earlier image; {agree})",
            )
        return Match(
            "cropped",
            strength,
            direct,
            inliers,
            shown,
            f"a crop of it: the new image shows about {shown:.0%} of the earlier picture ({agree})",
        )
    inside = float(old.width * old.height) / max(_polygon_area(projected), 1.0)
    if inside >= WHOLE:  # the whole picture, no more: a copy whose codes drifted (heavy re-encoding, edits)
        kind = "same picture re-encoded" if (new.width, new.height) == (old.width, old.height) else "resized"
        return Match(
            kind,
            strength,
            direct,
            inliers,
            shown,
            f"the same picture ({new.width}x{new.height}, earlier {old.width}x{old.height}); its codes differ by "
            f"{direct} bits of 64, but {agree}",
        )
    # The earlier picture lies inside the new one: framed by a border or a screen, or cropped from it.
    earlier = cv2.perspectiveTransform(frame.reshape(-1, 1, 2), np.linalg.inv(homography)).reshape(-1, 2)
    if _bare_outside(new, earlier):
        return Match(
            "contains it",
            strength,
            direct,
            inliers,
            shown,
            f"the earlier picture inside a larger frame (a border, a caption or a screenshot): it fills about "
            f"{min(inside, 1.0):.0%} of the new image ({agree})",
        )
    return Match(
        "uncropped",
        strength,
        direct,
        inliers,
        shown,
        f"a wider view of it: the earlier picture is a crop of this one, about {min(inside, 1.0):.0%} of it ({agree})",
    )


def _bare_outside(fp: Fingerprint, region: np.ndarray) -> bool:
    """Whether the part of ``fp``'s picture outside ``region`` (a polygon in its pixels) is a frame
    (a border, a caption, a screen's chrome: mostly one flat colour) rather than more scene."""
    import cv2

    side = int(len(fp.thumb) ** 0.5)
    if side == 0:
        return False
    thumb = np.frombuffer(fp.thumb, np.uint8).reshape(side, side)
    mask = np.zeros((side, side), np.uint8)
    scaled = np.int32(np.round(region * (side / fp.width, side / fp.height)))
    cv2.fillPoly(mask, [scaled.reshape(-1, 1, 2)], 1)
    outside = thumb[mask == 0]
    if outside.size < 0.05 * side * side:
        return False
    flat = np.abs(outside.astype(np.int16) - int(np.median(outside))) <= FLAT_GREY
    return float(flat.mean()) >= FRAME_SHARE


def _descriptors(fp: Fingerprint) -> np.ndarray:
    return np.frombuffer(fp.descriptors, np.uint8).reshape(-1, 32)


def _points(fp: Fingerprint) -> np.ndarray:
    return np.frombuffer(fp.points, np.float32).reshape(-1, 2)


def _polygon_area(points: np.ndarray) -> float:
    x, y = points[:, 0], points[:, 1]
    return float(abs(np.dot(x, np.roll(y, 1)) - np.dot(y, np.roll(x, 1))) / 2)


def _overlap(polygon: np.ndarray, frame: np.ndarray) -> float:
    import cv2

    area, _ = cv2.intersectConvexConvex(np.float32(polygon), np.float32(frame))
    return float(area)
