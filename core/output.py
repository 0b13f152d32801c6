"""Result writers: JSON Lines, a JSON array, or CSV, all streamed one row at a time.

JSONL and JSON carry the full schema. CSV carries the flat columns in
``CSV_COLUMNS`` (the same keys, dotted), with spreadsheet formula injection
neutralised: a text cell starting with ``=``, ``+``, ``-``, ``@``, tab or carriage
return gets a leading apostrophe, as OWASP recommends for CSV exports.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Sequence
from typing import Any, TextIO

from core.schema import ScanResult

FORMATS = ("jsonl", "json", "csv", "parquet")
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
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def write_parquet(results: Iterable[ScanResult], path: str) -> int:
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
    count = 0
    with pq.ParquetWriter(path, schema) as writer:
        chunk: list[dict] = []
        for result in results:
            row = result.to_dict()
            flat = {c: _text(dig(row, c)) for c in CSV_COLUMNS}
            flat["result_json"] = json.dumps(row, ensure_ascii=False)
            chunk.append(flat)
            count += 1
            if len(chunk) >= PARQUET_ROWS_PER_GROUP:
                writer.write_table(pa.Table.from_pylist(chunk, schema=schema))
                chunk = []
        if chunk or not count:
            writer.write_table(pa.Table.from_pylist(chunk, schema=schema))
    return count


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def write_csv(rows: Iterable[tuple[Sequence[Any], dict[str, Any]]], out: TextIO,
              leading_columns: Sequence[str] = ()) -> int:  # fmt: skip
    """The one CSV writer (scans, dashboard downloads, case reports): one row per
    ``(leading values, result dict)``, the leading columns first, then ``CSV_COLUMNS``;
    every cell formula-neutralised. Returns the number of rows."""
    writer = csv.writer(out)
    writer.writerow([*leading_columns, *CSV_COLUMNS])
    count = 0
    for leading, row in rows:
        writer.writerow(
            [csv_cell(v) for v in leading] + [csv_cell(dig(row, column)) for column in CSV_COLUMNS]
        )
        count += 1
    return count


def write_results(results: Iterable[ScanResult], fmt: str, out: TextIO) -> int:
    """Write every result to ``out`` as it arrives; returns the number of rows."""
    count = 0
    if fmt == "csv":
        count = write_csv((((), result.to_dict()) for result in results), out)
    elif fmt == "jsonl":
        for result in results:
            out.write(json.dumps(result.to_dict(), ensure_ascii=False) + "\n")
            count += 1
    elif fmt == "json":
        out.write("[")
        for result in results:
            out.write(("\n" if count == 0 else ",\n") + json.dumps(result.to_dict(), ensure_ascii=False))
            count += 1
        out.write("\n]\n" if count else "]\n")
    else:
        raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    out.flush()
    return count
