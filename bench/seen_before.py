"""Seen-before index: recall and precision per transformation, false matches, add and search
speed, and how the index grows (issue 24). Not part of the test suite.

    python bench/seen_before.py [--scenes 40] [--synthetic 20000]

Originals are generated scenes (shapes, edges, text) and, when ``../shared/corpus`` is there,
its camera JPEGs. Each original is indexed, then every transformed copy is searched: it counts
as found when the original is among its matches with the expected kind; a false match is any
match to another original. Unrelated pictures (not indexed) are searched for false matches
too. Then the index is filled with synthetic fingerprints (random codes and features, the
stored size of real ones) to time search at a larger size.
"""

from __future__ import annotations

import argparse
import io
import random
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageOps

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.index.fingerprint import Fingerprint, make_fingerprint  # noqa: E402
from core.index.records import SeenIndex, now  # noqa: E402
from core.schema import Sighting  # noqa: E402
from tests.test_seen_before import scene  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus" / "camera"


def jpeg(image: Image.Image, quality: int = 90) -> Image.Image:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    return Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")


def transformations(image: Image.Image, rng: random.Random) -> dict[str, tuple[Image.Image, set[str]]]:
    w, h = image.size
    cw, ch = int(w * 0.775), int(h * 0.775)  # 60% of the area
    x, y = rng.randrange(w - cw), rng.randrange(h - ch)
    shot = Image.new("RGB", (w // 2 + 120, h // 2 + 220), (245, 245, 245))
    shot.paste(image.resize((w // 2, h // 2)), (60, 60))
    ImageDraw.Draw(shot).text((60, h // 2 + 110), "Shared 2 hours ago: the flood today", fill=(10, 10, 10))
    return {
        "JPEG q50": (jpeg(image, 50), {"same picture re-encoded"}),
        "resized to 25% of the area": (jpeg(image.resize((w // 2, h // 2))), {"resized"}),
        "resized to 6% of the area": (jpeg(image.resize((w // 4, h // 4))), {"resized"}),
        "cropped to 60% of the area": (jpeg(image.crop((x, y, x + cw, y + ch))), {"cropped"}),
        "screenshot with border and caption": (jpeg(shot), {"contains it"}),
        "mirrored": (jpeg(ImageOps.mirror(image)), {"mirrored"}),
    }


def fingerprint(image: Image.Image, name: str) -> Fingerprint:
    import hashlib

    import imagehash

    return make_fingerprint(image, hashlib.sha256(name.encode()).hexdigest(), str(imagehash.phash(image)))


def corpus_photos() -> list[tuple[str, Image.Image]]:
    """The corpus's camera JPEGs that decode, upright, as the working copies a scan fingerprints
    (at most 2,048 px a side, which the thumbnail keeps from their full size)."""
    photos = []
    for path in sorted(CORPUS.rglob("*.jpg")) if CORPUS.is_dir() else []:
        try:
            image = ImageOps.exif_transpose(Image.open(path)).convert("RGB")
        except Exception:
            continue
        image.thumbnail((2048, 2048))
        photos.append((path.name, image))
    return photos


def originals(scenes: int) -> tuple[list[Image.Image], list[Image.Image]]:
    """(indexed originals, unrelated pictures): generated scenes, then the corpus's camera photos."""
    pictures = [scene(seed) for seed in range(scenes * 2)]
    real = [image for _, image in corpus_photos() if min(image.size) >= 256]
    half = len(real) // 2
    return pictures[:scenes] + real[:half], pictures[scenes:] + real[half:]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scenes", type=int, default=40)
    parser.add_argument("--synthetic", type=int, default=20_000)
    args = parser.parse_args()
    rng = random.Random(7)
    indexed, unrelated = originals(args.scenes)
    folder = Path(tempfile.mkdtemp(prefix="seen-bench-"))
    index = SeenIndex(folder)
    started = time.perf_counter()
    prints = [fingerprint(image, f"original-{i}") for i, image in enumerate(indexed)]
    fingerprinting = (time.perf_counter() - started) / len(indexed)
    started = time.perf_counter()
    for i, fp in enumerate(prints):
        index.add(fp, Sighting(now(), "reference", "bench", f"original-{i}"))
    adding = (time.perf_counter() - started) / len(prints)
    print(
        f"{len(indexed)} originals ({args.scenes} generated scenes, {len(indexed) - args.scenes} corpus photos); "
        f"{len(unrelated)} unrelated pictures"
    )
    print(
        f"fingerprint: {fingerprinting * 1000:.0f} ms per picture (working copy); add: {adding * 1000:.1f} ms"
    )
    by_kind: dict[str, list[int]] = {}
    false_matches = searches = 0
    times = []
    for i, image in enumerate(indexed):
        for name, (copy, kinds) in transformations(image, rng).items():
            fp = fingerprint(copy, f"copy-{i}-{name}")
            started = time.perf_counter()
            found = index.search(fp)
            times.append(time.perf_counter() - started)
            searches += 1
            right = prints[i].sha256
            hit = any(f.sha256 == right and f.kind in kinds for f in found)
            by_kind.setdefault(name, []).append(hit)
            false_matches += sum(f.sha256 != right for f in found)
    print("recall per transformation (the original found, with the expected kind):")
    for name, hits in by_kind.items():
        print(f"  {name}: {sum(hits)}/{len(hits)} = {sum(hits) / len(hits):.0%}")
    print(f"false matches among {searches} searches of copies: {false_matches}")
    stray = sum(len(index.search(fingerprint(image, f"unrelated-{i}"))) for i, image in enumerate(unrelated))
    print(f"false matches of {len(unrelated)} unrelated pictures: {stray}")
    print(f"search: median {statistics.median(times) * 1000:.1f} ms over {len(indexed)} images")

    # Scale: synthetic fingerprints with the stored size of real ones.
    real = prints[0]
    rows = []
    for n in range(args.synthetic):
        code = rng.getrandbits(64)
        rows.append(
            Fingerprint(
                f"{n:064x}",
                1000,
                750,
                "ISCC:EE",
                code,
                rng.getrandbits(64),
                "0" * 16,
                np.random.default_rng(n).integers(0, 256, len(real.descriptors), np.uint8).tobytes(),
                real.points,
                real.thumb,
            )
        )
    started = time.perf_counter()
    for n, fp in enumerate(rows):
        index.add(fp, Sighting(now(), "reference", "synthetic", f"s{n}"))
    rate = len(rows) / (time.perf_counter() - started)
    times = []
    for i, image in enumerate(indexed[:20]):
        fp = fingerprint(jpeg(image, 60), f"again-{i}")
        started = time.perf_counter()
        index.search(fp)
        times.append(time.perf_counter() - started)
    size = sum(p.stat().st_size for p in folder.iterdir())
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    total = len(prints) + len(rows)
    print(
        f"at {total:,} images: add {rate:.0f} images/s, search median {statistics.median(times) * 1000:.1f} ms, "
        f"on disk {size / 2**20:.0f} MiB ({size / total / 1024:.1f} KiB an image), peak RSS of this process {rss:.0f} MiB"
    )


if __name__ == "__main__":
    main()
