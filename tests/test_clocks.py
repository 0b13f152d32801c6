"""The file's clocks against each other: GPS UTC time, capture time with and without its
offset, last change, file-name dates. Context findings with the values, never verdicts."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.analyzers.clocks import file_name_time
from core.context import make_context
from core.pipeline import analyze
from core.settings import Settings
from core.sources import Source
from tests.conftest import ROOT
from tests.images import camera_exif, encode, photo

GPS_SAMPLE = ROOT.parent / "shared" / "corpus" / "camera" / "exif-samples" / "jpg" / "gps" / "DSCN0010.jpg"


def scan(name: str, gps_date: str | None, gps_time: tuple | None, modified: str | None = None, **exif_args):
    exif = camera_exif(**exif_args)
    if gps_date:
        gps = exif.get_ifd(0x8825)
        gps[29], gps[7] = gps_date, gps_time
    if modified:
        exif[0x0132] = modified
    data = encode(photo((320, 240)), "JPEG", exif=exif)
    return analyze(Source.from_bytes(name, data), make_context(Settings(classifier=False, forensics=False)))


def rules(result) -> list[str]:
    return [f.rule for f in result.findings if f.rule.startswith("clocks.")]


def test_clocks_that_agree_give_no_finding():
    # 12:30:45 at +02:00 is 10:30:45 UTC, which the GPS receiver says too.
    r = scan("IMG_20240501_123045.jpg", "2024:05:01", (10.0, 30.0, 44.0))
    assert rules(r) == []
    assert r.cross_checks.clocks.clocks == {
        "captured": "2024-05-01T12:30:45+02:00",
        "gps_utc": "2024-05-01T10:30:44+00:00",
        "file_name": "2024-05-01T12:30:45",
    }
    # Without a recorded offset, a whole-hour difference is a time zone: nothing to report.
    assert rules(scan("a.jpg", "2024:05:01", (10.0, 30.0, 40.0), offset=None)) == []


def test_gps_time_that_no_time_zone_explains():
    r = scan("a.jpg", "2024:05:01", (3.0, 0.0, 0.0))  # UTC 03:00 against 10:30 UTC from the camera
    (finding,) = [f for f in r.findings if f.rule == "clocks.gps"]
    assert finding.strength == "context" and finding.data["gap"] == "+07:30"
    assert "2024-05-01T12:30:45+02:00" in finding.sentence and "2024-05-01T03:00:00+00:00" in finding.sentence
    no_zone = scan("a.jpg", "2024:05:02", (14.0, 7.0, 0.0), offset=None)
    assert [f.data["gap"] for f in no_zone.findings if f.rule == "clocks.gps"] == ["-25:36"]
    assert r.verdict.band == "camera metadata present, no AI declaration"  # context never decides


def test_changed_before_captured_and_a_file_name_from_another_day():
    r = scan("PXL_20230101_101010123.jpg", None, None, modified="2024:04:01 09:00:00")
    assert sorted(rules(r)) == ["clocks.file_name", "clocks.order"]
    order = next(f for f in r.findings if f.rule == "clocks.order")
    assert (
        "last changed (2024-04-01T09:00:00) before it was captured (2024-05-01T12:30:45+02:00)"
        in order.sentence
    )


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("IMG_20240101_123456.jpg", "2024-01-01T12:34:56"),
        ("PXL_20231224_235959123.jpg", "2023-12-24T23:59:59"),
        ("WhatsApp Image 2024-02-29 at 08.15.00.jpeg", "2024-02-29T08:15:00"),
        ("Screenshot_20240315-101112.png", "2024-03-15T10:11:12"),
        ("2024-13-45 photo.jpg", None),
        ("DSC_0042.JPG", None),
        ("photo 12345678901.jpg", None),
    ],
)
def test_dates_in_file_names(name, expected):
    found = file_name_time(name)
    assert (found.isoformat() if found else None) == expected


@pytest.mark.skipif(not GPS_SAMPLE.exists(), reason="the real-file corpus is not there")
def test_a_real_camera_whose_clock_and_gps_disagree():
    """A Nikon COOLPIX sample whose clock runs 21 h 58 min behind its own GPS fix."""
    r = analyze(Source.from_path(GPS_SAMPLE), make_context(Settings(classifier=False, forensics=False)))
    (finding,) = [f for f in r.findings if f.rule == "clocks.gps"]
    assert finding.data["gap"] == "-21:58"
    assert finding.data["clocks"]["gps_utc"] == "2008-10-23T14:27:07+00:00"
    assert Path(GPS_SAMPLE).name in r.path
