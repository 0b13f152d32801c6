"""Per-file time and memory limits: one runaway or crashing file costs one row, not the scan."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from PIL import Image

from core.isolation import run_limited
from tests.conftest import ROOT
from tests.images import camera_exif, encode, photo, png_header_only


def scan(folder, **env) -> dict[str, dict]:
    proc = subprocess.run(
        [sys.executable, "-m", "core", "scan", str(folder), "--no-classifier", "--quiet"],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    return {os.path.basename(r["path"]): r for r in map(json.loads, proc.stdout.splitlines())}


def test_a_file_that_needs_too_much_memory_is_one_row_and_the_scan_goes_on(tmp_path):
    # 12000 x 12000 declared in a few bytes: under the pixel limit, but decoding it needs
    # 432 MB for the pixels alone.
    (tmp_path / "huge.png").write_bytes(png_header_only(12_000, 12_000))
    (tmp_path / "camera.jpg").write_bytes(encode(photo(seed=1), "JPEG", exif=camera_exif()))
    (tmp_path / "notes.txt").write_text("hello")
    rows = scan(tmp_path, FORENSICS_FILE_MEMORY_MB="300")
    huge = rows["huge.png"]
    assert huge["error"] == {
        "code": "memory_limit",
        "message": "analysis of this file stopped: it needed more than 300 MiB (setting file_memory_mb)",
    }
    assert huge["file"]["sha256"] and huge["file"]["format"] == "png"  # the row still identifies the file
    assert (
        rows["camera.jpg"]["status"] == "ok" and rows["camera.jpg"]["metadata"]["camera"]["make"] == "Canon"
    )
    assert rows["notes.txt"]["error"]["code"] == "not_an_image"
    # With the default limit the same file is what it is: a PNG whose data is cut short.
    assert scan(tmp_path)["huge.png"]["error"]["code"] == "decode_failed"


def test_a_file_that_takes_too_long_is_stopped_and_the_scan_goes_on(tmp_path):
    # 75 MP of noise: well over a second of decoding and forensics on any machine.
    buffer = io.BytesIO()
    Image.effect_noise((10_000, 7_500), 64).convert("RGB").save(buffer, "JPEG", quality=90)
    (tmp_path / "big.jpg").write_bytes(buffer.getvalue())
    (tmp_path / "notes.txt").write_text("hello")
    (tmp_path / "empty.png").write_bytes(b"")
    start = time.monotonic()
    rows = scan(tmp_path, FORENSICS_FILE_TIMEOUT_S="0.25")
    assert rows["big.jpg"]["error"] == {
        "code": "time_limit",
        "message": "analysis of this file stopped after 0.25 s (setting file_timeout_s)",
    }
    assert rows["big.jpg"]["file"]["size_bytes"] == len(buffer.getvalue())
    assert (rows["notes.txt"]["error"]["code"], rows["empty.png"]["error"]["code"]) == (
        "not_an_image",
        "empty_file",
    )
    assert time.monotonic() - start < 60


def test_a_crashing_or_hanging_job_costs_its_worker_only():
    """What a native decoder crash (abort) or an endless loop does to the worker."""
    crashed = run_limited(os.abort, (), 30, 512)
    assert (crashed.status, crashed.message) == (
        "crashed",
        "crashed the worker process analysing it (signal 6)",
    )
    hung = run_limited(time.sleep, (60,), 0.5, 512)
    assert (hung.status, hung.message) == ("time_limit", "took longer than its time limit of 0.5 s")
    greedy = run_limited(bytearray, (2 * 1024**3,), 30, 256)
    assert greedy.status == "memory_limit"
    # Fresh workers take over: the next jobs run normally.
    assert run_limited(sum, ([1, 2, 3],), 30, 512).value == 6
    assert run_limited(max, ([4, 5],), 30, 512).value == 5


def test_workers_started_ahead_take_the_first_jobs_and_a_dead_one_is_replaced():
    """``python -m core scan`` starts its workers before importing the CLI (isolation.start_spares)."""
    from core import isolation

    isolation.start_spares("os", 2)
    ready, dead = isolation._spares[-2:]
    dead.process.kill()
    dead.process.wait()
    # The dead spare is taken first (last in), found dead, and a fresh worker runs the job.
    fresh = run_limited(os.getpid, (), 30, 512, warm_up=os.getpid)
    assert fresh.status == "ok" and fresh.value not in (ready.process.pid, dead.process.pid)
    # Another warm-up has no idle worker of its own: the live spare is warmed up for it.
    assert run_limited(os.getpid, (), 30, 512, warm_up=os.getcwd).value == ready.process.pid
    assert ready not in isolation._spares and dead not in isolation._spares


FORKED_SPARES = """
import json, os, sys, threading, time
from core import isolation
if sys.argv[1] == "thread":  # another thread runs: forking would copy the locks it holds
    threading.Thread(target=time.sleep, args=(30,), daemon=True).start()
