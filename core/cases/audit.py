"""The chain of custody: an append-only audit log whose entries are hash-chained.

Each entry's hash is SHA-256 over its canonical JSON (who, when, what, the item hashes
concerned, and the previous entry's hash), so changing, removing or reordering any
past entry breaks every hash after it: history cannot be edited unnoticed.
"""

from __future__ import annotations

import hashlib
import json

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
