"""C2PA Content Credentials, read and validated offline with c2pa-python (C2PA 2.x).

Nothing is fetched over the network: remote manifests and OCSP are switched off, so a
file that only points at a manifest stored elsewhere is "stored online". Trust is judged
only against the trust anchors the user configures (setting ``trust_anchors``); without
them a manifest that validates is "intact, signer not on a configured trust list", never
"intact, signer on your trust list". Absence is not an error: ``Reader.try_create``
returns None and so do we.

Every failed check is sorted into what it means for a reader (``FAILURE_KINDS``, after
the C2PA 2.x status codes as c2pa-rs reports them): the signed content no longer matches,
the signature does not verify, the credentials are malformed, the certificate was
revoked, the certificate is expired or not valid (the signature itself verifies), or the
signer is not on a configured trust list (not a failure of the credentials). The file's
own credentials and its ingredients' (earlier versions) each get a status from their own
failures (``C2PAStatus``; the table is docs/content-credentials.md). An XMP
``dcterms:provenance`` of ``self#jumbf=...`` names a manifest embedded in the file
itself: when none is there, the credentials were stripped.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.intake.containers import jpeg_header_end
from core.jsonsafe import clean_text
from core.schema import (
    C2PAAction,
    C2PAFailure,
    C2PAIdentity,
    C2PAIngredient,
    C2PAState,
    ManifestThumbnail,
    TrustListCheck,
    VerifiedIdentity,
)
from core.vocabulary import PROBLEM_STATUS, C2PAProblem, C2PAStatus

# Byte patterns that any embedded manifest (JUMBF "jumb" boxes) or remote reference
# (XMP dcterms:provenance) contains. Files without them skip the native reader entirely.
_MARKERS = (b"jumb", b"dcterms:provenance", b"c2pa")
# Vendor parameters that carry a digital source type in older manifests.
_SOURCE_TYPE_PARAMETERS = ("com.adobe.digitalSourceType", "digitalSourceType")

# Failure kinds, most serious first: the headline names the first one present.
# content_changed (a hash over the file's data or a signed assertion no longer matches),
# signature_invalid (the claim signature does not verify, or is missing), credentials_damaged
# (malformed or inconsistent manifest, unsupported algorithm, ...), certificate_revoked,
# certificate_not_valid (expired, outside its validity, not valid for signing, time-stamp
# problems), signer_untrusted (the signer is not on a configured trust list).
FAILURE_KINDS = tuple(k for k in C2PAProblem if k != C2PAProblem.INGREDIENT_INVALID)
# Hard bindings: hashes over the file's own bytes.
_DATA_HASHES = (
    "assertion.dataHash.",
    "assertion.bmffHash.",
    "assertion.boxesHash.",
    "assertion.collectionHash.",
)
# Codes and labels of CAWG identity assertions (checked on their own, not as the file's signature).
_IDENTITY = "cawg."
_IDENTITY_LABEL = "cawg.identity"
# Where XMP names a manifest inside the file itself (JUMBF URI) rather than online.
_EMBEDDED_REFERENCE = "self#jumbf="
# Parameters of an action that name the AI model behind it (vendor details, model version).
_MODEL_KEYS = ("details", "model", "modelname", "model_name", "name_of_model")
_MODEL_VERSION_KEYS = ("modelversion", "model_version", "modelid", "model_id")


# The files a trust list folder may hold: the signers' anchors, and end-entity certificates
# allowed as they are (c2pa-rs's ``trust_anchors`` and ``allowed_list`` of a ``trust.anchors``
# entry). Time-stamp and CAWG anchors are not offered: the installed c2pa-rs also trusts a
# manifest signed under an anchor of those kinds, which would trust signers the desk did not
# choose (docs/content-credentials.md).
TRUST_LIST_FILES = ("anchors.pem", "allowed.pem")


@dataclass(frozen=True)
class TrustList:
    """One configured trust list: its name, the SHA-256 of what it holds (what a report cites)
    and its parts (``TRUST_LIST_FILES``, by file name; a single PEM file is its anchors)."""

    name: str
    sha256: str
    parts: tuple[tuple[str, str], ...]

    def anchor(self) -> dict[str, str]:
        """This list as one ``trust.anchors`` entry of c2pa-rs's settings."""
        part = dict(self.parts)
        entry = {"trust_kind": "manifest", "trust_anchors": part.get("anchors.pem", "")}
        if "allowed.pem" in part:
            entry["allowed_list"] = part["allowed.pem"]
        return entry


