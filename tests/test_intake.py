"""Safe intake: hashes of the original bytes, real format from content, limits, orientation."""

from __future__ import annotations

import hashlib

import pytest
from PIL import Image

from core.intake import open_intake
from core.intake.sniff import sniff
from tests.images import camera_exif, encode, exif_with_thumbnail, photo, png_header_only

LIMIT = 50_000_000

FORMATS = [
    ("jpeg", "JPEG", "x.jpg", {}),
    ("png", "PNG", "x.png", {}),
    ("webp", "WEBP", "x.webp", {}),
    ("tiff", "TIFF", "x.tif", {}),
    ("bmp", "BMP", "x.bmp", {}),
    ("gif", "GIF", "x.gif", {}),
    ("avif", "AVIF", "x.avif", {}),
    ("heif", "HEIF", "x.heic", {}),
]


@pytest.mark.parametrize(("fmt", "pil_format", "name", "params"), FORMATS)
def test_every_supported_format_decodes_with_facts(fmt, pil_format, name, params):
    if fmt == "heif":
        from pillow_heif import register_heif_opener

        register_heif_opener()
    data = encode(photo((320, 200)), pil_format, **params)
    intake = open_intake(data, name, name, LIMIT)
    assert intake.error is None, intake.error
    f = intake.facts
    assert (f.format, f.extension_matches_format) == (fmt, True)
    assert (f.width, f.height, f.frames, f.animated) == (320, 200, 1, False)
    assert f.sha256 == hashlib.sha256(data).hexdigest()
    assert f.md5 == hashlib.md5(data).hexdigest()
    assert len(f.phash) == 16
    assert intake.decoded.pixels.mode == "RGB"


def test_png_named_jpg_reports_both_facts():
    data = encode(photo(), "PNG")
    intake = open_intake(data, "holiday.jpg", "holiday.jpg", LIMIT)
    assert intake.error is None
    assert (intake.facts.format, intake.facts.extension, intake.facts.extension_matches_format) == (
        "png",
        "jpg",
        False,
    )


def test_animated_gif_reports_frame_count():
    frames = [photo((64, 64), seed=i).convert("P") for i in range(5)]
    buf = encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100)
    intake = open_intake(buf, "a.gif", "a.gif", LIMIT)
    assert (intake.facts.frames, intake.facts.animated) == (5, True)


def test_decompression_bomb_header_is_refused_before_decoding():
    data = png_header_only(10_000, 10_000)
    assert len(data) < 200
    intake = open_intake(data, "bomb.png", "bomb.png", LIMIT)
    assert intake.error.code == "decompression_bomb"
    assert "10000x10000 = 100,000,000 pixels" in intake.error.message
    assert "50,000,000" in intake.error.message
    assert intake.facts.sha256 == hashlib.sha256(data).hexdigest()


def test_absurd_bomb_is_caught_by_pillows_own_limit_with_the_same_code():
    data = png_header_only(100_000, 100_000)
    intake = open_intake(data, "bomb.png", "bomb.png", 10**12)
    assert intake.error.code == "decompression_bomb"
    assert "10000000000 pixels" in intake.error.message


PILLOW_DEFAULT = 89_478_485  # Pillow's MAX_IMAGE_PIXELS as it ships: it refuses above twice that


def declaring(data: bytes, width: int, height: int) -> bytes:
    """A baseline JPEG whose frame header (SOF0) declares another size; the rest unchanged."""
    at = data.index(b"\xff\xc0") + 5  # marker, length, precision
    return data[:at] + height.to_bytes(2, "big") + width.to_bytes(2, "big") + data[at + 4 :]


