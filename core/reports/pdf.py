"""The PDF report: the same content as the HTML report, laid out with fpdf2.

Text is set in DejaVu Sans (shipped inside matplotlib), so names and prompts in any
script that DejaVu covers print as they are; PDF text is not markup, so nothing from a
file can inject content.
"""

from __future__ import annotations

import base64
import io
import os

import matplotlib
from fpdf import FPDF

from core.escaping import escape_lines

from .charts import score_chart

FONT_DIR = os.path.join(matplotlib.get_data_path(), "fonts", "ttf")


def _pdf() -> FPDF:
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_font("DejaVu", "", os.path.join(FONT_DIR, "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", os.path.join(FONT_DIR, "DejaVuSans-Bold.ttf"))
    pdf.add_font("DejaVuMono", "", os.path.join(FONT_DIR, "DejaVuSansMono.ttf"))
    return pdf


def _text(pdf: FPDF, text: str, size: float = 9, style: str = "", family: str = "DejaVu") -> None:
    pdf.set_font(family, style, size)
    # Values from files may hold control characters or bytes no font draws: shown escaped.
    pdf.multi_cell(0, size * 0.5, escape_lines(str(text)), new_x="LMARGIN", new_y="NEXT", wrapmode="WORD")


def render_pdf(report: dict) -> bytes:
    pdf = _pdf()
    pdf.add_page()
    case = report["case"]
    _text(pdf, f"Case report: {case['name']}", 16, "B")
    _text(pdf, f"Case {case['id']} ({case['status']}), created {case['created_at']}. Generated {report['generated_at']} "
               f"by Image Evidence Desk {report['analysis']['tool_version']}.", 8)  # fmt: skip
    if report["redacted"]:
        _text(pdf, "Redacted for external sharing: GPS positions, serial numbers, owner and author names and "
                   "generation prompts are removed.", 9, "B")  # fmt: skip
    _text(pdf, "Each verdict is a band from a fixed vocabulary, never 'fake' or 'real'. Declarations protected by a "
               "valid C2PA signature weigh most, then declarations in metadata, then statistics.", 8)  # fmt: skip
    models = (
        ", ".join(f"{m['model']} @ {m['revision']}" for m in report["analysis"]["models"]) or "no classifier"
    )
    thresholds = report["analysis"]["thresholds"]
    _text(
        pdf, f"Models: {models}. Thresholds: " + ", ".join(f"{k} {v}" for k, v in thresholds.items()) + ".", 8
    )
    _text(pdf, "What was checked: " + "; ".join(
        f"{a['id']} {', '.join(a['versions'])} (ran on {a['ok']}, skipped {a['skipped']}, failed {a['failed']})"
        for a in report["analysis"]["analyzers"]) + ".", 8)  # fmt: skip
    chart = score_chart(report)
    if chart:
        pdf.ln(2)
        pdf.image(io.BytesIO(chart), w=170)
    for item in report["items"]:
        r = item["result"]
        pdf.add_page()
        _text(pdf, item["file_name"], 13, "B")
        _text(pdf, f"Item {item['id']}, status {item['status']}" + (f", tags: {', '.join(item['tags'])}" if item["tags"] else "")
              + f"; added {item['added_at']} by {item['added_by']}.", 8)  # fmt: skip
        if item.get("thumbnail_jpeg_b64"):
            pdf.image(io.BytesIO(base64.b64decode(item["thumbnail_jpeg_b64"])), w=60)
        verdict = r.get("verdict") or {}
        if verdict:
            _text(pdf, verdict["band"][:1].upper() + verdict["band"][1:], 12, "B")
            _text(pdf, verdict["sentence"], 9)
            for caveat in verdict.get("caveats", []):
                _text(pdf, "- " + caveat, 7.5)
        if r.get("error"):
            _text(pdf, f"Not analysed ({r['error']['code']}): {r['error']['message']}", 9)
        _text(pdf, "Evidence ledger", 10, "B")
        for f in r.get("findings", []):
            _text(pdf, f"[{f['strength']}, {f['direction']}] {f['sentence']}", 8)
        _text(pdf, "Key facts", 10, "B")
        meta, file = r.get("metadata") or {}, r.get("file") or {}
        gps = meta.get("gps")
        gen = (r.get("provenance") or {}).get("generator") or {}
        c2pa = (r.get("provenance") or {}).get("c2pa") or {}
        facts = [
            ("SHA-256", item["sha256"]),
            ("MD5", file.get("md5")),
            ("Format, size", f"{file.get('format')}, {file.get('width')} x {file.get('height')}, {item['size_bytes']} bytes"),
            ("Camera", item["camera"]),
            ("Software", meta.get("software")),
            ("Date-time original", meta.get("datetime_original")),
            ("GPS", f"{gps['lat']}, {gps['lon']}" if isinstance(gps, dict) else gps),
            ("Content Credentials", " ".join(filter(None, (c2pa.get("state"), c2pa.get("problem") and f"({c2pa['problem']})")))
             or ("absent" if c2pa.get("present") is False else "")),
            ("Generator", gen.get("name") or gen.get("tool")),
            ("Prompt", gen.get("prompt")),
            ("Classifier", f"{r['classifier']['p_artificial']:.2f} for 'artificial' ({r['classifier']['model']} @ "
                           f"{r['classifier']['revision']})" if r.get("classifier") else r.get("classifier_error")),
        ]  # fmt: skip
        for label, value in facts:
            if value:
                _text(
                    pdf,
                    f"{label}: {value}",
                    8,
                    family="DejaVuMono" if label in ("SHA-256", "MD5") else "DejaVu",
                )
        for note in item.get("notes", []):
            _text(pdf, f"Note, {note['created_at']}, {note['author']}: {note['text']}", 8)
    pdf.add_page()
    _text(pdf, "Chain of custody", 12, "B")
    head = report["audit_head"]
    _text(
        pdf, f"Audit head: {head['hash']} ({head['entries']} entries). Compare with `case verify` later.", 7.5
    )
    for a in report["audit"]:
        _text(
            pdf,
            f"#{a['id']} {a['at']} {a['actor']}: {a['action']} {a['details']} (hash {a['hash'][:16]}...)",
            7,
        )
    return bytes(pdf.output())
