"""Every real file through every surface a person uses, not only the engine.

``../shared/corpus`` (camera photos up to 12 MP, signed and tampered Content Credentials,
generator outputs, Pillow's corrupt files) and a generated camera-size set whose EXIF,
MakerNote, IPTC, XMP and PNG text hold non-UTF-8 bytes, NULs, control characters and bidi
overrides go through: the one-image page (every tab, the forensic viewer on each map), the
batch page (with a ZIP), the Cases page (add, review of every item with Next, every report
format and the bundle) and every CLI output format. Streamlit's AppTest runs the pages; no
page may raise, no panel may fail, and the contents a person reads are checked.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import io
import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core.cases import CaseStore
from core.escaping import escape_lines
from core.exporters import formats
from core.output import write_parquet, write_results
from core.reports import build_report, render_csv, render_html, render_json, render_pdf
from core.reports.bundle import create_bundle, verify_bundle
from core.reports.model import display_band
from core.schema import ScanResult
from core.settings import Settings
from dashboard.ui import PANEL_FAILED, safe
from tests.conftest import ROOT
from tests.images import camera_photo_with_strings, encode, photo, png_with_text

CORPUS = ROOT.parent / "shared" / "corpus"
pytestmark = pytest.mark.skipif(
    not (CORPUS / "labels.jsonl").is_file(),
    reason=f"the real-file corpus is not at {CORPUS} (CI always has it beside the repository)",
)
APP = str(ROOT / "dashboard" / "app.py")
BATCH = str(ROOT / "dashboard" / "views" / "batch_review.py")
CASES = str(ROOT / "dashboard" / "views" / "cases.py")
# What a person must never read: Python's words for values, a stored key instead of its label.
RAW_WORDS = {"True", "False", "None", "nan", "NaN", "NaT", "to_check"}
# Strings real files hold that break naive code: Latin-1, bytes no encoding knows, NUL, a bell,
# a bidi override that reverses what follows, an ANSI escape.
HOSTILE = "Ren\xe9 \u202egnp.exe \x1b[31m".encode() + b"\xe8\xff\x00tail\x07"


def corpus_files() -> list[Path]:
    return sorted(p for p in CORPUS.rglob("*") if p.is_file()) if CORPUS.is_dir() else []


@functools.lru_cache(maxsize=1)
def generated() -> dict[str, bytes]:
    """Camera-size photos (12 MP landscape, portrait by EXIF orientation 6 and 8, a 12 MP PNG)
    whose text fields hold ``HOSTILE`` and other hostile strings in every block."""
    landscape = encode(photo((4000, 3000), seed=7), "JPEG", quality=88)
    fields = TEXT_FIELDS
    latin1_canon = {
        "owner": "Ren\xe9 Dupont".encode("latin-1"),
        "byline": "Jos\xe9".encode("latin-1"),
        "caption": "Caf\xe9 \x00 \u202e".encode() + b"\xe9",
        "xmp": "\u202edrow \x00".encode(),
    }
    return {
        "hostile_12mp.jpg": camera_photo_with_strings(landscape, dict.fromkeys(fields, HOSTILE)),
        "canon_latin1_owner_12mp.jpg": camera_photo_with_strings(landscape, latin1_canon),
        "portrait_orientation_6.jpg": camera_photo_with_strings(
            landscape, {"description": HOSTILE}, orientation=6
        ),
        "portrait_orientation_8.jpg": camera_photo_with_strings(
            landscape, {"artist": HOSTILE}, orientation=8
        ),
        "generated_12mp.png": png_with_text(
            photo((4000, 3000), seed=8),
            {
                b"parameters": HOSTILE
                + b"\nNegative prompt: "
                + HOSTILE
                + b"\nSteps: 20, Seed: 5, Model: sdxl",
                b"Author": HOSTILE,
                b"Description": "\u202e".encode() + b"\xff\x00",
            },
        ),
    }


def odd_formats() -> dict[str, bytes]:
    """Containers and pixel formats that real files come in and that code written for RGB
    JPEGs trips on: CMYK JPEG (print workflows), MPO (stereo and phone depth pairs), a
    multi-page TIFF, a 16-bit greyscale PNG (scans), a WebP with a hostile XMP title, a
    progressive JPEG with camera EXIF."""
    import numpy as np
    from PIL import Image

    from tests.images import camera_exif

    base = photo((800, 600), seed=11)

    def saved(im: Image.Image, fmt: str, **params) -> bytes:
        buffer = io.BytesIO()
        im.save(buffer, fmt, **params)
        return buffer.getvalue()

    title = "&lt;img src=x onerror=alert(1)&gt; \u202egnp.exe".encode()
    xmp = (
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        b'<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>' + title + b"</dc:title>"
        b"</rdf:Description></rdf:RDF></x:xmpmeta>"
    )
    return {
        "cmyk.jpg": saved(base.convert("CMYK"), "JPEG", quality=90),
        "stereo.mpo": saved(base, "MPO", save_all=True, append_images=[photo((800, 600), seed=12)]),
        "two_pages.tiff": saved(base, "TIFF", save_all=True, append_images=[photo((300, 200), seed=13)]),
        "scan_16bit.png": saved(Image.fromarray(np.asarray(base.convert("L"), dtype=np.uint16) * 257), "PNG"),
        "hostile_xmp.webp": saved(base, "WEBP", xmp=xmp),
        "progressive.jpg": saved(base, "JPEG", quality=85, progressive=True, exif=camera_exif()),
    }


def every_file() -> list[tuple[str, bytes]]:
    """(name shown, bytes) of every corpus file and every generated file."""
    generated_files = {**generated(), **odd_formats()}
    return [(str(p.relative_to(CORPUS)), p.read_bytes()) for p in corpus_files()] + list(
        generated_files.items()
    )


def camera_zip() -> tuple[bytes, int]:
    """The corpus's camera photos as one ZIP upload, and how many files it holds."""
    buffer = io.BytesIO()
    files = sorted((CORPUS / "camera").rglob("*.jpg"))
    with zipfile.ZipFile(buffer, "w") as zf:
        for path in files:
            zf.write(path, str(path.relative_to(CORPUS)))
    return buffer.getvalue(), len(files)


