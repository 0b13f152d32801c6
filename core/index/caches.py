"""The search side of the seen-before index: two usearch indexes that name, for a fingerprint,
the few images worth comparing in full (``core.index.matching.compare``).

- the 64-bit image codes and mirror codes (Hamming), for re-encoded, resized, colour-shifted
  and mirrored copies;
- a sample of each image's local features (ORB, 256-bit), which vote for the images they come
  from, for crops, borders, captions and screenshots, where whole-picture codes drift.

The desk's index (``records.SeenIndex``) keeps them as files beside its SQLite records and
rebuilds them from the records; a batch's family of copies (``tree.families``) uses them in
memory, so that tracing copies among many files never compares every pair.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np

from .fingerprint import Fingerprint

# Descriptors of each image put in the feature index (its strongest ones), and how many
# neighbours each query descriptor asks for; an image needs VOTES of them to be compared.
FEATURES_INDEXED = 64
NEIGHBOURS = 4
VOTES = 6
# A query descriptor votes only for neighbours this close (of 256 bits; unrelated ORB
# descriptors sit about 128 apart).
VOTE_BITS = 40
# Images with the most feature votes compared in full (each comparison matches 500 features).
FEATURE_CANDIDATES = 8
# Codes this close are compared in full (unrelated codes sit about 32 bits of 64 apart; one in
# 100,000 random codes is within 16).
CODE_CANDIDATE_BITS = 16
# Nearest codes asked for; each is then compared in full.
CODE_CANDIDATES = 32


def _bits(code: int) -> np.ndarray:
    return np.frombuffer(code.to_bytes(8, "big"), np.uint8)


class Caches:
    """Image codes and feature samples by image number (a record's id, a position in a batch)."""

    def __init__(self, codes=None, features=None):
        from usearch.index import Index

        self.codes = codes if codes is not None else Index(ndim=64, metric="hamming", dtype="b1")
        self.features = features if features is not None else Index(ndim=256, metric="hamming", dtype="b1")

    @classmethod
    def restore(cls, codes_path: Path, features_path: Path) -> Caches:
        from usearch.index import Index

        codes, features = Index.restore(str(codes_path)), Index.restore(str(features_path))
        if codes is None or features is None:
            raise ValueError("a search file is missing or unreadable")
        return cls(codes, features)

    def save(self, codes_path: Path, features_path: Path) -> None:
        self.codes.save(str(codes_path))
        self.features.save(str(features_path))

    def images(self) -> int:
        return len(self.codes) // 2

    def put(self, image_id: int, code: int, mirror_code: int, descriptors: bytes) -> None:
        """One image: its code and mirror code, and its strongest features."""
        self.codes.add(
            np.array([image_id * 2, image_id * 2 + 1], np.uint64),
            np.stack([_bits(code), _bits(mirror_code)]),
        )
        sample = np.frombuffer(descriptors, np.uint8).reshape(-1, 32)[:FEATURES_INDEXED]
        if len(sample):
            self.features.add(
                np.arange(len(sample), dtype=np.uint64) + np.uint64(image_id * FEATURES_INDEXED), sample
            )

    def candidates(self, fp: Fingerprint) -> list[int]:
        """The images worth comparing with ``fp`` in full: those whose code or mirror code is
        close, and those most of whose sampled features ``fp``'s features find."""
        ids: dict[int, None] = {}
        if len(self.codes):
            for query in (fp.code, fp.mirror_code):
                hits = self.codes.search(_bits(query), min(CODE_CANDIDATES, len(self.codes)))
                for key, distance in zip(hits.keys, hits.distances, strict=True):
                    if distance <= CODE_CANDIDATE_BITS:  # a framed copy's code lands a little farther
                        ids[int(key) // 2] = None
        query = np.frombuffer(fp.descriptors, np.uint8).reshape(-1, 32)
        if len(self.features) and len(query):
            hits = self.features.search(query, min(NEIGHBOURS, len(self.features)))
            votes = Counter(
                int(k) // FEATURES_INDEXED
                for k, d in zip(hits.keys.ravel(), hits.distances.ravel(), strict=True)
                if d <= VOTE_BITS
            )
            ids.update(
                (image_id, None) for image_id, n in votes.most_common(FEATURE_CANDIDATES) if n >= VOTES
            )
        return list(ids)
