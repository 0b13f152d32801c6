"""One status word per reading, on every surface: the batch table, the one-image page, the
ledger, CSV, JSON and the case report show the same words for signed and tampered files."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core.cases import CaseStore
from core.output import write_results
from core.reports import build_report, render_html
from tests.c2pa_signing import CAPTURE, make_chain, manifest, sign
from tests.conftest import analyse_bytes
from tests.images import camera_exif, encode, photo

ROOT = Path(__file__).resolve().parent.parent
INTACT = "intact, signer not on a configured trust list"
pytestmark = pytest.mark.usefixtures("fresh_server_cache")
CHANGED = "changed after signing"


@pytest.fixture(scope="module")
def files() -> dict[str, bytes]:
    chain = make_chain(signer="Desk Test Camera", org="Desk Test CA")
    actions = [{"action": "c2pa.created", "digitalSourceType": CAPTURE}]
    signed = sign(
        encode(photo(), "JPEG", quality=90, exif=camera_exif()), chain, manifest("Test Camera", actions)
    )
    tampered = bytearray(signed)
    tampered[-300] ^= 0xFF  # one byte of the image data, after signing
    return {"signed.jpg": signed, "tampered.jpg": bytes(tampered), "plain.jpg": encode(photo(seed=4), "JPEG")}


EXPECTED = {"signed.jpg": INTACT, "tampered.jpg": CHANGED, "plain.jpg": "none"}


def test_rows_csv_json_and_the_ledger_say_the_same_words(files):
    results = [analyse_bytes(data, name) for name, data in files.items()]
    assert {r.file.name: r.provenance.c2pa.state for r in results} == EXPECTED
    out = io.StringIO()
    write_results(results, "csv", out)
    rows = {row["file.name"]: row for row in csv.DictReader(io.StringIO(out.getvalue()))}
    assert {name: row["provenance.c2pa.state"] for name, row in rows.items()} == EXPECTED
    out = io.StringIO()
    write_results(results, "jsonl", out)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert {r["file"]["name"]: r["provenance"]["c2pa"]["state"] for r in lines} == EXPECTED
    by_name = {r.file.name: r for r in results}
    valid = next(f for f in by_name["signed.jpg"].findings if f.rule == "c2pa.valid")
    assert valid.strength == "cryptographic check"
    assert valid.sentence.startswith(f"Content Credentials signed by “Desk Test Camera” are {INTACT}: ")
    changed = next(f for f in by_name["tampered.jpg"].findings if f.rule == "c2pa.content_changed")
    assert changed.strength == "cryptographic check" and "verified" not in changed.sentence


def test_the_report_says_the_same_words(files, tmp_path):
    store = CaseStore(tmp_path / "store")
    case = store.create_case("Credentials", "ana")
    for name, data in files.items():
        store.add_item(case.id, name, data, analyse_bytes(data, name), "ana")
    report = build_report(store, case.id, thumbnails=False)
    assert {i["file_name"]: i["c2pa"] for i in report["items"]} == EXPECTED
    html = render_html(report).decode()
    assert f"<td>{INTACT}</td>" in html and f"<td>{CHANGED}</td>" in html
    assert f"{INTACT}, signed by Desk Test Camera" in html


def test_the_batch_table_and_the_one_image_page_say_the_same_words(files, monkeypatch):
    monkeypatch.setenv("FORENSICS_FORENSICS", "false")
    batch = AppTest.from_file(
        str(ROOT / "dashboard" / "views" / "batch_review.py"), default_timeout=180
    ).run()
    batch.file_uploader(key="batch_uploads").set_value([(n, d, "image/jpeg") for n, d in files.items()])
    batch.run()
    assert not batch.exception
    table = batch.dataframe[0].value
    assert dict(zip(table["file"], table["C2PA"], strict=True)) == EXPECTED
    for name, data in files.items():
        page = AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=120).run()
        page.file_uploader(key="image_upload").set_value((name, data, "image/jpeg"))
        page.run()
        assert not page.exception
        shown = [
            dict(zip(f.value["field"], f.value["value"], strict=True))
            for f in page.dataframe
            if "field" in f.value.columns and "Status" in set(f.value["field"])
        ]
        if name == "plain.jpg":
            assert shown == [], name  # no credentials: one sentence, no table
        else:
            assert shown[0]["Status"] == EXPECTED[name], name


def test_two_named_trust_lists_say_which_one_holds_the_signer(tmp_path, monkeypatch):
    """A desk configures its own list and an agency's: each reading names the list that holds the
    signer (with its file's SHA-256), on screen and in the report; a signer on neither is named so."""
    import hashlib

    desk, agency, stranger = (
        make_chain(signer=f"{n} Signer", org=f"{n} CA") for n in ("Desk", "Agency", "Stranger")
    )
    paths = {}
    for name, chain in (("Newsroom", desk), ("Agency", agency)):
        paths[name] = tmp_path / f"{name.lower()}.pem"
        paths[name].write_text(chain.root_pem)
    setting = ";".join(f"{name}={path}" for name, path in paths.items())
    digest = {name: hashlib.sha256(path.read_bytes()).hexdigest() for name, path in paths.items()}
    actions = [{"action": "c2pa.created", "digitalSourceType": CAPTURE}]

    def signed_by(chain, seed: int) -> bytes:
        return sign(encode(photo(seed=seed), "JPEG", exif=camera_exif()), chain, manifest("Cam", actions))

    from_agency = analyse_bytes(signed_by(agency, 1), trust_anchors=setting).provenance.c2pa
    assert from_agency.state == "intact, signer on your trust list"
    assert [(t.name, t.sha256, t.signer_on_it) for t in from_agency.trust_lists] == [
        ("Newsroom", digest["Newsroom"], False),
        ("Agency", digest["Agency"], True),
    ]
    unknown = analyse_bytes(signed_by(stranger, 2), "s.jpg", trust_anchors=setting)
    assert unknown.provenance.c2pa.state == INTACT
    assert [t.signer_on_it for t in unknown.provenance.c2pa.trust_lists] == [False, False]
    valid = next(f for f in unknown.findings if f.rule == "c2pa.valid")
    assert "not on the trust lists configured here (“Newsroom”, “Agency”)" in valid.sentence

    store = CaseStore(tmp_path / "store")
    case = store.create_case("Trust", "ana")
    data = signed_by(agency, 1)
    store.add_item(
        case.id, "agency.jpg", data, analyse_bytes(data, "agency.jpg", trust_anchors=setting), "ana"
    )
    html = render_html(build_report(store, case.id, thumbnails=False)).decode()
    assert f"Agency (sha256 {digest['Agency'][:12]}...): signer on it" in html
    assert f"Newsroom (sha256 {digest['Newsroom'][:12]}...): signer not on it" in html

    monkeypatch.setenv("FORENSICS_TRUST_ANCHORS", setting)
    monkeypatch.setenv("FORENSICS_FORENSICS", "false")
    page = AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=120).run()
    page.file_uploader(key="image_upload").set_value(("agency.jpg", data, "image/jpeg"))
    page.run()
    assert not page.exception
    table = next(
        dict(zip(f.value["field"], f.value["value"], strict=True))
        for f in page.dataframe
        if "field" in f.value.columns and "Status" in set(f.value["field"])
    )
    assert table["Status"] == "intact, signer on your trust list"
    assert table["Trust lists checked"].startswith(
        f"Newsroom (sha256 {digest['Newsroom'][:12]}...): signer not on it"
    )
    assert "Agency chains" not in str(table)
    assert "the trust list “Agency” configured here" in "\n".join(str(m.value) for m in page.markdown)


