"""The case store: the repository of cases, items, results, notes and tags, and the facade
over its parts: the SQLite database and its migrations (``database.py``), the hash-chained
audit log and its anchor key (``audit.py``) and the content-addressed originals
(``originals.py``).

Only this orchestrating layer writes storage; analyzers never do. Every write happens
in one ``BEGIN IMMEDIATE`` transaction together with its audit entry, so concurrent
writers (two dashboard sessions, a CLI) queue instead of losing work, and a process
killed half-way leaves either everything or nothing. An original is written (atomic
rename) before the transaction that references it; a ``pending`` row names the writing
process, and originals that no item references and no live process is writing are
removed when the store opens, so a kill leaves no orphan behind.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import sqlite3
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.errors import AnalysisError
from core.intake import read_bytes
from core.schema import ScanResult
from core.wellformed import repair, repaired_tree

from . import audit, database
from .audit import AnchorKey, now
from .originals import NotAnOriginal, Originals, alive

ITEM_STATUSES = ("to_check", "checked", "flagged")
# The largest original read back from a store (files are added under max_file_mb).
MAX_ORIGINAL_BYTES = 4 * 1024**3
# How each status reads on screen and in reports (the stored value stays the key).
ITEM_STATUS_LABELS = {"to_check": "to check", "checked": "checked", "flagged": "flagged"}
CASE_STATUSES = ("open", "closed")


class CaseError(Exception):
    """A case operation that cannot be done (unknown case, closed case, bad status)."""


@dataclass
class Case:
    id: int
    name: str
    status: str
    created_at: str
    updated_at: str
    items: int = 0


@dataclass
class Item:
    id: int
    case_id: int
    sha256: str
    file_name: str
    size_bytes: int
    added_at: str
    added_by: str
    status: str
    result_json: str  # the stored result as written (what the audit log's hash covers)
    tags: list[str]
    result_sha256: str = ""  # of the stored result text, as the audit log records it

    @functools.cached_property
    def result(self) -> dict[str, Any]:
        """The stored result as a dict, parsed on first use: a page listing 500 items reads
        their statuses and names without parsing 500 results (``{}`` when it is not JSON)."""
        parsed = _details(self.result_json)
        return parsed if isinstance(parsed, dict) else {}

    def scan_result(self) -> ScanResult:
        """The stored result as the typed ``ScanResult`` (``result`` keeps the stored record as
        written, for verification). Raises CaseError when the stored record cannot be read."""
        try:
            # Stores written before results were repaired in the file worker may hold text that
            # is not UTF-8: repaired here, with the notice saying so.
            return repair(ScanResult.from_dict(self.result))
        except (TypeError, ValueError, AttributeError) as exc:
            raise CaseError(
                f"item {self.id}: its stored result cannot be read ({type(exc).__name__})"
            ) from exc

    def readable_result(self) -> ScanResult | None:
        """``scan_result``, or None for a stored result that cannot be read (``case verify``
        reports it): for the pages and listings that show the other items all the same."""
        try:
            return self.scan_result()
        except CaseError:
            return None


def anchored(db_path: Path) -> bool:
    """Whether the store's database holds an anchor (read without writing anything)."""
    if not db_path.is_file():
        return False
    try:
        with database.read(db_path, "ro") as conn:
            return conn.execute("SELECT COUNT(*) FROM anchors").fetchone()[0] > 0
    except sqlite3.Error:  # a store from before anchors (or no store): it is anchored for the first time
        return False


def _write_protected(root: Path, db_path: Path) -> bool:
    """Whether an existing store lies on media this process cannot write (a write-protected
    drive, a read-only mount, a folder without write permission)."""
    if not root.exists():
        return False
    return not os.access(root, os.W_OK) or (db_path.exists() and not os.access(db_path, os.W_OK))


