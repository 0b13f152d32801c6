"""``bundle verify`` against tampered and hostile bundles: strict structure, bounded reads,
the audit head, and Ed25519 signatures. Every bundle here is written by the test."""

from __future__ import annotations

import hashlib
import json
import zipfile

import pytest

from core.cases import CaseStore
from core.context import make_context
from core.pipeline import analyze
from core.reports.bundle import create_bundle, generate_signing_key, verify_bundle
from core.settings import Settings
from core.sources import Source
from tests.images import encode, photo


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    root = tmp_path_factory.mktemp("bundle")
    store = CaseStore(root / "store", key_path=root / "anchor.key")
    c = store.create_case("Bundle", "ana")
    ctx = make_context(Settings(classifier=False, forensics=False))
    for seed in (1, 2):
        data = encode(photo((64, 48), seed=seed), "JPEG")
        store.add_item(c.id, f"{seed}.jpg", data, analyze(Source.from_bytes(f"{seed}.jpg", data), ctx), "ana")
    private, public = generate_signing_key(root / "desk")
    path = root / "case.zip"
    manifest = create_bundle(store, c.id, path, signing_key_pem=private.read_bytes())
    return path, manifest, public.read_bytes(), root


BAD_SIGNATURE = (
    "the signature does not verify with this public key: the manifest was changed or signed by another key"
)