@pytest.fixture(scope="module")
def desk(tiny_model, tmp_path_factory):
    """The dashboard as a desk runs it: a classifier (tiny, random), a case store, a named analyst."""
    import streamlit as st

    with pytest.MonkeyPatch.context() as env:
        store = tmp_path_factory.mktemp("desk") / "store"
        env.setenv("FORENSICS_MODEL", str(tiny_model))
        env.setenv("FORENSICS_CASE_STORE", str(store))
        env.setenv("FORENSICS_ANALYST", "desk-editor")
        st.cache_resource.clear()
        yield store
        st.cache_resource.clear()


@pytest.fixture(scope="module")
def batch_page(desk) -> AppTest:
    """The batch page after the upload of every file and a ZIP of the camera photos: its
    analysis (the pipeline every page uses) is the one the other page tests show, so the corpus
    is analysed once for all of them."""
    uploads = [(name, data, "application/octet-stream") for name, data in every_file()]
    uploads.append(("camera_photos.zip", camera_zip()[0], "application/zip"))
    at = AppTest.from_file(BATCH, default_timeout=900).run()
    at.file_uploader(key="batch_uploads").set_value(uploads).run()
    return at


def analysed(at: AppTest) -> dict[tuple[str, str], ScanResult]:
    """The batch page's results by (name, SHA-256), the key every page caches them under."""
    return {key: result for key, result in at.session_state["batch_results"].items() if len(key) == 2}


def read_text(at: AppTest) -> list[str]:
    """Everything a person reads on the page: text elements and every table cell."""
    parts = [
        str(e.value)
        for kind in (
            "markdown",
            "caption",
            "error",
            "warning",
            "info",
            "success",
            "title",
            "header",
            "subheader",
            "code",
        )
        for e in at.get(kind)
    ]
    for frame in at.dataframe:
        parts += [str(v) for v in frame.value.to_numpy().ravel() if isinstance(v, str)]
    return parts


