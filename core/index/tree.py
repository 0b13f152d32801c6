"""A family tree of copies: for pictures that show the same content, which copy was made from
which, and which is closest to the original, each edge with its reason.

Processing only ever loses: a crop shows less than its source, a screenshot frames its source,
a resized copy has fewer pixels, a re-encoded one lower JPEG quality, and platforms strip
metadata and credentials. So a copy is placed below another when it shows part of it, frames
it, or is a smaller or poorer version of the same picture; the copy nothing else contains,
with the most pixels, metadata and quality, is the closest to the original. It is the
closest *of these copies*: the original itself may be elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.schema import ScanResult

from .fingerprint import Fingerprint
from .matching import compare


@dataclass
class Copy:
    path: str
    fingerprint: Fingerprint
    result: ScanResult


@dataclass
class Edge:
    parent: str  # the path of the copy closer to the original
    child: str
    reason: str


@dataclass
class Tree:
    closest: str | None  # the copy closest to the original, of those given
    why: str
    edges: list[Edge]
    unrelated: list[str]  # copies that match none of the others


def _keeps(copy: Copy) -> tuple[int, int, int]:
    """What a copy kept of its capture: credentials, camera metadata, JPEG quality (higher is closer)."""
    r = copy.result
    credentials = int(bool(r.provenance.c2pa.state and str(r.provenance.c2pa.state) != "none"))
    camera = int(bool(r.metadata.camera.make or r.metadata.camera.model or r.metadata.datetime_original))
    jpeg = r.forensics.jpeg
    quality = jpeg.estimated_quality if jpeg and jpeg.estimated_quality else 100
    return credentials, camera, quality


def _rank(copy: Copy) -> tuple:
    fp = copy.fingerprint
    return (fp.width * fp.height, *_keeps(copy))


def _describe(copy: Copy) -> str:
    credentials, camera, quality = _keeps(copy)
    kept = [f"{copy.fingerprint.width}x{copy.fingerprint.height} pixels"]
    kept.append("Content Credentials" if credentials else "no Content Credentials")
    kept.append("camera metadata" if camera else "no camera metadata")
    if copy.result.forensics.jpeg and copy.result.forensics.jpeg.estimated_quality:
        kept.append(f"JPEG quality about {quality}")
    return ", ".join(kept)


def family_tree(copies: list[Copy]) -> Tree:
    by_path = {c.path: c for c in copies}
    parents: dict[
        str, Edge
    ] = {}  # each copy's one parent: of those it could come from, the closest to the original
    related: set[str] = set()
    for i, a in enumerate(copies):
        for b in copies[i + 1 :]:
            edge = _edge(a, b)
            if edge is None:
                continue
            related.update((a.path, b.path))
            known = parents.get(edge.child)
            if known is None or _rank(by_path[edge.parent]) > _rank(by_path[known.parent]):
                parents[edge.child] = edge
    below = set(parents)
    edges = list(parents.values())
    group = [c for c in copies if c.path in related]
    if not group:
        return Tree(None, "no two of these files show the same picture", [], [c.path for c in copies])
    roots = [c for c in group if c.path not in below] or group
    best = max(roots, key=_rank)
    why = (
        f"no other copy here contains it, and it keeps the most: {_describe(best)}"
        if best.path not in below
        else f"every copy is derived from another (a cycle of equal copies); it keeps the most: {_describe(best)}"
    )
    return Tree(best.path, why, edges, [c.path for c in copies if c.path not in related])


def _edge(a: Copy, b: Copy) -> Edge | None:
    """Which of two copies was made from the other, and why; None when they are not related."""
    match = compare(b.fingerprint, a.fingerprint)  # how b relates to a
    if match is None:
        return None
    if match.kind in ("cropped", "contains it"):  # b was made from a
        return Edge(a.path, b.path, f"{b.path}: {match.why}")
    if match.kind in ("uncropped", "unframed"):  # a was made from b
        return Edge(b.path, a.path, f"{b.path} is closer: {a.path} was made from it ({match.why})")
    parent, child = (a, b) if _rank(a) >= _rank(b) else (b, a)
    if match.kind == "same file":
        return Edge(parent.path, child.path, f"{child.path} is the same file, byte for byte")
    return Edge(
        parent.path,
        child.path,
        f"{child.path} is the same picture ({match.kind}) and keeps less: {_describe(child)}, against "
        f"{_describe(parent)}",
    )