def load_trust_lists(setting: str) -> tuple[TrustList, ...]:
    """The trust lists of the setting ``trust_anchors``: ``NAME=PATH`` entries (or a bare PATH,
    named after it) separated by ``;``. PATH is a PEM file of anchors, or a folder of the
    ``TRUST_LIST_FILES`` it has. Raises ValueError or OSError for a list that cannot be used:
    a configuration error, said before any file is analysed."""
    lists: list[TrustList] = []
    for entry in filter(None, (e.strip() for e in setting.split(";"))):
        name, _, path = entry.partition("=") if "=" in entry else ("", "", entry)
        where = Path(path.strip()).expanduser()
        name = name.strip() or where.stem
        files = (
            {f: where / f for f in TRUST_LIST_FILES if (where / f).is_file()}
            if where.is_dir()
            else {"anchors.pem": where}
        )
        raw = {f: p.read_bytes() for f, p in files.items()}
        if not any(b"-----BEGIN CERTIFICATE-----" in raw.get(f, b"") for f in ("anchors.pem", "allowed.pem")):
            raise ValueError(
                f"trust list {name!r} ({where}) holds no PEM certificate of signers or their anchors"
            )
        if any(t.name == name for t in lists):
            raise ValueError(f"two trust lists are named {name!r}: give each its own NAME=PATH")
        digest = hashlib.sha256()
        for file, data in raw.items():  # a single file: the SHA-256 of that file, as `sha256sum` says
            digest.update(data if len(raw) == 1 and not where.is_dir() else file.encode() + b"\0" + data)
        parts = tuple((f, data.decode("utf-8", "replace")) for f, data in raw.items())
        lists.append(TrustList(name, digest.hexdigest(), parts))
    return tuple(lists)


@functools.lru_cache(maxsize=16)
def _context(trust_lists: tuple[TrustList, ...]):
    import c2pa

    settings: dict[str, Any] = {"verify": {"remote_manifest_fetch": False, "ocsp_fetch": False}}
    if trust_lists:
        settings["trust"] = {"anchors": [t.anchor() for t in trust_lists]}
    return c2pa.Context.from_dict(settings)


def _search_region(data: bytes, mime: str | None) -> memoryview | bytes:
    """Where a manifest can be: in a JPEG, only the segments before the image data
    (C2PA's APP11 boxes and XMP's APP1 come first), which spares scanning megabytes of
    entropy-coded data; in other containers, the whole file."""
    if mime != "image/jpeg":
        return data
    end = jpeg_header_end(data)
    return data if end is None else data[:end]