@pytest.fixture(scope="module")
def edited() -> bytes:
    """An edit of a signed capture: its manifest names the capture as an ingredient, and the SDK
    stores a thumbnail of each manifest's file and of the ingredient."""
    chain = make_chain(signer="Desk Test Camera", org="Desk Test CA")
    capture = [{"action": "c2pa.created", "digitalSourceType": CAPTURE}]
    original = sign(
        encode(photo(seed=3), "JPEG", exif=camera_exif()), chain, manifest("Test Camera", capture)
    )
    return sign(
        encode(photo(seed=4), "JPEG"),
        chain,
        manifest("Test Editor", [{"action": "c2pa.opened"}]),
        ingredient=({"title": "capture <1>.jpg", "relationship": "parentOf"}, original),
    )


def test_ingredient_thumbnails_reach_the_result_the_report_and_the_compare_view(edited, tmp_path):
    import base64

    from PIL import Image
    from pypdf import PdfReader

    c = analyse_bytes(edited, "edit.jpg").provenance.c2pa
    assert c.ingredients_state == INTACT and len(c.thumbnails) == 2
    (ingredient,) = c.ingredients
    assert (ingredient.title, ingredient.relationship) == ("capture <1>.jpg", "parentOf")
    with Image.open(io.BytesIO(base64.b64decode(ingredient.thumbnail_jpeg_b64))) as thumb:
        assert thumb.format == "JPEG" and max(thumb.size) <= 256  # re-encoded small in the worker

    store = CaseStore(tmp_path / "store")
    case = store.create_case("History", "ana")
    store.add_item(case.id, "edit.jpg", edited, analyse_bytes(edited, "edit.jpg"), "ana")
    report = build_report(store, case.id)
    (item,) = report["items"]
    assert [t["caption"].split(" ", 1)[0] for t in item["credential_thumbnails"]] == [
        "Manifest",
        "Manifest",
        "Ingredient",
    ]
    html = render_html(report).decode()
    assert "Content Credentials: the thumbnails they carry" in html
    assert "Ingredient capture &lt;1&gt;.jpg (parentOf)" in html
    from core.reports import render_pdf

    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(render_pdf(report))).pages)
    assert "Ingredient capture <1>.jpg (parentOf)" in text

    from core.display import compare_safely
    from core.settings import Settings

    view = compare_safely(edited, base64.b64decode(ingredient.thumbnail_jpeg_b64), Settings())
    assert view is not None and view.image.shape == view.other.shape and max(view.image.shape[:2]) <= 512


