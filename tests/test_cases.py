"""The case store on real SQLite files: workflow, chain of custody, tampering, kills, concurrency."""

from __future__ import annotations

import dataclasses
import hashlib
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from core.cases import CaseError, CaseStore, default_store_path, verify_case
from core.schema import ScanResult
from tests.conftest import ROOT, analyse_bytes, run_cli
from tests.images import camera_exif, encode, photo


def analysed(name: str, data: bytes) -> ScanResult:
    return analyse_bytes(data, name, forensics=False)


@pytest.fixture
def store(tmp_path) -> CaseStore:
    return CaseStore(tmp_path / "store")


def add(store: CaseStore, case, name: str, data: bytes, who: str = "ana"):
    return store.add_item(case, name, data, analysed(name, data), who)


def test_case_workflow_and_search(store):
    case = store.create_case("Flood photos", "ana")
    cam = encode(photo(seed=1), "JPEG", exif=camera_exif(make="NIKON CORPORATION", model="NIKON Z 8"))
    item, created = add(store, case.id, "IMG_1.jpg", cam)
    assert created and item.status == "to_check" and item.added_by == "ana"
    again, created = add(store, "Flood photos", "copy of IMG_1.jpg", cam, "ben")
    assert (created, again.id) == (False, item.id)  # the same bytes are recognised by their hash
    store.set_item_status(item.id, "flagged", "ben")
    store.tag_item(item.id, "needs-second-look", "ben")
    store.add_note(case.id, "Asked the sender for the original", "ben", item_id=item.id)
    store.rename_case(case.id, "Flood photos, March", "ana")
    assert [i.id for i in store.items(case.id, "nikon z 8")] == [item.id]
    assert [i.id for i in store.items(case.id, item.sha256[:12])] == [item.id]
    assert [i.id for i in store.items(case.id, "second-look")] == [item.id]
    assert store.items(case.id, "canon") == []
    assert store.find_by_hash(item.sha256[:10])[0].tags == ["needs-second-look"]
    actions = [a["action"] for a in store.audit_log(case.id)]
    assert actions == [
        "case_created",
        "item_added",
        "duplicate_skipped",
        "item_status",
        "tag_added",
        "note_added",
        "case_renamed",
    ]
    store.set_case_status(case.id, "closed", "ana")
    with pytest.raises(CaseError, match="closed"):
        add(store, case.id, "new.jpg", encode(photo(seed=2), "JPEG"))
    store.set_case_status(case.id, "open", "ana")
    assert verify_case(store, case.id) == []
    assert store.schema_version() == 2


def test_originals_are_content_addressed_read_only_and_names_never_become_paths(store, tmp_path):
    case = store.create_case("c", "ana")
    data = encode(photo(), "PNG")
    item, _ = add(store, case.id, "../../../etc/evil.png", data)
    path = store.original_path(item.sha256)
    assert path == store.root / "originals" / item.sha256[:2] / item.sha256
    assert path.read_bytes() == data
    assert os.stat(path).st_mode & 0o222 == 0
    assert not (tmp_path / "etc").exists() and not (store.root.parent / "etc").exists()
    assert item.file_name == "../../../etc/evil.png"  # kept as a label only


def test_default_store_is_outside_the_source_tree():
    assert not Path(default_store_path()).resolve().is_relative_to(ROOT)


def test_verify_catches_a_modified_original_and_an_edited_history(store):
    case = store.create_case("c", "ana")
    item, _ = add(store, case.id, "a.jpg", encode(photo(), "JPEG"))
    add(store, case.id, "b.jpg", encode(photo(seed=5), "JPEG"))
    path = store.original_path(item.sha256)
    os.chmod(path, 0o644)
    raw = bytearray(path.read_bytes())
    raw[100] ^= 0x01
    path.write_bytes(bytes(raw))
    os.chmod(path, 0o444)
    with sqlite3.connect(store.db_path) as db:
        db.execute(
            "UPDATE audit SET actor = 'mallory' WHERE action = 'item_added' AND details LIKE '%b.jpg%'"
        )
    problems = verify_case(store, case.id)
    assert any(p.startswith("item 1 (a.jpg): the original was modified") for p in problems)
    assert any("(item_added) was altered" in p for p in problems)


def test_verify_catches_a_deleted_audit_entry(store):
    case = store.create_case("c", "ana")
    add(store, case.id, "a.jpg", encode(photo(), "JPEG"))
    store.add_note(case.id, "first", "ana")
    with sqlite3.connect(store.db_path) as db:
        db.execute("DELETE FROM audit WHERE action = 'item_added'")
    problems = verify_case(store, case.id)
    assert any("(note_added) does not follow the entry before it" in p for p in problems)
    assert any("does not end where it was anchored" in p for p in problems)
    assert "item 1 (a.jpg): not in the audit log (added or moved here outside the tool)" in problems