def read_c2pa(
    data: bytes,
    mime: str | None,
    trust_lists: tuple[TrustList, ...] = (),
    xmp_provenance: str | None = None,
) -> C2PAState:
    """Credentials of one file, checked against every configured trust list.
    ``xmp_provenance`` is the XMP dcterms:provenance value, if any."""
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
        reader = c2pa.Reader.try_create(mime or "", io.BytesIO(data), context=_context(trust_lists))
    except Exception as exc:  # C2paError and its subclasses, or a native failure
        message = str(exc)
        if type(exc).__name__.endswith("RemoteManifest") or message.startswith("Remote"):
            url = reference or message.rsplit("url ", 1)[-1].strip() or None
            return _referenced_only(clean_text(url) if url else None)
        if type(exc).__name__.endswith("ManifestNotFound"):
            return _referenced_only(reference) if reference else C2PAState(present=False)
        return C2PAState(
            present=True,
            state=C2PAStatus.UNREADABLE,
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
            thumbnails = _thumbnails(reader, store)
    except Exception as exc:
        return C2PAState(
            present=True, state=C2PAStatus.UNREADABLE, error=clean_text(f"{type(exc).__name__}: {exc}")[:500]
        )
    result = credentials_from_store(store, state, bool(trust_lists))
    _attach_thumbnails(result, store, thumbnails)
    result.xmp_provenance = reference
    if not embedded and url:
        result.remote_url = clean_text(url)
    if result.state is not None and result.state.intact:
        result.trust_lists = _trust_checks(data, mime, trust_lists, result.state == C2PAStatus.TRUSTED)
    return result


# Thumbnails a manifest store carries (of each manifest, of its ingredients): at most this many
# read, each at most this many bytes as stored and pixels as declared, re-encoded this small.
MAX_THUMBNAILS = 12
MAX_THUMBNAIL_BYTES = 2 * 1024 * 1024
MAX_THUMBNAIL_PIXELS = 4096 * 4096
THUMBNAIL_SIDE = 256


class _Capped(io.BytesIO):
    """A stream that refuses to grow beyond ``MAX_THUMBNAIL_BYTES`` (a crafted resource)."""

    def write(self, data) -> int:
        if self.tell() + len(data) > MAX_THUMBNAIL_BYTES:
            raise ValueError("thumbnail larger than its limit")
        return super().write(data)


def _thumbnails(reader, store: dict[str, Any]) -> dict[str, str]:
    """The thumbnails the store names, by identifier: each read through the reader's resource
    API and re-encoded as a small JPEG here, in the file worker (nothing the manifest holds is
    decoded anywhere else). One that cannot be read or decoded is left out."""
    from PIL import Image

    wanted: list[str] = []
    for manifest in (store.get("manifests") or {}).values():
        if not isinstance(manifest, dict):
            continue
        for holder in [manifest, *[i for i in manifest.get("ingredients") or [] if isinstance(i, dict)]]:
            thumb = holder.get("thumbnail")
            ident = thumb.get("identifier") if isinstance(thumb, dict) else None
            if isinstance(ident, str) and ident not in wanted:
                wanted.append(ident)
    out: dict[str, str] = {}
    for ident in wanted[:MAX_THUMBNAILS]:
        try:
            buffer = _Capped()
            reader.resource_to_stream(ident, buffer)
            with Image.open(io.BytesIO(buffer.getvalue())) as image:
                if image.width * image.height > MAX_THUMBNAIL_PIXELS:
                    continue
                small = image.convert("RGB")
                small.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE))
                encoded = io.BytesIO()
                small.save(encoded, "JPEG", quality=80)
            out[ident] = base64.b64encode(encoded.getvalue()).decode("ascii")
        except Exception:  # a damaged or hostile resource: no thumbnail, the rest of the reading stands
            continue
    return out


def _attach_thumbnails(result: C2PAState, store: dict[str, Any], thumbnails: dict[str, str]) -> None:
    """Each manifest's thumbnail (history order) and each ingredient's, from ``_thumbnails``."""
    manifests = store.get("manifests") or {}

    def of(holder: Any) -> str | None:
        thumb = holder.get("thumbnail") if isinstance(holder, dict) else None
        return thumbnails.get(thumb.get("identifier")) if isinstance(thumb, dict) else None

    for label in _history(manifests, store.get("active_manifest")):
        if jpeg := of(manifests[label]):
            result.thumbnails.append(ManifestThumbnail(clean_text(label, 200), jpeg))
    active = manifests.get(store.get("active_manifest")) or {}
    listed = [i for i in active.get("ingredients") or [] if isinstance(i, dict)]
    for ingredient, raw in zip(result.ingredients, listed, strict=False):
        ingredient.thumbnail_jpeg_b64 = of(raw)


def _trust_checks(
    data: bytes, mime: str | None, trust_lists: tuple[TrustList, ...], trusted: bool
) -> list[TrustListCheck]:
    """Which configured list holds the signer: with one list, the validator's answer; with
    several, each list asked on its own (the reader again, with that list alone), so a report
    can name the list that made the signer trusted."""
    if not trusted or len(trust_lists) == 1:
        return [TrustListCheck(t.name, t.sha256, trusted) for t in trust_lists]
    import c2pa

    checks = []
    for t in trust_lists:
        try:
            with c2pa.Reader.try_create(mime or "", io.BytesIO(data), context=_context((t,))) as reader:
                on_it = (reader.get_validation_state() or "").lower() == "trusted"
        except Exception:  # read once already: a failure here leaves this list unconfirmed
            on_it = False
        checks.append(TrustListCheck(t.name, t.sha256, on_it))
    return checks