def default_key_path() -> Path:
    """The anchor key's default home: the per-user config folder, apart from the store."""
    from platformdirs import user_config_dir

    return Path(user_config_dir("image-evidence-desk", appauthor=False)) / "case-store.key"


def result_digest(result_json: str) -> str:
    """The hash of a stored result, as the audit log records it."""
    return hashlib.sha256(result_json.encode("utf-8")).hexdigest()


class CaseStore:
    """One store folder: ``cases.sqlite3`` and ``originals/``, and the anchor key kept elsewhere."""

    def __init__(
        self, root: str | os.PathLike, key_path: str | os.PathLike | None = None, read_only: bool = False
    ):
        """Open (or create) the store. ``read_only`` opens it without writing anything (``case
        verify``); a store whose folder or database cannot be written (write-protected evidence
        media) is always opened so, and every change is then refused with a clear error."""
        self.root = Path(root).expanduser()
        self.db_path = self.root / "cases.sqlite3"
        self.key_path = Path(key_path).expanduser() if key_path else default_key_path()
        self.key = AnchorKey(self.key_path, may_create=self._never_anchored)
        protected = _write_protected(self.root, self.db_path)
        self.read_only = read_only or protected
        self._mode = "immutable" if protected else "ro" if read_only else "rw"
        self.originals = Originals(self.root / "originals", create=not self.read_only)
        try:
            if self.read_only:
                self._check_readable()
            else:
                self._migrate()
                self._sweep_orphans()
        except sqlite3.DatabaseError as exc:  # not a database, damaged, or another program's
            raise CaseError(
                f"the case store at {self.root} cannot be opened: its database is damaged or is not a case "
                f"store ({exc})"
            ) from exc

    # -- anchor ---------------------------------------------------------------------
    def anchor_mac(self, case_id: int, entries: int, head: str) -> str:
        return self.key.mac(case_id, entries, head)

    def anchor(self, case: int | str) -> dict | None:
        """The recorded anchor of a case's audit log: ``entries``, ``head``, ``mac``."""
        with self._read() as conn:
            case_id = self._case_row(conn, case)["id"]
            row = conn.execute("SELECT * FROM anchors WHERE case_id = ?", (case_id,)).fetchone()
        return dict(row) if row else None

    def _never_anchored(self) -> bool:
        """Whether a new anchor key may be made: only for a store that no key has anchored yet."""
        return not self.read_only and not anchored(self.db_path)

    def rekey(self, actor: str) -> list[str]:
        """Give a store whose key is lost a new key, on purpose: refused while the key is there,
        and for any case whose audit chain is broken or does not end where it was anchored (a
        new key must not bless a rewritten log). Each case's log records the re-keying. Returns
        the names of the cases re-anchored."""
        if self.read_only:
            raise CaseError(f"the store at {self.root} is read-only: it cannot be re-keyed here")
        if self.key_path.exists():
            raise CaseError(
                f"the case key {self.key_path} is there: a store is re-keyed only when its key is lost"
            )
        cases = self.cases()
        for case in cases:
            entries = self.audit_log(case.id)
            anchor = self.anchor(case.id)
            end = (len(entries), entries[-1]["hash"] if entries else None)
            if audit.verify_chain(entries) or (
                anchor is not None and (anchor["entries"], anchor["head"]) != end
            ):
                raise CaseError(
                    f"case {case.name!r}: its audit log is broken or does not end where it was anchored; "
                    "run case verify: a store is re-keyed only when every log is intact"
                )
        self.key.create()
        for case in cases:
            with self._write() as conn:
                self._audit(
                    conn,
                    case.id,
                    actor,
                    "store_rekeyed",
                    {"key": str(self.key_path), "why": "the key that anchored this log was lost"},
                )
        return [c.name for c in cases]

    # -- plumbing -------------------------------------------------------------------
    def _write(self) -> AbstractContextManager[sqlite3.Connection]:
        self.require_writable()
        return database.write(self.db_path)

    def require_writable(self) -> None:
        """Raises CaseError, saying why, for a store opened read-only: said before any work."""
        if self.read_only:
            raise CaseError(
                f"the store at {self.root} is open read-only"
                + (" (its folder or database cannot be written)" if self._mode == "immutable" else "")
                + ": it can be listed, shown and verified, not changed"
            )

    def _read(self) -> AbstractContextManager[sqlite3.Connection]:
        return database.read(self.db_path, self._mode)

    def _check_readable(self) -> None:
        """A read-only store must exist, be at the current schema (it cannot be migrated) and
        hold no write-ahead log that an immutable reading would miss."""
        if not self.db_path.is_file():
            raise CaseError(f"no case store at {self.root} (and it is opened read-only)")
        wal = self.db_path.with_name(self.db_path.name + "-wal")
        if self._mode == "immutable" and wal.exists() and wal.stat().st_size:
            raise CaseError(
                f"the store at {self.root} cannot be written and holds changes not yet merged into its database "
                f"({wal.name}): copy the store folder to writable storage and verify the copy"
            )
        if self.schema_version() != len(database.MIGRATIONS):
            raise CaseError(
                f"the store at {self.root} is at schema version {self.schema_version()}, not "
                f"{len(database.MIGRATIONS)}: open it once on writable storage to upgrade it"
            )

    def _migrate(self) -> None:
        # A store from before anchors: its current heads are anchored as found.
        database.migrate(self.db_path, lambda conn, case_id: audit.anchor(conn, case_id, self.key))

    def schema_version(self) -> int:
        with self._read() as conn:
            return conn.execute("PRAGMA user_version").fetchone()[0]

    def _audit(self, conn: sqlite3.Connection, case_id: int, actor: str, action: str, details: dict) -> None:
        try:
            audit.append(conn, self.key, case_id, actor, action, details)
        except audit.KeyMissing as exc:  # the change is rolled back with its transaction
            raise CaseError(str(exc)) from exc

    def _case_row(self, conn: sqlite3.Connection, case: int | str) -> sqlite3.Row:
        key = "id" if isinstance(case, int) or str(case).isdigit() else "name"
        row = conn.execute(
            f"SELECT * FROM cases WHERE {key} = ?", (int(case) if key == "id" else case,)
        ).fetchone()
        if row is None:
            raise CaseError(f"no case {case!r}")
        return row

    # -- originals --------------------------------------------------------------------
    def original_path(self, sha256: str) -> Path:
        try:
            return self.originals.path(sha256)
        except NotAnOriginal as exc:
            raise CaseError(str(exc)) from None

    def read_original(self, sha256: str) -> bytes:
        """An original's bytes, read as an untrusted file (a regular file, no link followed) and
        checked against its name: a link planted in ``originals/`` (to a secret file) or a swapped
        file is never shown, reported or bundled as the evidence. Raises CaseError saying why."""
        path = self.original_path(sha256)
        try:
            data = read_bytes(path, MAX_ORIGINAL_BYTES)
        except AnalysisError as exc:
            raise CaseError(f"the original {sha256[:16]}... cannot be used: {exc.message}") from exc
        if hashlib.sha256(data).hexdigest() != sha256:
            raise CaseError(
                f"the original {sha256[:16]}... was modified (it no longer hashes to its name): run case verify"
            )
        return data

    def _sweep_orphans(self) -> None:
        """Remove originals (and half-written temp files) that no item references and no live process writes."""
        with self._write() as conn:
            live = set()
            for row in conn.execute("SELECT rowid, sha256, pid FROM pending").fetchall():
                if alive(row["pid"]):
                    live.add(row["sha256"])
                else:
                    conn.execute("DELETE FROM pending WHERE rowid = ?", (row["rowid"],))
            referenced = {r[0] for r in conn.execute("SELECT DISTINCT sha256 FROM items")}
            # An original the audit log says was added is never swept, even if its item row is gone:
            # a deleted row is tampering for ``verify`` to report, not an orphan to clean up.
            for (details,) in conn.execute("SELECT details FROM audit WHERE action = 'item_added'"):
                parsed = _details(_cell(details))
                if isinstance(parsed, dict) and isinstance(parsed.get("sha256"), str):
                    referenced.add(parsed["sha256"])
            self.originals.sweep(referenced, live)

    # -- cases --------------------------------------------------------------------------
    def create_case(self, name: str, actor: str) -> Case:
        name = name.strip()
        if not name:
            raise CaseError("a case needs a name")
        with self._write() as conn:
            if conn.execute("SELECT 1 FROM cases WHERE name = ?", (name,)).fetchone():
                raise CaseError(f"a case named {name!r} already exists")
            stamp = now()
            cur = conn.execute(
                "INSERT INTO cases (name, created_at, updated_at) VALUES (?, ?, ?)", (name, stamp, stamp)
            )
            self._audit(conn, cur.lastrowid, actor, "case_created", {"name": name})
        return self.case(cur.lastrowid)

    def rename_case(self, case: int | str, new_name: str, actor: str) -> Case:
        with self._write() as conn:
            row = self._case_row(conn, case)
            if conn.execute(
                "SELECT 1 FROM cases WHERE name = ? AND id != ?", (new_name.strip(), row["id"])
            ).fetchone():
                raise CaseError(f"a case named {new_name!r} already exists")
            conn.execute(
                "UPDATE cases SET name = ?, updated_at = ? WHERE id = ?", (new_name.strip(), now(), row["id"])
            )
            self._audit(conn, row["id"], actor, "case_renamed", {"from": row["name"], "to": new_name.strip()})
        return self.case(row["id"])

    def set_case_status(self, case: int | str, status: str, actor: str) -> Case:
        if status not in CASE_STATUSES:
            raise CaseError(f"case status must be one of {CASE_STATUSES}")
        with self._write() as conn:
            row = self._case_row(conn, case)
            conn.execute(
                "UPDATE cases SET status = ?, updated_at = ? WHERE id = ?", (status, now(), row["id"])
            )
            self._audit(conn, row["id"], actor, "case_closed" if status == "closed" else "case_reopened", {})
        return self.case(row["id"])

    def case(self, case: int | str) -> Case:
        with self._read() as conn:
            row = self._case_row(conn, case)
            count = conn.execute("SELECT COUNT(*) FROM items WHERE case_id = ?", (row["id"],)).fetchone()[0]
        return Case(
            row["id"],
            _cell(row["name"]),
            _cell(row["status"]),
            _cell(row["created_at"]),
            _cell(row["updated_at"]),
            count,
        )

    def cases(self) -> list[Case]:
        with self._read() as conn:
            rows = conn.execute(
                "SELECT c.*, (SELECT COUNT(*) FROM items i WHERE i.case_id = c.id) AS n FROM cases c ORDER BY c.id"
            ).fetchall()
        return [Case(r["id"], r["name"], r["status"], r["created_at"], r["updated_at"], r["n"]) for r in rows]

    # -- items ----------------------------------------------------------------------------
    def add_item(
        self, case: int | str, file_name: str, data: bytes, result: ScanResult, actor: str
    ) -> tuple[Item, bool]:
        """Add one analysed file; returns the item and whether it was new (same bytes twice: not new)."""
        sha256 = result.file.sha256
        if not sha256:
            raise AnalysisError("the file could not be read, so it cannot be added to a case")
        with self._read() as conn:
            row = self._case_row(conn, case)
            if row["status"] != "open":
                raise CaseError(f"case {row['name']!r} is closed; re-open it to add files")
        self._pending(sha256, +1)
        try:
            self.original_path(sha256)  # a well-formed name, or a CaseError
            self.originals.put(sha256, data)
            with self._write() as conn:
                existing = conn.execute(
                    "SELECT id FROM items WHERE case_id = ? AND sha256 = ?", (row["id"], sha256)
                ).fetchone()
                if existing:
                    self._audit(
                        conn,
                        row["id"],
                        actor,
                        "duplicate_skipped",
                        {"sha256": sha256, "file_name": file_name},
                    )
                    item_id, created = existing["id"], False
                else:
                    # The same well-formed rule as every output (the worker has applied it already).
                    result_json = json.dumps(repaired_tree(result.to_dict())[0], allow_nan=False)
                    cur = conn.execute(
                        "INSERT INTO items (case_id, sha256, file_name, size_bytes, added_at, added_by, result_json) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?)",
                        (row["id"], sha256, file_name, len(data), now(), actor, result_json),
                    )
                    item_id, created = cur.lastrowid, True
                    self._audit(
                        conn,
                        row["id"],
                        actor,
                        "item_added",
                        {
                            "item_id": item_id,
                            "sha256": sha256,
                            "file_name": file_name,
                            "size_bytes": len(data),
                            "result_sha256": result_digest(result_json),
                        },
                    )
                conn.execute("UPDATE cases SET updated_at = ? WHERE id = ?", (now(), row["id"]))
        finally:
            self._pending(sha256, -1)
        return self.item(item_id), created

    def _pending(self, sha256: str, delta: int) -> None:
        with self._write() as conn:
            if delta > 0:
                conn.execute(
                    "INSERT INTO pending (sha256, pid, started_at) VALUES (?, ?, ?)",
                    (sha256, os.getpid(), now()),
                )
            else:
                conn.execute(
                    "DELETE FROM pending WHERE rowid = (SELECT rowid FROM pending WHERE sha256 = ? AND pid = ? LIMIT 1)",
                    (sha256, os.getpid()),
                )

    def _item_from(self, conn: sqlite3.Connection, row: sqlite3.Row) -> Item:
        tags = [
            r[0] for r in conn.execute("SELECT tag FROM tags WHERE item_id = ? ORDER BY tag", (row["id"],))
        ]
        raw = str(_cell(row["result_json"]))
        return Item(
            row["id"],
            row["case_id"],
            _cell(row["sha256"]),
            _cell(row["file_name"]),
            row["size_bytes"],
            _cell(row["added_at"]),
            _cell(row["added_by"]),
            _cell(row["status"]),
            raw,
            [_cell(t) for t in tags],
            result_digest(raw),
        )

    def item(self, item_id: int) -> Item:
        with self._read() as conn:
            row = conn.execute("SELECT * FROM items WHERE id = ?", (item_id,)).fetchone()
            if row is None:
                raise CaseError(f"no item {item_id}")
            return self._item_from(conn, row)

    def items(self, case: int | str, query: str = "") -> list[Item]:
        """Items of a case; ``query`` matches a SHA-256 prefix, the file name, camera or generator."""
        with self._read() as conn:
            case_id = self._case_row(conn, case)["id"]
            rows = conn.execute("SELECT * FROM items WHERE case_id = ? ORDER BY id", (case_id,)).fetchall()
            items = [self._item_from(conn, r) for r in rows]
        q = query.strip().lower()
        return [i for i in items if not q or q in _search_text(i)]

    def set_item_status(self, item_id: int, status: str, actor: str) -> Item:
        if status not in ITEM_STATUSES:
            raise CaseError(f"item status must be one of {ITEM_STATUSES}")
        with self._write() as conn:
            row = conn.execute("SELECT * FROM items WHERE id = ?", (item_id,)).fetchone()
            if row is None:
                raise CaseError(f"no item {item_id}")
            conn.execute("UPDATE items SET status = ? WHERE id = ?", (status, item_id))
            self._audit(
                conn,
                row["case_id"],
                actor,
                "item_status",
                {"item_id": item_id, "sha256": row["sha256"], "from": row["status"], "to": status},
            )
        return self.item(item_id)

    def tag_item(self, item_id: int, tag: str, actor: str, remove: bool = False) -> Item:
        tag = tag.strip()
        if not tag:
            raise CaseError("a tag cannot be empty")
        with self._write() as conn:
            row = conn.execute("SELECT * FROM items WHERE id = ?", (item_id,)).fetchone()
            if row is None:
                raise CaseError(f"no item {item_id}")
            if remove:
                conn.execute("DELETE FROM tags WHERE item_id = ? AND tag = ?", (item_id, tag))
            else:
                conn.execute("INSERT OR IGNORE INTO tags (item_id, tag) VALUES (?, ?)", (item_id, tag))
            self._audit(
                conn,
                row["case_id"],
                actor,
                "tag_removed" if remove else "tag_added",
                {"item_id": item_id, "sha256": row["sha256"], "tag": tag},
            )
        return self.item(item_id)

    def add_note(self, case: int | str, text: str, actor: str, item_id: int | None = None) -> None:
        if not text.strip():
            raise CaseError("a note cannot be empty")
        with self._write() as conn:
            case_id = self._case_row(conn, case)["id"]
            sha = None
            if item_id is not None:
                row = conn.execute(
                    "SELECT sha256 FROM items WHERE id = ? AND case_id = ?", (item_id, case_id)
                ).fetchone()
                if row is None:
                    raise CaseError(f"no item {item_id} in this case")
                sha = row["sha256"]
            cur = conn.execute(
                "INSERT INTO notes (case_id, item_id, author, text, created_at) VALUES (?, ?, ?, ?, ?)",
                (case_id, item_id, actor, text, now()),
            )
            self._audit(
                conn,
                case_id,
                actor,
                "note_added",
                {"note_id": cur.lastrowid, "item_id": item_id, "sha256": sha, "text": text},
            )

    def notes(self, case: int | str) -> list[dict]:
        with self._read() as conn:
            case_id = self._case_row(conn, case)["id"]
            return [
                {k: _cell(v) for k, v in dict(r).items()}
                for r in conn.execute("SELECT * FROM notes WHERE case_id = ? ORDER BY id", (case_id,))
            ]

    def audit_log(self, case: int | str) -> list[dict]:
        with self._read() as conn:
            case_id = self._case_row(conn, case)["id"]
            rows = conn.execute("SELECT * FROM audit WHERE case_id = ? ORDER BY id", (case_id,)).fetchall()
        return [
            {**{k: _cell(v) for k, v in dict(r).items()}, "details": _details(_cell(r["details"]))}
            for r in rows
        ]

    def find_by_hash(self, sha256_prefix: str) -> list[Item]:
        with self._read() as conn:
            rows = conn.execute(
                "SELECT * FROM items WHERE sha256 LIKE ? ORDER BY id", (sha256_prefix.lower() + "%",)
            )
            return [self._item_from(conn, r) for r in rows.fetchall()]


def _cell(value: Any) -> Any:
    """A text column as text, also when a tampered row holds bytes (SQLite stores any type)."""
    return value.decode("utf-8", "backslashreplace") if isinstance(value, bytes) else value


def _details(text: Any) -> Any:
    """An audit entry's details; text that is not JSON (a tampered row) is kept as it is, so
    that its hash check reports it instead of an exception."""
    try:
        return json.loads(text)
    except (TypeError, ValueError, RecursionError):  # RecursionError: nested past any real record
        return text


def _search_text(item: Item) -> str:
    described: tuple = ()  # a damaged stored result: found by what the store itself records
    if (result := item.readable_result()) is not None:
        cam, gen = result.metadata.camera, result.provenance.generator
        described = (cam.make, cam.model, gen.tool, gen.name)
    return " ".join(
        str(x) for x in (item.sha256, item.file_name, *described, " ".join(item.tags)) if x
    ).lower()
