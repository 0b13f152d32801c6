"""``python -m core case ...``: the case commands (the store, not the UI, does the work).

Exit codes: 0 done; 1 when ``verify`` finds a mismatch; 2 for usage errors (unknown
case, closed case, bad settings).
"""

from __future__ import annotations

import argparse
import sqlite3
import sys

from core.cases import CaseError, CaseStore, add_analysed, audit_head, verify_case
from core.context import make_context
from core.escaping import say
from core.exporters import CaseExport, formats, write_file
from core.reports.bundle import read_key
from core.scan import scan
from core.settings import load_settings
from core.sources import list_sources
from core.wellformed import text

USAGE_ERROR = 2


def run_case(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    # Words typed in a terminal that is not UTF-8 reach Python as lone surrogates: names, notes
    # and tags are stored by the rule every result follows (core.wellformed: read as Latin-1).
    for name in ("case", "name", "new_name", "text", "tag", "analyst", "search"):
        if isinstance(getattr(args, name, None), str):
            setattr(args, name, text(getattr(args, name)))
    try:
        overrides = {"case_store": args.store, "analyst": args.analyst}
        if getattr(args, "no_classifier", False):
            overrides["classifier"] = False
        if getattr(args, "model", None):
            overrides["model"] = args.model
        settings = load_settings(args.config, overrides=overrides)
        # Verifying never writes: a store on write-protected evidence media verifies too.
        store = settings.open_store(read_only=args.case_command == "verify")
        return _dispatch(store, settings, args)
    except BrokenPipeError:
        raise  # the reader went away (`| head`): the CLI stops quietly, as for a scan
    except (CaseError, ValueError, OSError) as exc:
        say(f"{parser.prog} case: error: {exc}", file=sys.stderr)
        return USAGE_ERROR
    except sqlite3.Error as exc:  # a store whose tables are not what a case store holds
        say(f"{parser.prog} case: error: the case store's database cannot be used: {exc}", file=sys.stderr)
        return USAGE_ERROR


def _dispatch(store: CaseStore, settings, args: argparse.Namespace) -> int:
    who = settings.analyst_name()
    cmd = args.case_command
    if cmd == "list":
        for c in store.cases():
            say(f"{c.id}\t{c.name}\t{c.status}\t{c.items} item(s)\tupdated {c.updated_at}")
    elif cmd == "new":
        c = store.create_case(args.name, who)
        say(f"created case {c.id}: {c.name}")
    elif cmd == "add":
        return _add(store, settings, args, who)
    elif cmd == "show":
        c = store.case(args.case)
        say(f"case {c.id}: {c.name} ({c.status}), {c.items} item(s)")
        for i in store.items(c.id, args.search):
            result = i.readable_result()
            if result is None:
                band = "stored result unreadable: run case verify"
            else:
                band = result.verdict.band if result.verdict else ""
            tags = f" [{', '.join(i.tags)}]" if i.tags else ""
            say(f"{i.id}\t{i.status}\t{i.sha256[:16]}\t{i.file_name}\t{band}{tags}")
    elif cmd == "rename":
        say(f"renamed to {store.rename_case(args.case, args.new_name, who).name}")
    elif cmd in ("close", "reopen"):
        c = store.set_case_status(args.case, "closed" if cmd == "close" else "open", who)
        say(f"case {c.name} is {c.status}")
    elif cmd == "status":
        say(f"item {args.item}: {store.set_item_status(args.item, args.status, who).status}")
    elif cmd == "tag":
        say(f"item {args.item} tags: {', '.join(store.tag_item(args.item, args.tag, who, args.remove).tags)}")
    elif cmd == "note":
        store.add_note(args.case, args.text, who, args.item)
        say("note added")
    elif cmd == "rekey":
        if not args.confirm:
            raise CaseError(
                "re-keying gives the store a new anchor key and is recorded in every case: add --confirm"
            )
        names = store.rekey(who)
        say(f"new case key {store.key_path}; re-anchored {len(names)} case(s), each log records it")
    elif cmd == "verify":
        if store.read_only:
            say(f"store opened read-only ({store.root}): nothing in it is changed while it is verified")
        problems = verify_case(store, args.case)
        for problem in problems:
            say(problem)
        c = store.case(args.case)
        say(
            f"case {c.name}: {c.items} original(s) and the chain of custody verify"
            if not problems
            else f"case {c.name}: {len(problems)} problem(s)"
        )
        head = audit_head(store, args.case)
        say(
            f"audit head: {head['hash']} ({head['entries']} entries); keep it apart from the store to check later"
        )
        return 1 if problems else 0
    elif cmd == "report":
        exporter = formats("case")[args.format]
        if args.redact and not exporter.redactable:
            raise CaseError(
                f"the {exporter.name} is the internal record and is never redacted; use another format"
            )
        key = read_key(args.sign_key) if args.sign_key else None
        write_file(exporter, CaseExport(store, args.case, args.redact, settings, key), args.out)
        say(f"{exporter.name} written: {args.out}")
    return 0


def _add(store: CaseStore, settings, args: argparse.Namespace, who: str) -> int:
    store.require_writable()  # said before anything is analysed
    c = store.case(args.case)
    if c.status != "open":
        raise CaseError(f"case {c.name!r} is closed; re-open it to add files")
    sources = list_sources(args.paths, settings.max_file_bytes)
    results = scan(sources, make_context(settings))
    analysed = ((result.file.name, source, result) for source, result in zip(sources, results, strict=True))
    outcome = add_analysed(store, c.id, analysed, who, settings)
    for path, why in outcome.not_added:
        say(f"not added: {path}: {why}", file=sys.stderr)
    for path, why in outcome.not_indexed:
        say(f"added, but not in the seen-before index: {path}: {why}", file=sys.stderr)
    say(
        f"case {c.name}: {outcome.added} added, {outcome.already_there} already in the case, "
        f"{len(outcome.not_added)} not added"
    )
    return 0