def credentials_from_store(
    store: dict[str, Any], validation_state: str | None, trust_list: bool
) -> C2PAState:
    """Interpret the reader's JSON report and validation state (``trusted``/``valid``/``invalid``,
    lower case). A report of an unexpected shape (a crafted manifest) is "credentials unreadable",
    never an exception."""
    try:
        result = _describe(store)
    except (AttributeError, TypeError, ValueError, KeyError) as exc:
        return C2PAState(
            present=True,
            state=C2PAStatus.UNREADABLE,
            error=clean_text(f"manifest not understood: {exc}")[:500],
        )
    own = [f for f in result.failures if not of_ingredient(f) and not f.code.startswith(_IDENTITY)]
    if validation_state in ("trusted", "valid"):
        # The validator accepts the file's own credentials: what else it lists (above all
        # "untrusted": without a configured list every signer is) did not invalidate them, and
        # the status must not contradict the validator.
        result.problem = None
        on_list = validation_state == "trusted" and trust_list  # only the list this user configured
        result.state = C2PAStatus.TRUSTED if on_list else C2PAStatus.UNTRUSTED_SIGNER
    else:
        result.problem = _most_serious(own)
        # Invalid for no failure of the file's own: an ingredient's, or an untrusted signer (a
        # status, not a failure), leave its own credentials intact; none named at all, damaged.
        # The rows of docs/content-credentials.md.
        fallback = C2PAStatus.UNTRUSTED_SIGNER if result.failures else C2PAStatus.DAMAGED
        result.state = PROBLEM_STATUS.get(result.problem, fallback)
    result.ingredients_state = _ingredients_state(result, trust_list)
    _identity_states(result, store)
    return result


def _identity_states(result: C2PAState, store: dict[str, Any]) -> None:
    """Each identity assertion's own status, from the checks that name it (``cawg.*`` codes,
    whose ``url`` ends with the assertion's label): its own failures, an untrusted credential
    (a status, as for the file's signer), or trusted where the validator says so."""
    active = (store.get("validation_results") or {}).get("activeManifest") or {}
    if not isinstance(active, dict):
        return
    entries = [(e, False) for e in _entries(active.get("failure"))] + [
        (e, True) for e in _entries(active.get("success"))
    ]
    for identity in result.identities:
        mine = [
            (str(e.get("code") or ""), ok)
            for e, ok in entries
            if str(e.get("code") or "").startswith(_IDENTITY)
            and str(e.get("url") or "").rsplit("/", 1)[-1] == identity.label
        ]
        failed = [C2PAFailure(code, failure_kind(code), "active") for code, ok in mine if not ok]
        identity.failure_codes = [f.code for f in failed]
        problem = _most_serious(failed)
        trusted = any(ok and code.endswith(".trusted") for code, ok in mine)
        if problem is not None:
            identity.state = PROBLEM_STATUS[problem]
        else:
            identity.state = C2PAStatus.TRUSTED if trusted and not failed else C2PAStatus.UNTRUSTED_SIGNER


def of_ingredient(failure: C2PAFailure) -> bool:
    """Whether a failed check is about an ingredient (an earlier version's credentials)."""
    return failure.scope == "ingredient" or failure.code.startswith("ingredient.")


def _most_serious(failures: list[C2PAFailure]) -> C2PAProblem | None:
    """The most serious failure kind; an untrusted signer is a status, not a failure."""
    kinds = {f.kind for f in failures}
    return next((k for k in FAILURE_KINDS if k in kinds and k != C2PAProblem.SIGNER_UNTRUSTED), None)


def _ingredients_state(result: C2PAState, trust_list: bool) -> C2PAStatus | None:
    """The ingredients' credentials, from their own failures: an untrusted or expired signer is
    their status, not a failure (as for the file's own)."""
    failures = [f for f in result.failures if of_ingredient(f)]
    if not failures and not any(i.has_manifest for i in result.ingredients):
        return None
    problem = _most_serious(failures)
    if problem is not None:
        return PROBLEM_STATUS[problem]
    untrusted = not trust_list or any(f.kind == C2PAProblem.SIGNER_UNTRUSTED for f in failures)
    return C2PAStatus.UNTRUSTED_SIGNER if untrusted else C2PAStatus.TRUSTED


