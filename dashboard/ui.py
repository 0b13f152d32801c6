"""Small display helpers shared by the pages. Values from files are untrusted: they are
shown through ``safe`` (Markdown-escaped) or in tables and JSON viewers, never as
Markdown or HTML. Every panel of a page is drawn inside ``panel``, so one that fails shows
one line and the rest of the page is still drawn."""

from __future__ import annotations

import base64
import contextlib
import io
import logging
import re
from collections.abc import Iterator

import numpy as np
import pandas as pd
import streamlit as st
from PIL import Image

from core.escaping import escape_lines
from core.vocabulary import Basis

_MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")

BASIS_COLOURS = {
    Basis.CRYPTOGRAPHIC: "red",
    Basis.DECLARED: "orange",
    Basis.STATISTICAL: "blue",
    Basis.NONE: "gray",
}
PANEL_FAILED = "panel_failed"

log = logging.getLogger("dashboard")


def safe(text: object) -> str:
    """Escape Markdown so that file-controlled text renders as the characters it holds (control
    characters and bidi overrides as escapes, ``\\u202e``: they cannot reorder or hide text)."""
    return _MARKDOWN_SPECIALS.sub(r"\\\1", escape_lines(str(text)))


def dataframe(data: pd.DataFrame | list | dict, **kwargs) -> None:
    """``st.dataframe`` with every text cell shown as the characters it holds: a file's control
    characters and bidi overrides appear as escapes (``\\u202e``), so a value cannot reorder or
    hide the text around it. Every table of the dashboard goes through here."""
    frame = data if isinstance(data, pd.DataFrame) else pd.DataFrame(data)
    st.dataframe(frame.map(lambda v: escape_lines(v) if isinstance(v, str) else v), **kwargs)


@contextlib.contextmanager
def panel(name: str, still_works: str = "The rest of the page still works.") -> Iterator[None]:
    """Draw one panel inside its own boundary: if it fails, the panel ends with one plain line
    with the error code and what still works, the traceback goes to the server's log, and the
    page goes on. (Streamlit's stop and rerun are not exceptions of this kind and pass through.)
    A plain container, not a placeholder: a placeholder's content is mounted afresh on every
    rerun, which closed the expanders and reset the tabs drawn inside it."""
    box = st.container()
    try:
        with box:
            yield
    except Exception as exc:
        log.exception("dashboard panel %r failed", name)
        box.error(
            f"{name} could not be shown ({PANEL_FAILED}: {type(exc).__name__}). {still_works} "
            "The details are in the server's log."
        )


def image_uri(pixels: np.ndarray) -> str:
    """An array the dashboard drew (a blend, a zoom; never a file's bytes) as a JPEG data URI.
    Streamlit serves array images from its media store and drops them at the next rerun, so a
    browser still fetching one after a slider moved got a 404; a data URI travels in the page.
    JPEG at quality 95 without chroma subsampling: five times faster than PNG, and a display
    copy only (the numbers come from the original)."""
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "JPEG", quality=95, subsampling=0)
    return "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode()


def upload_limit(max_file_mb: int, archives: bool = False) -> None:
    """The upload limit in words that are right. Streamlit's uploader rounds its own size
    note in decimal units and to whole gigabytes past 500 MB, so 512 MiB reads "1GB per
    file": that note is hidden and this line says the limit the analysis enforces."""
    st.html("<style>[data-testid='stFileUploaderDropzoneInstructions'] {display: none}</style>")
    opened = " ZIP archives are opened: each file inside is analysed." if archives else ""
    st.caption(f"Up to {max_file_mb:,} MiB per file (setting max_file_mb).{opened}")


def no_classifier_banner(ctx) -> None:
    """The one notice an analysis page shows when no classifier is loaded (the page "Model and
    settings" says why and how to load one)."""
    if ctx.detector is None:
        st.warning(
            "No classifier is loaded, so there is no AI-vs-real score; file facts, metadata, Content Credentials "
            "and forensics still work. The page Model and settings says why, and how to load one."
        )
