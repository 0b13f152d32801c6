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
# pHash sets a bit for each low-frequency DCT coefficient above their median, so a picture
# with structure sets about half of them. Flat, 1x1 or almost featureless images give
# hashes such as 0000000000000000 or 8000000000000000 (only the DC bit), which all sit within
# a few bits of each other: they are left out of grouping instead of being called alike.
MIN_STRUCTURE_BITS = 4
_DC_BIT = 1 << 63


def featureless(phash: str) -> bool:
    """A perceptual hash that carries too little structure to compare images by."""
    bits = int(phash, 16) & ~_DC_BIT
    set_bits = bin(bits).count("1")
    return set_bits < MIN_STRUCTURE_BITS or set_bits > 63 - MIN_STRUCTURE_BITS


def featureless_rows(results: list[ScanResult]) -> list[int]:
    """Indexes of results whose image is too flat to compare (left out of the groups)."""
    return [i for i, r in enumerate(results) if r.file.phash and featureless(r.file.phash)]


def near_duplicate_groups(results: list[ScanResult], max_bits: int = NEAR_DUPLICATE_BITS) -> list[list[int]]:
    """Groups (lists of indexes into ``results``, two or more each) of perceptually similar images.

    Featureless hashes (see ``featureless``) are never grouped."""
    indexed = [
        (i, int(r.file.phash, 16))
        for i, r in enumerate(results)
        if r.file.phash and not featureless(r.file.phash)
    ]
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
