"""Replay of ``../shared/corpus``: real files nobody here made, judged against reference tools.

Every labelled file is scanned once (the CLI's own engine, classifier off) and its facts
are compared with the labels: camera facts with exiftool (``exiftool_camera.json``),
Content Credentials with c2pa-python's reader, generator tools and AI declarations with
``labels.jsonl``, and every ``bad/`` file with Pillow's own verdict on it. Where we and a
reference tool disagree, the exception lists below say which side is right and why; any
other difference fails. The corpus is never copied into the repository: without it these
tests skip.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import json
import os
import warnings
from pathlib import Path

import pytest
from PIL import Image

from core.analyzers.c2pa import INGREDIENT_FAILURES
from core.context import make_context
from core.metadata.exif import FIELDS, read_exifread
from core.metadata.exiv2_reader import read_exiv2
from core.scan import scan
from core.settings import Settings
from core.similarity import featureless, near_duplicate_groups
from core.sources import list_sources
from tests.rows import assert_same

CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus"
pytestmark = [
    pytest.mark.skipif(
        not (CORPUS / "labels.jsonl").is_file(),
        reason=f"the real-file corpus is not at {CORPUS} (CI always has it beside the repository)",
    ),
    pytest.mark.slow,  # 450 real files, 12 MP photos among them: about a minute on 2 cores (CI runs it)
]

ERROR_CODES = {
    "read_failed",
    "empty_file",
    "file_too_large",
    "not_an_image",
    "unsupported_format",
    "decompression_bomb",
    "decode_failed",
    "time_limit",
    "memory_limit",
    "worker_crashed",
}

# Camera facts where exiftool and we differ, and why. Key: (file, field).
CAMERA_EXCEPTIONS = {
    ("exif-org/sony-powershota5.jpg", "make"): "exiftool reads a Canon CIFF block (a CRW-style APP0 record); "
    "the file has no EXIF, which is all that exifread, Pillow and the EXIF standard know. Ours: none.",
    ("exif-org/sony-powershota5.jpg", "model"): "same CIFF block as its make",
    ("exif-org/sony-powershota5.jpg", "date"): "same CIFF block as its make",
    ("exif-org/olympus-d320l.jpg", "date"): "exiftool reads Olympus's proprietary PictureInfo text segment; "
    "the file carries no EXIF DateTimeOriginal",
    (
        "Reconyx_HC500_Hyperfire.jpg",
        "date",
    ): "the date sits only in the Reconyx MakerNote, which neither Exiv2 nor exifread "
    "decodes; EXIF DateTimeOriginal is absent",
    ("Nikon_D70.jpg", "lens"): 'ours comes from XMP aux:Lens ("100.0 mm f/2.8"), which exiftool reports as '
    "Lens, not LensModel: both read the same value",
}
# Software named by XMP CreatorTool (ours falls back to it; exiftool's Software is EXIF only).

# Content Credentials: c2pa-python's label vs ours, where the label is not the whole story.
C2PA_EXCEPTIONS = {
    "c2pa/c2pa-rs/sdk/tests/fixtures/no_alg.jpg": (
        "credentials unreadable",
        "the reader raises on a manifest signed "
        "with an unknown algorithm; the label says 'not present' (its error class), but a manifest is there: "
        "ours says it exists and cannot be read",
    ),
    "c2pa/c2pa-rs/sdk/tests/fixtures/prerelease.jpg": (
        "credentials unreadable",
        "a pre-release manifest the reader "
        "cannot parse; XMP names it as embedded (self#jumbf), so it is there but unreadable, not stripped",
    ),
    "c2pa/c2pa-rs/sdk/tests/fixtures/tiff_poc.tiff": (
        "none",
        "a crafted TIFF whose header Pillow cannot read: a decode_failed row; its bytes hold no "
        "credentials marker, so it has none (the label names the reader's error class)",
    ),
}

# The headline each of these signed, tampered or stripped files must get.
HEADLINES = {
    "c2pa/c2pa-rs/sdk/tests/fixtures/XCA.jpg": "integrity problem: changed after signing",
    "c2pa/c2pa-rs/sdk/tests/fixtures/E-sig-CA.jpg": "integrity problem: credentials do not verify",
    "c2pa/c2pa-rs/sdk/tests/fixtures/adobe-20220124-E-clm-CAICAI.jpg": "integrity problem: changed after signing",
    "c2pa/c2pa-rs/sdk/tests/fixtures/no_manifest.jpg": "content credentials removed",
    "c2pa/c2pa-rs/sdk/tests/fixtures/ocsp.jpg": "strong evidence of AI generation",
    "c2pa/c2pa-python/tests/fixtures/C_with_CAWG_data.jpg": "declared camera capture",
}


def _labels() -> dict[str, dict]:
    rows = [json.loads(line) for line in (CORPUS / "labels.jsonl").read_text().splitlines() if line.strip()]
    return {row["path"]: row for row in rows}


@pytest.fixture(scope="module")
def results() -> dict[str, object]:
    ctx = make_context(Settings(classifier=False, seen_before="off"))
    files = list_sources([CORPUS], ctx.settings.max_file_bytes)
    out = {str(r.path).split(f"{CORPUS.name}/", 1)[1]: r for r in scan(files, ctx)}
    assert len(out) == len(files)
    return out


ROWS_GOLDEN = Path(__file__).resolve().parent / "golden" / "corpus_rows.json.gz"


def _canonical(value):
    """A row as compared across code changes: floats to 9 significant digits (the last bits of a
    sum may differ between BLAS builds), the raw metadata dump as its digest (it is long, and
    the normalised fields beside it say what it holds)."""
    if isinstance(value, dict):
        return {k: _canonical(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_canonical(v) for v in value]
    if isinstance(value, float):
        return float(f"{value:.9g}")
    return value


def _ours(row: dict) -> dict:
    """A row without the versions of installed libraries that analyzer versions quote
    ("1.0 (opencv-python 5.0.0.93)"): a fresh install may resolve newer ones, and the row
    must say what our code does."""
    for run in row["analyzers"]:
        run["version"] = run["version"].split(" (", 1)[0]
    return row


def _thumbnail(encoded: str) -> str:
    """A thumbnail the credentials carry, as compared: its format and size (the JPEG bytes
    depend on the installed encoder)."""
    with Image.open(io.BytesIO(base64.b64decode(encoded))) as image:
        return f"{image.format} {image.width}x{image.height}"


def _row(result) -> dict:
    row = result.to_dict()
    row.pop("tool_version")
    c2pa = row["provenance"]["c2pa"]
    for thumb in c2pa["thumbnails"]:
        thumb["jpeg_b64"] = _thumbnail(thumb["jpeg_b64"])
    for ingredient in c2pa["ingredients"]:
        if ingredient["thumbnail_jpeg_b64"]:
            ingredient["thumbnail_jpeg_b64"] = _thumbnail(ingredient["thumbnail_jpeg_b64"])
    row["path"] = row["path"].split(f"{CORPUS.name}/", 1)[1]
    raw = json.dumps(row["metadata"]["raw"], sort_keys=True, ensure_ascii=False)
    row["metadata"]["raw"] = "sha256:" + hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()
    return _canonical(_ours(row))


def test_every_corpus_file_gives_the_same_row_as_before(results):
    """The rows of the whole corpus, key for key, against the ones kept in ``tests/golden``: a
    refactoring must leave them as they were. When a change of a row is intended, rewrite the
    golden and review its diff: ``UPDATE_GOLDENS=1 python -m pytest tests/test_corpus_replay.py``."""
    rows = {path: _row(result) for path, result in sorted(results.items())}
    if os.environ.get("UPDATE_GOLDENS") == "1":
        text = json.dumps(rows, indent=0, sort_keys=True, ensure_ascii=False)
        ROWS_GOLDEN.write_bytes(gzip.compress(text.encode("utf-8", "surrogatepass"), mtime=0))
    golden = json.loads(gzip.decompress(ROWS_GOLDEN.read_bytes()).decode("utf-8", "surrogatepass"))
    golden = {path: _ours(row) for path, row in golden.items()}
    assert sorted(rows) == sorted(golden)
    changed = [path for path in rows if rows[path] != golden[path]]
    for path in changed[:3]:  # the first differences, field by field, for the reader of the failure
        assert_same(rows[path], golden[path], path, tolerance=0)
    assert changed == []


def test_every_labelled_file_gives_exactly_one_row(results):
    labels = _labels()
    assert set(labels) <= set(results)
    assert [p for p, r in results.items() if r.status == "error" and r.error.code not in ERROR_CODES] == []


def _exiftool() -> dict[str, dict]:
    return {row["SourceFile"]: row for row in json.loads((CORPUS / "exiftool_camera.json").read_text())}


def _camera_rows():
    if not (CORPUS / "exiftool_camera.json").is_file():
        return []
    return sorted(_exiftool().items())


def _exif_date(value) -> str | None:
    if not isinstance(value, str) or value.startswith("0000"):
        return None
    return value[:10].replace(":", "-") + "T" + value[11:19]


@pytest.mark.parametrize(("path", "tool"), _camera_rows(), ids=lambda v: v if isinstance(v, str) else "")
def test_camera_facts_match_exiftool(results, path, tool):
    r = results[path]
    short = path.split("camera/exif-samples/jpg/", 1)[1]
    m = r.metadata
    exif_software = m.raw.get("exif", {}).get("Image Software")
    ours = {
        "make": m.camera.make,
        "model": m.camera.model,
        "lens": m.camera.lens,
        # exiftool's Software is EXIF's; where EXIF has none, ours may come from XMP CreatorTool.
        "software": m.software if exif_software is not None else None,
        "date": m.datetime_original[:19] if m.datetime_original else None,
    }
    theirs = {
        "make": tool.get("Make"),
        "model": tool.get("Model"),
        "lens": tool.get("LensModel"),
        "software": tool.get("Software"),
        "date": _exif_date(tool.get("DateTimeOriginal")),
    }
    if isinstance(theirs["software"], int | float):  # exiftool -n prints "1.00" as the number 1.0
        theirs["software"] = (
            ours["software"]
            if float(ours["software"] or "nan") == theirs["software"]
            else str(theirs["software"])
        )
    if theirs["date"] is None and m.datetime_original_source in ("xmp", "iptc"):
        ours["date"] = None  # exiftool's DateTimeOriginal is EXIF's (or XMP's); IPTC DateCreated is not it
    for field in ours:
        a = ours[field].strip() if isinstance(ours[field], str) else ours[field]
        b = str(theirs[field]).strip() if theirs[field] not in (None, "") else None
        if (short, field) in CAMERA_EXCEPTIONS:
            assert a != b, f"{short} {field}: the exception no longer applies, remove it"
            continue
        assert a == b, f"{short} {field}: ours {a!r}, exiftool {b!r}"
    if m.software is not None and exif_software is None:
        assert m.software == (m.raw.get("xmp") or {}).get("xmp:CreatorTool"), short
    lat, lon = tool.get("GPSLatitude"), tool.get("GPSLongitude")
    if lat is None or lon is None:
        assert m.gps is None, short
    elif abs(lat) < 1e-4 and abs(lon) < 1e-4:
        assert m.gps is None and m.placeholders[0].field == "gps", short
    else:
        assert (round(m.gps.lat, 6), round(m.gps.lon, 6)) == (round(lat, 6), round(lon, 6)), short
    if r.status == "ok" and isinstance(tool.get("Orientation"), int) and 1 <= tool["Orientation"] <= 8:
        assert r.file.orientation in (tool["Orientation"], None if tool["Orientation"] == 1 else -1), short


# Standard EXIF fields where Exiv2 (the primary reader) and exifread differ, and why.
READER_EXCEPTIONS = {
    "no_exif.jpg": "its EXIF segment comes after an XMP segment (exiftool -v: APP1 XMP, then APP1 EXIF); "
    "exifread looks no further than the first and finds no EXIF; Exiv2 and Pillow read it (Software "
    "'Adobe Photoshop CC (Macintosh)', Artist 'CREDIT', 322 x 466), as exiftool does",
}


def test_exiv2_and_exifread_read_the_same_fields_from_every_camera_file():
    """Exiv2 is the primary EXIF reader; exifread reads the same fields independently (the
    cross-check). An empty text is no value for either."""
    disagree = {}
    for path in sorted((CORPUS / "camera").rglob("*")):
        if not path.is_file():
            continue
        data = path.read_bytes()
        exiv2, exifread = read_exiv2(data).fields, read_exifread(data).fields
        for name in FIELDS:
            a, b = (v if v != "" else None for v in (exiv2.get(name), exifread.get(name)))
            if (a, b) != (None, None) and (
                a is None or b is None or json.dumps(_rounded(a)) != json.dumps(_rounded(b))
            ):
                disagree.setdefault(path.name, []).append(name)
    assert {name: fields for name, fields in disagree.items() if name not in READER_EXCEPTIONS} == {}
    assert disagree == {"no_exif.jpg": ["software", "artist", "pixel_width", "pixel_height"]}


def _rounded(value):
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    return round(value, 6) if isinstance(value, float) else value


def test_camera_photos_declare_no_ai_and_are_never_called_real(results):
    labels = _labels()
    for path, label in labels.items():
        if label["set"] != "camera":
            continue
        r = results[path]
        assert r.provenance.ai_declared is False, path
        assert "real" not in r.verdict.band.split() and "authentic" not in r.verdict.sentence.lower(), path
        if r.metadata.camera.make or r.metadata.camera.model:
            assert r.verdict.band == "camera metadata present, no AI declaration", path
            assert any(f.rule == "metadata.camera" for f in r.findings), path


def test_content_credentials_match_the_reference_reader(results):
    for path, label in _labels().items():
        if label["set"] != "c2pa":
            continue
        c = results[path].provenance.c2pa
        expected = label["c2pa"]
        if path in C2PA_EXCEPTIONS:
            assert c.state == C2PA_EXCEPTIONS[path][0], path
            continue
        reference = expected.get("xmp_provenance")
        if expected["present"]:
            assert c.present is True, path
            # The documented mapping (docs/content-credentials.md): "Valid" is intact (no trust list
            # is configured here); "Invalid" is a failure of the file's own credentials, or of an
            # ingredient's, which leaves the file's own intact.
            if expected["state"] == "Valid":
                assert c.state == "intact, signer not on a configured trust list", path
            else:
                assert not c.state.validates or c.ingredients_state in INGREDIENT_FAILURES, path
            st = {s.code for s in results[path].provenance.source_types if s.where == "c2pa"}
            assert st == set(expected["digital_source_types"]), path
        elif reference and reference.startswith(("http://", "https://")):
            assert (c.present, c.state, c.remote_url) == (True, "stored online", reference), path
        elif reference and reference.startswith("self#jumbf="):
            assert (c.present, c.state, c.xmp_provenance) == (False, "credentials stripped", reference), path
        else:
            assert (c.present, c.state) == (False, "none"), path
        if label.get("ai_declared") is True:
            assert results[path].provenance.ai_declared is True, path


@pytest.mark.parametrize(("path", "band"), sorted(HEADLINES.items()))
def test_signed_and_tampered_files_get_their_own_headline(results, path, band):
    assert results[path].verdict.band == band


def test_failed_credentials_name_what_failed(results):
    fixtures = "c2pa/c2pa-rs/sdk/tests/fixtures/"
    assert results[fixtures + "XCA.jpg"].verdict.sentence == (
        "Integrity problem: the file's Content Credentials signed by “C2PA Signer” fail validation: the file's "
        "data no longer matches the signed hash, so the file was changed after it was signed "
        "(assertion.dataHash.mismatch)."
    )
    assert "(claimSignature.mismatch)" in results[fixtures + "E-sig-CA.jpg"].verdict.sentence
    ocsp = results[fixtures + "ocsp.jpg"].provenance.generator
    assert (ocsp.tool, ocsp.where) == ("adobe-firefly", "c2pa")


def test_generator_signatures_match_the_labels(results):
    for path, label in _labels().items():
        if label["set"] != "ai_meta":
            continue
        p = results[path].provenance
        assert (p.ai_declared, p.generator.tool) == (label["ai_declared"], label["tool"]), path


def _graph_has_text(path: Path) -> bool:
    """Independent of our walker: does any text-encoder node of the graph hold non-empty text?"""
    with Image.open(path) as im:
        graph = json.loads(im.info.get("prompt") or "{}")
    return any(
        "TextEncode" in str(n.get("class_type"))
        and any(
            isinstance(v, str) and v.strip()
            for v in n["inputs"].values()
            if v not in (n["inputs"].get("clip"),)
        )
        for n in graph.values()
        if isinstance(n, dict) and isinstance(n.get("inputs"), dict)
    )


# ComfyUI outputs whose only text encoder with text is zeroed out before the sampler.
PROMPTLESS = {"ai_meta/comfyui/sdxl/sdxl_revision_zero_positive.png"}


def test_every_comfyui_output_names_its_prompt_and_settings(results):
    checked = 0
    for path, r in results.items():
        g = r.provenance.generator
        if g.tool != "comfyui" or not path.startswith("ai_meta/"):
            continue
        assert g.model and g.seed is not None, path
        assert {"steps", "sampler_name"} <= set(g.settings) or "cfg" in g.settings, (path, g.settings)
        if path in PROMPTLESS:
            assert g.prompt is None, path
        elif _graph_has_text(CORPUS / path):
            assert g.prompt, path
            checked += 1
    assert checked >= 35


def test_flux_example_reads_prompt_and_settings_through_the_guider(results):
    g = results["ai_meta/comfyui/flux/flux_dev_example.png"].provenance.generator
    assert g.prompt.startswith("cute anime girl with massive fluffy fennec ears")
    assert (g.model, g.seed) == ("flux1-dev.safetensors", "219670278747233")
    assert g.settings == {
        "sampler_name": "euler",
        "steps": "20",
        "scheduler": "simple",
        "denoise": "1.0",
        "size": "1024x1024",
        "guidance": "3.5",
    }


def _pillow_loads(path: Path) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(path) as im:
                im.load()
        return True
    except Exception:
        return False


def test_every_bad_file_is_one_row_and_agrees_with_pillow(results):
    """A file Pillow cannot decode is never an ok row; one it decodes is ok unless it is a format
    this tool does not analyse (named as such)."""
    disagreements = []
    for path, r in results.items():
        if not path.startswith("bad/"):
            continue
        if r.status == "error":
            assert r.error.code in ERROR_CODES and r.error.message, path
            assert r.error.message.isprintable(), path
        loads = _pillow_loads(CORPUS / path)
        if loads and r.status == "error" and r.error.code not in ("unsupported_format", "not_an_image"):
            disagreements.append((path, "Pillow decodes it", r.error.code))
        if not loads and r.status == "ok":
            disagreements.append((path, "Pillow cannot decode it", "ok"))
    assert disagreements == []


def test_double_compression_does_not_fire_on_camera_jpegs_saved_once(results):
    fired = [
        p
        for p, r in results.items()
        if p.startswith("camera/") and any(f.rule == "jpeg.double_compression" for f in r.findings)
    ]
    assert fired == []


def test_flat_images_form_no_near_duplicate_group(results):
    rows = [r for r in results.values() if r.file.phash]
    groups = near_duplicate_groups(rows)
    for group in groups:
        assert not any(featureless(rows[i].file.phash) for i in group)


def test_no_corpus_file_matches_an_invisible_watermark(results):
    """None of the corpus's generators embeds these marks (ComfyUI does not; diffusers' SDXL
    pipelines do), and no camera photo may match one: every check that ran found nothing."""
    ran = {p: r.provenance.watermark for p, r in results.items() if r.provenance.watermark}
    assert len(ran) >= 150
    assert {p: w.found for p, w in ran.items() if w.found} == {}


def test_cawg_identity_assertions_are_read_with_their_own_status(results):
    """The three copies of C_with_CAWG_data.jpg carry an X.509 identity assertion; its credential
    is untrusted here (no trust list), which is its status, not a failure of the file's credentials."""
    copies = {p: r for p, r in results.items() if p.endswith("C_with_CAWG_data.jpg")}
    assert len(copies) == 3
    for path, r in copies.items():
        c = r.provenance.c2pa
        assert c.state == "intact, signer not on a configured trust list", path
        assert [
            (i.label, i.sig_type, i.signer, i.issuer, i.state, i.failure_codes) for i in c.identities
        ] == [
            (
                "cawg.identity",
                "cawg.x509.cose",
                "C2PA Signer",
                "C2PA Test Signing Cert",
                "intact, signer not on a configured trust list",
                ["cawg.x509.credential.untrusted"],
            )
        ], path
