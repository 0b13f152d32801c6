"""The full view of one analysed file, shared by the one-image page and the case review: the
hedged verdict first, the evidence ledger in full sentences, then tabs for what the file
declares, its Content Credentials, generator metadata, the forensic viewer, stability and
file facts. Everything comes from the result and from images drawn in file workers; this
module only lays them out (values from files go through ``safe`` or into tables)."""

from __future__ import annotations

import base64

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from core.analyzers import REGISTRY, by_id
from core.detector.model_card import card_for
from core.escaping import escape_lines
from core.forensics.ela import RESAVE_QUALITY
from core.provenance.c2pa_credentials import of_ingredient
from core.reports.model import display_band, display_value
from core.reports.summary import plain_summary
from core.schema import ScanResult, to_dict
from core.stability import score_range
from core.thresholds import SCORE_BANDS, classifier_band
from core.vocabulary import C2PAStatus
from dashboard.services import comparison, forensic_view, preview
from dashboard.ui import BASIS_COLOURS, dataframe, image_uri, panel, safe

UNTRUSTED_SIGNER_EXPLAINED = (
    "Intact, signer not on a configured trust list: the signature matches the file, so what the credentials "
    "state was signed by whoever holds this certificate. Whether that is who the certificate names is what a "
    "trust list confirms; none configured here lists this signer (setting trust_anchors)."
)
# Services that search the web for an image. Nothing is sent from here: each opens in a new tab,
# and it is the analyst who uploads the image there (or pastes its address).
REVERSE_SEARCH = {
    "Google Lens": "https://lens.google.com/",
    "Bing Visual Search": "https://www.bing.com/visualsearch",
    "Yandex Images": "https://yandex.com/images/",
    "TinEye": "https://tineye.com/",
}


def table(rows: dict[str, object]) -> pd.DataFrame:
    """A two-column field/value table with readable values (no None, True or dict text)."""
    return pd.DataFrame({"field": list(rows), "value": [display_value(v) for v in rows.values()]})


def show_result(
    result: ScanResult, name: str, data: bytes | None, key: str, known_reason: str | None = None
) -> None:
    """Lay out one result, each part in its own panel (one that fails shows one line; the others
    are drawn). ``data`` (the original bytes) is only handed to file workers for the preview
    and the maps; ``key`` keeps this view's widgets apart from others on the page;
    ``known_reason`` is why the page has no classifier, already said once above it."""
    with panel("The verdict"):
        _verdict(result)
    left, right = st.columns([2, 3])
    with left, panel("The preview and the classifier's score"):
        if data is not None and result.status == "ok":
            # The viewer's upright picture at its default options doubles as the preview: one
            # decode in a file worker for both; the small preview only where no view is drawn.
            view = forensic_view(name, data, DEFAULT_ELA_QUALITY, None)
            shown = image_uri(view.image) if view is not None else preview(name, data)
            if shown:
                st.image(shown, caption=safe(name), width="stretch")
        _classifier(result, known_reason)
    with right, panel("The evidence ledger"):
        st.subheader("Evidence ledger")
        if not result.findings:
            st.write("No findings.")
        for finding in result.findings:
            st.markdown(f"**{finding.strength}** · {finding.direction}: {safe(finding.sentence)}")
    with panel("Web search and the findings as text"):
        _share(result)

    names = [
        "What the file declares",
        "Content Credentials",
        "Generator",
        "Forensics",
        "Stability",
        "File",
        "Raw result",
    ]
    views = [
        lambda: _declared(result, key),
        lambda: _credentials(result, name, data, key),
        lambda: _generators(result),
        lambda: _forensics(result, name, data, key),
        lambda: _stability(result),
        lambda: _file(result),
        lambda: st.json(result.to_dict(), expanded=False),
    ]
    for tab, title, view in zip(st.tabs(names), names, views, strict=True):
        with tab, panel(f"The tab {title}", "The other tabs and the rest of the page still work."):
            view()


def _verdict(result: ScanResult) -> None:
    verdict = result.verdict
    if result.status == "error":
        st.error(f"This file could not be analysed ({result.error.code}): {safe(result.error.message)}")
    if verdict is not None:
        colour = BASIS_COLOURS.get(verdict.basis, "gray")
        st.markdown(f"### :{colour}[{safe(display_band(verdict.band))}]")
        st.markdown(safe(verdict.sentence))
        with st.expander("What this does not show"):
            for caveat in verdict.caveats:
                st.markdown("- " + safe(caveat))


