"""Run one file's parsing in a worker process with a time limit and a memory limit.

Decoders and parsers are native code fed with untrusted bytes. A file that makes one of
them loop, exhaust memory or crash must cost one error row, never the scan or the
dashboard server. Each job runs in a long-lived worker process (reused, so the cost is
one pipe round trip per file, not a process start); the worker's address space is
capped with ``setrlimit`` for the job, and a job that overruns its time is stopped by
killing its worker, which is then replaced.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from core.errors import AnalysisError

try:
    import resource
except ImportError:  # Windows: no rlimits; the time limit still applies
    resource = None  # type: ignore[assignment]


@dataclass
class Outcome:
    """What a job ended with: ``ok`` (value set), ``time_limit``, ``memory_limit``, ``crashed``
    (the process died) or ``failed`` (the function raised)."""

    status: str
    value: Any = None  # the return value; for ``failed``, the AnalysisError the job raised, if it was one
    message: str = ""

    def reraise(self) -> None:
        """Raise the AnalysisError the job raised (a file refused for a stated reason), if it did."""
        if self.status == "failed" and isinstance(self.value, AnalysisError):
            raise self.value


# Characters of a job's library messages kept (libtiff can print thousands of lines for one file).
MAX_MESSAGE_CHARS = 2000


@contextlib.contextmanager
def library_messages() -> Iterator[list[str]]:
    """Collect what the libraries say while one file is parsed in a worker: Python warnings
    (Pillow's "Palette images with Transparency...", TIFF tag warnings) and what native
    decoders print on standard error (libtiff's "TIFFFillStrip: Read error..."). They belong
    to that file's row as notices, not to the terminal or the server's log. Workers only:
    standard error is redirected for the whole process while the block runs."""
    collected: list[str] = []
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as sink, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        os.dup2(sink.fileno(), 2)
        try:
            yield collected
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            sink.seek(0)
            native = sink.read(MAX_MESSAGE_CHARS + 1).decode("utf-8", "replace")
            seen = dict.fromkeys(f"{w.category.__name__}: {w.message}" for w in caught)
            seen.update(dict.fromkeys(line.strip() for line in native.splitlines() if line.strip()))
            text = "; ".join(seen)
            if text:
                collected.append(text[:MAX_MESSAGE_CHARS] + ("…" if len(text) > MAX_MESSAGE_CHARS else ""))


def _address_space_in_use() -> int:
    """This process's current virtual size in bytes (Linux), 0 where unknown."""
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        return 0


def _worker_main(jobs: Connection, replies: Connection, preload: str) -> None:
    if preload:  # imported as soon as the process starts, before it is given any work
        importlib.import_module(preload)
    try:
        warm_up = jobs.recv()  # the first message is the warm-up function, or None
    except EOFError:
        return  # a spare that was never used
    # Before the first job, so that no job's clock pays for imports.
    if warm_up is not None:
        warm_up()
    replies.send("ready")
    while True:
        try:
            job = jobs.recv()
        except EOFError:
            return
        if job is None:
            return
        fn, args, memory_bytes = job
        if resource is not None and memory_bytes:
            # On top of what the worker holds now, its libraries imported (receiving the
            # first job imports them): the limit means "memory this job may use".
            _, hard = resource.getrlimit(resource.RLIMIT_AS)
            soft = _address_space_in_use() + memory_bytes
            resource.setrlimit(
                resource.RLIMIT_AS, (soft if hard == resource.RLIM_INFINITY else min(soft, hard), hard)
            )
        try:
            reply = ("ok", fn(*args), "")
        except MemoryError:
            reply = ("memory_limit", None, "ran out of its memory limit")
        except AnalysisError as exc:  # the file's own typed refusal comes back as it is (``reraise``)
            reply = ("failed", exc, exc.message)
        except Exception as exc:
            reply = ("failed", None, f"raised {type(exc).__name__}: {str(exc)[:300]}")
        finally:
            if resource is not None and memory_bytes:
                resource.setrlimit(resource.RLIMIT_AS, (hard, hard))
        try:
            replies.send(reply)
        except MemoryError:
            replies.send(("memory_limit", None, "ran out of its memory limit"))


class _Worker:
    """A Python process that runs jobs from a pipe. Started as a plain subprocess rather than
    through multiprocessing, so that no caller's main module is re-imported in it (the
    dashboard's, the CLI's, a Ray worker's), or forked (``fork=True``) from a process that
    has imported what the jobs need and runs no other thread yet: the worker then imports
    nothing (0.2-0.3 s of CPU each that a scan of a few hundred files notices)."""

    def __init__(self, preload: str, fork: bool = False) -> None:
        """Start the process (it imports ``preload`` at once); ``warm`` makes it ready for jobs."""
        jobs_r, jobs_w = os.pipe()
        replies_r, replies_w = os.pipe()
        if fork:
            self.process: subprocess.Popen | _Forked = _Forked.start(jobs_r, replies_w, (jobs_w, replies_r))
        else:
            package_root = str(Path(__file__).resolve().parent.parent)
            env = {
                **os.environ,
                "PYTHONPATH": os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")])),
            }
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "core.isolation",
                    str(jobs_r),
                    str(replies_w),
                    preload,
                    str(os.getpid()),
                ],
                pass_fds=(jobs_r, replies_w),
                stdin=subprocess.DEVNULL,
                env=env,
            )
        os.close(jobs_r)
        os.close(replies_w)
        self.jobs = Connection(jobs_w, readable=False)
        self.replies = Connection(replies_r, writable=False)

    def warm(self, warm_up: Callable[[], None] | None) -> None:
        """Run the warm-up and wait until the worker is ready (raises RuntimeError if it is not)."""
        try:
            self.jobs.send(warm_up)
            ready = self.replies.poll(STARTUP_TIMEOUT_S) and self.replies.recv() == "ready"
        except (EOFError, OSError):
            ready = False
        if not ready:
            self.stop()
            raise RuntimeError("a worker process for file analysis did not start (see the error above)")

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> int | None:
        self.process.kill()
        code = self.process.wait(timeout=30)
        self.jobs.close()
        self.replies.close()
        return code


