"""``python -m core``: the command-line interface."""

import atexit
import os
import sys
import threading

from core import isolation

# The commands that analyse files hand each one to a worker process, which imports the
# analysis modules first (0.35 s): started here, the workers import them while this
# process imports the CLI's, instead of after.
if len(sys.argv) > 1 and sys.argv[1] in ("scan", "case", "calibrate"):
    isolation.start_spares("core.pipeline", os.cpu_count() or 1)

from core.cli import main  # noqa: E402 (after the workers are on their way)


def _exit_without_teardown(code: int) -> None:
    """End a finished scan the way Python ends, less the teardown of every module imported:
    with torch and OpenVINO loaded that took 1.3-1.6 s after the last row of every scan
    (0.1 s for a metadata-only one), a wait that a desk scanning ten files notices. The steps
    Python takes first are taken, in its order: threads that are not daemons are joined (a
    library's idle thread pool among them), then the exit handlers run (the seen-before index
    saves its records in one, Ray shuts down in another), then standard output and error are
    flushed; the scan closed its output file itself. If they cannot be flushed, Python exits
    as usual and reports it."""
    join_threads = getattr(threading, "_shutdown", None)  # what Python's own exit calls first
    if join_threads is None:  # a Python that names it otherwise: end as usual
        sys.exit(code)
    join_threads()
    atexit._run_exitfuncs()  # they run once: Python's own exit finds none left
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        sys.exit(code)
    os._exit(code)


code = main()
if len(sys.argv) > 1 and sys.argv[1] == "scan":
    _exit_without_teardown(code)
sys.exit(code)
