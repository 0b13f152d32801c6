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

from .caches import Caches
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
    kind: str  # what the child is of its parent, in a word or two (``COPY_KINDS``)
    reason: str


# What a copy is of the one it was made from, by the kind of match between them.
COPY_KINDS = {
    "same file": "same file",
    "same picture re-encoded": "re-encoded",
    "resized": "resized",
    "mirrored": "mirrored",
    "cropped": "crop",
    "contains it": "framed",
}


@dataclass
class Tree:
    closest: str  # the copy closest to the original, of this family's copies
    why: str
    edges: list[Edge]  # each copy but the closest (or the copies of a cycle) under its parent
    copies: list[str]  # the family, in the order given


@dataclass
class Families:
    trees: list[Tree]  # groups of copies of one picture, the largest first
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


def families(copies: list[Copy]) -> Families:
    """The families among ``copies``: which show the same picture, which copy was made from
    which, and the one closest to the original in each. Only pairs that the search caches name
    as candidates are compared in full, so a batch of thousands is not compared pair by pair."""
    copies = _distinct(copies)
    caches = Caches()
    for i, copy in enumerate(copies):
        fp = copy.fingerprint
        caches.put(i, fp.code, fp.mirror_code, fp.descriptors)
    pairs = {
        (min(i, j), max(i, j))
        for i, copy in enumerate(copies)
        for j in caches.candidates(copy.fingerprint)
        if j != i
    }
    edges = [edge for i, j in sorted(pairs) if (edge := _edge(copies[i], copies[j])) is not None]
    family = {c.path: c.path for c in copies}  # union-find over the related copies

    def root(path: str) -> str:
        while family[path] != path:
            family[path] = path = family[family[path]]
        return path

    for edge in edges:
        family[root(edge.child)] = root(edge.parent)
    groups: dict[str, list[Copy]] = {}
    for copy in copies:
        groups.setdefault(root(copy.path), []).append(copy)
    trees = [
        _tree(group, [e for e in edges if root(e.child) == key])
        for key, group in groups.items()
        if len(group) > 1
    ]
    unrelated = [group[0].path for group in groups.values() if len(group) == 1]
    return Families(sorted(trees, key=lambda t: -len(t.copies)), unrelated)


def _distinct(copies: list[Copy]) -> list[Copy]:
    """Copies named apart: a second upload under a name already used becomes "name (2)"."""
    seen: dict[str, int] = {}
    named = []
    for copy in copies:
        seen[copy.path] = n = seen.get(copy.path, 0) + 1
        named.append(copy if n == 1 else Copy(f"{copy.path} ({n})", copy.fingerprint, copy.result))
    return named


def _tree(group: list[Copy], edges: list[Edge]) -> Tree:
    """One family: each copy under the one it most likely comes from (of those it could come
    from, the closest to the original), and the closest copy nothing else contains."""
    by_path = {c.path: c for c in group}
    parents: dict[str, Edge] = {}

    def closeness(edge: Edge) -> tuple:  # its byte-identical twin first, then the fullest copy
        return edge.kind == COPY_KINDS["same file"], _rank(by_path[edge.parent])

    for edge in edges:
        known = parents.get(edge.child)
        if known is None or closeness(edge) > closeness(known):
            parents[edge.child] = edge
    roots = [c for c in group if c.path not in parents] or group
    best = max(roots, key=_rank)
    why = (
        f"no other copy here contains it, and it keeps the most: {_describe(best)}"
        if best.path not in parents
        else f"every copy is derived from another (a cycle of equal copies); it keeps the most: {_describe(best)}"
    )
    return Tree(best.path, why, list(parents.values()), [c.path for c in group])


def _edge(a: Copy, b: Copy) -> Edge | None:
    """Which of two copies was made from the other, and why; None when they are not related."""
    match = compare(b.fingerprint, a.fingerprint)  # how b relates to a
    if match is None:
        return None
    if match.kind in ("cropped", "contains it"):  # b was made from a
        return Edge(a.path, b.path, COPY_KINDS[match.kind], f"{b.path}: {match.why}")
    if match.kind in ("uncropped", "unframed"):  # a was made from b
        kind = COPY_KINDS["cropped" if match.kind == "uncropped" else "contains it"]
        return Edge(b.path, a.path, kind, f"{b.path} is closer: {a.path} was made from it ({match.why})")
    parent, child = (a, b) if _rank(a) >= _rank(b) else (b, a)
    if match.kind == "same file":
        return Edge(
            parent.path, child.path, COPY_KINDS["same file"], f"{child.path} is the same file, byte for byte"
        )
    return Edge(
        parent.path,
        child.path,
        COPY_KINDS[match.kind],
        f"{child.path} is the same picture ({match.kind}) and keeps less: {_describe(child)}, against "
        f"{_describe(parent)}",
    )