# A worker must be ready (its modules imported) within this time.
STARTUP_TIMEOUT_S = 120

# Idle workers kept for reuse (each holds the parsers' libraries, ~150 MB).
MAX_IDLE = 2 * (os.cpu_count() or 1)

# Idle workers by the warm-up they ran: a job gets a worker that imported what it needs,
# so that no job's time or memory limit pays for imports.
_idle: dict[Callable[[], None] | None, list[_Worker]] = {}
# Workers started ahead of need (``start_spares``), not warmed up yet.
_spares: list[_Worker] = []
_lock = threading.Lock()


def start_spares(preload: str, count: int) -> None:
    """Start ``count`` worker processes now that have ``preload`` imported, without waiting for
    them to be warmed up. The CLI calls this first thing (a worker's imports took 0.35 s of
    every scan's start before its first file): one worker is started as a new process, which
    imports ``preload`` while this process imports it too; the others are then forked from
    this process, so that they import nothing. Where this process already runs other threads
    (forking it would copy locks that they hold) or cannot fork, all are new processes."""
    for started in range(count):
        if started == 1 and preload:
            importlib.import_module(preload)
        worker = _Worker(preload, fork=started > 0 and _can_fork())
        with _lock:
            _spares.append(worker)


def _can_fork() -> bool:
    """Whether this process may fork a worker: it runs one thread, native ones included
    (OpenBLAS and OpenMP start theirs when imported, and ``threading`` does not see them)."""
    try:
        return hasattr(os, "fork") and len(os.listdir("/proc/self/task")) == 1
    except OSError:  # no /proc: threads cannot be counted, so do not fork
        return False


