"""Per-image work of the batch stage spread over the cores: ``map_in_threads``.

The batch stage (``core.pipeline.complete``) runs in the scan's own process. Where a GPU
scores images, its per-image Pillow and numpy work (resizing and normalising for the
classifier, encoding the stability copies: about 25 ms a row on one core when stability ran)
held that process up: on an H200 with 16 cores the project's classifier path went from 96 to
136 images/s once it ran in threads (bench/README.md, GPU). Pillow and numpy release the GIL
in that work, so the threads of one shared pool spread it.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

Item = TypeVar("Item")
Value = TypeVar("Value")

_pool: ThreadPoolExecutor | None = None
_lock = threading.Lock()


def map_in_threads(fn: Callable[[Item], Value], items: Sequence[Item]) -> list[Value]:
    """``[fn(item) for item in items]``, in order, over one thread per core; the first
    exception of ``fn`` is raised as the loop would raise it. ``fn`` must not call this
    function itself (the pool's threads would wait on each other)."""
    cores = os.cpu_count() or 1
    if len(items) < 2 or cores < 2:
        return [fn(item) for item in items]
    return list(_shared_pool(cores).map(fn, items))


def _shared_pool(cores: int) -> ThreadPoolExecutor:
    global _pool
    with _lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=cores, thread_name_prefix="images")
        return _pool
