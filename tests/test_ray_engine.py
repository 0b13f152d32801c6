"""The Ray engine on a real cluster: a head and a worker started with ``ray start`` on loopback.

The same mixed folder is scanned by both engines through the CLI, as a user runs them,
and the rows must be identical, order aside (the Ray engine keeps the order anyway).
"""

from __future__ import annotations

import io
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from PIL.PngImagePlugin import PngInfo

from tests.conftest import ROOT
from tests.images import camera_exif, encode, photo, png_header_only
from tests.rows import assert_same

pytestmark = pytest.mark.slow  # starts a two-node Ray cluster

RAY = shutil.which("ray") or str(Path(sys.executable).with_name("ray"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def cluster():
    # A short temp folder: Ray's unix sockets live under it and their paths are length-limited.
    ray_tmp = tempfile.mkdtemp(prefix="ray", dir="/tmp")
    env = {
        **os.environ,
        "RAY_TMPDIR": ray_tmp,
        "RAY_AUTH_MODE": "token",
        # The cluster's own token: a fresh machine has none in ~/.ray, and none is written there.
        "RAY_AUTH_TOKEN": secrets.token_hex(32),
        "RAY_USAGE_STATS_ENABLED": "0",
    }
    port = _free_port()
    common = [
        "--node-ip-address=127.0.0.1",
        "--num-cpus=2",
        "--object-store-memory=150000000",
        "--disable-usage-stats",
    ]
    head = [RAY, "start", "--head", f"--port={port}", "--include-dashboard=false", *common]
    worker = [RAY, "start", f"--address=127.0.0.1:{port}", *common]
    try:
        for command in (head, worker):
            subprocess.run(command, env=env, check=True, capture_output=True, timeout=180)
        for _ in range(30):  # the worker registers with the head within seconds
            status = subprocess.run(
                [RAY, "status", f"--address=127.0.0.1:{port}"],
                env=env,
                capture_output=True,
                text=True,
                timeout=60,
            )
            if status.stdout.count(" node_") == 2:
                break
            time.sleep(1)
        assert status.stdout.count(" node_") == 2, status.stdout + status.stderr
        yield f"127.0.0.1:{port}", env
    finally:
        subprocess.run([RAY, "stop", "--force"], env=env, capture_output=True, timeout=120)
        shutil.rmtree(ray_tmp, ignore_errors=True)


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("ray") / "submissions"
    (root / "nested").mkdir(parents=True)
    (root / "camera.jpg").write_bytes(encode(photo(seed=1), "JPEG", exif=camera_exif()))
    info = PngInfo()
    info.add_text("parameters", "a harbour at dusk\nSteps: 30, Sampler: DPM++ 2M, Seed: 42, Model: sdxl_base")
    (root / "nested" / "render.png").write_bytes(encode(photo(seed=2), "PNG", pnginfo=info))
    (root / "nested" / "disguised.jpg").write_bytes(encode(photo(seed=3), "PNG"))
    (root / "clip.webp").write_bytes(encode(photo(seed=4), "WEBP"))
    (root / "notes.txt").write_text("not an image")
    (root / "empty.png").write_bytes(b"")
    (root / "bomb.png").write_bytes(png_header_only(30_000, 30_000))
    good = encode(photo((600, 400), seed=5), "JPEG")
    (root / "truncated.jpg").write_bytes(good[: len(good) // 2])
    for i in range(6):  # enough files for several blocks, spread over both nodes
        (root / "nested" / f"photo{i}.jpg").write_bytes(encode(photo((320, 240), seed=10 + i), "JPEG"))
    archive = io.BytesIO()  # members are listed on the driver and inflated by the workers
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("inside/one.jpg", encode(photo((320, 240), seed=30), "JPEG"))
        zf.writestr("two.png", encode(photo((320, 240), seed=31), "PNG"))
    (root / "upload.zip").write_bytes(archive.getvalue())
    return root


def scan(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        [sys.executable, "-m", "core", "scan", *args, "--quiet"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    return proc


def rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_without_an_address_a_local_ray_instance_runs_the_scan(folder, tmp_path):
    """Runs before the cluster fixture starts: no cluster to join, so the CLI starts its own."""
    ray_tmp = tempfile.mkdtemp(prefix="ray", dir="/tmp")
    env = {**os.environ, "RAY_TMPDIR": ray_tmp, "RAY_USAGE_STATS_ENABLED": "0"}
    try:
        scan(str(folder), "--no-classifier", "--engine", "ray", "--out", str(tmp_path / "ray.jsonl"), env=env)
    finally:
        shutil.rmtree(ray_tmp, ignore_errors=True)
    scan(str(folder), "--no-classifier", "--out", str(tmp_path / "local.jsonl"))
    assert_same(rows(tmp_path / "ray.jsonl"), rows(tmp_path / "local.jsonl"))
    assert len(rows(tmp_path / "local.jsonl")) == 16


def test_ray_engine_on_a_real_cluster_gives_the_local_rows(cluster, folder, tiny_model, tmp_path):
    address, env = cluster
    model = ["--model", str(tiny_model)]
    scan(str(folder), *model, "--out", str(tmp_path / "local.jsonl"))
    scan(
        str(folder),
        *model,
        "--engine",
        "ray",
        "--address",
        address,
        "--out",
        str(tmp_path / "ray.jsonl"),
        env=env,
    )
    local, on_ray = rows(tmp_path / "local.jsonl"), rows(tmp_path / "ray.jsonl")
    assert len(local) == 16
    members = [r["path"].split("upload.zip/", 1)[1] for r in local if "upload.zip/" in r["path"]]
    assert members == ["inside/one.jpg", "two.png"]
    key = lambda r: r["path"]  # noqa: E731
    assert_same(sorted(on_ray, key=key), sorted(local, key=key))
    assert [r["path"] for r in on_ray] == [r["path"] for r in local]  # and in the same order
    by_name = {Path(r["path"]).name: r for r in on_ray}
    assert by_name["camera.jpg"]["classifier"]["backend"] == "openvino"
    assert by_name["render.png"]["provenance"]["generator"]["seed"] == "42"
    assert {n: r["error"]["code"] for n, r in by_name.items() if r["status"] == "error"} == {
        "notes.txt": "not_an_image",
        "empty.png": "empty_file",
        "bomb.png": "decompression_bomb",
        "truncated.jpg": "decode_failed",
    }


def test_ray_engine_reads_uris_and_globs_and_writes_parquet(cluster, folder, tmp_path):
    """A pyarrow URI with a glob (the way object storage is read), results as Parquet."""
    address, env = cluster
    out = tmp_path / "rows.parquet"
    uri = f"file://{folder}/nested/*.jpg"
    scan(
        uri,
        "--no-classifier",
        "--engine",
        "ray",
        "--address",
        address,
        "--format",
        "parquet",
        "--out",
        str(out),
        env=env,
    )
    table = pq.read_table(out).to_pylist()
    names = [Path(r["file.name"]).name for r in table]
    assert names == ["disguised.jpg", *(f"photo{i}.jpg" for i in range(6))]
    assert all(r["path"].startswith(f"file://{folder}/nested/") for r in table)
    scan(str(folder / "nested"), "--no-classifier", "--out", str(tmp_path / "local.jsonl"))
    local = {Path(r["path"]).name: r for r in rows(tmp_path / "local.jsonl")}
    for row in table:
        record = json.loads(row["result_json"])
        expected = local[row["file.name"]]
        assert_same(record, {**expected, "path": row["path"]})  # only the path is spelled as the URI
        assert row["file.sha256"] == expected["file"]["sha256"]
    assert table[0]["file.format"] == "png" and table[0]["file.extension_matches_format"] == "false"


def index(*args: str, env: dict | None = None) -> list[dict]:
    proc = subprocess.run(
        [sys.executable, "-m", "core", "index", *args],
        cwd=ROOT,
        env={**(env or os.environ), "FORENSICS_SEEN_BEFORE": "auto"},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    # Ray's raylet writes its own warnings to the driver's stdout (a worker restarted when the
    # machine is short of memory: Ray retries the task, the rows are whole): they are not rows.
    return [json.loads(line) for line in proc.stdout.splitlines() if "(raylet)" not in line[:20]]


def test_the_ray_engine_fingerprints_an_archive_for_the_seen_before_index(cluster, folder, tmp_path):
    """``index add --engine ray``: every file fingerprinted on the cluster, the rows (errors
    included) those of the local engine, in the same order; the index then finds a copy. (The
    folder's other pictures are noise over a few shared gradients: look-alikes by design, so the
    copy searched for is of a scene with structure.)"""
    from tests.test_seen_before import scene

    address, env = cluster
    extra = tmp_path / "reference"
    extra.mkdir()
    scene(5).save(extra / "scene.jpg", quality=90)
    on_ray = index(
        "--store",
        str(tmp_path / "ray"),
        "--json",
        "add",
        str(folder),
        str(extra),
        "--engine",
        "ray",
        "--address",
        address,
        env=env,
    )
    local = index("--store", str(tmp_path / "local"), "--json", "add", str(folder), str(extra))
    assert on_ray == local
    errors = {Path(r["path"]).name: r["error"]["code"] for r in local if "error" in r}
    assert errors == {
        "bomb.png": "decompression_bomb",
        "empty.png": "empty_file",
        "notes.txt": "not_an_image",
        "truncated.jpg": "decode_failed",
    }
    assert [Path(r["path"]).name for r in local if "iscc" in r][:2] == ["camera.jpg", "clip.webp"]
    copy = tmp_path / "copy.jpg"
    scene(5).resize((600, 400)).save(copy, quality=80)
    (found,) = index(
        "--store",
        str(tmp_path / "ray"),
        "--json",
        "search",
        str(copy),
        "--engine",
        "ray",
        "--address",
        address,
        env=env,
    )
    assert [(m["kind"], m["sightings"][0]["path"]) for m in found["matches"]] == [
        ("resized", str(extra / "scene.jpg"))
    ]
