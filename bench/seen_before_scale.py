"""Seen-before index at scale: how long the search caches take to build, how long a search
takes, how much memory they hold, and whether copies are still found among a million images
(issue 24). Not part of the test suite.

    python bench/seen_before_scale.py [--images 1000000] [--feature-images 20000] [--originals 30]

The two caches are measured apart, because they cost very differently:

- the image codes (two 64-bit codes an image) are built for ``--images`` images: real codes of
  the originals, the rest uniform random 64-bit codes (ISCC image codes are sign bits of a DCT,
  spread over the whole space; unrelated photos sit about 32 bits apart);
- the feature sample (64 ORB descriptors an image) for ``--feature-images`` images: real
  descriptors of the originals, and filler images whose 64 descriptors are real ORB descriptors
  of other photos with 24 random bits of 256 flipped (so that they crowd the space as real
  features do, without repeating one photo).

Each original's copies (JPEG q50, resized to 25% of the area, cropped to 60%) are then searched
in both caches: found when the original is among the candidates that the desk's index would
compare in full (``Caches.candidates``), the stage that a larger index could make miss. The full
comparison of each candidate (``compare``) does not depend on the index's size.
"""

from __future__ import annotations

import argparse
import dataclasses
import random
import resource
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from seen_before import corpus_photos, fingerprint, jpeg  # noqa: E402  (run as a script, bench/ is on the path)

from core.index.caches import FEATURES_INDEXED, Caches  # noqa: E402

FLIPPED_BITS = 24
CHUNK = 50_000  # images added per call (usearch adds a batch on every core)


def copies(image: Image.Image, rng: random.Random) -> dict[str, Image.Image]:
    w, h = image.size
    cw, ch = int(w * 0.775), int(h * 0.775)
    x, y = rng.randrange(w - cw), rng.randrange(h - ch)
    return {
        "JPEG q50": jpeg(image, 50),
        "resized to 25% of the area": jpeg(image.resize((w // 2, h // 2))),
        "cropped to 60% of the area": jpeg(image.crop((x, y, x + cw, y + ch))),
    }


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--images", type=int, default=1_000_000)
    parser.add_argument("--feature-images", type=int, default=20_000)
    parser.add_argument("--originals", type=int, default=30)
    parser.add_argument("--stages", default="codes,features", help="which caches to build: codes, features")
    args = parser.parse_args()
    rng = random.Random(7)
    pictures = corpus_photos()
    rng.shuffle(pictures)
    # Originals a desk compares: at least 256 px a side (the corpus also holds 100 px thumbnails,
    # whose 60% crops have no room for a single local feature: they are the pool's).
    photos_ = [p for p in pictures if min(p[1].size) >= 256]
    indexed = photos_[: args.originals]
    pool = [p for p in pictures if p not in indexed]
    originals = [fingerprint(image, name) for name, image in indexed]
    queries = [
        (i, kind, fingerprint(copy, f"{name}/{kind}"))
        for i, (name, image) in enumerate(indexed)
        for kind, copy in copies(image, rng).items()
    ]
    descriptors = np.concatenate(
        [
            np.frombuffer(fingerprint(image, name).descriptors, np.uint8).reshape(-1, 32)
            for name, image in pool[:60]
        ]
    )
    print(
        f"{len(originals)} originals, {len(queries)} copies, a pool of {len(descriptors)} real ORB descriptors"
        f" from {min(60, len(pool))} other photos",
        flush=True,
    )

    gen = np.random.default_rng(11)
    empty = np.zeros((0, 32), np.uint8).tobytes()
    stages = [
        (s, n) for s, n in (("codes", args.images), ("features", args.feature_images)) if s in args.stages
    ]
    for stage, total in stages:
        caches = Caches()
        started, base = time.perf_counter(), peak_mib()
        for image_id, fp in enumerate(originals):
            caches.put(image_id, fp.code, fp.mirror_code, fp.descriptors if stage == "features" else empty)
        for first in range(len(originals), total, CHUNK):
            n = min(CHUNK, total - first)
            ids = np.arange(first, first + n, dtype=np.uint64)
            if stage == "codes":
                codes = gen.integers(0, 256, (2 * n, 8), dtype=np.uint8)
                caches.codes.add(np.stack([ids * 2, ids * 2 + 1], axis=1).ravel(), codes)
            else:
                sample = descriptors[gen.integers(0, len(descriptors), n * FEATURES_INDEXED)].copy()
                flips = gen.integers(0, 256, (n * FEATURES_INDEXED, FLIPPED_BITS))
                rows = np.repeat(np.arange(len(sample)), FLIPPED_BITS)
                np.bitwise_xor.at(
                    sample, (rows, flips.ravel() // 8), (1 << (flips.ravel() % 8)).astype(np.uint8)
                )
                keys = (
                    ids[:, None] * FEATURES_INDEXED + np.arange(FEATURES_INDEXED, dtype=np.uint64)
                ).ravel()
                caches.features.add(keys, sample)
            print(f"  {stage}: {first + n:,} images, {time.perf_counter() - started:.0f} s", flush=True)
        built = time.perf_counter() - started
        times, found = [], {}
        for original, kind, fp in queries:
            probe = fp if stage == "features" else dataclasses.replace(fp, descriptors=empty)
            t = time.perf_counter()
            hits = caches.candidates(probe)
            times.append(time.perf_counter() - t)
            found.setdefault(kind, []).append(original in hits)
        print(
            f"\n{stage} cache, {total:,} images ({len(caches.codes if stage == 'codes' else caches.features):,} "
            f"vectors): built in {built:.0f} s ({total / built:,.0f} images/s), {caches.codes.memory_usage / 2**20 + caches.features.memory_usage / 2**20:,.0f} MiB in usearch, "
            f"peak RSS +{peak_mib() - base:,.0f} MiB"
        )
        print(
            f"  candidates of one copy: median {statistics.median(times) * 1000:.1f} ms, "
            f"max {max(times) * 1000:.1f} ms"
        )
        for kind, hits in found.items():
            print(f"  {kind}: original among the candidates {sum(hits)}/{len(hits)}")
        del caches


if __name__ == "__main__":
    main()
