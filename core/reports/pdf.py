"""The PDF report: the same content as the HTML report, laid out with fpdf2.

Text is set in DejaVu Sans (shipped inside matplotlib), so names and prompts in any
script that DejaVu covers print as they are; PDF text is not markup, so nothing from a
file can inject content.
"""

from __future__ import annotations

import base64
import io
import os
from typing import TYPE_CHECKING

from core.cases import ITEM_STATUS_LABELS
from core.escaping import escape_lines

from .charts import score_chart
from .model import display_band, display_time, display_value

if TYPE_CHECKING:
    from fpdf import FPDF


def _pdf() -> FPDF:
    # Imported here: fpdf2 and matplotlib (whose DejaVu fonts the PDF uses) cost a quarter of a
    # second at start-up, and most runs of the tool never write a PDF.
    import matplotlib
    from fpdf import FPDF

    font_dir = os.path.join(matplotlib.get_data_path(), "fonts", "ttf")
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_font("DejaVu", "", os.path.join(font_dir, "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", os.path.join(font_dir, "DejaVuSans-Bold.ttf"))
    pdf.add_font("DejaVuMono", "", os.path.join(font_dir, "DejaVuSansMono.ttf"))
    return pdf


def _text(pdf: FPDF, text: str, size: float = 9, style: str = "", family: str = "DejaVu") -> None:
    pdf.set_font(family, style, size)
    # Values from files may hold control characters or bytes no font draws: shown escaped.
    pdf.multi_cell(0, size * 0.5, escape_lines(str(text)), new_x="LMARGIN", new_y="NEXT", wrapmode="WORD")


def _table(
    pdf: FPDF, widths: tuple[int, ...], header: tuple[str, ...], rows: list[tuple], size: float = 7.5
) -> None:
    """A bordered table with a heading row; text cells escaped, bytes cells drawn as JPEG images."""
    pdf.set_font("DejaVu", "", size)
    with pdf.table(
        col_widths=widths,
        text_align="LEFT",
        line_height=size * 0.5,
        first_row_as_headings=True,
        width=sum(widths),
    ) as table:
        heading = table.row()
        for text in header:
            heading.cell(text)
        for values in rows:
            row = table.row()
            for value in values:
                if isinstance(value, bytes):
                    row.cell(img=io.BytesIO(value), img_fill_width=True)
                else:
                    row.cell(escape_lines("" if value is None else str(value)))


def render_pdf(report: dict) -> bytes:
    """A summary page first (counts by verdict band, a contact sheet, the score chart), then
    how the analysis was set up, one page per item, and the chain of custody as a table."""
    pdf = _pdf()
    pdf.add_page()
    case, summary = report["case"], report["summary"]
    _text(pdf, f"Case report: {case['name']}", 16, "B")
    _text(
        pdf,
        f"Case {case['id']} ({case['status']}), created {display_time(case['created_at'])}. Generated "
        f"{display_time(report['generated_at'])} by Image Evidence Desk {report['analysis']['tool_version']}.",
        8,
    )
    if report["redacted"]:
        _text(
            pdf,
            "Redacted for external sharing: GPS positions, serial numbers, owner and author names and "
            "generation prompts are removed.",
            9,
            "B",
        )
    _text(
        pdf,
        "Each verdict is a band from a fixed vocabulary, never 'fake' or 'real'. Declarations protected by a "
        "valid C2PA signature weigh most, then declarations in metadata, then statistics.",
        8,
    )
    pdf.ln(2)
    _text(pdf, f"Summary: {summary['items']} item(s)", 12, "B")
    _table(
        pdf, (150, 30), ("Verdict band", "Items"), [(b["band"], b["items"]) for b in summary["bands"]], 8.5
    )
    pdf.ln(2)
    _text(pdf, "Contact sheet", 12, "B")
    _table(
        pdf,
        (22, 35, 40, 73, 20),
        ("", "File", "Verdict", "Key evidence", "C2PA"),
        [
            (
                base64.b64decode(i["thumbnail_jpeg_b64"]) if i.get("thumbnail_jpeg_b64") else "",
                i["file_name"],
                i["band"],
                i["key_evidence"],
                i["c2pa"],
            )
            for i in report["items"]
        ],
    )
    chart = score_chart(report)
    if chart:
        pdf.ln(2)
        pdf.image(io.BytesIO(chart), w=170)

    pdf.add_page()
    _text(pdf, "How the analysis was set up", 12, "B")
    models = (
        ", ".join(f"{m['model']} @ {m['revision']}" for m in report["analysis"]["models"]) or "no classifier"
    )
    thresholds = report["analysis"]["thresholds"]
    _text(
        pdf,
        f"Models: {models}. Classifier thresholds: "
        + ", ".join(f"{k} {v}" for k, v in thresholds.items())
        + ".",
        8,
    )
    for note in summary["classifier_notes"]:
        _text(pdf, f"No classifier score for {note['items']} item(s): {note['reason']}", 7.5)
    if report["analysis"].get("calibration_profiles"):
        _text(
            pdf,
            "Calibration profiles cited: " + ", ".join(report["analysis"]["calibration_profiles"]) + ".",
            8,
        )
    _table(
        pdf,
        (70, 55, 15, 15, 15),
        ("What was checked", "Version", "Ran", "Skipped", "Failed"),
        [
            (f"{a['id']}: {a['description']}", ", ".join(a["versions"]), a["ok"], a["skipped"], a["failed"])
            for a in report["analysis"]["analyzers"]
        ],
        7,
    )
    if report.get("families") or report.get("families_untraced"):
        pdf.add_page()
        _text(pdf, "Copies of one picture", 12, "B")
        _text(
            pdf,
            "Items that show the same picture, each under the copy it was most likely made from. The closest "
            "copy is the closest of these items; the original itself may be elsewhere.",
            8,
        )
        for n, family in enumerate(report["families"], 1):
            _text(pdf, f"Family {n}: {len(family['copies'])} items", 10, "B")
            _text(pdf, f"Closest to the original: {family['closest']}: {family['why']}.", 8)
            _table(
                pdf,
                (45, 45, 90),
                ("Copy", "Made from", "Why"),
                [(e["child"], e["parent"], e["reason"]) for e in family["edges"]],
                7,
            )
    if report.get("families_untraced"):
        _text(
            pdf,
            f"{report['families_untraced']} item(s) are not in the desk's seen-before index (added while the "
            "setting seen_before was off), so their copies were not traced here; the Cases page traces them "
            "on request.",
            8,
        )
    for item in report["items"]:
        r = item["result"]
        pdf.add_page()
        _text(pdf, item["file_name"], 13, "B")
        _text(
            pdf,
            f"Item {item['id']}, status {ITEM_STATUS_LABELS.get(item['status'], item['status'])}"
            + (f", tags: {', '.join(item['tags'])}" if item["tags"] else "")
            + f"; added {display_time(item['added_at'])} by {item['added_by']}.",
            8,
        )
        if item.get("thumbnail_jpeg_b64"):
            pdf.image(io.BytesIO(base64.b64decode(item["thumbnail_jpeg_b64"])), w=60)
        if r.verdict is not None:
            _text(pdf, display_band(r.verdict.band), 12, "B")
            _text(pdf, r.verdict.sentence, 9)
            for caveat in r.verdict.caveats:
                _text(pdf, "- " + caveat, 7.5)
        if r.error is not None:
            _text(pdf, f"Not analysed ({r.error.code}): {r.error.message}", 9)
        _text(pdf, "Evidence ledger", 10, "B")
        for f in r.findings:
            _text(pdf, f"[{f.strength}, {f.direction}] {f.sentence}", 8)
        _text(pdf, "Key facts", 10, "B")
        for label, value in item["facts"]:
            _text(
                pdf, f"{label}: {value}", 8, family="DejaVuMono" if label in ("SHA-256", "MD5") else "DejaVu"
            )
        if item.get("credential_thumbnails"):
            _text(pdf, "Content Credentials: the thumbnails they carry", 10, "B")
            for thumb in item["credential_thumbnails"]:
                pdf.image(io.BytesIO(base64.b64decode(thumb["jpeg_b64"])), w=35)
                _text(pdf, thumb["caption"], 7.5)
        for note in item.get("notes", []):
            _text(pdf, f"Note, {display_time(note['created_at'])}, {note['author']}: {note['text']}", 8)
    pdf.add_page()
    _text(pdf, "Chain of custody", 12, "B")
    head = report["audit_head"]
    _text(
        pdf, f"Audit head: {head['hash']} ({head['entries']} entries). Compare with `case verify` later.", 7.5
    )
    _table(
        pdf,
        (10, 34, 28, 26, 72, 20),
        ("#", "When", "Who", "What", "Details", "Hash"),
        [
            (
                a["id"],
                display_time(a["at"]),
                a["actor"],
                a["action"],
                display_value(a["details"]),
                a["hash"][:10],
            )
            for a in report["audit"]
        ],
        6.5,
    )
    return bytes(pdf.output())
