"""``python -m core index add|search|stats``: the seen-before index from the command line, with
the same listing, limits, one row per file and escaping as ``scan``."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING

from core import ray_engine
from core.context import make_context
from core.errors import AnalysisError
from core.escaping import say
from core.scan import scan
from core.schema import Sighting, to_dict
from core.settings import load_settings
from core.sources import list_sources

if TYPE_CHECKING:  # the index's modules (numpy, OpenCV, usearch) are imported by the index commands only
    from core.index.records import SeenIndex

USAGE_ERROR = 2


def add_parser(commands) -> None:
    i = commands.add_parser("index", help="the seen-before index: every image the desk has handled")
    i.add_argument("--store", help="case store folder (setting case_store); the index lives beside it")
    i.add_argument("--config", help="TOML file with settings (see the README)")
    i.add_argument("--json", action="store_true", help="one JSON object per file instead of text")
    sub = i.add_subparsers(dest="index_command", required=True)
    x = sub.add_parser(
        "add", help="fingerprint files and remember them (a reference folder, a debunked archive)"
    )
    x.add_argument("paths", nargs="+", metavar="PATH")
    x.add_argument("--label", default="", help="what these files are, e.g. 'debunked 2026'")
    ray_engine.add_engine_options(
        x, "where the files are fingerprinted (large archives: every CPU of the cluster)"
    )
    x = sub.add_parser("search", help="which earlier images each file matches, and how")
    x.add_argument("paths", nargs="+", metavar="PATH")
    ray_engine.add_engine_options(
        x, "where the files are fingerprinted (large archives: every CPU of the cluster)"
    )
    x = sub.add_parser(
        "tree", help="which of these copies was made from which, and which is closest to the original"
    )
    x.add_argument("paths", nargs="+", metavar="PATH")
    sub.add_parser("stats", help="how many images and sightings the index holds")


def run_index(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    from core.index.records import SeenIndex

    try:
        settings = load_settings(args.config, overrides={"case_store": args.store})
        index = SeenIndex.beside(settings.store_path())
        if args.index_command == "stats":
            return _print(args, {"index": str(index.folder), **index.stats()})
        sources = list_sources(args.paths, settings.max_file_bytes)
    except (ValueError, OSError) as exc:
        say(f"{parser.prog} index: error: {exc}", file=sys.stderr)
        return USAGE_ERROR
    if args.index_command == "tree":
        return _tree(args, sources, settings)
    try:
        _add_or_search(args, index, sources, settings)
    except (ValueError, ConnectionError) as exc:  # the engine could not start: nothing was fingerprinted
        say(f"{parser.prog} index: error: {exc}", file=sys.stderr)
        return USAGE_ERROR
    finally:
        index.flush()
    return 0


def _fingerprints(args: argparse.Namespace, sources: list, settings) -> Iterator:
    """Each source's fingerprint or its AnalysisError, in order, on this machine or on Ray."""
    from core.index.fingerprint import fingerprint_file

    if args.engine == "ray":
        ray_engine.join(args.address)
        yield from ray_engine.fingerprints_on_ray(sources, settings)
        return
    if args.address:
        raise ValueError("--address is for --engine ray")
    for source in sources:
        try:
            yield fingerprint_file(source, settings)
        except AnalysisError as exc:
            yield exc


def _add_or_search(args: argparse.Namespace, index: SeenIndex, sources: list, settings) -> None:
    from core.index.records import now

    for source, fp in zip(sources, _fingerprints(args, sources, settings), strict=True):
        if isinstance(fp, AnalysisError):
            _print(args, {"path": source.path, "error": {"code": fp.code, "message": fp.message}})
            continue
        if args.index_command == "add":
            new = index.add(fp, Sighting(now(), "reference", args.label, source.path))
            _print(args, {"path": source.path, "added": new, **fp.to_dict()})
        else:
            _print(
                args,
                {
                    "path": source.path,
                    "sha256": fp.sha256,
                    "matches": [to_dict(f) for f in index.search(fp)],
                },
            )


def _tree(args: argparse.Namespace, sources: list, settings) -> int:
    """Analyse the copies (metadata, credentials, JPEG quality), fingerprint them, and print the tree."""
    from core.index.fingerprint import fingerprint_file
    from core.index.tree import Copy, families

    ctx = make_context(settings.replace(classifier=False, stability="never", seen_before="off"))
    copies = []
    for source, result in zip(sources, scan(sources, ctx), strict=True):
        try:
            copies.append(Copy(source.path, fingerprint_file(source, settings), result))
        except AnalysisError as exc:
            _print(args, {"path": source.path, "error": {"code": exc.code, "message": exc.message}})
    return _print(args, to_dict(families(copies)))


def _print(args: argparse.Namespace, row: dict) -> int:
    if args.json:
        say(json.dumps(row, ensure_ascii=False))
    else:
        say(_text(row))
    return 0


def _text(row: dict) -> str:
    if "trees" in row:
        if not row["trees"]:
            return "no two of these files show the same picture"
        lines = []
        for n, tree in enumerate(row["trees"], 1):
            lines.append(
                f"family {n} ({len(tree['copies'])} copies): closest to the original, of these copies: "
                f"{tree['closest']} ({tree['why']})"
            )
            lines += [f"  {e['parent']} -> {e['child']}: {e['reason']}" for e in tree["edges"]]
        lines += [f"not related to the others: {path}" for path in row["unrelated"]]
        return "\n".join(lines)
    if "images" in row:
        labels = ", ".join(f"{k}: {v}" for k, v in row["labels"].items()) or "none"
        sightings = ", ".join(f"{v} {k}" for k, v in row["sightings"].items()) or "none"
        return f"{row['images']} image(s); sightings: {sightings}; labels: {labels} ({row['index']})"
    if "error" in row:
        return f"{row['path']}: not fingerprinted: {row['error']['code']}: {row['error']['message']}"
    if "added" in row:
        return (
            f"{row['path']}: {'added' if row['added'] else 'already known, sighting added'} ({row['iscc']})"
        )
    if not row["matches"]:
        return f"{row['path']}: not seen before"
    lines = [f"{row['path']}: seen before, {len(row['matches'])} match(es)"]
    for found in row["matches"]:
        lines.append(
            f"  {found['kind']} ({found['strength']}) of {found['sha256'][:16]}..., first seen "
            f"{found['first_seen']}: {found['why']}"
        )
        for s in found["sightings"]:
            where = (
                f"case {s['case_name']!r} item {s['item_id']}"
                if s["case_name"]
                else f"{s['kind']} {s['label']!r}".strip()
            )
            verdict = f", verdict: {s['verdict']}" if s["verdict"] else ""
            lines.append(f"    {s['seen_at']}: {where}, {s['path']}{verdict}")
    return "\n".join(lines)