def test_cli_verify_exit_codes(tmp_path):
    env = {"FORENSICS_CASE_STORE": str(tmp_path / "s"), "FORENSICS_ANALYST": "ana"}
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.jpg").write_bytes(encode(photo(), "JPEG"))

    def run(*args):
        return run_cli("case", *args, env=env)

    assert run("new", "Case A").returncode == 0
    out = run("add", "Case A", str(folder), "--no-classifier")
    assert "1 added, 0 already in the case" in out.stdout
    ok = run("verify", "Case A")
    assert ok.returncode == 0 and "verify" in ok.stdout
    store = CaseStore(tmp_path / "s")
    path = store.original_path(store.items("Case A")[0].sha256)
    os.chmod(path, 0o644)
    path.write_bytes(b"replaced")
    bad = run("verify", "Case A")
    assert bad.returncode == 1
    assert "the original was modified" in bad.stdout
    assert run("show", "No Such Case").returncode == 2


def make_folder(folder: Path, count: int, offset: int = 0) -> None:
    folder.mkdir(parents=True)
    for i in range(count):
        (folder / f"img{i:04}.png").write_bytes(encode(photo((48, 32), seed=offset + i), "PNG"))


def test_a_killed_batch_leaves_the_store_consistent(tmp_path):
    store_dir = tmp_path / "s"
    CaseStore(store_dir).create_case("Breaking", "ana")
    make_folder(tmp_path / "in", 300)
    env = {
        **os.environ,
        "FORENSICS_CASE_STORE": str(store_dir),
        "FORENSICS_ANALYST": "ana",
        "FORENSICS_FORENSICS": "false",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "core", "case", "add", "Breaking", str(tmp_path / "in"), "--no-classifier"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        with sqlite3.connect(store_dir / "cases.sqlite3", timeout=30) as db:
            if db.execute("SELECT COUNT(*) FROM items").fetchone()[0] >= 20:
                break
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    store = CaseStore(store_dir)  # opening sweeps what the killed process left half-done
    items = store.items("Breaking")
    assert 20 <= len(items) < 300
    assert verify_case(store, "Breaking") == []
    on_disk = sorted(p.name for p in (store_dir / "originals").glob("*/*"))
    assert on_disk == sorted(i.sha256 for i in items)  # no orphan, no half-written file
    added = [a for a in store.audit_log("Breaking") if a["action"] == "item_added"]
    assert len(added) == len(items)


def test_two_writers_at_once_lose_nothing(tmp_path):
    store_dir = tmp_path / "s"
    CaseStore(store_dir).create_case("Shared", "ana")
    make_folder(tmp_path / "a", 25, offset=0)
    make_folder(tmp_path / "b", 25, offset=1000)
    procs = []
    for who, folder in (("ana", "a"), ("ben", "b")):
        env = {
            **os.environ,
            "FORENSICS_CASE_STORE": str(store_dir),
            "FORENSICS_ANALYST": who,
            "FORENSICS_FORENSICS": "false",
        }
        procs.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "core",
                    "case",
                    "add",
                    "Shared",
                    str(tmp_path / folder),
                    "--no-classifier",
                ],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
            )
        )
    assert [p.wait(timeout=300) for p in procs] == [0, 0]
    store = CaseStore(store_dir)
    items = store.items("Shared")
    assert len(items) == 50
    assert {i.added_by for i in items} == {"ana", "ben"}
    assert verify_case(store, "Shared") == []


def test_same_file_in_two_cases_is_stored_once(store):
    data = encode(photo(), "JPEG")
    a, b = store.create_case("a", "x"), store.create_case("b", "x")
    add(store, a.id, "x.jpg", data)
    add(store, b.id, "y.jpg", data)
    assert len(list((store.root / "originals").glob("*/*"))) == 1
    assert hashlib.sha256(data).hexdigest() == store.items("b")[0].sha256


def test_the_store_hands_back_the_typed_result(store):
    data = encode(photo(seed=7), "JPEG", exif=camera_exif())
    store.create_case("Typed", "ana")
    item, _ = add(store, "Typed", "t.jpg", data)
    original = analysed("t.jpg", data)
    assert store.item(item.id).scan_result() == ScanResult.from_dict(original.to_dict())
    assert store.item(item.id).scan_result().metadata.camera.make == "Canon"
    damaged = dataclasses.replace(store.item(item.id), result_json='{"file": 7}')
    with pytest.raises(CaseError, match="stored result cannot be read"):
        damaged.scan_result()
