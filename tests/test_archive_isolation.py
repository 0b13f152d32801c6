"""Archives are listed and inflated only by file workers, on every surface (issue 23, item 1):
the CLI's and the dashboard server's memory stay flat whatever an archive inflates to, its
directory is checked from its end record before anything parses it, and self-extracting
archives are opened as unzip tools open them."""

from __future__ import annotations

import io
import json
import random
import struct
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

from core.context import make_context
from core.intake.archive import MAX_MEMBERS
from core.pipeline import analyze_batch
from core.settings import Settings
from core.sources import Source, list_sources
from tests.conftest import make_zip
from tests.images import encode, photo

ROOT = Path(__file__).resolve().parent.parent


def _analyse(sources):
    return analyze_batch(sources, make_context(Settings(classifier=False, forensics=False)))


def test_a_self_extracting_archive_is_opened_like_unzip_opens_it(tmp_path):
    picture = encode(photo(), "JPEG")
    stub = b"#!/bin/sh\necho extracting\nexit 0\n" + b"\x00" * 300  # a script, then the ZIP
    sfx = stub + make_zip({"inside.jpg": picture})
    path = tmp_path / "setup.sh"
    path.write_bytes(sfx)
    for sources in (list_sources([path], 10**8), Source.from_upload("setup.sh", sfx, 10**8)):
        (result,) = _analyse(sources)
        assert result.path.endswith("setup.sh/inside.jpg")
        assert (result.status, result.file.format, result.file.size_bytes) == ("ok", "jpeg", len(picture))


def test_a_picture_with_a_zip_appended_stays_the_picture_it_shows(tmp_path):
    polyglot = encode(photo(), "JPEG") + make_zip({"hidden.jpg": encode(photo(seed=4), "JPEG")})
    path = tmp_path / "photo.jpg"
    path.write_bytes(polyglot)
    for sources in (list_sources([path], 10**8), Source.from_upload("photo.jpg", polyglot, 10**8)):
        (result,) = analyze_batch(sources, make_context(Settings(classifier=False)))
        assert (result.path.endswith("photo.jpg"), result.status, result.file.format) == (True, "ok", "jpeg")
        assert "ZIP" in result.forensics.trailing_data.kind  # the appended archive is reported, not hidden


def _declaring(entries: int) -> bytes:
    """A one-member ZIP whose end record declares ``entries`` entries (as a crafted directory would)."""
    data = bytearray(make_zip({"a.jpg": encode(photo(), "JPEG")}))
    at = data.rfind(b"PK\x05\x06")
    data[at + 8 : at + 12] = struct.pack("<2H", entries, entries)
    return bytes(data)


def test_a_directory_declaring_too_many_entries_is_refused_before_it_is_parsed(tmp_path):
    crafted = _declaring(MAX_MEMBERS + 1)
    path = tmp_path / "many.zip"
    path.write_bytes(crafted)
    for sources in (list_sources([path], 10**8), Source.from_upload("many.zip", crafted, 10**8)):
        (result,) = _analyse(sources)
        assert (result.status, result.error.code) == ("error", "archive_refused")
        assert f"declares {MAX_MEMBERS + 1:,} entries" in result.error.message


def test_a_member_read_again_for_a_case_is_inflated_by_a_worker(tmp_path, monkeypatch):
    """``read_isolated`` (the case store's and the failure path's second read) never inflates in
    the caller: a worker does it, and its refusal comes back typed."""
    import core.sources

    data = make_zip({"a.jpg": encode(photo(), "JPEG")})
    (source,) = Source.from_upload("up.zip", data, 10**8)
    calls = []
    real = core.sources.run_limited
    monkeypatch.setattr(core.sources, "run_limited", lambda *a, **k: calls.append(a[0]) or real(*a, **k))
    assert source.read_isolated(10**8, 60, 1024) == zipfile.ZipFile(io.BytesIO(data)).read("a.jpg")
    assert calls == [core.sources.Source.read]  # read by a worker
    with pytest.raises(Exception) as refused:
        source.read_isolated(10, 60, 1024)
    assert getattr(refused.value, "code", "") == "file_too_large"


