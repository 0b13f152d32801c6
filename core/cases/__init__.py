"""Cases: a store of analysed originals with a hash-chained chain of custody, and its checks."""

from __future__ import annotations

import os

from .adding import Added, add_analysed
from .store import CASE_STATUSES, ITEM_STATUS_LABELS, ITEM_STATUSES, Case, CaseError, CaseStore, Item
from .verify import audit_head, verify_case


def default_store_path() -> str:
    """The per-user data folder, never the source tree (setting ``case_store`` overrides it)."""
    from platformdirs import user_data_dir

    return os.path.join(user_data_dir("image-evidence-desk", appauthor=False), "cases")


__all__ = [
    "CASE_STATUSES",
    "Added",
    "ITEM_STATUSES",
    "ITEM_STATUS_LABELS",
    "Case",
    "CaseError",
    "CaseStore",
    "Item",
    "add_analysed",
    "audit_head",
    "default_store_path",
    "verify_case",
]
