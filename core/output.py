"""Result writers: JSON Lines, a JSON array, CSV or Parquet, all streamed one row at a time.

Every row is checked as it is written: one that cannot be written (results are repaired
where they leave the file worker, so this is rare) is replaced by an ``output_failed``
error row naming the field, and the scan goes on.

JSONL and JSON carry the full schema. CSV carries the flat columns in
``CSV_COLUMNS`` (the same keys, dotted), with spreadsheet formula injection
neutralised: a text cell starting with ``=``, ``+``, ``-``, ``@``, tab or carriage
return gets a leading apostrophe, as OWASP recommends for CSV exports.
"""

from __future__ import annotations

import contextlib
import csv
import json
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, BinaryIO, TextIO

from core.escaping import escape_lines
from core.schema import ErrorInfo, FileFacts, ScanResult, from_dict
from core.wellformed import repair, unwritable_field

# Rows per Parquet row group: the writer holds at most this many rows in memory.
PARQUET_ROWS_PER_GROUP = 1000

CSV_COLUMNS = (
    "path",
    "status",
    "error.code",
    "error.message",
    "file.name",
    "file.sha256",
    "file.md5",
    "file.size_bytes",
    "file.format",
    "file.extension",
    "file.extension_matches_format",
    "file.width",
    "file.height",
    "file.frames",
    "file.phash",
    "metadata.camera.make",
    "metadata.camera.model",
    "metadata.camera.lens",
    "metadata.software",
    "metadata.datetime_original",
    "metadata.gps.lat",
    "metadata.gps.lon",
    "classifier.model",
    "classifier.revision",
    "classifier.p_artificial",
    "classifier.label",
    "classifier_error",
    "stability.min",
    "stability.max",
    "stability.unstable",
    "provenance.ai_declared",
    "provenance.ai_edit_declared",
    "provenance.generator.tool",
    "provenance.generator.confidence",
    "provenance.c2pa.present",
    "provenance.c2pa.state",
    "provenance.c2pa.ingredients_state",
    "provenance.c2pa.problem",
    "verdict.band",
    "verdict.sentence",
    "schema_version",
)

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def dig(row: dict[str, Any], dotted: str) -> Any:
    """``dig(row, "metadata.gps.lat")``; None when any step is missing."""
    value: Any = row
    for key in dotted.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def csv_cell(value: Any) -> Any:
    """One CSV cell as a spreadsheet shows it: text with its control characters and bidi
    overrides escaped (an analyst name, an EXIF string; newlines stay, CSV quotes them) and
    formulas neutralised."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        value = escape_lines(value)
        return "'" + value if value.startswith(_FORMULA_START) else value
    return value


@dataclass
class Written:
    """What a writer wrote: ``rows`` in all, and the paths of those written as ``output_failed``
    error rows because their own row could not be written (``core.wellformed`` makes that
    rare: results are repaired where they leave the file worker)."""

    rows: int = 0
    failed: list[str] = field(default_factory=list)


OUTPUT_FAILED = "output_failed"


def failed_row(row: dict[str, Any], exc: Exception) -> dict[str, Any]:
    """The error row written in place of a row that cannot be written: its path, its file facts
    (hashes) and which field could not be written, so the file stays traceable."""
    problem = unwritable_field(row) or "a value"
    failed = ScanResult(
        path=str(row.get("path")), status="error", tool_version=str(row.get("tool_version") or "")
    )
    with contextlib.suppress(TypeError, ValueError, AttributeError):
        failed.file = from_dict(FileFacts, row.get("file") or {})
    failed.error = ErrorInfo(
        OUTPUT_FAILED,
        f"this file's analysis could not be written: {problem} holds a value "
        f"that this output cannot carry ({type(exc).__name__}); the other rows are complete",
    )
    return repair(failed).to_dict()


def _checked(row: dict[str, Any], encode: Callable[[dict], Any], written: Written) -> Any:
    """``encode(row)``, or ``encode`` of its ``output_failed`` row when the row cannot be written."""
    written.rows += 1
    try:
        return encode(row)
    except (UnicodeError, ValueError, TypeError, RecursionError) as exc:
        written.failed.append(str(row.get("path")))
        return encode(failed_row(row, exc))


def _json_line(row: dict) -> str:
    """A row as JSON text that any UTF-8 reader accepts: no NaN, no lone surrogate."""
    text = json.dumps(row, ensure_ascii=False, allow_nan=False)
    text.encode("utf-8")  # raises on a lone surrogate, before anything is written
    return text


def write_parquet(results: Iterable[ScanResult], out: str | BinaryIO) -> Written:
    """A Parquet file: the CSV columns as text (not formula-escaped: Parquet is not opened by
    spreadsheets as text) plus ``result_json``, the full record. Needs pyarrow
    (requirements-ray.txt)."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise ValueError("Parquet output needs pyarrow: pip install -r requirements-ray.txt") from None

    columns = [*CSV_COLUMNS, "result_json"]
    schema = pa.schema([(name, pa.string()) for name in columns])
    written = Written()

    def flat(row: dict) -> dict:
        cells = {c: _text(dig(row, c)) for c in CSV_COLUMNS}
        cells["result_json"] = _json_line(row)
        for value in cells.values():
            if value is not None:
                value.encode("utf-8")
        return cells

    with pq.ParquetWriter(out, schema) as writer:
        chunk: list[dict] = []
        for result in results:
            chunk.append(_checked(result.to_dict(), flat, written))
            if len(chunk) >= PARQUET_ROWS_PER_GROUP:
                writer.write_table(pa.Table.from_pylist(chunk, schema=schema))
                chunk = []
        if chunk or not written.rows:
            writer.write_table(pa.Table.from_pylist(chunk, schema=schema))
    return written


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, allow_nan=False)


