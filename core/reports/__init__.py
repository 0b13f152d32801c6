"""Reports: one report model, rendered as HTML, PDF, JSON or CSV, plus the verifiable case
bundle (``bundle.py``). ``core.exporters`` lists them with every other way out."""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from core.cases import ITEM_STATUS_LABELS
from core.escaping import escape_lines
from core.output import write_csv
from core.schema import to_dict

from .charts import score_chart
from .model import build_report, display_band, display_time, display_value
from .pdf import render_pdf

_TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html", "j2"], default=True),
    # Every value printed: control characters and bidi overrides from files shown as escapes
    # (``\u202e``) before HTML escaping, so they cannot reorder or hide the report's text.
    finalize=lambda value: escape_lines(value) if isinstance(value, str) else value,
)
_TEMPLATES.filters["when"] = display_time
_TEMPLATES.filters["details"] = display_value
_TEMPLATES.filters["band"] = display_band
_TEMPLATES.filters["status"] = lambda status: ITEM_STATUS_LABELS.get(status, status)

ITEM_COLUMNS = ("item_id", "item_status", "tags", "added_at", "added_by")


def render_html(report: dict) -> bytes:
    chart = score_chart(report)
    html = _TEMPLATES.get_template("report.html.j2").render(
        report=report, chart=base64.b64encode(chart).decode() if chart else None
    )
    return html.encode("utf-8")


def render_json(report: dict) -> bytes:
    """The report model as JSON; each item's result in the CLI's JSON schema."""
    return json.dumps(report, indent=2, ensure_ascii=False, default=to_dict).encode("utf-8")


def render_csv(report: dict) -> bytes:
    """One row per item: case columns, then the CLI's CSV columns (the CLI's writer)."""
    out = io.StringIO()
    rows = (
        ((i["id"], i["status"], ";".join(i["tags"]), i["added_at"], i["added_by"]), i["result"].to_dict())
        for i in report["items"]
    )
    write_csv(rows, out, ITEM_COLUMNS)
    return out.getvalue().encode("utf-8")


__all__ = [
    "build_report",
    "render_csv",
    "render_html",
    "render_json",
    "render_pdf",
]