def test_a_200_mp_phone_photo_is_read_under_the_default_limit_not_called_a_bomb(monkeypatch):
    """Samsung's, Xiaomi's and Motorola's 200 MP modes write 16320 x 12240 JPEGs: 199.8 million
    pixels, within the default max_pixels of 200 million, but above Pillow's own hard limit
    (178,956,970), which refused them as decompression bombs before the setting was consulted.
    A lower setting still refuses them, in its own words."""
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", PILLOW_DEFAULT)  # as a fresh process has it
    data = declaring(encode(photo((320, 240)), "JPEG"), 16320, 12240)
    intake = open_intake(data, "phone.jpg", "phone.jpg", 200_000_000, pixels=False)
    assert intake.error is None, intake.error
    assert (intake.facts.width, intake.facts.height) == (16320, 12240)
    refused = open_intake(data, "phone.jpg", "phone.jpg", 150_000_000, pixels=False)
    assert refused.error.code == "decompression_bomb"
    assert "16320x12240 = 199,756,800 pixels, more than the limit of 150,000,000 (setting max_pixels)" in (
        refused.error.message
    )


@pytest.mark.slow
def test_a_200_mp_photo_gets_every_analysis(tiny_model, monkeypatch):
    from core.context import make_context
    from core.pipeline import analyze_batch
    from core.settings import Settings
    from core.sources import Source

    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", PILLOW_DEFAULT)
    picture = Image.linear_gradient("L").resize((16320, 12240)).convert("RGB")
    [result] = analyze_batch(
        [Source.from_bytes("phone-200mp.jpg", encode(picture, "JPEG", quality=80))],
        make_context(Settings(model=str(tiny_model))),
    )
    assert (result.status, result.file.width, result.file.height) == ("ok", 16320, 12240)
    ran = {a.id for a in result.analyzers if a.status == "ok"}
    assert {"classifier", "ela", "noise", "spectrum", "jpeg"} <= ran, ran


def test_truncated_jpeg_is_a_decode_error_with_hashes_kept():
    data = encode(photo((800, 600)), "JPEG", quality=95)
    cut = data[: len(data) // 2]
    intake = open_intake(cut, "cut.jpg", "cut.jpg", LIMIT)
    assert intake.error.code == "decode_failed"
    assert "truncated" in intake.error.message
    assert intake.facts.format == "jpeg"
    assert intake.facts.sha256 == hashlib.sha256(cut).hexdigest()


@pytest.mark.parametrize(
    ("data", "code", "words"),
    [
        (b"", "empty_file", "0 bytes"),
        (b"just some notes\n", "not_an_image", "text file"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "not_an_image", "PDF document"),
        (b"PK\x03\x04" + b"\x00" * 40, "not_an_image", "ZIP archive"),
        (
            b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
            "unsupported_format",
            "SVG",
        ),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "decode_failed", "PNG image"),
    ],
)
def test_non_images_and_broken_headers_get_clear_codes(data, code, words):
    intake = open_intake(data, "f.png", "f.png", LIMIT)
    assert intake.error.code == code
    assert words in intake.error.message


def test_exif_orientation_rotates_pixels_but_not_the_bytes():
    im = Image.new("RGB", (400, 200), (0, 0, 255))
    im.paste((255, 0, 0), (0, 0, 40, 40))  # red block in the stored top-left corner
    data = encode(im, "JPEG", quality=95, exif=camera_exif(orientation=6))
    intake = open_intake(data, "r.jpg", "r.jpg", LIMIT)
    f = intake.facts
    assert (f.stored_width, f.stored_height, f.orientation) == (400, 200)[:2] + (6,)
    assert (f.width, f.height) == (200, 400)
    pixels = intake.decoded.pixels
    assert pixels.size[0] < pixels.size[1]  # portrait after rotation
    # Orientation 6 = rotate 90 degrees clockwise: the stored top-left lands top-right.
    r, g, b = pixels.getpixel((pixels.size[0] - 3, 3))
    assert r > 200 and b < 60
    assert intake.data == data
    assert f.sha256 == hashlib.sha256(data).hexdigest()


def test_large_jpeg_uses_a_reduced_working_copy_but_reports_full_size():
    data = encode(photo((4000, 3000)), "JPEG", quality=85)
    intake = open_intake(data, "big.jpg", "big.jpg", LIMIT)
    assert (intake.facts.width, intake.facts.height) == (4000, 3000)
    assert 256 <= min(intake.decoded.pixels.size) < 512  # DCT-scaled by 1/8, not decoded whole
    assert max(intake.decoded.pixels.size) <= 2048