def assert_page_is_whole(at: AppTest, what: str) -> None:
    """No exception, no panel that failed, no raw Python words or stored keys in any table cell."""
    assert not at.exception, (what, [e.value for e in at.exception])
    failed = [e.value for e in at.error if PANEL_FAILED in str(e.value)]
    assert failed == [], (what, failed)
    for frame in at.dataframe:
        if list(frame.value.columns) == ["block", "key", "value"]:
            continue  # the metadata dump shows a file's own values, whatever words they are
        shown = frame.value[list(frame.proto.column_order)] if frame.proto.column_order else frame.value
        cells = {str(v) for v in shown.to_numpy().ravel() if v is not None and not isinstance(v, float)}
        assert not cells & RAW_WORDS, (what, cells & RAW_WORDS)
    for text in read_text(at):
        assert "\u202e" not in text and "\x1b" not in text and "\x00" not in text, (what, text)


def tables_by_first_column(at: AppTest, name: str) -> dict[str, str]:
    """The two-column field/value table whose fields include ``name``, as a dict."""
    for frame in at.dataframe:
        value = frame.value
        if "field" in value.columns and name in set(value["field"]):
            return dict(zip(value["field"], value["value"], strict=True))
    raise AssertionError(f"no table with the field {name!r}")


@pytest.mark.slow
@pytest.mark.timeout(1500)
def test_one_image_page_shows_every_file_every_tab_and_every_map(batch_page):
    """Each file's analysis (made once by the batch page with the same pipeline, and handed to
    this session's cache as a rerun would find it) shown on the one-image page: every tab, the
    forensic viewer drawn from the file on each map."""
    results = analysed(batch_page)
    at = AppTest.from_file(APP, default_timeout=300).run()
    for name, data in every_file():
        key = (name, hashlib.sha256(data).hexdigest())
        at.session_state["results"] = {key: results[key]}  # one analysis at a time (memory stays flat)
        at.file_uploader(key="image_upload").set_value((name, data, "application/octet-stream")).run()
        assert_page_is_whole(at, name)
        [result] = at.session_state["results"].values()
        markdown = [m.value for m in at.markdown]
        if result.verdict is not None:  # the heading names the band the analysis gave, capitalised as written
            assert any(m.endswith(f"[{safe(display_band(result.verdict.band))}]") for m in markdown), name
        if result.status == "error":
            assert any(result.error.code in e.value for e in at.error), name
            continue
        assert tables_by_first_column(at, "SHA-256")["SHA-256"] == result.file.sha256, name
        declared = tables_by_first_column(at, "Camera make")
        assert declared["Camera make"] == escape_lines(result.metadata.camera.make or ""), name
        # The viewer on each map; camera photos also at another ELA quality (a new drawing of
        # every map: each is drawn once per option set, so this is where the cost is).
        for kind in ("noise", "spectrum", "ela"):
            at.radio(key="upload-map-kind").set_value(kind).run()
            if kind == "ela" and (name.startswith("camera/") or name in generated()):
                at.slider(key="upload-ela-quality").set_value(60).run()
            assert_page_is_whole(at, f"{name}: {kind}")
            captions = [img.caption for e in at.get("image") for img in e.proto.imgs]
            drawn = "The image (upright)" in captions
            assert drawn or "The maps could not be drawn within the per-file limits." in markdown, (
                name,
                kind,
            )


def expected_rows() -> int:
    return len(every_file()) + camera_zip()[1]


