"""The case bundle: one ZIP holding everything needed to check a case later.

``originals/<sha256>`` (the exact bytes examined), ``results.json`` (the report model:
the CLI's schema plus case data, unredacted), ``report.html``, ``report.pdf``,
``items.csv``, and ``manifest.json``: the SHA-256 of every other file in the bundle,
plus what produced the results (model id, resolved revision, a hash of the weight
files and the preprocessing settings when the model is on this machine, thresholds,
library versions). ``verify_bundle`` re-hashes every file against the manifest.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from core.cases import CaseStore
from core.detector.loader import describe_local_model

from . import RENDERERS, build_report

MANIFEST = "manifest.json"


def create_bundle(store: CaseStore, case: int | str, out_path: str | Path) -> dict[str, Any]:
    """Write the bundle ZIP; returns its manifest."""
    report = build_report(store, case, redact=False)
    files: dict[str, bytes] = {
        "results.json": RENDERERS["json"](report),
        "report.html": RENDERERS["html"](report),
        "report.pdf": RENDERERS["pdf"](report),
        "items.csv": RENDERERS["csv"](report),
    }
    originals = []
    for item in report["items"]:
        name = f"originals/{item['sha256']}"
        files[name] = store.original_path(item["sha256"]).read_bytes()
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
    with zipfile.ZipFile(out_path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in sorted(files.items()):
            zf.writestr(name, data)
        zf.writestr(MANIFEST, json.dumps(manifest, indent=2, ensure_ascii=False))
    return manifest


def verify_bundle(path: str | Path) -> list[str]:
    """Every way the bundle differs from its manifest; an empty list means it verifies."""
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        return [f"not a readable ZIP file: {exc}"]
    with zf:
        names = {i.filename for i in zf.infolist() if not i.is_dir()}
        if MANIFEST not in names:
            return ["manifest.json is missing"]
        try:
            manifest = json.loads(zf.read(MANIFEST))
            listed = dict(manifest["files"])
        except (ValueError, KeyError, TypeError) as exc:
            return [f"manifest.json cannot be read: {exc}"]
        problems = []
        for name, expected in sorted(listed.items()):
            if name not in names:
                problems.append(f"{name}: listed in the manifest but missing from the bundle")
                continue
            digest = hashlib.sha256()
            with zf.open(name) as fh:
                for block in iter(lambda: fh.read(1 << 20), b""):
                    digest.update(block)
            if digest.hexdigest() != expected:
                problems.append(f"{name}: content changed (SHA-256 {digest.hexdigest()[:16]}..., "
                                f"manifest says {expected[:16]}...)")  # fmt: skip
            elif name.startswith("originals/") and name.split("/", 1)[1] != expected:
                problems.append(f"{name}: an original's name must be its own SHA-256")
        for name in sorted(names - set(listed) - {MANIFEST}):
            problems.append(f"{name}: in the bundle but not in the manifest")
        return problems
