"""C2PA Content Credentials, read and validated offline with c2pa-python (C2PA 2.x).

Nothing is fetched over the network: remote manifests and OCSP are switched off, so a
file that only points at a manifest stored elsewhere is reported as ``remote_only``.
Trust is judged only against the trust anchors the user configures (setting
``trust_anchors``); without them a cryptographically valid manifest is ``valid``
("valid signature, signer not on a configured trust list"), never ``trusted``.
Absence is not an error: ``Reader.try_create`` returns None and so do we.

Every failed check is sorted into what it means for a reader (``FAILURE_KINDS``,
after the C2PA 2.x "Existing manifests" status codes): the signed content no longer
matches, the signature does not verify, the credentials are malformed, the
certificate was revoked, the certificate is expired or not trusted (the signature
itself verifies), or only an earlier version's credentials fail. An XMP
``dcterms:provenance`` of ``self#jumbf=...`` names a manifest embedded in the file
itself: when none is there, the credentials were stripped.
"""

from __future__ import annotations

import functools
import io
import json
from pathlib import Path
from typing import Any

from core.intake.containers import jpeg_header_end
from core.metadata.jsonsafe import clean_text
from core.schema import C2PAAction, C2PAFailure, C2PAIngredient, C2PAState
from core.vocabulary import C2PAProblem

# Byte patterns that any embedded manifest (JUMBF "jumb" boxes) or remote reference
# (XMP dcterms:provenance) contains. Files without them skip the native reader entirely.
_MARKERS = (b"jumb", b"dcterms:provenance", b"c2pa")
# Vendor parameters that carry a digital source type in older manifests.
_SOURCE_TYPE_PARAMETERS = ("com.adobe.digitalSourceType", "digitalSourceType")

# Failure kinds, most serious first: the headline names the first one present.
# Most serious first: content_changed (a hash over the file's data or a signed assertion no
# longer matches), signature_invalid (the claim signature does not verify, or is missing),
# credentials_damaged (malformed or inconsistent manifest, unsupported algorithm, ...),
# certificate_revoked, certificate_not_valid (expired, outside its validity, not trusted,
# time-stamp problems), ingredient_invalid (only an earlier version's credentials fail).
FAILURE_KINDS = tuple(C2PAProblem)
# Hard bindings: hashes over the file's own bytes.
_DATA_HASHES = (
    "assertion.dataHash.",
    "assertion.bmffHash.",
    "assertion.boxesHash.",
    "assertion.collectionHash.",
)
# Where XMP names a manifest inside the file itself (JUMBF URI) rather than online.
_EMBEDDED_REFERENCE = "self#jumbf="
# Parameters of an action that name the AI model behind it (vendor details, model version).
_MODEL_KEYS = ("details", "model", "modelname", "model_name", "name_of_model")
_MODEL_VERSION_KEYS = ("modelversion", "model_version", "modelid", "model_id")


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
    data: bytes, mime: str | None, trust_anchors_pem: str = "", xmp_provenance: str | None = None
) -> C2PAState:
    """Credentials of one file. ``xmp_provenance`` is the XMP dcterms:provenance value, if any."""
    reference = clean_text(xmp_provenance).strip() if xmp_provenance else None
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
            url = reference or message.rsplit("url ", 1)[-1].strip() or None
            return _referenced_only(clean_text(url) if url else None)
        if type(exc).__name__.endswith("ManifestNotFound"):
            return _referenced_only(reference) if reference else C2PAState(present=False)
        return C2PAState(
            present=True,
            state="unreadable",
            xmp_provenance=reference,
            error=clean_text(f"{type(exc).__name__}: {message}")[:500],
        )
    if reader is None:
        return _referenced_only(reference) if reference else C2PAState(present=False)
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
    result = credentials_from_store(store, state, bool(trust_anchors_pem))
    result.xmp_provenance = reference
    if not embedded and url:
        result.remote_url = clean_text(url)
    return result


def credentials_from_store(
    store: dict[str, Any], validation_state: str | None, trust_list: bool
) -> C2PAState:
    """Interpret the reader's JSON report and validation state (``trusted``/``valid``/``invalid``).

    A report of an unexpected shape (a crafted manifest) is ``unreadable``, never an exception."""
    try:
        result = _describe(store)
    except (AttributeError, TypeError, ValueError, KeyError) as exc:
        return C2PAState(
            present=True, state="unreadable", error=clean_text(f"manifest not understood: {exc}")[:500]
        )
    result.state = validation_state if validation_state in ("trusted", "valid", "invalid") else "invalid"
    if result.state == "trusted" and not trust_list:
        # "Trusted" must mean "on the trust list this user configured", nothing else.
        result.state = "valid"
    result.problem = _problem(result.failures, result.state)
    return result


def _referenced_only(reference: str | None) -> C2PAState:
    """No manifest in the file, but XMP (or the reader) names one: online, or stripped from here."""
    if reference and reference.startswith(_EMBEDDED_REFERENCE):
        # The XMP was written together with an embedded manifest that is no longer there.
        return C2PAState(present=False, state="stripped", xmp_provenance=reference)
    if reference and reference.lower().startswith(("http://", "https://")):
        return C2PAState(present=True, state="remote_only", remote_url=reference, xmp_provenance=reference)
    return C2PAState(
        present=True,
        state="unreadable",
        xmp_provenance=reference,
        error="the XMP names Content Credentials at a place that is neither in this file nor a web address",
    )


