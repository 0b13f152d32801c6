"""The case bundle: one ZIP holding everything needed to check a case later.

``originals/<sha256>`` (the exact bytes examined), ``results.json`` (the report model:
the CLI's schema plus case data, unredacted), ``report.html``, ``report.pdf``,
``items.csv``, and ``manifest.json``: the SHA-256 of every other file in the bundle,
plus what produced the results (model id, resolved revision, a hash of the weight
files and the preprocessing settings when the model is on this machine, thresholds,
library versions), and optionally ``manifest.sig``, an Ed25519 signature of the manifest.
``verify_bundle`` checks the structure strictly, re-hashes every file against the manifest,
ties the bundle to its audit head, and checks the signature against a public key.

An unsigned bundle proves integrity only against accidental change, unless its audit head is
kept somewhere an editor of the bundle cannot reach: whoever can rewrite the bundle can
rewrite its manifest. A signed bundle proves it left the signer's hands as it is.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
import zipfile
import zlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from core.cases import CaseStore
from core.detector.loader import describe_local_model
from core.errors import AnalysisError
from core.intake import open_regular, read_bytes
from core.intake.archive import read_directory
from core.settings import VERIFY_TIME_LIMIT_S, Settings

from . import build_report, render_csv, render_html, render_json, render_pdf

MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"  # optional: an Ed25519 signature of manifest.json
REPORT_FILES = ("results.json", "report.html", "report.pdf", "items.csv")
# Bounds checked before anything is read.
MAX_JSON_BYTES = 256 * 1024 * 1024
MAX_MEMBER_BYTES = 4 * 1024 * 1024 * 1024
# What one verification reads at most: entries in the directory, the directory's own size, the
# bytes inflated in all, a member's compression ratio (a report or an original is never
# squeezed 500:1; deflate's most is about 1,030:1, what a bomb uses), and the time it takes.
MAX_ENTRIES = 200_000
MAX_DIRECTORY_BYTES = 64 * 1024 * 1024
MAX_TOTAL_BYTES = 64 * 1024**3
MAX_RATIO = 500
_HEX64 = re.compile(r"[0-9a-f]{64}")


def create_bundle(
    store: CaseStore,
    case: int | str,
    out: str | Path | BinaryIO,
    signing_key_pem: bytes | None = None,
    settings: Settings | None = None,
) -> dict[str, Any]:
    """Write the bundle ZIP (signed with an Ed25519 key when one is given); returns its manifest."""
    report = build_report(store, case, redact=False, settings=settings)
    files: dict[str, bytes] = {
        "results.json": render_json(report),
        "report.html": render_html(report),
        "report.pdf": render_pdf(report),
        "items.csv": render_csv(report),
    }
    originals = []
    for item in report["items"]:
        name = f"originals/{item['sha256']}"
        files[name] = store.read_original(item["sha256"])  # a modified or linked original stops the bundle
        originals.append(
            {"path": name, "file_name": item["file_name"], "item_id": item["id"], "sha256": item["sha256"]}
        )
    analysis = dict(report["analysis"])
    analysis["models"] = [
        {**m, **describe_local_model(m["model"], m["revision"])} for m in analysis["models"]
    ]
    manifest = {
        "bundle_version": 1,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "case": report["case"],
        "audit_head": report["audit_head"],
        "analysis": analysis,
        "originals": originals,
        "files": {name: hashlib.sha256(data).hexdigest() for name, data in sorted(files.items())},
    }
    manifest_bytes = json.dumps(manifest, indent=2, ensure_ascii=False).encode("utf-8")
    signature = sign_manifest(manifest_bytes, signing_key_pem) if signing_key_pem else None
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in sorted(files.items()):
            zf.writestr(name, data)
        zf.writestr(MANIFEST, manifest_bytes)
        if signature is not None:
            zf.writestr(SIGNATURE, signature)
    return manifest


def verify_bundle(
    path: str | Path,
    public_key_pem: bytes | None = None,
    expected_head: str | None = None,
    time_limit_s: float = VERIFY_TIME_LIMIT_S,
) -> list[str]:
    """Every way the bundle differs from what a bundle must be; an empty list means it verifies.

    The structure is checked strictly before anything is hashed: exactly the files a bundle
    holds (the reports, ``results.json``, ``manifest.json``, an optional signature, and one
    original for each item ``results.json`` names), no duplicate, absolute, ``..`` or folder
    entries, no encrypted or unknown compression, sizes bounded before reading. Then every
    file is hashed against the manifest, the audit head of the manifest and of the results
    must agree (and equal ``expected_head`` when given), and with ``public_key_pem`` the
    manifest's Ed25519 signature must verify. Bounded: the directory is checked from its end
    record before it is parsed, a refused member is never inflated, and hashing stops (the
    bundle then does not verify) at ``time_limit_s``."""
    deadline = time.monotonic() + time_limit_s
    try:
        zf = _open_bounded(path)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        return [f"not a readable ZIP file: {exc}"]
    with zf:
        infos = zf.infolist()
        problems, refused = _structure_problems(infos)
        sizes = {i.filename: i.file_size for i in infos}
        if sum(i.file_size for i in infos if i.filename not in refused) > MAX_TOTAL_BYTES:
            return problems + [
                f"the bundle declares more than {MAX_TOTAL_BYTES:,} bytes in all; not hashed (a bundle is never this large)"
            ]
        manifest, problem = _read_json(zf, sizes, MANIFEST)
        if problem:
            return problems + [problem]
        results, problem = _read_json(zf, sizes, "results.json")
        if problem:
            return problems + [problem]
        listed = manifest.get("files") if isinstance(manifest, dict) else None
        if not isinstance(listed, dict) or not all(
            isinstance(k, str) and isinstance(v, str) and _HEX64.fullmatch(v) for k, v in listed.items()
        ):
            return problems + ["manifest.json does not list its files as name -> SHA-256"]
        item_hashes = _item_hashes(results)
        if item_hashes is None:
            return problems + ["results.json does not list the case's items"]
        expected = set(REPORT_FILES) | {f"originals/{h}" for h in item_hashes}
        for name in sorted(expected - set(listed)):
            problems.append(f"{name}: the bundle must hold it, but the manifest does not list it")
        for name in sorted(set(listed) - expected):
            problems.append(f"{name}: listed in the manifest, but no bundle holds such a file")
        originals = manifest.get("originals") if isinstance(manifest.get("originals"), list) else []
        if sorted(str(o.get("sha256")) for o in originals if isinstance(o, dict)) != sorted(item_hashes):
            problems.append("the manifest's originals are not the items that results.json names")
        present = set(sizes)
        for name in sorted(present - set(listed) - {MANIFEST, SIGNATURE}):
            problems.append(f"{name}: in the bundle but not in the manifest")
        unchecked = []
        for name, want in sorted(listed.items()):
            if name not in present:
                problems.append(f"{name}: listed in the manifest but missing from the bundle")
                continue
            if name in refused:
                continue  # its problem is listed above; inflating it is what the limits forbid
            if time.monotonic() > deadline:
                unchecked.append(name)
                continue
            digest, problem = _hash_member(zf, name, deadline)
            if problem:
                problems.append(problem)
            elif digest != want:
                problems.append(
                    f"{name}: content changed (SHA-256 {digest[:16]}..., manifest says {want[:16]}...)"
                )
            elif name.startswith("originals/") and name.split("/", 1)[1] != want:
                problems.append(f"{name}: an original's name must be its own SHA-256")
        if unchecked:
            problems.append(
                f"verification stopped after {time_limit_s:g} s: {len(unchecked)} file(s) not hashed "
                f"(the first: {unchecked[0]}); the bundle is not verified"
            )
        head = manifest.get("audit_head")
        if head != results.get("audit_head"):
            problems.append("the manifest's audit head is not the one results.json records")
        if expected_head is not None and (not isinstance(head, dict) or head.get("hash") != expected_head):
            problems.append(f"the bundle's audit head is not the one you expected ({expected_head[:16]}...)")
        if public_key_pem is not None:
            problems += _signature_problems(zf, sizes, public_key_pem)
        return problems


def bundle_facts(path: str | Path) -> dict[str, Any]:
    """What a reader of ``bundle verify`` needs beside the problems: the audit head the manifest
    records (to compare with the head ``case verify`` printed) and whether it is signed at all
    (an unsigned bundle proves only that its files match its own manifest)."""
    try:
        with _open_bounded(path) as zf:
            sizes = {i.filename: i.file_size for i in zf.infolist()}
            manifest, _ = _read_json(zf, sizes, MANIFEST)
    except (zipfile.BadZipFile, OSError, ValueError):
        return {"audit_head": None, "signed": False}
    head = manifest.get("audit_head") if isinstance(manifest, dict) else None
    return {"audit_head": head if isinstance(head, dict) else None, "signed": SIGNATURE in sizes}


# An Ed25519 key in PEM is a few hundred bytes.
MAX_KEY_BYTES = 64 * 1024


def read_key(path: str | Path) -> bytes:
    """A signing or public key file, read under the rules for untrusted files (a regular file,
    bounded): a FIFO or /dev/zero given as a key is refused, not read forever."""
    try:
        return read_bytes(path, MAX_KEY_BYTES)
    except AnalysisError as exc:
        raise ValueError(f"the key {path} cannot be used: {exc.message}") from exc


def sign_manifest(manifest_bytes: bytes, private_key_pem: bytes) -> bytes:
    """An Ed25519 signature of ``manifest.json`` (which hashes every other file)."""
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    key = load_pem_private_key(private_key_pem, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("the signing key must be an Ed25519 private key (bundle keygen makes one)")
    return key.sign(manifest_bytes)


def generate_signing_key(prefix: str | Path) -> tuple[Path, Path]:
    """A new Ed25519 key pair: ``PREFIX.key`` (private, mode 0600) and ``PREFIX.pub``."""
    from cryptography.hazmat.primitives import serialization

    key = Ed25519PrivateKey.generate()
    private, public = Path(f"{prefix}.key"), Path(f"{prefix}.pub")
    fd = os.open(private, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
    public.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return private, public


def _signature_problems(zf: zipfile.ZipFile, sizes: dict[str, int], public_key_pem: bytes) -> list[str]:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    if SIGNATURE not in sizes:
        return ["the bundle is not signed (no manifest.sig)"]
    if sizes[SIGNATURE] > 1024:
        return ["manifest.sig is too large to be a signature"]
    try:
        key = load_pem_public_key(public_key_pem)
        if not isinstance(key, Ed25519PublicKey):
            return ["the public key is not an Ed25519 key"]
        key.verify(zf.read(SIGNATURE), zf.read(MANIFEST))
    except InvalidSignature:
        return [
            "the signature does not verify with this public key: the manifest was changed or signed by "
            "another key"
        ]
    except (ValueError, zipfile.BadZipFile, zlib.error, RuntimeError, NotImplementedError) as exc:
        return [f"the signature cannot be checked: {type(exc).__name__}: {str(exc)[:120]}"]
    return []


def _structure_problems(infos: list[zipfile.ZipInfo]) -> tuple[list[str], set[str]]:
    """What is wrong with the bundle's directory, and the members never to inflate because of
    it (too large, a bomb, encrypted, an unknown method, duplicated)."""
    problems: list[str] = []
    seen: set[str] = set()
    refused: set[str] = set()
    for info in infos:
        before = len(problems)
        name = info.filename
        if name in seen:
            problems.append(f"{name}: appears more than once (a reader may take either copy)")
        seen.add(name)
        parts = name.replace("\\", "/").split("/")
        if name.startswith(("/", "\\")) or ".." in parts or ":" in parts[0]:
            problems.append(f"{name}: an absolute or escaping name")
        if info.is_dir() or name.endswith("/"):
            problems.append(f"{name}: a folder entry (bundles hold none; it can hide data)")
        if info.flag_bits & 0x1:
            problems.append(f"{name}: encrypted")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            problems.append(f"{name}: unknown compression method {info.compress_type}")
        if info.file_size > MAX_MEMBER_BYTES:
            problems.append(f"{name}: declares {info.file_size:,} bytes, more than any bundle file")
        elif info.file_size > 1024**2 and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            problems.append(
                f"{name}: compressed {info.file_size // max(info.compress_size, 1):,}:1, more than any "
                "bundle file (a ZIP bomb?); not inflated"
            )
        if len(problems) > before:
            refused.add(name)
    return problems, refused


def _open_bounded(path: str | Path) -> zipfile.ZipFile:
    """The bundle opened after its end record was checked: no more entries and no larger a
    directory than a bundle can have, so a crafted directory is refused before it is parsed."""
    try:
        with open_regular(path) as (fh, size):  # a FIFO or a device is refused, never waited on
            directory = read_directory(fh, size)
    except AnalysisError as exc:
        raise ValueError(exc.message) from exc
    if directory is not None and directory.entries > MAX_ENTRIES:
        raise ValueError(f"it declares {directory.entries:,} entries, more than {MAX_ENTRIES:,}")
    if directory is not None and directory.size > MAX_DIRECTORY_BYTES:
        raise ValueError(f"its directory is {directory.size:,} bytes, more than {MAX_DIRECTORY_BYTES:,}")
    return zipfile.ZipFile(path)


def _read_json(zf: zipfile.ZipFile, sizes: dict[str, int], name: str) -> tuple[Any, str | None]:
    if name not in sizes:
        return None, f"{name} is missing"
    if sizes[name] > MAX_JSON_BYTES:
        return None, f"{name} declares {sizes[name]:,} bytes, more than it can be; not read"
    try:
        with zf.open(name) as fh:
            data = fh.read(MAX_JSON_BYTES + 1)
        if len(data) > MAX_JSON_BYTES:
            return None, f"{name} is larger than it declares; not read"
        value = json.loads(data)
    except RecursionError:
        return None, f"{name} cannot be read: nested too deeply"
    except (ValueError, zipfile.BadZipFile, zlib.error, RuntimeError, NotImplementedError, EOFError) as exc:
        return None, f"{name} cannot be read: {type(exc).__name__}: {str(exc)[:120]}"
    if not isinstance(value, dict):
        return None, f"{name} is not a JSON object"
    return value, None


def _item_hashes(results: dict) -> list[str] | None:
    items = results.get("items")
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        return None
    hashes = [i.get("sha256") for i in items]
    return hashes if all(isinstance(h, str) and _HEX64.fullmatch(h) for h in hashes) else None


def _hash_member(zf: zipfile.ZipFile, name: str, deadline: float) -> tuple[str, str | None]:
    digest = hashlib.sha256()
    try:
        with zf.open(name) as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
                if time.monotonic() > deadline:
                    return "", f"{name}: not hashed in full before the time limit; the bundle is not verified"
    except (
        zipfile.BadZipFile,
        zlib.error,
        RuntimeError,
        NotImplementedError,
        EOFError,
        OSError,
        ValueError,
    ) as exc:
        return "", f"{name}: cannot be read ({type(exc).__name__}: {str(exc)[:120]})"
    return digest.hexdigest(), None