def _classifier(result: ScanResult, known_reason: str | None) -> None:
    c = result.classifier
    if len(result.classifiers) > 1:  # several detectors: one gauge each, side by side (never a mean)
        st.markdown("**Classifiers: probability for each one's 'artificial' label**")
        for score in result.classifiers:
            _gauge(score)
        return
    if c is not None:
        st.metric("Classifier: probability for its 'artificial' label", f"{c.p_artificial:.2f}")
        st.caption(safe(f"{c.model} @ {c.revision[:16]} on {c.device} ({c.dtype}). {_card_text(c.model)}"))
    elif result.classifier_error and result.classifier_error != known_reason:
        st.caption("No classifier score: " + safe(result.classifier_error))


def _card_text(model: str, first_only: bool = False) -> str:
    """What the model's card says about its limits: only for the model it describes."""
    card = card_for(model)
    if card is None:
        return "No model card here: its training data and limits are unknown to this tool."
    return " ".join(card.limits[:1] if first_only else card.limits)


# The gauge's coloured steps: each classifier band over its score range, in the band's colour.
GAUGE_STEPS = [{"range": [low, high], "color": band.colour} for low, high, band in SCORE_BANDS]


def _gauge(score) -> None:
    fig = go.Figure(
        go.Indicator(
            mode="gauge+number",
            value=score.p_artificial,
            number={"valueformat": ".2f"},
            gauge={
                "axis": {"range": [0, 1]},
                "bar": {"color": "#1f1f1f", "thickness": 0.3},
                "steps": GAUGE_STEPS,
            },
        )
    )
    fig.update_layout(height=150, margin={"t": 10, "b": 0, "l": 20, "r": 20})
    st.plotly_chart(fig, width="stretch")
    st.caption(
        safe(
            f"{score.model} @ {score.revision[:16]} ({classifier_band(score.p_artificial)}). "
            f"{_card_text(score.model, first_only=True)}"
        )
    )


def _share(result: ScanResult) -> None:
    with st.expander("Search the web for this image, and copy the findings"):
        st.caption(
            "Each button opens the service in a new tab; nothing is sent from here. Uploading the image there "
            "(or pasting its address) sends it to that company: do not do it with material that must stay private."
        )
        cols = st.columns(len(REVERSE_SEARCH))
        for col, (service, url) in zip(cols, REVERSE_SEARCH.items(), strict=True):
            col.link_button(service, url, width="stretch")
        st.caption("Findings as text, for a publication note (the copy button is at the block's top right):")
        st.code(plain_summary(result), language=None, wrap_lines=True)


def _declared(result: ScanResult, key: str) -> None:
    m = result.metadata
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
        "Editing software": "; ".join(m.editing_software()),
    }
    for p in m.placeholders:  # a device default is named as such, never shown as a place or time
        declared[f"{p.field} (placeholder)"] = f"{p.value}: {p.reason}"
    dataframe(table(declared), hide_index=True, width="stretch")
    if m.gps:
        lat, lon = m.gps.lat, m.gps.lon
        st.link_button(
            "Open the location in OpenStreetMap",
            f"https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=15/{lat}/{lon}",
        )
        # Map tiles come from an online service, which would learn the location: a leak for
        # sensitive material, and an error offline. So the map is drawn only on request.
        if st.checkbox("Show on a map here (fetches map tiles from an online service)", key=f"{key}-map"):
            st.map(pd.DataFrame({"lat": [lat], "lon": [lon]}))
    query = st.text_input("Search the full metadata dump", key=f"{key}-dump-search")
    rows = [
        {"block": block, "key": str(k), "value": display_value(v)}
        for block, values in m.raw.items()
        for k, v in (values.items() if isinstance(values, dict) else enumerate(values))
    ]
    if query:
        rows = [r for r in rows if query.lower() in (r["key"] + " " + r["value"]).lower()]
    dataframe(pd.DataFrame(rows, columns=["block", "key", "value"]), hide_index=True, width="stretch")


