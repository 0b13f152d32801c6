"""Metadata readers on files the tests write: EXIF, GPS, XMP, IPTC, PNG text, ICC, thumbnails."""

from __future__ import annotations

import hashlib
import json
import zlib

import pytest
from PIL import Image, ImageCms
from PIL.PngImagePlugin import PngInfo

from core.intake import open_intake
from core.jsonsafe import json_safe
from core.metadata import extract_metadata
from core.metadata.dates import iptc_datetime, iso_datetime
from core.schema import HistoryEvent, Placeholder, ReadersDisagree, ScanResult, SoftwareNamed
from tests.images import (
    camera_exif,
    encode,
    exif_with_huge_makernote,
    exif_with_thumbnail,
    insert_jpeg_segment,
    iptc_app13,
    photo,
    png_chunk,
    xmp_packet,
)


def read(data: bytes, name: str = "f.jpg"):
    intake = open_intake(data, name, name, 50_000_000)
    image = intake.decoded.image if intake.decoded else None
    meta, notices = extract_metadata(data, image)
    json.dumps(meta.raw)  # the whole dump must be JSON-serialisable
    return meta, notices


def test_camera_facts_gps_and_date_with_offset():
    meta, notices = read(encode(photo(), "JPEG", exif=camera_exif()))
    assert notices == []
    assert (meta.camera.make, meta.camera.model) == ("Canon", "Canon EOS R5")
    assert meta.camera.lens == "RF24-105mm F4 L IS USM"
    assert meta.camera.serial == "031021001234"
    assert meta.software == "Firmware Version 1.8.1"
    assert meta.datetime_original == "2024-05-01T12:30:45.12+02:00"
    assert meta.datetime_original_source == "exif"
    # 48 deg 51' 29.88" N, 2 deg 17' 40.2" E (the Eiffel Tower)
    assert (meta.gps.lat, meta.gps.lon, meta.gps.altitude_m) == (48.8583, 2.2945, 35.5)
    assert meta.sources == ["exif"]
    assert meta.raw["exif"]["Image Model"] == "Canon EOS R5"
    assert meta.cross_check == []


def test_southern_and_western_coordinates_are_negative():
    exif = camera_exif(gps=("S", (33.0, 51.0, 54.0), "W", (70.0, 39.0, 36.0)), altitude=None)
    meta, _ = read(encode(photo(), "JPEG", exif=exif))
    assert (meta.gps.lat, meta.gps.lon) == (-33.865, -70.66)
    assert meta.gps.altitude_m is None


def test_placeholder_date_and_impossible_gps_are_not_facts():
    exif = camera_exif(
        datetime_original="0000:00:00 00:00:00", gps=("N", (95.0, 0.0, 0.0), "E", (10.0, 0.0, 0.0))
    )
    meta, _ = read(encode(photo(), "JPEG", exif=exif))
    assert meta.datetime_original is None
    assert meta.gps is None
    assert meta.raw["exif"]["EXIF DateTimeOriginal"].startswith("0000")  # still in the dump


def test_binary_exif_values_become_hex_not_dropped():
    exif = camera_exif()
    exif.get_ifd(0x8769)[0x927C] = b"\x00\x01\x02\xffNikon\x00" * 20  # MakerNote-like blob, 200 bytes
    meta, _ = read(encode(photo(), "JPEG", exif=exif))
    value = meta.raw["exif"]["EXIF MakerNote"]
    assert value.startswith("hex:000102ff4e696b6f6e00")
    assert "(200 bytes, first 64 shown)" in value


def test_json_safe_covers_odd_values():
    assert json_safe(b"Hello\x00\x00") == "Hello"
    assert json_safe(b"\x01\x02") == "hex:0102"
    assert json_safe(float("nan")) == "nan"
    assert json_safe({1: (b"ok", 2)}) == {"1": ["ok", 2]}