def _inflating_archive(members: int, member_bytes: int) -> bytes:
    """An archive of ``members`` members each inflating about 180:1 to ``member_bytes`` bytes."""
    rng = random.Random(7)
    gap = 800  # one random byte every 800 zeros deflates at about 180:1, under the 200:1 limit
    content = b"".join(bytes([rng.getrandbits(8)]) + b"\x00" * gap for _ in range(member_bytes // (gap + 1)))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for n in range(members):
            zf.writestr(f"part{n:02}.jpg", content)
    return buffer.getvalue()


SERVER = textwrap.dedent(
    """
    import json, resource, sys
    from streamlit.testing.v1 import AppTest

    archive = open(sys.argv[1], "rb").read()
    page = AppTest.from_file(sys.argv[2], default_timeout=600).run()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    page.file_uploader(key="batch_uploads").set_value([("submissions.zip", archive, "application/zip")])
    page.run()
    table = page.dataframe[0].value
    print(json.dumps({
        "before_kib": before,
        "after_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        "exception": [str(e.value) for e in page.exception],
        "rows": list(table["file"]),
        "errors": list(table["error"]),
    }))
    """
)


@pytest.mark.slow
def test_the_dashboard_servers_memory_stays_flat_while_an_inflating_archive_is_analysed(tmp_path):
    """Regression: a 21 MB ZIP of 14 members of 200 MB took the server from 257 MB to 3,456 MB.
    Here 12 members of 48 MB (576 MB inflated, about 3 MB uploaded): the server process (the
    one running the page; workers are its children) may not grow by more than 150 MB."""
    member_bytes = 48 * 1024**2
    archive = _inflating_archive(12, member_bytes)
    info = zipfile.ZipFile(io.BytesIO(archive)).infolist()[0]
    assert 150 < info.file_size / info.compress_size < 200  # a 180:1 archive, under the ratio limit
    upload = tmp_path / "submissions.zip"
    upload.write_bytes(archive)
    env = {"FORENSICS_CLASSIFIER": "false", "FORENSICS_FORENSICS": "false"}
    run = subprocess.run(
        [sys.executable, "-c", SERVER, str(upload), str(ROOT / "dashboard" / "views" / "batch_review.py")],
        capture_output=True,
        text=True,
        timeout=900,
        cwd=ROOT,
        env={**__import__("os").environ, **env},
    )
    assert run.returncode == 0, run.stderr[-3000:]
    seen = json.loads(run.stdout.strip().splitlines()[-1])
    assert seen["exception"] == []
    assert seen["rows"] == [f"submissions.zip/part{n:02}.jpg" for n in range(12)]
    # Each member was inflated (by a worker) and read as what it is: not a JPEG.
    assert all(e.startswith("not_an_image") for e in seen["errors"]), seen["errors"]
    grown_mb = (seen["after_kib"] - seen["before_kib"]) / 1024
    assert grown_mb < 150, f"the server grew by {grown_mb:.0f} MB"


def test_an_empty_archive_is_one_row_not_none(tmp_path):
    """Every file gets a row: a ZIP with no files (or only folders) is one error row saying so."""
    empty = make_zip({})
    folders = io.BytesIO()
    with zipfile.ZipFile(folders, "w") as zf:
        zf.writestr("photos/", b"")
    for name, data in (("empty.zip", empty), ("folders.zip", folders.getvalue())):
        (tmp_path / name).write_bytes(data)
        for sources in (list_sources([tmp_path / name], 10**8), Source.from_upload(name, data, 10**8)):
            (result,) = _analyse(sources)
            assert (result.status, result.error.code, result.error.message) == (
                "error",
                "archive_refused",
                "the ZIP archive holds no files",
            )


def test_a_zip64_directory_of_70000_entries_is_refused_from_its_end_record(tmp_path, monkeypatch):
    """Regression: a ZIP with 2 million entries was parsed (41 s, 971 MB) before it was refused.
    Its ZIP64 end record declares the count: refused before any parser reads the directory."""
    import zipfile as zipfile_module

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as zf:
        for n in range(70_000):  # more than 65,535: only the ZIP64 record can count them
            zf.writestr(str(n), b"")
    path = tmp_path / "many.zip"
    path.write_bytes(buffer.getvalue())
    parsed = []
    real = zipfile_module.ZipFile._RealGetContents
    monkeypatch.setattr(zipfile_module.ZipFile, "_RealGetContents", lambda zf: parsed.append(1) or real(zf))
    (source,) = list_sources([path], 10**8)
    assert (source.error.code, source.error.message) == (
        "archive_refused",
        "the ZIP archive declares 70,000 entries, more than 10,000",
    )
    assert parsed == []  # (the listing ran in a worker; nothing parsed it here either)
