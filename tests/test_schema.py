"""The result schema: a round trip through JSON loses nothing."""

from __future__ import annotations

import json

from core.context import make_context
from core.pipeline import analyze
from core.schema import SCHEMA_VERSION, ScanResult
from core.settings import Settings
from core.sources import Source
from tests.images import camera_exif, encode, photo, xmp_packet


def test_round_trip_of_a_full_result(tiny_model):
    data = encode(photo(), "JPEG", exif=camera_exif(), xmp=xmp_packet("", 'xmp:CreatorTool="Darktable"'))
    result = analyze(Source.from_bytes("a.jpg", data), make_context(Settings(model=str(tiny_model))))
    assert result.classifier is not None
    text = json.dumps(result.to_dict())
    back = ScanResult.from_dict(json.loads(text))
    assert back == result
    assert back.metadata.gps.lat == 48.8583
    assert back.schema_version == SCHEMA_VERSION


def test_round_trip_of_an_error_row():
    result = analyze(Source.from_bytes("x.png", b"nope"), make_context(Settings(classifier=False)))
    assert result.status == "error"
    back = ScanResult.from_dict(json.loads(json.dumps(result.to_dict())))
    assert back == result
    assert back.error.code == "not_an_image"
    assert back.provenance.analyzed is False and back.provenance.ai_declared is None


def test_unknown_keys_from_a_newer_minor_version_are_ignored():
    row = analyze(Source.from_bytes("x.png", b"nope"), make_context(Settings(classifier=False))).to_dict()
    row["future_field"] = {"anything": 1}
    row["file"]["future"] = True
    assert ScanResult.from_dict(row).path == "x.png"


def test_claimed_origin_and_key_evidence_read_as_the_batch_table_shows_them():
    from core.schema import Camera, ErrorInfo, Finding, Generator

    r = ScanResult(path="a.jpg", status="ok")
    r.provenance.generator = Generator(tool="comfyui", name="ComfyUI")
    r.metadata.camera = Camera(make="Canon", model="Canon EOS R5")
    r.metadata.software = "Canon EOS R5"  # the same words as the camera: said once
    assert r.claimed_origin() == "ComfyUI · Canon EOS R5"
    r.metadata.software = "Adobe Photoshop 25.0"
    assert r.claimed_origin() == "ComfyUI · Canon EOS R5 · Adobe Photoshop 25.0"
    r.findings = [
        Finding("metadata.camera", "capture", "context", "Camera metadata: Canon EOS R5."),
        Finding("generator.comfyui", "synthesis", "declared", "ComfyUI's workflow is embedded."),
    ]
    assert r.key_evidence() == "ComfyUI's workflow is embedded."
    r.findings = r.findings[:1]
    assert r.key_evidence() == "Camera metadata: Canon EOS R5."
    failed = ScanResult(path="b.jpg", status="error", error=ErrorInfo("decode_failed", "truncated"))
    assert (failed.claimed_origin(), failed.key_evidence()) == (
        "decode_failed",
        "Not analysed (decode_failed): truncated",
    )
