"""The dashboard renders with Streamlit's AppTest and says clearly when no classifier is loaded."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT


def test_single_image_page_renders_with_no_classifier_banner(monkeypatch):
    monkeypatch.setenv("FORENSICS_MODEL", "Modotte/AIRealNet")  # not cached here: offline
    at = AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=120).run()
    assert not at.exception
    assert "No classifier is loaded" in at.warning[0].value
    assert "not on this machine" in at.warning[0].value
    assert at.title[0].value == "Analyse one image"
