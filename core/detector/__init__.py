"""The AI-vs-real image classifier (AIRealNet by default), loaded once per process.

Built on transformers' ``AutoModelForImageClassification`` and ``AutoImageProcessor``
(the PIL backend, so preprocessing is identical with or without torchvision, and works
with AIRealNet's minimal ``preprocessor_config.json`` that names no processor class).
The device is chosen automatically (CUDA, then Apple MPS, then CPU) with half
precision on GPUs; probabilities are always computed in float32. A classifier never
emits a verdict: it gives ``p_artificial``, one piece of statistical evidence.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from PIL import Image

from core.errors import ClassifierUnavailable
from core.schema import ClassifierResult

from .labels import map_labels
from .loader import ModelFiles, locate_model


def pick_device(requested: str = "auto") -> str:
    """``auto`` picks CUDA, then Apple MPS, then CPU; an explicit device must exist."""
    import torch

    requested = (requested or "auto").strip().lower()
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


@dataclass
class Detector:
    """A loaded classifier. Use :func:`get_detector` to share one per process."""

    files: ModelFiles
    model: object
    processor: object
    device: str
    dtype: str
    artificial_index: int
    batch_size: int = 8

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

    def predict(self, images: list[Image.Image]) -> list[ClassifierResult]:
        """Score RGB images, ``batch_size`` at a time; one result per image, in order."""
        results: list[ClassifierResult] = []
        for start in range(0, len(images), self.batch_size):
            results.extend(self._predict_batch(images[start : start + self.batch_size]))
        return results

    def _predict_batch(self, images: list[Image.Image]) -> list[ClassifierResult]:
        import torch

        inputs = self.processor(images=[im.convert("RGB") for im in images], return_tensors="pt")
        pixels = inputs["pixel_values"].to(self.device, dtype=getattr(torch, self.dtype))
        with self._lock, torch.inference_mode():
            logits = self.model(pixel_values=pixels).logits
        probabilities = logits.float().softmax(dim=-1).cpu()
        return [
            ClassifierResult(
                model=self.model_id,
                revision=self.revision,
                p_artificial=round(float(p[self.artificial_index]), 6),
                label="artificial" if float(p[self.artificial_index]) >= 0.5 else "real",
                device=self.device,
                dtype=self.dtype,
            )
            for p in probabilities
        ]


def load_detector(model: str, revision: str = "main", device: str = "auto", batch_size: int = 8) -> Detector:
    """Load a classifier from a Hub id or a local folder, or raise ClassifierUnavailable."""
    import torch
    from transformers import AutoImageProcessor, AutoModelForImageClassification
    from transformers.utils import logging as hf_logging

    files = locate_model(model, revision)
    chosen = pick_device(device)
    dtype = "float16" if chosen.startswith(("cuda", "mps")) else "float32"
    # transformers' "Loading weights" bar and its note about torchvision (we ask for the
    # PIL backend on purpose) would only clutter the CLI's stderr. Hub downloads keep
    # their own progress bar.
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    try:
        net = AutoModelForImageClassification.from_pretrained(files.folder, dtype=getattr(torch, dtype))
        processor = AutoImageProcessor.from_pretrained(files.folder, backend="pil")
    except Exception as exc:  # transformers raises OSError, ValueError, KeyError for broken folders
        raise ClassifierUnavailable(
            f"{files.model_id!r} could not be loaded as an image classifier: {type(exc).__name__}: {str(exc)[:300]}"
        ) from exc
    finally:
        from huggingface_hub.utils import enable_progress_bars

        enable_progress_bars()  # the next Hub download should show its progress again
    artificial_index, _ = map_labels(net.config.id2label)
    net.to(chosen).eval()
    return Detector(
        files=files,
        model=net,
        processor=processor,
        device=chosen,
        dtype=dtype,
        artificial_index=artificial_index,
        batch_size=max(1, int(batch_size)),
    )


_CACHE: dict[tuple[str, str, str], Detector] = {}
_CACHE_LOCK = threading.Lock()


def get_detector(model: str, revision: str = "main", device: str = "auto", batch_size: int = 8) -> Detector:
    """The process-wide detector for these settings, loaded on first use.

    Failures are not cached: a dashboard that was offline can load the model later.
    """
    key = (model, revision, device)
    with _CACHE_LOCK:
        detector = _CACHE.get(key)
        if detector is None:
            detector = load_detector(model, revision, device, batch_size)
            _CACHE[key] = detector
    detector.batch_size = max(1, int(batch_size))
    return detector
