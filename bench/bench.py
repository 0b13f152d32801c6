"""Throughput benchmark: the plain transformers pipeline against this project, in one run.

    python bench/bench.py [--images 24] [--rounds 3] [--scan-files 200] [--memory-files 2000]

Builds a randomly initialised classifier with AIRealNet's exact geometry (seeded;
speed does not depend on weight values) and a set of realistic test files (12 MP camera
JPEGs with EXIF, 1 MP PNGs), then measures, on the same files and machine:

  (a) transformers ``pipeline("image-classification")`` called once per file;
  (b) this project's classifier alone (Detector.predict on decoded images);
  (c) the full scan: intake, hashing, metadata, provenance and the classifier;
  (d) the scan with ``--no-classifier`` (and, for triage, with ``--metadata-only``);
  (e) peak memory (RSS of the scan and its file workers together) of a scan of many
      files at the default settings, and how it grows with their number;
  (f) the scan users run, every default setting, against (a) on the same files, with a
      realistic score mix and the worst case (stability for every image): the corpus's real
      camera photos, camera-like 12 MP JPEGs, heavy 12, 24 and 48 MP JPEGs and 12 MP HEIC;
  (g) ``--metadata-only`` against exiftool, whole process against whole process, over the
      corpus's real camera JPEGs (once, and copied into folders of about 300 and 2,000) and
      over 12 MP camera JPEGs, with the time to the first row;
  (h) a default scan of a small folder (10 and 50 of the corpus's camera photos) against
      the plain pipeline in a process of its own, whole process against whole process
      (imports, loading the model, every file), with the time to the first row.

Forensics and stability are off in (c) and (d), as their original targets define them.
Nothing here is a test: the printed numbers are the measurement (see bench/README.md).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from statistics import median

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

AIREALNET_GEOMETRY = dict(
    image_size=256,
    patch_size=4,
    window_size=16,
    num_channels=3,
    embed_dim=192,
    depths=[2, 2, 18, 2],
    num_heads=[6, 12, 24, 48],
    pretrained_window_sizes=[12, 12, 12, 6],
    mlp_ratio=4.0,
    drop_path_rate=0.1,
    encoder_stride=32,
    id2label={0: "artificial", 1: "real"},
    label2id={"artificial": 0, "real": 1},
)
PREPROCESSOR = {
    "image_mean": [0.485, 0.456, 0.406],
    "image_std": [0.229, 0.224, 0.225],
    "size": {"height": 256, "width": 256},
}


def build_model(folder: Path) -> Path:
    if (folder / "config.json").exists():
        return folder
    import torch
    from transformers import Swinv2Config, Swinv2ForImageClassification

    torch.manual_seed(0)
    model = Swinv2ForImageClassification(Swinv2Config(**AIREALNET_GEOMETRY)).eval()
    model.save_pretrained(folder)
    (folder / "preprocessor_config.json").write_text(json.dumps(PREPROCESSOR))
    return folder


def write_files(
    folder: Path, jpegs: int, pngs: int, size: tuple[int, int] = (4000, 3000), start: int = 0
) -> list[Path]:
    """``jpegs`` camera-like JPEGs numbered from ``start`` (processes can write disjoint ranges)
    and ``pngs`` 1 MP PNGs."""
    import numpy as np
    from PIL import Image, ImageFilter

    from tests.images import camera_exif, encode, photo

    folder.mkdir(parents=True, exist_ok=True)
    # A smooth scene with camera-like grain (a 12 MP file of about 4 MB at quality 92, as
    # phones and cameras write), not pure noise, which would inflate every file.
    base = photo(size, seed=1).filter(ImageFilter.GaussianBlur(3))
    grain = np.random.default_rng(2).normal(0, 4, (size[1], size[0], 3))
    base = Image.fromarray(np.clip(np.asarray(base, dtype=np.float32) + grain, 0, 255).astype("uint8"))
    paths = []
    for i in range(start, start + jpegs):
        path = folder / f"DSC_{i:05}.JPG"
        if not path.exists():
            # Same content, different bytes: rotate a few pixels so every file hashes differently.
            im = base.rotate(i % 360 / 100)
            path.write_bytes(encode(im, "JPEG", quality=92, exif=camera_exif()))
        paths.append(path)
    for i in range(pngs):
        path = folder / f"render_{i:05}.png"
        if not path.exists():
            path.write_bytes(encode(photo((1024, 1024), seed=100 + i), "PNG"))
        paths.append(path)
    return paths


def write_varied(folder: Path, count: int, size: tuple[int, int] = (4000, 3000)) -> list[Path]:
    """12 MP camera JPEGs of different scenes (so the classifier's scores differ between them)."""
    from PIL import ImageFilter

    from tests.images import camera_exif, encode, photo

    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        path = folder / f"IMG_{i:05}.JPG"
        if not path.exists():
            scene = (
                photo((size[0] // 4, size[1] // 4), seed=50 + i)
                .resize(size)
                .filter(ImageFilter.GaussianBlur(2))
            )
            path.write_bytes(encode(scene, "JPEG", quality=92, exif=camera_exif()))
        paths.append(path)
    return paths


# Heavy sets for (f): pixel size, format. Fine grain everywhere at high quality, as high-end phones
# write (a 12 MP JPEG of about 5-8 MB), so decoding and hashing cost what they cost on such photos.
HEAVY_SETS = (
    ("heavy 12 MP JPEGs (q95, fine grain)", (4000, 3000), "JPEG"),
    ("heavy 24 MP JPEGs (q95, fine grain)", (6000, 4000), "JPEG"),
    ("heavy 48 MP JPEGs (q95, fine grain)", (8000, 6000), "JPEG"),
    ("12 MP HEIC (q90, fine grain)", (4000, 3000), "HEIF"),
)


def write_heavy(folder: Path, count: int, size: tuple[int, int], fmt: str) -> list[Path]:
    """``count`` photos of different scenes with fine grain over the whole frame, saved at high quality."""
    import numpy as np
    from PIL import Image

    from tests.images import camera_exif, encode, photo

    if fmt == "HEIF":
        import pillow_heif

        pillow_heif.register_heif_opener()
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        path = folder / f"PXL_{i:05}.{'HEIC' if fmt == 'HEIF' else 'JPG'}"
        if not path.exists():
            scene = photo((size[0] // 8, size[1] // 8), seed=70 + i).resize(size)
            grain = np.random.default_rng(i).normal(0, 14, (size[1], size[0], 3))
            pixels = Image.fromarray(np.clip(np.asarray(scene, np.float32) + grain, 0, 255).astype("uint8"))
            options = {"quality": 95, "exif": camera_exif()} if fmt == "JPEG" else {"quality": 90}
            path.write_bytes(encode(pixels, fmt, **options))
        paths.append(path)
    return paths


def biased_model(model: Path, folder: Path, files: list[Path], low_share: float) -> tuple[Path, list[float]]:
    """The same random model with its classifier head scaled and shifted so that ``low_share``
    of ``files`` score clearly low (below 0.25, the stability threshold) and the rest high
    (0.60 or more, a "weak indication" or stronger): the mix of a desk's submissions, most
    camera photos clearly low and some pictures that the score points at. Returns the model
    and the scores it gives the files."""
    import math

    import torch
    from transformers import AutoModelForImageClassification

    from core.analyzers.stability import STABILITY_MIN_SCORE
    from core.detector import load_detector
    from core.intake import open_intake
    from core.thresholds import WEAK_SIGNAL

    def logit(p: float) -> float:
        return math.log(p / (1 - p))

    detector = load_detector(str(model), backend="pytorch", batch_size=1)
    images = [open_intake(p.read_bytes(), p.name, str(p), 10**9).decoded.pixels for p in files]
    margins = sorted(logit(r.p_artificial) for r in detector.predict(images))
    k = min(len(margins) - 1, max(1, round(low_share * len(margins))))  # the first of the high group
    low, high = logit(STABILITY_MIN_SCORE), logit(WEAK_SIGNAL)
    # A gain on the head's margin spreads the two groups apart, a shift puts the gap between them.
    gain = max(1.0, 1.2 * (high - low) / max(margins[k] - margins[k - 1], 1e-3))
    shift = (low + high) / 2 - gain * (margins[k - 1] + margins[k]) / 2
    net = AutoModelForImageClassification.from_pretrained(model).eval()
    with torch.no_grad():  # label 0 is "artificial": the margin is logit 0 minus logit 1
        net.classifier.weight *= gain
        net.classifier.bias *= gain
        net.classifier.bias[0] += shift
    net.save_pretrained(folder)
    (folder / "preprocessor_config.json").write_text(json.dumps(PREPROCESSOR))
    # The scores the scan will see: its backend (OpenVINO bfloat16 here) moves the gained margins a little.
    scores = [
        r.p_artificial for r in load_detector(str(folder), backend="auto", batch_size=1).predict(images)
    ]
    return folder, scores


def warm_up(sources: list, ctx) -> None:
    """Model load, imports and every file worker started before a timing: as many files as
    cores (on the H200's 16 cores two files left 14 workers to start inside the first timed
    round: 8.4 images/s against 30.6 in the second)."""
    from core.scan import scan

    list(scan(sources[: max(2, os.cpu_count() or 1)], ctx))


def default_scan_timer(
    model: Path, files: list[Path], stability: str, precisions: Counter | None = None
) -> Callable[[], float]:
    """The scan users get: every default setting (forensics on, stability auto, batch 8) but the
    model. ``precisions`` counts the precision of each file's score (the fast CPU path keeps
    float32 for scores near a decision)."""
    from core.context import make_context
    from core.scan import scan
    from core.settings import Settings
    from core.sources import Source

    ctx = make_context(Settings(model=str(model), stability=stability))
    sources = [Source.from_path(f) for f in files]
    warm_up(sources, ctx)

    def run() -> None:
        for result in scan(sources, ctx):
            if precisions is not None and result.classifier is not None:
                precisions[result.classifier.dtype] += 1

    return timer(len(files), run)


def copies_of_corpus_cameras(folder: Path, copies: int) -> Path:
    """The corpus's real camera JPEGs (about 60 makes), ``copies`` times over in sub-folders, so
    that start-up does not dominate; the same files each time, as a desk's folder may hold."""
    corpus = ROOT.parent / "shared" / "corpus" / "camera"
    for n in range(copies):
        target = folder / str(n)
        if not target.exists() and corpus.is_dir():
            shutil.copytree(corpus, target)
    return folder


# The environment of the commands timed whole: a user's, in which Python keeps the bytecode it
# compiles (a build machine may set PYTHONDONTWRITEBYTECODE, which makes every start compile
# the project's modules again: 0.07 s in the scan and in each of its file workers).
USER_ENV = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}


def whole_process(args: list[str], count: int) -> float:
    """Files per second of a command run from start to end (start-up included)."""
    return rows_as_they_come(args, count)[0]


def rows_as_they_come(args: list[str], count: int, cwd: Path = ROOT) -> tuple[float, float]:
    """Files per second of a command run from start to end (start-up included), and the seconds
    until its first line of output (for a scan writing JSON Lines: its first row); ``cwd``: the
    checkout whose ``core`` it runs (another one: an earlier version, measured in the same run)."""
    start = time.perf_counter()
    first = None
    with subprocess.Popen(args, cwd=cwd, env=USER_ENV, stdout=subprocess.PIPE) as process:
        assert process.stdout is not None
        for _ in process.stdout:
            if first is None:
                first = time.perf_counter() - start
    if process.returncode:
        raise RuntimeError(f"{args[0]} failed with exit code {process.returncode}")
    return rate(count, time.perf_counter() - start), first if first is not None else float("nan")


def rate(count: int, seconds: float) -> float:
    return count / seconds if seconds else float("inf")


def timer(count: int, run: Callable[[], object]) -> Callable[[], float]:
    """A measurement to repeat: images per second of one call of ``run``."""

    def measure() -> float:
        start = time.perf_counter()
        run()
        return rate(count, time.perf_counter() - start)

    return measure


def pipeline_timer(model: Path, files: list[Path]) -> Callable[[], float]:
    import torch
    from transformers import pipeline

    # What a user of transformers gets on this machine: the GPU where there is one.
    classify = pipeline(
        "image-classification", model=str(model), device=0 if torch.cuda.is_available() else "cpu"
    )
    classify(str(files[0]))  # warm-up
    return timer(len(files), lambda: [classify(str(path)) for path in files])


def classifier_timer(model: Path, files: list[Path], backend: str) -> tuple[Callable[[], float], Counter]:
    """The classifier alone, and the precision of each score of its last run (the fast CPU path
    decides that score by score)."""
    from core.detector import load_detector
    from core.intake import open_intake

    detector = load_detector(str(model), backend=backend, batch_size=1)
    images = [open_intake(p.read_bytes(), p.name, str(p), 10**9).decoded.pixels for p in files]
    detector.predict(images[:1])
    precisions: Counter = Counter()

    def run() -> None:
        precisions.clear()
        precisions.update(f"{detector.backend} {r.dtype}" for r in detector.predict(images))

    return timer(len(images), run), precisions


def scan_timer(model: Path | None, files: list[Path], pixels: bool = True) -> Callable[[], float]:
    from core.context import make_context
    from core.scan import scan
    from core.settings import Settings
    from core.sources import Source

    settings = Settings(
        model=str(model) if model else "none",
        classifier=model is not None,
        forensics=False,
        stability="never",
        batch_size=1 if model else 8,
        pixels=pixels,
    )
    ctx = make_context(settings)
    sources = [Source.from_path(f) for f in files]
    warm_up(sources, ctx)
    return timer(len(files), lambda: sum(1 for _ in scan(sources, ctx)))


def tree_rss(pid: int) -> int:
    """Resident bytes of a process and all its descendants (the scan's file workers included), Linux."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    page = os.sysconf("SC_PAGE_SIZE")
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry)] = int(fields[1])
        rss[int(entry)] = int(fields[21]) * page
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        total += rss.get(current, 0)
        todo.extend(child for child, parent in parents.items() if parent == current)
    return total


def peak_rss_of_scan(folder: Path, model: Path | None) -> float:
    """Peak resident memory (MiB) of a fresh ``python -m core scan`` over ``folder``: the
    process and its file workers together, sampled every 0.2 s."""
    args = [sys.executable, "-m", "core", "scan", str(folder), "--quiet", "--out", os.devnull]  # the defaults
    args += ["--model", str(model)] if model else ["--no-classifier"]
    process = subprocess.Popen(args, cwd=ROOT, env=USER_ENV)
    peak = 0
    while process.poll() is None:
        peak = max(peak, tree_rss(process.pid))
        time.sleep(0.2)
    if process.returncode:
        raise RuntimeError(f"the scan failed with exit code {process.returncode}")
    return peak / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=24, help="files for (a), (b), (c)")
    parser.add_argument("--scan-files", type=int, default=200, help="camera JPEGs for (d)")
    parser.add_argument("--memory-files", type=int, default=2000, help="files for (e)")
    parser.add_argument("--work", default=os.path.join(tempfile.gettempdir(), "forensics-bench"))
    parser.add_argument("--rounds", type=int, default=3, help="rounds of (a), (b), (c); medians are reported")
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument("--default-files", type=int, default=20, help="12 MP JPEGs for (f), the default scan")
    parser.add_argument("--heavy-files", type=int, default=8, help="files of each heavy set for (f); 0: none")
    parser.add_argument("--only-defaults", action="store_true", help="measure (f) and (g) only")
    parser.add_argument("--only-metadata", action="store_true", help="measure (g) only")
    parser.add_argument("--skip-defaults", action="store_true", help="measure all but (f)")
    parser.add_argument("--only-small", action="store_true", help="measure (h) only")
    parser.add_argument("--skip-gpu", action="store_true", help="not bench/gpu_bench.py where there is a GPU")
    args = parser.parse_args()
    work = Path(args.work)
    model = build_model(work / "airealnet-geometry")
    if not (args.only_metadata or args.skip_defaults or args.only_small):
        default_scan(args, work, model)
    if not args.only_small:
        metadata_only(args, work)
    if not args.only_metadata:
        small_folders(args, work, model)
    if args.only_defaults or args.only_metadata or args.only_small:
        return
    files = write_files(work / "photos", args.images - args.images // 4, args.images // 4)
    print(
        f"machine: {os.cpu_count()} CPU(s); files: {len(files)} ({args.images - args.images // 4} 12 MP JPEGs with EXIF, "
        f"{args.images // 4} 1 MP PNGs); model: random weights, AIRealNet geometry"
    )
    torch_timer, torch_kind = classifier_timer(model, files, "pytorch")
    fast_timer, kind = classifier_timer(model, files, "auto")
    timers = {
        "a": pipeline_timer(model, files),
        "torch": torch_timer,
        "b": fast_timer,
        "c": scan_timer(model, files),
    }
    # Rounds of a, b, c back to back: a shared machine's speed drifts over minutes, and the
    # ratios are taken within each round before the median is.
    rounds = [{name: measure() for name, measure in timers.items()} for _ in range(args.rounds)]
    med = {name: median(r[name] for r in rounds) for name in timers}
    b_over_a = median(r["b"] / r["a"] for r in rounds)
    c_over_b = median(r["c"] / r["b"] for r in rounds)
    c_over_a = median(r["c"] / r["a"] for r in rounds)
    print(
        f"medians of {args.rounds} rounds (per round: "
        + "; ".join(" ".join(f"{k} {v:.2f}" for k, v in r.items()) for r in rounds)
        + ")"
    )
    print(f"(a) transformers pipeline, one file per call: {med['a']:.2f} images/s")
    print(f"    project classifier, {', '.join(torch_kind)}: {med['torch']:.2f} images/s")
    scores = ", ".join(f"{n} in {name}" for name, n in sorted(kind.items()))
    print(f"(b) project classifier alone ({scores}): {med['b']:.2f} images/s = {b_over_a:.2f}x (a)")
    print(
        f"(c) full scan (intake, hashes, metadata, provenance, classifier): {med['c']:.2f} images/s = "
        f"{c_over_b:.0%} of (b) = {c_over_a:.2f}x (a)"
    )
    jpegs = write_files(work / "camera", args.scan_files, 0)
    d = scan_timer(None, jpegs)()
    print(f"(d) scan --no-classifier over {len(jpegs)} 12 MP camera JPEGs: {d:.1f} images/s")
    d_meta = scan_timer(None, jpegs, pixels=False)()
    print(f"    scan --metadata-only (no pixel decoding) over the same files: {d_meta:.1f} images/s")
    if not args.skip_memory:
        # 2 MP camera JPEGs keep writing thousands of test files quick; memory per file is what matters.
        write_files(work / "memory-small", args.memory_files // 10, 0, (1600, 1200))
        write_files(work / "memory", args.memory_files, 0, (1600, 1200))
        rss_small = peak_rss_of_scan(work / "memory-small", model)
        rss_large = peak_rss_of_scan(work / "memory", model)
        print(
            f"(e) peak RSS of a default scan and its file workers (2 MP JPEGs): {rss_small:.0f} MiB for {args.memory_files // 10} files, "
            f"{rss_large:.0f} MiB for {args.memory_files} files"
        )
    print(f"    this process: peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
    if not args.skip_gpu:
        gpu_part(args)


def gpu_part(args: argparse.Namespace) -> None:
    """The GPU part of the one run: bench/gpu_bench.py (the classifier path on the GPU, its
    decoders, the default scan and the whole-process scans) where a CUDA GPU is present."""
    import torch

    if not torch.cuda.is_available():
        print("GPU: not measured (no CUDA GPU here); bench/gpu_bench.py runs where there is one")
        return
    # Its own process: it forks its decoding processes before starting CUDA.
    script = [sys.executable, str(ROOT / "bench" / "gpu_bench.py"), "--rounds", str(args.rounds)]
    subprocess.run(script, check=False)


def corpus_camera_photos() -> list[Path]:
    """The corpus's real camera JPEGs (many makes, most well under 1 MP, five of 8-12 MP) that
    decode whole: the plain pipeline, the baseline, stops at a file it cannot decode."""
    from PIL import Image

    folder = ROOT.parent / "shared" / "corpus" / "camera"
    photos = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        try:
            with Image.open(path) as im:
                im.load()
        except Exception:  # noqa: BLE001 (any decoding failure: not a photo the baseline can score)
            continue
        photos.append(path)
    return photos


def default_scan(args: argparse.Namespace, work: Path, model: Path) -> None:
    """(f) the default scan against the plain pipeline, same files, same rounds: the corpus's
    real camera photos, camera-like 12 MP JPEGs, then each heavy set."""
    if photos := corpus_camera_photos():
        default_scan_of(args, work, model, "real camera JPEGs (the corpus's)", photos, "corpus")
    else:
        print("(f) the corpus's camera photos: not measured (../shared/corpus is absent)")
    files = write_varied(work / "varied", args.default_files)
    default_scan_of(args, work, model, "camera-like 12 MP JPEGs of different scenes (q92)", files, "mix")
    for n, (name, size, fmt) in enumerate(HEAVY_SETS):
        if args.heavy_files:
            heavy = write_heavy(work / f"heavy-{n}", args.heavy_files, size, fmt)
            default_scan_of(args, work, model, name, heavy, f"heavy-{n}")


def default_scan_of(
    args: argparse.Namespace, work: Path, model: Path, name: str, files: list[Path], tag: str
) -> None:
    mixed, scores = biased_model(model, work / f"airealnet-{tag}", files, 0.8)
    low = [s for s in scores if s < 0.25]
    size = sum(f.stat().st_size for f in files) / len(files) / 1e6
    print(
        f"(f) {len(files)} {name}, {size:.1f} MB each; the random model's head is scaled and shifted "
        f"so that most score clearly low: {len(low)} below 0.25, and {', '.join(f'{s:.2f}' for s in sorted(scores) if s >= 0.25)}"
    )
    precisions: Counter = Counter()
    timers = {
        "a": pipeline_timer(mixed, files),
        "auto": default_scan_timer(mixed, files, "auto", precisions),
        "always": default_scan_timer(mixed, files, "always"),
    }
    rounds = [{name: measure() for name, measure in timers.items()} for _ in range(args.rounds)]
    med = {name: median(r[name] for r in rounds) for name in timers}
    print("    per round: " + "; ".join(" ".join(f"{k} {v:.2f}" for k, v in r.items()) for r in rounds))
    from core.detector import get_detector

    shares = ", ".join(f"{n // args.rounds} in {name}" for name, n in sorted(precisions.items()))
    print(f"    the scan's classifier: {get_detector(str(mixed)).precision}; the files' scores: {shares}")
    print(f"    (a) plain pipeline: {med['a']:.2f} images/s")
    print(
        f"    default scan (stability auto): {med['auto']:.2f} images/s = "
        f"{median(r['auto'] / r['a'] for r in rounds):.2f}x (a)"
    )
    print(
        f"    worst case (stability always): {med['always']:.2f} images/s = "
        f"{median(r['always'] / r['a'] for r in rounds):.2f}x (a)"
    )
    # Each set has its own model (about 3 GB with its pipeline and float32 copy): kept, six sets
    # filled 20 of this machine's 23 GB and slowed what was measured after them.
    timers.clear()
    from core.detector import release_detectors

    release_detectors()
    gc.collect()


def metadata_only(args: argparse.Namespace, work: Path) -> None:
    """(g) a metadata-only scan against exiftool, whole process against whole process."""
    if shutil.which("exiftool") is None:
        print("(g) not measured: exiftool is not installed (Debian: apt-get install libimage-exiftool-perl)")
        return
    # Whole process against whole process: start-up (Python's imports, the file workers') is
    # part of what a user waits for, so it is measured for one corpus and for a desk's folder.
    folders = [
        ("real camera JPEGs (the corpus's)", ROOT.parent / "shared" / "corpus" / "camera"),
        (
            "real camera JPEGs (the corpus's, 4 copies: a desk's folder of about 300)",
            copies_of_corpus_cameras(work / "camera-copies-4", 4),
        ),
        (
            "real camera JPEGs (the corpus's, 23 copies: a desk's folder of about 2,000)",
            copies_of_corpus_cameras(work / "camera-copies", 23),
        ),
        ("12 MP camera JPEGs", write_files(work / "camera", args.scan_files, 0)[0].parent),
    ]
    for name, folder in folders:
        if not folder.is_dir():
            continue
        count = sum(1 for p in folder.rglob("*") if p.is_file())
        ours = [
            sys.executable,
            "-m",
            "core",
            "scan",
            str(folder),
            "--metadata-only",
            "--quiet",
            "--format",
            "jsonl",
            "--out",
            "-",
        ]
        theirs = ["exiftool", "-j", "-r", "-q", str(folder)]
        (
            whole_process(ours, count),
            whole_process(theirs, count),
        )  # untimed: bytecode written, files in the page cache
        runs = [(rows_as_they_come(ours, count), whole_process(theirs, count)) for _ in range(args.rounds)]
        print(
            f"(g) {count} {name}: --metadata-only {median(o for (o, _), _ in runs):.1f} files/s "
            f"(first row after {median(f for (_, f), _ in runs):.2f} s), exiftool "
            f"{median(t for _, t in runs):.1f} files/s = {median(o / t for (o, _), t in runs):.2f}x exiftool"
        )


# The plain pipeline as a user would script it for a folder: one call per file, a line each.
PIPELINE_SCRIPT = """
import sys
from transformers import pipeline
classify = pipeline("image-classification", model=sys.argv[1], device="cpu")
for path in sys.argv[2:]:
    print(path, classify(path)[0]["label"], flush=True)
"""


def small_folders(args: argparse.Namespace, work: Path, model: Path) -> None:
    """(h) a default scan of a small folder against the plain pipeline, each in a process of its
    own from start to end: for tens of files, importing the libraries and loading the model are
    a large part of what a desk waits for. The model is (f)'s head for the corpus (most camera
    photos score clearly low), exported to OpenVINO by an untimed first run, as a desk's model
    is after its first scan."""
    photos = corpus_camera_photos()
    if not photos:
        print("(h) not measured: ../shared/corpus is absent")
        return
    head = work / "airealnet-corpus"
    if not (head / "config.json").is_file():
        biased_model(model, head, photos, 0.8)
    for count in (10, 50):
        folder = work / f"small-{count}"
        if not folder.is_dir():
            folder.mkdir(parents=True)
            for n, path in enumerate(photos[:count]):
                shutil.copyfile(path, folder / f"{n:03d}-{path.name}")
        files = sorted(folder.iterdir())
        ours = [sys.executable, "-m", "core", "scan", str(folder), "--model", str(head), "--quiet"]
        ours += ["--format", "jsonl", "--out", "-"]
        theirs = [sys.executable, "-c", PIPELINE_SCRIPT, str(head), *map(str, files)]
        rows_as_they_come(ours, len(files)), rows_as_they_come(theirs, len(files))  # untimed
        runs = [
            (rows_as_they_come(ours, len(files)), rows_as_they_come(theirs, len(files)))
            for _ in range(args.rounds)
        ]
        print(
            f"(h) {len(files)} real camera JPEGs (the corpus's), whole process: default scan "
            f"{len(files) / median(o for (o, _), _ in runs):.1f} s (first row after {median(f for (_, f), _ in runs):.1f} s), "
            f"plain pipeline {len(files) / median(t for _, (t, _) in runs):.1f} s (first row after "
            f"{median(f for _, (_, f) in runs):.1f} s) = {median(o / t for (o, _), (t, _) in runs):.2f}x the pipeline"
        )


if __name__ == "__main__":
    main()
