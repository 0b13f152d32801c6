"""The one report model: everything any report format shows, built once from the store.

HTML, PDF, JSON, CSV and the bundle all render this same dictionary, so they cannot
disagree. Each item carries its full result as a ``ScanResult`` (redacted on request; the
JSON form is the CLI's schema), the lines derived from it once (band, key evidence, key
facts) and the case data: status, tags, notes, who added it and when.
"""

from __future__ import annotations

import base64
import platform
from collections import Counter
from datetime import UTC, datetime
from importlib import metadata as package_metadata
from typing import Any

from core import __version__, thresholds
from core.analyzers import REGISTRY
from core.cases import CaseError, CaseStore, Item
from core.cases.families import case_families
from core.display import preview_safely
from core.index import seen as seen_before
from core.index.tree import Families
from core.schema import GPS, SCHEMA_VERSION, ErrorInfo, FileFacts, ScanResult
from core.settings import Settings, load_settings
from core.vocabulary import Band, RowStatus
from core.wellformed import repaired_tree

from .redaction import redacted

LIBRARIES = (
    "torch",
    "transformers",
    "pillow",
    "pillow-heif",
    "exifread",
    "defusedxml",
    "c2pa-python",
    "numpy",
)


def display_time(stamp: object) -> str:
    """A stored timestamp as people read it: "2026-11-27 15:30:59 UTC" (the store keeps
    microseconds, for ordering; people need seconds). Anything else is shown as it is."""
    try:
        moment = datetime.fromisoformat(str(stamp))
    except ValueError:
        return str(stamp)
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S") + (" UTC" if moment.tzinfo is not None else "")


