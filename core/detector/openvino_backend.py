"""The fast CPU path: the classifier exported once to OpenVINO, cached on disk.

Measured on the build machine (``../shared/docs/airealnet.md``): OpenVINO runs
AIRealNet's geometry 1.7x faster than PyTorch eager in float32, and 3.4x in bfloat16 on
CPUs that compute bfloat16 natively (AVX-512 BF16, AMX). No score may move by more than
``PARITY_BOUND`` against the PyTorch model. float32 is checked against it on varied
inputs (if even that disagrees, the caller stays on PyTorch). bfloat16 is used only on
those CPUs, with a bound on how far it moves a logit (``logit_error``, measured on the same
inputs, with a safety factor): how far that moves a probability depends on the
probability (nothing at 0.001, most at 0.5), so each image's bfloat16 score is kept only
where the bound cannot move it by more than ``PARITY_BOUND``, and computed again in
float32 where it can (``OpenVINOModel.run``). A desk's clearly low camera photos keep the
fast score; the few near a decision get the exact one. (Accepting or refusing bfloat16 as
a whole on the parity inputs, as before, refused it for any model whose head is sharp
enough that one input lands near 0.5, and said nothing of real photos, which bfloat16 can
move further than any of the inputs.) A score computed twice costs both runs, so while
most recent scores needed float32 anyway, images go to float32 first (``Routing``).

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
from collections import deque
from pathlib import Path

import numpy as np

# Largest accepted difference in p_artificial between the fast path and PyTorch fp32.
PARITY_BOUND = 0.01
# float32 is accepted only if it stays within this share of the bound on the parity
# inputs: real photos can differ a little more than any fixed test set.
PARITY_MARGIN = 0.5
# bfloat16's largest logit difference on the parity inputs, times this, bounds it on real
# photos: on the corpus's 88 camera photos it reached 1.6 to 2.0 times the inputs' (three
# random models of AIRealNet's geometry, bench/README.md).
LOGIT_ERROR_SAFETY = 3.0
# Version of the cached parity record: records of other versions are checked again (2: the
# bfloat16 bound is kept whatever its size; 1 refused bfloat16 beyond 1 logit).
RECORD_VERSION = 2
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


def softmax(logits: np.ndarray) -> np.ndarray:
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def within_bound(logits: np.ndarray, logit_error: float) -> bool:
    """Whether moving every logit of one image by at most ``logit_error`` moves none of its
    probabilities by more than ``PARITY_BOUND``. Moving the logits by at most e moves a
    probability's log-odds by at most 2e (its own logit up, the others down), so the
    worst case of a probability p is sigmoid(logit(p) +- 2e)."""
    p = softmax(logits[None].astype(np.float64))[0]
    with np.errstate(divide="ignore"):
        odds = np.log(p) - np.log1p(-p)  # +-inf where p is 0 or 1 in float64: nothing can move it
    worst = np.maximum(
        np.abs(_sigmoid(odds + 2 * logit_error) - p), np.abs(p - _sigmoid(odds - 2 * logit_error))
    )
    return bool(np.all(np.nan_to_num(worst, nan=0.0) <= PARITY_BOUND))


def _sigmoid(x: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-x))


class Routing:
    """Whether the next image goes to bfloat16 first. A score that bfloat16 cannot keep costs
    both runs (here 0.31 + 0.7 s against 0.7 for float32 alone), so bfloat16 first pays
    while about half the scores keep it or more. How many do depends on the model and on the
    photos, not on the size of the bound alone: three of the bench's heads with bounds of 2.3
    to 8.3 logits kept 84 to 86 of the corpus's 88 camera photos, because their scores sit
    far from any decision. So the share is watched over the last ``WINDOW`` scores; while
    under ``KEEP_SHARE``, images go to float32 directly, and each of those still counts:
    whether bfloat16 would have kept it, as its float32 score tells (bfloat16 moves the
    logits by at most the bound). Either way every score is within the bound of PyTorch's,
    and each says which precision it has."""

    WINDOW = 32
    MIN_SEEN = 8
    KEEP_SHARE = 0.5

    def __init__(self) -> None:
        self.kept: deque[bool] = deque(maxlen=self.WINDOW)

    def bfloat16_first(self) -> bool:
        return len(self.kept) < self.MIN_SEEN or sum(self.kept) >= self.KEEP_SHARE * len(self.kept)

    def record(self, kept: bool) -> None:
        self.kept.append(kept)


class OpenVINOModel:
    """A compiled OpenVINO model with the same job as the PyTorch one: pixel values in, logits
    out. In bfloat16 it keeps the exported model to compile a float32 copy the first time an
    image's score could be moved by more than the bound (``within_bound``); that copy holds
    the weights again (about 0.9 GB for AIRealNet), so a model whose bfloat16 never comes
    near the bound never pays for it."""

    def __init__(self, compiled, precision: str, exported=None, logit_error: float = 0.0):
        self.compiled = compiled
        self.precision = precision
        self.logit_error = logit_error
        self._exported = exported if logit_error else None
        self._exact = None
        self._routing = Routing()
        self._lock = threading.Lock()

    @property
    def description(self) -> str:
        if self._exported is None:
            return self.precision
        return f"{self.precision}; float32 where {self.precision} could move the score by more than {PARITY_BOUND}"

    def run(self, pixel_values: np.ndarray, exact: list[bool] | None = None) -> tuple[np.ndarray, list[str]]:
        """The logits of each image, and the precision each was computed in. ``exact[i]``:
        image i is known to be near a decision (a re-shipped copy of an image whose own score
        needed float32), so it goes to float32 without a bfloat16 run first; so does an image
        while most recent scores needed float32 (``Routing``)."""
        # The compiled model has a static batch of one (see _compile): a batch is run
        # image by image, which on a CPU costs nothing against a batched call.
        checked = self._exported is not None  # bfloat16, with float32 for the scores near a decision
        rows, precisions = [], []
        with self._lock:
            for i, row in enumerate(pixel_values):
                feed = {"pixel_values": row[None]}
                told = checked and exact is not None and exact[i]
                routed = checked and not told and not self._routing.bfloat16_first()
                near = told or routed
                if not near:
                    out, precision = self.compiled(feed)[0], self.precision
                    if checked:
                        near = not within_bound(out[0], self.logit_error)
                        self._routing.record(not near)
                if near:
                    if self._exact is None:
                        self._exact = _compile(self._exported, "f32")
                    out, precision = self._exact.compiled(feed)[0], "float32"
                    if routed:
                        self._routing.record(within_bound(out[0], self.logit_error))
                rows.append(out)
                precisions.append(precision)
        return np.concatenate(rows), precisions

    def logits(self, pixel_values: np.ndarray) -> np.ndarray:
        return self.run(pixel_values)[0]


def _model_path(weights_key: str, shape: tuple[int, int]) -> Path:
    import openvino as ov

    key = hashlib.sha256(f"{weights_key}|{shape[0]}x{shape[1]}|{ov.__version__}".encode()).hexdigest()[:24]
    return cache_dir() / key / "model.xml"


def _compile(exported, precision: str, logit_error: float = 0.0) -> OpenVINOModel:
    import openvino as ov

    # A static input shape lets the CPU plugin pick fixed-shape kernels: measured 8% more
    # images/s than the dynamic batch dimension on AIRealNet's geometry (bench/README.md).
    shape = exported.input(0).get_partial_shape()
    exported.reshape({"pixel_values": [1, *(shape[i].get_length() for i in (1, 2, 3))]})
    compiled = ov.Core().compile_model(exported, "CPU", {"INFERENCE_PRECISION_HINT": precision})
    return OpenVINOModel(compiled, "bfloat16" if precision == "bf16" else "float32", exported, logit_error)


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
    if parity.get("version") != RECORD_VERSION:
        return None  # checked by another version, under another rule for bfloat16: check again
    if parity["precision"] == "bf16" and not native_bf16():
        return None  # the cache was made on another CPU: check again
    return _compile(ov.Core().read_model(path), parity["precision"], parity["logit_error"]), parity["delta"]


def load(
    torch_model,
    weights_key: str,
    shape: tuple[int, int],
    artificial_index: int,
    mean=IMAGENET_MEAN,
    std=IMAGENET_STD,
) -> tuple[OpenVINOModel, float]:
    """Export (or load from the cache) and compile; returns the model and its measured parity
    (the largest difference in ``p_artificial`` on the parity inputs, before any score is
    computed again in float32).

    Raises RuntimeError when float32 does not agree with PyTorch within PARITY_BOUND.
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

    def p_delta(logits: np.ndarray) -> float:
        return float(
            np.abs(softmax(logits)[:, artificial_index] - softmax(reference)[:, artificial_index]).max()
        )

    # float32 first: it is the answer wherever bfloat16 could be too far from it.
    chosen = _compile(exported, "f32")
    delta = p_delta(chosen.logits(inputs))
    if delta > PARITY_BOUND * PARITY_MARGIN:
        raise RuntimeError(
            f"OpenVINO disagrees with PyTorch by more than {PARITY_BOUND} on the parity inputs"
        )
    record = {"precision": "f32", "delta": delta, "logit_error": 0.0}
    if native_bf16():
        del chosen  # one compiled copy of the weights at a time
        fast = _compile(exported, "bf16")
        logits = fast.logits(inputs)
        logit_error = LOGIT_ERROR_SAFETY * float(np.abs(logits - reference).max())
        chosen = OpenVINOModel(fast.compiled, fast.precision, exported, logit_error)
        record = {"precision": "bf16", "delta": p_delta(logits), "logit_error": logit_error}
    path.with_name("parity.json").write_text(json.dumps({**record, "version": RECORD_VERSION}))
    return chosen, record["delta"]
