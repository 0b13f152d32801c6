"""The seen-before index on disk: SQLite records (``seen.sqlite3``: each image once, by SHA-256,
with its fingerprint, and every sighting: where and when the desk met it) and two usearch
indexes rebuilt from the records whenever their files are missing or out of step: the
64-bit image codes (and mirror codes) and a sample of each image's local features, for crops.

The records are the truth; the usearch files are a cache (``seen-codes.usearch``,
``seen-features.usearch``) beside them.
"""

from __future__ import annotations

import atexit
import sqlite3
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from core.schema import SeenBefore, Sighting

from .fingerprint import Fingerprint
from .matching import compare

SCHEMA = """
CREATE TABLE IF NOT EXISTS images (
    id INTEGER PRIMARY KEY, sha256 TEXT NOT NULL UNIQUE, width INTEGER NOT NULL, height INTEGER NOT NULL,
    iscc TEXT NOT NULL, code TEXT NOT NULL, mirror_code TEXT NOT NULL, phash TEXT NOT NULL,
    descriptors BLOB NOT NULL, points BLOB NOT NULL, thumb BLOB NOT NULL, first_seen TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sightings (
    id INTEGER PRIMARY KEY, image_id INTEGER NOT NULL REFERENCES images(id), seen_at TEXT NOT NULL,
    kind TEXT NOT NULL, label TEXT NOT NULL DEFAULT '', path TEXT NOT NULL, case_name TEXT,
    item_id INTEGER, verdict TEXT);
CREATE INDEX IF NOT EXISTS sightings_by_image ON sightings (image_id);
"""
# Descriptors of each image put in the feature index (its strongest ones), and how many
# neighbours each query descriptor asks for; an image needs VOTES of them to be compared.
FEATURES_INDEXED = 64
NEIGHBOURS = 4
VOTES = 6
# The kinds of match, the closest first.
KINDS = (
    "same file",
    "same picture re-encoded",
    "resized",
    "mirrored",
    "cropped",
    "contains it",
    "uncropped",
    "unframed",
)
# Additions between two writes of the search files.
SAVE_EVERY = 256
# Images with the most feature votes compared in full (each comparison matches 500 features).
FEATURE_CANDIDATES = 8
# Codes this close are compared in full (unrelated codes sit about 32 bits of 64 apart; one in
# 100,000 random codes is within 16).
CODE_CANDIDATE_BITS = 16
# Nearest codes asked for; each is then compared in full.
CODE_CANDIDATES = 32


def _bits(code: int) -> np.ndarray:
    return np.frombuffer(code.to_bytes(8, "big"), np.uint8)


