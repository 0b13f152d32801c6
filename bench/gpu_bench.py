"""The classifier path and the default scan on a CUDA GPU, against the plain pipeline, in one run.

    python bench/gpu_bench.py [--files 256] [--default-files 20] [--heavy-files 6] [--out results.json]

Builds a classifier with AIRealNet's exact geometry and random weights (speed does not depend
on weight values), writes 12 MP camera-like JPEGs (in parallel processes), and measures on the
same files and machine, printing each line as it is measured:

  (a) ``pipeline("image-classification", device=0)`` called once per file (full decode on the
      CPU, float32): what a user of transformers gets;
  decoding alone, the classifier's ceiling on this machine's CPUs and GPU: JPEG draft decoding
      (1/8 DCT scale, as ``core.intake`` does) in threads and in processes; nvJPEG full-size
      decoding on the GPU (torchvision's ``decode_jpeg``, batched);
  (b) the classifier path end to end, decoding kept ahead of the model, float16:
      ``Detector.predict`` fed by draft decoding in threads (this project's path, batch 8, the
      default, and 32); draft decoding and resizing to 256 px in processes with normalisation
      on the GPU; nvJPEG decoding with resizing on the GPU; nvImageCodec's hardware decoding
      with resizing on the GPU, alone and with a share of the files draft-decoded in processes
      at the same time;
  (c) the model alone at batch 32, 64 and 128, eagerly and replayed as a CUDA graph, and
      (last) compiled with ``torch.compile`` at batch 128;
  (f) the default scan (every default setting but the model, device auto = this GPU) against
      (a) on camera-like 12 MP JPEGs of different scenes and the heavy sets of bench.py (12, 24
      and 48 MP JPEGs at q95 with fine grain, 12 MP HEIC), with stability auto and always;
  (i) ``python -m core scan`` at default settings over all the files, whole process.

Needs torch (a CUDA build), transformers, Pillow and numpy; torchvision for nvJPEG,
nvidia-nvimgcodec (with nvidia-nvjpeg) for nvImageCodec, and the project's requirements for (f)
and (i). A part whose library is missing prints why and the
rest still runs. Nothing here is a test (see bench/README.md).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import sys
import tempfile
import time
import traceback
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path
from statistics import median

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import bench  # noqa: E402  (run as a script, bench/ is on the path)

SIDE = 256  # AIRealNet's input
MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)
RESULTS: dict = {}


def note(key: str, value, text: str) -> None:
    RESULTS[key] = value
    print(text, flush=True)


def measure(key: str, label: str, count: int, fn, rounds: int = 2) -> None:
    """Images per second of ``fn`` (``count`` images), the median of ``rounds`` runs, printed."""
    RESULTS[key] = rate_of(count, fn, rounds)
    print(f"{label}: {RESULTS[key]} images/s", flush=True)


def draft_decode(path: Path):
    """What core.intake.decode does for the classifier: DCT scaling to >= 256 px, then RGB."""
    from PIL import Image

    with Image.open(path) as im:
        w, h = im.size
        scale = max(SIDE / min(w, h), 1 / 8)
        im.draft("RGB", (max(1, int(w * scale)), max(1, int(h * scale))))
        return im.convert("RGB")


def draft_to_array(path: Path):
    """Draft decoding and the resize to the model's input in the decoding process, so that only
    256 x 256 x 3 bytes travel back."""
    import numpy as np
    from PIL import Image

    return np.asarray(draft_decode(path).resize((SIDE, SIDE), Image.Resampling.BICUBIC))


def write_parallel(work: Path, files: int, default_files: int, heavy_files: int) -> dict[str, list[Path]]:
    """Every file set at once, in processes: 12 MP JPEGs are slow to encode one by one."""
    fork = multiprocessing.get_context("fork")  # before CUDA starts in this process
    sets: dict[str, list[Path]] = {}
    with ProcessPoolExecutor(16, mp_context=fork) as pool:
        per = max(1, files // 16)
        parts = [
            pool.submit(bench.write_files, work / "camera", min(per, files - s), 0, (4000, 3000), s)
            for s in range(0, files, per)
        ]
        varied = pool.submit(bench.write_varied, work / "varied", default_files)
        heavy = {
            name: pool.submit(bench.write_heavy, work / f"heavy-{n}", heavy_files, size, fmt)
            for n, (name, size, fmt) in enumerate(bench.HEAVY_SETS)
        }
        sets["camera"] = sorted(p for part in parts for p in part.result())
        sets["camera-like 12 MP JPEGs of different scenes (q92)"] = varied.result()
        for name, future in heavy.items():
            try:
                sets[name] = future.result()
            except Exception as exc:  # noqa: BLE001 (HEIC needs pillow-heif: say so, measure the rest)
                print(f"{name}: not written ({type(exc).__name__}: {exc})", flush=True)
    return sets


def timed(fn) -> float:
    import torch

    torch.cuda.synchronize()
    start = time.perf_counter()
    fn()
    torch.cuda.synchronize()
    return time.perf_counter() - start


def rate_of(count: int, fn, rounds: int = 2) -> float:
    """Images per second, the median of ``rounds`` runs (after a warm-up run outside)."""
    return round(median(count / timed(fn) for _ in range(rounds)), 1)


def normalise(batch_uint8):
    """(N, H, W, 3) uint8 on the GPU to the model's float16 input."""
    return normalise_float(batch_uint8.permute(0, 3, 1, 2).half())