def _credentials(result: ScanResult, name: str, data: bytes | None, key: str) -> None:
    c2 = result.provenance.c2pa
    if c2.state == C2PAStatus.STRIPPED:
        st.warning(
            "Content Credentials were removed: the XMP metadata names credentials embedded in this file "
            f"({safe(c2.xmp_provenance)}), but none are there. What they stated cannot be checked."
        )
        return
    if not c2.present:
        st.write(
            "No Content Credentials. Most cameras and platforms do not add them: this proves nothing either way."
        )
        return
    dataframe(
        table(
            {
                "Status": c2.state,
                "Trust lists checked": c2.trust_summary()
                or ("none configured (setting trust_anchors)" if c2.state and c2.state.intact else None),
                "Earlier versions (ingredients)": c2.ingredients_state,
                "Signer": c2.signer,
                "Issuer": c2.issuer,
                "Signed at": c2.signed_at,
                "Claim generator": c2.claim_generator,
                "Manifests": c2.manifests,
                "Stored online at": c2.remote_url,
            }
        ),
        hide_index=True,
        width="stretch",
    )
    if c2.state == C2PAStatus.UNTRUSTED_SIGNER:
        st.caption(UNTRUSTED_SIGNER_EXPLAINED)
    if c2.identities:
        st.markdown("**Identity assertions** (who binds their identity to the file, checked on their own)")
        dataframe(
            pd.DataFrame(
                [
                    {
                        "named actor": display_value(i.signer),
                        "issued by": display_value(i.issuer),
                        "verified identities": ", ".join(v.describe() for v in i.verified_identities),
                        "status": display_value(i.state),
                        "checks that did not pass": ", ".join(i.failure_codes),
                    }
                    for i in c2.identities
                ]
            ),
            hide_index=True,
            width="stretch",
        )
    if c2.failures:
        st.markdown("**Checks that did not pass**")
        dataframe(
            pd.DataFrame(
                [
                    {
                        "code": f.code,
                        "what it establishes": f.kind.meaning,
                        "whose": "an earlier version (ingredient)" if of_ingredient(f) else "this file's",
                        "validator says": display_value(f.explanation),
                    }
                    for f in c2.failures
                ]
            ),
            hide_index=True,
            width="stretch",
        )
    # The history, newest first: each manifest with the actions it records (as Verify shows it).
    st.markdown("**History (the file's own manifest first, then the versions it was made from)**")
    manifests: dict[str, list] = {}
    for action in c2.actions:
        manifests.setdefault(action.manifest or "(unnamed manifest)", []).append(action)
    thumbnails = {t.manifest: t.jpeg_b64 for t in c2.thumbnails}
    for n, (label, actions) in enumerate(manifests.items()):
        who = actions[0].claim_generator
        with st.expander(
            f"{'This file' if n == 0 else f'Earlier version {n}'}: {who or 'unknown tool'}", expanded=n == 0
        ):
            st.caption(safe(label))
            if (
                label in thumbnails
            ):  # re-encoded in the file worker: nothing from the manifest is decoded here
                st.image(
                    JPEG_URI + thumbnails[label], caption="The thumbnail this manifest signed", width=160
                )
            dataframe(
                pd.DataFrame(
                    [
                        {
                            "action": a.action,
                            "source type": display_value(a.digital_source_type),
                            "software agent": display_value(a.software_agent),
                            "AI model": display_value(a.model),
                            "when": display_value(a.when),
                        }
                        for a in actions
                    ]
                ),
                hide_index=True,
                width="stretch",
            )
    if c2.ingredients:
        st.markdown(
            f"**Ingredients (what this file was made from)**: their credentials are "
            f"{display_value(c2.ingredients_state) or 'not carried'}"
        )
        dataframe(
            pd.DataFrame(
                [
                    {
                        "title": display_value(i.title),
                        "format": display_value(i.format),
                        "relationship": display_value(i.relationship),
                        "own credentials": display_value(i.has_manifest),
                        "thumbnail": "yes" if i.thumbnail_jpeg_b64 else "no",
                    }
                    for i in c2.ingredients
                ]
            ),
            hide_index=True,
            width="stretch",
        )
        _compare_with_an_ingredient(c2.ingredients, name, data, key)


JPEG_URI = "data:image/jpeg;base64,"


def _compare_with_an_ingredient(ingredients, name: str, data: bytes | None, key: str) -> None:
    """The file beside the thumbnail of an ingredient (an earlier version), and a blend of the
    two with a slider: what changed between them shows where the blend flickers."""
    shown = [i for i in ingredients if i.thumbnail_jpeg_b64]
    if not shown or data is None:
        return
    labels = [f"{n + 1}. {escape_lines(i.title or 'untitled')}" for n, i in enumerate(shown)]
    pick = st.selectbox("Compare this file with the thumbnail of", labels, key=f"{key}-ingredient")
    chosen = shown[labels.index(pick)]
    view = comparison(name, data, base64.b64decode(chosen.thumbnail_jpeg_b64))
    if view is None:
        st.write("The comparison could not be drawn within the per-file limits.")
        return
    left, right = st.columns(2)
    left.image(image_uri(view.image), caption="This file (upright)", width="stretch")
    right.image(
        JPEG_URI + chosen.thumbnail_jpeg_b64,
        caption=f"The ingredient's thumbnail, {view.other_size[0]} x {view.other_size[1]} as carried",
        width="stretch",
    )
    weight = st.slider("Blend: this file (0) to the ingredient (1)", 0.0, 1.0, 0.5, 0.05, key=f"{key}-blend")
    share = round(weight * 256)
    blend = (view.image.astype(np.uint16) * (256 - share) + view.other.astype(np.uint16) * share) >> 8
    st.image(image_uri(blend.astype(np.uint8)), caption="The two blended at the same size", width="stretch")