@pytest.mark.slow
@pytest.mark.timeout(1500)
def test_batch_page_then_every_item_reviewed_reported_and_bundled(desk, batch_page, tmp_path):
    at = batch_page
    CaseStore(desk).create_case("Corpus replay", "desk-editor")
    at.run()
    assert_page_is_whole(at, "batch page")
    rows = list(analysed(at).values())
    assert len(rows) == expected_rows()
    errors = sum(r.status == "error" for r in rows)
    assert f"{len(rows)} files analysed, {errors} with errors." in [m.value for m in at.markdown]
    table = at.dataframe[0].value
    assert len(table) == len(rows)
    assert {f"camera_photos.zip/{p.relative_to(CORPUS)}" for p in (CORPUS / "camera").rglob("*.jpg")} <= set(
        table["file"]
    )
    assert [b.label for b in at.get("download_button")] == ["Download CSV", "Download JSON"]
    assert len(at.get("plotly_chart")) >= 2
    for fmt in ("csv", "json", "jsonl"):  # the downloads, and the CLI's other formats: one row per file
        out = io.StringIO()
        assert write_results(rows, fmt, out).failed == []
    assert write_parquet(rows, str(tmp_path / "rows.parquet")).failed == []
    at.multiselect(key="verdict_filter").set_value(["substantial evidence of AI generation"]).run()
    assert_page_is_whole(at, "batch page, filtered")
    assert set(at.dataframe[0].value["verdict"]) == {"substantial evidence of AI generation"}
    at.multiselect(key="verdict_filter").set_value([]).run()
    at = next(b for b in at.button if b.label == "Add to case").click().run()
    readable = {r.file.sha256 for r in rows if r.file.sha256}
    unreadable = sum(not r.file.sha256 for r in rows)
    added = re.search(r"(\d+) added, (\d+) already in the case, (\d+) unreadable", at.success[0].value)
    assert added is not None and int(added[1]) == len(readable) and int(added[3]) == unreadable

    cases = AppTest.from_file(CASES, default_timeout=600).run()
    assert_page_is_whole(cases, "cases page")
    store = CaseStore(desk)
    items = store.items("Corpus replay")
    assert len(items) == len(readable)
    pick = "item-under-review-1"
    for n, item in enumerate(items):  # Next walks every item; the selector, the panel and the controls agree
        assert cases.selectbox(key=pick).value == item.id, n
        assert f"**Item {item.id}: {safe(item.file_name)}**" in [m.value for m in cases.markdown], n
        assert cases.radio(key=f"status-{item.id}").label == f"Status of item {item.id}"
        assert_page_is_whole(cases, f"review of item {item.id} ({item.file_name})")
        cases = next(b for b in cases.button if b.label == "Next").click().run()
    assert cases.selectbox(key=pick).value == items[0].id  # after the last, the first again

    for fmt, redact in (("pdf", False), ("csv", True)):  # from the page; every format is read back below
        cases.selectbox(key="report_format").set_value(fmt)
        cases.checkbox(key="report_redact").set_value(redact)
        cases = next(b for b in cases.button if b.label == "Prepare report").click().run()
        assert_page_is_whole(cases, f"report {fmt}")
        name = f"case-1{'-redacted' if redact else ''}.{fmt}"
        assert [d.label for d in cases.get("download_button")] == [f"Download {name}"]
    check_reports(store, items)
    bundle = tmp_path / "bundle.zip"
    create_bundle(store, "Corpus replay", bundle, settings=Settings(classifier=False))
    assert verify_bundle(bundle) == []


def check_reports(store: CaseStore, items) -> None:
    """Every format read back: one entry per item, names escaped, nothing lost."""
    from pypdf import PdfReader

    # Thumbnails were made by the page's reports and are made again by the bundle: not here too.
    report = build_report(store, "Corpus replay", thumbnails=False, settings=Settings(classifier=False))
    html = render_html(report).decode("utf-8")
    assert html.count('<div class="item">') == len(items)
    assert "\u202e" not in html and "\x00" not in html and "\x1b" not in html
    assert json.loads(render_json(report))["summary"]["items"] == len(items)
    rows = list(csv.DictReader(io.StringIO(render_csv(report).decode("utf-8"))))
    assert sorted(int(r["item_id"]) for r in rows) == [i.id for i in items]
    pdf = PdfReader(io.BytesIO(render_pdf(report)))
    text = "\n".join(page.extract_text() for page in pdf.pages)
    assert "Chain of custody" in text and all(i.sha256 in text.replace("\n", "") for i in items)
    redacted = build_report(
        store, "Corpus replay", redact=True, thumbnails=False, settings=Settings(classifier=False)
    )
    for fmt in ("html", "pdf", "json", "csv"):
        assert formats("case")[fmt].render(redacted)


@pytest.fixture
def small_desk(monkeypatch, tmp_path) -> CaseStore:
    """A case store of the test's own, the classifier off, a named analyst."""
    import streamlit as st

    monkeypatch.setenv("FORENSICS_CASE_STORE", str(tmp_path / "store"))
    monkeypatch.setenv("FORENSICS_CLASSIFIER", "false")
    monkeypatch.setenv("FORENSICS_ANALYST", "desk-editor")
    st.cache_resource.clear()
    yield CaseStore(tmp_path / "store")
    st.cache_resource.clear()