def write_csv(
    rows: Iterable[tuple[Sequence[Any], dict[str, Any]]], out: TextIO, leading_columns: Sequence[str] = ()
) -> Written:
    """The one CSV writer (scans, dashboard downloads, case reports): one row per
    ``(leading values, result dict)``, the leading columns first, then ``CSV_COLUMNS``;
    every cell formula-neutralised; a row that cannot be written becomes its ``output_failed`` row."""
    writer = csv.writer(out)
    writer.writerow([*leading_columns, *CSV_COLUMNS])
    written = Written()
    for leading, row in rows:
        writer.writerow(_checked(row, lambda r, leading=leading: csv_cells(leading, r), written))
    return written


def csv_cells(leading: Sequence[Any], row: dict[str, Any]) -> list[Any]:
    """One CSV row's cells, each checked to be writable as UTF-8 (raises UnicodeError if not)."""
    cells = [csv_cell(v) for v in leading] + [csv_cell(dig(row, column)) for column in CSV_COLUMNS]
    for cell in cells:
        if isinstance(cell, str) and not cell.isascii():
            cell.encode("utf-8")
        elif isinstance(cell, float) and not math.isfinite(cell):
            raise ValueError("a number that is not finite")
    return cells


def write_results(results: Iterable[ScanResult], fmt: str, out: TextIO) -> Written:
    """Write every result to ``out`` as it arrives. A row that cannot be written becomes its
    ``output_failed`` row (listed in ``Written.failed``); the rows after it are written as usual."""
    if fmt == "csv":
        written = write_csv((((), result.to_dict()) for result in results), out)
    elif fmt in ("jsonl", "json"):
        written = Written()
        out.write("" if fmt == "jsonl" else "[")
        for result in results:
            line = _checked(result.to_dict(), _json_line, written)
            if fmt == "jsonl":
                out.write(line + "\n")
            else:
                out.write(("\n" if written.rows == 1 else ",\n") + line)
        out.write("" if fmt == "jsonl" else "\n]\n" if written.rows else "]\n")
    else:
        raise ValueError(
            f"unknown format {fmt!r}; use one of jsonl, json, csv (parquet writes a file: write_parquet)"
        )
    out.flush()
    return written
