"""Scan files and folders: list them, analyse them batch by batch, stream the results.

Only one batch of files is in memory at a time, so a scan of 100,000 files uses the
same memory as a scan of 100. Every regular file found yields exactly one result
row, images or not, in a stable (sorted) order.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from core.pipeline import Context, Source, analyze_batch
from core.schema import ScanResult


def list_files(paths: Iterable[str | os.PathLike]) -> list[Path]:
    """Every regular file under ``paths`` (folders walked recursively, symlinked folders not followed).

    Raises FileNotFoundError for a path that does not exist: that is a usage error.
    """
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for root, dirs, files in os.walk(path):
                dirs.sort()
                found.extend(Path(root) / name for name in sorted(files))
        elif path.exists():
            found.append(path)
        else:
            raise FileNotFoundError(f"no such file or folder: {raw}")
    return found


def scan(
    files: Iterable[Path],
    ctx: Context,
    on_progress: Callable[[int], None] | None = None,
) -> Iterator[ScanResult]:
    """Analyse ``files`` in batches of ``settings.batch_size``, yielding results in order."""
    batch: list[Source] = []
    size = max(1, ctx.settings.batch_size)
    for path in files:
        batch.append(Source.from_path(path))
        if len(batch) >= size:
            yield from _run(batch, ctx, on_progress)
            batch = []
    if batch:
        yield from _run(batch, ctx, on_progress)


def _run(
    batch: list[Source], ctx: Context, on_progress: Callable[[int], None] | None
) -> Iterator[ScanResult]:
    results = analyze_batch(batch, ctx)
    if on_progress:
        on_progress(len(results))
    yield from results