def test_case_review_writes_to_the_item_it_shows(small_desk):
    """Previous and Next through every item: the selector names the item the panel shows, and a
    note, a status and a tag written on item 3 land on item 3; tags are shown and removable."""
    from core.context import make_context
    from core.pipeline import analyze
    from core.sources import Source

    store = small_desk
    case = store.create_case("Walk", "desk-editor")
    ctx = make_context(Settings(classifier=False))
    for i in range(5):
        data = encode(photo((64, 48), seed=i), "PNG")
        store.add_item(
            case.id,
            f"p{i}.png",
            data,
            analyze(Source.from_bytes(f"p{i}.png", data), ctx),
            "desk-editor",
        )
    ids = [i.id for i in store.items(case.id)]
    at = AppTest.from_file(CASES, default_timeout=120).run()

    def under_review() -> int:
        value = at.selectbox(key=f"item-under-review-{case.id}").value
        assert f"**Item {value}: p{ids.index(value)}\\.png**" in [m.value for m in at.markdown]
        return value

    assert under_review() == ids[0]
    for expected in [ids[1], ids[2], ids[3], ids[4], ids[0], ids[4], ids[3], ids[2]]:
        label = "Next" if ids.index(expected) == (ids.index(under_review()) + 1) % 5 else "Previous"
        at = next(b for b in at.button if b.label == label).click().run()
        assert under_review() == expected
    third = ids[2]
    at.text_area(key=f"new-note-{third}").set_value("Shadow angles match the claimed hour")
    at = next(b for b in at.button if b.label == f"Add note to item {third}").click().run()
    at.radio(key=f"status-{third}").set_value("flagged").run()
    at.text_input(key=f"new-tag-{third}").set_value("geolocated")
    at = next(b for b in at.button if b.label == f"Add tag to item {third}").click().run()
    assert [n["item_id"] for n in store.notes(case.id)] == [third]
    assert store.item(third).status == "flagged" and store.item(third).tags == ["geolocated"]
    assert {store.item(i).status for i in ids if i != third} == {"to_check"}
    assert "✕ geolocated" in [b.label for b in at.button]
    at = next(b for b in at.button if b.label == "✕ geolocated").click().run()
    assert store.item(third).tags == [] and f"Item {third} has no tags." in [c.value for c in at.caption]
    at.selectbox(key=f"item-under-review-{case.id}").set_value(
        ids[4]
    ).run()  # the selector moves the panel too
    assert under_review() == ids[4]
    at = next(b for b in at.button if b.label == "Previous").click().run()
    assert under_review() == ids[3]


def test_a_failing_panel_stays_in_its_panel(small_desk, monkeypatch):
    """A view that raises shows one line with its error code; the other tabs, the notes, the
    reports and the chain of custody are still drawn."""
    import dashboard.result_view as result_view
    from core.context import make_context
    from core.pipeline import analyze
    from core.sources import Source

    def broken(*args, **kwargs):
        raise ValueError("operands could not be broadcast together")

    monkeypatch.setattr(result_view, "_forensics", broken)
    store = small_desk
    case = store.create_case("Broken view", "desk-editor")
    data = encode(photo((64, 48)), "JPEG")
    result = analyze(Source.from_bytes("a.jpg", data), make_context(Settings(classifier=False)))
    store.add_item(case.id, "a.jpg", data, result, "desk-editor")
    store.add_note(case.id, "first look", "desk-editor")
    at = AppTest.from_file(CASES, default_timeout=120).run()
    assert not at.exception
    assert [e.value for e in at.error] == [
        f"The tab Forensics could not be shown ({PANEL_FAILED}: ValueError). The other tabs and the rest of the "
        "page still work. The details are in the server's log."
    ]
    assert "Prepare report" in [b.label for b in at.button]
    assert {"Notes", "Reports"} <= {s.value for s in at.subheader}
    assert any(e.label == "Chain of custody" for e in at.expander)
    assert any("file_name: a.jpg" in str(v) for f in at.dataframe for v in f.value.to_numpy().ravel())


