"""The AI-vs-real image classifier (AIRealNet by default), loaded once per process.

Built on transformers' ``AutoModelForImageClassification`` and ``AutoImageProcessor``
(the PIL backend, so preprocessing is identical with or without torchvision, and works
with AIRealNet's minimal ``preprocessor_config.json`` that names no processor class).
The device is chosen automatically (CUDA, then Apple MPS, then CPU) with half
precision on GPUs; probabilities are always computed in float32. A classifier never
emits a verdict: it gives ``p_artificial``, one piece of statistical evidence.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import json
import threading
from dataclasses import dataclass

import numpy as np
from PIL import Image

from core.errors import ClassifierUnavailable
from core.intake import read_bytes
from core.schema import ClassifierResult
from core.threads import map_in_threads
from core.thresholds import labelled_artificial

from . import openvino_backend
from .labels import map_labels
from .loader import MAX_CONFIG_BYTES, ModelFiles, locate_model
from .preprocessing import PlainResize


def pick_device(requested: str = "auto") -> str:
    """``auto`` picks CUDA, then Apple MPS, then CPU; an explicit device must exist."""
    requested = (requested or "auto").strip().lower()
    if requested == "cpu" or (requested == "auto" and _torch_is_cpu_only()):
        return "cpu"  # without importing torch (1.5 s): the cached fast path never needs it
    import torch

    if requested == "auto":
        if torch.cuda.is_available():
            return "cuda"
        if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            return "mps"
        return "cpu"
    if requested.startswith("cuda") and not torch.cuda.is_available():
        raise ClassifierUnavailable(f"device {requested!r} was requested but no CUDA GPU is available")
    if requested == "mps" and not (
        getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()
    ):
        raise ClassifierUnavailable("device 'mps' was requested but Apple MPS is not available")
    if requested != "cpu" and not requested.startswith(("cuda", "mps")):
        raise ClassifierUnavailable(f"unknown device {requested!r}; use auto, cpu, cuda, cuda:N or mps")
    return requested


def _torch_is_cpu_only() -> bool:
    """Whether the installed torch is a CPU-only build, read from its version without importing
    it: PyTorch's CPU wheels carry the local version ``+cpu`` (``torch==2.13.0`` here)."""
    try:
        return importlib.metadata.version("torch").endswith("+cpu")
    except importlib.metadata.PackageNotFoundError:
        return False


@dataclass
class Detector:
    """A loaded classifier. Use :func:`get_detector` to share one per process."""

    files: ModelFiles
    model: object  # the PyTorch model; None once the OpenVINO export replaced it
    processor: object
    device: str
    dtype: str
    artificial_index: int
    batch_size: int = 8
    backend: str = "pytorch"
    fast_model: object = None  # openvino_backend.OpenVINOModel when backend == "openvino"
    backend_note: str | None = None  # why the fast path is not in use, when it was wanted

    def __post_init__(self) -> None:
        # Dashboard sessions share this object: one inference at a time keeps GPU
        # memory bounded and CPU threads from fighting each other.
        self._lock = threading.Lock()

    @property
    def model_id(self) -> str:
        return self.files.model_id

    @property
    def revision(self) -> str:
        return self.files.revision

    @property
    def precision(self) -> str:
        """The precision scores are computed in, as a person reads it (the fast path may keep
        float32 for the scores that reduced precision could move too far)."""
        return self.fast_model.description if self.fast_model is not None else self.dtype

    def predict(self, images: list[Image.Image], exact: list[bool] | None = None) -> list[ClassifierResult]:
        """Score RGB images, ``batch_size`` at a time; one result per image, in order.
        ``exact[i]``: image i is near a decision, so a reduced-precision fast path computes
        it in float32 at once (``OpenVINOModel.run``); no other path reads it."""
        results: list[ClassifierResult] = []
        for start in range(0, len(images), self.batch_size):
            chunk = exact[start : start + self.batch_size] if exact is not None else None
            results.extend(self._predict_batch(images[start : start + self.batch_size], chunk))
        return results

    def _pixel_values(self, images: list[Image.Image]) -> np.ndarray:
        """The model's float32 input for a batch of images. A plain resize (the processor's
        exact equivalent, ``PlainResize``) prepares them image by image over the cores: on a
        GPU, one core preparing them was slower than the model; any other processor takes the
        batch whole, as transformers defines it."""
        if isinstance(self.processor, PlainResize):
            return np.stack(map_in_threads(self.processor.one, images))
        rgb = [im.convert("RGB") for im in images]
        return np.asarray(self.processor(images=rgb, return_tensors="np")["pixel_values"], dtype=np.float32)

    def _predict_batch(
        self, images: list[Image.Image], exact: list[bool] | None = None
    ) -> list[ClassifierResult]:
        precisions = [self.dtype] * len(images)
        pixel_values = self._pixel_values(images)
        if self.fast_model is not None:  # numpy only: this path never imports torch
            logits, precisions = self.fast_model.run(pixel_values, exact)
            probabilities = openvino_backend.softmax(logits.astype(np.float32))
        else:
            import torch

            pixels = torch.from_numpy(pixel_values)
            if self.device.startswith("cuda"):
                # Page-locked memory lets the copy to the GPU run asynchronously.
                pixels = pixels.pin_memory()
            pixels = pixels.to(self.device, dtype=getattr(torch, self.dtype), non_blocking=True)
            with self._lock, torch.inference_mode():
                logits = self.model(pixel_values=pixels).logits
            probabilities = logits.float().softmax(dim=-1).cpu().numpy()
        if not np.isfinite(probabilities).all():  # e.g. float16 overflow: a failure, not a score
            raise ValueError("the model gave scores that are not numbers (NaN or infinite)")
        return [
            ClassifierResult(
                model=self.model_id,
                revision=self.revision,
                p_artificial=round(float(p[self.artificial_index]), 6),
                label="artificial" if labelled_artificial(float(p[self.artificial_index])) else "real",
                device=self.device,
                dtype=precision,
                backend=self.backend,
            )
            for p, precision in zip(probabilities, precisions, strict=True)
        ]


