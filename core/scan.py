"""Scan files and folders: list them, analyse them batch by batch, stream the results.

Only a few batches of files are in memory at a time (see LOOKAHEAD), so a scan of
100,000 files uses the same memory as a scan of 100. Every regular file found yields exactly one result
row, images or not, in a stable (sorted) order.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from core.pipeline import Context, Source, complete, prepare_safely
from core.schema import ScanResult

# Batches being prepared ahead of the one being classified.
LOOKAHEAD = 2


def list_files(paths: Iterable[str | os.PathLike]) -> list[Path]:
    """Every entry under ``paths`` that gets a row: files (folders walked recursively, in
    sorted order), plus symbolic links, special files and folders that could not be listed,
    whose rows say why they were not read (links are never followed).

    Raises FileNotFoundError for a path that does not exist: that is a usage error.
    """
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir() and not path.is_symlink():
            unlisted: list[Path] = []

            def note(exc: OSError, unlisted: list[Path] = unlisted) -> None:
                unlisted.append(Path(exc.filename))

            for root, dirs, files in os.walk(path, onerror=note):
                dirs.sort()
                # A linked folder is listed (its row says it was not followed), never entered.
                links = [name for name in dirs if (Path(root) / name).is_symlink()]
                found.extend(Path(root) / name for name in sorted([*files, *links]))
            found.extend(unlisted)  # each gives an error row
        elif path.exists() or path.is_symlink():
            found.append(path)
        else:
            raise FileNotFoundError(f"no such file or folder: {raw}")
    return found


def scan(
    files: Iterable[Path],
    ctx: Context,
    workers: int | None = None,
) -> Iterator[ScanResult]:
    """Analyse ``files`` in batches of ``settings.batch_size``, yielding results in order.

    Reading, hashing, decoding and metadata of the next batches run in worker processes,
    each under the per-file time and memory limits (``prepare_safely``), fed by threads
    while the current batch is classified; at most ``LOOKAHEAD`` batches wait, so memory
    stays flat.
    """
    size = max(1, ctx.settings.batch_size)
    workers = workers or max(1, min(4, os.cpu_count() or 1))
    pending: deque[list[Future]] = deque()
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="prepare") as pool:
        for batch in _batches(files, size):
            pending.append([pool.submit(prepare_safely, Source.from_path(path), ctx) for path in batch])
            if len(pending) > LOOKAHEAD:
                yield from _finish(pending.popleft(), ctx)
        while pending:
            yield from _finish(pending.popleft(), ctx)


def _batches(files: Iterable[Path], size: int) -> Iterator[list[Path]]:
    batch: list[Path] = []
    for path in files:
        batch.append(path)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _finish(futures: list[Future], ctx: Context) -> Iterator[ScanResult]:
    yield from complete([f.result() for f in futures], ctx)
