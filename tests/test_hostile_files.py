"""A corpus of broken and hostile files, generated here: every one gives one row with a clear
code or notice, in bounded time, and the rest of the batch completes."""

from __future__ import annotations

import io
import json
import struct
import time
import zlib

import pytest
from PIL import Image

from core.context import make_context
from core.pipeline import analyze_batch
from core.settings import Settings
from core.sources import Source
from tests.images import camera_exif, encode, photo, png_chunk, png_header_only


def gif_header_only(width: int, height: int) -> bytes:
    screen = struct.pack("<HHBBB", width, height, 0, 0, 0)
    image = b"\x2c" + struct.pack("<HHHHB", 0, 0, width, height, 0) + b"\x02\x02\x4c\x01\x00"
    return b"GIF89a" + screen + image + b"\x3b"


def cyclic_exif() -> bytes:
    """IFD0 whose next-IFD pointer points back at itself, with an absurd value count."""
    ifd = struct.pack("<H", 1) + struct.pack("<HHII", 0x010F, 2, 0x7FFFFFFF, 26) + struct.pack("<I", 8)
    return b"Exif\x00\x00II*\x00" + struct.pack("<I", 8) + ifd + b"Canon\x00"


def corpus() -> dict[str, bytes]:
    jpeg = encode(photo((640, 480)), "JPEG", exif=camera_exif())
    png = encode(photo((320, 240)), "PNG")
    webp = encode(photo((320, 240)), "WEBP")
    frames = [
        Image.frombytes("L", (8, 8), bytes((i * 7 + k) % 256 for k in range(64))).convert("P")
        for i in range(3000)
    ]
    many_frames = encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=10)
    xxe = (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/">&xxe;</x:xmpmeta>'
    )
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE x ['
        + b"".join(
            b'<!ENTITY e%d "&e%d;&e%d;&e%d;&e%d;&e%d;&e%d;&e%d;&e%d;&e%d;&e%d;">' % ((i,) + (i - 1,) * 10)
            for i in range(1, 10)
        )
        + b'<!ENTITY e0 "lol">]><x:xmpmeta xmlns:x="adobe:ns:meta/">&e9;</x:xmpmeta>'
    )
    big_text = (
        png[:-12] + png_chunk(b"zTXt", b"Comment\x00\x00" + zlib.compress(b"A" * 50_000_000)) + png[-12:]
    )
    nested = (
        png[:-12]
        + png_chunk(b"tEXt", b"workflow\x00" + b'{"a":' * 200_000 + b"1" + b"}" * 200_000)
        + png[-12:]
    )
    zipped = io.BytesIO()
    import zipfile

    with zipfile.ZipFile(zipped, "w") as zf:
        zf.writestr("payload.txt", "hidden")
    return {
        "zero.jpg": b"",
        "truncated.jpg": jpeg[: len(jpeg) // 3],
        "truncated.png": png[: len(png) // 2],
        "truncated.webp": webp[: len(webp) // 2],
        "png-named.jpg": png,
        "text-named.png": b"this is not an image\n" * 10,
        "bomb.png": png_header_only(60_000, 60_000),
        "bomb.gif": gif_header_only(65_535, 65_535),
        "frames.gif": many_frames,
        "cyclic-exif.jpg": encode(photo((64, 64)), "JPEG", exif=cyclic_exif()),
        "xxe.jpg": encode(photo((64, 64)), "JPEG", xmp=xxe),
        "laughs.jpg": encode(photo((64, 64)), "JPEG", xmp=laughs),
        "big-text.png": big_text,
        "nested-workflow.png": nested,
        "polyglot.jpg": jpeg + zipped.getvalue(),
        "script.svg": b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        "good.jpg": jpeg,
    }


EXPECTED = {
    "zero.jpg": ("error", "empty_file"),
    "truncated.jpg": ("error", "decode_failed"),
    "truncated.png": ("error", "decode_failed"),
    "truncated.webp": ("error", "decode_failed"),
    "png-named.jpg": ("ok", None),
    "text-named.png": ("error", "not_an_image"),
    "bomb.png": ("error", "decompression_bomb"),
    "bomb.gif": ("error", "decompression_bomb"),
    "frames.gif": ("ok", None),
    "cyclic-exif.jpg": ("ok", None),
    "xxe.jpg": ("ok", None),
    "laughs.jpg": ("ok", None),
    "big-text.png": ("ok", None),  # the pixels are fine; the text is cut and a notice says so
    "nested-workflow.png": ("ok", None),
    "polyglot.jpg": ("ok", None),
    "script.svg": ("error", "unsupported_format"),
    "good.jpg": ("ok", None),
}


@pytest.mark.timeout(180)
def test_every_hostile_file_gives_one_clear_row_in_bounded_time():
    files = corpus()
    ctx = make_context(Settings(classifier=False))
    timings = {}
    results = {}
    for name, data in files.items():
        start = time.monotonic()
        (results[name],) = analyze_batch([Source.from_bytes(name, data)], ctx)
        timings[name] = time.monotonic() - start
    assert {n: (r.status, r.error.code if r.error else None) for n, r in results.items()} == EXPECTED
    assert max(timings.values()) < 20, timings
    assert results["frames.gif"].file.frames == 3000
    assert [n.code for n in results["xxe.jpg"].notices] == ["xmp_unsafe"]
    assert "png_text_too_large" in [n.code for n in results["big-text.png"].notices]
    assert [n.code for n in results["laughs.jpg"].notices] == ["xmp_unsafe"]
    assert "file.trailing_data" in [f.rule for f in results["polyglot.jpg"].findings]
    assert results["polyglot.jpg"].forensics.trailing_data.kind == "ZIP archive"
    assert results["nested-workflow.png"].provenance.generator.tool == "comfyui"
    assert "nested too deeply" in results["nested-workflow.png"].provenance.generator.error
    for r in results.values():
        json.dumps(r.to_dict())  # every row serialises


def test_one_batch_with_all_of_them_completes():
    files = corpus()
    results = analyze_batch(
        [Source.from_bytes(n, d) for n, d in files.items()], make_context(Settings(classifier=False))
    )
    assert [r.path for r in results] == list(files)


def test_png_whose_pixel_data_does_not_decode_is_an_error_row_with_its_hashes():
    """Regression: Pillow's PNG getexif() loaded the pixels inside a lookup that ignored errors."""
    import hashlib
    import io

    from PIL import Image

    from core.context import make_context
    from core.pipeline import analyze
    from core.settings import Settings
    from core.sources import Source

    buf = io.BytesIO()
    Image.new("RGB", (64, 64), (10, 200, 30)).save(buf, "PNG")
    data = bytearray(buf.getvalue())
    at = data.find(b"IDAT") + 4
    data[at : at + 4] = b"}&\x95\r"  # the zlib stream's first bytes
    r = analyze(Source.from_bytes("broken.png", bytes(data)), make_context(Settings(classifier=False)))
    assert (r.status, r.error.code) == ("error", "decode_failed")
    assert (
        r.error.message
        == "PNG image whose pixel data is damaged: OSError: broken data stream when reading image file"
    )
    assert (r.file.sha256, r.file.format) == (hashlib.sha256(bytes(data)).hexdigest(), "png")


def test_bytes_from_a_file_are_escaped_in_messages():
    import io
    import struct

    from PIL import Image

    from core.context import make_context
    from core.pipeline import analyze
    from core.settings import Settings
    from core.sources import Source

    buf = io.BytesIO()
    Image.new("RGB", (64, 64), (10, 200, 30)).save(buf, "PNG")
    data = buf.getvalue()
    cut = data[: data.find(b"IEND") - 4] + struct.pack(">I", 1000) + b"}&\x95\r" + b"xx"
    r = analyze(Source.from_bytes("cut.png", cut), make_context(Settings(classifier=False)))
    notice = next(n for n in r.notices if n.code == "png_chunk_truncated")
    assert notice.message == "the }&\\x95\\x0d chunk at byte 145 is cut short"
    assert all(n.message.isprintable() for n in r.notices)
    assert all(f.sentence.isprintable() for f in r.findings)


def test_exif_thumbnail_is_opened_as_jpeg_only_and_within_a_pixel_bound():
    """Regression: any Pillow plugin opened the thumbnail (EPS runs Ghostscript), with no pixel limit."""
    import io

    from PIL import Image

    from core.metadata import extract_metadata
    from tests.images import exif_with_thumbnail, insert_jpeg_segment

    eps = b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\nshowpage\n"
    big = io.BytesIO()
    Image.new("L", (2500, 2000)).save(big, "JPEG", quality=10)  # a 5 MP "thumbnail" of a few KB
    for thumbnail, reason in (
        (eps, "cannot identify image file"),
        (big.getvalue(), "more than a thumbnail can be"),
    ):
        data = insert_jpeg_segment(encode(photo((64, 48)), "JPEG"), 0xE1, exif_with_thumbnail(thumbnail))
        meta, notices = extract_metadata(data, Image.open(io.BytesIO(data)))
        notice = next(n for n in notices if n.code == "thumbnail_malformed")
        assert reason in notice.message
        assert meta.thumbnail.width is None


def test_many_text_bombs_are_bounded_across_the_file():
    """Regression: 80 zTXt chunks of 16 MiB each (a 1.3 MB file) made a 1.34 GB row."""
    import zlib

    from core.metadata.png_text import MAX_TOTAL_TEXT_BYTES, read_png_text
    from tests.images import png_chunk

    png = encode(photo((16, 16)), "PNG")
    bomb = png_chunk(b"zTXt", b"Comment\x00\x00" + zlib.compress(b"A" * (16 * 1024 * 1024), 9))
    data = png[:-12] + bomb * 80 + png[-12:]
    assert len(data) < 2_000_000
    read = read_png_text(data)
    assert sum(len(e["text"]) for e in read.entries) == MAX_TOTAL_TEXT_BYTES
    assert len(read.entries) == 2
    assert read.problems[-1] == (
        "png_text_too_large",
        f"78 more text chunk(s) left out: the file's text passed {MAX_TOTAL_TEXT_BYTES:,} bytes",
    )


def test_text_and_icc_bombs_do_not_fail_an_image_that_browsers_render():
    """Regression: a 17 MiB zTXt or a 20 MiB iCCP chunk made Pillow refuse a PNG whose pixels are fine."""
    import zlib

    from core.context import make_context
    from core.pipeline import analyze
    from core.settings import Settings
    from core.sources import Source
    from tests.images import png_chunk

    png = encode(photo((32, 32)), "PNG")
    text = png_chunk(b"zTXt", b"Comment\x00\x00" + zlib.compress(b"A" * (17 * 1024 * 1024), 9))
    icc = png_chunk(b"iCCP", b"icc\x00\x00" + zlib.compress(b"\x00" * (20 * 1024 * 1024), 9))
    rows = {}
    for name, extra in (("text", text), ("icc", icc)):
        data = png[:33] + extra + png[33:]  # right after IHDR, before the image data
        r = analyze(Source.from_bytes("bomb.png", data), make_context(Settings(classifier=False)))
        assert (r.status, r.error, r.file.width) == ("ok", None, 32)
        rows[name] = r
    assert "png_text_too_large" in [n.code for n in rows["text"].notices]
    # Regression: the ICC bomb was dropped with no word; now its row and its ledger say so.
    icc_row = rows["icc"]
    assert icc_row.metadata.icc_profile is None
    assert [n.message for n in icc_row.notices if n.code == "icc_dropped"] == [
        "the PNG's ICC colour profile (iCCP) inflates past 1,048,576 bytes, more than any real profile (a "
        "compression bomb?): it was not read, and the pixels were analysed as sRGB"
    ]
    assert "metadata.icc_dropped" in [f.rule for f in icc_row.findings]


def test_cheap_tricks_do_not_hide_a_declaration():
    """An AI declaration in a PNG's 5th XMP packet, a parameters chunk after 100,001 empty
    chunks, and Extended XMP split over JPEG segments are all read; XMP in a JPEG comment is not
    the file's metadata."""
    import struct

    from core.context import make_context
    from core.pipeline import analyze
    from core.settings import Settings
    from core.sources import Source
    from tests.images import insert_jpeg_segment, png_chunk, xmp_packet

    def scan(name, data):
        return analyze(Source.from_bytes(name, data), make_context(Settings(classifier=False)))

    ai = "<Iptc4xmpExt:DigitalSourceType>http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia</Iptc4xmpExt:DigitalSourceType>"
    png = encode(photo((16, 16)), "PNG")
    packets = [xmp_packet("", 'photoshop:City="x"')] * 4 + [xmp_packet(ai)]
    chunks = b"".join(png_chunk(b"iTXt", b"XML:com.adobe.xmp\x00\x00\x00\x00\x00" + p) for p in packets)
    assert scan("five.png", png[:-12] + chunks + png[-12:]).provenance.ai_declared is True

    empty = png_chunk(b"abCd", b"") * 100_001
    params = png_chunk(b"tEXt", b"parameters\x00a fox\nSteps: 20, Seed: 1, Model: sdxl")
    assert (
        scan("late.png", png[:-12] + empty + params + png[-12:]).provenance.generator.tool == "automatic1111"
    )

    jpeg = encode(photo((16, 16)), "JPEG")
    extended = xmp_packet(ai)
    guid = b"0123456789ABCDEF0123456789ABCDEF"
    half = len(extended) // 2
    for offset, piece in ((half, extended[half:]), (0, extended[:half])):  # pieces may come in any order
        header = b"http://ns.adobe.com/xmp/extension/\x00" + guid + struct.pack(">II", len(extended), offset)
        jpeg = insert_jpeg_segment(jpeg, 0xE1, header + piece)
    assert scan("extended.jpg", jpeg).provenance.ai_declared is True

    in_comment = insert_jpeg_segment(encode(photo((16, 16)), "JPEG"), 0xFE, xmp_packet(ai))
    r = scan("comment.jpg", in_comment)
    assert (r.provenance.ai_declared, r.metadata.raw.get("xmp")) == (False, None)


@pytest.mark.parametrize(
    "message", ["Failed to decode image: Out of memory", "AVIF: memory allocation failed"]
)
def test_a_native_decoders_out_of_memory_is_a_memory_limit_not_damage(monkeypatch, message):
    """Regression: libavif/libwebp out-of-memory was reported as decode_failed."""
    from PIL import PngImagePlugin

    from core.intake import open_intake

    def failing_load(self):
        raise OSError(message)

    monkeypatch.setattr(PngImagePlugin.PngImageFile, "load", failing_load, raising=False)
    with pytest.raises(MemoryError):
        open_intake(encode(photo((32, 32)), "PNG"), "x.png", "x.png", 10**8)


def test_an_avif_whose_size_box_was_patched_is_refused_before_decoding():
    """Regression: a 320-byte AVIF with its ispe box set to 15000x11900 decoded, scaled up, as "ok"."""
    import io
    import struct

    from core.context import make_context
    from core.pipeline import analyze
    from core.settings import Settings
    from core.sources import Source

    buf = io.BytesIO()
    photo((64, 48)).save(buf, "AVIF")
    data = bytearray(buf.getvalue())
    at = data.find(b"ispe")
    data[at + 8 : at + 16] = struct.pack(">II", 15000, 11900)
    ctx = make_context(Settings(classifier=False))
    r = analyze(Source.from_bytes("patched.avif", bytes(data)), ctx)
    assert (r.status, r.error.code) == ("error", "decode_failed")
    assert r.error.message == (
        "AVIF image that declares 15000x11900 pixels, but its image data holds at most 64x48: the declared size was altered"
    )
    assert analyze(Source.from_bytes("fine.avif", buf.getvalue()), ctx).status == "ok"


def test_an_animation_is_limited_by_its_canvas_before_decoding():
    """Regression: an animated WebP of 13000x13000 (under the still-image limit) took 2.8 GB in
    its worker. Animations (GIF, WebP, APNG) may use a quarter of max_pixels; stills the whole."""
    import io

    from PIL import Image

    from core.context import make_context
    from core.pipeline import analyze
    from core.settings import Settings
    from core.sources import Source

    ctx = make_context(Settings(classifier=False, max_pixels=100_000))
    frames = [Image.new("RGB", (200, 200), (i * 60, 90, 30)) for i in range(3)]
    for fmt in ("GIF", "WEBP", "PNG"):
        buffer = io.BytesIO()
        frames[0].save(buffer, fmt, save_all=True, append_images=frames[1:], duration=100, loop=0)
        r = analyze(Source.from_bytes(f"anim.{fmt.lower()}", buffer.getvalue()), ctx)
        assert (r.status, r.error.code) == ("error", "decompression_bomb"), fmt
        assert r.error.message.startswith("animated ") and "200x200 = 40,000 pixels" in r.error.message
        assert "more than the limit for animations of 25,000" in r.error.message
        still = analyze(Source.from_bytes(f"still.{fmt.lower()}", encode(frames[0], fmt)), ctx)
        assert (still.status, still.file.width) == ("ok", 200), fmt


def _rle8_bmp(width: int, height: int) -> bytes:
    """An 8-bit RLE bitmap whose data is only its end marker: browsers show it (blank), Pillow refuses it."""
    import struct

    palette = b"".join(struct.pack("<4B", i, i, i, 0) for i in range(256))
    data = b"\x00\x01"
    info = struct.pack("<IiiHHIIiiII", 40, width, height, 1, 8, 1, len(data), 2835, 2835, 256, 0)
    offset = 14 + len(info) + len(palette)
    return b"BM" + struct.pack("<IHHI", offset + len(data), 0, 0, offset) + info + palette + data


def test_a_picture_that_other_decoders_show_is_flagged_not_just_called_damaged():
    """Regression: a 177-megapixel RLE8 BMP that ends early was `decode_failed` while a browser
    shows it, so a picture readers see escaped every check without a word. A second, lenient
    decoding (Pillow as browsers read damaged files, then OpenCV) now says so on the row."""
    import io

    from PIL import Image

    from core.context import make_context
    from core.pipeline import analyze
    from core.settings import Settings
    from core.sources import Source

    ctx = make_context(Settings(classifier=False))
    buffer = io.BytesIO()
    Image.effect_noise((640, 480), 50).convert("RGB").save(buffer, "JPEG")
    truncated = buffer.getvalue()[:20000]
    expected = {
        "blank.bmp": (_rle8_bmp(300, 200), "another decoder (OpenCV) shows a picture in it"),
        "huge.bmp": (_rle8_bmp(13300, 13300), "another decoder (OpenCV) shows a picture in it"),
        "cut.jpg": (truncated, "read leniently, as browsers read a damaged file, it shows a 640x480 picture"),
    }
    for name, (data, how) in expected.items():
        r = analyze(Source.from_bytes(name, data), ctx)
        assert (r.status, r.error.code) == ("error", "decode_failed"), name
        assert r.error.message.endswith(
            "yet a more lenient decoder shows a picture in it, which readers may see (notice shown_elsewhere)"
        )
        assert [n.message for n in r.notices if n.code == "shown_elsewhere"] == [
            f"This tool could not decode the picture, but {how}: a browser or viewer may show readers a picture "
            "that was not analysed. Look at the file in a browser before relying on this row."
        ], name
    garbage = b"\xff\xd8\xff\xe0" + b"\x00" * 64  # a JPEG signature and nothing anyone can show
    r = analyze(Source.from_bytes("nothing.jpg", garbage), ctx)
    assert r.status == "error" and "shown_elsewhere" not in [n.code for n in r.notices]