class _Forked:
    """The part of ``subprocess.Popen``'s interface that ``_Worker`` uses, for a forked worker."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None

    @classmethod
    def start(cls, jobs_r: int, replies_w: int, parent_ends: tuple[int, int]) -> _Forked:
        """Fork a worker that reads jobs from ``jobs_r`` and replies on ``replies_w``."""
        parent = os.getpid()
        sys.stdout.flush()  # the child must not write this process's buffered output again
        sys.stderr.flush()
        pid = os.fork()
        if pid:
            return cls(pid)
        code = 1
        try:  # the worker: it never returns into the caller's code
            # Other workers' pipe ends would keep their pipes open after this process closes them.
            for fd in (
                *parent_ends,
                *(end for w in _spares for end in (w.jobs.fileno(), w.replies.fileno())),
            ):
                with contextlib.suppress(OSError):
                    os.close(fd)
            devnull = os.open(os.devnull, os.O_RDONLY)
            os.dup2(devnull, 0)
            os.close(devnull)
            _die_with_parent(parent)
            _worker_main(Connection(jobs_r, writable=False), Connection(replies_w, readable=False), "")
            code = 0
        finally:
            os._exit(code)

    def poll(self) -> int | None:
        if self.returncode is None:
            with contextlib.suppress(ChildProcessError):
                pid, status = os.waitpid(self.pid, os.WNOHANG)
                if pid:
                    self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def kill(self) -> None:
        if self.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)

    def wait(self, timeout: float | None = None) -> int | None:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(f"worker {self.pid}", timeout)
            time.sleep(0.005)
        return self.returncode


def run_limited(
    fn: Callable[..., Any],
    args: tuple,
    timeout_s: float,
    memory_mb: int,
    warm_up: Callable[[], None] | None = None,
) -> Outcome:
    """``fn(*args)`` in a worker process; ``fn`` and its arguments must pickle (module-level).

    Workers are reused. A new one first runs ``warm_up`` (a module-level function, e.g. one
    small job that imports everything ``fn`` imports lazily), outside any limit.
    """
    with _lock:
        worker = _idle[warm_up].pop() if _idle.get(warm_up) else None
        spare = _spares.pop() if worker is None and _spares else None
    if worker is None or not worker.alive():
        try:
            worker = (
                spare
                if spare is not None and spare.alive()
                else _Worker(warm_up.__module__ if warm_up else "")
            )
            worker.warm(warm_up)
        except (RuntimeError, OSError) as exc:
            return Outcome("failed", message=str(exc))
    try:
        worker.jobs.send((fn, args, memory_mb * 1024 * 1024))
        if not worker.replies.poll(timeout_s):
            worker.stop()
            return Outcome("time_limit", message=f"took longer than its time limit of {timeout_s:g} s")
        # Plain tuples cross the pipe: this module is __main__ in the worker.
        outcome = Outcome(*worker.replies.recv())
    except (EOFError, OSError):
        code = worker.stop()
        how = f"signal {-code}" if code is not None and code < 0 else f"exit code {code}"
        return Outcome("crashed", message=f"crashed the worker process analysing it ({how})")
    with _lock:
        keep = sum(map(len, _idle.values())) < MAX_IDLE
        if keep:
            _idle.setdefault(warm_up, []).append(worker)
    if not keep:
        worker.stop()
    return outcome


def _die_with_parent(parent: int) -> None:
    """A worker must not outlive the scan that started it (a ``kill -9`` of the scan would
    leave it parsing on): a watchdog thread ends it once its parent is gone. (Linux's
    PR_SET_PDEATHSIG would fire when the *thread* that started the worker ends, and workers
    are started from the scan's short-lived reader threads.)"""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, daemon=True, name="parent-watch").start()


if __name__ == "__main__":
    _die_with_parent(int(sys.argv[4]))
    _worker_main(
        Connection(int(sys.argv[1]), writable=False),
        Connection(int(sys.argv[2]), readable=False),
        sys.argv[3],
    )