def normalise_float(x):
    """(N, 3, H, W) float16 in 0..255 on the GPU to the model's input."""
    import torch

    x = x.div(255)
    mean = torch.tensor(MEAN, device=x.device, dtype=x.dtype).view(1, 3, 1, 1)
    std = torch.tensor(STD, device=x.device, dtype=x.dtype).view(1, 3, 1, 1)
    return x.sub_(mean).div_(std)


def resized(images):
    """Decoded images on the GPU (CHW uint8 tensors) as one (N, 3, 256, 256) float16 batch in
    0..255: the bilinear resize with antialiasing."""
    import torch

    return torch.cat(
        [
            torch.nn.functional.interpolate(
                im[None].half(), size=(SIDE, SIDE), mode="bilinear", antialias=True
            )
            for im in images
        ]
    )


def engine_images(images):
    """nvImageCodec's decoded images (HWC, on the GPU) as CHW tensors, without a copy."""
    import torch

    return [torch.as_tensor(im, device="cuda").permute(2, 0, 1) for im in images]


def code_streams(chunk: list[bytes]):
    """nvImageCodec's input: its code streams parse each file's header (timed with the decode)."""
    from nvidia import nvimgcodec

    return [nvimgcodec.CodeStream(b) for b in chunk]


def attempt(name: str, fn) -> None:
    """One measurement; if it fails it says why and the next one still runs."""
    try:
        fn()
    except Exception as exc:  # noqa: BLE001
        print(f"{name}: failed ({type(exc).__name__}: {str(exc)[:400]})", flush=True)


