"""The families of copies among a case's items (``core.index.tree.families``): which items show
the same picture, which was made from which, and which is closest to the original.

Each item's fingerprint comes from the desk's seen-before index when it holds the item (put
there when the item was added); otherwise it is made again from the stored original in a file
worker, so that a case kept without the index still gets its families.
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


def case_families(store: CaseStore, items: list[tuple[Item, ScanResult]], settings: Settings) -> Families:
    """The families among ``items`` (each with its stored result). An item whose original cannot be
    read or decoded is left out (``case verify`` and the item's own row say why)."""
    index = SeenIndex.existing(store.root)
    copies = []
    for item, result in items:
        if result.status != "ok":
            continue
        fp = index.fingerprint(item.sha256) if index is not None else None
        if fp is None:
            try:
                data = store.read_original(item.sha256)
                fp = fingerprint_file(Source.from_bytes(item.file_name, data), settings)
            except (CaseError, AnalysisError):
                continue
        copies.append(Copy(item_label(item), fp, result))
    return families(copies)
