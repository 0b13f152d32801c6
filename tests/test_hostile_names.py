"""Hostile names and special files: a non-UTF-8 name, a FIFO, symbolic links, control
characters meant for the terminal. Each gives one clear row; none stops the batch."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT
from tests.images import encode, photo

BAD_NAME = os.fsdecode(b"b_\xff\xfe.jpg")  # bytes that are not UTF-8, as POSIX allows
ANSI_NAME = "x\x1b[2K\r\x1b[32mALL ORIGINALS VERIFY\x1b[8m.jpg"
BIDI_NAME = "invoice\u202egnp.exe.jpg"


@pytest.fixture
def hostile_folder(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    jpeg = encode(photo((64, 48)), "JPEG")
    for name in ("a.jpg", BAD_NAME, "c.jpg", ANSI_NAME, BIDI_NAME):
        (folder / name).write_bytes(jpeg)
    os.mkfifo(folder / "p.jpg")
    secret = tmp_path / "id_rsa"
    secret.write_text("-----BEGIN OPENSSH PRIVATE KEY-----\n")
    (folder / "photo_from_reader.jpg").symlink_to(secret)
    (folder / "linked_folder").symlink_to(tmp_path)
    return folder


def run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "core", *args],
        cwd=ROOT,
        capture_output=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "json"])
def test_names_fifo_and_links_each_give_one_row_and_the_scan_completes(hostile_folder, tmp_path, fmt):
    out = tmp_path / f"rows.{fmt}"
    proc = run("scan", str(hostile_folder), "--no-classifier", "--format", fmt, "--out", str(out), "--quiet")
    assert proc.returncode == 0, proc.stderr
    text = out.read_text(encoding="utf-8")
    assert "\x1b" not in text and "\u202e" not in text
    if fmt == "csv":
        assert "b_\\xff\\xfe.jpg" in text
        return
    found = json.loads(text) if fmt == "json" else [json.loads(line) for line in text.splitlines()]
    rows = {os.path.basename(r["path"]): r for r in found}
    assert {name: (r["status"], (r["error"] or {}).get("code")) for name, r in rows.items()} == {
        "a.jpg": ("ok", None),
        "b_\\xff\\xfe.jpg": ("ok", None),
        "c.jpg": ("ok", None),
        "x\\x1b[2K\\x0d\\x1b[32mALL ORIGINALS VERIFY\\x1b[8m.jpg": ("ok", None),
        "invoice\\u202egnp.exe.jpg": ("ok", None),
        "p.jpg": ("error", "not_a_regular_file"),
        "photo_from_reader.jpg": ("error", "not_a_regular_file"),
        "linked_folder": ("error", "not_a_regular_file"),
    }
    assert rows["p.jpg"]["error"]["message"] == "not read: a named pipe (FIFO)"
    assert (
        rows["photo_from_reader.jpg"]["error"]["message"]
        == "not read: a symbolic link (links are not followed)"
    )
    assert rows["photo_from_reader.jpg"]["file"]["sha256"] is None  # the key was never read


def test_a_link_named_on_the_command_line_is_reported_not_read(hostile_folder):
    proc = run("scan", str(hostile_folder / "photo_from_reader.jpg"), "--no-classifier", "--quiet")
    row = json.loads(proc.stdout)
    assert (row["status"], row["error"]["code"]) == ("error", "not_a_regular_file")


def test_case_add_keeps_going_and_case_show_escapes_names(hostile_folder, tmp_path):
    env = {"FORENSICS_CASE_STORE": str(tmp_path / "store"), "FORENSICS_ANALYST": "ana"}
    assert run("case", "new", "Hostile", env=env).returncode == 0
    added = run("case", "add", "Hostile", str(hostile_folder), "--no-classifier", env=env)
    assert added.returncode == 0, added.stderr
    # Five files share one content: the first is added, the other four are duplicates.
    assert b"case Hostile: 1 added, 4 already in the case, 3 not added" in added.stdout
    assert b"not read: a named pipe (FIFO)" in added.stderr and b"BEGIN OPENSSH" not in added.stdout
    shown = run("case", "show", "Hostile", env=env)
    assert b"\x1b" not in shown.stdout + shown.stderr
    assert "\u202e".encode() not in shown.stdout


def test_a_folder_that_cannot_be_listed_gets_a_row(tmp_path, monkeypatch):
    """As root every folder is readable, so the refusal is simulated where os.walk lists it."""
    from core.context import make_context
    from core.pipeline import analyze
    from core.settings import Settings
    from core.sources import Source, list_files

    (tmp_path / "ok.jpg").write_bytes(encode(photo((32, 24)), "JPEG"))
    locked = tmp_path / "locked"
    locked.mkdir()
    real_scandir = os.scandir

    def scandir(path="."):
        if os.fspath(path) == os.fspath(locked):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    monkeypatch.setattr(
        os, "listdir", lambda path=".": (_ for _ in ()).throw(PermissionError(13, "Permission denied"))
    )
    files = list_files([tmp_path])
    assert [f.name for f in files] == ["ok.jpg", "locked"]
    from core.errors import NotARegularFile
    from core.intake import read_bytes

    with pytest.raises(
        NotARegularFile, match="^not read: a folder that could not be listed: Permission denied$"
    ):
        read_bytes(files[1], 10**6)  # in this process, where listing is refused
    row = analyze(
        Source.from_path(files[1]), make_context(Settings(classifier=False))
    )  # a worker: listing works
    assert (row.status, row.error.code) == ("error", "not_a_regular_file")
