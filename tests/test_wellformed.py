"""Results leave the file worker well-formed (``core.wellformed``), and no writer dies on a row:
a Latin-1 MakerNote string, NaN, oversized and exotic values, and a row that still cannot be
written (``output_failed``), through every output format of the CLI."""

from __future__ import annotations

import io
import json
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.output import OUTPUT_FAILED, write_parquet, write_results
from core.schema import NoiseResidual, ScanResult, Stability
from core.wellformed import MAX_DEPTH, MAX_ITEMS, MAX_TEXT_CHARS, TOO_DEEP, repair, repaired_tree, text
from tests.conftest import run_cli
from tests.images import encode, exif_with_canon_makernote, insert_jpeg_segment, photo

OWNER = "René Dupont"


def latin1_makernote_jpeg(seed: int = 0) -> bytes:
    """A Canon JPEG whose MakerNote OwnerName is stored in Latin-1, as two real Canon files of a
    desk's 250 were ("Ren\\xe8 ...")."""
    note = exif_with_canon_makernote({0x0009: OWNER.encode("latin-1") + b"\x00", 0x0095: b"EF50mm f/1.8\x00"})
    return insert_jpeg_segment(encode(photo((96, 64), seed=seed), "JPEG"), 0xE1, note)


def test_latin1_is_read_losslessly_and_the_notice_names_the_field():
    result = ScanResult(path="p", status="ok")
    result.metadata.raw["makernote"] = {"Canon.OwnerName": "Ren\udce9 Dupont"}
    repair(result)
    assert result.metadata.raw["makernote"]["Canon.OwnerName"] == OWNER
    assert OWNER.encode("latin-1") == b"Ren\xe9 Dupont"  # the file's bytes, recovered
    [notice] = result.notices
    assert notice.code == "text_not_utf8"
    assert notice.message.endswith("in: metadata.raw.makernote['Canon.OwnerName'].")


def test_stray_surrogates_nan_and_exotic_values_are_made_writable():
    import numpy as np

    result = ScanResult(path="p", status="ok")
    result.metadata.raw["x"] = {
        "score": float("nan"),
        "n": np.int64(3),
        "f": np.float32(0.5),
        "b": b"\xff\x00",
    }
    result.metadata.raw["xmp"] = {"pair\ud800": "half a pair: \ud800", "ok": "fine"}
    repair(result)
    assert result.metadata.raw["x"] == {"score": None, "n": 3, "f": 0.5, "b": "hex:ff00"}
    assert result.metadata.raw["xmp"] == {"pair\\ud800": "half a pair: \\ud800", "ok": "fine"}
    codes = {n.code for n in result.notices}
    assert codes == {"text_not_utf8", "number_not_finite"}
    json.dumps(result.to_dict(), ensure_ascii=False, allow_nan=False).encode("utf-8")


def test_sizes_are_bounded_and_say_so():
    deep: dict = {}
    node = deep
    for _ in range(MAX_DEPTH + 5):
        node["d"] = {}
        node = node["d"]
    result = ScanResult(path="p", status="ok")
    result.metadata.raw = {
        "long": "x" * (MAX_TEXT_CHARS + 10),
        "many": list(range(MAX_ITEMS + 5)),
        "deep": deep,
    }
    repair(result)
    raw = result.metadata.raw
    assert raw["long"].endswith(f"({MAX_TEXT_CHARS + 10:,} characters, first {MAX_TEXT_CHARS:,} kept)")
    assert len(raw["many"]) == MAX_ITEMS
    assert TOO_DEEP in json.dumps(raw["deep"])
    assert [n.code for n in result.notices] == ["value_trimmed"]


def test_a_clean_result_is_left_untouched():
    result = ScanResult(path="p", status="ok")
    result.metadata.raw["exif"] = {"Make": "Canon", "n": 1.5}
    raw = result.metadata.raw["exif"]
    repair(result)
    assert result.metadata.raw["exif"] is raw and result.notices == []
    tree = {"a": [1, {"b": "c"}]}
    assert repaired_tree(tree) == (tree, {}) and repaired_tree(tree)[0] is tree
    assert text("plain") == "plain" and text("Ren\udce8") == "Renè"