def rewrite(src_path, dst_path, change):
    """Copy a bundle, letting ``change(name, data) -> list of (name, data)`` edit each member."""
    with zipfile.ZipFile(src_path) as src, zipfile.ZipFile(dst_path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            for name, data in change(info.filename, src.read(info)):
                dst.writestr(name, data)


def rehash(manifest: dict, files: dict[str, bytes]) -> bytes:
    manifest = json.loads(json.dumps(manifest))
    manifest["files"].update({n: hashlib.sha256(d).hexdigest() for n, d in files.items()})
    return json.dumps(manifest).encode()


def test_a_signed_bundle_verifies_with_its_key_and_head(bundle):
    path, manifest, public, _ = bundle
    assert verify_bundle(path, public_key_pem=public, expected_head=manifest["audit_head"]["hash"]) == []
    assert any("not the one you expected" in p for p in verify_bundle(path, expected_head="0" * 64))


def test_cli_prints_the_audit_head_and_says_when_a_bundle_is_unsigned(bundle, tmp_path, capsys):
    from core.cli import main

    path, manifest, public, _ = bundle
    head = manifest["audit_head"]
    assert main(["bundle", "verify", str(path)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == [
        "bundle verifies: every file matches its manifest",
        f"audit head: {head['hash']} ({head['entries']} entries); it must equal the head that `case verify` "
        "printed for this case, kept apart from the store",
        "the bundle is signed; give --public-key DESK.pub to check the signature",
    ]
    unsigned = tmp_path / "unsigned.zip"
    rewrite(path, unsigned, lambda name, data: [] if name == "manifest.sig" else [(name, data)])
    assert main(["bundle", "verify", str(unsigned)]) == 0
    assert (
        capsys.readouterr()
        .out.splitlines()[-1]
        .startswith("warning: the bundle is not signed: anyone who changes")
    )


def test_an_original_removed_with_its_manifest_entry_is_caught(bundle, tmp_path):
    path, manifest, _, _ = bundle
    victim = manifest["originals"][0]["path"]
    slim = {k: v for k, v in manifest.items()}
    slim["files"] = {k: v for k, v in manifest["files"].items() if k != victim}

    def change(name, data):
        if name == victim:
            return []
        return [(name, json.dumps(slim).encode() if name == "manifest.json" else data)]

    rewrite(path, tmp_path / "t.zip", change)
    assert verify_bundle(tmp_path / "t.zip") == [
        f"{victim}: the bundle must hold it, but the manifest does not list it"
    ]


def test_a_swapped_and_rehashed_original_fails_the_signature_and_the_results(bundle, tmp_path):
    path, manifest, public, _ = bundle
    victim = manifest["originals"][0]["path"]
    other = encode(photo((64, 48), seed=7), "JPEG")
    new_manifest = rehash(manifest, {victim: other})
    rewrite(
        path,
        tmp_path / "t.zip",
        lambda n, d: [(n, other if n == victim else new_manifest if n == "manifest.json" else d)],
    )
    assert verify_bundle(tmp_path / "t.zip", public_key_pem=public) == [
        f"{victim}: an original's name must be its own SHA-256",
        BAD_SIGNATURE,
    ]


def test_edited_results_rehashed_are_caught_by_the_signature(bundle, tmp_path):
    path, manifest, public, _ = bundle
    with zipfile.ZipFile(path) as zf:
        results = json.loads(zf.read("results.json"))
    results["items"][0]["result"]["verdict"]["band"] = "little evidence of AI generation"
    edited = json.dumps(results).encode()
    new_manifest = rehash(manifest, {"results.json": edited})
    rewrite(
        path,
        tmp_path / "t.zip",
        lambda n, d: [(n, edited if n == "results.json" else new_manifest if n == "manifest.json" else d)],
    )
    assert verify_bundle(tmp_path / "t.zip") == []  # unsigned checking cannot tell (README says so)
    assert verify_bundle(tmp_path / "t.zip", public_key_pem=public) == [BAD_SIGNATURE]


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("../../../../tmp/x.sh", ["an absolute or escaping name", "in the bundle but not in the manifest"]),
        ("/etc/cron.d/evil", ["an absolute or escaping name", "in the bundle but not in the manifest"]),
        (
            "originals/",
            ["a folder entry (bundles hold none; it can hide data)", "in the bundle but not in the manifest"],
        ),
        ("report.html", ["appears more than once (a reader may take either copy)"]),
    ],
)
@pytest.mark.filterwarnings("ignore:Duplicate name")  # the duplicate member is the attack
def test_hostile_member_names_are_reported(bundle, tmp_path, name, why):
    path, _, _, _ = bundle

    def change(member, data):
        return [(member, data)] + ([(name, b"#!/bin/sh\n")] if member == "items.csv" else [])

    rewrite(path, tmp_path / "t.zip", change)
    assert verify_bundle(tmp_path / "t.zip") == [f"{name}: {reason}" for reason in why]


def test_hostile_zips_give_problems_not_tracebacks(bundle, tmp_path):
    path, manifest, _, _ = bundle
    only = tmp_path / "only.zip"
    with zipfile.ZipFile(only, "w") as zf:
        zf.writestr("manifest.json", json.dumps({"files": {}}))
    assert verify_bundle(only) == ["results.json is missing"]

    deep = tmp_path / "deep.zip"
    with zipfile.ZipFile(deep, "w") as zf:
        zf.writestr("manifest.json", "[" * 100_000 + "]" * 100_000)
        zf.writestr("results.json", "{}")
    assert verify_bundle(deep) == ["manifest.json is not a JSON object"] or any(
        "nested too deeply" in p for p in verify_bundle(deep)
    )

    integer = tmp_path / "int.zip"
    bad = dict(manifest, files={**manifest["files"], "items.csv": 12345})
    rewrite(path, integer, lambda n, d: [(n, json.dumps(bad).encode() if n == "manifest.json" else d)])
    assert verify_bundle(integer) == ["manifest.json does not list its files as name -> SHA-256"]

    crc = tmp_path / "crc.zip"
    raw = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo("report.html")
    at = info.header_offset + 30 + len(info.filename) + len(info.extra) + 10
    raw[at] ^= 0xFF
    crc.write_bytes(bytes(raw))
    problems = verify_bundle(crc)
    assert problems and all(isinstance(p, str) for p in problems)

    method = tmp_path / "method.zip"
    raw = bytearray(path.read_bytes())
    central = raw.find(b"PK\x01\x02", raw.find(b"PK\x01\x02"))
    while raw[central + 46 : central + 46 + len(b"report.html")] != b"report.html":
        central = raw.find(b"PK\x01\x02", central + 4)
    raw[central + 10 : central + 12] = (99).to_bytes(2, "little")  # the central directory's method
    method.write_bytes(bytes(raw))
    assert any("report.html" in p for p in verify_bundle(method))


def test_verification_is_bounded_and_never_inflates_a_refused_member(bundle, tmp_path, monkeypatch):
    """Regression: a 33 MB bundle declaring 8 x 3.9 GiB was still being hashed at 150 s, members
    over the limit included. A bomb member is named and never inflated; hashing stops at the
    time limit, and then the bundle does not verify; a crafted directory is refused unparsed."""
    import os
    import struct

    import core.reports.bundle as bundle_module

    path, manifest, _, _ = bundle
    original = next(n for n in manifest["files"] if n.startswith("originals/"))
    bomb = tmp_path / "bomb.zip"
    rewrite(path, bomb, lambda n, d: [(n, b"\x00" * (64 * 1024**2) if n == original else d)])
    hashed = []
    real = bundle_module._hash_member
    monkeypatch.setattr(bundle_module, "_hash_member", lambda zf, n, dl: hashed.append(n) or real(zf, n, dl))
    problems = verify_bundle(bomb)
    assert any(
        p.startswith(f"{original}: compressed ") and p.endswith("(a ZIP bomb?); not inflated")
        for p in problems
    )
    assert original not in hashed and "report.html" in hashed

    hashed.clear()
    stopped = verify_bundle(path, time_limit_s=0)
    assert hashed == [] and stopped[-1].startswith("verification stopped after 0 s: ")
    assert stopped[-1].endswith("file(s) not hashed (the first: items.csv); the bundle is not verified")

    crafted = bytearray(path.read_bytes())
    at = crafted.rfind(b"PK\x05\x06")
    crafted[at + 8 : at + 12] = struct.pack("<2H", 0xFFFF, 0xFFFF)  # 65,535 declared entries: fine
    declared = tmp_path / "declared.zip"
    declared.write_bytes(bytes(crafted))
    monkeypatch.setattr(bundle_module, "MAX_ENTRIES", 1000)
    assert verify_bundle(declared) == ["not a readable ZIP file: it declares 65,535 entries, more than 1,000"]

    fifo = tmp_path / "key.pub"
    os.mkfifo(fifo)
    from core.cli import main

    assert main(["bundle", "verify", str(path), "--public-key", str(fifo)]) == 2  # refused, never read
    assert verify_bundle(fifo) == [
        "not a readable ZIP file: not read: a named pipe (FIFO)"
    ]  # never waited on
