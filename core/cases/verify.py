"""``case verify``: everything the store holds for a case, checked against its audit log.

The audit log is the record: each entry commits (by hash, chained to the one before) to
what it changed, including each item's SHA-256, name, size, who added it and the hash of
its stored result, every status, tag and note. ``verify`` replays the log into the state
it describes and compares that with every table, re-hashes every original, walks the
chain, and checks the chain's head against its anchor: an HMAC, under a key kept outside
the database, of the number of entries and the last entry's hash. So it detects:

- an original changed, swapped, missing or made writable;
- any edit of an item, result, status, tag, note or case row, and rows added, deleted or
  moved between cases;
- an audit entry changed, removed, reordered or moved (the chain breaks), and trailing
  entries removed or the whole chain recomputed after an edit (the anchor no longer fits).

It cannot detect tampering by someone who holds the key file and the database at once
(they can rewrite the log and re-anchor it), nor anything done on a compromised machine
while the tool runs; keep the key where the people who handle the store cannot write.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections import Counter
from typing import Any

from core.errors import AnalysisError
from core.intake import read_bytes

from .audit import KeyMissing, verify_chain
from .store import MAX_ORIGINAL_BYTES, CaseError, CaseStore


def expected_state(entries: list[dict]) -> dict[str, Any]:
    """The case as its audit log describes it: name, status, items by SHA-256, notes."""
    case: dict[str, Any] = {"name": None, "status": "open"}
    items: dict[str, dict[str, Any]] = {}
    notes: list[tuple] = []
    for entry in entries:
        d, action = entry["details"] if isinstance(entry["details"], dict) else {}, entry["action"]
        if action == "case_created":
            case["name"] = d.get("name")
        elif action == "case_renamed":
            case["name"] = d.get("to")
        elif action in ("case_closed", "case_reopened"):
            case["status"] = "closed" if action == "case_closed" else "open"
        elif action == "item_added" and isinstance(d.get("sha256"), str):
            items[d["sha256"]] = {
                "item_id": d.get("item_id"),
                "file_name": d.get("file_name"),
                "size_bytes": d.get("size_bytes"),
                "added_by": entry["actor"],
                "status": "to_check",
                "tags": set(),
                "result_sha256": d.get("result_sha256"),
            }
        elif action in ("item_status", "tag_added", "tag_removed") and isinstance(d.get("sha256"), str):
            item = items.get(d["sha256"])
            if item is None:
                continue
            if action == "item_status":
                item["status"] = d.get("to")
            elif action == "tag_added":
                item["tags"].add(str(d.get("tag")))
            else:
                item["tags"].discard(str(d.get("tag")))
        elif action == "note_added":
            notes.append((str(entry["actor"]), str(d.get("text")), str(d.get("sha256"))))
    return {"case": case, "items": items, "notes": notes}


def verify_case(store: CaseStore, case: int | str) -> list[str]:
    """Every way the store differs from the case's audit log; an empty list means it verifies."""
    entries = store.audit_log(case)
    problems = verify_chain(entries)
    problems += _anchor_problems(store, case, entries)
    state = expected_state(entries)
    current = store.case(case)
    for field in ("name", "status"):
        if getattr(current, field) != state["case"][field]:
            problems.append(
                f"the case's {field} is {getattr(current, field)!r}, the audit log says "
                f"{state['case'][field]!r}"
            )
    stored = {}
    for item in store.items(case):
        stored[item.sha256] = item
        label = f"item {item.id} ({item.file_name})"
        expected = state["items"].get(item.sha256)
        if expected is None:
            problems.append(f"{label}: not in the audit log (added or moved here outside the tool)")
        else:
            actual = {
                "item_id": item.id,
                "file_name": item.file_name,
                "size_bytes": item.size_bytes,
                "added_by": item.added_by,
                "status": item.status,
                "tags": {str(t) for t in item.tags},
                "result_sha256": item.result_sha256,
            }
            for field, value in expected.items():
                if value is not None and actual[field] != value:
                    what = "stored result" if field == "result_sha256" else field.replace("_", " ")
                    problems.append(f"{label}: its {what} differs from the audit log")
        problems += _original_problems(store, item, label)
    for sha256, expected in state["items"].items():
        if sha256 not in stored:
            problems.append(
                f"item {expected['item_id'] or '?'} ({expected['file_name']}): in the audit log but "
                "missing from the case"
            )
    notes = Counter((str(n["author"]), str(n["text"]), str(_note_sha(store, n))) for n in store.notes(case))
    logged = Counter(state["notes"])
    for note in sorted((notes - logged).elements(), key=str):
        problems.append(f"a note by {note[0]!r} is not in the audit log (added or edited outside the tool)")
    for note in sorted((logged - notes).elements(), key=str):
        problems.append(f"a note by {note[0]!r} recorded in the audit log is missing or was edited")
    return problems