def _generators(result: ScanResult) -> None:
    gens = result.provenance.generators
    if not gens:
        st.write("No generator signature found in the metadata.")
    for g in gens:
        dataframe(
            table(
                {
                    "Tool": g.tool,
                    "Name": g.name,
                    "Confidence": g.confidence,
                    "Found in": g.where,
                    "Model": g.model,
                    "Seed": g.seed,
                    "Settings": g.settings or None,
                    "Error": g.error,
                }
            ),
            hide_index=True,
            width="stretch",
        )
        # Prompts are long: in full, wrapped, as the file holds them (a code block is never markup).
        for label, text in (("Prompt", g.prompt), ("Negative prompt", g.negative_prompt)):
            if text:
                st.caption(label)
                st.code(escape_lines(text), language=None, wrap_lines=True)


MAP_NAMES = {"ela": "Error level (ELA)", "noise": "Noise residual", "spectrum": "Spectrum"}
# The ELA map's re-save quality until the analyst moves the slider (the analysis's own).
DEFAULT_ELA_QUALITY = RESAVE_QUALITY


def _forensics(result: ScanResult, name: str, data: bytes | None, key: str) -> None:
    forensics = result.forensics
    if jpeg := forensics.jpeg:
        double = jpeg.double_compression
        verdict = (
            "not assessable: " + display_value(double.not_assessable_because)
            if not double.assessable
            else f"indicated, earlier save at about quality {double.earlier_quality}"
            if double.indicated
            else "not indicated"
        )
        dataframe(
            table(
                {
                    "JPEG quality (estimated)": jpeg.estimated_quality,
                    "Standard libjpeg tables (software save)": jpeg.standard_ijg_tables,
                    "Double compression": verdict,
                }
            ),
            hide_index=True,
        )
        st.caption(safe(by_id("jpeg").reading))
    if data is None or result.status != "ok":
        st.write("No maps: the image could not be decoded.")
        return
    c1, c2, c3, c4 = st.columns(4)
    chosen = c1.radio("Map", list(MAP_NAMES), format_func=MAP_NAMES.get, key=f"{key}-map-kind")
    quality = c2.slider(
        "ELA re-save quality",
        50,
        100,
        DEFAULT_ELA_QUALITY,
        5,
        key=f"{key}-ela-quality",
        help="Regions saved at another quality stand out at some settings: try several.",
    )
    gain = c3.select_slider(
        "Noise amplification", ["auto", 5, 10, 20, 40, 80], "auto", key=f"{key}-noise-gain"
    )
    opacity = c4.slider(
        "Map opacity over the image", 0.0, 1.0, 0.6, 0.05, key=f"{key}-opacity", disabled=chosen in PLOTS
    )
    view = forensic_view(name, data, quality, None if gain == "auto" else float(gain))
    if view is None or chosen not in {**view.overlays, **view.plots}:
        st.write("The maps could not be drawn within the per-file limits.")
        return
    if chosen in view.plots:  # a frequency plot: beside the image, never over it
        shown = view.plots[chosen]
    else:  # the map has the picture's size and orientation by construction (core.display.ForensicView)
        weight = round(opacity * 256)  # integer blending: a quarter of float32's time at 1024 px
        over = view.overlays[chosen].astype(np.uint16)[..., None]
        shown = ((view.image.astype(np.uint16) * (256 - weight) + over * weight) >> 8).astype(np.uint8)
    zoom_col, x_col, y_col = st.columns(3)
    zoom = zoom_col.select_slider("Magnify", [1, 2, 4, 8], 1, key=f"{key}-zoom")
    if zoom > 1:
        cx = x_col.slider("Across (%)", 0, 100, 50, key=f"{key}-zoom-x")
        cy = y_col.slider("Down (%)", 0, 100, 50, key=f"{key}-zoom-y")
        shown = _magnify(shown, zoom, cx / 100, cy / 100)
    left, right = st.columns(2)
    left.image(image_uri(view.image), caption="The image (upright)", width="stretch")
    right.image(
        image_uri(shown),
        caption=f"{MAP_NAMES[chosen]}" + (f" at {zoom}x" if zoom > 1 else ""),
        width="stretch",
    )
    analyzer = by_id(chosen)
    slot = getattr(forensics, chosen)  # each map's analyzer stores its numbers in its own slot
    if slot is not None:
        numbers = to_dict(slot)
        meanings = dict(analyzer.numbers)
        dataframe(
            pd.DataFrame(
                {
                    "number": list(numbers),
                    "value": [display_value(v) for v in numbers.values()],
                    "what it shows": [meanings.get(k, "") for k in numbers],
                }
            ),
            hide_index=True,
            width="stretch",
            row_height=ROW_WRAPS,
        )
    st.caption(safe(analyzer.reading))
    thumb = forensics.thumbnail
    if view.thumbnail is not None:
        t1, t2 = st.columns([1, 3])
        t1.image(image_uri(view.thumbnail), caption="Embedded EXIF thumbnail", width="stretch")
        with t2:
            dataframe(
                table(
                    {
                        "Mean difference from the image (0-255)": thumb and thumb.mean_abs_difference,
                        "Shape difference": thumb and thumb.aspect_ratio_difference,
                        "Shows another picture": thumb and thumb.differs,
                    }
                ),
                hide_index=True,
            )
        t2.caption(safe(by_id("thumbnail").reading))


