"""The real app in a real browser: ``streamlit run`` on a loopback port, driven by headless
Debian Chromium through Playwright (never a downloaded browser).

It uploads a few files including a broken one, waits for the table, downloads the CSV,
and checks that neither the browser console nor the server log shows an error.
Screenshots of every page land in ``test-artifacts/``. Outside CI the test is skipped
when Chromium is not installed; in CI (``CI`` set) a missing browser is a failure.
"""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.images import camera_exif, encode, photo

BATCH_INPUT = "input[type=file][multiple]"  # only the batch page accepts many files
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = ROOT / "test-artifacts"
# Chromium as root in a container, with no background traffic to hosts that cannot be reached.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        CHROMIUM is None and not os.environ.get("CI"),
        reason="Debian's chromium is not installed (CI installs it)",
    ),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory, tiny_model):
    port = free_port()
    log_path = tmp_path_factory.mktemp("server") / "streamlit.log"
    env = {
        **os.environ,
        "FORENSICS_MODEL": str(tiny_model),
        "HF_HUB_OFFLINE": "1",
        "FORENSICS_STABILITY": "false",
        # A case store of the test's own, never the user's.
        "FORENSICS_CASE_STORE": str(tmp_path_factory.mktemp("cases")),
        "FORENSICS_CASE_KEY": str(tmp_path_factory.mktemp("key") / "case.key"),
    }
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                "dashboard/app.py",
                "--server.port",
                str(port),
                "--server.address",
                "127.0.0.1",
                "--server.headless",
                "true",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                time.sleep(0.5)
        else:
            proc.kill()
            pytest.fail("streamlit did not start: " + log_path.read_text())
        yield url, log_path
        proc.terminate()
        proc.wait(timeout=20)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    assert CHROMIUM, "chromium is missing: .ci/run installs Debian's chromium package"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def wait_idle(page) -> None:
    """Until the script run is over (Streamlit removes its status widget) and charts have drawn."""
    page.wait_for_selector('[data-testid="stStatusWidget"]', state="detached", timeout=120_000)
    page.wait_for_timeout(1500)


