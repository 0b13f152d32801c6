"""One way in: the CLI, the dashboard's batch page and the case store list the same files by
the same rules (ZIP archives included) and give the same rows for them. (The Ray engine is
compared with the CLI in test_ray_engine.py.)"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from PIL.PngImagePlugin import PngInfo
from streamlit.testing.v1 import AppTest

from core.cases import CaseStore
from core.settings import Settings
from core.sources import list_sources
from tests.conftest import ROOT
from tests.images import camera_exif, encode, photo
from tests.rows import assert_same

pytestmark = pytest.mark.slow  # three full runs, one of them through the dashboard

# Three separate runs: OpenVINO's parallel sums can differ in the sixth decimal between them.
SCORE_TOLERANCE = 1e-4


def submissions() -> dict[str, bytes]:
    info = PngInfo()
    info.add_text("parameters", "a lighthouse at dusk\nSteps: 20, Sampler: Euler a, Seed: 42, Model: sdxl")
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("inner/one.png", encode(photo(seed=2), "PNG"))
        zf.writestr("../escape.jpg", encode(photo(seed=3), "JPEG", exif=camera_exif()))
        zf.writestr("nested.zip", b"PK\x03\x04 not opened")
    return {
        "cam.jpg": encode(photo(seed=1), "JPEG", exif=camera_exif()),
        "gen.png": encode(photo(seed=4), "PNG", pnginfo=info),
        "broken.png": b"\x89PNG\r\n\x1a\nxx",
        "notes.txt": b"not a picture\n",
        "bundle.zip": archive.getvalue(),
    }


EXPECTED_PATHS = [  # files in sorted order, an archive's members in the archive's order
    "broken.png",
    "bundle.zip/inner/one.png",
    "bundle.zip/escape.jpg (stored as '../escape.jpg')",
    "bundle.zip/nested.zip",
    "cam.jpg",
    "gen.png",
    "notes.txt",
]


def comparable(row: dict, folder: Path | None = None) -> dict:
    row = json.loads(json.dumps(row))
    if folder is not None:
        row["path"] = row["path"].removeprefix(f"{folder}/")
    return row


def test_cli_dashboard_and_case_store_give_the_same_rows(tmp_path, tiny_model, monkeypatch):
    folder = tmp_path / "submissions"
    folder.mkdir()
    for name, data in submissions().items():
        (folder / name).write_bytes(data)
    env = {
        **os.environ,
        "FORENSICS_MODEL": str(tiny_model),
        "FORENSICS_CASE_STORE": str(tmp_path / "store"),
        "FORENSICS_CASE_KEY": str(tmp_path / "key"),
    }

    assert [
        s.path.removeprefix(f"{folder}/") for s in list_sources([folder], Settings().max_file_bytes)
    ] == EXPECTED_PATHS
    cli = subprocess.run(
        [sys.executable, "-m", "core", "scan", str(folder), "--quiet"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert cli.returncode == 0, cli.stderr
    cli_rows = [comparable(json.loads(line), folder) for line in cli.stdout.splitlines()]
    assert [r["path"] for r in cli_rows] == EXPECTED_PATHS
    by_path = {r["path"]: r for r in cli_rows}
    assert by_path["bundle.zip/nested.zip"]["error"]["code"] == "not_an_image"
    assert by_path["gen.png"]["provenance"]["generator"]["seed"] == "42"
    assert (
        by_path["bundle.zip/escape.jpg (stored as '../escape.jpg')"]["metadata"]["camera"]["make"] == "Canon"
    )

    added = subprocess.run(
        [sys.executable, "-m", "core", "case", "new", "Desk"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert added.returncode == 0, added.stderr
    added = subprocess.run(
        [sys.executable, "-m", "core", "case", "add", "Desk", str(folder)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert added.returncode == 0, added.stderr
    store = CaseStore(tmp_path / "store", key_path=tmp_path / "key")
    stored = {comparable(i.result, folder)["path"]: comparable(i.result, folder) for i in store.items("Desk")}

    monkeypatch.setenv("FORENSICS_MODEL", str(tiny_model))
    import streamlit as st

    st.cache_resource.clear()
    at = AppTest.from_file(str(ROOT / "dashboard" / "views" / "batch_review.py"), default_timeout=240).run()
    at.file_uploader(key="batch_uploads").set_value(
        [(name, data, "application/octet-stream") for name, data in submissions().items()]
    )
    at.run()
    assert not at.exception
    dashboard = {
        r.path: comparable(r.to_dict())
        for r in at.session_state["batch_results"].values()
        if hasattr(r, "path")
    }
    st.cache_resource.clear()

    assert sorted(dashboard) == sorted(EXPECTED_PATHS)
    assert sorted(stored) == sorted(EXPECTED_PATHS)  # every row has hashes, so every file is stored
    for path in EXPECTED_PATHS:
        assert_same(dashboard[path], by_path[path], f"dashboard {path}", SCORE_TOLERANCE, scores_in_text=True)
        assert_same(stored[path], by_path[path], f"case store {path}", SCORE_TOLERANCE, scores_in_text=True)
