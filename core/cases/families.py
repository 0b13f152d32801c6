"""The families of copies among a case's items (``core.index.tree.families``): which items show
the same picture, which was made from which, and which is closest to the original.

Each item's fingerprint comes from the desk's seen-before index when it holds the item (put
there when the item was added). An item it does not hold (added while the setting seen_before
was off) is fingerprinted from its stored original in a file worker only when asked
(``decode_missing``: the Cases page's toggle); a report never decodes a case's originals for
this, it says how many items it could not trace.
"""

from __future__ import annotations

from core.errors import AnalysisError
from core.index.fingerprint import fingerprint_file
from core.index.records import SeenIndex
from core.index.tree import Copy, Families, families
from core.schema import ScanResult
from core.settings import Settings
from core.sources import Source

from .store import CaseError, CaseStore, Item


def item_label(item: Item) -> str:
    """How a copy is named in a family: its item number and file name."""
    return f"item {item.id} ({item.file_name})"


def case_families(
    store: CaseStore, items: list[tuple[Item, ScanResult]], settings: Settings, decode_missing: bool
) -> tuple[Families, list[str]]:
    """The families among ``items`` (each with its stored result), and the items left out: not in
    the index (unless ``decode_missing``), or whose original cannot be read or decoded (``case
    verify`` and the item's own row say why)."""
    index = SeenIndex.existing(store.root)
    copies, untraced = [], []
    for item, result in items:
        if result.status != "ok":
            continue
        fp = index.fingerprint(item.sha256) if index is not None else None
        if fp is None and not decode_missing:
            untraced.append(item_label(item))
            continue
        if fp is None:
            try:
                data = store.read_original(item.sha256)
                fp = fingerprint_file(Source.from_bytes(item.file_name, data), settings)
            except (CaseError, AnalysisError):
                untraced.append(item_label(item))
                continue
        copies.append(Copy(item_label(item), fp, result))
    return families(copies), untraced
