"""The fast CPU path: the classifier exported once to OpenVINO, cached on disk.

Measured on the build machine (``../shared/docs/airealnet.md``): OpenVINO runs
AIRealNet's geometry 1.7x faster than PyTorch eager in float32, and 3.4x in bfloat16 on
CPUs that compute bfloat16 natively (AVX-512 BF16, AMX). Reduced precision is used only
there, and only after a parity check against the PyTorch model on varied inputs shows
that ``p_artificial`` moves by at most ``PARITY_BOUND``; otherwise float32 is used, and
if even that disagrees, the caller stays on PyTorch.

The exported model is cached under the user's cache folder, keyed by the model's
weight fingerprint, the input shape and the OpenVINO version, so a new revision or a
new runtime exports again and an unchanged one loads in a second. The input shape is what
the model's own preprocessor produces (``input_shape``), not a size assumed here: a 192,
224 or 384 px checkpoint is exported at its own size.
"""

from __future__ import annotations

import hashlib
import threading
import warnings
from pathlib import Path

import numpy as np

# Largest accepted difference in p_artificial between the fast path and PyTorch fp32.
PARITY_BOUND = 0.01
# A precision is accepted only if it stays within this share of the bound on the parity
# inputs: real photos can differ a little more than any fixed test set.
PARITY_MARGIN = 0.5
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def available() -> bool:
    try:
        import openvino  # noqa: F401
    except ImportError:
        return False
    return True


def cache_dir() -> Path:
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("image-evidence-desk", appauthor=False)) / "openvino"


def native_bf16() -> bool:
    import openvino as ov

    return "BF16" in ov.Core().get_property("CPU", "OPTIMIZATION_CAPABILITIES")


def input_shape(processor) -> tuple[int, int] | None:
    """The (height, width) of the pixel values the model's own preprocessor makes, read by
    running it on two pictures of opposite shapes; None when it depends on the picture (no
    fixed input, so no fixed-shape export). Reading the output, not the config's ``size``
    (``height``/``width``, ``shortest_edge`` plus ``crop_size``, an int...), covers every
    processor the same way."""
    from PIL import Image

    shapes = set()
    for size in ((320, 200), (200, 320)):
        pixels = processor(images=[Image.new("RGB", size, (128, 128, 128))], return_tensors="np")[
            "pixel_values"
        ]
        shapes.add((int(pixels.shape[-2]), int(pixels.shape[-1])))
    if len(shapes) != 1:
        return None
    (height, width) = shapes.pop()
    return height, width


def _parity_inputs(shape: tuple[int, int], mean=IMAGENET_MEAN, std=IMAGENET_STD) -> np.ndarray:
    """Varied inputs, normalised as the ImageNet-style processor does (seeded): photo-like
    gradients with sensor-like noise at several strengths, textures, edges, flat fields."""
    rng = np.random.default_rng(0)
    height, width = shape
    y, x = np.mgrid[0:height, 0:width] / np.array([height, width]).reshape(2, 1, 1)
    images = []
    for i, noise in enumerate((2, 8, 15, 25, 35, 50, 25, 12)):
        base = np.stack([x * (i % 3 + 1) / 3, y * ((i + 1) % 3) / 3, (x + y) / 2]) * 255
        images.append(np.clip(base + rng.normal(0, noise, base.shape), 0, 255))
    images.append(np.stack([127 + 100 * np.sin(40 * x) * np.cos(30 * y)] * 3))
    images.append(np.stack([(x > 0.5) * 255.0, (y > 0.5) * 255.0, np.full_like(x, 128)]))
    images.append(np.full((3, height, width), 30.0))
    images.append(rng.uniform(0, 255, (3, height, width)))
    pixels = np.stack(images) / 255.0
    return ((pixels - np.array(mean).reshape(1, 3, 1, 1)) / np.array(std).reshape(1, 3, 1, 1)).astype(
        np.float32
    )


def _softmax(logits: np.ndarray) -> np.ndarray:
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