# Maps that are plots of their own (not laid over the picture).
PLOTS = {a.id for a in REGISTRY if a.render is not None and a.map_kind == "plot"}
# A row height at which Streamlit's tables wrap long text instead of cutting it (above 4 rem).
ROW_WRAPS = 72


def _magnify(image: np.ndarray, zoom: int, cx: float, cy: float) -> np.ndarray:
    """A ``zoom``-times enlargement (nearest neighbour: pixels stay pixels) around (cx, cy)."""
    h, w = image.shape[:2]
    ch, cw = max(1, h // zoom), max(1, w // zoom)
    top = int(min(max(cy * h - ch / 2, 0), h - ch))
    left = int(min(max(cx * w - cw / 2, 0), w - cw))
    crop = image[top : top + ch, left : left + cw]
    return crop.repeat(zoom, axis=0).repeat(zoom, axis=1)


def _stability(result: ScanResult) -> None:
    s = result.stability
    if s is None:
        st.write(safe(result.stability_skipped or "Stability needs a classifier score."))
        return
    names = ["original", *s.variants]
    values = [result.classifier.p_artificial, *s.variants.values()]
    fig = go.Figure(go.Bar(x=names, y=values, marker_color=[classifier_band(v).colour for v in values]))
    fig.add_hline(y=0.5, line_dash="dash", annotation_text="label boundary")
    fig.update_layout(yaxis_range=[0, 1], yaxis_title="p(artificial)", height=320, margin={"t": 20})
    st.plotly_chart(fig, width="stretch")
    st.write(
        f"The score stays {score_range(s)} over the original and its re-shipped copies. "
        + (
            "Unstable: the label flips after re-shipping."
            if s.unstable
            else "Stable: the label does not flip."
        )
    )
    st.caption("Bar colours: the band each score alone would give (the same colours as every chart here).")


def _file(result: ScanResult) -> None:
    f = result.file
    dataframe(
        table(
            {
                "Format (from content)": f.format,
                "Extension": f.extension,
                "Extension matches content": f.extension_matches_format,
                "Dimensions": f"{f.width} x {f.height}" if f.width else None,
                "Orientation (EXIF)": f.orientation,
                "Frames": f.frames,
                "SHA-256": f.sha256,
                "MD5": f.md5,
                "Perceptual hash": f.phash,
            }
        ),
        hide_index=True,
        width="stretch",
    )
    if result.notices:
        st.markdown("**Notices**")
        dataframe(
            pd.DataFrame([{"code": n.code, "message": n.message} for n in result.notices]),
            hide_index=True,
            width="stretch",
        )
    st.markdown("**What was checked**")
    dataframe(
        pd.DataFrame(
            [
                {
                    "analyzer": a.id,
                    "version": a.version,
                    "status": a.status,
                    "why": display_value(a.reason or a.message),
                }
                for a in result.analyzers
            ]
        ),
        hide_index=True,
        width="stretch",
    )