def display_value(value: object) -> str:
    """A value as people read it (report tables, audit details, the dashboard): nothing for
    None, yes/no for booleans, "a, b" for lists and "key: value; ..." for mappings, never
    Python's repr."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict):
        return "; ".join(f"{k}: {display_value(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(display_value(v) for v in value)
    return str(value)


def display_band(band: object) -> str:
    """A verdict band as a heading: its first letter capitalised, the rest as written ("AI"
    stays "AI", where str.capitalize and Jinja's capitalize would write "ai")."""
    text = "" if band is None else str(band)
    return text[:1].upper() + text[1:]


def library_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in LIBRARIES:
        try:
            versions[name] = package_metadata.version(name)
        except package_metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def credential_thumbnails(result: ScanResult, settings: Settings) -> list[dict[str, str]]:
    """The thumbnails an item's Content Credentials carry (each manifest of its history, each
    ingredient), captioned, for the report's credentials section. Each is made again in a file
    worker from what the store holds (a store can be altered), so the report's process decodes
    nothing."""
    c2 = result.provenance.c2pa
    carried = [(f"Manifest {t.manifest}", t.jpeg_b64) for t in c2.thumbnails] + [
        (
            f"Ingredient {i.title or 'untitled'} ({i.relationship or 'relationship not given'})",
            i.thumbnail_jpeg_b64,
        )
        for i in c2.ingredients
        if i.thumbnail_jpeg_b64
    ]
    shown = []
    for caption, encoded in carried[:MAX_CREDENTIAL_THUMBNAILS]:
        try:
            data = base64.b64decode(encoded, validate=True)
        except (ValueError, TypeError):
            continue
        if small := preview_safely(data, settings, 160):
            shown.append({"caption": caption, "jpeg_b64": base64.b64encode(small).decode()})
    return shown


# Credentials thumbnails shown per item in a report.
MAX_CREDENTIAL_THUMBNAILS = 8


def thumbnail_b64(store: CaseStore, sha256: str, settings: Settings, size: int = 320) -> str | None:
    """A small JPEG of an original, base64-encoded, made in a file worker under the per-file
    limits of ``settings``; None when it does not decode within them, or when the original is
    missing, modified or a link (``CaseStore.read_original``; ``case verify`` reports it)."""
    try:
        data = store.read_original(sha256)
    except CaseError:
        return None
    preview = preview_safely(data, settings, size)
    return base64.b64encode(preview).decode() if preview else None


def analyzers_run(results: list[ScanResult]) -> list[dict[str, Any]]:
    """Every registered analyzer with the versions that produced the items, and how many
    items it ran on, skipped (with the reasons) or failed on; ``not_recorded`` counts items
    analysed before results listed their analyzers (schema 1.2 and older) or whose stored
    result cannot be read."""
    rows = []
    for analyzer in REGISTRY:
        row: dict[str, Any] = {
            "id": analyzer.id,
            "description": analyzer.description,
            "versions": [],
            "ok": 0,
            "skipped": 0,
            "failed": 0,
            "not_recorded": 0,
            "reasons": [],
        }
        for result in results:
            run = next((r for r in result.analyzers if r.id == analyzer.id), None)
            if run is None:
                row["not_recorded"] += 1
                continue
            if run.version not in row["versions"]:
                row["versions"].append(run.version)
            row[run.status.value] += 1
            why = run.reason or run.message
            if why and why not in row["reasons"] and len(row["reasons"]) < MAX_REASONS:
                row["reasons"].append(why)
        rows.append(row)
    return rows


# Distinct skip or failure reasons listed per analyzer in a report.
MAX_REASONS = 5


def summary(results: list[ScanResult]) -> dict[str, Any]:
    """The report's first page: how many items fall in each verdict band (strongest first), and
    why items have no classifier score, each reason once with its count (a report of 47 items
    without a classifier says so once, not 47 times)."""
    bands = Counter(Band.of(r.verdict.band if r.verdict else None).value for r in results)
    reasons = Counter(
        str(r.classifier_error or "no reason recorded") for r in results if r.classifier is None
    )
    return {
        "items": len(results),
        "bands": [{"band": b, "items": bands[b]} for b in sorted(bands, key=Band.rank_of)],
        "classifier_notes": [{"reason": r, "items": n} for r, n in reasons.items()],
    }


def analysis_setup(results: list[ScanResult]) -> dict[str, Any]:
    """What produced the results: analyzers and their versions, models and revisions seen,
    thresholds, libraries."""
    scored = [r for r in results if r.classifier]
    return {
        "tool_version": __version__,
        "schema_version": SCHEMA_VERSION,
        "analyzers": analyzers_run(results),
        # The calibration profiles the items' sentences cite (setting calibration), by SHA-256.
        "calibration_profiles": sorted({r.calibration.profile for r in scored if r.calibration}),
        "models": [
            {"model": m, "revision": v}
            for m, v in sorted({(r.classifier.model, r.classifier.revision) for r in scored})
        ],
        "thresholds": {
            "strong": thresholds.STRONG_SIGNAL,
            "moderate": thresholds.MODERATE_SIGNAL,
            "weak": thresholds.WEAK_SIGNAL,
            "low": thresholds.LOW_SIGNAL,
        },
        "libraries": library_versions(),
    }


def _typed(item: Item) -> ScanResult:
    """An item's stored result as a ``ScanResult``; one saying so when the stored record
    cannot be read (a damaged store: the report still lists the item, and verify says what is
    wrong)."""
    try:
        return item.scan_result()
    except CaseError as exc:
        return ScanResult(
            path=item.file_name,
            status=RowStatus.ERROR,
            error=ErrorInfo("stored_result_unreadable", f"{exc}; `case verify` says what is wrong"),
            file=FileFacts(name=item.file_name, sha256=item.sha256, size_bytes=item.size_bytes),
        )


def key_facts(item: Item, result: ScanResult) -> list[tuple[str, str]]:
    """The "Key facts" table of one item, label and text, as every report format shows it;
    rows with nothing to say are left out. ``result`` is the item's result as shown (redacted
    on request); the hash and size are the store's, what custody is about."""
    file, meta = result.file, result.metadata
    gps, gen, c2pa = meta.gps, result.provenance.generator, result.provenance.c2pa
    classifier, stability = result.classifier, result.stability
    scores = ""
    if classifier is not None:
        scores = (
            f"{classifier.p_artificial:.2f} for 'artificial' ({classifier.model} @ {classifier.revision})"
        )
        if stability is not None:
            scores += f"; after re-compression and resizing {stability.min:.2f} to {stability.max:.2f}" + (
                ", unstable" if stability.unstable else ""
            )
    facts = [
        ("SHA-256", item.sha256),
        ("MD5", file.md5),
        ("Format, size", f"{file.format}, {file.width} x {file.height}, {item.size_bytes} bytes"),
        (
            "Camera",
            meta.camera.display_name() + (f", serial {meta.camera.serial}" if meta.camera.serial else ""),
        ),
        ("Software", meta.software),
        ("Date-time original", meta.datetime_original),
        ("GPS", f"{gps.lat}, {gps.lon}" if isinstance(gps, GPS) else gps),
        ("Content Credentials", (c2pa.state or "") + (f", signed by {c2pa.signer}" if c2pa.signer else "")),
        ("Trust lists checked", c2pa.trust_summary()),
        ("Identity assertions", "; ".join(i.describe() for i in c2pa.identities)),
        ("Earlier versions (ingredients)", c2pa.ingredients_state),
        ("Generator", gen.name or gen.tool),
        ("Prompt", gen.prompt),
        # Why an item has no score is said once, in the set-up section.
        ("Classifier", scores),
        (
            "All classifiers (not averaged)",
            "; ".join(f"{c.model} {c.p_artificial:.2f}" for c in result.classifiers)
            if len(result.classifiers) > 1
            else "",
        ),
        ("Seen before", seen_before.described(result)),
    ]
    return [(label, str(value)) for label, value in facts if value]


def family_rows(found: Families) -> list[dict[str, Any]]:
    """Each family of copies among the items, as a report shows it: the copy closest to the
    original and why, then one row per copy with the copy it was made from and the reason."""
    return [
        {
            "closest": tree.closest,
            "why": tree.why,
            "copies": tree.copies,
            "edges": [
                {"parent": e.parent, "child": e.child, "kind": e.kind, "reason": e.reason} for e in tree.edges
            ],
        }
        for tree in found.trees
    ]


def build_report(
    store: CaseStore,
    case: int | str,
    redact: bool = False,
    thumbnails: bool = True,
    settings: Settings | None = None,
) -> dict[str, Any]:
    settings = settings or load_settings()  # the user's limits for thumbnails, not the defaults
    c = store.case(case)
    notes = store.notes(c.id)
    items, typed, stored = [], [], []
    for item in store.items(c.id):
        # The stored result gives what every format derives (camera, key evidence, bands, models):
        # none of it is redacted. ``result``, what the formats print in full, is redacted on request.
        typed.append(scan := _typed(item))
        stored.append((item, scan))
        result = redacted(scan) if redact else scan
        items.append(
            {
                "id": item.id,
                "file_name": item.file_name,
                "sha256": item.sha256,
                "size_bytes": item.size_bytes,
                "added_at": item.added_at,
                "added_by": item.added_by,
                "status": item.status,
                "tags": item.tags,
                "notes": [n for n in notes if n["item_id"] == item.id],
                "camera": scan.metadata.camera.display_name(),
                "key_evidence": scan.key_evidence(),
                "band": scan.verdict.band if scan.verdict else "",
                "c2pa": str(scan.provenance.c2pa.state or ""),
                "facts": key_facts(item, result),
                "thumbnail_jpeg_b64": thumbnail_b64(store, item.sha256, settings) if thumbnails else None,
                "credential_thumbnails": credential_thumbnails(result, settings) if thumbnails else [],
                "result": result,
            }
        )
    # Copies are traced among the items the seen-before index holds: a report decodes no originals.
    found, untraced = case_families(store, stored, settings, decode_missing=False)
    report = {
        "report_version": 1,
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "redacted": redact,
        "case": {
            "id": c.id,
            "name": c.name,
            "status": c.status,
            "created_at": c.created_at,
            "updated_at": c.updated_at,
        },
        "case_notes": [n for n in notes if n["item_id"] is None],
        "summary": summary(typed),
        "items": items,
        "families": family_rows(found),
        "families_untraced": len(untraced),
        "audit": (audit := store.audit_log(c.id)),
        # Written into every report and bundle, so a later check can compare with the store.
        "audit_head": {"entries": len(audit), "hash": audit[-1]["hash"] if audit else None},
        "analysis": analysis_setup(typed),
    }
    # Every format renders this one model: made well-formed once (stores written by older
    # versions may hold text that is not UTF-8), so no renderer can fail on a file's strings.
    return repaired_tree(report, limits=False)[0]