class OpenVINOModel:
    """A compiled OpenVINO model with the same job as the PyTorch one: pixel values in, logits out."""

    def __init__(self, compiled, precision: str):
        self.compiled = compiled
        self.precision = precision
        self._lock = threading.Lock()

    def logits(self, pixel_values: np.ndarray) -> np.ndarray:
        # The compiled model has a static batch of one (see _compile): a batch is run
        # image by image, which on a CPU costs nothing against a batched call.
        with self._lock:
            return np.concatenate([self.compiled({"pixel_values": row[None]})[0] for row in pixel_values])


def _model_path(weights_key: str, shape: tuple[int, int]) -> Path:
    import openvino as ov

    key = hashlib.sha256(f"{weights_key}|{shape[0]}x{shape[1]}|{ov.__version__}".encode()).hexdigest()[:24]
    return cache_dir() / key / "model.xml"


def _compile(exported, precision: str) -> OpenVINOModel:
    import openvino as ov

    # A static input shape lets the CPU plugin pick fixed-shape kernels: measured 8% more
    # images/s than the dynamic batch dimension on AIRealNet's geometry (bench/README.md).
    shape = exported.input(0).get_partial_shape()
    exported.reshape({"pixel_values": [1, *(shape[i].get_length() for i in (1, 2, 3))]})
    compiled = ov.Core().compile_model(exported, "CPU", {"INFERENCE_PRECISION_HINT": precision})
    return OpenVINOModel(compiled, "bfloat16" if precision == "bf16" else "float32")


def load_cached(weights_key: str, shape: tuple[int, int]) -> tuple[OpenVINOModel, float] | None:
    """A model exported and parity-checked before, without loading the PyTorch weights at all
    (saves the time and the memory of a second copy of the model)."""
    path = _model_path(weights_key, shape)
    record = path.with_name("parity.json")
    if not (path.exists() and record.exists()):
        return None
    import json

    import openvino as ov

    parity = json.loads(record.read_text())
    if parity["precision"] == "bf16" and not native_bf16():
        return None  # the cache was made on another CPU: check again
    return _compile(ov.Core().read_model(path), parity["precision"]), parity["delta"]


def load(
    torch_model,
    weights_key: str,
    shape: tuple[int, int],
    artificial_index: int,
    mean=IMAGENET_MEAN,
    std=IMAGENET_STD,
) -> tuple[OpenVINOModel, float]:
    """Export (or load from the cache) and compile; returns the model and its measured parity.

    Raises RuntimeError when neither precision agrees with PyTorch within PARITY_BOUND.
    """
    import json

    import openvino as ov
    import torch

    path = _model_path(weights_key, shape)
    if path.exists():
        exported = ov.Core().read_model(path)
    else:
        example = torch.zeros(2, 3, *shape)
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # tracing warns about Python-side shape checks; harmless here
            exported = ov.convert_model(torch_model.float().eval(), example_input={"pixel_values": example})
        exported.reshape({"pixel_values": [-1, 3, *shape]})
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name("model.tmp.xml")
        ov.save_model(exported, tmp, compress_to_fp16=False)
        tmp.with_suffix(".bin").replace(path.with_suffix(".bin"))
        tmp.replace(path)

    inputs = _parity_inputs(shape, mean, std)
    with torch.no_grad():
        reference = torch_model.float()(pixel_values=torch.from_numpy(inputs)).logits.numpy()
    p_reference = _softmax(reference)[:, artificial_index]
    for precision in ["bf16", "f32"] if native_bf16() else ["f32"]:
        candidate = _compile(exported, precision)
        delta = float(np.abs(_softmax(candidate.logits(inputs))[:, artificial_index] - p_reference).max())
        if delta <= PARITY_BOUND * PARITY_MARGIN:
            path.with_name("parity.json").write_text(json.dumps({"precision": precision, "delta": delta}))
            return candidate, delta
    raise RuntimeError(f"OpenVINO disagrees with PyTorch by more than {PARITY_BOUND} on the parity inputs")
