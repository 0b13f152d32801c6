"""One image: the hedged verdict first, then the evidence ledger, what the file declares,
Content Credentials, generator metadata, forensic maps and the classifier's stability.

Everything shown comes from ``core``; this page only lays it out.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from core.detector.model_card import AIREALNET
from dashboard.services import analysis_context, analyze_upload, forensic_maps, preview
from dashboard.ui import BASIS_COLOURS, no_classifier_banner, safe

st.title("Analyse one image")
ctx = analysis_context()
no_classifier_banner(ctx)

upload = st.file_uploader("Choose an image", type=None, accept_multiple_files=False, key="image_upload")
if upload is None:
    st.info("Upload a JPEG, PNG, WebP, TIFF, GIF, BMP, HEIC or AVIF file.")
    st.stop()

data = upload.getvalue()
result = analyze_upload(upload.name, data)
if result.status == "error":
    st.error(f"This file could not be analysed ({result.error.code}): {safe(result.error.message)}")

verdict = result.verdict
if verdict is not None:
    colour = BASIS_COLOURS.get(verdict.basis, "gray")
    st.markdown(f"### :{colour}[{verdict.band[0].upper()}{verdict.band[1:]}]")
    st.markdown(safe(verdict.sentence))
    with st.expander("What this does not show"):
        for caveat in verdict.caveats:
            st.markdown("- " + safe(caveat))

left, right = st.columns([1, 1])
with left:
    shown = preview(upload.name, data) if result.status == "ok" else None
    if shown:
        st.image(shown, caption=safe(upload.name), width="stretch")
with right:
    st.subheader("Evidence ledger")
    if result.findings:
        st.dataframe(
            pd.DataFrame(
                [
                    {"strength": f.strength, "points to": f.direction, "finding": f.sentence}
                    for f in result.findings
                ]
            ),
            hide_index=True,
            width="stretch",
        )
    st.subheader("Classifier")
    if result.classifier is not None:
        c = result.classifier
        st.metric("Probability for the model's 'artificial' label", f"{c.p_artificial:.2f}")
        st.caption(
            safe(f"{c.model} @ {c.revision[:16]} on {c.device} ({c.dtype}). " + " ".join(AIREALNET.limits))
        )
    else:
        st.write(safe(result.classifier_error or "Not run."))

tabs = st.tabs(
    [
        "What the file declares",
        "Content Credentials",
        "Generator",
        "Forensics",
        "Stability",
        "File",
        "Raw result",
    ]
)
m, prov = result.metadata, result.provenance
with tabs[0]:
    declared = {
        "Camera make": m.camera.make,
        "Camera model": m.camera.model,
        "Lens": m.camera.lens,
        "Serial number": m.camera.serial,
        "Software": m.software,
        "Date-time original": m.datetime_original,
        "GPS": f"{m.gps.lat}, {m.gps.lon}" if m.gps else None,
        "ICC profile": m.icc_profile,
        "Blocks found": ", ".join(m.sources) or "none",
        "Editing software": "; ".join(dict.fromkeys(e["software"] for e in m.editing if e.get("software")))
        or None,
    }
    for p in m.placeholders:  # a device default is named as such, never shown as a place or time
        declared[f"{p['field']} (placeholder)"] = f"{p['value']}: {p['reason']}"
    st.dataframe(
        pd.DataFrame(
            {"field": list(declared), "value": ["" if v is None else str(v) for v in declared.values()]}
        ),
        hide_index=True,
    )
    if m.gps:
        lat, lon = m.gps.lat, m.gps.lon
        st.link_button(
            "Open the location in OpenStreetMap",
            f"https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=15/{lat}/{lon}",
        )
        # Map tiles come from an online service, which would learn the location: a leak for
        # sensitive material, and an error offline. So the map is drawn only on request.
        if st.checkbox("Show on a map here (fetches map tiles from an online service)"):
            st.map(pd.DataFrame({"lat": [lat], "lon": [lon]}))
    query = st.text_input("Search the full metadata dump")
    rows = [
        {"block": block, "key": str(k), "value": str(v)}
        for block, values in m.raw.items()
        for k, v in (values.items() if isinstance(values, dict) else enumerate(values))
    ]
    if query:
        rows = [r for r in rows if query.lower() in (r["key"] + " " + r["value"]).lower()]
    st.dataframe(pd.DataFrame(rows, columns=["block", "key", "value"]), hide_index=True, width="stretch")
with tabs[1]:
    c2 = prov.c2pa
    if c2.state == "stripped":
        st.warning(
            "Content Credentials were removed: the XMP metadata names credentials embedded in this file "
            f"({c2.xmp_provenance}), but none are there. What they stated cannot be checked."
        )
    elif not c2.present:
        st.write(
            "No Content Credentials. Most cameras and platforms do not add them: this proves nothing either way."
        )
    else:
        st.dataframe(
            pd.DataFrame(
                {
                    "field": ["State", "Problem", "Signer", "Issuer", "Signed at", "Claim generator", "Remote URL"],
                    "value": [str(v or "") for v in (c2.state, c2.problem, c2.signer, c2.issuer, c2.signed_at,
                                                     c2.claim_generator, c2.remote_url)],
                }
            ),
            hide_index=True,
        )  # fmt: skip
        if c2.failures:
            st.dataframe(pd.DataFrame([f.__dict__ for f in c2.failures]), hide_index=True, width="stretch")
        if c2.actions:
            st.dataframe(pd.DataFrame([a.__dict__ for a in c2.actions]), hide_index=True, width="stretch")
        if c2.ingredients:
            st.dataframe(pd.DataFrame([i.__dict__ for i in c2.ingredients]), hide_index=True, width="stretch")
with tabs[2]:
    if not prov.generators:
        st.write("No generator signature found in the metadata.")
    for g in prov.generators:
        st.dataframe(
            pd.DataFrame(
                {"field": ["Tool", "Name", "Confidence", "Found in", "Model", "Seed", "Prompt", "Negative prompt", "Error"],
                 "value": [str(v or "") for v in (g.tool, g.name, g.confidence, g.where, g.model, g.seed, g.prompt,
                                                  g.negative_prompt, g.error)]}
            ),
            hide_index=True,
            width="stretch",
        )  # fmt: skip
with tabs[3]:
    if result.status == "ok":
        maps = forensic_maps(upload.name, data)
        cols = st.columns(max(1, len(maps)))
        for col, (name, image) in zip(cols, maps.items(), strict=False):
            col.image(image, caption=name.upper() if name == "ela" else name, width="stretch")
    st.json(result.forensics, expanded=False)
with tabs[4]:
    s = result.stability
    if s is None:
        st.write("Stability needs a loaded classifier.")
    else:
        names = ["original", *s.variants]
        values = [result.classifier.p_artificial, *s.variants.values()]
        fig = go.Figure(go.Bar(x=names, y=values, marker_color=["#1f4e79"] + ["#7fa7c9"] * len(s.variants)))
        fig.add_hline(y=0.5, line_dash="dash", annotation_text="label boundary")
        fig.update_layout(yaxis_range=[0, 1], yaxis_title="p(artificial)", height=320, margin={"t": 20})
        st.plotly_chart(fig, width="stretch")
        st.write(
            "Unstable: the label flips after re-shipping."
            if s.unstable
            else "Stable: the label does not flip."
        )
with tabs[5]:
    f = result.file
    facts = {
        "Format (from content)": f.format,
        "Extension": f.extension,
        "Extension matches content": f.extension_matches_format,
        "Dimensions": f"{f.width} x {f.height}" if f.width else None,
        "Frames": f.frames,
        "SHA-256": f.sha256,
        "MD5": f.md5,
        "Perceptual hash": f.phash,
    }
    st.dataframe(
        pd.DataFrame({"fact": list(facts), "value": [str(v) for v in facts.values()]}), hide_index=True
    )
    for notice in result.notices:
        st.text(f"{notice.code}: {notice.message}")
with tabs[6]:
    st.json(result.to_dict(), expanded=False)
