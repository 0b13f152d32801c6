"""Near-duplicate groups by perceptual hash (64-bit DCT pHash, Hamming distance).

Reader submissions often contain the same picture several times, re-compressed,
resized or lightly cropped; grouping them lets an analyst judge one and compare the
rest. A distance of up to ``NEAR_DUPLICATE_BITS`` of 64 bits is treated as "the same
picture"; exact byte copies are found by SHA-256 as well.
"""

from __future__ import annotations

import numpy as np

from core.schema import ScanResult

NEAR_DUPLICATE_BITS = 8


def near_duplicate_groups(results: list[ScanResult], max_bits: int = NEAR_DUPLICATE_BITS) -> list[list[int]]:
    """Groups (lists of indexes into ``results``, two or more each) of perceptually similar images."""
    indexed = [(i, int(r.file.phash, 16)) for i, r in enumerate(results) if r.file.phash]
    if len(indexed) < 2:
        return []
    hashes = np.array([h for _, h in indexed], dtype=np.uint64)
    distance = np.bitwise_count(hashes[:, None] ^ hashes[None, :])
    parent = list(range(len(indexed)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for a, b in zip(*np.nonzero(np.triu(distance <= max_bits, k=1)), strict=True):
        parent[root(int(a))] = root(int(b))
    groups: dict[int, list[int]] = {}
    for k, (i, _) in enumerate(indexed):
        groups.setdefault(root(k), []).append(i)
    return sorted((g for g in groups.values() if len(g) > 1), key=lambda g: (-len(g), g[0]))
