"""The classifier on a CUDA GPU, end to end: the plain pipeline against this project's path.

    python bench/gpu_bench.py [--files 96] [--out results.json]

Needs only torch, transformers, Pillow and numpy (what a GPU machine image usually has),
so that it runs where the rest of the project's dependencies are not installed. Builds a
classifier with AIRealNet's exact geometry and random weights (speed does not depend on
weight values), writes 12 MP camera-like JPEGs, and measures on the same files:

  (a) ``pipeline("image-classification", device=0)`` called once per file (full decode,
      float32): what a user of transformers gets;
  (b) this project's path: JPEG draft decoding (1/8 DCT scale, as ``core.intake`` does) in
      a pool of threads kept ahead of the GPU, then ``Detector.predict`` (float16, pinned
      memory) at batch sizes 1, 8 and 32;
  (c) the model alone at those batch sizes, for the ceiling.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import build_model, write_files  # noqa: E402  (run as a script, bench/ is on the path: bench.py)


def draft_decode(path: Path):
    """What core.intake.decode does for the classifier: DCT scaling to >= 256 px, then RGB."""
    from PIL import Image

    with Image.open(path) as im:
        w, h = im.size
        scale = max(256 / min(w, h), 1 / 8)
        im.draft("RGB", (max(1, int(w * scale)), max(1, int(h * scale))))
        return im.convert("RGB")


def timed(fn) -> float:
    import torch

    torch.cuda.synchronize()
    start = time.perf_counter()
    fn()
    torch.cuda.synchronize()
    return time.perf_counter() - start


def main() -> None:
    import torch
    import transformers
    from transformers import pipeline

    from core.detector import load_detector

    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=96)
    parser.add_argument("--out")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="gpu-bench-"))
    model = build_model(work / "model")
    t = time.perf_counter()
    files = write_files(work / "jpegs", args.files, 0)
    out = {
        "gpu": torch.cuda.get_device_name(0),
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "files": len(files),
        "write_files_s": round(time.perf_counter() - t, 1),
    }

    pipe = pipeline("image-classification", model=str(model), device=0)
    for path in files[:3]:
        pipe(str(path))
    seconds = timed(lambda: [pipe(str(p)) for p in files])
    out["a_pipeline_images_per_s"] = round(len(files) / seconds, 2)

    decode_pool = ThreadPoolExecutor(max_workers=16)
    for batch in (1, 8, 32):
        detector = load_detector(str(model), device="cuda", batch_size=batch)
        detector.predict([draft_decode(p) for p in files[:batch]])  # warm-up: kernels, pinned buffers

        def run(detector=detector, batch=batch):
            # Decoding stays ahead of the GPU: the next batch is decoded while this one runs.
            futures = [decode_pool.submit(draft_decode, p) for p in files]
            for start in range(0, len(files), batch):
                detector.predict([f.result() for f in futures[start : start + batch]])

        seconds = timed(run)
        out[f"b_project_batch{batch}_images_per_s"] = round(len(files) / seconds, 2)
        out[f"b_project_batch{batch}_dtype"] = detector.dtype

        images = [draft_decode(p) for p in files[: max(batch, 32)]]
        inputs = detector.processor(images=images[:batch], return_tensors="pt")["pixel_values"]
        inputs = inputs.to("cuda", dtype=next(detector.model.parameters()).dtype)
        with torch.inference_mode():
            detector.model(pixel_values=inputs)
            reps = max(3, 96 // batch)
            net = detector.model
            seconds = timed(
                lambda net=net, inputs=inputs, reps=reps: [net(pixel_values=inputs) for _ in range(reps)]
            )
        out[f"c_model_only_batch{batch}_images_per_s"] = round(reps * batch / seconds, 1)
    print(json.dumps(out, indent=2))
    if args.out:
        Path(args.out).write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
