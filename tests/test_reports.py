"""Reports from a real case: escaping, PDF text and rendering, redaction, and the bundle check."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from PIL.PngImagePlugin import PngInfo

from core.analyzers import REGISTRY
from core.cases import CaseStore
from core.context import make_context
from core.exporters import formats
from core.pipeline import analyze
from core.reports import build_report, render_csv, render_html, render_json, render_pdf
from core.reports.bundle import create_bundle, verify_bundle
from core.schema import ClassifierResult, ScanResult
from core.settings import Settings
from core.sources import Source
from tests.images import camera_exif, encode, photo, xmp_packet

SCRIPT = "<script>alert('x')</script>"


@pytest.fixture(scope="module")
def case(tmp_path_factory, tiny_model):
    store = CaseStore(tmp_path_factory.mktemp("store"))
    c = store.create_case("Report <b>test</b>", "ana")
    ctx = make_context(Settings(model=str(tiny_model), stability="never"))
    exif = camera_exif(make=f"Evil{SCRIPT}", model="=cmd|' /C calc'!A0", serial="SN-123456")
    xmp = xmp_packet(
        "", f'dc:creator="{SCRIPT.replace("<", "&lt;").replace(">", "&gt;")}" photoshop:City="Secret Town"'
    )
    info = PngInfo()
    info.add_text("parameters", "portrait of Jane Doe at her house\nSteps: 20, Seed: 7, Model: sdxl")
    files = {
        f"{SCRIPT}.jpg": encode(photo(seed=1), "JPEG", exif=exif, xmp=xmp),
        "generated.png": encode(photo(seed=2), "PNG", pnginfo=info),
    }
    for name, data in files.items():
        result = analyze(Source.from_bytes(name, data), ctx)
        store.add_item(c.id, name, data, result, "ana")
    store.add_note(c.id, f"Note with {SCRIPT}", "ben")
    return store, c.id


def test_html_escapes_every_string_from_a_file(case):
    store, case_id = case
    html = render_html(build_report(store, case_id)).decode()
    assert SCRIPT not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html
    assert "Report &lt;b&gt;test&lt;/b&gt;" in html
    assert "data:image/jpeg;base64," in html  # images are inlined
    assert "Content-Security-Policy" in html


def test_pdf_has_the_same_content_and_renders(case):
    from pypdf import PdfReader

    store, case_id = case
    report = build_report(store, case_id)
    data = render_pdf(report)
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    for item in report["items"]:
        assert item["sha256"] in text.replace("\n", "")
    assert "Substantial evidence of AI generation" in text
    assert "Chain of custody" in text
    import pypdfium2 as pdfium

    page = pdfium.PdfDocument(data)[0].render(scale=1).to_pil()
    assert page.size[0] > 500 and page.getextrema() != ((255, 255), (255, 255), (255, 255))


def test_json_and_csv(case):
    store, case_id = case
    report = json.loads(render_json(build_report(store, case_id)))
    assert report["case"]["name"] == "Report <b>test</b>"
    assert report["items"][1]["result"]["provenance"]["generator"]["tool"] == "automatic1111"
    assert [a["action"] for a in report["audit"]] == [
        "case_created",
        "item_added",
        "item_added",
        "note_added",
    ]
    csv_text = render_csv(build_report(store, case_id)).decode()
    assert "'=cmd|' /C calc'!A0" in csv_text
    assert csv_text.splitlines()[0].startswith("item_id,item_status,tags,added_at,added_by,path,status")


def test_redacted_report_leaves_out_gps_serials_names_and_prompts(case):
    store, case_id = case
    full = render_json(build_report(store, case_id)).decode()
    redacted = render_json(build_report(store, case_id, redact=True)).decode()
    html = render_html(build_report(store, case_id, redact=True)).decode()
    for secret in ("48.8583", "SN-123456", "Jane Doe", "Secret Town", "alert"):
        assert secret in full, secret
        if secret != "alert":  # the file *name* holds markup and is not personal data
            assert secret not in redacted and secret not in html, secret
    assert "Redacted for external sharing" in html


def test_bundle_verifies_and_catches_one_changed_byte(case, tmp_path):
    store, case_id = case
    path = tmp_path / "case.zip"
    manifest = create_bundle(store, case_id, path)
    assert verify_bundle(path) == []
    assert {"results.json", "report.html", "report.pdf", "items.csv"} <= set(manifest["files"])
    assert len([n for n in manifest["files"] if n.startswith("originals/")]) == 2
    model = manifest["analysis"]["models"][0]
    assert model["revision"].startswith("local-sha256:") and len(model["weights_sha256"]) == 64
    assert model["preprocessing"]["size"] == {"height": 256, "width": 256}
    assert manifest["analysis"]["libraries"]["torch"]
    assert manifest["analysis"]["thresholds"]["strong"] == 0.9
    # What was checked: every registered analyzer, its version, and what it did for the two items.
    checked = {a["id"]: a for a in manifest["analysis"]["analyzers"]}
    assert list(checked) == [a.id for a in REGISTRY]
    assert checked["c2pa"]["versions"][0].startswith("2.0 (c2pa-python ")
    assert (checked["metadata"]["ok"], checked["jpeg"]["ok"], checked["jpeg"]["skipped"]) == (2, 1, 1)
    assert checked["jpeg"]["reasons"] == ["not a JPEG file"]
    with zipfile.ZipFile(path) as zf:
        html = zf.read("report.html").decode()
    assert "What was checked" in html and "not a JPEG file" in html

    tampered = tmp_path / "tampered.zip"
    victim = next(n for n in manifest["files"] if n.startswith("originals/"))
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(tampered, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == victim:
                data = data[:500] + bytes([data[500] ^ 1]) + data[501:]  # one byte of one file
            dst.writestr(info, data)
    problems = verify_bundle(tampered)
    assert len(problems) == 1 and problems[0].startswith(victim) and "content changed" in problems[0]


def test_pdf_shows_bytes_from_files_escaped(tmp_path, tiny_model):
    """Regression: a PNG notice quoting raw chunk-type bytes, and control characters in EXIF, reach the PDF."""
    import struct

    from pypdf import PdfReader

    store = CaseStore(tmp_path / "store")
    c = store.create_case("Escapes", "ana")
    png = encode(photo((64, 64)), "PNG")
    cut = png[: png.find(b"IEND") - 4] + struct.pack(">I", 1000) + b"}&\x95\r" + b"xx"
    camera = encode(photo(), "JPEG", exif=camera_exif(make="Cam\x1b[31mera", model="Model\u202eZ"))
    ctx = make_context(Settings(classifier=False))
    for name, data in (("cut.png", cut), ("cam.jpg", camera)):
        store.add_item(c.id, name, data, analyze(Source.from_bytes(name, data), ctx), "ana")
    data = render_pdf(build_report(store, c.id))
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages).replace("\n", "")
    assert "the }&\\x95\\x0d chunk at byte" in text
    assert "Cam\\x1b[31mera" in text and "\x1b" not in text and "\u202e" not in text


def test_redaction_is_an_allow_list_over_every_format(tmp_path):
    """Regression: the redacted JSON kept PersonInImage, face-region names, dc:title/subject and
    photoshop:Headline/Credit/State/City. Every personal field a file can carry is withheld, in
    every format; technical facts stay."""
    from pypdf import PdfReader

    from tests.images import insert_jpeg_segment, iptc_app13

    secrets = {
        "dc:creator": "Creator Person",
        "dc:title": "Title Secret",
        "dc:subject": "Subject Secret",
        "photoshop:Headline": "Headline Secret",
        "photoshop:Credit": "Credit Secret",
        "photoshop:State": "State Secret",
        "photoshop:City": "City Secret",
        "Iptc4xmpExt:PersonInImage": "Person In Image",
        "mwg-rs:Name": "Face Region Name",
    }
    ns = (
        'xmlns:mwg-rs="http://www.metadataworkinggroup.com/schemas/regions/" '
        'xmlns:mwg-rs2="http://example.com/other/"'
    )
    body = "".join(f"<{k}>{v}</{k}>" for k, v in secrets.items())
    exif = camera_exif(make="Canon", model="Canon EOS R5", serial="SN-987654")
    exif[0x013B] = "Artist Person"
    exif[0x8298] = "Copyright Person"
    exif[0x010E] = "Description Secret"
    data = encode(photo(), "JPEG", exif=exif, xmp=xmp_packet(body, ns))
    data = insert_jpeg_segment(data, 0xED, iptc_app13({(2, 80): b"Byline Person", (2, 90): b"Iptc City"}))
    store = CaseStore(tmp_path / "store")
    c = store.create_case("Redaction", "ana")
    store.add_item(
        c.id,
        "photo.jpg",
        data,
        analyze(Source.from_bytes("photo.jpg", data), make_context(Settings(classifier=False))),
        "ana",
    )
    full = render_json(build_report(store, c.id)).decode()
    report = build_report(store, c.id, redact=True)
    outputs = {fmt: formats("case")[fmt].render(report) for fmt in ("json", "html", "csv", "pdf")}
    outputs["pdf"] = "".join(p.extract_text() for p in PdfReader(io.BytesIO(outputs["pdf"])).pages).encode()
    personal = [
        *secrets.values(),
        "SN-987654",
        "Artist Person",
        "Copyright Person",
        "Description Secret",
        "Byline Person",
        "Iptc City",
        "48.858",
    ]
    for value in personal:
        assert value in full, value  # the unredacted report has it
        for fmt, out in outputs.items():
            assert value not in out.decode("utf-8", "replace"), (fmt, value)
    assert "Canon EOS R5" in outputs["json"].decode()  # technical facts stay


def test_the_pdf_opens_with_a_summary_and_a_contact_sheet(tmp_path):
    """Page one: counts by verdict band, one contact-sheet row per item with its key evidence; the
    reason there is no classifier score is said once, not per item; times without microseconds;
    the custody log is a table of readable details, never Python's dict text."""
    import re

    from pypdf import PdfReader

    store = CaseStore(tmp_path / "store")
    c = store.create_case("Desk", "ana")
    ctx = make_context(Settings(classifier=False))
    info = PngInfo()
    info.add_text("parameters", "a harbour\nSteps: 20, Seed: 7, Model: sdxl")
    for name, data in {
        "gen.png": encode(photo(seed=2), "PNG", pnginfo=info),
        "cam.jpg": encode(photo(seed=1), "JPEG", exif=camera_exif()),
        "other.jpg": encode(photo(seed=3), "JPEG", exif=camera_exif()),
    }.items():
        store.add_item(c.id, name, data, analyze(Source.from_bytes(name, data), ctx), "ana")
    report = build_report(store, c.id, settings=Settings(classifier=False))
    assert report["summary"]["bands"] == [
        {"band": "substantial evidence of AI generation", "items": 1},
        {"band": "camera metadata present, no AI declaration", "items": 2},
    ]
    pages = [p.extract_text() for p in PdfReader(io.BytesIO(render_pdf(report))).pages]
    first = pages[0]
    assert "Summary: 3 item(s)" in first and "Contact sheet" in first
    assert "gen.png" in first and "cam.jpg" in first and "says it was generated with" in first
    assert "classifier switched off" not in first  # said once, in the set-up section
    assert "No classifier score for 3 item(s): classifier switched off" in pages[1]
    whole = "\n".join(pages)
    assert whole.count(ctx.classifier_error) == 1
    assert "Chain of custody" in pages[-1] and "file_name: cam.jpg" in pages[-1]
    assert "{'" not in whole and "None" not in whole and not re.search(r"\d\d:\d\d:\d\d\.\d{6}", whole)
    html = render_html(report).decode()
    # Once in the set-up, once as the classifier's skip reason under "What was checked"; never per item.
    assert "Contact sheet" in html and html.count(ctx.classifier_error) == 2
    assert '<p class="band declared">Substantial evidence of AI generation</p>' in html  # "AI", never "ai"
    assert "status to check" in html and "to_check" not in html
    assert " , signed by" not in html and not re.search(r"\d\d:\d\d:\d\d\.\d{6}", html)


