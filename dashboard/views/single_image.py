"""One image: upload a file and read its full analysis (``dashboard.result_view``).

Everything shown comes from ``core``; this page only lays it out.
"""

from __future__ import annotations

import streamlit as st

from dashboard.result_view import show_result
from dashboard.services import analysis_context, analyze_upload
from dashboard.ui import no_classifier_banner, upload_limit

st.title("Analyse one image")
ctx = analysis_context()
no_classifier_banner(ctx)

# The uploader states the same limit the analysis enforces (setting max_file_mb).
upload = st.file_uploader(
    "Choose an image",
    type=None,
    accept_multiple_files=False,
    key="image_upload",
    max_upload_size=ctx.settings.max_file_mb,
)
upload_limit(ctx.settings.max_file_mb)
if upload is None:
    st.info("Upload a JPEG, PNG, WebP, TIFF, GIF, BMP, HEIC or AVIF file.")
    st.stop()

data = upload.getvalue()
show_result(
    analyze_upload(upload.name, data), upload.name, data, key="upload", known_reason=ctx.classifier_error
)
