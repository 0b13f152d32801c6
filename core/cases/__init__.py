"""Cases: a store of analysed originals with a hash-chained chain of custody, and its checks."""

from __future__ import annotations

import hashlib
import os

from .audit import verify_chain
from .store import CASE_STATUSES, ITEM_STATUSES, Case, CaseError, CaseStore, Item


def default_store_path() -> str:
    """The per-user data folder, never the source tree (setting ``case_store`` overrides it)."""
    from platformdirs import user_data_dir

    return os.path.join(user_data_dir("image-evidence-desk", appauthor=False), "cases")


def verify_case(store: CaseStore, case: int | str) -> list[str]:
    """Re-hash every original of the case and walk its audit chain; each mismatch is one line."""
    problems = []
    for item in store.items(case):
        path = store.original_path(item.sha256)
        if not path.exists():
            problems.append(
                f"item {item.id} ({item.file_name}): the original {item.sha256[:16]}... is missing"
            )
            continue
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if digest != item.sha256:
            problems.append(f"item {item.id} ({item.file_name}): the original was modified: it hashes to "
                            f"{digest[:16]}..., the case recorded {item.sha256[:16]}...")  # fmt: skip
        if os.stat(path).st_mode & 0o222:
            problems.append(
                f"item {item.id} ({item.file_name}): the original is writable (it should be read-only)"
            )
        recorded = (item.result.get("file") or {}).get("sha256")
        if recorded != item.sha256:
            problems.append(
                f"item {item.id} ({item.file_name}): its stored result describes another file ({recorded})"
            )
    problems.extend(verify_chain(store.audit_log(case)))
    return problems


__all__ = [
    "CASE_STATUSES",
    "ITEM_STATUSES",
    "Case",
    "CaseError",
    "CaseStore",
    "Item",
    "default_store_path",
    "verify_case",
]
