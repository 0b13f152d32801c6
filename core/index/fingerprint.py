"""An image's fingerprint for the seen-before index, made in a file worker from the decoded
working copy (upright, at most 2,048 pixels a side).

- The ISCC image code (ISO 24138, through ``iscc-core``; on the C2PA soft-binding list): 64
  bits from the picture's 32x32 grey normalisation, robust to resizing, re-compression and
  colour shifts. The code of the mirror image is kept too, so that a mirrored copy is found.
- The pHash the scan already computes (the same code the batch groups use).
- ORB local features (OpenCV): up to ``MAX_FEATURES`` keypoints with their binary descriptors,
  which survive crops, borders, captions and screenshots, where whole-picture codes do not.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image, ImageChops, ImageOps

from core.errors import AnalysisError
from core.intake import open_intake
from core.isolation import run_limited

if TYPE_CHECKING:
    from core.settings import Settings
    from core.sources import Source

# Keypoints kept per image (each 32 bytes of descriptor and two coordinates).
MAX_FEATURES = 500
# Long side of the grey picture the features are found on; pictures narrower than the
# minimum (after that reduction) get no features (ORB needs room for its 31-pixel patches).
FEATURE_SIDE = 800
MIN_FEATURE_SIDE = 64
THUMB_SIDE = 64


@dataclass(frozen=True)
class Fingerprint:
    sha256: str
    width: int  # as displayed
    height: int
    iscc: str  # "ISCC:EE..." of the picture
    code: int  # its 64 bits
    mirror_code: int  # the 64 bits of the mirror image's code
    phash: str
    # ORB descriptors (N x 32 bytes) and keypoint positions as fractions of the picture (N x 2 float32).
    descriptors: bytes
    points: bytes
    # The picture as 64x64 grey pixels: enough to tell a frame (a border, a caption) from more scene.
    thumb: bytes = b""

    def to_dict(self) -> dict:
        return {
            "sha256": self.sha256,
            "width": self.width,
            "height": self.height,
            "iscc": self.iscc,
            "phash": self.phash,
            "features": len(self.descriptors) // 32,
        }


def _normalised(image: Image.Image) -> list[int]:
    """The 32x32 grey pixels the ISCC image code is made from: transparency on white, grey,
    uniform borders trimmed (a frame or a letterbox does not change the picture), bicubic."""
    grey = ImageOps.grayscale(image.convert("RGB"))
    background = Image.new("L", grey.size, grey.getpixel((0, 0)))
    box = ImageChops.difference(grey, background).point(lambda v: 255 if v > 8 else 0).getbbox()
    if box and (box[2] - box[0]) * (box[3] - box[1]) >= 0.25 * grey.width * grey.height:
        grey = grey.crop(box)
    return np.asarray(grey.resize((32, 32), Image.Resampling.BICUBIC)).ravel().tolist()


def _iscc(image: Image.Image) -> tuple[str, int]:
    import iscc_core

    code = iscc_core.gen_image_code_v0(_normalised(image), bits=64)["iscc"]
    body = iscc_core.decode_base32(code.removeprefix("ISCC:"))[2:]  # after the two header bytes
    return code, int.from_bytes(body, "big")


def _features(image: Image.Image) -> tuple[bytes, bytes]:
    import cv2

    grey = ImageOps.grayscale(image.convert("RGB"))
    grey.thumbnail((FEATURE_SIDE, FEATURE_SIDE), Image.Resampling.BILINEAR)
    if min(grey.size) < MIN_FEATURE_SIDE:  # a strip: ORB's pyramid cannot be built, and it holds no scene
        return b"", b""
    pixels = np.asarray(grey)
    orb = cv2.ORB_create(nfeatures=MAX_FEATURES)
    keypoints, descriptors = orb.detectAndCompute(pixels, None)
    if descriptors is None or not keypoints:
        return b"", b""
    strongest = np.argsort([-k.response for k in keypoints], kind="stable")  # the index samples the first
    keypoints, descriptors = [keypoints[i] for i in strongest], descriptors[strongest]
    points = np.array([k.pt for k in keypoints], np.float32) / np.array(
        [pixels.shape[1], pixels.shape[0]], np.float32
    )
    return descriptors.astype(np.uint8).tobytes(), points.tobytes()


def make_fingerprint(
    image: Image.Image, sha256: str, phash: str, size: tuple[int, int] | None = None
) -> Fingerprint:
    """The fingerprint of a decoded, upright picture; ``size`` is the picture's displayed size
    when ``image`` is a reduced working copy of it."""
    iscc, code = _iscc(image)
    _, mirror_code = _iscc(ImageOps.mirror(image))
    descriptors, points = _features(image)
    width, height = size or image.size
    thumb = ImageOps.grayscale(image.convert("RGB")).resize((THUMB_SIDE, THUMB_SIDE), Image.Resampling.BOX)
    return Fingerprint(
        sha256, width, height, iscc, code, mirror_code, phash, descriptors, points, thumb.tobytes()
    )


def fingerprint_file(source: Source, settings: Settings) -> Fingerprint:
    """The fingerprint of one file, decoded and computed in a file worker under the per-file
    limits. Raises the file's AnalysisError (unreadable, not an image, too large...)."""
    outcome = run_limited(
        _fingerprint_job,
        (source, settings.max_file_bytes, settings.max_pixels),
        settings.file_timeout_s,
        settings.file_memory_mb,
        warm_up=warm_up_fingerprint_worker,
    )
    outcome.reraise()
    if outcome.status != "ok":
        raise AnalysisError(f"the file could not be fingerprinted ({outcome.status}): {outcome.message}")
    return outcome.value


def warm_up_fingerprint_worker() -> None:
    """One small picture fingerprinted, so that a new worker has imported what it needs (OpenCV,
    iscc-core) before its first job's clock starts."""
    make_fingerprint(Image.new("RGB", (64, 48), (90, 120, 150)), "", "")


def _fingerprint_job(source: Source, max_bytes: int, max_pixels: int) -> Fingerprint:
    intake = open_intake(source.read(max_bytes), source.name, source.path, max_pixels)
    if intake.error is not None:
        raise intake.error
    if intake.pixels is None:
        raise AnalysisError("the file holds no picture to fingerprint")
    facts = intake.facts
    return make_fingerprint(intake.pixels, facts.sha256, facts.phash or "", (facts.width, facts.height))