@pytest.mark.parametrize("fmt", ["jsonl", "json", "csv", "parquet"])
def test_a_scan_with_a_latin1_makernote_writes_one_row_per_file(tmp_path, fmt):
    folder = tmp_path / "photos"
    folder.mkdir()
    for i in range(3):
        (folder / f"plain{i}.jpg").write_bytes(encode(photo((96, 64), seed=i), "JPEG"))
    (folder / "canon_owner.jpg").write_bytes(latin1_makernote_jpeg())
    out = tmp_path / f"rows.{fmt}"
    proc = run_cli("scan", str(folder), "--no-classifier", "--format", fmt, "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.splitlines()[0] == "4 file(s) scanned, 0 with errors"
    if fmt == "parquet":
        import pyarrow.parquet as pq

        rows = [json.loads(r) for r in pq.read_table(out).column("result_json").to_pylist()]
    elif fmt == "csv":
        import csv

        rows = list(csv.DictReader(out.open(encoding="utf-8")))
    elif fmt == "json":
        rows = json.loads(out.read_text(encoding="utf-8"))
    else:
        rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert sorted(r["path"].rsplit("/", 1)[1] for r in rows) == [
        "canon_owner.jpg",
        "plain0.jpg",
        "plain1.jpg",
        "plain2.jpg",
    ]
    assert {r["status"] for r in rows} == {"ok"}
    if fmt != "csv":  # the CSV's columns hold no MakerNote; its row is there, whole
        canon = next(r for r in rows if r["path"].endswith("canon_owner.jpg"))
        assert canon["metadata"]["raw"]["makernote"]["Canon.OwnerName"] == OWNER
        notice = next(n for n in canon["notices"] if n["code"] == "text_not_utf8")
        assert "metadata.raw.makernote['Canon.OwnerName']" in notice["message"]


def test_text_that_is_not_unicode_is_shown_escaped_in_a_csv_cell():
    row = ScanResult(path="a.jpg", status="ok")
    row.metadata.software = "Ren\udce8"  # a lone surrogate: bytes that were not UTF-8
    out = io.StringIO()
    assert write_results([row], "csv", out).failed == []
    assert "Ren\\udce8" in out.getvalue()


def unwritable(path: str) -> ScanResult:
    """A row that bypassed the worker's repair (an old store, a bug): it holds a lone surrogate."""
    row = ScanResult(path=path, status="ok")
    row.file.sha256 = "ab" * 32
    row.metadata.raw["makernote"] = {"Canon.OwnerName": "Ren\udce8"}
    return row


@pytest.mark.parametrize("fmt", ["jsonl", "json", "csv"])
def test_a_row_that_cannot_be_written_becomes_an_output_failed_row(fmt):
    rows = [ScanResult(path="a.jpg", status="ok"), unwritable("b.jpg"), ScanResult(path="c.jpg", status="ok")]
    if fmt == "csv":  # text is shown escaped in a CSV cell; a number CSV cannot carry fails the row
        rows[1].metadata.raw = {}  # the CSV holds no MakerNote: its own column fails
        rows[1].stability = Stability(
            variants={}, min=float("nan"), median=0.5, max=0.5, flips=False, unstable=False
        )
    out = io.StringIO()
    written = write_results(rows, fmt, out)
    assert (written.rows, written.failed) == (3, ["b.jpg"])
    out.getvalue().encode("utf-8")
    if fmt == "csv":
        import csv

        parsed = list(csv.DictReader(io.StringIO(out.getvalue())))
    elif fmt == "json":
        parsed = json.loads(out.getvalue())
    else:
        parsed = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [r["path"] for r in parsed] == ["a.jpg", "b.jpg", "c.jpg"]
    failed = parsed[1]
    code = failed["error.code"] if fmt == "csv" else failed["error"]["code"]
    message = failed["error.message"] if fmt == "csv" else failed["error"]["message"]
    assert code == OUTPUT_FAILED
    field = "stability.min" if fmt == "csv" else "metadata.raw.makernote['Canon.OwnerName']"
    assert message.startswith(f"this file's analysis could not be written: {field} holds a value")
    assert (failed["file.sha256"] if fmt == "csv" else failed["file"]["sha256"]) == "ab" * 32


def test_parquet_writes_an_output_failed_row_too(tmp_path):
    import pyarrow.parquet as pq

    written = write_parquet(
        [unwritable("b.jpg"), ScanResult(path="c.jpg", status="ok")], str(tmp_path / "r.parquet")
    )
    assert written.failed == ["b.jpg"]
    table = pq.read_table(tmp_path / "r.parquet").to_pylist()
    assert [(r["path"], r["error.code"]) for r in table] == [("b.jpg", OUTPUT_FAILED), ("c.jpg", None)]


def test_the_cli_exit_code_and_summary_say_when_rows_failed(tmp_path, monkeypatch, capsys):
    """Exit code 3 and a line naming the rows; the other rows are all written."""
    import core.cli as cli

    rows = [unwritable("b.jpg"), ScanResult(path="c.jpg", status="ok")]
    monkeypatch.setattr(cli, "scan", lambda sources, ctx: iter(rows))
    monkeypatch.setattr(cli, "list_sources", lambda paths, limit: [None, None])
    out = tmp_path / "rows.jsonl"
    assert cli.main(["scan", str(tmp_path), "--no-classifier", "--out", str(out)]) == cli.OUTPUT_INCOMPLETE
    assert len(out.read_text(encoding="utf-8").splitlines()) == 2
    err = capsys.readouterr().err
    assert "1 row(s) could not be written in full and are output_failed error rows: b.jpg" in err


# Text a file can hold: any code point, lone surrogates included (what undecodable bytes become).
ANY_TEXT = st.text(
    alphabet=st.characters(min_codepoint=0, max_codepoint=0x10FFFF, exclude_categories=()), max_size=60
)
ANY_VALUE = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | ANY_TEXT
    | st.binary(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(ANY_TEXT, inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(raw=st.dictionaries(ANY_TEXT, ANY_VALUE, max_size=5), software=ANY_TEXT, gps=st.floats())
def test_any_value_a_parser_hands_over_is_written_by_every_format(raw, software, gps):
    result = ScanResult(path="x.jpg", status="ok")
    result.metadata.raw = {"exif": raw}
    result.metadata.software = software
    result.forensics.noise = NoiseResidual(mean_abs=gps, block_cv=0.0, flat_block_share=0.0)
    repair(result)
    for fmt in ("jsonl", "json", "csv"):
        out = io.StringIO()
        assert write_results([result], fmt, out).failed == []
        out.getvalue().encode("utf-8")
    value = result.forensics.noise.mean_abs
    assert value is None or math.isfinite(value)


def test_the_one_image_page_shows_the_latin1_owner_and_says_how_it_was_read(monkeypatch):
    from streamlit.testing.v1 import AppTest

    from tests.test_dashboard import APP

    monkeypatch.setenv("FORENSICS_CLASSIFIER", "false")
    at = AppTest.from_file(APP, default_timeout=120).run()
    at.file_uploader(key="image_upload").set_value(("canon.jpg", latin1_makernote_jpeg(), "image/jpeg")).run()
    at.text_input(key="upload-dump-search").set_value("OwnerName").run()
    assert not at.exception
    dump = next(f.value for f in at.dataframe if list(f.value.columns) == ["block", "key", "value"])
    assert dump.to_dict("records") == [{"block": "makernote", "key": "Canon.OwnerName", "value": OWNER}]
    notices = next(f.value for f in at.dataframe if list(f.value.columns) == ["code", "message"])
    [message] = notices.loc[notices["code"] == "text_not_utf8", "message"]
    assert message.startswith("Text that was not valid UTF-8 was read as Latin-1")
