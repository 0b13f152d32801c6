"""The dashboard, driven with Streamlit's AppTest: uploads, the verdict, escaping, the no-classifier banner."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from PIL.PngImagePlugin import PngInfo
from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT, make_zip
from tests.images import camera_exif, encode, photo

APP = str(ROOT / "dashboard" / "app.py")


# Each test starts like a new server: the cached context depends on the environment.
pytestmark = pytest.mark.usefixtures("fresh_server_cache")


@pytest.fixture
def app(monkeypatch):
    monkeypatch.setenv("FORENSICS_MODEL", "Modotte/AIRealNet")  # not cached here: offline
    monkeypatch.setenv("FORENSICS_STABILITY", "false")
    return AppTest.from_file(APP, default_timeout=120).run()


def upload(at: AppTest, name: str, data: bytes, mime: str) -> AppTest:
    at.file_uploader(key="image_upload").set_value((name, data, mime))
    return at.run()


def all_text(at: AppTest) -> str:
    parts = [e.value for e in (*at.markdown, *at.warning, *at.error, *at.info, *at.caption)]
    return "\n".join(str(p) for p in parts)


def test_no_classifier_banner_and_page_renders(app):
    assert not app.exception
    assert [w.value for w in app.warning] == [
        "No classifier is loaded, so there is no AI-vs-real score; file facts, metadata, Content Credentials "
        "and forensics still work. The page Model and settings says why, and how to load one."
    ]  # once, without backticks or CLI flags
    assert app.title[0].value == "Analyse one image"


def test_generated_png_shows_the_verdict_and_the_generator(app):
    info = PngInfo()
    info.add_text("parameters", "a castle\nSteps: 20, Sampler: Euler, Seed: 5, Model: sdxl")
    at = upload(app, "castle.png", encode(photo(), "PNG", pnginfo=info), "image/png")
    assert not at.exception
    text = all_text(at)
    assert "Substantial evidence of AI generation" in text
    # The ledger is full sentences (wrapped, never cut off in a table cell), not rule ids.
    assert "generator.automatic1111" not in text
    assert (
        "**declared** · synthesis: The file's metadata \\(png\\:parameters\\) says it was generated" in text
    )
    assert "Stable Diffusion web UI" in text
    assert text.count("No classifier is loaded") == 1 and "no-classifier" not in text and "`" not in text


def test_markup_in_metadata_is_shown_as_text(app):
    exif = camera_exif(make="<img src=x onerror=alert(1)>", model="[click](https://evil.example)")
    at = upload(app, "cam.jpg", encode(photo(), "JPEG", exif=exif), "image/jpeg")
    assert not at.exception
    markdown = "\n".join(m.value for m in at.markdown)
    assert "[click](https://evil.example)" not in markdown
    assert re.search(r"(?<!\\)<img", markdown) is None  # only escaped (\<img), shown as text
    assert "\\<img src=x onerror=alert\\(1\\)\\>" in markdown  # the verdict names the camera, escaped
    declared = at.dataframe[0].value  # shown in a table: rendered as plain text
    assert "<img src=x onerror=alert(1)>" in list(declared["value"])


def test_broken_file_shows_its_error_code(app):
    at = upload(app, "broken.jpg", b"\xff\xd8\xff\xe0 truncated", "image/jpeg")
    assert not at.exception
    assert "decode_failed" in at.error[0].value


BATCH = str(ROOT / "dashboard" / "views" / "batch_review.py")
SETTINGS_PAGE = str(ROOT / "dashboard" / "views" / "model_settings.py")


@pytest.fixture
def batch_app(monkeypatch, tiny_model):
    monkeypatch.setenv("FORENSICS_MODEL", str(tiny_model))
    monkeypatch.setenv("FORENSICS_FORENSICS", "false")
    return AppTest.from_file(BATCH, default_timeout=180).run()


def test_batch_review_table_keeps_failed_rows_and_expands_zips(batch_app):
    cam = encode(photo(seed=1), "JPEG", exif=camera_exif())
    archive = make_zip(
        {"inner/one.png": encode(photo(seed=2), "PNG"), "../escape.jpg": encode(photo(seed=3), "JPEG")}
    )
    at = batch_app
    at.file_uploader(key="batch_uploads").set_value(
        [
            ("cam.jpg", cam, "image/jpeg"),
            ("bundle.zip", archive, "application/zip"),
            ("broken.png", b"\x89PNG\r\n\x1a\nxx", "image/png"),
        ]
    )
    at.run()
    assert not at.exception
    assert "4 files analysed, 1 with errors." in [m.value for m in at.markdown]
    table = at.dataframe[0].value
    assert sorted(table["file"]) == sorted(
        [
            "cam.jpg",
            "bundle.zip/inner/one.png",
            "bundle.zip/escape.jpg (stored as '../escape.jpg')",
            "broken.png",
        ]
    )
    # Sorted by the weight of the evidence, not alphabetically: the failed file (no conclusion) is last.
    assert list(table["rank"]) == sorted(table["rank"]) and table["file"].iloc[3] == "broken.png"
    assert table["error"].iloc[3].startswith("decode_failed")
    assert table["AI score"].iloc[:3].notna().all() and pd.isna(table["AI score"].iloc[3])
    assert [b.label for b in at.get("download_button")] == ["Download CSV", "Download JSON"]


def test_batch_review_filter_by_verdict(batch_app):
    info = PngInfo()
    info.add_text("parameters", "x\nSteps: 1, Seed: 1")
    at = batch_app
    at.file_uploader(key="batch_uploads").set_value(
        [
            ("gen.png", encode(photo(), "PNG", pnginfo=info), "image/png"),
            ("cam.jpg", encode(photo(seed=4), "JPEG", exif=camera_exif()), "image/jpeg"),
        ]
    )
    at.run()
    at.multiselect(key="verdict_filter").set_value(["substantial evidence of AI generation"]).run()
    assert list(at.dataframe[0].value["file"]) == ["gen.png"]
    assert "Charts and groups show the 1 file(s) the filters above select." in [c.value for c in at.caption]
    assert any(r"gen\.png" in m.value and "Key evidence" in m.value for m in at.markdown)
    assert not any(r"cam\.jpg" in m.value for m in at.markdown)  # the evidence list follows the filter too


def test_settings_page_without_classifier_explains_how_to_load_one(monkeypatch):
    monkeypatch.setenv("FORENSICS_MODEL", "Modotte/AIRealNet")
    at = AppTest.from_file(SETTINGS_PAGE, default_timeout=60).run()
    assert not at.exception
    assert "No classifier is loaded" in at.error[0].value
    # How to fix it, once (the loader's reason says it; the page does not say it again).
    assert at.error[0].value.count("hf download") == 1
    assert "FORENSICS\\_MODEL=DIR" in at.error[0].value
    settings = at.dataframe[-1].value
    assert {"model", "trust_anchors", "stability"} <= set(settings["setting"])


def test_settings_page_with_a_model_names_its_revision(monkeypatch, tiny_model):
    monkeypatch.setenv("FORENSICS_MODEL", str(tiny_model))
    at = AppTest.from_file(SETTINGS_PAGE, default_timeout=60).run()
    assert not at.exception
    facts = dict(zip(at.dataframe[0].value.iloc[:, 0], at.dataframe[0].value["value"], strict=True))
    assert facts["Resolved revision"].startswith("local-sha256:")
    assert facts["Device"] == "cpu"
    # Whichever the CPU allows, said as a person reads it (bfloat16 keeps float32 near a decision).
    assert facts["Precision"] in (
        "float32",
        "bfloat16",
        "bfloat16; float32 where bfloat16 could move the score by more than 0.01",
    )


CASES_PAGE = str(ROOT / "dashboard" / "views" / "cases.py")


def click(at: AppTest, label: str) -> AppTest:
    next(b for b in at.button if b.label == label).click()
    return at.run()


def test_cases_page_create_review_verify_and_report(monkeypatch, tmp_path):
    monkeypatch.setenv("FORENSICS_CASE_STORE", str(tmp_path / "store"))
    monkeypatch.setenv("FORENSICS_CLASSIFIER", "false")
    monkeypatch.setenv("FORENSICS_ANALYST", "desk-editor")
    at = AppTest.from_file(CASES_PAGE, default_timeout=120).run()
    assert "No case yet" in at.info[0].value
    at.text_input(key="new_case_name").set_value("Election <night>")
    at = click(at, "Create case")
    assert at.success[0].value.startswith("Case created")

    from core.cases import CaseStore
    from core.context import make_context
    from core.pipeline import analyze
    from core.settings import Settings
    from core.sources import Source

    store = CaseStore(tmp_path / "store")
    data = encode(photo(), "JPEG", exif=camera_exif())
    result = analyze(Source.from_bytes("a.jpg", data), make_context(Settings(classifier=False)))
    item, _ = store.add_item(1, "a.jpg", data, result, "desk-editor")
    at.run()
    assert list(at.dataframe[1].value["file"]) == ["a.jpg"]
    at.radio(key=f"status-{item.id}").set_value("flagged").run()
    assert store.item(item.id).status == "flagged"
    at.text_area(key=f"new-note-{item.id}").set_value("Second source confirms the location")
    at = click(at, f"Add note to item {item.id}")
    assert store.notes(1)[0]["text"] == "Second source confirms the location"
    at = click(at, "Verify originals and chain of custody")
    assert "chain of custody is intact" in at.success[0].value
    at.selectbox(key="report_format").set_value("bundle")
    at = click(at, "Prepare report")
    assert [d.label for d in at.get("download_button")] == ["Download case-1-bundle.zip"]
    assert not at.exception
    actions = [e["action"] for e in store.audit_log(1)]
    assert actions == ["case_created", "item_added", "item_status", "note_added"]
    assert {e["actor"] for e in store.audit_log(1)} == {"desk-editor"}


def test_batch_files_can_be_added_to_a_case(batch_app, monkeypatch, tmp_path):
    from core.cases import CaseStore

    monkeypatch.setenv("FORENSICS_CASE_STORE", str(tmp_path / "store"))
    import streamlit as st

    st.cache_resource.clear()
    CaseStore(tmp_path / "store").create_case("Submissions", "x")
    at = AppTest.from_file(BATCH, default_timeout=180).run()
    at.file_uploader(key="batch_uploads").set_value([("a.jpg", encode(photo(seed=1), "JPEG"), "image/jpeg")])
    at.run()
    assert at.button(key="add_to_case").disabled  # nobody named: nothing can be added to a case
    at.session_state["analyst"] = "desk-editor"  # what the sidebar's name box holds once filled in
    at.file_uploader(key="batch_uploads").set_value(
        [("a.jpg", encode(photo(seed=1), "JPEG"), "image/jpeg"), ("bad.png", b"xx", "image/png")]
    )
    at.run()
    at = click(at, "Add to case")
    assert "2 added, 0 already in the case, 0 unreadable" in at.success[0].value
    assert [i.file_name for i in CaseStore(tmp_path / "store").items("Submissions")] == ["a.jpg", "bad.png"]
    assert {e["actor"] for e in CaseStore(tmp_path / "store").audit_log("Submissions")} == {
        "x",
        "desk-editor",
    }


def test_the_dashboard_process_never_decodes_an_upload(app, monkeypatch):
    """Previews and forensic maps are made in file workers: in this (the server's) process the
    image decoder is booby-trapped, and the page still shows the preview and the maps."""
    import sys

    import core.intake

    def trapped(*args, **kwargs):
        raise AssertionError("an upload was decoded in the dashboard's process")

    monkeypatch.setattr(sys.modules["core.intake.decode"], "decode", trapped)
    monkeypatch.setattr(core.intake, "decode", trapped)
    at = upload(app, "cam.jpg", encode(photo(), "JPEG", exif=camera_exif()), "image/jpeg")
    assert not at.exception
    assert len(at.get("image")) == 3  # the preview, then the forensic viewer's image and map


def test_reports_never_decode_originals_in_their_process(tmp_path, monkeypatch):
    import sys

    import core.intake
    from core.cases import CaseStore
    from core.context import make_context
    from core.pipeline import analyze
    from core.reports import build_report, render_pdf
    from core.settings import Settings
    from core.sources import Source

    store = CaseStore(tmp_path / "store")
    c = store.create_case("c", "ana")
    data = encode(photo(), "JPEG")
    store.add_item(
        c.id,
        "a.jpg",
        data,
        analyze(Source.from_bytes("a.jpg", data), make_context(Settings(classifier=False))),
        "ana",
    )

    def trapped(*args, **kwargs):
        raise AssertionError("an original was decoded in the report's process")

    monkeypatch.setattr(sys.modules["core.intake.decode"], "decode", trapped)
    monkeypatch.setattr(core.intake, "decode", trapped)
    report = build_report(store, c.id, settings=Settings(classifier=False))
    assert report["items"][0]["thumbnail_jpeg_b64"]
    assert render_pdf(report).startswith(b"%PDF")


def test_one_gauge_per_classifier(monkeypatch, tiny_model, tiny_model_swapped):
    monkeypatch.setenv("FORENSICS_MODEL", str(tiny_model))
    monkeypatch.setenv("FORENSICS_DETECTORS", str(tiny_model_swapped))
    monkeypatch.setenv("FORENSICS_FORENSICS", "false")
    at = AppTest.from_file(APP, default_timeout=120).run()
    at = upload(at, "cam.jpg", encode(photo(seed=2), "JPEG"), "image/jpeg")
    assert not at.exception
    assert "Inconclusive" in all_text(at) and "classifiers disagree" in all_text(at)
    gauges = [c for c in at.get("plotly_chart") if '"indicator"' in c.proto.spec]
    assert len(gauges) == 2
    captions = [c.value for c in at.caption]
    assert any(str(tiny_model_swapped).replace("_", "\\\\_") in c or "swapped" in c for c in captions)


def test_batch_page_lists_the_file_that_breaks_from_its_device_group(batch_app):
    files = [
        (
            f"p{i}.jpg",
            encode(photo(seed=i), "JPEG", exif=camera_exif(software="Firmware 1.8.1")),
            "image/jpeg",
        )
        for i in range(4)
    ]
    files.append(
        ("edited.jpg", encode(photo(seed=9), "JPEG", exif=camera_exif(software="GIMP 2.10")), "image/jpeg")
    )
    at = batch_app
    at.file_uploader(key="batch_uploads").set_value(files)
    at.run()
    assert not at.exception
    table = at.dataframe[-1].value
    assert list(table["file"]) == ["edited.jpg"]
    assert table["differs"].iloc[0] == "software GIMP 2.10 (the group: Firmware 1.8.1, 4 of 5)"


def test_a_proxy_header_names_nobody_unless_the_proxy_proves_itself(monkeypatch):
    """Regression: with `identity_header` set and no proxy in front, anyone could claim any
    analyst name by sending the header. It is believed only with the proxy's shared secret."""
    from dashboard.services import proxy_proven

    assert proxy_proven("s3cret-from-the-proxy", "s3cret-from-the-proxy")
    assert not proxy_proven("s3cret-from-the-proxy", "guess")
    assert not proxy_proven("s3cret-from-the-proxy", None)
    assert not proxy_proven("", "")  # no secret configured: nothing is proven

    monkeypatch.setenv("FORENSICS_CLASSIFIER", "false")
    monkeypatch.setenv("FORENSICS_IDENTITY_HEADER", "X-Forwarded-User")
    at = AppTest.from_file(APP, default_timeout=120).run()
    warnings = [w.value for w in at.sidebar.warning]
    assert any(
        "identity_header (X\\-Forwarded\\-User) is ignored: without proxy_secret" in w for w in warnings
    )
    assert at.sidebar.text_input(key="analyst")  # the person is asked instead
    monkeypatch.setenv("FORENSICS_PROXY_SECRET", "s3cret-from-the-proxy")
    import streamlit as st

    st.cache_resource.clear()  # a server restarted with the secret
    at = AppTest.from_file(APP, default_timeout=120).run()
    warnings = [w.value for w in at.sidebar.warning]
    assert any(
        "did not come through the sign-in proxy (no valid X-Desk-Proxy-Secret)" in w for w in warnings
    ), warnings
