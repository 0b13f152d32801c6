"""One image: file facts, what its metadata declares, and the classifier's score with its limits.

This is the first, minimal page; the full dashboard (ledger, forensics, batch review)
builds on the same core result.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.detector.model_card import AIREALNET
from dashboard.services import analysis_context, analyze_upload

st.title("Analyse one image")
ctx = analysis_context()
if ctx.detector is None:
    st.warning(
        "No classifier is loaded, so there is no AI-vs-real score. File facts and metadata still work.\n\n"
        f"Reason: {ctx.classifier_error}",
        icon=":material/warning:",
    )

upload = st.file_uploader("Choose an image", type=None, accept_multiple_files=False)
if upload is None:
    st.info("Upload a JPEG, PNG, WebP, TIFF, GIF, BMP, HEIC or AVIF file.")
    st.stop()

result = analyze_upload(upload.name, upload.getvalue())
if result.status == "error":
    st.error(f"This file could not be analysed ({result.error.code}): {result.error.message}")

left, right = st.columns([1, 1])
with left:
    if result.status == "ok":
        st.image(upload.getvalue(), caption=upload.name, width="stretch")
with right:
    st.subheader("Classifier")
    if result.classifier is not None:
        c = result.classifier
        st.metric("Model's probability for 'artificial'", f"{c.p_artificial:.1%}")
        st.caption(
            f"{c.model} @ {c.revision[:12]} on {c.device}. A statistical signal, not a verdict. "
            + " ".join(AIREALNET.limits)
        )
    else:
        st.write(result.classifier_error or "Not run.")
    if result.file.sha256:
        st.subheader("File")
        f = result.file
        facts = {
            "Format (from content)": f.format,
            "Extension": f.extension,
            "Extension matches content": f.extension_matches_format,
            "Dimensions": f"{f.width} x {f.height}" if f.width else None,
            "SHA-256": f.sha256,
            "MD5": f.md5,
            "Perceptual hash": f.phash,
        }
        st.dataframe(
            pd.DataFrame({"fact": list(facts), "value": [str(v) for v in facts.values()]}), hide_index=True
        )

if result.metadata.sources or result.status == "ok":
    m = result.metadata
    st.subheader("What the file declares")
    declared = {
        "Camera make": m.camera.make,
        "Camera model": m.camera.model,
        "Lens": m.camera.lens,
        "Software": m.software,
        "Date-time original": m.datetime_original,
        "GPS": f"{m.gps.lat}, {m.gps.lon}" if m.gps else None,
        "ICC profile": m.icc_profile,
    }
    st.dataframe(
        pd.DataFrame(
            {"field": list(declared), "value": [str(v) if v is not None else "" for v in declared.values()]}
        ),
        hide_index=True,
    )
    if m.gps:
        st.map(pd.DataFrame({"lat": [m.gps.lat], "lon": [m.gps.lon]}))
    with st.expander("Full metadata dump"):
        st.json(m.raw, expanded=False)
for notice in result.notices:
    st.caption(f"{notice.code}: {notice.message}")
