"""Reports: one report model, rendered by a registry of formats (HTML, PDF, JSON, CSV),
plus the verifiable case bundle (``bundle.py``)."""

from __future__ import annotations

import base64
import csv
import io
import json
from collections.abc import Callable
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from core.output import CSV_COLUMNS, csv_cell, dig

from .charts import score_chart
from .model import build_report
from .pdf import render_pdf

_TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html", "j2"], default=True),
)

ITEM_COLUMNS = ("item_id", "item_status", "tags", "added_at", "added_by")


def render_html(report: dict) -> bytes:
    chart = score_chart(report)
    html = _TEMPLATES.get_template("report.html.j2").render(
        report=report, chart=base64.b64encode(chart).decode() if chart else None
    )
    return html.encode("utf-8")


def render_json(report: dict) -> bytes:
    return json.dumps(report, indent=2, ensure_ascii=False).encode("utf-8")


def render_csv(report: dict) -> bytes:
    """One row per item: case columns, then the CLI's CSV columns (formulas neutralised)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(ITEM_COLUMNS + CSV_COLUMNS)
    for item in report["items"]:
        case_cells = (item["id"], item["status"], ";".join(item["tags"]), item["added_at"], item["added_by"])
        writer.writerow(
            [csv_cell(v) for v in case_cells] + [csv_cell(dig(item["result"], c)) for c in CSV_COLUMNS]
        )
    return out.getvalue().encode("utf-8")


RENDERERS: dict[str, Callable[[dict], bytes]] = {
    "html": render_html,
    "pdf": render_pdf,
    "json": render_json,
    "csv": render_csv,
}

__all__ = ["RENDERERS", "build_report", "render_csv", "render_html", "render_json", "render_pdf"]