def failure_kind(code: str, scope: str) -> str:
    """What one failed C2PA check means (see ``FAILURE_KINDS``)."""
    if scope == "ingredient" or code.startswith("ingredient."):
        return "ingredient_invalid"
    if code.startswith("assertion.") and code.endswith(".mismatch"):
        return "content_changed"
    if code.startswith("claimSignature.") and code != "claimSignature.outsideValidity":
        return "signature_invalid"
    if code.endswith(".revoked"):
        return "certificate_revoked"
    if code.startswith(("signingCredential.", "timeStamp.", "claimSignature.outsideValidity")) or (
        code.startswith("cawg.") and code.endswith(".untrusted")
    ):
        return "certificate_not_valid"
    return "credentials_damaged"


def _problem(failures: list[C2PAFailure], state: str) -> str | None:
    """The most serious failure kind. When the validator calls the manifest valid, only a
    failing ingredient is reported: the codes it lists then (above all "untrusted": without
    a configured trust list every signer is) did not invalidate the file's own credentials,
    and the headline must not contradict the validator."""
    kinds = {f.kind for f in failures}
    if state in ("valid", "trusted"):
        kinds &= {"ingredient_invalid"}
    return next((k for k in FAILURE_KINDS if k in kinds), None)


def touches_data(failure: C2PAFailure) -> bool:
    """A hard-binding mismatch: the file's own bytes changed (not only a signed statement)."""
    return failure.code.startswith(_DATA_HASHES)


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
    generator = _claim_generator(manifest)
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
                    claim_generator=generator,
                    model=_model(params),
                )
            )
    return actions


def _model(params: dict[str, Any]) -> str | None:
    """The AI model an action's parameters name: vendor details ("com.adobe.details") and a
    model version, looked for by key name at any vendor prefix, two levels deep at most."""
    names: list[str] = []
    versions: list[str] = []

    def walk(value: Any, depth: int) -> None:
        if not isinstance(value, dict) or depth > 2:
            return
        for key, item in list(value.items())[:100]:
            last = str(key).lower().rsplit(".", 1)[-1]
            if isinstance(item, dict):
                walk(item, depth + 1)
            elif (text := _text(item)) and not text.lower().startswith(("http://", "https://")):
                if last in _MODEL_VERSION_KEYS:
                    versions.append(text[:120])
                elif last in _MODEL_KEYS:
                    names.append(text[:120])

    walk(params, 0)
    name = next(iter(names), None)
    version = next((v for v in versions if not name or v.lower() not in name.lower()), None)
    if name and version:
        return f"{name} ({version})"
    return name or version


def _failures(store: dict[str, Any]) -> list[C2PAFailure]:
    """Every failed check once (code and scope), the file's own credentials first."""
    found: list[tuple[dict, str]] = []
    results = store.get("validation_results") or {}
    if isinstance(results, dict):
        found += [(e, "active") for e in _entries((results.get("activeManifest") or {}).get("failure"))]
        for delta in results.get("ingredientDeltas") or []:
            deltas = (delta or {}).get("validationDeltas") if isinstance(delta, dict) else None
            found += [(e, "ingredient") for e in _entries((deltas or {}).get("failure"))]
    if not found:  # older stores list only validation_status
        found = [(e, "active") for e in _entries(store.get("validation_status"))]
    failures: list[C2PAFailure] = []
    seen: set[tuple[str, str]] = set()
    for entry, scope in found:
        code = clean_text(str(entry.get("code") or ""), 120).strip()
        if not code or code == "None" or (code, scope) in seen:
            continue
        seen.add((code, scope))
        explanation = _text(entry.get("explanation"))
        failures.append(
            C2PAFailure(code, failure_kind(code, scope), scope, explanation[:300] if explanation else None)
        )
    return failures


def _entries(value: Any) -> list[dict]:
    return [e for e in value if isinstance(e, dict)] if isinstance(value, list) else []


def _history(manifests: dict[str, Any], active_label: Any) -> list[str]:
    """Manifest labels in history order: the active manifest, then its ingredients' manifests
    breadth first, then any others sorted by label. The reader's own order of the store is
    not stable from one run to the next, and results must be."""
    order: list[str] = []
    queue = [active_label]
    while queue:
        label = queue.pop(0)
        if not isinstance(label, str) or label in order or not isinstance(manifests.get(label), dict):
            continue
        order.append(label)
        for ingredient in manifests[label].get("ingredients") or []:
            if isinstance(ingredient, dict):
                queue.append(ingredient.get("active_manifest"))
    rest = sorted(
        k for k in manifests if isinstance(k, str) and k not in order and isinstance(manifests[k], dict)
    )
    return order + rest


def _describe(store: dict[str, Any]) -> C2PAState:
    manifests = store.get("manifests") or {}
    active_label = store.get("active_manifest")
    active = manifests.get(active_label) or {}
    signature = active.get("signature_info") or {}
    failures = _failures(store)
    result = C2PAState(
        present=True,
        failure_codes=list(dict.fromkeys(f.code for f in failures)),
        failures=failures,
        signer=_text(signature.get("common_name")),
        issuer=_text(signature.get("issuer")),
        signed_at=_text(signature.get("time")),
        claim_generator=_claim_generator(active),
        manifests=len(manifests),
    )
    for label in _history(manifests, active_label):
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
