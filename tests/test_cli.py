"""``python -m core scan`` over folders of good and bad files, as a user runs it."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image
from PIL.PngImagePlugin import PngInfo

from core.cli import main
from core.output import CSV_COLUMNS
from core.schema import ScanResult
from tests.conftest import ROOT, run_cli
from tests.images import camera_exif, encode, photo, png_header_only

CONTRACT_KEYS = [
    "path",
    "status",
    "error",
    "file.sha256",
    "file.format",
    "file.width",
    "file.height",
    "metadata.camera.make",
    "metadata.camera.model",
    "metadata.software",
    "metadata.datetime_original",
    "metadata.gps",
    "classifier",
    "classifier_error",
    "provenance.ai_declared",
    "provenance.generator.tool",
    "provenance.c2pa.present",
    "provenance.c2pa.state",
]


def has_key(row: dict, dotted: str) -> bool:
    value = row
    for key in dotted.split("."):
        if not isinstance(value, dict) or key not in value:
            return False
        value = value[key]
    return True


# The error rows of ``mixed_folder``, whichever way it is scanned.
MIXED_FOLDER_ERRORS = {
    "notes.txt": "not_an_image",
    "empty.png": "empty_file",
    "bomb.png": "decompression_bomb",
    "truncated.jpg": "decode_failed",
}


@pytest.fixture
def mixed_folder(tmp_path) -> Path:
    root = tmp_path / "submissions"
    (root / "nested" / "deeper").mkdir(parents=True)
    (root / "camera.jpg").write_bytes(encode(photo(seed=1), "JPEG", exif=camera_exif()))
    (root / "nested" / "render.png").write_bytes(encode(photo(seed=2), "PNG"))
    (root / "nested" / "deeper" / "disguised.jpg").write_bytes(encode(photo(seed=3), "PNG"))
    (root / "nested" / "clip.webp").write_bytes(encode(photo(seed=4), "WEBP"))
    (root / "notes.txt").write_text("not an image")
    (root / "empty.png").write_bytes(b"")
    (root / "bomb.png").write_bytes(png_header_only(30_000, 30_000))
    good = encode(photo((600, 400), seed=5), "JPEG")
    (root / "truncated.jpg").write_bytes(good[: len(good) // 2])
    return root


def test_scan_folder_one_row_per_file_with_contract_keys(mixed_folder, tiny_model):
    proc = run_cli("scan", str(mixed_folder), "--model", str(tiny_model))
    assert proc.returncode == 0, proc.stderr
    rows = [json.loads(line) for line in proc.stdout.splitlines()]
    assert len(rows) == 8  # every file found, good or bad
    by_name = {Path(r["path"]).name: r for r in rows}
    for row in rows:
        assert all(has_key(row, key) for key in CONTRACT_KEYS), row["path"]
        assert row["schema_version"] == "2.0"
        ScanResult.from_dict(row)  # every row reads back into the schema
    ok = {n for n, r in by_name.items() if r["status"] == "ok"}
    assert ok == {"camera.jpg", "render.png", "disguised.jpg", "clip.webp"}
    errors = {n: r["error"]["code"] for n, r in by_name.items() if r["status"] == "error"}
    assert errors == MIXED_FOLDER_ERRORS
    cam = by_name["camera.jpg"]
    assert cam["metadata"]["camera"] == {
        "make": "Canon",
        "model": "Canon EOS R5",
        "lens": "RF24-105mm F4 L IS USM",
        "serial": "031021001234",
    }
    assert cam["metadata"]["gps"] == {"lat": 48.8583, "lon": 2.2945, "altitude_m": 35.5}
    assert cam["classifier"]["model"] == str(tiny_model)
    assert cam["classifier"]["revision"].startswith("local-sha256:")
    assert cam["classifier"]["label"] in ("artificial", "real")
    assert by_name["disguised.jpg"]["file"]["format"] == "png"
    assert by_name["disguised.jpg"]["file"]["extension_matches_format"] is False
    assert by_name["truncated.jpg"]["classifier"] is None
    assert "8 file(s) scanned, 4 with errors" in proc.stderr


def test_no_classifier_and_csv_output(mixed_folder, tmp_path, capsys):
    out = tmp_path / "out.csv"
    assert (
        main(["scan", str(mixed_folder), "--no-classifier", "--format", "csv", "--out", str(out), "--quiet"])
        == 0
    )
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert len(rows) == 8
    assert list(rows[0]) == list(CSV_COLUMNS)
    cam = next(r for r in rows if r["file.name"] == "camera.jpg")
    assert (cam["metadata.camera.make"], cam["metadata.gps.lat"], cam["classifier.p_artificial"]) == (
        "Canon",
        "48.8583",
        "",
    )
    assert cam["classifier_error"].startswith("classifier switched off")
    assert capsys.readouterr().err == ""


def test_metadata_only_scan_skips_pixels_but_keeps_facts_and_catches_truncation(mixed_folder, capsys):
    """Triage of a huge folder: no pixel decoding, yet the same facts, declarations and error rows."""
    good_png = encode(photo(seed=6), "PNG")
    (mixed_folder / "cut.png").write_bytes(good_png[: len(good_png) - 20])  # IEND cut off
    info = PngInfo()
    info.add_text("parameters", "a lighthouse\nSteps: 20, Sampler: Euler a, Seed: 7, Model: sdxl_base")
    (mixed_folder / "ai.png").write_bytes(encode(photo(seed=7), "PNG", pnginfo=info))
    assert main(["scan", str(mixed_folder), "--metadata-only", "--quiet"]) == 0
    rows = {Path(r["path"]).name: r for r in map(json.loads, capsys.readouterr().out.splitlines())}
    assert len(rows) == 10
    cam = rows["camera.jpg"]
    assert (cam["status"], cam["file"]["width"], cam["metadata"]["camera"]["make"]) == ("ok", 640, "Canon")
    assert cam["file"]["sha256"] and cam["file"]["phash"] is None and cam["classifier"] is None
    assert cam["classifier_error"].startswith("classifier not run: a metadata-only scan")
    assert [n["code"] for n in cam["notices"]] == ["pixels_not_decoded"]
    assert rows["ai.png"]["provenance"]["generator"]["tool"] == "automatic1111"
    assert rows["disguised.jpg"]["file"]["format"] == "png"
    errors = {name: r["error"]["code"] for name, r in rows.items() if r["status"] == "error"}
    assert errors == {**MIXED_FOLDER_ERRORS, "cut.png": "decode_failed"}
    assert "end-of-image marker" in rows["truncated.jpg"]["error"]["message"]


def test_json_array_output_is_valid_json(mixed_folder, capsys):
    assert (
        main(["scan", str(mixed_folder / "camera.jpg"), "--no-classifier", "--format", "json", "--quiet"])
        == 0
    )
    rows = json.loads(capsys.readouterr().out)
    assert [r["file"]["format"] for r in rows] == ["jpeg"]


def test_csv_neutralises_spreadsheet_formulas(tmp_path, capsys):
    evil = tmp_path / "=HYPERLINK(1).jpg"
    evil.write_bytes(encode(photo(), "JPEG", exif=camera_exif(make="@SUM(A1)", model="+cmd")))
    assert main(["scan", str(evil), "--no-classifier", "--format", "csv", "--quiet"]) == 0
    row = next(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert row["file.name"] == "'=HYPERLINK(1).jpg"
    assert (row["metadata.camera.make"], row["metadata.camera.model"]) == ("'@SUM(A1)", "'+cmd")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["scan", "/definitely/not/here"], "no such file or folder"),
        (["scan"], "the following arguments are required"),
        (["scan", ".", "--format", "xml"], "invalid choice"),
        (["scan", ".", "--batch-size", "0"], "must be positive"),
    ],
)
def test_usage_errors_exit_2(args, message):
    proc = run_cli(*args)
    assert proc.returncode == 2
    assert message in proc.stderr
    assert proc.stdout == ""


def test_library_messages_go_to_the_row_not_the_terminal(tmp_path):
    """Pillow warns about this palette PNG; the warning is the row's notice, stderr stays clean."""
    image = Image.new("P", (16, 16))
    image.putpalette(list(range(256)) * 3)
    path = tmp_path / "palette.png"
    image.save(path, "PNG", transparency=bytes([0, 128] + [255] * 254))
    proc = run_cli("scan", str(path), "--no-classifier")
    assert proc.returncode == 0
    assert proc.stderr.strip().splitlines() == [
        "1 file(s) scanned, 0 with errors",
        "Files by verdict band:",
        "1  no conclusion",
    ]
    (row,) = [json.loads(line) for line in proc.stdout.splitlines()]
    assert {
        "code": "library_messages",
        "message": "UserWarning: Palette images with Transparency expressed in "
        "bytes should be converted to RGBA images",
    } in row["notices"]