def test_batch_upload_table_download_and_every_page(server, browser, tmp_path):
    url, log_path = server
    files = []
    for i in range(3):
        path = tmp_path / f"photo{i}.jpg"
        path.write_bytes(encode(photo(seed=i), "JPEG", exif=camera_exif()))
        files.append(str(path))
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    files.append(str(broken))

    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_page(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    console_errors: list[str] = []
    page.on("console", lambda m: m.type == "error" and console_errors.append(m.text))
    page.on("pageerror", lambda e: console_errors.append(str(e)))

    page.goto(url)
    page.get_by_text("Analyse one image").first.wait_for(timeout=60_000)
    page.wait_for_selector("input[type=file]", state="attached", timeout=60_000)
    page.set_input_files("input[type=file]", files[0])
    page.get_by_text("What this does not show").wait_for(timeout=120_000)
    page.get_by_role("tab", name="Forensics").click()
    wait_idle(page)
    page.screenshot(path=str(ARTIFACTS / "one-image.png"), full_page=True)

    page.get_by_role("link", name="Batch review").click()
    # The single-image uploader lingers until the batch page has rendered: wait for its own.
    page.wait_for_selector(BATCH_INPUT, state="attached", timeout=60_000)
    page.set_input_files(BATCH_INPUT, files)
    page.get_by_text("4 files analysed, 1 with errors.").wait_for(timeout=120_000)
    page.get_by_role("button", name="Download CSV").wait_for(timeout=60_000)
    wait_idle(page)
    # The table is a canvas grid; its accessible cells carry the text of every row.
    for name in ("photo0.jpg", "photo1.jpg", "photo2.jpg", "broken.png"):
        assert page.locator('[role="gridcell"]', has_text=name).count() >= 1, name
    page.screenshot(path=str(ARTIFACTS / "batch-review.png"), full_page=True)

    with page.expect_download() as download:
        page.get_by_role("button", name="Download CSV").click()
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8"))))
    assert [r["path"] for r in rows] == ["photo0.jpg", "photo1.jpg", "photo2.jpg", "broken.png"]
    assert [r["status"] for r in rows] == ["ok", "ok", "ok", "error"]
    assert rows[3]["error.code"] == "decode_failed"
    assert all(r["classifier.p_artificial"] for r in rows[:3])

    page.get_by_role("link", name="Model and settings").click()
    page.get_by_role("heading", name="Model and settings").wait_for(timeout=60_000)
    wait_idle(page)
    assert page.locator('[role="gridcell"]', has_text="local-sha256:").count() >= 1
    page.screenshot(path=str(ARTIFACTS / "model-and-settings.png"), full_page=True)

    assert console_errors == []
    log = log_path.read_text()
    assert "Traceback" not in log and "Error" not in log, log


def test_two_sessions_at_once_while_a_batch_with_bad_files_runs(server, browser, tmp_path):
    """One newsroom member runs a batch with broken files; another analyses one image meanwhile."""
    url, log_path = server
    batch = []
    for i in range(16):
        path = tmp_path / f"sub{i:02}.jpg"
        path.write_bytes(encode(photo((1600, 1200), seed=i), "JPEG", exif=camera_exif()))
        batch.append(str(path))
    for name, data in (
        ("empty.jpg", b""),
        ("text.png", b"not an image"),
        ("cut.jpg", encode(photo(), "JPEG")[:500]),
    ):
        (tmp_path / name).write_bytes(data)
        batch.append(str(tmp_path / name))
    single = tmp_path / "single.png"
    single.write_bytes(encode(photo(seed=99), "PNG"))

    errors: list[str] = []
    first, second = browser.new_page(), browser.new_page()
    for page in (first, second):
        page.on("console", lambda m: m.type == "error" and errors.append(m.text))
        page.goto(url)
        page.wait_for_selector("input[type=file]", state="attached", timeout=60_000)
    first.get_by_role("link", name="Batch review").click()
    first.wait_for_selector(BATCH_INPUT, state="attached", timeout=60_000)
    first.set_input_files(BATCH_INPUT, batch)  # starts the long run in session one
    second.set_input_files("input[type=file]", str(single))  # session two, at the same time
    second.get_by_text("What this does not show").wait_for(timeout=120_000)
    first.get_by_text(f"{len(batch)} files analysed, 3 with errors.").wait_for(timeout=240_000)
    assert errors == []
    assert "Traceback" not in log_path.read_text()


def _natural_sizes(page) -> list[tuple[int, int]]:
    """(width, height) of every picture the page shows, as decoded by the browser."""
    return [
        tuple(s)
        for s in page.eval_on_selector_all(
            '[data-testid="stImage"] img', "els => els.map(e => [e.naturalWidth, e.naturalHeight])"
        )
    ]


def test_a_desk_reviews_upright_pictures_sorted_verdicts_and_downloads_only_what_it_chose(
    server, browser, tmp_path
):
    """The defects a verification desk met, each checked in the browser: a rotated photo and its
    maps are shown upright; no Python values or Markdown backticks on screen; verdicts sorted by
    weight and the filter applied to charts; a report download matches the options shown; the
    PDF opens with a summary. Screenshots of every step go to test-artifacts/."""
    from PIL.PngImagePlugin import PngInfo
    from pypdf import PdfReader

    url, log_path = server
    ARTIFACTS.mkdir(exist_ok=True)
    rotated = (
        tmp_path / "rotated.jpg"
    )  # a 12 MP camera frame stored landscape, EXIF orientation 6: shown portrait
    rotated.write_bytes(
        encode(photo((4000, 3000), seed=7), "JPEG", quality=85, exif=camera_exif(orientation=6))
    )
    info = PngInfo()
    info.add_text("parameters", "a lighthouse\nSteps: 20, Seed: 3, Model: sdxl")
    generated = tmp_path / "generated.png"
    generated.write_bytes(encode(photo((320, 240), seed=8), "PNG", pnginfo=info))
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe0 cut")

    page = browser.new_page(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    missing: list[str] = []  # images fetched after a rerun had dropped them gave 404s
    page.on("response", lambda r: r.status >= 400 and missing.append(f"{r.status} {r.url}"))
    page.goto(url)
    page.wait_for_selector("input[type=file]", state="attached", timeout=60_000)
    page.get_by_role("textbox", name="Your name, for the chain of custody").fill("Desk editor")
    page.keyboard.press("Enter")
    wait_idle(page)
    page.set_input_files("input[type=file]", str(rotated))
    page.get_by_text("What this does not show").wait_for(timeout=120_000)
    page.get_by_role("tab", name="Forensics").click()
    wait_idle(page)
    page.screenshot(path=str(ARTIFACTS / "one-image-rotated.png"), full_page=True)
    sizes = _natural_sizes(page)
    assert len(sizes) >= 3 and all(h > w for w, h in sizes[:3]), sizes  # preview, image and map upright
    shown = page.inner_text('[data-testid="stMain"]')
    assert "`" not in shown and "None" not in shown.split() and "True" not in shown.split()
    for kind in ("Noise residual", "Spectrum", "Error level (ELA)"):  # each map, then the sliders moved
        page.locator('[data-testid="stRadio"]').get_by_text(kind, exact=True).click()
        wait_idle(page)
    page.get_by_role("slider", name="ELA re-save quality").focus()
    for _ in range(3):
        page.keyboard.press("ArrowLeft")
        page.wait_for_timeout(300)
    wait_idle(page)
    page.screenshot(path=str(ARTIFACTS / "one-image-12mp-portrait-ela-75.png"), full_page=True)
    sizes = _natural_sizes(page)
    assert len(sizes) >= 3 and all(h > w for w, h in sizes[:3]), sizes  # still upright, map included
    assert missing == []

    page.get_by_role("link", name="Batch review").click()
    page.wait_for_selector(BATCH_INPUT, state="attached", timeout=60_000)
    page.set_input_files(BATCH_INPUT, [str(rotated), str(generated), str(broken)])
    page.get_by_text("3 files analysed, 1 with errors.").wait_for(timeout=120_000)
    wait_idle(page)
    page.screenshot(path=str(ARTIFACTS / "batch-review-sorted.png"), full_page=True)
    # Empty cells are empty: no Python "None" (case-sensitive: "none" is a Content Credentials status).
    assert page.locator('[role="gridcell"]', has_text=re.compile(r"\bNone\b")).count() == 0
    listed = page.inner_text('[data-testid="stExpander"]')  # the verdicts, in the table's order
    assert listed.index("generated.png") < listed.index("rotated.jpg") < listed.index("broken.jpg")
    page.get_by_text("Add these files to a case").click()
    page.get_by_text("No open case yet").wait_for(timeout=30_000)

    page.get_by_role("link", name="Cases").click()
    page.get_by_role("textbox", name="New case name").fill("Harbour <fire>")
    page.get_by_role("button", name="Create case").click()
    page.get_by_text("Case created").wait_for(timeout=60_000)
    page.get_by_role("link", name="Batch review").click()
    page.wait_for_selector(BATCH_INPUT, state="attached", timeout=60_000)
    page.set_input_files(BATCH_INPUT, [str(rotated), str(generated), str(broken)])
    page.get_by_text("3 files analysed, 1 with errors.").wait_for(timeout=120_000)
    page.get_by_text("Add these files to a case").click()
    page.get_by_role("button", name="Add to case").click()
    page.get_by_text("3 added").wait_for(timeout=60_000)

    page.get_by_role("link", name="Cases").click()
    page.get_by_role("button", name="Prepare report").wait_for(timeout=60_000)
    wait_idle(page)
    page.screenshot(path=str(ARTIFACTS / "cases.png"), full_page=True)
    page.get_by_role("button", name="Prepare report").click()
    page.get_by_role("button", name="Download case-1.html").wait_for(timeout=60_000)
    page.get_by_text("Redact for sharing outside the newsroom").click()
    page.get_by_text("The options changed since the last report was prepared").wait_for(timeout=30_000)
    assert page.get_by_role("button", name="Download case-1.html").count() == 0  # never the unredacted file
    page.get_by_role("button", name="Prepare report").click()
    with page.expect_download() as download:
        page.get_by_role("button", name="Download case-1-redacted.html").click()
    assert "Redacted for external sharing" in Path(download.value.path()).read_text(encoding="utf-8")

    page.get_by_text("Redact for sharing outside the newsroom").click()
    wait_idle(page)
    page.locator('[data-testid="stSelectbox"]').filter(has=page.get_by_text("Format", exact=True)).click()
    page.get_by_role("option", name="pdf").click()
    wait_idle(page)
    page.get_by_role("button", name="Prepare report").click()
    with page.expect_download() as download:
        page.get_by_role("button", name="Download case-1.pdf").click()
    pdf = Path(download.value.path()).read_bytes()
    first = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert "Summary: 3 item(s)" in first and "Contact sheet" in first and "generated.png" in first
    assert "Not analysed (decode_failed)" in first and "No classifier score for any item" not in first
    import pypdfium2 as pdfium

    pdfium.PdfDocument(pdf)[0].render(scale=1.5).to_pil().save(ARTIFACTS / "report-first-page.png")
    assert errors == []
    assert "Traceback" not in log_path.read_text()
