"""Static charts for reports (PNG via matplotlib, no browser needed): the classifier
scores of a case's items, coloured by verdict band (``Band.colour``, the colours the
dashboard uses too)."""

from __future__ import annotations

import io

from core.escaping import escape_unprintable
from core.thresholds import LABEL_BOUNDARY
from core.vocabulary import Band

# Up to this many scored items, one bar each; beyond, a histogram of the scores by band.
MAX_BARS = 40


def score_chart(report: dict) -> bytes | None:
    """The items' p_artificial, coloured by band; None when no item has a score."""
    rows = [
        (i["file_name"], i["result"].classifier.p_artificial, Band.of(i["band"]))
        for i in report["items"]
        if i["result"].classifier is not None
    ]
    if not rows:
        return None
    # Imported here: matplotlib costs a third of a second, and a scan never draws a chart.
    # The Figure API needs no GUI backend (no pyplot state shared between threads).
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    bands = [b for b in Band if any(band == b for _, _, band in rows)]
    colour = {b: b.colour for b in bands}
    if len(rows) <= MAX_BARS:
        fig = Figure(figsize=(7, 1.6 + 0.28 * len(rows)), dpi=110)
        ax = fig.subplots()
        ax.barh(range(len(rows)), [p for _, p, _ in rows], color=[colour[b] for _, _, b in rows])
        ax.set_yticks(range(len(rows)), [_label(n) for n, _, _ in rows], fontsize=7)
        ax.invert_yaxis()
        ax.set_xlim(0, 1)
        ax.axvline(LABEL_BOUNDARY, color="#444444", linestyle="--", linewidth=0.8)
    else:
        fig = Figure(figsize=(7, 3.5), dpi=110)
        ax = fig.subplots()
        ax.hist(
            [[p for _, p, band in rows if band == b] for b in bands],
            bins=20,
            range=(0, 1),
            stacked=True,
            color=[colour[b] for b in bands],
        )
        ax.set_ylabel("items")
    ax.set_xlabel("classifier probability for 'artificial' (colour: verdict band)")
    handles = [Patch(color=colour[b], label=b.value) for b in bands]
    ax.legend(
        handles=handles, fontsize=6, loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=2, frameon=False
    )
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight")
    return buf.getvalue()


def _label(name: str) -> str:
    """A file name as a tick label: escaped, shortened, and with ``$`` taken literally
    (matplotlib would read text between two dollars as mathematics, and fail on it)."""
    text = escape_unprintable(name)
    text = text if len(text) <= 40 else text[:39] + "…"
    return text.replace("$", r"\$")
