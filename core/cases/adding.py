"""The one way analysed files enter a case (``python -m core case add``, the batch page's
"Add to case"): each file's bytes are stored with its result, and one file that cannot be
stored never stops the others."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from core.index.fingerprint import fingerprint_file
from core.index.records import SeenIndex, now
from core.schema import ScanResult, Sighting
from core.sources import Source

from .store import CaseError, CaseStore

if TYPE_CHECKING:
    from core.settings import Settings


@dataclass
class Added:
    added: int = 0
    already_there: int = 0
    not_added: list[tuple[str, str]] = field(default_factory=list)  # (path, why)
    not_indexed: list[tuple[str, str]] = field(
        default_factory=list
    )  # added, but not in the seen-before index


def add_analysed(
    store: CaseStore,
    case: int | str,
    analysed: Iterable[tuple[str, Source, ScanResult]],
    who: str,
    settings: Settings,
) -> Added:
    """Add ``(name, source, result)`` triples to an open case. A file is stored only when its
    bytes, read again to store them, hash to the SHA-256 its result was made from."""
    store.require_writable()
    c = store.case(case)
    if c.status != "open":
        raise CaseError(f"case {c.name!r} is closed; re-open it to add files")
    outcome = Added()
    index: SeenIndex | None = None  # opened at the first new item
    for name, source, result in analysed:
        if not result.file.sha256:
            outcome.not_added.append((result.path, result.error.message if result.error else "unreadable"))
            continue
        try:
            data = source.read_isolated(
                settings.max_file_bytes, settings.file_timeout_s, settings.file_memory_mb
            )
            if hashlib.sha256(data).hexdigest() != result.file.sha256:
                outcome.not_added.append((result.path, "the file changed while it was analysed"))
                continue
            item, created = store.add_item(c.id, name, data, result, who)
        except Exception as exc:  # one item that cannot be stored never stops the others
            outcome.not_added.append((result.path, f"{type(exc).__name__}: {str(exc)[:200]}"))
            continue
        outcome.added += created
        outcome.already_there += not created
        if created and settings.seen_before != "off":
            index = index or SeenIndex.beside(store.root)
            _remember(index, c.name, item.id, name, data, result, settings, outcome)
    if index is not None:
        index.flush()
    return outcome


def _remember(index, case_name, item_id, name, data, result, settings, outcome) -> None:
    """Put a new case item in the seen-before index beside the store (fingerprinted in a file
    worker), with its case, item and verdict, so that a later copy of it is recognised. An
    item that cannot be fingerprinted stays in the case; the outcome says so."""
    try:
        fp = fingerprint_file(Source.from_bytes(name, data), settings)
        verdict = str(result.verdict.band) if result.verdict else None
        index.add(fp, Sighting(now(), "case", "", name, case_name, item_id, verdict))
    except Exception as exc:  # the index is memory, not the record: the case item stands
        outcome.not_indexed.append((result.path, f"{type(exc).__name__}: {str(exc)[:200]}"))