def _referenced_only(reference: str | None) -> C2PAState:
    """No manifest in the file, but XMP (or the reader) names one: online, or stripped from here."""
    if reference and reference.startswith(_EMBEDDED_REFERENCE):
        # The XMP was written together with an embedded manifest that is no longer there.
        return C2PAState(present=False, state=C2PAStatus.STRIPPED, xmp_provenance=reference)
    if reference and reference.lower().startswith(("http://", "https://")):
        return C2PAState(
            present=True, state=C2PAStatus.REMOTE, remote_url=reference, xmp_provenance=reference
        )
    return C2PAState(
        present=True,
        state=C2PAStatus.UNREADABLE,
        xmp_provenance=reference,
        error="the XMP names Content Credentials at a place that is neither in this file nor a web address",
    )


def failure_kind(code: str) -> C2PAProblem:
    """What one failed C2PA check means (see ``FAILURE_KINDS``), whoever's credentials it is
    about: an ingredient's hash mismatch is a content change of that ingredient."""
    if code.startswith("ingredient."):  # the file's record of an ingredient does not hold
        if code.startswith("ingredient.claimSignature."):
            return C2PAProblem.SIGNATURE_INVALID
        return C2PAProblem.CONTENT_CHANGED if code.endswith(".mismatch") else C2PAProblem.CREDENTIALS_DAMAGED
    if code.endswith(".untrusted"):  # signingCredential, timeStamp, cawg.x509.credential
        return C2PAProblem.SIGNER_UNTRUSTED
    if code.startswith("assertion.") and code.endswith(".mismatch"):
        return C2PAProblem.CONTENT_CHANGED
    if code.startswith("claimSignature.") and code != "claimSignature.outsideValidity":
        return C2PAProblem.SIGNATURE_INVALID
    if code.endswith(".revoked"):
        return C2PAProblem.CERTIFICATE_REVOKED
    if code.startswith(("signingCredential.", "timeStamp.", "claimSignature.outsideValidity")):
        return C2PAProblem.CERTIFICATE_NOT_VALID
    return C2PAProblem.CREDENTIALS_DAMAGED


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
            C2PAFailure(code, failure_kind(code), scope, explanation[:300] if explanation else None)
        )
    return failures


def _identities(manifest: dict[str, Any]) -> list[C2PAIdentity]:
    """The CAWG identity assertions of a manifest as the reader reports them: an X.509 one names
    its signer in ``signature_info``; an identity claims aggregation lists ``verifiedIdentities``
    (looked for a few levels down, as readers nest the credential differently)."""
    identities = []
    for assertion in manifest.get("assertions") or []:
        label = assertion.get("label") if isinstance(assertion, dict) else None
        if not (isinstance(label, str) and label.split("__")[0] == _IDENTITY_LABEL):
            continue
        data = assertion.get("data") if isinstance(assertion.get("data"), dict) else {}
        payload = data.get("signer_payload") if isinstance(data.get("signer_payload"), dict) else {}
        signature = data.get("signature_info") if isinstance(data.get("signature_info"), dict) else {}
        verified = _find(data, "verifiedIdentities", 4)
        subject = _find(data, "credentialSubject", 3)
        subject = subject if isinstance(subject, dict) else {}
        identities.append(
            C2PAIdentity(
                label=clean_text(label, 120),
                sig_type=_text(payload.get("sig_type")),
                signer=_text(signature.get("common_name")) or _text(subject.get("name")),
                issuer=_text(signature.get("issuer")) or _text(_find(data, "issuer", 3)),
                verified_identities=[
                    _verified(v)
                    for v in (verified if isinstance(verified, list) else [])[:MAX_IDENTITIES]
                    if isinstance(v, dict)
                ],
            )
        )
        if len(identities) >= MAX_IDENTITIES:
            break
    return identities


# Identity assertions, and identities of one assertion, kept at most (a crafted manifest can list thousands).
MAX_IDENTITIES = 20


def _verified(value: dict[str, Any]) -> VerifiedIdentity:
    return VerifiedIdentity(
        type=_text(value.get("type")),
        name=_text(value.get("name")),
        username=_text(value.get("username")),
        uri=_text(value.get("uri")),
        provider=_text(value.get("provider")),  # {"id", "name"}: its name
        verified_at=_text(value.get("verifiedAt")),
    )


def _find(value: Any, key: str, depth: int) -> Any:
    """The first value under ``key`` in nested mappings, at most ``depth`` levels down."""
    if not isinstance(value, dict) or depth < 0:
        return None
    if key in value:
        return value[key]
    for item in list(value.values())[:50]:
        found = _find(item, key, depth - 1)
        if found is not None:
            return found
    return None


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
    result.identities = _identities(active)
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
