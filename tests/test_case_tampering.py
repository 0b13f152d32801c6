"""``case verify`` against plain database tampering: every edit below is one that an editor of
the SQLite file (without the anchor key) can make; each must be reported."""

from __future__ import annotations

import json
import sqlite3

import pytest

from core.cases import CaseError, CaseStore, audit_head, verify_case
from core.schema import ScanResult
from tests.conftest import analyse_bytes
from tests.images import encode, photo


def analysed(name: str, data: bytes) -> ScanResult:
    return analyse_bytes(data, name, forensics=False)


@pytest.fixture
def case(tmp_path):
    store = CaseStore(tmp_path / "store", key_path=tmp_path / "keys" / "anchor.key")
    c = store.create_case("Evidence", "ana")
    for seed, name in ((1, "a.jpg"), (2, "b.jpg")):
        data = encode(photo((64, 48), seed=seed), "JPEG")
        store.add_item(c.id, name, data, analysed(name, data), "ana")
    store.set_item_status(1, "flagged", "ben")
    store.tag_item(1, "source-known", "ben")
    store.add_note(c.id, "Sender confirmed", "ben", item_id=1)
    store.create_case("Other", "ana")
    assert verify_case(store, c.id) == []
    return store, c.id


def sql(store: CaseStore, *statements: str) -> None:
    with sqlite3.connect(store.db_path) as db:
        for statement in statements:
            db.execute(statement)


VERDICT = "json_set(result_json, '$.verdict.band', 'little evidence of AI generation')"
TAMPERINGS = {
    "a result's verdict rewritten": [f"UPDATE items SET result_json = {VERDICT} WHERE id = 1"],
    "an item row deleted": ["DELETE FROM tags WHERE item_id = 2", "DELETE FROM items WHERE id = 2"],
    "the file name edited": ["UPDATE items SET file_name = 'other.jpg' WHERE id = 1"],
    "who added it edited": ["UPDATE items SET added_by = 'mallory' WHERE id = 1"],
    "the status edited": ["UPDATE items SET status = 'checked' WHERE id = 1"],
    "a tag inserted": ["INSERT INTO tags (item_id, tag) VALUES (2, 'verified-by-desk')"],
    "a note rewritten": ["UPDATE notes SET text = 'Sender unknown'"],
    "the case renamed and closed": ["UPDATE cases SET name = 'Nothing here', status = 'closed' WHERE id = 1"],
    "the last 3 audit entries deleted": [
        "DELETE FROM audit WHERE id IN (SELECT id FROM audit WHERE case_id = 1 ORDER BY id DESC LIMIT 3)"
    ],
    "an item moved to another case": ["UPDATE items SET case_id = 2 WHERE id = 2"],
    "audit entries moved to another case": ["UPDATE audit SET case_id = 2 WHERE action = 'tag_added'"],
}


@pytest.mark.parametrize("what", sorted(TAMPERINGS))
def test_each_tampering_is_reported(case, what):
    store, case_id = case
    sql(store, *TAMPERINGS[what])
    assert verify_case(store, case_id) != [], what


def test_a_recomputed_chain_is_caught_by_its_anchor(case):
    """Edit an entry, then recompute every hash after it: the chain is whole again, the anchor is not."""
    from core.cases.audit import GENESIS, entry_hash

    store, case_id = case
    sql(store, "UPDATE items SET status = 'checked' WHERE id = 1")
    with sqlite3.connect(store.db_path) as db:
        db.row_factory = sqlite3.Row
        rows = [dict(r) for r in db.execute("SELECT * FROM audit WHERE case_id = ? ORDER BY id", (case_id,))]
        previous = GENESIS
        for row in rows:
            details = json.loads(row["details"])
            if row["action"] == "item_status":
                details["to"] = "checked"
            entry = {**row, "details": details, "prev_hash": previous}
            row_hash = entry_hash(entry)
            db.execute(
                "UPDATE audit SET details = ?, prev_hash = ?, hash = ? WHERE id = ?",
                (json.dumps(details, sort_keys=True), previous, row_hash, row["id"]),
            )
            previous = row_hash
    problems = verify_case(store, case_id)
    assert len(problems) == 1 and "does not end where it was anchored" in problems[0]


def test_a_swapped_original_with_updated_hashes_is_caught(case):
    store, case_id = case
    item = store.item(1)
    other = encode(photo((64, 48), seed=9), "JPEG")
    fake = analysed("a.jpg", other)
    fake_sha = fake.file.sha256
    path = store.original_path(fake_sha)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(other)
    path.chmod(0o444)
    sql(
        store,
        f"UPDATE items SET sha256 = '{fake_sha}', result_json = '{json.dumps(fake.to_dict())}' WHERE id = {item.id}",
    )
    # The note was written about the original item: its record no longer matches either.
    assert verify_case(store, case_id) == [
        "item 1 (a.jpg): not in the audit log (added or moved here outside the tool)",
        "item 1 (a.jpg): in the audit log but missing from the case",
        "a note by 'ben' is not in the audit log (added or edited outside the tool)",
        "a note by 'ben' recorded in the audit log is missing or was edited",
    ]


