"""The chain of custody: an append-only audit log whose entries are hash-chained, and the
anchor that pins each case's chain.

Each entry's hash is SHA-256 over its canonical JSON (who, when, what, the item hashes
concerned, and the previous entry's hash), so changing, removing or reordering any
past entry breaks every hash after it: history cannot be edited unnoticed. The anchor
records each case's chain length and head under an HMAC whose key lives outside the
database (``AnchorKey``), so a log rewritten from the start, or cut short, shows too.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

GENESIS = "0" * 64  # the "previous hash" of a case's first entry


def entry_hash(entry: dict) -> str:
    canonical = {k: entry[k] for k in ("case_id", "at", "actor", "action", "details", "prev_hash")}
    text = json.dumps(canonical, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def verify_chain(entries: list[dict]) -> list[str]:
    """Problems found walking a case's entries in order; an empty list means intact."""
    problems = []
    previous = GENESIS
    for entry in entries:
        if entry["prev_hash"] != previous:
            problems.append(
                f"audit entry {entry['id']} ({entry['action']}) does not follow the entry before it: "
                f"it names {entry['prev_hash'][:16]}..., the chain expects {previous[:16]}..."
            )
        expected = entry_hash(entry)
        if entry["hash"] != expected:
            problems.append(
                f"audit entry {entry['id']} ({entry['action']}) was altered: its content hashes to "
                f"{expected[:16]}..., the log records {entry['hash'][:16]}..."
            )
        previous = entry["hash"]
    return problems


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


class KeyMissing(FileNotFoundError):
    """The key that anchored a store's audit log is not where the settings say."""


class AnchorKey:
    """The secret that anchors audit heads, created once (mode 0600) where no one edits the database.

    Created only for a store that was never anchored (``may_create``): a store copied to a
    machine without its key must not be given a new one silently, or its next write would
    re-anchor a possibly rewritten log and verify would pass. Re-keying is an explicit,
    audited act (``CaseStore.rekey``)."""

    def __init__(self, path: Path, may_create: Callable[[], bool] = lambda: True):
        self.path = path
        self.may_create = may_create
        self._key: bytes | None = None

    def _secret(self) -> bytes:
        if self._key is None:
            if not self.path.exists() and not self.may_create():
                raise KeyMissing(
                    f"the case key {self.path} is missing, but this store's audit log was anchored with a key: "
                    "restore that key (copy it from the machine that made the store; setting case_key), or "
                    "re-key the store on purpose with `python -m core case rekey --confirm` (recorded in every "
                    "case's audit log). Until then the anchor cannot be checked and nothing is written"
                )
            self.create()
            _refuse_unsafe(self.path)
            self._key = bytes.fromhex(self.path.read_text().strip())
        return self._key

    def create(self) -> bool:
        """Write a new key where none is; whether one was written."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return False
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
        return True

    def mac(self, case_id: int, entries: int, head: str) -> str:
        return self.sign(f"{case_id}:{entries}:{head}".encode())

    def sign(self, message: bytes) -> str:
        """The HMAC-SHA256 of ``message`` under the key (callers prefix what it signs: an anchor
        starts with the case's number, a calibration profile with ``calibration-profile:``)."""
        return hmac.new(self._secret(), message, hashlib.sha256).hexdigest()


def _refuse_unsafe(path: Path) -> None:
    """A key that others can write, or that another user owns, anchors nothing: whoever can
    change it can re-anchor a rewritten log. Refused, with the command that fixes it."""
    info = os.stat(path)
    if info.st_mode & 0o022:
        raise PermissionError(
            f"the case key {path} can be written by other users (mode {info.st_mode & 0o777:o}): anyone who can "
            f"change it can re-anchor a rewritten audit log. Make it private: chmod 600 {path}"
        )
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        raise PermissionError(
            f"the case key {path} belongs to another user (uid {info.st_uid}): only the desk's own key anchors "
            "its audit log. Use the key of the user who runs the desk (setting case_key)"
        )


def anchor(conn: sqlite3.Connection, case_id: int, key: AnchorKey) -> None:
    """Record a case's chain as it stands: its length and head, under the key's HMAC."""
    row = conn.execute(
        "SELECT COUNT(*) AS n, (SELECT hash FROM audit WHERE case_id = ? ORDER BY id DESC LIMIT 1) AS head "
        "FROM audit WHERE case_id = ?",
        (case_id, case_id),
    ).fetchone()
    conn.execute(
        "INSERT OR REPLACE INTO anchors (case_id, entries, head, mac) VALUES (?, ?, ?, ?)",
        (case_id, row["n"], row["head"], key.mac(case_id, row["n"], row["head"])),
    )


def append(
    conn: sqlite3.Connection, key: AnchorKey, case_id: int, actor: str, action: str, details: dict
) -> None:
    """Add one entry to a case's chain (in the caller's transaction) and re-anchor it."""
    row = conn.execute(
        "SELECT hash FROM audit WHERE case_id = ? ORDER BY id DESC LIMIT 1", (case_id,)
    ).fetchone()
    entry = {
        "case_id": case_id,
        "at": now(),
        "actor": actor,
        "action": action,
        "details": details,
        "prev_hash": row["hash"] if row else GENESIS,
    }
    conn.execute(
        "INSERT INTO audit (case_id, at, actor, action, details, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            case_id,
            entry["at"],
            actor,
            action,
            json.dumps(details, sort_keys=True),
            entry["prev_hash"],
            entry_hash(entry),
        ),
    )
    anchor(conn, case_id, key)
