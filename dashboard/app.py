"""Streamlit entry point: ``streamlit run dashboard/app.py``.

Pages only render what ``core`` returns; no analysis happens here.
"""

from __future__ import annotations

import sys
from pathlib import Path

# `streamlit run dashboard/app.py` puts dashboard/ on sys.path, not the repository root.
ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402

# Not "pages/": Streamlit would also serve the files of a folder so named as pages of their own.
VIEWS = ROOT / "dashboard" / "views"

from dashboard.services import ask_identity  # noqa: E402

st.set_page_config(page_title="Image Evidence Desk", layout="wide")
# Asked here, on every page, so the name is kept for the whole session (a widget drawn on one
# page only would lose its value on the others).
ask_identity()
pages = {
    "Analyse": [
        st.Page(str(VIEWS / "single_image.py"), title="One image", default=True),
        st.Page(str(VIEWS / "batch_review.py"), title="Batch review"),
    ],
    "Cases": [st.Page(str(VIEWS / "cases.py"), title="Cases")],
    "About": [st.Page(str(VIEWS / "model_settings.py"), title="Model and settings")],
}
st.navigation(pages).run()
