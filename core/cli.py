"""Command line: ``python -m core scan PATH... [options]``.

Exit codes: 0 when the scan completed (bad files are error rows, not failures);
2 for usage errors (unknown option, a path that does not exist, a bad setting).
"""

from __future__ import annotations

import argparse
import sys
from contextlib import ExitStack

from core import __version__
from core.output import FORMATS, write_results
from core.pipeline import make_context
from core.scan import list_files, scan
from core.settings import load_settings

USAGE_ERROR = 2


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
    p.add_argument("paths", nargs="+", metavar="PATH", help="image files or folders")
    p.add_argument("--model", help="Hub id or local folder of the classifier (setting model)")
    p.add_argument("--revision", help="Hub branch, tag or commit (setting revision)")
    p.add_argument("--device", help="auto, cpu, cuda, cuda:N or mps (setting device)")
    p.add_argument("--batch-size", type=int, help="images per classifier call (setting batch_size)")
    p.add_argument(
        "--no-classifier", action="store_true", help="skip the classifier; metadata and file facts only"
    )
    p.add_argument(
        "--no-stability", action="store_true", help="skip re-scoring re-compressed and resized copies"
    )
    p.add_argument("--no-forensics", action="store_true", help="skip pixel and file forensics")
    p.add_argument("--max-pixels", type=int, help="refuse images declaring more pixels (setting max_pixels)")
    p.add_argument("--trust-anchors", help="PEM file of C2PA trust anchors (setting trust_anchors)")
    p.add_argument("--config", help="TOML file with settings (see the README)")
    p.add_argument("--format", choices=FORMATS, default="jsonl", help="output format (default jsonl)")
    p.add_argument("--out", help="write results to this file instead of standard output")
    p.add_argument("--quiet", action="store_true", help="no progress bar or summary on standard error")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return _scan(parser, args)
    except BrokenPipeError:
        # The reader went away (e.g. `| head`): stop quietly, as Unix tools do.
        import os

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
                "stability": False if args.no_stability else None,
                "forensics": False if args.no_forensics else None,
            },
        )
        files = list_files(args.paths)
        ctx = make_context(settings)
    except (ValueError, OSError) as exc:
        parser.print_usage(sys.stderr)
        print(f"{parser.prog} scan: error: {exc}", file=sys.stderr)
        return USAGE_ERROR

    if ctx.classifier_error and settings.classifier and not args.quiet:
        print(f"warning: {ctx.classifier_error}", file=sys.stderr)

    from tqdm import tqdm

    # tqdm hides itself when stderr is not a terminal (disable=None), so logs stay clean.
    progress = tqdm(total=len(files), unit="file", file=sys.stderr, disable=True if args.quiet else None)
    errors = 0
    with progress, ExitStack() as stack:
        if args.out:
            out = stack.enter_context(open(args.out, "w", encoding="utf-8", newline=""))
        else:
            out = sys.stdout
            if hasattr(out, "reconfigure"):
                out.reconfigure(encoding="utf-8")

        def counted():
            nonlocal errors
            for result in scan(files, ctx, on_progress=progress.update):
                errors += result.status == "error"
                yield result

        rows = write_results(counted(), args.format, out)
    if not args.quiet:
        print(f"{rows} file(s) scanned, {errors} with errors", file=sys.stderr)
    return 0