def test_a_terminal_gets_a_table_and_counts_by_band_files_and_pipes_get_rows(tmp_path):
    """On a terminal (no --format, no --out): one line per file and the counts by verdict band;
    ``--out -`` and pipes get JSON rows, never a file named "-"."""
    import os
    import pty

    info = PngInfo()
    info.add_text("parameters", "a castle\nSteps: 20, Seed: 5")
    (tmp_path / "gen.png").write_bytes(encode(photo(seed=1), "PNG", pnginfo=info))
    (tmp_path / "cam.jpg").write_bytes(encode(photo(seed=2), "JPEG", exif=camera_exif()))
    (tmp_path / "broken.jpg").write_bytes(b"\xff\xd8\xff")
    leader, follower = pty.openpty()
    proc = subprocess.run(
        [sys.executable, "-m", "core", "scan", str(tmp_path), "--no-classifier"],
        cwd=ROOT,
        stdout=follower,
        stderr=subprocess.PIPE,
        timeout=240,
    )
    os.close(follower)
    shown = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:
            break
        if not chunk:
            break
        shown += chunk
    os.close(leader)
    assert proc.returncode == 0
    lines = shown.decode().replace("\r\n", "\n").splitlines()
    message = json.loads(run_cli("scan", str(tmp_path / "broken.jpg")).stdout)["error"]["message"]
    assert [re.split(r"\s{2,}", line.strip()) for line in lines[:3]] == [
        ["-", "error decode_failed", f"{tmp_path}/broken.jpg: {message}"],
        ["-", "camera metadata present, no AI declaration", f"{tmp_path}/cam.jpg"],
        ["-", "substantial evidence of AI generation", f"{tmp_path}/gen.png"],
    ]
    assert lines[3:] == [
        "Files by verdict band:",
        "1  substantial evidence of AI generation",
        "1  camera metadata present, no AI declaration",
        "1  no conclusion",
    ]
    piped = run_cli("scan", str(tmp_path), "--no-classifier", "--out", "-")
    assert [json.loads(line)["path"].rsplit("/", 1)[1] for line in piped.stdout.splitlines()] == [
        "broken.jpg",
        "cam.jpg",
        "gen.png",
    ]
    assert not (ROOT / "-").exists()