class SeenIndex:
    """The index beside a case store (``folder``): ``add`` an image's fingerprint with where it
    was seen, ``search`` a fingerprint for the images it matches."""

    @classmethod
    def beside(cls, store_root: str | Path) -> SeenIndex:
        """The index of the desk whose case store is at ``store_root`` (in its ``seen-index`` folder)."""
        return cls(Path(store_root).expanduser() / "seen-index")

    def __init__(self, folder: str | Path):
        self.folder = Path(folder).expanduser()
        self.folder.mkdir(parents=True, exist_ok=True)
        self.db_path = self.folder / "seen.sqlite3"
        with self._db() as db:
            db.executescript(SCHEMA)
        self._codes = None
        self._features = None
        self._lock = threading.Lock()  # one server's sessions share the index
        self._unsaved = 0
        atexit.register(self.flush)

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.db_path, timeout=60)
        db.row_factory = sqlite3.Row
        try:
            with db:
                yield db
        finally:
            db.close()

    # -- adding --------------------------------------------------------------------
    def add(self, fp: Fingerprint, sighting: Sighting) -> bool:
        """Record a sighting of the image (its fingerprint stored once); whether it was new."""
        with self._lock:
            return self._add(fp, sighting)

    def _add(self, fp: Fingerprint, sighting: Sighting) -> bool:
        self._indexes()  # loaded (or rebuilt) before the new record, which is then added to them
        with self._db() as db:
            row = db.execute("SELECT id FROM images WHERE sha256 = ?", (fp.sha256,)).fetchone()
            new = row is None
            if new:
                cur = db.execute(
                    "INSERT INTO images (sha256, width, height, iscc, code, mirror_code, phash, descriptors, points, "
                    "thumb, first_seen) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        fp.sha256,
                        fp.width,
                        fp.height,
                        fp.iscc,
                        f"{fp.code:016x}",
                        f"{fp.mirror_code:016x}",
                        fp.phash,
                        fp.descriptors,
                        fp.points,
                        fp.thumb,
                        sighting.seen_at,
                    ),
                )
                image_id = cur.lastrowid
            else:
                image_id = row["id"]
            db.execute(
                "INSERT INTO sightings (image_id, seen_at, kind, label, path, case_name, item_id, verdict) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    image_id,
                    sighting.seen_at,
                    sighting.kind,
                    sighting.label,
                    sighting.path,
                    sighting.case_name,
                    sighting.item_id,
                    sighting.verdict,
                ),
            )
        if new:
            self._index_image(image_id, fp)
        return new

    def _index_image(self, image_id: int, fp: Fingerprint) -> None:
        _put(*self._indexes(), image_id, fp.code, fp.mirror_code, fp.descriptors)
        # Written every SAVE_EVERY additions and when the process ends; a cache that missed the last
        # ones holds fewer images than the records and is rebuilt from them when next opened.
        self._unsaved += 1
        if self._unsaved >= SAVE_EVERY:
            self._save()

    # -- the usearch caches ------------------------------------------------------------
    def _paths(self) -> tuple[Path, Path]:
        return self.folder / "seen-codes.usearch", self.folder / "seen-features.usearch"

    def _indexes(self):
        """The two usearch indexes, restored from their files, or rebuilt from the records when a
        file is missing, damaged or holds another number of images than the records."""
        if self._codes is not None:
            return self._codes, self._features
        from usearch.index import Index

        with self._db() as db:
            images = db.execute("SELECT COUNT(*) FROM images").fetchone()[0]
        codes_path, features_path = self._paths()
        codes = features = None
        try:
            if codes_path.is_file() and features_path.is_file():
                codes, features = Index.restore(str(codes_path)), Index.restore(str(features_path))
        except Exception:  # a damaged cache is rebuilt, never trusted
            codes = features = None
        if codes is None or features is None or len(codes) != 2 * images:
            codes, features = self._rebuild()
        self._codes, self._features = codes, features
        return codes, features

    def _rebuild(self):
        from usearch.index import Index

        codes = Index(ndim=64, metric="hamming", dtype="b1")
        features = Index(ndim=256, metric="hamming", dtype="b1")
        with self._db() as db:
            for row in db.execute("SELECT id, code, mirror_code, descriptors FROM images"):
                _put(
                    codes,
                    features,
                    row["id"],
                    int(row["code"], 16),
                    int(row["mirror_code"], 16),
                    row["descriptors"],
                )
        self._codes, self._features = codes, features
        self._save()
        return codes, features

    def _save(self) -> None:
        codes_path, features_path = self._paths()
        self._codes.save(str(codes_path))
        self._features.save(str(features_path))
        self._unsaved = 0

    def flush(self) -> None:
        """Write the search files if additions are not saved yet (also done when the process ends)."""
        with self._lock:
            if self._unsaved and self._codes is not None:
                self._save()

    # -- searching ---------------------------------------------------------------------
    def search(self, fp: Fingerprint) -> list[SeenBefore]:
        """Every earlier image the fingerprint matches, strongest first."""
        with self._lock:
            candidates = self._candidates(fp)
        found = []
        with self._db() as db:
            for image_id in candidates:
                row = db.execute("SELECT * FROM images WHERE id = ?", (int(image_id),)).fetchone()
                if row is None or (match := compare(fp, _fingerprint(row))) is None:
                    continue
                sightings = [
                    Sighting(
                        s["seen_at"],
                        s["kind"],
                        s["label"],
                        s["path"],
                        s["case_name"],
                        s["item_id"],
                        s["verdict"],
                    )
                    for s in db.execute(
                        "SELECT * FROM sightings WHERE image_id = ? ORDER BY id", (row["id"],)
                    )
                ]
                found.append(
                    SeenBefore(
                        row["sha256"],
                        row["first_seen"],
                        match.kind,
                        match.strength,
                        match.why,
                        match.covers,
                        sightings,
                    )
                )
        return sorted(found, key=lambda f: (f.strength != "strong", KINDS.index(f.kind), f.first_seen))

    def _candidates(self, fp: Fingerprint) -> list[int]:
        codes, features = self._indexes()
        ids: dict[int, None] = {}
        with self._db() as db:
            if row := db.execute("SELECT id FROM images WHERE sha256 = ?", (fp.sha256,)).fetchone():
                ids[row["id"]] = None
        if len(codes):
            for query in (fp.code, fp.mirror_code):
                hits = codes.search(_bits(query), min(CODE_CANDIDATES, len(codes)))
                for key, distance in zip(hits.keys, hits.distances, strict=True):
                    if distance <= CODE_CANDIDATE_BITS:  # a framed copy's code lands a little farther
                        ids[int(key) // 2] = None
        query = np.frombuffer(fp.descriptors, np.uint8).reshape(-1, 32)
        if len(features) and len(query):
            hits = features.search(query, min(NEIGHBOURS, len(features)))
            votes = Counter(
                int(k) // FEATURES_INDEXED
                for k, d in zip(hits.keys.ravel(), hits.distances.ravel(), strict=True)
                if d <= 40
            )
            ids.update(
                (image_id, None) for image_id, n in votes.most_common(FEATURE_CANDIDATES) if n >= VOTES
            )
        return list(ids)

    def stats(self) -> dict:
        with self._db() as db:
            images = db.execute("SELECT COUNT(*) FROM images").fetchone()[0]
            kinds = dict(db.execute("SELECT kind, COUNT(*) FROM sightings GROUP BY kind").fetchall())
            labels = dict(
                db.execute(
                    "SELECT label, COUNT(*) FROM sightings WHERE label != '' GROUP BY label"
                ).fetchall()
            )
        return {"images": images, "sightings": kinds, "labels": labels}


def _put(codes, features, image_id: int, code: int, mirror_code: int, descriptors: bytes) -> None:
    """One image in the caches: its code and mirror code, and its strongest features."""
    codes.add(
        np.array([image_id * 2, image_id * 2 + 1], np.uint64), np.stack([_bits(code), _bits(mirror_code)])
    )
    sample = np.frombuffer(descriptors, np.uint8).reshape(-1, 32)[:FEATURES_INDEXED]
    if len(sample):
        features.add(np.arange(len(sample), dtype=np.uint64) + np.uint64(image_id * FEATURES_INDEXED), sample)


def _fingerprint(row: sqlite3.Row) -> Fingerprint:
    return Fingerprint(
        row["sha256"],
        row["width"],
        row["height"],
        row["iscc"],
        int(row["code"], 16),
        int(row["mirror_code"], 16),
        row["phash"],
        bytes(row["descriptors"]),
        bytes(row["points"]),
        bytes(row["thumb"]),
    )


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