isolation.start_spares("json", 3)
new, *forked = isolation._spares


def pipes(pid):
    return {os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")}


first_jobs_pipe = f"pipe:[{os.fstat(new.jobs.fileno()).st_ino}]"
out = {"kinds": [type(w.process).__name__ for w in isolation._spares]}
hung = isolation.run_limited(time.sleep, (60,), 0.5, 512)  # the last spare
out["hung"] = [hung.status, forked[1].process.poll()]
greedy = isolation.run_limited(bytearray, (2 * 1024**3,), 30, 256)
out["greedy"] = greedy.status
out["same_worker_after"] = isolation.run_limited(os.getpid, (), 30, 512).value == forked[0].process.pid
# It has run jobs, so it is past its start, where it closes what it inherited.
out["holds_the_first_workers_pipe"] = first_jobs_pipe in pipes(forked[0].process.pid)
out["crash"] = isolation.run_limited(os.abort, (), 30, 512).message
out["then_the_new_process"] = isolation.run_limited(os.getpid, (), 30, 512).value == new.process.pid
print(json.dumps(out))
"""


def test_spares_are_forked_from_a_single_threaded_scan_and_keep_every_limit():
    """``python -m core scan`` starts one worker as a new process and forks the others from
    itself once it has imported what they need (they import nothing: 0.2-0.3 s of CPU each).
    A forked worker holds no other worker's pipe, and the time, memory and crash handling are
    the same as for a new process."""
    run = subprocess.run(
        [sys.executable, "-c", FORKED_SPARES, "single"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout) == {
        "kinds": ["Popen", "_Forked", "_Forked"],
        "hung": ["time_limit", -9],
        "greedy": "memory_limit",
        "same_worker_after": True,
        "holds_the_first_workers_pipe": False,
        "crash": "crashed the worker process analysing it (signal 6)",
        "then_the_new_process": True,
    }


def test_no_spare_is_forked_from_a_process_that_runs_other_threads():
    run = subprocess.run(
        [sys.executable, "-c", FORKED_SPARES, "thread"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)
    assert out["kinds"] == ["Popen", "Popen", "Popen"]
    assert (out["hung"], out["greedy"], out["same_worker_after"]) == (
        ["time_limit", -9],
        "memory_limit",
        True,
    )


def _child_worker(proc: Path, parent: int) -> bool:
    try:
        ppid = int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
        return ppid == parent and b"core.isolation" in (proc / "cmdline").read_bytes()
    except (OSError, ValueError, IndexError):
        return False


def test_workers_die_with_a_killed_scan(tmp_path):
    """Regression: after ``kill -9`` of a scan, its file worker went on parsing with parent 1."""
    import signal

    script = (
        "import time\n"
        "from core.isolation import run_limited\n"
        "print('started', flush=True)\n"
        "run_limited(time.sleep, (600,), 900, 0)\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert parent.stdout.readline().strip() == "started"
    deadline = time.monotonic() + 60
    workers: list[int] = []
    while not workers and time.monotonic() < deadline:  # the worker, once it runs the job
        workers = [
            int(d.name) for d in Path("/proc").iterdir() if d.name.isdigit() and _child_worker(d, parent.pid)
        ]
        time.sleep(0.2)
    assert workers, "no worker process started"
    os.kill(parent.pid, signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(os.path.exists(f"/proc/{w}") for w in workers):
        time.sleep(0.1)

    def running(pid: int) -> bool:  # a zombie (state Z) has ended already
        try:
            return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
        except OSError:
            return False

    assert not any(running(w) for w in workers)
