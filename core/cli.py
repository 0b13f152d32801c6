"""Command line: ``python -m core scan PATH... [options]``.

Exit codes: 0 when the scan completed (bad files are error rows, not failures);
2 for usage errors (unknown option, a path that does not exist, a bad setting);
3 when the scan completed but some rows could not be written and are ``output_failed``
error rows instead.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import Counter
from contextlib import ExitStack
from pathlib import Path

from core import __version__, index_cli, ray_engine
from core.context import make_context
from core.escaping import say
from core.exporters import formats
from core.output import Written
from core.scan import scan
from core.settings import VERIFY_TIME_LIMIT_S, load_settings
from core.sources import list_sources
from core.vocabulary import Band

USAGE_ERROR = 2
# The scan completed, but some rows could not be written in full (they are output_failed rows).
OUTPUT_INCOMPLETE = 3


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m core",
        description="Image forensics for fact-checkers: file facts, metadata and an AI-vs-real classifier score.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    p = commands.add_parser(
        "scan", help="analyse image files and folders (recursively), one result row per file"
    )
    p.add_argument(
        "paths",
        nargs="+",
        metavar="PATH",
        help='image files, folders (walked recursively) or quoted globs such as "photos/**/*.jpg"; '
        "with --engine ray also pyarrow URIs such as s3://bucket/folder",
    )
    p.add_argument("--model", help="Hub id or local folder of the classifier (setting model)")
    p.add_argument("--revision", help="Hub branch, tag or commit (setting revision)")
    p.add_argument("--device", help="auto, cpu, cuda, cuda:N or mps (setting device)")
    p.add_argument("--batch-size", type=int, help="images per classifier call (setting batch_size)")
    p.add_argument(
        "--no-classifier",
        action="store_true",
        help="skip the classifier (metadata, provenance and forensics still run; see --no-forensics and --metadata-only)",
    )
    p.add_argument(
        "--no-stability", action="store_true", help="never re-score re-compressed and resized copies"
    )
    p.add_argument(
        "--stability",
        choices=("auto", "always", "never"),
        help="re-score re-compressed and resized copies: auto (default: where the score decides), always, never",
    )
    p.add_argument("--no-forensics", action="store_true", help="skip pixel and file forensics")
    p.add_argument(
        "--metadata-only",
        action="store_true",
        help="triage speed: hashes, metadata, provenance and header checks, no pixel decoding "
        "(so no perceptual hash and no classifier; setting pixels=false)",
    )
    p.add_argument("--max-pixels", type=int, help="refuse images declaring more pixels (setting max_pixels)")
    p.add_argument(
        "--trust-anchors",
        help="C2PA trust lists: NAME=PEM-FILE entries separated by ; (setting trust_anchors)",
    )
    p.add_argument("--config", help="TOML file with settings (see the README)")
    p.add_argument(
        "--format",
        choices=formats("rows"),
        help="output format (default: jsonl; on a terminal, without --format or --out, a table of each file's "
        "verdict and the counts by verdict band): "
        + "; ".join(
            f"{e.name}: {e.help}" + ("" if e.text else " (needs --out)") for e in formats("rows").values()
        ),
    )
    ray_engine.add_engine_options(p, "same rows either way")
    p.add_argument("--out", help="write results to this file ('-': standard output)")
    p.add_argument("--quiet", action="store_true", help="no progress bar or summary on standard error")

    index_cli.add_parser(commands)
    c = commands.add_parser("case", help="cases: originals, notes, statuses, chain of custody, reports")
    c.add_argument("--store", help="case store folder (setting case_store)")
    c.add_argument("--analyst", help="your name for the chain of custody (setting analyst)")
    c.add_argument("--config", help="TOML file with settings (see the README)")
    # Also accepted after the subcommand (``case add CASE PATH --analyst NAME``), as people type them.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--store", default=argparse.SUPPRESS, help="case store folder (setting case_store)")
    common.add_argument("--analyst", default=argparse.SUPPRESS, help="your name for the chain of custody")
    common.add_argument("--config", default=argparse.SUPPRESS, help="TOML file with settings")
    case_commands = c.add_subparsers(dest="case_command", required=True)
    case_commands.add_parser("list", parents=[common], help="list cases")
    x = case_commands.add_parser("new", parents=[common], help="create a case")
    x.add_argument("name")
    x = case_commands.add_parser(
        "add", parents=[common], help="analyse files and add them (folders recursively) to a case"
    )
    x.add_argument("case")
    x.add_argument("paths", nargs="+", metavar="PATH")
    x.add_argument("--no-classifier", action="store_true")
    x.add_argument("--model")
    x = case_commands.add_parser(
        "show", parents=[common], help="a case's items (optionally searched by hash, name, camera, generator)"
    )
    x.add_argument("case")
    x.add_argument("--search", default="")
    x = case_commands.add_parser("rename", parents=[common], help="rename a case")
    x.add_argument("case")
    x.add_argument("new_name")
    for name in ("close", "reopen"):
        case_commands.add_parser(name, parents=[common], help=f"{name} a case").add_argument("case")
    x = case_commands.add_parser("status", parents=[common], help="set an item's status")
    x.add_argument("item", type=int)
    x.add_argument("status", choices=("to_check", "checked", "flagged"))
    x = case_commands.add_parser("tag", parents=[common], help="tag an item (--remove to untag)")
    x.add_argument("item", type=int)
    x.add_argument("tag")
    x.add_argument("--remove", action="store_true")
    x = case_commands.add_parser("note", parents=[common], help="add a note to a case or one of its items")
    x.add_argument("case")
    x.add_argument("text")
    x.add_argument("--item", type=int)
    x = case_commands.add_parser(
        "verify", parents=[common], help="re-hash every original and walk the chain of custody"
    )
    x.add_argument("case")
    x = case_commands.add_parser(
        "rekey",
        parents=[common],
        help="give a store whose anchor key is lost a new key (only when every audit log is intact; recorded)",
    )
    x.add_argument("--confirm", action="store_true", help="yes: make a new key and record it in every case")
    x = case_commands.add_parser(
        "report", parents=[common], help="write a report: " + ", ".join(formats("case"))
    )
    x.add_argument("case")
    x.add_argument(
        "--format",
        choices=formats("case"),
        default="html",
        help="; ".join(f"{e.name}: {e.help}" for e in formats("case").values()),
    )
    x.add_argument("--out", required=True)
    x.add_argument("--redact", action="store_true", help="leave out GPS, serial numbers, names and prompts")
    x.add_argument(
        "--sign-key", help="bundle: sign its manifest with this Ed25519 private key (bundle keygen)"
    )

    k = commands.add_parser(
        "calibrate",
        help="score the desk's own verified photos (and known AI images) into a calibration profile",
        description="Scores every file of --real (verified camera photos) and --ai (known AI images) with every "
        "configured classifier and writes a profile (setting calibration) that the ledger then cites.",
    )
    k.add_argument(
        "--real", required=True, nargs="+", metavar="PATH", help="verified camera photos (folders, files)"
    )
    k.add_argument("--ai", nargs="+", metavar="PATH", default=[], help="known AI-generated images")
    k.add_argument("--out", required=True, help="the profile file to write (JSON)")
    k.add_argument(
        "--target-fpr", type=float, default=0.01, help="false-positive rate to find a threshold for"
    )
    k.add_argument("--model", help="Hub id or local folder of the classifier (setting model)")
    k.add_argument("--config", help="TOML file with settings")
    b = commands.add_parser("bundle", help="case bundles")
    bundle_commands = b.add_subparsers(dest="bundle_command", required=True)
    x = bundle_commands.add_parser(
        "verify", help="check a bundle: structure, every file, audit head, signature"
    )
    x.add_argument("file")
    x.add_argument("--public-key", help="require a signature that verifies with this Ed25519 public key")
    x.add_argument("--head", help="require this audit head (the hash `case verify` printed)")
    x.add_argument(
        "--time-limit",
        type=float,
        default=VERIFY_TIME_LIMIT_S,
        metavar="S",
        help=f"stop hashing after S seconds; the bundle then does not verify (default {VERIFY_TIME_LIMIT_S:g})",
    )
    x = bundle_commands.add_parser("keygen", help="make an Ed25519 key pair for signing bundles")
    x.add_argument("--out", required=True, help="writes OUT.key (private, mode 0600) and OUT.pub")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "calibrate":
            return _calibrate(parser, args)
        if args.command == "case":
            from core.case_cli import run_case

            return run_case(parser, args)
        if args.command == "index":
            return index_cli.run_index(parser, args)
        if args.command == "bundle" and args.bundle_command == "keygen":
            from core.reports.bundle import generate_signing_key

            private, public = generate_signing_key(args.out)
            say(f"private key: {private} (keep it secret); public key: {public}")
            return 0
        if args.command == "bundle":
            return _verify_bundle(args)
        return _scan(parser, args)
    except BrokenPipeError:
        # The reader went away (e.g. `| head`): stop quietly, as Unix tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def _scan(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    try:
        settings = load_settings(
            args.config,
            overrides={
                "model": args.model,
                "revision": args.revision,
                "device": args.device,
                "batch_size": args.batch_size,
                "max_pixels": args.max_pixels,
                "trust_anchors": args.trust_anchors,
                "classifier": False if args.no_classifier else None,
                "stability": "never" if args.no_stability else args.stability,
                "forensics": False if args.no_forensics else None,
                "pixels": False if args.metadata_only else None,
            },
        )
        exporter = formats("rows")[args.format or "jsonl"]
        if not exporter.text and args.out in (None, "-"):
            raise ValueError(f"--format {exporter.name} writes a file: give --out FILE")
        if args.engine == "ray":
            results, total = _start_ray(args, settings)
        else:
            if args.address:
                raise ValueError("--address is for --engine ray")
            sources = list_sources(args.paths, settings.max_file_bytes)
            ctx = make_context(settings)
            if ctx.classifier_error and settings.classifier and settings.pixels and not args.quiet:
                print(f"warning: {ctx.classifier_error}", file=sys.stderr)
            results, total = scan(sources, ctx), len(sources)
    except (ValueError, OSError, ConnectionError) as exc:
        parser.print_usage(sys.stderr)
        print(f"{parser.prog} scan: error: {exc}", file=sys.stderr)
        return USAGE_ERROR

    to_stdout = args.out in (None, "-")
    if to_stdout and hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(encoding="utf-8")
    # A person at a terminal reads a table; files and pipes get rows (jsonl unless --format).
    as_table = to_stdout and args.format is None and sys.stdout.isatty()
    # tqdm hides itself when stderr is not a terminal (disable=None), so logs stay clean.
    from tqdm import tqdm

    progress = tqdm(total=total, unit="file", file=sys.stderr, disable=True if args.quiet else None)
    bands: Counter[str] = Counter()
    errors = 0

    def counted():
        nonlocal errors
        for result in results:
            errors += result.status == "error"
            bands[result.verdict.band if result.verdict else "not analysed"] += 1
            progress.update(1)
            if as_table:
                progress.clear()
            yield result

    with progress, ExitStack() as stack:
        if as_table:
            written = terminal_table(counted(), progress)
        else:
            if to_stdout:
                sys.stdout.flush()  # rows go to its bytes, after anything already printed
            out = sys.stdout.buffer if to_stdout else stack.enter_context(open(args.out, "wb"))
            written = exporter.write(counted(), out)
    if as_table:
        say(band_counts(bands))
    elif not args.quiet:
        print(f"{written.rows} file(s) scanned, {errors} with errors", file=sys.stderr)
        say(band_counts(bands), file=sys.stderr)
    if written.failed:
        say(
            f"{len(written.failed)} row(s) could not be written in full and are output_failed error rows: "
            + ", ".join(written.failed[:5])
            + (" ..." if len(written.failed) > 5 else ""),
            file=sys.stderr,
        )
        return OUTPUT_INCOMPLETE
    return 0


def terminal_table(results, progress) -> Written:
    """One line per file as it is analysed: score, verdict band (or error code), path (and the
    error's message), in aligned columns."""
    written = Written()
    width = max(map(len, Band))
    for result in results:
        written.rows += 1
        score = f"{result.classifier.p_artificial:.2f}" if result.classifier else "-"
        if result.error is not None:
            say(f"{score:>4}  {'error ' + result.error.code:<{width}}  {result.path}: {result.error.message}")
        else:
            say(f"{score:>4}  {result.verdict.band if result.verdict else '':<{width}}  {result.path}")
        progress.refresh()
    return written


def band_counts(bands: Counter[str]) -> str:
    """Counts by verdict band, strongest band first, as a small table."""
    width = max(len(str(n)) for n in bands.values()) if bands else 1
    lines = [f"{n:>{width}}  {band}" for band, n in sorted(bands.items(), key=lambda b: Band.rank_of(b[0]))]
    return "Files by verdict band:\n" + ("\n".join(lines) if lines else "(none)")


def _verify_bundle(args: argparse.Namespace) -> int:
    """Every problem, then the verdict, the audit head to compare, and what a missing signature means."""
    from core.reports.bundle import bundle_facts, read_key, verify_bundle

    try:
        key = read_key(args.public_key) if args.public_key else None
    except ValueError as exc:
        say(f"error: {exc}")
        return USAGE_ERROR
    problems = verify_bundle(
        args.file, public_key_pem=key, expected_head=args.head, time_limit_s=args.time_limit
    )
    for problem in problems:
        say(problem)
    say("bundle verifies: every file matches its manifest" if not problems else f"{len(problems)} problem(s)")
    facts = bundle_facts(args.file)
    head = facts["audit_head"]
    if head and head.get("hash"):
        say(
            f"audit head: {head['hash']} ({head.get('entries')} entries); it must equal the head that `case verify` "
            "printed for this case, kept apart from the store"
        )
    if not facts["signed"]:
        say(
            "warning: the bundle is not signed: anyone who changes a file can rewrite its manifest to match; only "
            "the audit head compared with one kept elsewhere, or a signed bundle (case report --sign-key), shows "
            "that it is the desk's"
        )
    elif key is None:
        say("the bundle is signed; give --public-key DESK.pub to check the signature")
    return 1 if problems else 0


def _calibrate(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    """Score the folders (scores only: no forensics, no stability) and write the profile."""
    try:
        if not 0 <= args.target_fpr < 1:
            raise ValueError("--target-fpr must be at least 0 and below 1")
        settings = load_settings(args.config, overrides={"model": args.model}).replace(
            forensics=False, stability="never", calibration=""
        )
        ctx = make_context(settings)
        if ctx.detector is None:
            raise ValueError(f"calibration needs a classifier: {ctx.classifier_error}")
        real = list(scan(list_sources(args.real, settings.max_file_bytes), ctx))
        ai = list(scan(list_sources(args.ai, settings.max_file_bytes), ctx)) if args.ai else []
    except (ValueError, OSError) as exc:
        parser.print_usage(sys.stderr)
        print(f"{parser.prog} calibrate: error: {exc}", file=sys.stderr)
        return USAGE_ERROR
    try:
        from core.calibration import build_profile, sign_profile

        profile = sign_profile(build_profile(real, ai, args.target_fpr), settings.desk_key(may_create=True))
    except OSError as exc:  # the desk's key is missing (a store was anchored with it) or unusable
        print(f"{parser.prog} calibrate: error: {exc}", file=sys.stderr)
        return USAGE_ERROR
    Path(args.out).write_text(json.dumps(profile, indent=1, ensure_ascii=False), encoding="utf-8")
    for model, part in profile["models"].items():
        strong = part["bands"]["strong"]
        say(
            f"{model} @ {part['revision']}: {len(part['real_scores'])} verified photos, {strong['real_at_or_above']} at "
            f"or above {strong['threshold']}; threshold for a {part['target_false_positive_rate']:.1%} false-positive "
            f"rate: {part['threshold_for_target']}",
            file=sys.stderr,
        )
    skipped = profile["files"]["not_scored"]
    say(
        f"profile written: {args.out} ({profile['sha256'][:12]}); {len(skipped)} file(s) not scored",
        file=sys.stderr,
    )
    return 0


def _start_ray(args: argparse.Namespace, settings) -> tuple:
    """List the sources, join (or start) the cluster; the results arrive as the scan runs."""
    sources = list_sources(args.paths, settings.max_file_bytes)
    ray_engine.join(args.address)
    return ray_engine.scan_on_ray(sources, settings), len(sources)
