"""Batch review: many uploads (or ZIP archives) in one sortable, filterable table, with
charts, near-duplicate groups and exports in the CLI's schema.

Everything shown comes from ``core``; this page only lays it out. Very large batches
belong in the CLI (``python -m core scan``): uploads are held in server memory.
"""

from __future__ import annotations

import io
import time

import pandas as pd
import plotly.express as px
import streamlit as st

from core.ledger import BANDS
from core.output import write_results
from core.similarity import featureless_rows, near_duplicate_groups
from dashboard.services import add_uploads_to_case, analysis_context, analyze_uploads, case_store
from dashboard.ui import no_classifier_banner

st.title("Batch review")
ctx = analysis_context()
no_classifier_banner(ctx)

uploads = st.file_uploader(
    "Choose images or ZIP archives of images",
    accept_multiple_files=True,
    help="For thousands of files use the CLI.",
    key="batch_uploads",
)
if not uploads:
    st.info("Upload several images, or ZIP archives of images, to review them together.")
    st.stop()

progress = st.progress(0.0, text="Starting...")
started = time.monotonic()


def report(done: int, total: int) -> None:
    elapsed = time.monotonic() - started
    left = f", about {elapsed / done * (total - done):.0f} s left" if 0 < done < total else ""
    progress.progress(done / total if total else 1.0, text=f"{done} of {total} files analysed{left}")


results, thumbs = analyze_uploads([(u.name, u.getvalue()) for u in uploads], report)
progress.empty()
errors = sum(r.status == "error" for r in results)
st.write(f"{len(results)} files analysed, {errors} with errors.")

rows = []
for r, thumb in zip(results, thumbs, strict=True):
    cam = r.metadata.camera
    rows.append(
        {
            "thumbnail": thumb,
            "file": r.path,
            "error": f"{r.error.code}: {r.error.message}" if r.error else "",
            "verdict": r.verdict.band if r.verdict else "",
            "AI score": r.classifier.p_artificial if r.classifier else None,
            "unstable": r.stability.unstable if r.stability else None,
            "generator": r.provenance.generator.name or r.provenance.generator.tool or "",
            "camera": cam.display_name(),
            "make": cam.make or "",
            "software": r.metadata.software or "",
            "date": pd.to_datetime(r.metadata.datetime_original[:19], errors="coerce")
            if r.metadata.datetime_original
            else pd.NaT,
            "C2PA": r.provenance.c2pa.state or ("absent" if r.provenance.c2pa.present is False else ""),
            "sha256": r.file.sha256 or "",
        }
    )
table = pd.DataFrame(rows)

left, right = st.columns([2, 1])
bands = left.multiselect(
    "Verdict",
    [b for b in BANDS if b in set(table["verdict"])],
    placeholder="All verdicts",
    key="verdict_filter",
)
search = right.text_input("Search file, camera, software, generator", key="table_search")
shown = table
if bands:
    shown = shown[shown["verdict"].isin(bands)]
if search:
    haystack = shown[["file", "camera", "software", "generator"]].agg(" ".join, axis=1).str.lower()
    shown = shown[haystack.str.contains(search.lower(), regex=False)]

st.dataframe(
    shown.drop(columns=["make"]),
    hide_index=True,
    width="stretch",
    column_config={
        "thumbnail": st.column_config.ImageColumn("", width="small"),
        "error": st.column_config.TextColumn("error", width="medium"),
        "AI score": st.column_config.ProgressColumn("AI score", min_value=0.0, max_value=1.0, format="%.2f"),
        "unstable": st.column_config.CheckboxColumn("unstable"),
        "date": st.column_config.DatetimeColumn("captured", format="YYYY-MM-DD HH:mm"),
        "sha256": st.column_config.TextColumn("SHA-256", width="small"),
    },
)

buffer_csv, buffer_json = io.StringIO(), io.StringIO()
write_results(results, "csv", buffer_csv)
write_results(results, "json", buffer_json)
a, b = st.columns(2)
a.download_button("Download CSV", buffer_csv.getvalue(), "results.csv", "text/csv", width="stretch")
b.download_button(
    "Download JSON", buffer_json.getvalue(), "results.json", "application/json", width="stretch"
)

with st.expander("Add these files to a case"):
    open_cases = [c for c in case_store().cases() if c.status == "open"]
    if not open_cases:
        st.write("No open case yet: create one on the Cases page.")
    else:
        chosen = st.selectbox("Case", open_cases, format_func=lambda c: f"{c.name} ({c.items} items)")
        if st.button("Add to case"):
            added, present, skipped = add_uploads_to_case(
                chosen.id, [(u.name, u.getvalue()) for u in uploads], results
            )
            st.success(f"{added} added, {present} already in the case, {skipped} unreadable and not added.")

st.subheader("Charts")
scored = table.dropna(subset=["AI score"])
c1, c2 = st.columns(2)
if scored.empty:
    c1.write("No classifier scores to chart.")
else:
    fig = px.histogram(
        scored, x="AI score", color="verdict", nbins=20, range_x=[0, 1], title="Score distribution"
    )
    c1.plotly_chart(fig, width="stretch")
    by = scored.assign(
        source=scored["make"].where(scored["make"] != "", scored["software"]).replace("", "(none)")
    )
    fig = px.box(by, x="source", y="AI score", points="all", title="Scores by camera make or software")
    c2.plotly_chart(fig, width="stretch")
dated = table.dropna(subset=["date"])
if not dated.empty:
    fig = px.scatter(dated, x="date", y="AI score" if not scored.empty else "verdict", color="verdict",
                     hover_name="file", title="Capture dates")  # fmt: skip
    st.plotly_chart(fig, width="stretch")

st.subheader("Near-duplicate groups")
groups = near_duplicate_groups(results)
if not groups:
    st.write("No two images look alike (perceptual hash).")
if flat := featureless_rows(results):
    st.caption(
        f"{len(flat)} image(s) are too flat or small to compare: their perceptual hash holds almost no "
        "structure, so they are left out of the groups."
    )
for n, group in enumerate(groups, 1):
    with st.expander(f"Group {n}: {len(group)} images"):
        st.dataframe(table.iloc[group][["thumbnail", "file", "verdict", "AI score", "sha256"]], hide_index=True,
                     column_config={"thumbnail": st.column_config.ImageColumn("")})  # fmt: skip