def load_detector(
    model: str, revision: str = "main", device: str = "auto", batch_size: int = 8, backend: str = "auto"
) -> Detector:
    """Load a classifier from a Hub id or a local folder, or raise ClassifierUnavailable."""
    files = locate_model(model, revision)
    chosen = pick_device(device)
    dtype = "float16" if chosen.startswith(("cuda", "mps")) else "float32"
    cached = _cached_fast_path(files, chosen, backend, batch_size)
    if cached is not None:
        return cached
    import torch
    from transformers import AutoImageProcessor, AutoModelForImageClassification
    from transformers.utils import logging as hf_logging

    # transformers' "Loading weights" bar and its note about torchvision (we ask for the
    # PIL backend on purpose) would only clutter the CLI's stderr. Hub downloads keep
    # their own progress bar.
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    try:
        # use_kernels=False: transformers 5.25 otherwise swaps layers (GELU) for kernels it
        # downloads from the Hub while loading on a GPU, and loads nothing where the kernels
        # package is missing. A score comes from the model's own code, offline, every time.
        net = AutoModelForImageClassification.from_pretrained(
            files.folder, dtype=getattr(torch, dtype), trust_remote_code=False, use_kernels=False
        )
        processor = AutoImageProcessor.from_pretrained(files.folder, backend="pil", trust_remote_code=False)
    except Exception as exc:  # transformers raises OSError, ValueError, KeyError for broken folders
        raise ClassifierUnavailable(
            f"{files.model_id!r} could not be loaded as an image classifier: {type(exc).__name__}: {str(exc)[:300]}"
        ) from exc
    finally:
        from huggingface_hub.utils import enable_progress_bars

        enable_progress_bars()  # the next Hub download should show its progress again
    artificial_index, _ = map_labels(net.config.id2label)
    net.to(chosen).eval()
    detector = Detector(
        files=files,
        model=net,
        processor=processor,
        device=chosen,
        dtype=dtype,
        artificial_index=artificial_index,
        batch_size=max(1, int(batch_size)),
    )
    # The fast path reads transformers' processor (its mean and std; it saves its plain twin).
    _use_fast_path(detector, backend)
    if detector.fast_model is None:  # PyTorch: the same input, made image by image in threads
        detector.processor = PlainResize.of(detector.processor) or detector.processor
    return detector