@pytest.mark.slow
def test_every_cli_output_format_over_the_corpus(tmp_path, tiny_model):
    """The CLI over the whole corpus and the generated set: one row per file in JSONL (exit code
    0, the summary), then the same rows in JSON, CSV and Parquet, none of them failed."""
    folder = tmp_path / "generated"
    folder.mkdir()
    for name, data in generated().items():
        (folder / name).write_bytes(data)
    out = tmp_path / "rows.jsonl"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "core",
            "scan",
            str(CORPUS),
            str(folder),
            "--model",
            str(tiny_model),
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=1500,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    rows = [ScanResult.from_dict(json.loads(line)) for line in out.read_text(encoding="utf-8").splitlines()]
    total = len(corpus_files()) + len(generated())
    assert len(rows) == total
    assert (
        proc.stderr.splitlines()[0]
        == f"{total} file(s) scanned, {sum(r.status == 'error' for r in rows)} with errors"
    )
    assert "output_failed" not in proc.stderr
    canon = next(r for r in rows if r.path.endswith("canon_latin1_owner_12mp.jpg"))
    assert canon.metadata.raw["iptc"]  # the Latin-1 IPTC byline read, not lost
    for fmt in ("json", "csv"):
        buffer = io.StringIO()
        written = write_results(rows, fmt, buffer)
        assert (written.rows, written.failed) == (total, [])
        buffer.getvalue().encode("utf-8")
    written = write_parquet(rows, str(tmp_path / "rows.parquet"))
    assert (written.rows, written.failed) == (total, [])


# Pieces of text that real files carry and naive code chokes on, for hypothesis to combine.
HOSTILE_PIECES = [
    b"\xe9",
    b"\xe8\xff",
    b"\x00",
    b"\x07",
    b"\x1b[31m",
    "\u202e".encode(),
    "\u200f".encode(),
    b"\xed\xa0\x80",
    b"\xef\xbb\xbf",
    "caf\xe9".encode(),
    b"<script>",
    b"=cmd|' /C calc'!A0",
    b"$x$",
    b"\r\n",
    b"]]>",
]
TEXT_FIELDS = (
    "make",
    "model",
    "software",
    "artist",
    "description",
    "lens",
    "serial",
    "user_comment",
    "owner",
    "byline",
    "caption",
    "xmp",
)


@functools.lru_cache(maxsize=1)
def small_base() -> bytes:
    return encode(photo((640, 480), seed=3), "JPEG", quality=90)


@pytest.mark.slow
def test_hostile_strings_in_every_field_pass_every_surface(small_desk):
    """Hypothesis puts hostile bytes into every text field a camera photo and a generator PNG
    carry; each file is analysed, written in every format, added to a case, reported in every
    format and shown on the one-image page, with nothing raised and nothing shown unescaped."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from core.context import make_context
    from core.pipeline import analyze
    from core.sources import Source

    ctx = make_context(Settings(classifier=False))
    page = AppTest.from_file(APP, default_timeout=180).run()
    case = small_desk.create_case("Hostile", "desk-editor")
    piece = st.one_of(st.sampled_from(HOSTILE_PIECES), st.binary(max_size=12))
    value = st.lists(piece, min_size=1, max_size=4).map(b"".join)

    @settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
    @given(
        fields=st.dictionaries(st.sampled_from(TEXT_FIELDS), value, min_size=1),
        orientation=st.sampled_from([None, 1, 3, 6, 8]),
        as_png=st.booleans(),
    )
    def check(fields, orientation, as_png):
        nonlocal page
        if as_png:
            data = png_with_text(
                photo((320, 240), seed=4),
                {
                    b"parameters": fields.get("caption", b"x") + b"\nSteps: 2",
                    b"Author": fields.get("artist", b""),
                },
            )
            name = "gen.png"
        else:
            data, name = camera_photo_with_strings(small_base(), fields, orientation), "cam.jpg"
        result = analyze(Source.from_bytes(name, data), ctx)
        for fmt in ("jsonl", "json", "csv"):
            out = io.StringIO()
            assert write_results([result], fmt, out).failed == []
            out.getvalue().encode("utf-8")
        small_desk.add_item(case.id, name, data, result, "desk-editor")
        report = build_report(small_desk, case.id, thumbnails=False, settings=Settings(classifier=False))
        for fmt in ("html", "json", "csv", "pdf"):
            rendered = formats("case")[fmt].render(report)
            if fmt == "html":
                assert "\u202e" not in rendered.decode() and "\x1b" not in rendered.decode()
        page.session_state["results"] = {}
        page.file_uploader(key="image_upload").set_value((name, data, "application/octet-stream")).run()
        assert_page_is_whole(page, repr(fields))

    check()