@pytest.mark.parametrize(
    ("head", "fmt"),
    [
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic", "heif"),
        (b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf", "avif"),
        (b"\x00\x00\x00\x18ftypmif1\x00\x00\x00\x00mif1avif", "avif"),
        (b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2", None),
    ],
)
def test_iso_media_brands(head, fmt):
    assert sniff(head).format == fmt


def _mode_image(mode: str) -> Image.Image:
    base = photo((96, 64))
    if mode == "I;16":
        import numpy as np

        return Image.fromarray(np.asarray(base.convert("L"), dtype="uint16") * 257)
    if mode == "F":
        return base.convert("F")
    if mode == "PA":
        return base.convert("P")
    return base.convert(mode)


@pytest.mark.parametrize(
    ("mode", "fmt"),
    [
        ("CMYK", "JPEG"),
        ("L", "JPEG"),
        ("I;16", "PNG"),
        ("1", "PNG"),
        ("LA", "PNG"),
        ("RGBA", "WEBP"),
        ("P", "GIF"),
        ("F", "TIFF"),
        ("CMYK", "TIFF"),
    ],
)
def test_unusual_colour_modes_give_rgb_pixels(mode, fmt):
    params = {"transparency": 0} if (mode, fmt) == ("P", "GIF") else {}
    data = encode(_mode_image(mode), fmt, **params)
    intake = open_intake(data, "m", "m", LIMIT)
    assert intake.error is None, intake.error
    assert intake.decoded.pixels.mode == "RGB"
    assert intake.decoded.pixels.size == (96, 64)
    if mode == "I;16":  # rescaled to 8 bits, not clipped to white
        lo, hi = intake.decoded.pixels.convert("L").getextrema()
        assert hi - lo > 100


def test_unidentifiable_header_message_is_stable():
    intake = open_intake(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "x.png", "x.png", LIMIT)
    assert intake.error.code == "decode_failed"
    assert "BytesIO" not in intake.error.message


def test_camera_mpo_jpeg_is_a_jpeg_with_extra_images_not_an_animation():
    data = encode(photo((400, 300)), "MPO", save_all=True, append_images=[photo((160, 120), seed=2)])
    intake = open_intake(data, "DSCF0001.JPG", "DSCF0001.JPG", LIMIT)
    f = intake.facts
    assert (f.format, f.extension_matches_format, f.width, f.height) == ("jpeg", True, 400, 300)
    assert (f.frames, f.animated) == (2, False)


def test_header_only_intake_reads_facts_without_pixels_and_still_catches_a_cut_jpeg():
    """A metadata-only scan: a camera JPEG cut in half still fails, even though its EXIF
    thumbnail (inside the header) carries an end-of-image marker of its own."""
    thumb = encode(photo((160, 120), seed=3), "JPEG")
    whole = encode(photo((1200, 900), seed=4), "JPEG", exif=exif_with_thumbnail(thumb))
    intake = open_intake(whole, "a.jpg", "a.jpg", 10**9, pixels=False)
    assert intake.error is None
    assert (intake.facts.width, intake.facts.height, intake.facts.phash) == (1200, 900, None)
    assert intake.decoded.pixels is None
    cut = open_intake(whole[: len(whole) // 2], "a.jpg", "a.jpg", 10**9, pixels=False)
    assert cut.error.code == "decode_failed" and "end-of-image marker" in cut.error.message
    assert cut.facts.sha256 == hashlib.sha256(whole[: len(whole) // 2]).hexdigest()


def test_both_hashes_in_one_pass_equal_hashlib_over_chunk_boundaries():
    import hashlib

    from core.intake import HASH_CHUNK, hash_once

    for size in (0, 1, HASH_CHUNK - 1, HASH_CHUNK, HASH_CHUNK + 1, 3 * HASH_CHUNK + 7):
        data = bytes(range(256)) * (size // 256) + bytes(size % 256)
        assert hash_once(data) == (hashlib.sha256(data).hexdigest(), hashlib.md5(data).hexdigest()), size
