"""Small display helpers shared by the pages. Values from files are untrusted: they are
shown through ``safe`` (Markdown-escaped) or in tables and JSON viewers, never as
Markdown or HTML."""

from __future__ import annotations

import re

import streamlit as st

_MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")

BASIS_COLOURS = {"verified": "red", "declared": "orange", "statistical": "blue", "none": "gray"}


def safe(text: object) -> str:
    """Escape Markdown so that file-controlled text renders as the characters it holds."""
    return _MARKDOWN_SPECIALS.sub(r"\\\1", str(text))


def no_classifier_banner(ctx) -> None:
    """The one notice an analysis page shows when no classifier is loaded (the page "Model and
    settings" says why and how to load one)."""
    if ctx.detector is None:
        st.warning(
            "No classifier is loaded, so there is no AI-vs-real score; file facts, metadata, Content Credentials "
            "and forensics still work. The page Model and settings says why, and how to load one."
        )
