"""The case store's SQLite database: its schema as versioned migrations, and connections
(WAL; every write one ``BEGIN IMMEDIATE`` transaction, so concurrent writers queue)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

# Versioned migrations: index + 1 is the schema version (PRAGMA user_version).
MIGRATIONS = (
    """
    CREATE TABLE cases (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, status TEXT NOT NULL DEFAULT 'open',
                        created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
    CREATE TABLE items (id INTEGER PRIMARY KEY, case_id INTEGER NOT NULL REFERENCES cases(id), sha256 TEXT NOT NULL,
                        file_name TEXT NOT NULL, size_bytes INTEGER NOT NULL, added_at TEXT NOT NULL,
                        added_by TEXT NOT NULL, status TEXT NOT NULL DEFAULT 'to_check', result_json TEXT NOT NULL,
                        UNIQUE (case_id, sha256));
    CREATE INDEX items_by_sha256 ON items (sha256);
    CREATE TABLE tags (item_id INTEGER NOT NULL REFERENCES items(id), tag TEXT NOT NULL, PRIMARY KEY (item_id, tag));
    CREATE TABLE notes (id INTEGER PRIMARY KEY, case_id INTEGER NOT NULL REFERENCES cases(id), item_id INTEGER,
                        author TEXT NOT NULL, text TEXT NOT NULL, created_at TEXT NOT NULL);
    CREATE TABLE audit (id INTEGER PRIMARY KEY, case_id INTEGER NOT NULL, at TEXT NOT NULL, actor TEXT NOT NULL,
                        action TEXT NOT NULL, details TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL);
    CREATE INDEX audit_by_case ON audit (case_id, id);
    CREATE TABLE pending (sha256 TEXT NOT NULL, pid INTEGER NOT NULL, started_at TEXT NOT NULL);
    """,
    # The anchor of each case's audit log: its length and head hash under an HMAC whose key
    # lives outside the database (see ``anchor``).
    """
    CREATE TABLE anchors (case_id INTEGER PRIMARY KEY, entries INTEGER NOT NULL, head TEXT NOT NULL,
                          mac TEXT NOT NULL);
    """,
)


def connect(path: Path, mode: str = "rw") -> sqlite3.Connection:
    """A connection: ``rw``, ``ro`` (read only, beside writers: what ``case verify`` uses) or
    ``immutable`` (a store on write-protected media: SQLite takes no lock and writes no ``-shm``
    file, which it could not create there)."""
    if mode != "rw":
        query = "mode=ro" + ("&immutable=1" if mode == "immutable" else "")
        conn = sqlite3.connect(
            f"{path.resolve().as_uri()}?{query}", uri=True, timeout=60, isolation_level=None
        )
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA busy_timeout=60000")
        return conn
    conn = sqlite3.connect(path, timeout=60, isolation_level=None)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA busy_timeout=60000")
    return conn


@contextmanager
def write(path: Path) -> Iterator[sqlite3.Connection]:
    """One write transaction; BEGIN IMMEDIATE makes concurrent writers wait their turn."""
    conn = connect(path)
    try:
        conn.execute("BEGIN IMMEDIATE")
        yield conn
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    finally:
        conn.close()


@contextmanager
def read(path: Path, mode: str = "rw") -> Iterator[sqlite3.Connection]:
    conn = connect(path, mode)
    try:
        yield conn
    finally:
        conn.close()


def migrate(path: Path, anchor: Callable[[sqlite3.Connection, int], None]) -> None:
    """Bring the database to the last schema version; ``anchor`` anchors a case's audit chain
    (version 2 anchors the chains of a store made before anchors, as found)."""
    with write(path) as conn:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            for statement in script.split(";"):
                if statement.strip():
                    conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {number}")
            if number == 2:
                for (case_id,) in conn.execute("SELECT DISTINCT case_id FROM audit").fetchall():
                    anchor(conn, case_id)
