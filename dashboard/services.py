"""Everything the pages share, cached once per server: settings and the analysis context.

``st.cache_resource`` objects are shared by every session; the detector guards its
own inference with a lock, so concurrent sessions are safe.
"""

from __future__ import annotations

import hashlib

import streamlit as st

from core.forensics import render_maps
from core.intake import open_intake
from core.intake.decode import full_resolution
from core.pipeline import Context, Source, analyze, make_context
from core.schema import ScanResult
from core.settings import load_settings


@st.cache_resource(show_spinner="Loading the classifier...")
def analysis_context() -> Context:
    return make_context(load_settings())


def analyze_upload(name: str, data: bytes) -> ScanResult:
    """Analyse an uploaded file once per session (keyed by name and content)."""
    cache = st.session_state.setdefault("results", {})
    key = (name, hashlib.sha256(data).hexdigest())
    if key not in cache:
        cache[key] = analyze(Source.from_bytes(name, data), analysis_context())
    return cache[key]


def forensic_maps(name: str, data: bytes) -> dict:
    """Forensic maps of an uploaded image, drawn once per session."""
    cache = st.session_state.setdefault("maps", {})
    key = (name, hashlib.sha256(data).hexdigest())
    if key not in cache:
        ctx = analysis_context()
        intake = open_intake(data, name, name, ctx.settings.max_pixels)
        cache[key] = render_maps(full_resolution(data, intake.decoded)) if intake.decoded else {}
    return cache[key]
