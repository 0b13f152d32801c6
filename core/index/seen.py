"""Seen before on every analysis: each decoded image of a batch is fingerprinted from the pixels
its file worker decoded (no untrusted bytes are decoded here) and searched in the desk's index;
what it matches becomes ``seen_before`` and a context line of the ledger. With the setting
``seen_before = "remember"`` the image is also put in the index, as a scan."""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.escaping import quote
from core.schema import Finding, Notice, ScanResult, Sighting

if TYPE_CHECKING:
    from PIL import Image

    from .records import SeenIndex

# Matches told in the ledger's sentence (the result keeps them all).
MAX_TOLD = 3


def look_up(rows: list[tuple[ScanResult, Image.Image | None]], index: SeenIndex, remember: bool) -> None:
    # Imported here: the ledger reads this module's findings in every scan, and a scan without
    # an index must not load NumPy and usearch for them.
    from core.index.fingerprint import make_fingerprint
    from core.index.records import now

    for result, pixels in rows:
        if pixels is None or not result.file.sha256 or result.status != "ok":
            continue
        facts = result.file
        try:
            fp = make_fingerprint(pixels, facts.sha256, facts.phash or "", (facts.width, facts.height))
            result.seen_before = index.search(fp)
            if remember:
                verdict = str(result.verdict.band) if result.verdict else None
                index.add(fp, Sighting(now(), "scan", "", result.path, verdict=verdict))
        except Exception as exc:  # the desk's memory is context: a row never fails for it
            result.notices.append(
                Notice("seen_before_failed", f"the seen-before index could not be searched: {exc}")
            )


def findings(result: ScanResult) -> list[Finding]:
    """One context line naming where and when the desk met this picture before."""
    if not result.seen_before:
        return []
    told = []
    for found in result.seen_before[:MAX_TOLD]:
        first = found.sightings[0] if found.sightings else None
        where = _where(first) if first else "in the index"
        verdict = f" (verdict then: {first.verdict})" if first and first.verdict else ""
        told.append(f"{found.why}; first seen {found.first_seen[:10]} {where}{verdict}")
    more = len(result.seen_before) - len(told)
    sentence = (
        "The desk has handled this picture before: "
        + "; and ".join(told)
        + (f"; and {more} more match(es)" if more > 0 else "")
        + ". Earlier copies say where it has been, not whether it is authentic."
    )
    return [
        Finding("seen_before.match", "neutral", "context", sentence, {"matches": len(result.seen_before)})
    ]


def described(result: ScanResult) -> str:
    """Every earlier match in one line each part, for a report's key facts."""
    parts = []
    for found in result.seen_before or []:
        where = _where(found.sightings[0]) if found.sightings else ""
        parts.append(
            f"{found.kind} ({found.strength}) of {found.sha256[:12]}..., first seen {found.first_seen[:10]} {where}"
        )
    return "; ".join(parts)


def in_brief(result: ScanResult) -> str:
    """The closest earlier match in a few words, for a table cell ("cropped · case “Floods”, item 3")."""
    if not result.seen_before:
        return ""
    found = result.seen_before[0]
    where = _where(found.sightings[0]).removeprefix("in ") if found.sightings else ""
    more = f" (+{len(result.seen_before) - 1})" if len(result.seen_before) > 1 else ""
    return f"{found.kind} · {where}{more}"


def _where(sighting: Sighting) -> str:
    if sighting.kind == "case":
        return f"in case {quote(sighting.case_name or '', 60)}, item {sighting.item_id}"
    if sighting.kind == "reference":
        return f"in the reference folder {quote(sighting.label or sighting.path, 60)}"
    return f"in a scan, as {quote(sighting.path, 60)}"
