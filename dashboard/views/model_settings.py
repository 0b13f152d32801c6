"""Model and settings: which classifier is in use, on what device, with which thresholds,
what the model is known to miss, and every setting's current value."""

from __future__ import annotations

import re

import pandas as pd
import plotly.express as px
import streamlit as st

from core.detector.model_card import card_for
from core.settings import SETTINGS
from core.thresholds import SCORE_BANDS
from core.vocabulary import Band
from dashboard.services import analysis_context
from dashboard.ui import dataframe, panel, safe

st.title("Model and settings")
ctx = analysis_context()
s = ctx.settings

if ctx.detector is None:
    # The reason says how to fix it where the loader knows (weights missing, offline); the
    # general way to load one is added only where it does not.
    reason = ctx.classifier_error or "unknown"
    fix = (
        ""
        if "To fix" in reason
        else (
            "\n\nTo load one: start the dashboard once with a network connection so the weights are cached; or "
            "download them on a connected machine (hf download Modotte/AIRealNet --local-dir DIR), copy DIR "
            "to this server and start the dashboard with the environment variable FORENSICS_MODEL=DIR."
        )
    )
    st.error(
        "No classifier is loaded. The dashboard still analyses metadata, Content Credentials and forensics."
        f"\n\nReason: {safe(reason)}{fix}"
    )
else:
    d = ctx.detector
    dataframe(
        pd.DataFrame(
            {
                "": ["Model", "Resolved revision", "Device", "Precision", "Batch size"],
                "value": [d.model_id, d.revision, d.device, d.precision, str(d.batch_size)],
            }
        ),
        hide_index=True,
    )

card = card_for(s.model)
st.subheader("What the model is and is not")
if card is None:
    st.write("This model has no card here: its training data and limits are unknown to this tool.")
else:
    st.markdown(f"**{safe(card.hub_id)}**, {safe(card.architecture)}, licence {safe(card.licence)}.")
    st.markdown(f"Trained on {safe(card.training_data)}.")
    for limit in card.limits:
        st.markdown("- " + safe(limit))

st.subheader("Verdict thresholds")
dataframe(
    pd.DataFrame(
        {
            # From the thresholds' own table, strongest first; the lowest band includes its upper bound.
            "classifier probability for 'artificial'": [
                f"<= {high}" if low == 0 else f"> {low}" if band == Band.INCONCLUSIVE else f">= {low}"
                for low, high, band in reversed(SCORE_BANDS)
            ],
            "band (when nothing in the file declares its origin)": [
                band.value for *_, band in reversed(SCORE_BANDS)
            ],
        }
    ),
    hide_index=True,
)
st.caption(
    "Declarations outrank the classifier: a valid C2PA manifest first, then metadata. A score that flips after "
    "re-compression or resizing makes the verdict inconclusive."
)

st.subheader("Settings")


def plain(markdown: str) -> str:
    """A setting's help as table text: code marks dropped, links as their words."""
    return re.sub(r"\[([^]]+)\]\([^)]+\)", r"\1", markdown).replace("`", "")


dataframe(
    pd.DataFrame(
        [
            {
                "setting": x.name,
                "value": str(getattr(s, x.name)),
                "environment variable": x.env,
                "meaning": plain(x.help),
            }
            for x in SETTINGS
        ]
    ),
    hide_index=True,
    width="stretch",
)

st.subheader("Calibration on this desk's photos")
with panel("The calibration profile"):
    if ctx.calibration is None:
        st.write(
            "No calibration profile (setting calibration). Make one from photos the desk has verified with "
            "python -m core calibrate --real DIR --out PROFILE, then set FORENSICS_CALIBRATION=PROFILE."
        )
    else:
        st.caption(
            f"Profile {ctx.calibration['sha256'][:12]}, made {safe(ctx.calibration.get('created_at'))}."
        )
        for model, part in ctx.calibration["models"].items():
            scores = pd.DataFrame(
                [{"score": s, "photos": "verified camera photos"} for s in part["real_scores"]]
                + [{"score": s, "photos": "known AI images"} for s in part["ai_scores"]]
            )
            fig = px.histogram(
                scores,
                x="score",
                color="photos",
                nbins=20,
                range_x=[0, 1],
                barmode="overlay",
                title=f"{model} @ {part['revision'][:16]}",
            )
            st.plotly_chart(fig, width="stretch")
            dataframe(
                pd.DataFrame(
                    [
                        {
                            "band threshold": b["threshold"],
                            "verified photos at or above": b["real_at_or_above"],
                            "false-positive rate": b["false_positive_rate"],
                            "95% interval": f"{b['interval_95'][0]:.3f} to {b['interval_95'][1]:.3f}",
                            "known AI images at or above": ""
                            if b["ai_at_or_above"] is None
                            else b["ai_at_or_above"],
                        }
                        for b in part["bands"].values()
                    ]
                ),
                hide_index=True,
            )
