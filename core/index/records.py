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
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from core.schema import SeenBefore, Sighting

from . import INDEX_DATABASE, folder_beside, has_index
from .caches import Caches
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


class SeenIndex:
    """The index beside a case store (``folder``): ``add`` an image's fingerprint with where it
    was seen, ``search`` a fingerprint for the images it matches."""

    @classmethod
    def beside(cls, store_root: str | Path) -> SeenIndex:
        """The index of the desk whose case store is at ``store_root`` (in its ``seen-index`` folder),
        made when missing."""
        return cls(folder_beside(store_root))

    def __init__(self, folder: str | Path):
        self.folder = Path(folder).expanduser()
        self.folder.mkdir(parents=True, exist_ok=True)
        self.db_path = self.folder / INDEX_DATABASE
        with self._db() as db:
            db.executescript(SCHEMA)
        self._caches: Caches | None = None
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
        self._loaded()  # loaded (or rebuilt) before the new record, which is then added to them
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
        self._loaded().put(image_id, fp.code, fp.mirror_code, fp.descriptors)
        # Written every SAVE_EVERY additions and when the process ends; a cache that missed the last
        # ones holds fewer images than the records and is rebuilt from them when next opened.
        self._unsaved += 1
        if self._unsaved >= SAVE_EVERY:
            self._save()

    # -- the usearch caches ------------------------------------------------------------
    def _paths(self) -> tuple[Path, Path]:
        return self.folder / "seen-codes.usearch", self.folder / "seen-features.usearch"

    def _loaded(self) -> Caches:
        """The search caches, restored from their files, or rebuilt from the records when a file
        is missing, damaged or holds another number of images than the records."""
        if self._caches is not None:
            return self._caches
        with self._db() as db:
            images = db.execute("SELECT COUNT(*) FROM images").fetchone()[0]
        try:
            caches = Caches.restore(*self._paths())
        except Exception:  # a missing or damaged cache is rebuilt, never trusted
            caches = None
        if caches is None or caches.images() != images:
            caches = self._rebuild()
        self._caches = caches
        return caches

    def _rebuild(self) -> Caches:
        caches = Caches()
        with self._db() as db:
            for row in db.execute("SELECT id, code, mirror_code, descriptors FROM images"):
                caches.put(row["id"], int(row["code"], 16), int(row["mirror_code"], 16), row["descriptors"])
        self._caches = caches
        self._save()
        return caches

    def _save(self) -> None:
        self._caches.save(*self._paths())
        self._unsaved = 0

    def flush(self) -> None:
        """Write the search files if additions are not saved yet (also done when the process ends)."""
        with self._lock:
            if self._unsaved and self._caches is not None:
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
        ids = dict.fromkeys(self._loaded().candidates(fp))
        with self._db() as db:
            if row := db.execute("SELECT id FROM images WHERE sha256 = ?", (fp.sha256,)).fetchone():
                ids = {row["id"]: None, **ids}
        return list(ids)

    def fingerprint(self, sha256: str) -> Fingerprint | None:
        """The stored fingerprint of an image the index holds (a case item), without decoding it again."""
        with self._db() as db:
            row = db.execute("SELECT * FROM images WHERE sha256 = ?", (sha256,)).fetchone()
        return _fingerprint(row) if row is not None else None

    @classmethod
    def existing(cls, store_root: str | Path) -> SeenIndex | None:
        """The index beside a case store when the desk has one (never created here: a report or a
        read-only store must not write one); None when there is none or it cannot be opened."""
        if not has_index(store_root):
            return None
        try:
            return cls(folder_beside(store_root))
        except (OSError, sqlite3.Error):
            return None

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
