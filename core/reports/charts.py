"""Static charts for reports (PNG via matplotlib, no browser needed): the classifier
scores of a case's items, coloured by verdict basis."""

from __future__ import annotations

import io

BASIS_COLOURS = {"verified": "#b22222", "declared": "#e07b00", "statistical": "#1f4e79", "none": "#888888"}


def score_chart(report: dict) -> bytes | None:
    """A horizontal bar per item with its p_artificial; None when no item has a score."""
    rows = [(i["file_name"], i["result"]["classifier"]["p_artificial"], (i["result"].get("verdict") or {}).get("basis", "none"))
            for i in report["items"] if i["result"].get("classifier")]  # fmt: skip
    if not rows:
        return None
    # Imported here: matplotlib costs a third of a second, and a scan never draws a chart.
    # The Figure API needs no GUI backend (no pyplot state shared between threads).
    from matplotlib.figure import Figure

    height = 1.2 + 0.28 * len(rows)
    fig = Figure(figsize=(7, min(height, 20)), dpi=110)
    ax = fig.subplots()
    names = [n if len(n) <= 40 else n[:39] + "…" for n, _, _ in rows]
    ax.barh(
        range(len(rows)), [p for _, p, _ in rows], color=[BASIS_COLOURS.get(b, "#888888") for _, _, b in rows]
    )
    ax.set_yticks(range(len(rows)), names, fontsize=7)
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.axvline(0.5, color="#444444", linestyle="--", linewidth=0.8)
    ax.set_xlabel("classifier probability for 'artificial' (colour: basis of the verdict)")
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()
