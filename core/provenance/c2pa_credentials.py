"""C2PA Content Credentials, read and validated offline with c2pa-python (C2PA 2.x).

Nothing is fetched over the network: remote manifests and OCSP are switched off, so a
file that only points at a manifest stored elsewhere is reported as ``remote_only``.
Trust is judged only against the trust anchors the user configures (setting
``trust_anchors``); without them a cryptographically valid manifest is ``valid``
("valid signature, signer not on a configured trust list"), never ``trusted``.
Absence is not an error: ``Reader.try_create`` returns None and so do we.
"""

from __future__ import annotations

import functools
import io
import json
from pathlib import Path
from typing import Any

from core.metadata.jsonsafe import clean_text
from core.schema import C2PAAction, C2PAIngredient, C2PAState

# Byte patterns that any embedded manifest (JUMBF "jumb" boxes) or remote reference
# (XMP dcterms:provenance) contains. Files without them skip the native reader entirely.
_MARKERS = (b"jumb", b"dcterms:provenance", b"c2pa")
# Vendor parameters that carry a digital source type in older manifests.
_SOURCE_TYPE_PARAMETERS = ("com.adobe.digitalSourceType", "digitalSourceType")


@functools.lru_cache(maxsize=4)
def _context(trust_anchors_pem: str):
    import c2pa

    settings: dict[str, Any] = {"verify": {"remote_manifest_fetch": False, "ocsp_fetch": False}}
    if trust_anchors_pem:
        settings["trust"] = {"trust_anchors": trust_anchors_pem}
    return c2pa.Context.from_dict(settings)


def _search_region(data: bytes, mime: str | None) -> memoryview | bytes:
    """Where a manifest can be: in a JPEG, only the segments before the image data
    (C2PA's APP11 boxes and XMP's APP1 come first), which spares scanning megabytes of
    entropy-coded data; in other containers, the whole file."""
    if mime != "image/jpeg":
        return data
    from core.forensics.file_structure import jpeg_header_end

    end = jpeg_header_end(data)
    return data if end is None else data[:end]


def load_trust_anchors(path: str) -> str:
    """The PEM text of the configured trust anchors ('' when none is configured)."""
    if not path:
        return ""
    text = Path(path).expanduser().read_text(encoding="utf-8")
    if "-----BEGIN CERTIFICATE-----" not in text:
        raise ValueError(f"trust anchors file {path!r} holds no PEM certificate")
    return text


def read_c2pa(
    data: bytes, mime: str | None, trust_anchors_pem: str = "", remote_url: str | None = None
) -> C2PAState:
    """Credentials of one file. ``remote_url`` is the XMP dcterms:provenance value, if any."""
    if not any(marker in _search_region(data, mime) for marker in _MARKERS):
        return C2PAState(present=False)
    try:
        import c2pa
    except ImportError:
        return C2PAState(
            present=None, error="c2pa-python is not installed; Content Credentials were not checked"
        )
    try:
        reader = c2pa.Reader.try_create(mime or "", io.BytesIO(data), context=_context(trust_anchors_pem))
    except Exception as exc:  # C2paError and its subclasses, or a native failure
        message = str(exc)
        if type(exc).__name__.endswith("RemoteManifest") or message.startswith("Remote"):
            url = remote_url or message.rsplit("url ", 1)[-1].strip() or None
            return C2PAState(present=True, state="remote_only", remote_url=clean_text(url) if url else None)
        return C2PAState(
            present=True, state="unreadable", error=clean_text(f"{type(exc).__name__}: {message}")[:500]
        )
    if reader is None:
        if remote_url:
            return C2PAState(present=True, state="remote_only", remote_url=clean_text(remote_url))
        return C2PAState(present=False)
    try:
        with reader:
            store = json.loads(reader.json())
            state = (reader.get_validation_state() or "").lower() or None
            embedded = reader.is_embedded()
            url = reader.get_remote_url()
    except Exception as exc:
        return C2PAState(
            present=True, state="unreadable", error=clean_text(f"{type(exc).__name__}: {exc}")[:500]
        )
    result = _describe(store)
    result.state = state if state in ("trusted", "valid", "invalid") else "invalid"
    if result.state == "trusted" and not trust_anchors_pem:
        # "Trusted" must mean "on the trust list this user configured", nothing else.
        result.state = "valid"
    if not embedded and url:
        result.remote_url = clean_text(url)
    return result


def _text(value: Any) -> str | None:
    if isinstance(value, dict):
        value = value.get("name")
    if not isinstance(value, str):
        return None
    return clean_text(value).strip() or None


def _claim_generator(manifest: dict[str, Any]) -> str | None:
    info = manifest.get("claim_generator_info")
    if isinstance(info, list) and info and isinstance(info[0], dict):
        name, version = _text(info[0].get("name")), _text(info[0].get("version"))
        if name:
            return f"{name} {version}" if version else name
    return _text(manifest.get("claim_generator"))


def _actions(manifest: dict[str, Any], label: str) -> list[C2PAAction]:
    actions: list[C2PAAction] = []
    for assertion in manifest.get("assertions") or []:
        if not isinstance(assertion, dict) or not str(assertion.get("label", "")).startswith("c2pa.actions"):
            continue
        for act in (assertion.get("data") or {}).get("actions") or []:
            if not isinstance(act, dict):
                continue
            params = act.get("parameters") if isinstance(act.get("parameters"), dict) else {}
            source = act.get("digitalSourceType") or next(
                (params[k] for k in _SOURCE_TYPE_PARAMETERS if isinstance(params.get(k), str)), None
            )
            actions.append(
                C2PAAction(
                    action=_text(act.get("action")) or "(unnamed)",
                    digital_source_type=_text(source),
                    software_agent=_text(act.get("softwareAgent")),
                    when=_text(act.get("when")),
                    manifest=label,
                )
            )
    return actions


def _failure_codes(store: dict[str, Any]) -> list[str]:
    codes: list[str] = []
    results = store.get("validation_results") or {}
    for entry in (results.get("activeManifest") or {}).get("failure") or []:
        codes.append(str(entry.get("code")))
    for delta in results.get("ingredientDeltas") or []:
        for entry in ((delta or {}).get("validationDeltas") or {}).get("failure") or []:
            codes.append(str(entry.get("code")))
    for entry in store.get("validation_status") or []:  # older stores
        code = str(entry.get("code"))
        if code not in codes:
            codes.append(code)
    return [clean_text(c) for c in codes if c and c != "None"]


def _describe(store: dict[str, Any]) -> C2PAState:
    manifests = store.get("manifests") or {}
    active_label = store.get("active_manifest")
    active = manifests.get(active_label) or {}
    signature = active.get("signature_info") or {}
    result = C2PAState(
        present=True,
        failure_codes=_failure_codes(store),
        signer=_text(signature.get("common_name")),
        issuer=_text(signature.get("issuer")),
        signed_at=_text(signature.get("time")),
        claim_generator=_claim_generator(active),
        manifests=len(manifests),
    )
    # The active manifest first, then the manifests of its ingredients (the history).
    for label in [active_label, *[k for k in manifests if k != active_label]]:
        if label in manifests:
            result.actions.extend(_actions(manifests[label], label))
    for ing in active.get("ingredients") or []:
        if isinstance(ing, dict):
            result.ingredients.append(
                C2PAIngredient(
                    title=_text(ing.get("title")),
                    format=_text(ing.get("format")),
                    relationship=_text(ing.get("relationship")),
                    has_manifest=bool(ing.get("active_manifest") or ing.get("manifest_data")),
                )
            )
    return result
