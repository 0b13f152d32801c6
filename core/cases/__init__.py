"""Cases: a store of analysed originals with a hash-chained chain of custody, and its checks.

The names below are imported from their modules when first used (PEP 562): a scan that only
asks where the store is does not import the store, the index or the reports."""

from __future__ import annotations

import importlib
import os
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .adding import Added, add_analysed
    from .store import CASE_STATUSES, ITEM_STATUS_LABELS, ITEM_STATUSES, Case, CaseError, CaseStore, Item
    from .verify import audit_head, verify_case

_HOMES = {
    "Added": ".adding",
    "add_analysed": ".adding",
    "CASE_STATUSES": ".store",
    "ITEM_STATUS_LABELS": ".store",
    "ITEM_STATUSES": ".store",
    "Case": ".store",
    "CaseError": ".store",
    "CaseStore": ".store",
    "Item": ".store",
    "audit_head": ".verify",
    "verify_case": ".verify",
}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_HOMES[name], __name__), name)


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
