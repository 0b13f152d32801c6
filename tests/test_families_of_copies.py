"""Families of copies (issue 24, part 3): for a group of copies of one picture, which was made from
which and which is closest to the original, with the reason for each edge; in the CLI (see
test_seen_before), the case reports (HTML, PDF, JSON), the batch page and the case page."""

from __future__ import annotations

import io
import json

import pytest

from core.cli import main
from tests.images import camera_exif
from tests.test_seen_before import FORENSICS_OFF, _framed, jpeg, jpeg_with, scene

# A file name a reader could send: markup, quotes and a bidi override.
HOSTILE = 'crop <b>"x"\u202e.jpg'
SHOWN = 'crop <b>"x"\\u202e.jpg'  # as every surface shows it: the override as an escape


def copies_of_one_picture() -> dict[str, bytes]:
    """The camera file (full size, camera metadata), a resized re-post, a crop under a hostile
    name, a screenshot with a caption, and an unrelated picture."""
    original = scene(3)
    w, h = original.size
    return {
        "camera.jpg": jpeg_with(original, exif=camera_exif()),
        "repost.jpg": jpeg(original.resize((w // 2, h // 2)), 70),
        HOSTILE: jpeg(original.crop((100, 80, 100 + int(w * 0.7), 80 + int(h * 0.7))), 80),
        "screenshot.jpg": jpeg(_framed(original.resize((w // 2, h // 2))), 75),
        "other.jpg": jpeg(scene(9)),
    }


EXPECTED_EDGES = {  # child: (parent, as)
    "item 2 (repost.jpg)": ("item 1 (camera.jpg)", "resized"),
    f"item 3 ({SHOWN})": ("item 1 (camera.jpg)", "crop"),
    "item 4 (screenshot.jpg)": ("item 1 (camera.jpg)", "framed"),
}


@pytest.fixture
def case_of_copies(tmp_path, monkeypatch, capsys, request):
    """A case 'Copies' holding the five files as items 1 to 5, in that order, added with the
    setting seen_before as the test asks (``auto`` unless it says otherwise)."""
    monkeypatch.setenv("FORENSICS_SEEN_BEFORE", getattr(request, "param", "auto"))
    store = tmp_path / "store"
    args = ["--store", str(store), "--analyst", "ana"]
    assert main(["case", "new", "Copies", *args]) == 0
    folder = tmp_path / "in"
    folder.mkdir()
    for name, data in copies_of_one_picture().items():
        (folder / name).write_bytes(data)
        assert main(["case", "add", "Copies", str(folder / name), *args, *FORENSICS_OFF]) == 0
    capsys.readouterr()
    return store


def test_case_reports_show_each_family_with_the_closest_copy_and_why(case_of_copies, monkeypatch):
    """The items' fingerprints come from the desk's index (put there when they were added): no
    original is decoded again. The same family in every format, the hostile name escaped."""
    from pypdf import PdfReader

    import core.cases.families as families_module
    from core.cases import CaseStore
    from core.reports import build_report, render_html, render_json, render_pdf
    from core.settings import Settings

    monkeypatch.setattr(families_module, "fingerprint_file", lambda *a: pytest.fail("decoded again"))
    report = build_report(
        CaseStore(case_of_copies), "Copies", thumbnails=False, settings=Settings(classifier=False)
    )
    (family,) = report["families"]
    assert report["families_untraced"] == 0
    assert family["closest"] == "item 1 (camera.jpg)"
    assert family["why"].startswith("no other copy here contains it, and it keeps the most: 1200x800 pixels")
    assert {e["child"]: (e["parent"], e["kind"]) for e in family["edges"]} == EXPECTED_EDGES
    assert "item 5 (other.jpg)" not in family["copies"]

    assert json.loads(render_json(report))["families"][0]["closest"] == "item 1 (camera.jpg)"
    html = render_html(report).decode()
    assert "<h2>Copies of one picture</h2>" in html
    assert "<strong>Closest to the original:</strong> item 1 (camera.jpg): no other copy" in html
    assert "<td>item 3 (crop &lt;b&gt;&#34;x&#34;\\u202e.jpg)</td><td>item 1 (camera.jpg)</td>" in html
    assert "<b>" not in html and "\u202e" not in html and "not traced" not in html
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(render_pdf(report))).pages)
    assert "Copies of one picture" in text and "Closest to the original: item 1 (camera.jpg)" in text


@pytest.mark.parametrize("case_of_copies", ["off"], indirect=True)
def test_a_report_never_decodes_originals_to_trace_copies(case_of_copies, monkeypatch):
    """Items added while seen_before was off are not in the index: the report says how many it
    could not trace instead of decoding every original (a case of 2,000 items would wait minutes);
    the Cases page traces them on request (next test)."""
    import core.cases.families as families_module
    from core.cases import CaseStore
    from core.reports import build_report, render_html
    from core.settings import Settings

    monkeypatch.setattr(families_module, "fingerprint_file", lambda *a: pytest.fail("decoded"))
    assert not (case_of_copies / "seen-index").exists()
    report = build_report(
        CaseStore(case_of_copies), "Copies", thumbnails=False, settings=Settings(classifier=False)
    )
    assert (report["families"], report["families_untraced"]) == ([], 5)
    assert "5 item(s) are not in the desk's seen-before index" in render_html(report).decode()


@pytest.mark.parametrize("case_of_copies", ["off", "auto"], indirect=True)
def test_the_case_page_traces_the_copies_among_its_items(case_of_copies, monkeypatch):
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from tests.test_dashboard import CASES_PAGE

    monkeypatch.setenv("FORENSICS_CASE_STORE", str(case_of_copies))
    monkeypatch.setenv("FORENSICS_CLASSIFIER", "false")
    monkeypatch.setenv("FORENSICS_ANALYST", "desk-editor")
    st.cache_resource.clear()
    at = AppTest.from_file(CASES_PAGE, default_timeout=180).run()
    at.toggle(key="trace_copies-1").set_value(True).run()
    assert not at.exception and not at.error
    labels = [e.label for e in at.expander]
    assert "Family 1: 4 copies, closest to the original: item 1 \\(camera\\.jpg\\)" in labels
    (graph,) = at.get("graphviz_chart")
    dot = graph.proto.spec
    assert '[label="item 1 (camera.jpg)", style="bold,filled"' in dot
    assert 'label="item 3 (crop <b>\\"x\\"\\\\u202e.jpg)"' in dot  # quoted: nothing ends the string
    table = next(d.value for d in at.dataframe if "made from" in d.value.columns)
    assert {r["copy"]: (r["made from"], r["as"]) for _, r in table.iterrows()} == {**EXPECTED_EDGES}
    st.cache_resource.clear()


def test_the_batch_page_traces_the_copies_among_the_uploads(monkeypatch, tmp_path):
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from tests.test_dashboard import BATCH

    monkeypatch.setenv("FORENSICS_CASE_STORE", str(tmp_path / "store"))
    monkeypatch.setenv("FORENSICS_CLASSIFIER", "false")
    st.cache_resource.clear()
    files = copies_of_one_picture()
    at = AppTest.from_file(BATCH, default_timeout=180).run()
    at.file_uploader(key="batch_uploads").set_value(
        [(name, data, "image/jpeg") for name, data in files.items()]
        + [("repost.jpg", files["repost.jpg"], "image/jpeg")]
    )
    at.run()
    at.toggle(key="trace_copies").set_value(True).run()
    assert not at.exception
    label = next(e.label for e in at.expander if e.label.startswith("Family 1"))
    assert label == "Family 1: 5 copies, closest to the original: camera\\.jpg"
    table = next(d.value for d in at.dataframe if "made from" in d.value.columns)
    edges = {r["copy"]: (r["made from"], r["as"]) for _, r in table.iterrows()}
    # The same bytes uploaded twice under one name: a second copy, named apart, the same file.
    assert edges["repost.jpg (2)"] == ("repost.jpg", "same file")
    assert edges["repost.jpg"] == ("camera.jpg", "resized")
    assert edges["screenshot.jpg"] == ("camera.jpg", "framed")
    assert "other.jpg" not in edges
    st.cache_resource.clear()