def test_xmp_properties_lists_and_fallbacks():
    body = (
        "<dc:subject><rdf:Bag><rdf:li>protest</rdf:li><rdf:li>street</rdf:li></rdf:Bag></dc:subject>"
        '<dc:title><rdf:Alt><rdf:li xml:lang="x-default">Crowd &amp; police</rdf:li></rdf:Alt></dc:title>'
        "<Iptc4xmpExt:DigitalSourceType>http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture"
        "</Iptc4xmpExt:DigitalSourceType>"
    )
    attrs = (
        'tiff:Make="FUJIFILM" tiff:Model="X-T5" xmp:CreatorTool="Adobe Lightroom Classic 13.2" '
        'exif:DateTimeOriginal="2023-11-02T08:15:00-05:00" exif:GPSLatitude="40,44.5N" exif:GPSLongitude="73,59.1W"'
    )
    meta, notices = read(encode(photo(), "JPEG", xmp=xmp_packet(body, attrs)))
    assert notices == []
    assert meta.sources == ["xmp"]
    assert (meta.camera.make, meta.camera.model, meta.software) == (
        "FUJIFILM",
        "X-T5",
        "Adobe Lightroom Classic 13.2",
    )
    assert (meta.datetime_original, meta.datetime_original_source) == ("2023-11-02T08:15:00-05:00", "xmp")
    assert (meta.gps.lat, meta.gps.lon) == (40.7416667, -73.985)
    xmp = meta.raw["xmp"]
    assert xmp["dc:subject"] == ["protest", "street"]
    assert xmp["dc:title"] == ["Crowd & police"]
    assert xmp["Iptc4xmpExt:DigitalSourceType"].endswith("/digitalCapture")


def test_exif_wins_over_xmp_when_both_exist():
    data = encode(photo(), "JPEG", exif=camera_exif(), xmp=xmp_packet("", 'tiff:Make="Other"'))
    meta, _ = read(data)
    assert meta.camera.make == "Canon"
    assert meta.sources == ["exif", "xmp"]


def test_xmp_entity_expansion_is_refused_and_reported():
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE x:xmpmeta [<!ENTITY a "ha"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">'
        b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;">]><x:xmpmeta xmlns:x="adobe:ns:meta/">&c;</x:xmpmeta>'
    )
    meta, notices = read(encode(photo(), "JPEG", exif=camera_exif(), xmp=laughs))
    assert [n.code for n in notices] == ["xmp_unsafe"]
    assert "not expanded" in notices[0].message
    assert "xmp" not in meta.raw
    assert meta.camera.make == "Canon"  # the rest of the metadata is intact


