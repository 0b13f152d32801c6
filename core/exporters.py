"""Every way out of the tool, in one table (after Datasette's renderers): each format's name
(the CLI's ``--format`` value), file extension, media type and writer.

Two kinds, by what they write: ``rows`` formats write scan results as they arrive (``python
-m core scan``, the batch page's downloads); ``case`` formats write a whole case (``python -m
core case report``, the Cases page). The CLI's choices and the dashboard's downloads are built
from this table, so a format added here is offered everywhere.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Literal

from core.output import Written, write_parquet, write_results

if (
    TYPE_CHECKING
):  # the report stack (Jinja2, the PDF library, cryptography) is imported when a case is written
    from core.cases import CaseStore
    from core.schema import ScanResult
    from core.settings import Settings


@dataclass(frozen=True)
class CaseExport:
    """What a case format is asked to write."""

    store: CaseStore
    case: int | str
    redact: bool = False
    settings: Settings | None = None
    signing_key_pem: bytes | None = None  # the bundle's Ed25519 key, when it is signed


@dataclass(frozen=True)
class Exporter:
    name: str
    kind: Literal["rows", "case"]
    extension: str
    mime: str
    help: str
    # rows: (results, out) -> Written; case: (CaseExport, out) -> None. ``out`` is a binary stream.
    write: Callable[..., Written | None]
    # Case reports: the report model (``core.reports.build_report``) to bytes.
    render: Callable[[dict], bytes] | None = None
    text: bool = True  # it may be written to a terminal (stdout)
    redactable: bool = True  # case formats: can be redacted for sharing outside the newsroom

    def file_name(self, stem: str) -> str:
        """``case-1.html``; ``case-1-bundle.zip`` where the extension does not name the format."""
        return (
            f"{stem}.{self.extension}"
            if self.extension == self.name
            else f"{stem}-{self.name}.{self.extension}"
        )

    def to_bytes(self, source) -> bytes:
        """The whole output in memory (the dashboard's downloads)."""
        out = io.BytesIO()
        self.write(source, out)
        return out.getvalue()


def _rows(name: str, mime: str, help: str) -> Exporter:
    def write(results: Iterable[ScanResult], out: BinaryIO) -> Written:
        text = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=True)
        try:
            return write_results(results, name, text)
        finally:
            text.detach()  # the stream stays open for its owner (stdout, an open file)

    return Exporter(name, "rows", name, mime, help, write)


def _renderer(name: str) -> Callable[[dict], bytes]:
    """``core.reports``' renderer ``name``, imported when first used: a scan never loads the report stack."""

    def render(report: dict) -> bytes:
        from core import reports

        return getattr(reports, name)(report)

    return render


def _report(
    name: str,
    mime: str,
    help: str,
    render: Callable[[dict], bytes],
    thumbnails: bool = True,
    text: bool = True,
) -> Exporter:
    # Thumbnails are made in a file worker, one per item: only formats that show or carry them
    # pay for them (a CSV of 500 items need not wait for 500 previews).
    def write(job: CaseExport, out: BinaryIO) -> None:
        from core.reports.model import build_report

        report = build_report(
            job.store, job.case, redact=job.redact, settings=job.settings, thumbnails=thumbnails
        )
        out.write(render(report))

    return Exporter(name, "case", name, mime, help, write, render, text=text)


def _bundle(job: CaseExport, out: BinaryIO) -> None:
    from core.reports.bundle import create_bundle

    if job.redact:
        raise ValueError("the bundle is the internal record and is never redacted; use another format")
    create_bundle(job.store, job.case, out, signing_key_pem=job.signing_key_pem, settings=job.settings)


EXPORTERS: tuple[Exporter, ...] = (
    _rows("jsonl", "application/jsonl", "one JSON row per file, the full schema"),
    _rows("json", "application/json", "a JSON array of the rows"),
    _rows("csv", "text/csv", "the flat columns, formula-neutralised"),
    Exporter(
        "parquet",
        "rows",
        "parquet",
        "application/vnd.apache.parquet",
        "the CSV columns plus the full row as result_json (needs pyarrow)",
        write_parquet,
        text=False,
    ),
    _report("html", "text/html", "the case report as a web page", _renderer("render_html")),
    _report("pdf", "application/pdf", "the case report as a PDF", _renderer("render_pdf"), text=False),
    _report("json", "application/json", "the case report's data", _renderer("render_json")),
    _report("csv", "text/csv", "one row per item", _renderer("render_csv"), thumbnails=False),
    Exporter(
        "bundle",
        "case",
        "zip",
        "application/zip",
        "the verifiable bundle: originals, results, reports, manifest (never redacted)",
        _bundle,
        text=False,
        redactable=False,
    ),
)


def formats(kind: Literal["rows", "case"]) -> dict[str, Exporter]:
    """The formats of one kind, by name, in the table's order."""
    return {e.name: e for e in EXPORTERS if e.kind == kind}


def write_file(exporter: Exporter, source, path: str | Path) -> Written | None:
    """Write one output to a file, whole or not at all: a format that fails (a case that does
    not exist, a bundle asked to be redacted) leaves no half-written file behind."""
    path = Path(path)
    part = path.with_name(f".{path.name}.part")
    try:
        with open(part, "wb") as out:
            written = exporter.write(source, out)
        os.replace(part, path)
    finally:
        part.unlink(missing_ok=True)
    return written
