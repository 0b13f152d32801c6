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

from core.batch_outliers import MIN_GROUP, batch_outliers, describe
from core.escaping import escape_unprintable
from core.exporters import formats
from core.index.seen import in_brief
from core.index.tree import Copy, families
from core.similarity import featureless_rows, near_duplicate_groups
from core.vocabulary import BAND_COLOURS, Band
from dashboard.families_view import show_families
from dashboard.result_view import ROW_WRAPS
from dashboard.services import (
    add_uploads_to_case,
    analysis_context,
    analyze_uploads,
    case_store,
    identity,
    upload_fingerprints,
)
from dashboard.ui import dataframe, no_classifier_banner, panel, safe, upload_limit

# A transparent 1x1 PNG for rows without a thumbnail (the grid would print "None").
# The rows formats offered as downloads (the others need a file or an extra library: the CLI has them).
DOWNLOADS = ("csv", "json")
BLANK_THUMBNAIL = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="

st.title("Batch review")
ctx = analysis_context()
no_classifier_banner(ctx)

uploads = st.file_uploader(
    "Choose images or ZIP archives of images",
    accept_multiple_files=True,
    help="For thousands of files use the CLI.",
    key="batch_uploads",
    max_upload_size=ctx.settings.max_file_mb,  # the limit the analysis enforces (setting max_file_mb)
)
upload_limit(ctx.settings.max_file_mb, archives=True)
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
    band = r.verdict.band.value if r.verdict else ""
    rows.append(
        {
            "thumbnail": thumb,
            "file": r.path,
            "error": f"{r.error.code}: {r.error.message}" if r.error else "",
            # 1 = the strongest band: sorting by it sorts by the weight of the evidence, not alphabetically.
            "rank": Band.rank_of(band),
            "verdict": band,
            "AI score": r.classifier.p_artificial if r.classifier else None,
            # Values from files, escaped once here: they feed the table, the search and the charts.
            "generator": escape_unprintable(r.provenance.generator.name or r.provenance.generator.tool or ""),
            "camera": escape_unprintable(cam.display_name()),
            "make": escape_unprintable(cam.make or ""),
            "software": escape_unprintable(r.metadata.software or ""),
            "date": pd.to_datetime(r.metadata.datetime_original[:19], errors="coerce")
            if r.metadata.datetime_original
            else pd.NaT,
            "C2PA": str(r.provenance.c2pa.state or ""),
            "sha256": r.file.sha256 or "",
            "origin": escape_unprintable(r.claimed_origin()),
            "seen": in_brief(r),  # the desk's earlier copy, when its seen-before index has one
        }
    )
table = pd.DataFrame(rows).sort_values("rank", kind="stable")

