"""The one way analysed files enter a case (``python -m core case add``, the batch page's
"Add to case"): each file's bytes are stored with its result, and one file that cannot be
stored never stops the others."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from core.schema import ScanResult
from core.sources import Source

from .store import CaseError, CaseStore

if TYPE_CHECKING:
    from core.settings import Settings


@dataclass
class Added:
    added: int = 0
    already_there: int = 0
    not_added: list[tuple[str, str]] = field(default_factory=list)  # (path, why)


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
            _, created = store.add_item(c.id, name, data, result, who)
        except Exception as exc:  # one item that cannot be stored never stops the others
            outcome.not_added.append((result.path, f"{type(exc).__name__}: {str(exc)[:200]}"))
            continue
        outcome.added += created
        outcome.already_there += not created
    return outcome