def classifier_path(
    model: Path, files: list[Path], only_project: bool = False, compile_model: bool = True
) -> None:
    import numpy as np
    import torch
    from transformers import AutoModelForImageClassification, pipeline

    from core.detector import load_detector

    n = len(files)
    data = [p.read_bytes() for p in files]
    threads = ThreadPoolExecutor(16)
    processes = ProcessPoolExecutor(16, mp_context=multiprocessing.get_context("fork"))
    list(processes.map(draft_to_array, files[:32]))  # start the processes before CUDA does
    list(threads.map(draft_decode, files[:32]))

    def plain_pipeline() -> None:
        pipe = pipeline("image-classification", model=str(model), device=0)
        pipe(str(files[0]))
        few = files[:16]
        label = f"(a) plain pipeline, device=0, one file per call ({len(few)} files)"
        measure("a", label, len(few), lambda: [pipe(str(p)) for p in few], 1)

    def cpu_decoding() -> None:
        measure(
            "decode_threads",
            "decoding alone, draft (1/8 DCT) in 16 threads",
            n,
            lambda: list(threads.map(draft_decode, files)),
        )
        measure(
            "decode_processes",
            "decoding alone, draft + resize to 256 in 16 processes",
            n,
            lambda: list(processes.map(draft_to_array, files, chunksize=4)),
        )

    def gpu_decoding() -> None:
        from torchvision.io import decode_jpeg

        raw = [torch.frombuffer(bytearray(p.read_bytes()), dtype=torch.uint8) for p in files]
        for size in (16, 32):
            decode_jpeg(raw[:size], device="cuda")

            def decode_all(size=size):
                for s in range(0, n, size):
                    decode_jpeg(raw[s : s + size], device="cuda")

            label = f"decoding alone, nvJPEG full size on the GPU, batches of {size} (bytes in memory)"
            measure(f"decode_nvjpeg_batch{size}", label, n, decode_all)

    def nvimgcodec_decoding() -> None:
        from nvidia import nvimgcodec

        for kind in ("HW_GPU_ONLY", "GPU_ONLY"):
            decoder = nvimgcodec.Decoder(backends=[nvimgcodec.Backend(getattr(nvimgcodec.BackendKind, kind))])
            failed = sum(image is None for image in decoder.decode(code_streams(data[:32])))
            if failed:  # a backend that cannot decode a file returns None for it
                print(f"nvImageCodec {kind}: {failed} of 32 files not decoded", flush=True)
                continue
            for size in (32, 64, 128):

                def decode_all(decoder=decoder, size=size):
                    for s in range(0, n, size):
                        decoder.decode(code_streams(data[s : s + size]))

                label = f"decoding alone, nvImageCodec {kind} full size, batches of {size} (bytes in memory)"
                measure(f"decode_nvimgcodec_{kind}_batch{size}", label, n, decode_all)

    def project_path() -> None:
        for batch in (8, 32):
            detector = load_detector(str(model), device="cuda", batch_size=batch)
            detector.predict([draft_decode(p) for p in files[:batch]])

            def run(detector=detector, batch=batch):
                futures = [threads.submit(draft_decode, p) for p in files]
                for s in range(0, n, batch):
                    detector.predict([f.result() for f in futures[s : s + batch]])

            label = f"(b) this project's path (Detector.predict, draft decoding in 16 threads), batch {batch}"
            measure(f"b_project_batch{batch}", label, n, run)

    if only_project:
        attempt("(b) project", project_path)
        return
    for name, fn in (
        ("(a)", plain_pipeline),
        ("CPU decoding", cpu_decoding),
        ("nvJPEG", gpu_decoding),
        ("nvImageCodec", nvimgcodec_decoding),
        ("(b) project", project_path),
    ):
        attempt(name, fn)
    net = AutoModelForImageClassification.from_pretrained(model, dtype=torch.float16).to("cuda").eval()

    def processes_path(batch: int) -> None:
        arrays = processes.map(draft_to_array, files, chunksize=4)  # decoding runs ahead of the model
        with torch.inference_mode():
            chunk = []
            for array in arrays:
                chunk.append(array)
                if len(chunk) == batch:
                    pinned = torch.from_numpy(np.stack(chunk)).pin_memory()
                    net(pixel_values=normalise(pinned.to("cuda", non_blocking=True)))
                    chunk = []
            if chunk:
                net(pixel_values=normalise(torch.from_numpy(np.stack(chunk)).to("cuda")))

    def nvjpeg_path(batch: int) -> None:
        from torchvision.io import decode_jpeg

        def read(path: Path):
            return torch.frombuffer(bytearray(path.read_bytes()), dtype=torch.uint8)

        with torch.inference_mode():
            chunk = []
            for data in threads.map(read, files):  # files are read ahead of the decoder
                chunk.append(data)
                if len(chunk) == batch:
                    x = resized(decode_jpeg(chunk, device="cuda"))
                    net(pixel_values=normalise_float(x))
                    chunk = []

    decode_thread = ThreadPoolExecutor(1)  # hardware decoding and resizing run ahead of the model
    side_stream = torch.cuda.Stream()

    def hardware_batch(decoder, chunk: list[bytes]):
        """One batch decoded on the JPEG engines, resized and normalised on a side stream."""
        with torch.inference_mode(), torch.cuda.stream(side_stream):
            images = decoder.decode(code_streams(chunk), cuda_stream=side_stream.cuda_stream)
            x = normalise_float(resized(engine_images(images)))
        side_stream.synchronize()
        return x

    def hardware_path(decoder, batch: int, cpu_share: float) -> int:
        """The first ``cpu_share`` of the files draft-decoded in the 16 processes, the rest on
        the hardware decoder, both at once, every image through the model; the count run."""
        k = int(n * cpu_share) // batch * batch
        arrays = processes.map(draft_to_array, files[:k], chunksize=4)
        gpu_data = data[k:]
        chunks = [gpu_data[s : s + batch] for s in range(0, len(gpu_data) // batch * batch, batch)]
        batches = decode_thread.map(lambda c: hardware_batch(decoder, c), chunks)
        with torch.inference_mode():
            for x in batches:
                net(pixel_values=x)
            chunk = []
            for array in arrays:
                chunk.append(array)
                if len(chunk) == batch:
                    net(pixel_values=normalise(torch.from_numpy(np.stack(chunk)).to("cuda")))
                    chunk = []
        return k + len(chunks) * batch

    def decoded_on_hardware() -> None:
        from nvidia import nvimgcodec

        decoder = nvimgcodec.Decoder(backends=[nvimgcodec.Backend(nvimgcodec.BackendKind.HW_GPU_ONLY)])
        for share in (0.0, 0.3, 0.5):
            count = hardware_path(decoder, 64, share)
            label = (
                f"(b) nvImageCodec hardware decoding, resizing on the GPU, float16, batch 64; "
                f"{share:.0%} of the files draft-decoded in 16 processes at the same time"
            )
            measure(
                f"b_hardware_cpu{int(share * 100)}",
                label,
                count,
                lambda s=share: hardware_path(decoder, 64, s),
            )

    for batch in (32, 64):

        def decoded_in_processes(batch=batch):
            processes_path(batch)
            label = (
                f"(b) draft decoding + resize in 16 processes, normalising on the GPU, float16, batch {batch}"
            )
            measure(f"b_processes_batch{batch}", label, n, lambda: processes_path(batch))

        def decoded_on_gpu(batch=batch):
            nvjpeg_path(batch)
            label = f"(b) nvJPEG decoding and resizing on the GPU (files read ahead), float16, batch {batch}"
            measure(f"b_nvjpeg_batch{batch}", label, n // batch * batch, lambda: nvjpeg_path(batch))

        attempt(f"(b) processes batch {batch}", decoded_in_processes)
        attempt(f"(b) nvJPEG batch {batch}", decoded_on_gpu)
    attempt("(b) nvImageCodec hardware", decoded_on_hardware)
    processes.shutdown()

    with torch.inference_mode():
        for batch in (32, 64, 128):
            x = torch.randn(batch, 3, SIDE, SIDE, device="cuda", dtype=torch.float16)
            reps = max(3, 512 // batch)

            def eager(x=x, reps=reps, batch=batch):
                net(pixel_values=x)
                label = f"(c) model alone, float16, eager, batch {batch}"
                measure(
                    f"c_eager_batch{batch}",
                    label,
                    reps * batch,
                    lambda: [net(pixel_values=x) for _ in range(reps)],
                )

            def graphed(x=x, reps=reps, batch=batch):
                graph = torch.cuda.CUDAGraph()
                stream = torch.cuda.Stream()
                stream.wait_stream(torch.cuda.current_stream())
                with torch.cuda.stream(stream):
                    for _ in range(2):
                        net(pixel_values=x)
                torch.cuda.current_stream().wait_stream(stream)
                with torch.cuda.graph(graph):
                    net(pixel_values=x)
                graph.replay()
                label = f"(c) model alone, float16, CUDA graph, batch {batch}"
                measure(
                    f"c_graph_batch{batch}",
                    label,
                    reps * batch,
                    lambda: [graph.replay() for _ in range(reps)],
                )

            attempt(f"(c) eager batch {batch}", eager)
            attempt(f"(c) CUDA graph batch {batch}", graphed)


def hardware_paths(model: Path, files: list[Path], batch: int = 128, repeat: int = 4) -> None:
    """(b) toward 1,000 12 MP JPEGs a second: nvImageCodec on the JPEG engines in decoding
    threads (each its own decoder and CUDA stream), resizing on the GPU, the model eager and
    compiled, and a share of the batches draft-decoded in processes at the same time. The files
    are run ``repeat`` times so that one timing holds enough batches.

    The second lease measured whole batches of 128 decoded at once: slower with more threads
    (bench/README.md). Suspected: every decode allocates its output afresh (4.6 GB for 128 12 MP
    images), and allocating device memory synchronises the device. So the later ways decode a
    batch in parts of 32 into images kept from the thread's previous batch
    (``Decoder.decode(..., images=...)``); not yet measured."""
    import threading

    import numpy as np
    import torch
    from nvidia import nvimgcodec
    from transformers import AutoModelForImageClassification

    data = [p.read_bytes() for p in files] * repeat
    paths = list(files) * repeat
    chunks = [range(s, s + batch) for s in range(0, len(data) // batch * batch, batch)]
    processes = ProcessPoolExecutor(16, mp_context=multiprocessing.get_context("fork"))
    list(processes.map(draft_to_array, files[:32]))  # forked before this process starts CUDA
    local = threading.local()

    def on_engines(chunk: range, part: int, reuse: bool):
        """One batch on the JPEG engines, ``part`` files per decode call; with ``reuse``, into
        the images this thread decoded before (same sizes: no allocation)."""
        if not hasattr(local, "decoder"):
            local.decoder = nvimgcodec.Decoder(
                backends=[nvimgcodec.Backend(nvimgcodec.BackendKind.HW_GPU_ONLY)]
            )
            local.stream = torch.cuda.Stream()
            local.images = {}
        batch_data = [data[i] for i in chunk]
        with torch.inference_mode(), torch.cuda.stream(local.stream):
            xs = []
            for k in range(0, len(batch_data), part):
                kept = local.images.get(k) if reuse else None
                images = local.decoder.decode(
                    code_streams(batch_data[k : k + part]),
                    cuda_stream=local.stream.cuda_stream,
                    **({"images": kept} if kept is not None else {}),
                )
                if reuse:
                    local.images[k] = images
                xs.append(resized(engine_images(images)))
            x = normalise_float(torch.cat(xs))
        local.stream.synchronize()  # the resize has read the images before they are reused
        return x

    def in_processes(chunk: range):
        arrays = np.stack(list(processes.map(draft_to_array, [paths[i] for i in chunk], chunksize=4)))
        return normalise(torch.from_numpy(arrays).to("cuda"))

    def run(net, threads: int, cpu_every: int, part: int, reuse: bool) -> None:
        """Every ``cpu_every``-th batch (0: none) draft-decoded in the processes."""
        with ThreadPoolExecutor(threads) as prepare, torch.inference_mode():
            futures = [
                prepare.submit(in_processes, chunk)
                if cpu_every and k % cpu_every == 0
                else prepare.submit(on_engines, chunk, part, reuse)
                for k, chunk in enumerate(chunks)
            ]
            for future in futures:
                net(pixel_values=future.result())

    eager = AutoModelForImageClassification.from_pretrained(model, dtype=torch.float16).to("cuda").eval()
    count = len(chunks) * batch

    def way(net, how: str, threads: int, cpu_every: int, part: int, reuse: bool) -> None:
        name = f"{threads} decoding thread(s), {part} files per decode call" + (
            ", into reused images" if reuse else ""
        )
        if cpu_every:
            name += f", every {cpu_every}th batch draft-decoded in 16 processes"
        run(net, threads, cpu_every, part, reuse)
        measure(
            f"b_engines_{how}_{threads}_{cpu_every}_{part}_{int(reuse)}",
            f"(b) nvImageCodec hardware decoding, model {how}, float16, batch {batch}, {name}",
            count,
            lambda: run(net, threads, cpu_every, part, reuse),
        )

    # threads, every n-th batch in processes, files per decode call, reuse the decoded images
    for ways, net, how in (
        (((1, 0, batch, False), (1, 0, 32, True), (2, 0, 32, True)), eager, "eager"),
        (((2, 0, 32, True), (2, 4, 32, True), (3, 3, 32, True)), None, "compiled"),
    ):
        if net is None:
            start = time.perf_counter()
            net = torch.compile(eager)
            with torch.inference_mode():
                net(pixel_values=torch.randn(batch, 3, SIDE, SIDE, device="cuda", dtype=torch.float16))
            print(f"(b) torch.compile: compiled in {time.perf_counter() - start:.0f} s", flush=True)
        for args in ways:
            attempt(f"(b) {how} {args}", lambda net=net, how=how, args=args: way(net, how, *args))
    processes.shutdown()


def compiled_model(model: Path, batch: int = 128) -> None:
    """(c) the model alone compiled by ``torch.compile`` (default mode), last: compiling takes minutes."""
    import torch
    from transformers import AutoModelForImageClassification

    net = AutoModelForImageClassification.from_pretrained(model, dtype=torch.float16).to("cuda").eval()
    x = torch.randn(batch, 3, SIDE, SIDE, device="cuda", dtype=torch.float16)
    with torch.inference_mode():
        start = time.perf_counter()
        fast = torch.compile(net)
        fast(pixel_values=x)
        fast(pixel_values=x)
        print(f"(c) torch.compile: compiled in {time.perf_counter() - start:.0f} s", flush=True)
        label = f"(c) model alone, float16, torch.compile (default mode), batch {batch}"
        measure(
            f"c_compiled_batch{batch}", label, 4 * batch, lambda: [fast(pixel_values=x) for _ in range(4)]
        )


def default_scans(work: Path, model: Path, sets: dict[str, list[Path]], rounds: int) -> None:
    """(f) bench.py's measurement of the default scan, here with device auto = this GPU."""
    args = argparse.Namespace(rounds=rounds)
    for n, (name, files) in enumerate((k, v) for k, v in sets.items() if k != "camera"):
        attempt(
            f"(f) {name}",
            lambda name=name, files=files, n=n: bench.default_scan_of(
                args, work, model, name, files, f"gpu-{n}"
            ),
        )


# (i): what each whole-process scan adds to the default settings.
WHOLE_SCANS = {
    "default settings": [],
    "stability always": ["--stability", "always"],
    "stability never": ["--stability", "never"],
    "batch size 32": ["--batch-size", "32"],
    "--no-forensics --no-stability (the classifier path)": ["--no-forensics", "--no-stability"],
}


COMPARED = ("default settings", "stability always", "--no-forensics --no-stability (the classifier path)")


def whole_scans(model: Path, folder: Path, count: int, which: list[str], earlier: Path | None = None) -> None:
    """(i) the CLI over a folder, start-up included: default settings (device auto), then
    variants; each also with the checkout ``earlier`` (an earlier version), where given."""
    checkouts = [("", bench.ROOT)] + ([(" (earlier version)", earlier)] if earlier else [])
    for name in which:
        # The earlier version only where the settings differ in what they run (device time is short).
        for version, cwd in checkouts if name in COMPARED else checkouts[:1]:
            args = [
                sys.executable,
                "-m",
                "core",
                "scan",
                str(folder),
                "--model",
                str(model),
                "--quiet",
                "--out",
                "-",
            ]

            def run(name=name, version=version, cwd=cwd, args=args):
                files_per_s, first = bench.rows_as_they_come(args + WHOLE_SCANS[name], count, cwd)
                note(
                    f"i_scan {name}{version}",
                    round(files_per_s, 1),
                    f"(i) python -m core scan, {name}{version}, over {count} 12 MP JPEGs, whole process: "
                    f"{files_per_s:.1f} files/s, first row after {first:.1f} s",
                )

            attempt(f"(i) {name}{version}", run)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=256)
    parser.add_argument("--default-files", type=int, default=20)
    parser.add_argument("--heavy-files", type=int, default=6)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--skip-scan", action="store_true", help="the classifier path only")
    parser.add_argument(
        "--only-whole-scans",
        action="store_true",
        help="this project's classifier path and (i) with its variants",
    )
    parser.add_argument("--compare-with", help="a checkout of an earlier version: (i) runs with it too")
    parser.add_argument("--no-compile", action="store_true", help="skip torch.compile (minutes)")
    parser.add_argument(
        "--only-hardware",
        action="store_true",
        help="only the classifier path on the JPEG engines (nvImageCodec)",
    )
    parser.add_argument("--out")
    args = parser.parse_args()
    earlier = Path(args.compare_with).resolve() if args.compare_with else None
    work = Path(tempfile.mkdtemp(prefix="gpu-bench-"))
    start = time.perf_counter()
    sets = write_parallel(
        work,
        args.files,
        0 if args.skip_scan or args.only_whole_scans or args.only_hardware else args.default_files,
        0 if args.skip_scan or args.only_whole_scans or args.only_hardware else args.heavy_files,
    )
    import torch
    import transformers

    model = bench.build_model(work / "model")
    camera = sets["camera"]
    size = sum(p.stat().st_size for p in camera) / len(camera) / 1e6
    note(
        "machine",
        {
            "gpu": torch.cuda.get_device_name(0),
            "cpus": multiprocessing.cpu_count(),
            "torch": torch.__version__,
            "transformers": transformers.__version__,
        },
        f"GPU {torch.cuda.get_device_name(0)}, {multiprocessing.cpu_count()} CPUs, torch {torch.__version__}, "
        f"transformers {transformers.__version__}; {len(camera)} camera-like 12 MP JPEGs of {size:.1f} MB; "
        f"files and model ready in {time.perf_counter() - start:.0f} s",
    )
    parts = [lambda: classifier_path(model, camera, only_project=args.only_whole_scans)]
    if args.only_hardware:
        parts = [lambda: hardware_paths(model, camera)]
    if args.only_whole_scans:
        parts.append(lambda: whole_scans(model, work / "camera", len(camera), list(WHOLE_SCANS), earlier))
    elif not args.skip_scan and not args.only_hardware:
        parts += [
            lambda: whole_scans(model, work / "camera", len(camera), list(COMPARED)),
            lambda: default_scans(work, model, sets, args.rounds),
        ]
        if not args.no_compile:
            parts.append(lambda: compiled_model(model))
    for part in parts:
        try:
            part()
        except Exception:  # noqa: BLE001 (a part that fails says why; the next one still runs)
            print(traceback.format_exc()[-2000:], flush=True)
        if args.out:
            Path(args.out).write_text(json.dumps(RESULTS, indent=2))


if __name__ == "__main__":
    main()
