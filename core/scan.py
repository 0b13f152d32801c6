"""The driver: analyse many sources batch by batch and stream the results, in order.

The only batching loop for the CLI, ``case add`` and the dashboard (the Ray engine runs
the same two stages on a cluster). Only a few batches of files are in memory at a time
(see LOOKAHEAD), so a scan of 100,000 files uses the same memory as a scan of 100. Every
source yields exactly one result row, images or not.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor

from core.context import Context
from core.pipeline import complete, prepare_safely
from core.schema import ScanResult
from core.sources import Source

# Batches being prepared ahead of the one being classified: at least this many, and enough to
# hold two files per worker, so that many workers stay busy while a batch is classified.
LOOKAHEAD = 2


def scan(
    sources: Iterable[Source],
    ctx: Context,
    on_progress: Callable[[int], None] | None = None,
    workers: int | None = None,
) -> Iterator[ScanResult]:
    """Analyse ``sources`` in batches of ``settings.batch_size`` (the first ones smaller, see
    ``_batches``), yielding results in order;
    ``on_progress(done)`` is called after each batch with the number of results so far.

    Reading, hashing, decoding and the analyzers of the next batches run in worker
    processes, each file under the per-file time and memory limits (``prepare_safely``),
    fed by threads while the current batch is classified; at most ``LOOKAHEAD`` batches
    wait, so memory stays flat.
    """
    size = max(1, ctx.settings.batch_size)
    # One worker thread (and worker process) per core: parsing and decoding are the per-file cost.
    workers = workers or max(1, os.cpu_count() or 1)
    lookahead = max(LOOKAHEAD, -(-2 * workers // size))
    pending: deque[list[Future]] = deque()
    done = 0

    def finish() -> Iterator[ScanResult]:
        nonlocal done
        results = complete([future.result() for future in pending.popleft()], ctx)
        done += len(results)
        yield from results
        if on_progress is not None:
            on_progress(done)

    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="prepare") as pool:
        for batch in _batches(sources, size):
            pending.append([pool.submit(prepare_safely, source, ctx) for source in batch])
            if len(pending) > lookahead:
                yield from finish()
        while pending:
            yield from finish()


def _batches(sources: Iterable[Source], size: int) -> Iterator[list[Source]]:
    """Batches of ``size``, after a ramp of 1, 2, 4, ... files: the classifier waits for a
    whole batch to be prepared, and the first batch has nothing to overlap with, so a first
    batch of eight 12 MP files kept it idle for about a second of every scan."""
    batch: list[Source] = []
    current = 1
    for source in sources:
        batch.append(source)
        if len(batch) >= min(current, size):
            yield batch
            batch = []
            current *= 2
    if batch:
        yield batch
