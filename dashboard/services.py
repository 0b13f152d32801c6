"""Everything the pages share, cached once per server: settings, the analysis context,
and per-session caches of results, so that a rerun never re-analyses a file.

``st.cache_resource`` objects are shared by every session; the detector guards its
own inference with a lock, so concurrent sessions are safe.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import hashlib
import hmac
from collections.abc import Callable

import streamlit as st

from core.cases import CaseStore, add_analysed
from core.context import Context, make_context
from core.display import Comparison, ForensicView, compare_safely, preview_safely, view_safely
from core.errors import AnalysisError
from core.index.fingerprint import Fingerprint, fingerprint_file
from core.pipeline import analyze
from core.scan import scan
from core.schema import ScanResult
from core.settings import load_settings
from core.sources import Source
from dashboard.ui import safe


@st.cache_resource(show_spinner="Loading the classifier...")
def analysis_context() -> Context:
    return make_context(load_settings())


def _key(name: str, data: bytes) -> tuple[str, str]:
    return name, hashlib.sha256(data).hexdigest()


def analyze_upload(name: str, data: bytes) -> ScanResult:
    """Analyse an uploaded file once per session (keyed by name and content)."""
    cache = st.session_state.setdefault("results", {})
    key = _key(name, data)
    if key not in cache:
        # One image gets the whole check: unless switched off, stability is computed whatever the score.
        ctx = analysis_context()
        if ctx.settings.stability == "auto":
            ctx = dataclasses.replace(ctx, settings=ctx.settings.replace(stability="always"))
        cache[key] = analyze(Source.from_bytes(name, data), ctx)
    return cache[key]


def analyze_uploads(
    files: list[tuple[str, bytes]], on_progress: Callable[[int, int], None]
) -> tuple[list[ScanResult], list[str | None]]:
    """Analyse uploads (ZIP archives expanded) with the CLI's driver, reusing this session's
    results; returns the results and a thumbnail (data URI) for each.

    ``on_progress(done, total)`` is called after every batch.
    """
    ctx = analysis_context()
    cache = st.session_state.setdefault("batch_results", {})
    sources = upload_sources(files)
    keys = [_source_key(s) for s in sources]
    todo = [i for i, k in enumerate(keys) if k not in cache]
    known = len(sources) - len(todo)
    on_progress(known, len(sources))
    results = scan([sources[i] for i in todo], ctx, lambda done: on_progress(known + done, len(sources)))
    for i, result in zip(todo, results, strict=True):
        cache[keys[i]] = result
        cache[keys[i] + ("thumb",)] = thumbnail_uri(sources[i]) if result.status == "ok" else None
    return [cache[k] for k in keys], [cache[k + ("thumb",)] for k in keys]


def upload_fingerprints(files: list[tuple[str, bytes]]) -> list[Fingerprint | None]:
    """Each upload's fingerprint (``analyze_uploads``' order), for tracing copies: made once per
    session in a file worker; None for a file that cannot be fingerprinted (its row says why)."""
    settings = analysis_context().settings
    cache = st.session_state.setdefault("fingerprints", {})
    found = []
    for source in upload_sources(files):
        key = _source_key(source)
        if key not in cache:
            try:
                cache[key] = fingerprint_file(source, settings)
            except AnalysisError:
                cache[key] = None
        found.append(cache[key])
    return found


def _source_key(source: Source) -> tuple[str, str]:
    """An upload by name and content; an archive member by its name, its spooled archive (named
    by the archive's SHA-256) and its entry: members are never inflated here to hash them."""
    if source.data is not None:
        return _key(source.path, source.data)
    return source.path, f"{source.file.name if source.file else ''}#{source.member}"


def upload_sources(files: list[tuple[str, bytes]]) -> list[Source]:
    """Each upload, or each member of an uploaded ZIP archive (``core.sources`` rules)."""
    limit = analysis_context().settings.max_file_bytes
    return [source for name, data in files for source in Source.from_upload(name, data, limit)]


def thumbnail_uri(source: Source, size: int = 96) -> str | None:
    """A small JPEG data URI of an image, for table thumbnails (read and made in a file worker)."""
    preview = preview_safely(
        source.data if source.data is not None else source, analysis_context().settings, size
    )
    return "data:image/jpeg;base64," + base64.b64encode(preview).decode() if preview else None


def preview(name: str, data: bytes, size: int = 1024) -> bytes | None:
    """The upright preview of an upload, made once per session in a file worker: this
    process never hands untrusted bytes to an image decoder."""
    cache = st.session_state.setdefault("previews", {})
    key = _key(name, data) + (size,)
    if key not in cache:
        cache[key] = preview_safely(data, analysis_context().settings, size)
    return cache[key]


# Forensic views kept per session (one per image and set of map options).
MAX_VIEWS = 8


def forensic_view(name: str, data: bytes, ela_quality: int, noise_gain: float | None) -> ForensicView | None:
    """The forensic viewer's images of an upload (image, maps, thumbnail), drawn in a file
    worker once per session and option set."""
    cache = st.session_state.setdefault("views", {})
    key = _key(name, data) + (ela_quality, noise_gain)
    if key not in cache:
        options = {"ela": {"quality": ela_quality}, "noise": {"gain": noise_gain}}
        cache[key] = view_safely(data, analysis_context().settings, options)
        while len(cache) > MAX_VIEWS:  # each view holds a few MB of arrays: keep the latest ones
            del cache[next(iter(cache))]
    return cache[key]


def comparison(name: str, data: bytes, other_jpeg: bytes) -> Comparison | None:
    """The file beside a thumbnail from its credentials, decoded in a file worker once per session."""
    cache = st.session_state.setdefault("comparisons", {})
    key = _key(name, data) + (hashlib.sha256(other_jpeg).hexdigest(),)
    if key not in cache:
        cache[key] = compare_safely(data, other_jpeg, analysis_context().settings)
        while len(cache) > MAX_VIEWS:
            del cache[next(iter(cache))]
    return cache[key]


@st.cache_resource(show_spinner=False)
def case_store() -> CaseStore:
    """The case store of this server (setting ``case_store``); SQLite serialises concurrent writers."""
    return analysis_context().settings.open_store()


# The header in which the sign-in proxy proves itself (setting proxy_secret).
PROXY_SECRET_HEADER = "X-Desk-Proxy-Secret"


def proxy_proven(secret: str, sent: str | None) -> bool:
    """Whether a request came through the sign-in proxy: it carries the shared secret (compared
    in constant time). Without a configured secret nothing is proven."""
    return bool(secret) and sent is not None and hmac.compare_digest(sent.encode(), secret.encode())


def identity() -> tuple[str | None, str]:
    """Who is working, for the chain of custody, and where the name comes from: a trusted
    reverse proxy's header (setting ``identity_header``), Streamlit's login (OIDC, configured
    in ``.streamlit/secrets.toml``), or the name the person typed once this session. Never
    the server's operating-system user: every session would be "root"."""
    settings = analysis_context().settings
    header = settings.identity_header
    proven = header and proxy_proven(settings.proxy_secret, st.context.headers.get(PROXY_SECRET_HEADER))
    if proven and (name := (st.context.headers.get(header) or "").strip()):
        return name, f"from the {header} header of the sign-in proxy"
    with contextlib.suppress(Exception):  # no [auth] section: no login
        if st.user.is_logged_in:
            return str(st.user.get("email") or st.user.get("name")), "from the sign-in"
    if fixed := analysis_context().settings.analyst.strip():  # a single-user installation
        return fixed, "from the setting analyst"
    typed = (st.session_state.get("analyst") or "").strip()
    return typed or None, "typed in this session"


def analyst() -> str:
    """The name every custody entry of this session records (see ``identity``)."""
    name, _ = identity()
    if name is None:
        raise RuntimeError("no analyst name yet: pages ask for it before any change")
    return name


def ask_identity() -> bool:
    """In the sidebar: who is working, asked once per session unless a proxy or a login says.
    Returns whether a name is known (pages that change a case stop until it is)."""
    name, source = identity()
    settings = analysis_context().settings
    if settings.identity_header and not settings.proxy_secret:
        st.sidebar.warning(
            f"The setting identity_header ({safe(settings.identity_header)}) is ignored: without proxy_secret "
            "nothing shows that a request came through the sign-in proxy."
        )
    elif settings.identity_header and not proxy_proven(
        settings.proxy_secret, st.context.headers.get(PROXY_SECRET_HEADER)
    ):
        st.sidebar.warning(
            f"This request did not come through the sign-in proxy (no valid {PROXY_SECRET_HEADER}): "
            f"its {safe(settings.identity_header)} header is ignored."
        )
    if source == "typed in this session":
        st.sidebar.text_input(
            "Your name, for the chain of custody",
            key="analyst",
            help="Asked once per session; recorded with every change you make to a case.",
        )
    else:
        st.sidebar.caption(f"Working as {name} ({source}).")
    return name is not None


def add_uploads_to_case(
    case_id: int, files: list[tuple[str, bytes]], results: list[ScanResult]
) -> tuple[int, int, int]:
    """Add analysed uploads to a case: (added, already there, not added because unreadable)."""
    sources = upload_sources(files)
    analysed = ((source.path, source, result) for source, result in zip(sources, results, strict=True))
    outcome = add_analysed(case_store(), case_id, analysed, analyst(), analysis_context().settings)
    return outcome.added, outcome.already_there, len(outcome.not_added)