def test_the_one_image_page_compares_the_file_with_its_ingredient(edited, monkeypatch):
    monkeypatch.setenv("FORENSICS_FORENSICS", "false")
    page = AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=120).run()
    page.file_uploader(key="image_upload").set_value(("edit.jpg", edited, "image/jpeg"))
    page.run()
    assert not page.exception
    pick = page.selectbox(key="upload-ingredient")
    assert pick.options == ["1. capture <1>.jpg"]
    page.slider(key="upload-blend").set_value(1.0).run()
    assert not page.exception
    captions = [img.caption for e in page.get("image") for img in e.proto.imgs]
    assert "The two blended at the same size" in str(captions)


def test_a_hostile_thumbnail_resource_is_left_out_and_the_reading_stands():
    from core.provenance import c2pa_credentials

    class Reader:
        def resource_to_stream(self, uri, stream):
            if uri == "huge":
                stream.write(b"\xff" * (c2pa_credentials.MAX_THUMBNAIL_BYTES + 1))
            stream.write(b"not an image")

    store = {
        "active_manifest": "m",
        "manifests": {
            "m": {
                "thumbnail": {"identifier": "huge"},
                "ingredients": [{"title": "x", "thumbnail": {"identifier": "junk"}}],
            }
        },
    }
    assert c2pa_credentials._thumbnails(Reader(), store) == {}


def test_a_trust_list_folder_can_allow_a_signer_by_its_own_certificate(tmp_path):
    """A list as a folder (docs/content-credentials.md): ``allowed.pem`` holds end-entity
    certificates the desk accepts as they are, beside (or without) ``anchors.pem``. Its SHA-256
    covers every file it holds; other files in the folder are not part of the list."""
    import hashlib

    from core.provenance.c2pa_credentials import load_trust_lists

    agency, stranger = make_chain(signer="Agency Signer", org="Agency CA"), make_chain(org="Stranger CA")
    leaf = agency.chain_pem.decode().split("-----END CERTIFICATE-----")[0] + "-----END CERTIFICATE-----\n"
    folder = tmp_path / "agency"
    folder.mkdir()
    (folder / "allowed.pem").write_text(leaf)
    (folder / "tsa.pem").write_text(stranger.root_pem)  # not a part of a list: never trusted
    (lists,) = load_trust_lists(f"Agency={folder}")
    assert [name for name, _ in lists.parts] == ["allowed.pem"]
    actions = [{"action": "c2pa.created", "digitalSourceType": CAPTURE}]
    data = sign(encode(photo(seed=5), "JPEG"), agency, manifest("Cam", actions))
    c = analyse_bytes(data, trust_anchors=f"Agency={folder}").provenance.c2pa
    assert c.state == "intact, signer on your trust list"
    assert [(t.name, t.sha256, t.signer_on_it) for t in c.trust_lists] == [("Agency", lists.sha256, True)]
    assert lists.sha256 != hashlib.sha256(leaf.encode()).hexdigest()  # the folder's files, with their names
    other = sign(encode(photo(seed=6), "JPEG"), stranger, manifest("Cam", actions))
    assert analyse_bytes(other, trust_anchors=f"Agency={folder}").provenance.c2pa.state == INTACT
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ValueError, match="holds no PEM certificate of signers"):
        load_trust_lists(f"Empty={empty}")