def _cached_fast_path(files: ModelFiles, device: str, backend: str, batch_size: int) -> Detector | None:
    """A detector from an OpenVINO export made and checked before: the PyTorch weights are
    never loaded (faster start, one copy of the model in memory), and where the model's
    preprocessing is a plain resize saved with the export, neither torch nor transformers is
    imported (``preprocessing.py``)."""
    if (backend or "auto").lower() not in ("auto", "openvino") or device != "cpu":
        return None
    if not openvino_backend.available():
        return None
    weights_key = f"{files.model_id}@{files.revision}"
    try:
        processor = PlainResize.saved(weights_key, openvino_backend.cache_dir())
        if processor is not None:
            shape = (processor.height, processor.width)
            config = json.loads(read_bytes((files.folder / "config.json").resolve(), MAX_CONFIG_BYTES))
            id2label = config.get("id2label") if isinstance(config, dict) else None
        else:
            from transformers import AutoConfig, AutoImageProcessor

            processor = AutoImageProcessor.from_pretrained(
                files.folder, backend="pil", trust_remote_code=False
            )
            shape = openvino_backend.input_shape(processor)
            id2label = AutoConfig.from_pretrained(files.folder, trust_remote_code=False).id2label
            processor = _plain_if_possible(processor, weights_key) if shape else processor
        found = openvino_backend.load_cached(weights_key, shape) if shape else None
        if found is None:
            return None
        artificial_index, _ = map_labels(id2label)
    except Exception:
        return None  # anything odd: take the full path, which reports errors properly
    fast, _ = found
    return Detector(
        files=files,
        model=None,
        processor=processor,
        device="cpu",
        dtype=fast.precision,
        artificial_index=artificial_index,
        batch_size=max(1, int(batch_size)),
        backend="openvino",
        fast_model=fast,
    )


def _use_fast_path(detector: Detector, backend: str) -> None:
    """Switch a CPU detector to OpenVINO when asked for (or on ``auto`` when installed)."""
    backend = (backend or "auto").lower()
    if backend not in ("auto", "openvino", "pytorch"):
        raise ClassifierUnavailable(f"unknown backend {backend!r}; use auto, openvino or pytorch")
    if backend == "pytorch" or detector.device != "cpu":
        return
    if not openvino_backend.available():
        if backend == "openvino":
            raise ClassifierUnavailable(
                "backend 'openvino' was requested but the openvino package is not installed"
            )
        detector.backend_note = "openvino is not installed: running PyTorch"
        return
    try:
        processor = detector.processor
        shape = openvino_backend.input_shape(processor)
        if shape is None:
            raise ValueError("the model's preprocessor gives inputs whose size depends on the picture")
        fast, _ = openvino_backend.load(
            detector.model,
            f"{detector.model_id}@{detector.revision}",
            shape,
            detector.artificial_index,
            getattr(processor, "image_mean", None) or openvino_backend.IMAGENET_MEAN,
            getattr(processor, "image_std", None) or openvino_backend.IMAGENET_STD,
        )
    except Exception as exc:  # export or parity failure: PyTorch stays correct, just slower
        if backend == "openvino":
            raise ClassifierUnavailable(f"the OpenVINO export failed: {type(exc).__name__}: {exc}") from exc
        detector.backend_note = (
            f"OpenVINO export unavailable ({type(exc).__name__}: {str(exc)[:200]}); running PyTorch"
        )
        return
    detector.fast_model, detector.backend, detector.dtype = fast, "openvino", fast.precision
    detector.model = None  # the exported copy replaces the PyTorch weights in memory
    detector.processor = _plain_if_possible(processor, f"{detector.model_id}@{detector.revision}")


def _plain_if_possible(processor, weights_key: str):
    """``processor``'s plain-resize equivalent, saved for the next process (which then loads
    without torch and transformers) and used here too, so that every process preprocesses the
    same way; ``processor`` itself where it does more than a plain resize."""
    plain = PlainResize.of(processor)
    if plain is None:
        return processor
    with contextlib.suppress(OSError):
        plain.save(weights_key, openvino_backend.cache_dir())
    return plain


_CACHE: dict[tuple[str, str, str, str], Detector] = {}
_CACHE_LOCK = threading.Lock()


def get_detector(
    model: str, revision: str = "main", device: str = "auto", batch_size: int = 8, backend: str = "auto"
) -> Detector:
    """The process-wide detector for these settings, loaded on first use.

    Failures are not cached: a dashboard that was offline can load the model later.
    """
    key = (model, revision, device, backend)
    with _CACHE_LOCK:
        detector = _CACHE.get(key)
        if detector is None:
            detector = load_detector(model, revision, device, batch_size, backend)
            _CACHE[key] = detector
    detector.batch_size = max(1, int(batch_size))
    return detector


def release_detectors() -> None:
    """Forget every detector ``get_detector`` loaded, so that each one's memory (1 to 3 GB for
    AIRealNet on the fast path, with its float32 copy) goes back once nothing else holds it:
    for a process that is done with its models, such as the bench, which loads one per set."""
    with _CACHE_LOCK:
        _CACHE.clear()
