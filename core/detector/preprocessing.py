"""The classifier's preprocessing without transformers, for a model already exported to OpenVINO.

Importing transformers' image processor imports torch and most of transformers (about 5 s
of every scan's start on two cores, against 1.5 s for loading the exported model itself).
Most image classifiers, AIRealNet among them, preprocess with a plain resize: resize to a
fixed size with Pillow, multiply by a factor, subtract a mean and divide by a deviation.
``PlainResize`` does exactly that, in the same order and the same number types as
transformers' Pillow backend, and is only ever used after it gave the processor's own
output bit for bit on probe pictures (``PlainResize.of``). Its settings are written beside
the export once the model has been loaded the full way and are read back by the next
process (``save`` / ``saved``); any processor that does more (crops, padding, aspect-kept
resizing, its own steps) has no record, and the full way runs as before.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from PIL import Image

# Version of the saved settings: records of another version are ignored (the full way runs).
RECORD_VERSION = 1


@dataclass(frozen=True)
class PlainResize:
    height: int
    width: int
    resample: int  # a Pillow resampling filter
    rescale: float | None  # None: not rescaled
    mean: tuple[float, float, float] | None  # None: not normalised
    std: tuple[float, float, float] | None

    def __call__(self, images: list[Image.Image], return_tensors: str = "np") -> dict[str, np.ndarray]:
        """``{"pixel_values": float32 array (N, 3, height, width)}`` for RGB images, as the
        processor's ``return_tensors="np"`` gives it."""
        return {"pixel_values": np.stack([self.one(image) for image in images])}

    def one(self, image: Image.Image) -> np.ndarray:
        """One image's input (3, height, width): images are independent, so a batch can be made in threads."""
        pixels = np.asarray(image.convert("RGB").resize((self.width, self.height), resample=self.resample))
        # transformers' order and types: upcast to float64, scale, downcast to float32, then
        # normalise in float32 (elementwise, so the channel layout does not change a bit).
        values = (pixels.astype(np.float64) * self.rescale).astype(np.float32) if self.rescale else pixels
        if self.mean is not None and self.std is not None:
            values = values.astype(np.float32, copy=False)
            values = (values - np.array(self.mean, dtype=np.float32)) / np.array(self.std, dtype=np.float32)
        return np.ascontiguousarray(np.moveaxis(values, -1, 0), dtype=np.float32)

    @classmethod
    def of(cls, processor) -> PlainResize | None:
        """The plain resize that gives exactly what ``processor`` gives on probe pictures
        (shapes and content of all kinds), or None when there is none."""
        size = getattr(processor, "size", None)
        height, width = (_field(size, "height"), _field(size, "width"))
        if not (isinstance(height, int) and isinstance(width, int)) or not getattr(
            processor, "do_resize", False
        ):
            return None
        if getattr(processor, "do_center_crop", False) or getattr(processor, "do_pad", False):
            return None
        normalise = bool(getattr(processor, "do_normalize", False))
        try:
            plain = cls(
                height=height,
                width=width,
                resample=int(getattr(processor, "resample", Image.Resampling.BILINEAR)),
                rescale=float(processor.rescale_factor) if getattr(processor, "do_rescale", False) else None,
                mean=tuple(float(v) for v in processor.image_mean) if normalise else None,
                std=tuple(float(v) for v in processor.image_std) if normalise else None,
            )
            probes = _probe_pictures()
            theirs = np.asarray(processor(images=probes, return_tensors="np")["pixel_values"])
            ours = plain(probes)["pixel_values"]
        except (TypeError, ValueError, AttributeError):
            return None
        return plain if theirs.dtype == ours.dtype and np.array_equal(theirs, ours) else None

    def save(self, weights_key: str, folder: Path) -> None:
        """Write these settings for the model ``weights_key`` (its files' fingerprint)."""
        path = _record_path(weights_key, folder)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps({**asdict(self), "version": RECORD_VERSION}))
        tmp.replace(path)

    @classmethod
    def saved(cls, weights_key: str, folder: Path) -> PlainResize | None:
        """The settings saved for the model ``weights_key``, or None."""
        try:
            record = json.loads(_record_path(weights_key, folder).read_text())
            if record.get("version") != RECORD_VERSION:
                return None
            return cls(
                height=int(record["height"]),
                width=int(record["width"]),
                resample=int(record["resample"]),
                rescale=None if record["rescale"] is None else float(record["rescale"]),
                mean=None if record["mean"] is None else tuple(float(v) for v in record["mean"]),
                std=None if record["std"] is None else tuple(float(v) for v in record["std"]),
            )
        except (OSError, ValueError, TypeError, KeyError):
            return None


def _field(size, name: str):
    return size.get(name) if isinstance(size, dict) else getattr(size, name, None)


def _record_path(weights_key: str, folder: Path) -> Path:
    return folder / "preprocessing" / (hashlib.sha256(weights_key.encode()).hexdigest()[:24] + ".json")


def _probe_pictures() -> list[Image.Image]:
    """Landscape and portrait, flat and noisy, tiny and larger than the model's input."""
    rng = np.random.default_rng(7)
    noise = Image.fromarray(rng.integers(0, 256, (301, 173, 3), dtype=np.uint8))
    ramp = np.linspace(0, 255, 97 * 131 * 3).reshape(97, 131, 3).astype(np.uint8)
    return [
        Image.new("RGB", (320, 200), (128, 64, 200)),
        noise,
        Image.fromarray(ramp),
        Image.new("RGB", (1, 1), (255, 0, 7)),
    ]