def test_a_deleted_item_keeps_its_original_for_verify_to_report(case, tmp_path):
    store, case_id = case
    sha = store.item(2).sha256
    sql(store, "DELETE FROM tags WHERE item_id = 2", "DELETE FROM items WHERE id = 2")
    reopened = CaseStore(store.root, key_path=store.key_path)  # opening sweeps orphans
    assert reopened.original_path(sha).exists()
    assert "item 2 (b.jpg): in the audit log but missing from the case" in verify_case(reopened, case_id)


def test_a_path_in_the_hash_column_never_names_a_file(case):
    store, case_id = case
    sql(store, "UPDATE items SET sha256 = '../../../../etc/hostname' WHERE id = 1")
    with pytest.raises(CaseError, match="not a SHA-256"):
        store.original_path("../../../../etc/hostname")
    assert any("not a SHA-256" in p for p in verify_case(store, case_id))


def test_another_key_does_not_verify_the_anchor(case, tmp_path):
    store, case_id = case
    elsewhere = tmp_path / "elsewhere.key"
    elsewhere.write_text("ab" * 32)
    elsewhere.chmod(0o600)
    other = CaseStore(store.root, key_path=elsewhere)
    assert any("does not verify with this store's key" in p for p in verify_case(other, case_id))


def test_a_store_copied_without_its_key_is_never_re_keyed_silently(case, tmp_path, capsys):
    """Regression: a store opened where its key is missing got a new key, the next write
    re-anchored the log under it and verify passed. Now verify says the key is missing, writes
    are refused, and only an explicit `case rekey --confirm` (refused for a broken log) makes a
    new key, recorded in every case's audit log."""
    from core.cli import main

    store, case_id = case
    missing = tmp_path / "copied" / "anchor.key"
    args = ["--store", str(store.root), "--analyst", "ana"]
    assert main(["case", "verify", str(case_id), *args, "--config", _config(tmp_path, missing)]) == 1
    out = capsys.readouterr().out
    assert f"the audit log's anchor cannot be checked: the case key {missing} is missing" in out
    assert (
        main(["case", "note", str(case_id), "after the copy", *args, "--config", _config(tmp_path, missing)])
        == 2
    )
    assert "nothing is written" in capsys.readouterr().err
    assert not missing.exists()
    assert [e["action"] for e in store.audit_log(case_id)][
        -1
    ] == "note_added"  # the earlier note, not this one

    assert main(["case", "rekey", *args, "--config", _config(tmp_path, missing)]) == 2
    assert "add --confirm" in capsys.readouterr().err
    sql(store, "UPDATE audit SET details = '{}' WHERE id = 2")  # a broken log is never re-keyed
    assert main(["case", "rekey", "--confirm", *args, "--config", _config(tmp_path, missing)]) == 2
    assert "its audit log is broken" in capsys.readouterr().err and not missing.exists()


def test_an_intact_store_without_its_key_can_be_re_keyed_on_purpose(case, tmp_path, capsys):
    from core.cli import main

    store, case_id = case
    missing = tmp_path / "copied" / "anchor.key"
    args = ["--store", str(store.root), "--analyst", "desk lead", "--config", _config(tmp_path, missing)]
    assert main(["case", "rekey", "--confirm", *args]) == 0
    assert "re-anchored 2 case(s)" in capsys.readouterr().out
    assert missing.stat().st_mode & 0o777 == 0o600
    log = store.audit_log(case_id)
    assert (log[-1]["action"], log[-1]["actor"]) == ("store_rekeyed", "desk lead")
    assert main(["case", "verify", str(case_id), *args]) == 0
    assert main(["case", "rekey", "--confirm", *args]) == 2  # the key is there now
    assert "is there: a store is re-keyed only when its key is lost" in capsys.readouterr().err


def _config(tmp_path, key) -> str:
    config = tmp_path / "desk.toml"
    config.write_text(f"case_key = {str(key)!r}\n")
    return str(config)