def audit_head(store: CaseStore, case: int | str) -> dict[str, Any]:
    """The audit log's length and last hash: print it, and keep it apart from the store."""
    entries = store.audit_log(case)
    return {"entries": len(entries), "hash": entries[-1]["hash"] if entries else None}


def _anchor_problems(store: CaseStore, case: int | str, entries: list[dict]) -> list[str]:
    anchor = store.anchor(case)
    if anchor is not None:
        anchor = {
            k: v.decode("utf-8", "backslashreplace") if isinstance(v, bytes) else v for k, v in anchor.items()
        }
    head = entries[-1]["hash"] if entries else None
    if anchor is None:
        return ["the audit log has no anchor: it may have been recomputed or replaced"]
    case_id = store.case(case).id
    try:
        mac = store.anchor_mac(case_id, anchor["entries"], anchor["head"])
    except KeyMissing as exc:
        return [f"the audit log's anchor cannot be checked: {exc}"]
    if not _same(anchor["mac"], mac):
        return [
            "the audit log's anchor does not verify with this store's key: it was forged, or the key "
            f"({store.key_path}) is not the one the store was anchored with"
        ]
    if (anchor["entries"], anchor["head"]) != (len(entries), head):
        return [
            f"the audit log does not end where it was anchored ({anchor['entries']} entries ending "
            f"{str(anchor['head'])[:16]}...; found {len(entries)} ending {str(head)[:16]}...): entries were "
            "removed, added or recomputed"
        ]
    return []


def _same(a: object, b: object) -> bool:
    return hmac.compare_digest(
        str(a).encode("utf-8", "backslashreplace"), str(b).encode("utf-8", "backslashreplace")
    )


def _note_sha(store: CaseStore, note: dict) -> str | None:
    if note.get("item_id") is None:
        return None
    try:
        return store.item(note["item_id"]).sha256
    except CaseError:
        return None


def _original_problems(store: CaseStore, item, label: str) -> list[str]:
    try:
        path = store.original_path(item.sha256)
    except CaseError as exc:
        return [f"{label}: {exc}"]
    if not os.path.lexists(path):
        return [f"{label}: the original {item.sha256[:16]}... is missing"]
    problems = []
    try:  # read as an untrusted file: a link planted in originals/ is reported, never followed
        data = read_bytes(path, MAX_ORIGINAL_BYTES)
    except AnalysisError as exc:
        return [f"{label}: the original {item.sha256[:16]}... cannot be read: {exc.message}"]
    digest = hashlib.sha256(data).hexdigest()
    if digest != item.sha256:
        problems.append(
            f"{label}: the original was modified: it hashes to {digest[:16]}..., the case recorded "
            f"{item.sha256[:16]}..."
        )
    if os.stat(path).st_mode & 0o222:
        problems.append(f"{label}: the original is writable (it should be read-only)")
    if (result := item.readable_result()) is None:
        return [*problems, f"{label}: its stored result cannot be read"]
    recorded = result.file.sha256
    if recorded != item.sha256:
        problems.append(f"{label}: its stored result describes another file ({recorded})")
    return problems