def test_a_scan_ends_with_every_row_and_its_exit_code_through_a_pipe(tmp_path):
    """``python -m core scan`` skips the interpreter's teardown of its modules (1.3-1.6 s after
    the last row once the model is loaded) and otherwise ends as Python does: every row
    reaches the pipe (more than its buffer holds), the summary reaches standard error, and an
    error keeps its exit code and message."""
    for n in range(40):
        (tmp_path / f"photo-{n:02d}.jpg").write_bytes(encode(photo(seed=n), "JPEG", exif=camera_exif()))
    proc = subprocess.run(
        [sys.executable, "-m", "core", "scan", str(tmp_path), "--metadata-only", "--out", "-"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert proc.returncode == 0, proc.stderr
    assert len(proc.stdout) > 65536
    rows = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [row["path"].rsplit("/", 1)[1] for row in rows] == [f"photo-{n:02d}.jpg" for n in range(40)]
    assert {row["metadata"]["camera"]["make"] for row in rows} == {"Canon"}
    assert "40 file(s) scanned, 0 with errors" in proc.stderr
    refused = subprocess.run(
        [sys.executable, "-m", "core", "scan", str(tmp_path), "--format", "parquet"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert refused.returncode == 2
    assert "--format parquet writes a file: give --out FILE" in refused.stderr


def test_case_options_are_accepted_after_the_subcommand_too(tmp_path):
    store = str(tmp_path / "store")
    assert run_cli("case", "--store", store, "--analyst", "before", "new", "Flood").returncode == 0
    proc = run_cli("case", "note", "Flood", "seen on two channels", "--store", store, "--analyst", "after")
    assert proc.returncode == 0, proc.stderr
    from core.cases import CaseStore

    assert [e["actor"] for e in CaseStore(store).audit_log("Flood")] == ["before", "after"]


def test_scan_help_says_globs_work_without_ray():
    text = " ".join(run_cli("scan", "--help").stdout.split())
    assert 'quoted globs such as "photos/**/*.jpg"; with --engine ray also pyarrow URIs' in text


def test_case_words_typed_in_a_latin1_terminal_are_stored_by_the_latin1_rule(tmp_path):
    """argv bytes that are not UTF-8 (a Latin-1 terminal) arrive as surrogates; the note, the tag
    and the name are stored read as Latin-1, and every report renders them."""
    import os

    store = str(tmp_path / "store")
    env = {**os.environ, "PYTHONUTF8": "1"}

    def case(*args: bytes) -> subprocess.CompletedProcess:
        return subprocess.run(
            [
                sys.executable.encode(),
                b"-m",
                b"core",
                b"case",
                b"--store",
                store.encode(),
                b"--analyst",
                b"Jos\xe9",
                *args,
            ],
            cwd=ROOT,
            capture_output=True,
            env=env,
            timeout=240,
        )

    assert case(b"new", b"Caf\xe9").returncode == 0
    assert case(b"note", b"Caf\xe9", b"vu \xe0 la t\xe9l\xe9").returncode == 0
    from core.cases import CaseStore
    from core.reports import build_report, render_html

    store_ = CaseStore(store)
    assert store_.case("Café").name == "Café"
    assert [(n["author"], n["text"]) for n in store_.notes("Café")] == [("José", "vu à la télé")]
    report = build_report(store_, "Café", thumbnails=False)
    assert "vu à la télé" in render_html(report).decode("utf-8")


def test_a_metadata_only_scan_imports_only_what_it_needs(tmp_path):
    """Start-up decides small folders: a metadata-only scan never imports the model stack
    (torch, transformers, OpenVINO), pandas, OpenCV, NumPy, the seen-before index (usearch, ISCC)
    or the report stack (Jinja2, the PDF library, cryptography), in the process or in its file
    workers' preloaded modules, at the default settings of a desk without an index; its row is
    still whole."""
    import os
    import subprocess
    import sys

    from tests.images import camera_exif, encode, photo

    path = tmp_path / "camera.jpg"
    path.write_bytes(encode(photo(), "JPEG", exif=camera_exif()))
    heavy = [
        "torch",
        "transformers",
        "openvino",
        "pandas",
        "cv2",
        "numpy",
        "usearch",
        "iscc_core",
        "jinja2",
        "fpdf",
        "cryptography",
        "plotly",
        "pyarrow",
    ]
    probe = (
        "import sys, json\n"
        "from core.cli import main\n"
        f"code = main(['scan', {str(path)!r}, '--metadata-only', '--quiet', '--out', {str(tmp_path / 'rows.jsonl')!r}])\n"
        "import core.pipeline\n"  # what each file worker preloads
        f"print(json.dumps([code, [m for m in {heavy!r} if m in sys.modules]]))\n"
    )
    env = {**os.environ, "FORENSICS_SEEN_BEFORE": "auto", "XDG_DATA_HOME": str(tmp_path / "data")}
    proc = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, cwd=ROOT, env=env
    )
    code, imported = json.loads(proc.stdout.splitlines()[-1])
    assert (code, imported) == (0, [])
    (row,) = [json.loads(line) for line in (tmp_path / "rows.jsonl").read_text().splitlines()]
    assert row["metadata"]["camera"]["make"] == "Canon"