def test_a_store_on_write_protected_media_verifies_and_refuses_changes(case, tmp_path, monkeypatch, capsys):
    """Regression: `case verify` and `case add` on a store in a read-only folder ended in a sqlite
    traceback. Read-only media are opened immutable: verify works and says so, changes are
    refused with one line, and nothing is written there."""
    import os

    import core.cases.store as store_module
    from core.cli import main

    store, case_id = case
    key = tmp_path / "keys" / "anchor.key"
    if os.geteuid() == 0:  # root writes anywhere: the media's protection is what is detected
        monkeypatch.setattr(store_module, "_write_protected", lambda root, db: True)
    else:
        for path in [*store.root.rglob("*"), store.root]:
            path.chmod(path.stat().st_mode & ~0o222)
    before = sorted(p.name for p in store.root.iterdir())
    args = ["--store", str(store.root), "--analyst", "ana", "--config", _config(tmp_path, key)]
    assert main(["case", "verify", str(case_id), *args]) == 0
    out = capsys.readouterr().out
    assert f"store opened read-only ({store.root})" in out and "the chain of custody verify" in out
    picture = tmp_path / "new.jpg"
    picture.write_bytes(encode(photo((64, 48), seed=9), "JPEG"))
    assert main(["case", "add", str(case_id), str(picture), "--no-classifier", *args]) == 2
    err = capsys.readouterr().err
    assert "is open read-only (its folder or database cannot be written)" in err and "Traceback" not in err
    assert main(["case", "list", *args]) == 0
    assert sorted(p.name for p in store.root.iterdir()) == before
    if os.geteuid() != 0:
        for path in [*store.root.rglob("*"), store.root]:
            path.chmod(path.stat().st_mode | 0o200)


def test_the_head_is_printed_for_keeping_elsewhere(case):
    store, case_id = case
    head = audit_head(store, case_id)
    assert head["entries"] == 6 and len(head["hash"]) == 64


def test_a_key_others_can_write_is_refused_with_the_fix(case, tmp_path):
    """Regression: a world-writable case key was used without a word; whoever can change it can
    re-anchor a rewritten log."""
    store, case_id = case
    key = tmp_path / "keys" / "anchor.key"
    key.chmod(0o666)
    reopened = CaseStore(store.root, key_path=key)
    with pytest.raises(
        PermissionError, match=rf"can be written by other users \(mode 666\).*chmod 600 {key}"
    ):
        reopened.add_note(case_id, "after the key was opened up", "ana")
    key.chmod(0o600)
    assert verify_case(CaseStore(store.root, key_path=key), case_id) == []


def test_a_file_that_is_not_a_case_store_is_one_line_on_every_surface(tmp_path, monkeypatch, capsys):
    """A store folder whose database is random bytes, or another program's SQLite file, ended
    in an sqlite traceback; it is one line in the CLI and on the Cases page."""
    from streamlit.testing.v1 import AppTest

    from core.cli import main
    from tests.test_dashboard import CASES_PAGE

    (tmp_path / "noise").mkdir()
    (tmp_path / "noise" / "cases.sqlite3").write_bytes(bytes(range(256)) * 20)
    other = tmp_path / "other"
    other.mkdir()
    with sqlite3.connect(other / "cases.sqlite3") as db:
        db.execute("CREATE TABLE x (a)")
        db.execute("PRAGMA user_version = 2")
    for store in ("noise", "other"):
        root = tmp_path / store
        assert main(["case", "list", "--store", str(root)]) == 2
        err = capsys.readouterr().err
        assert (
            f"the case store at {root} cannot be opened: its database is damaged or is not a case store"
            in err
        )
        monkeypatch.setenv("FORENSICS_CASE_STORE", str(root))
        monkeypatch.setenv("FORENSICS_ANALYST", "ana")
        import streamlit as st

        st.cache_resource.clear()
        page = AppTest.from_file(CASES_PAGE, default_timeout=120).run()
        assert not page.exception
        assert "cannot be opened\\: its database is damaged or is not a case store" in page.error[0].value


def test_a_link_planted_in_originals_is_reported_and_never_bundled(case, tmp_path):
    """Someone who can write the store folder replaces an original by a link to a file only the
    desk can read: verify reports it without following it, and a bundle, a report thumbnail
    and the Cases page never read through it (the secret would leave in the bundle)."""
    import os

    from core.reports.bundle import create_bundle

    store, case_id = case
    secret = tmp_path / "secret.txt"
    secret.write_text("desk-only: source's phone number")
    item = store.items(case_id)[0]
    original = store.original_path(item.sha256)
    os.chmod(original.parent, 0o755)
    original.unlink()
    original.symlink_to(secret)
    problems = verify_case(store, case_id)
    assert f"the original {item.sha256[:16]}... cannot be read: not read: a symbolic link" in " ".join(
        problems
    )
    with pytest.raises(
        CaseError, match=f"the original {item.sha256[:16]}... cannot be used: not read: a symbolic"
    ):
        store.read_original(item.sha256)
    with pytest.raises(CaseError, match="cannot be used"):
        create_bundle(store, case_id, tmp_path / "case.zip")
    assert not (tmp_path / "case.zip").exists()