def test_the_score_chart_takes_any_file_name_and_colours_by_band():
    """A name with dollar signs is text, not matplotlib mathematics (which raised on it); more
    than 40 items give a histogram by band instead of one bar each."""
    from core.reports.charts import MAX_BARS, score_chart

    def items(n: int) -> list[dict]:
        names = ["x$\\frac{$.jpg", "b\u202e.png", "plain.jpg"]
        bands = [
            "inconclusive",
            "strong statistical indication of AI generation",
            "little evidence of AI generation",
        ]
        return [
            {
                "file_name": names[i % 3],
                "result": ScanResult(
                    path=names[i % 3],
                    status="ok",
                    classifier=ClassifierResult("m", "r", (i % 10) / 10, "ok"),
                ),
                "band": bands[i % 3],
            }
            for i in range(n)
        ]

    for n in (3, MAX_BARS + 1):
        png = score_chart({"items": items(n)})
        assert png is not None and png.startswith(b"\x89PNG")
    unscored = ScanResult(path="a", status="ok")
    assert score_chart({"items": [{"file_name": "a", "result": unscored, "band": ""}]}) is None


def test_names_and_strings_are_escaped_in_the_case_csv(tmp_path):
    """Regression: a bidi override and a terminal escape in an analyst's name reached the case
    CSV raw (spreadsheets show them as they are); EXIF strings too."""
    store = CaseStore(tmp_path / "store")
    who = "ana\u202eevil\x1b[31m"
    case = store.create_case("Names", who)
    data = encode(photo(), "JPEG", exif=camera_exif(make="Cam\x1b[2Kera"))
    store.add_item(
        case.id,
        "a.jpg",
        data,
        analyze(Source.from_bytes("a.jpg", data), make_context(Settings(classifier=False))),
        who,
    )
    text = render_csv(build_report(store, case.id, thumbnails=False)).decode()
    assert "\u202e" not in text and "\x1b" not in text
    assert "ana\\u202eevil\\x1b[31m" in text and "Cam\\x1b[2Kera" in text