def test_malformed_xmp_is_a_notice():
    meta, notices = read(
        encode(photo(), "JPEG", xmp=b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF></x:xmpmeta>')
    )
    assert [n.code for n in notices] == ["xmp_malformed"]


def test_iptc_iim_in_jpeg_app13():
    jpeg = encode(photo(), "JPEG")
    app13 = iptc_app13(
        {
            (2, 80): "Jane Ré".encode(),
            (2, 25): [b"politics", b"election"],
            (2, 120): b"<b>Caption</b> & more",
            (2, 55): b"20240115",
            (2, 60): b"093000+0100",
        }
    )
    meta, notices = read(insert_jpeg_segment(jpeg, 0xED, app13))
    assert notices == []
    assert meta.raw["iptc"]["By-line"] == "Jane Ré"
    assert meta.raw["iptc"]["Keywords"] == ["politics", "election"]
    assert meta.raw["iptc"]["Caption-Abstract"] == "<b>Caption</b> & more"
    assert (meta.datetime_original, meta.datetime_original_source) == ("2024-01-15T09:30:00+01:00", "iptc")


def test_png_text_chunks_of_every_kind():
    info = PngInfo()
    info.add_text("parameters", "a photo of a cat\nSteps: 20, Sampler: Euler a, Seed: 42")
    info.add_text("Software", "GIMP 2.10", zip=True)
    info.add_itxt("Comment", "prise de vue", lang="fr", tkey="Kommentar", zip=True)
    meta, notices = read(encode(photo(), "PNG", pnginfo=info), "f.png")
    assert notices == []
    assert meta.raw["png_text"] == [
        {
            "chunk": "tEXt",
            "keyword": "parameters",
            "text": "a photo of a cat\nSteps: 20, Sampler: Euler a, Seed: 42",
        },
        {"chunk": "zTXt", "keyword": "Software", "text": "GIMP 2.10"},
        {
            "chunk": "iTXt",
            "keyword": "Comment",
            "language": "fr",
            "translated_keyword": "Kommentar",
            "text": "prise de vue",
        },
    ]
    assert meta.software == "GIMP 2.10"


def test_compressed_text_bomb_is_cut_at_the_limit(monkeypatch):
    import core.metadata.png_text as png_text

    monkeypatch.setattr(png_text, "MAX_TEXT_BYTES", 1000)
    png = encode(photo((32, 32)), "PNG")
    bomb = png_chunk(b"zTXt", b"workflow\x00\x00" + zlib.compress(b"A" * 1_000_000))
    data = png[:-12] + bomb + png[-12:]  # before IEND
    meta, notices = read(data, "f.png")
    assert [n.code for n in notices] == ["png_text_too_large"]
    assert meta.raw["png_text"][0]["text"].startswith("A" * 1000)
    assert len(meta.raw["png_text"][0]["text"]) < 1100


def test_icc_profile_description():
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    meta, _ = read(encode(photo(), "JPEG", icc_profile=icc))
    assert meta.icc_profile.startswith("sRGB")
    assert meta.raw["icc"]["size_bytes"] == len(icc)


def test_embedded_exif_thumbnail():
    thumb = encode(photo((160, 120), seed=3), "JPEG", quality=80)
    meta, _ = read(encode(photo(), "JPEG", exif=exif_with_thumbnail(thumb)))
    assert meta.camera.make == "NIKON CORPORATION"
    t = meta.thumbnail
    assert (t.format, t.width, t.height, t.size_bytes) == ("jpeg", 160, 120, len(thumb))
    assert t.sha256 == hashlib.sha256(thumb).hexdigest()


def test_truncated_jpeg_still_yields_its_exif():
    data = encode(photo((800, 600)), "JPEG", exif=camera_exif())
    meta, _ = read(data[: len(data) // 2])
    assert meta.camera.model == "Canon EOS R5"


def test_no_metadata_at_all_is_absence_not_error():
    meta, notices = read(encode(photo(), "PNG"), "f.png")
    assert notices == [] and meta.sources == [] and meta.raw == {}
    assert meta.camera.make is None and meta.gps is None and meta.datetime_original is None


def test_date_parsers():
    assert iso_datetime("2024:02:29 23:59:59") == "2024-02-29T23:59:59"
    assert iso_datetime("2023:02:29 10:00:00") is None
    assert iso_datetime("2024-05-01T12:30+02:00") == "2024-05-01T12:30:00+02:00"
    assert iso_datetime("2024:05:01 12:30:45", "5", "Z") == "2024-05-01T12:30:45.5+00:00"
    assert iptc_datetime("20240115", None) == "2024-01-15"
    assert iptc_datetime("garbage", "093000") is None


def _reader_saying(monkeypatch, module, reader: str, field: str, value: str) -> None:
    """Patch one EXIF reader of ``module`` so that it reads ``value`` for ``field``."""
    real = getattr(module, reader)

    def fake(source):
        out = real(source)
        out.fields[field] = value
        return out

    monkeypatch.setattr(module, reader, fake)


def test_pillow_cross_check_reports_disagreement(monkeypatch):
    import core.metadata.exif as exif_mod

    _reader_saying(monkeypatch, exif_mod, "read_pillow", "model", "Different Model")
    meta, _ = read(encode(photo(), "JPEG", exif=camera_exif()))
    assert meta.cross_check == [ReadersDisagree("model", "Canon EOS R5", "Canon EOS R5", "Different Model")]
    assert meta.camera.model == "Canon EOS R5"  # Exiv2's, the primary reader's


def test_exiv2_is_the_primary_reader_and_a_disagreement_is_kept(monkeypatch):
    import core.metadata as metadata_mod

    _reader_saying(monkeypatch, metadata_mod, "read_exiv2", "make", "Exiv2 Make")
    meta, _ = read(encode(photo(), "JPEG", exif=camera_exif()))
    assert meta.camera.make == "Exiv2 Make"
    assert meta.cross_check == [ReadersDisagree("make", exiv2="Exiv2 Make", exifread="Canon", pillow="Canon")]


def test_exif_after_an_xmp_segment_is_read(tmp_path):
    """exifread looks for EXIF within a few kilobytes of the first segment (a real Photoshop file
    of the corpus, no_exif.jpg, has 26 KB of XMP first); Exiv2 (and Pillow) walk every segment."""
    from tests.images import xmp_packet

    plain = encode(photo(), "JPEG", exif=camera_exif())
    history = "<xmp:CreatorTool>Editor</xmp:CreatorTool>" + "<!-- edit history -->" * 1500  # 30 KB
    xmp = encode(photo(), "JPEG", xmp=xmp_packet(history))
    # Move the EXIF APP1 segment behind the XMP one: SOI, APP1 XMP, APP1 EXIF, the rest.
    exif_segment = _segment(plain, b"Exif\x00\x00")
    xmp_segment = _segment(xmp, b"http://ns.adobe.com/xap/1.0/\x00")
    rest = plain[2:].replace(exif_segment, b"")
    data = b"\xff\xd8" + xmp_segment + exif_segment + rest
    meta, _ = read(data)
    assert (meta.camera.make, meta.camera.model) == ("Canon", "Canon EOS R5")
    assert meta.cross_check == []
    from core.metadata.exif import read_exifread
    from core.metadata.exiv2_reader import read_exiv2

    assert read_exifread(data).fields == {}
    assert read_exiv2(data).fields["datetime_original"] == "2024:05:01 12:30:45"


def _segment(jpeg: bytes, signature: bytes) -> bytes:
    start = jpeg.index(signature) - 4  # the marker and the length come before the signature
    length = int.from_bytes(jpeg[start + 2 : start + 4], "big")
    return jpeg[start : start + 2 + length]


def test_rotated_camera_jpeg_metadata_and_orientation():
    data = encode(Image.new("RGB", (300, 100)), "JPEG", exif=camera_exif(orientation=8))
    meta, _ = read(data)
    assert meta.raw["exif"]["Image Orientation"] == "Rotated 90 CCW"


def test_user_comment_charsets_are_decoded():
    from core.metadata.exif import decode_user_comment

    assert decode_user_comment(b"ASCII\x00\x00\x00a cat, Steps: 20\x00") == "a cat, Steps: 20"
    assert decode_user_comment(b"UNICODE\x00" + "a cat ü".encode("utf-16-be")) == "a cat ü"
    assert decode_user_comment(b"UNICODE\x00" + "a cat ü".encode("utf-16-le")) == "a cat ü"
    exif = camera_exif()
    exif.get_ifd(0x8769)[0x9286] = b"UNICODE\x00" + "masterpiece, <lora:x:1>".encode("utf-16-be")
    meta, _ = read(encode(photo(), "JPEG", exif=exif))
    assert meta.raw["exif"]["EXIF UserComment"] == "masterpiece, <lora:x:1>"


@pytest.mark.timeout(30)
def test_makernote_with_absurd_count_stops_with_a_notice():
    """Regression: exifread loops once per declared MakerNote byte (four billion here)."""
    meta, notices = read(encode(photo((64, 64)), "JPEG", exif=exif_with_huge_makernote()))
    assert [n.code for n in notices] == ["exif_partial"]
    assert "run past the end of the file" in notices[0].message
    assert "the values come from Pillow's reader" in notices[0].message
    assert meta.camera.make == "Canon"  # Pillow's independent reading still gives the make


def test_heif_exif_that_exifread_cannot_walk_falls_back_to_pillow():
    from pillow_heif import register_heif_opener

    register_heif_opener()
    meta, notices = read(encode(photo(), "HEIF", exif=camera_exif()), "f.heic")
    assert (meta.camera.model, meta.datetime_original) == ("Canon EOS R5", "2024-05-01T12:30:45.12+02:00")
    assert meta.gps.lat == 48.8583
    assert meta.raw["exif"]["Image Model"] == "Canon EOS R5"
    assert meta.raw["exif"]["GPS GPSLatitudeRef"] == "N"
    assert [n.code for n in notices] in ([], ["exif_partial"])


def test_null_island_gps_is_a_placeholder_not_a_place():
    exif = camera_exif(
        make="SAMSUNG", model="GT-I9000", gps=("N", (0.0, 0.0, 0.0), "E", (0.0, 0.0, 0.0)), altitude=0.0
    )
    meta, _ = read(encode(photo(), "JPEG", exif=exif))
    assert meta.gps is None
    assert meta.placeholders == [
        Placeholder(
            "gps",
            "0.0, 0.0",
            "0° N 0° E ('Null Island', open sea) is what devices write without a position fix",
        )
    ]
    # A real place near the equator stays a place.
    exif = camera_exif(gps=("S", (0.0, 22.0, 16.68), "E", (36.0, 3.0, 23.1)))
    assert read(encode(photo(), "JPEG", exif=exif))[0].gps.lat == -0.3713


@pytest.mark.parametrize(
    ("written", "kept"),
    [
        ("1970:01:01 00:00:00", None),
        ("2000:01:01 00:00:00", None),
        ("1601:01:01 00:00:00", None),
        ("1800:06:01 10:00:00", None),
        ("2000:01:01 00:00:01", "2000-01-01T00:00:01"),
        ("1998:01:01 00:00:00", "1998-01-01T00:00:00"),
    ],
)
def test_clock_default_dates_are_placeholders(written, kept):
    meta, _ = read(
        encode(photo(), "JPEG", exif=camera_exif(datetime_original=written, offset=None, subsec=None))
    )
    assert meta.datetime_original == kept
    assert [p.field for p in meta.placeholders] == ([] if kept else ["datetime_original (exif)"])


def test_editing_software_from_exif_creator_tool_and_history():
    history = (
        "<xmpMM:History><rdf:Seq>"
        '<rdf:li stEvt:action="created" stEvt:softwareAgent="Canon EOS R5 Firmware 1.8"/>'
        '<rdf:li stEvt:action="saved" stEvt:softwareAgent="Adobe Photoshop Lightroom Classic 13.1 (Windows)" '
        'stEvt:when="2024-05-02T09:10:11+02:00" stEvt:changed="/metadata"/>'
        "</rdf:Seq></xmpMM:History>"
    )
    attrs = (
        'xmlns:xmpMM="http://ns.adobe.com/xap/1.0/mm/" xmlns:stEvt="http://ns.adobe.com/xap/1.0/sType/ResourceEvent#" '
        'xmp:CreatorTool="GIMP 2.10.36"'
    )
    data = encode(
        photo(),
        "JPEG",
        exif=camera_exif(software="Adobe Photoshop 25.0 (Macintosh)"),
        xmp=xmp_packet(history, attrs),
    )
    meta, notices = read(data)
    assert notices == []
    assert meta.editing == [
        SoftwareNamed("exif:Software", "Adobe Photoshop 25.0 (Macintosh)"),
        SoftwareNamed("xmp:CreatorTool", "GIMP 2.10.36"),
        HistoryEvent(
            where="xmp:History",
            software="Adobe Photoshop Lightroom Classic 13.1 (Windows)",
            action="saved",
            when="2024-05-02T09:10:11+02:00",
            changed="/metadata",
        ),
    ]
    assert ScanResult.from_dict(ScanResult("p", "ok", metadata=meta).to_dict()).metadata == meta


@pytest.mark.parametrize("software", ["Firmware Version 1.8.1", "HDR+ 1.0.540104024zd", "Ver.1.00", "14.4.1"])
def test_camera_firmware_is_not_editing_software(software):
    assert read(encode(photo(), "JPEG", exif=camera_exif(software=software)))[0].editing == []


def test_absurd_edit_history_is_cut_with_a_notice():
    events = '<rdf:li stEvt:action="saved" stEvt:softwareAgent="GIMP"/>' * 500
    attrs = 'xmlns:xmpMM="http://ns.adobe.com/xap/1.0/mm/" xmlns:stEvt="http://ns.adobe.com/xap/1.0/sType/ResourceEvent#"'
    meta, notices = read(
        encode(
            photo(),
            "JPEG",
            xmp=xmp_packet(f"<xmpMM:History><rdf:Seq>{events}</rdf:Seq></xmpMM:History>", attrs),
        )
    )
    assert len(meta.editing) == 20
    assert [(n.code, n.message) for n in notices] == [
        ("xmp_history_problem", "the XMP edit history lists 500 events; the first 200 were examined")
    ]


def test_lens_from_canons_makernote_when_exif_has_none():
    from tests.images import exif_with_canon_lens

    jpeg = encode(photo(), "JPEG")
    meta, _ = read(insert_jpeg_segment(jpeg, 0xE1, exif_with_canon_lens("EF24-105mm f/4L IS USM")))
    assert (meta.camera.make, meta.camera.model, meta.camera.lens) == (
        "Canon",
        "Canon EOS 5D Mark II",
        "EF24-105mm f/4L IS USM",
    )


def test_a_lens_make_alone_names_no_lens():
    exif = camera_exif(lens=None)
    exif.get_ifd(0x8769)[0xA433] = "Apple"
    assert read(encode(photo(), "JPEG", exif=exif))[0].camera.lens is None
