"""The dashboard, driven with Streamlit's AppTest: uploads, the verdict, escaping, the no-classifier banner."""

from __future__ import annotations

import pytest
from PIL.PngImagePlugin import PngInfo
from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT
from tests.images import camera_exif, encode, photo

APP = str(ROOT / "dashboard" / "app.py")


@pytest.fixture
def app(monkeypatch):
    monkeypatch.setenv("FORENSICS_MODEL", "Modotte/AIRealNet")  # not cached here: offline
    monkeypatch.setenv("FORENSICS_STABILITY", "false")
    return AppTest.from_file(APP, default_timeout=120).run()


def upload(at: AppTest, name: str, data: bytes, mime: str) -> AppTest:
    at.file_uploader[0].set_value((name, data, mime))
    return at.run()


def all_text(at: AppTest) -> str:
    parts = [e.value for e in (*at.markdown, *at.warning, *at.error, *at.info, *at.caption)]
    return "\n".join(str(p) for p in parts)


def test_no_classifier_banner_and_page_renders(app):
    assert not app.exception
    assert "No classifier is loaded" in app.warning[0].value
    assert "not on this machine" in app.warning[0].value
    assert app.title[0].value == "Analyse one image"


def test_generated_png_shows_the_verdict_and_the_generator(app):
    info = PngInfo()
    info.add_text("parameters", "a castle\nSteps: 20, Sampler: Euler, Seed: 5, Model: sdxl")
    at = upload(app, "castle.png", encode(photo(), "PNG", pnginfo=info), "image/png")
    assert not at.exception
    text = all_text(at)
    assert "Substantial evidence of AI generation" in text
    ledger = at.dataframe[0].value
    assert "generator.automatic1111" not in ledger.columns  # sentences, not rule ids, are shown
    assert any("Stable Diffusion web UI" in s for s in ledger["finding"])


def test_markup_in_metadata_is_shown_as_text(app):
    exif = camera_exif(make="<img src=x onerror=alert(1)>", model="[click](https://evil.example)")
    at = upload(app, "cam.jpg", encode(photo(), "JPEG", exif=exif), "image/jpeg")
    assert not at.exception
    markdown = "\n".join(m.value for m in at.markdown)
    assert "[click](https://evil.example)" not in markdown
    assert "<img" not in markdown
    declared = at.dataframe[1].value  # shown in a table: rendered as plain text
    assert "<img src=x onerror=alert(1)>" in list(declared["value"])


def test_broken_file_shows_its_error_code(app):
    at = upload(app, "broken.jpg", b"\xff\xd8\xff\xe0 truncated", "image/jpeg")
    assert not at.exception
    assert "decode_failed" in at.error[0].value