left, right = st.columns([2, 1])
bands = left.multiselect(
    "Verdict",
    [b.value for b in Band if b in set(table["verdict"])],
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

with panel("The table"):
    st.caption(
        "Sorted by the weight of the evidence (rank 1 is the strongest band); click a header to re-sort."
    )
    # Nine columns fit 1400 px beside the sidebar (930 px of columns): the origin the file claims (generator, camera,
    # software; or its error) is one column, the capture day another; the CSV has every field apart.
    # Rows are tall enough for long file names and bands to wrap instead of being cut.
    dataframe(
        shown.assign(
            thumbnail=shown["thumbnail"].fillna(BLANK_THUMBNAIL),
            captured=shown["date"].dt.strftime("%Y-%m-%d").fillna(""),
            score=shown["AI score"].map(lambda p: "" if pd.isna(p) else f"{p:.2f}"),
            sha=shown["sha256"].str[:10],
        ),
        hide_index=True,
        width="stretch",
        row_height=ROW_WRAPS,
        column_order=["thumbnail", "file", "rank", "verdict", "score", "C2PA", "origin", "captured", "sha"]
        + (["seen"] if shown["seen"].astype(bool).any() else []),
        column_config={
            "thumbnail": st.column_config.ImageColumn("", width=56),
            "file": st.column_config.TextColumn("file", width=190, pinned=True),
            "rank": st.column_config.NumberColumn("rank", width=40, help="1 = strongest verdict band"),
            "verdict": st.column_config.TextColumn("verdict", width=200),
            "score": st.column_config.TextColumn(
                "AI score", width=50, help="the classifier's probability for 'artificial'"
            ),
            "C2PA": st.column_config.TextColumn("C2PA", width=60),
            "origin": st.column_config.TextColumn("claimed origin or error", width=160),
            "captured": st.column_config.TextColumn("captured", width=90),
            "sha": st.column_config.TextColumn(
                "SHA-256", width=80, help="first 10 hex digits; the CSV has all"
            ),
            "seen": st.column_config.TextColumn(
                "seen before", width=150, help="the closest earlier copy in the desk's seen-before index"
            ),
        },
    )

# The sentences do not fit a table cell: each file's verdict and key evidence, wrapped, in the
# table's order and under its filters.
MAX_LISTED = 200
with (
    panel("The verdicts and key evidence"),
    st.expander(
        f"Verdicts and key evidence ({min(len(shown), MAX_LISTED)} of {len(shown)} shown)", expanded=True
    ),
):
    for i in shown.index[:MAX_LISTED]:  # the table's index is the position in ``results``
        r = results[i]
        lines = [f"**{safe(r.path)}**: {safe(r.verdict.sentence) if r.verdict else ''}"]
        if key := r.key_evidence():
            lines.append(f"  \n{'' if r.error else 'Key evidence: '}{safe(key)}")
        for check in (
            f for f in r.findings if f.rule.startswith("clocks.")
        ):  # cross-checks, with their values
            lines.append(f"  \nCross-check: {safe(check.sentence)}")
        for earlier in (f for f in r.findings if f.rule == "seen_before.match"):
            lines.append(f"  \nSeen before: {safe(earlier.sentence)}")
        st.markdown("".join(lines))

with panel("The downloads"):
    exporters = [formats("rows")[name] for name in DOWNLOADS]
    files = []
    for exporter in exporters:
        out = io.BytesIO()
        written = exporter.write(results, out)
        files.append(out.getvalue())
    if written.failed:
        st.warning(
            f"{len(written.failed)} row(s) could not be written in full: they are output_failed error rows "
            "in every file."
        )
    for column, exporter, data in zip(st.columns(len(exporters)), exporters, files, strict=True):
        column.download_button(
            f"Download {exporter.name.upper()}",
            data,
            exporter.file_name("results"),
            exporter.mime,
            width="stretch",
        )

with panel("Adding to a case"), st.expander("Add these files to a case"):
    open_cases = [c for c in case_store().cases() if c.status == "open"]
    if not open_cases:
        st.write("No open case yet: create one on the Cases page.")
    else:
        chosen = st.selectbox(
            "Case", open_cases, format_func=lambda c: f"{c.name} ({c.items} items)", key="target_case"
        )
        named = identity()[0] is not None
        if not named:
            st.caption("Enter your name in the sidebar first: every addition to a case records who made it.")
        if st.button("Add to case", key="add_to_case", disabled=not named):
            added, present, skipped = add_uploads_to_case(
                chosen.id, [(u.name, u.getvalue()) for u in uploads], results
            )
            st.success(f"{added} added, {present} already in the case, {skipped} unreadable and not added.")

st.subheader("Charts")
with panel("The charts"):
    if bands or search:
        st.caption(f"Charts and groups show the {len(shown)} file(s) the filters above select.")
    scored = shown.dropna(subset=["AI score"])
    colours = {
        "color_discrete_map": {b.value: c for b, c in BAND_COLOURS.items()},
        "category_orders": {"verdict": [b.value for b in Band]},
    }
    c1, c2 = st.columns(2)
    if scored.empty:
        c1.write("No classifier scores to chart.")
    else:
        fig = px.histogram(
            scored,
            x="AI score",
            color="verdict",
            nbins=20,
            range_x=[0, 1],
            title="Score distribution",
            **colours,
        )
        c1.plotly_chart(fig, width="stretch")
        by = scored.assign(
            source=scored["make"].where(scored["make"] != "", scored["software"]).replace("", "(none)")
        )
        fig = px.box(by, x="source", y="AI score", points="all", title="Scores by camera make or software")
        c2.plotly_chart(fig, width="stretch")
    dated = shown.dropna(subset=["date"])
    if not dated.empty:
        fig = px.scatter(
            dated,
            x="date",
            y="AI score" if not scored.empty else "verdict",
            color="verdict",
            hover_name="file",
            title="Capture dates",
            **colours,
        )
        st.plotly_chart(fig, width="stretch")

selected = list(shown.index)  # rows under the filters, as positions in ``results``
st.subheader("Near-duplicate groups")
with panel("The near-duplicate groups"):
    groups = [[selected[j] for j in group] for group in near_duplicate_groups([results[i] for i in selected])]
    if not groups:
        st.write("No two images look alike (perceptual hash).")
    if flat := featureless_rows([results[i] for i in selected]):
        st.caption(
            f"{len(flat)} image(s) are too flat or small to compare: their perceptual hash holds almost no "
            "structure, so they are left out of the groups."
        )
    for n, group in enumerate(groups, 1):
        with st.expander(f"Group {n}: {len(group)} images"):
            dataframe(
                table.loc[group, ["thumbnail", "file", "verdict", "AI score", "sha256"]],
                hide_index=True,
                column_config={"thumbnail": st.column_config.ImageColumn("")},
            )

st.subheader("Families of copies")
with panel("The families of copies"):
    st.caption(
        "Crops, screenshots, mirrored, resized and re-encoded copies of one picture, with the copy closest "
        "to the original. Each file is fingerprinted once, in a file worker, when this is switched on."
    )
    if st.toggle("Trace the copies among these files", key="trace_copies"):
        with st.spinner("Fingerprinting..."):
            prints = upload_fingerprints([(u.name, u.getvalue()) for u in uploads])
        show_families(
            families(
                [Copy(results[i].path, prints[i], results[i]) for i in selected if prints[i] is not None]
            )
        )

st.subheader("Files that break from their device group")
with panel("The device-group outliers"):
    outliers = batch_outliers([results[i] for i in selected])
    if not outliers:
        st.write(
            f"No file differs from a group of at least {MIN_GROUP} files naming the same camera (software, JPEG "
            "tables, pixel size, capture day)."
        )
    else:
        st.caption(
            "Files whose metadata names the same camera as the rest of a group, but whose software, JPEG tables, "
            "pixel size or capture day differ from what the group agrees on. Context to look at, not a verdict: "
            "people edit photos, and cameras change firmware and settings."
        )
        dataframe(
            pd.DataFrame(
                [{"file": o["path"], "device": o["device"], "differs": describe(o)} for o in outliers]
            ),
            hide_index=True,
            width="stretch",
            row_height=ROW_WRAPS,
        )
