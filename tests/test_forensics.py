"""Pixel and file forensics on images whose history the tests know."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from core.context import make_context
from core.forensics import ela, file_structure, jpeg_quant, noise, spectrum
from core.intake import containers
from core.pipeline import analyze
from core.schema import Forensics
from core.settings import Settings
from core.sources import Source
from tests.conftest import analyse_bytes
from tests.images import encode, exif_with_thumbnail, photo


def jpeg_image(data: bytes) -> Image.Image:
    im = Image.open(io.BytesIO(data))
    im.load()
    return im


def test_quality_estimate_and_standard_tables():
    result = jpeg_quant.analyze(jpeg_image(encode(photo(), "JPEG", quality=75)))
    assert (result["estimated_quality"], result["standard_ijg_tables"]) == (75, True)
    assert result["luminance_table"][:4] == [8, 6, 5, 8]
    custom = [[max(1, (i * 7) % 40) for i in range(64)], [max(1, (i * 5) % 50) for i in range(64)]]
    result = jpeg_quant.analyze(jpeg_image(encode(photo(), "JPEG", qtables=custom)))
    assert result["standard_ijg_tables"] is False


def test_jpeg_ghost_finds_an_earlier_lower_quality_save():
    first = Image.open(io.BytesIO(encode(photo((768, 768), seed=4), "JPEG", quality=60))).convert("RGB")
    twice = jpeg_quant.analyze(jpeg_image(encode(first, "JPEG", quality=92)))
    assert twice["double_compression"]["indicated"] is True
    assert 55 <= twice["double_compression"]["earlier_quality"] <= 65
    once = jpeg_quant.analyze(jpeg_image(encode(photo((768, 768), seed=4), "JPEG", quality=92)))
    assert once["double_compression"]["indicated"] is False
    r = analyse_bytes(encode(first, "JPEG", quality=92))
    assert "jpeg.double_compression" in [f.rule for f in r.findings]


def flat(size: int) -> Image.Image:
    """A nearly flat picture: one colour with a faint gradient."""
    ramp = np.linspace(118, 122, size, dtype=np.float32)
    return Image.fromarray(np.dstack([np.tile(ramp, (size, 1))] * 3).astype("uint8"), "RGB")


def test_double_compression_is_not_assessable_on_flat_or_small_images():
    for image, quality, reason in (
        (flat(64), 75, "the image is smaller than 256 pixels on a side"),
        (photo((200, 200)), 75, "the image is smaller than 256 pixels on a side"),
        (
            flat(1024),
            90,
            "the image is too flat or smooth: re-compressing it changes almost nothing at any quality",
        ),
    ):
        double = jpeg_quant.analyze(jpeg_image(encode(image, "JPEG", quality=quality)))["double_compression"]
        assert double == {
            "assessable": False,
            "not_assessable_because": reason,
            "earlier_quality": None,
            "dip_depth": None,
            "indicated": False,
        }
    r = analyse_bytes(encode(flat(1024), "JPEG", quality=90))
    rules = [f.rule for f in r.findings]
    assert "jpeg.double_compression" not in rules and "jpeg.double_compression_not_assessable" in rules


def test_ela_is_uneven_where_a_region_was_pasted():
    base = photo((512, 512), seed=1)
    clean = jpeg_image(encode(base, "JPEG", quality=90))
    patch = Image.open(io.BytesIO(encode(photo((512, 512), seed=2), "JPEG", quality=40))).crop(
        (0, 0, 200, 200)
    )
    spliced = base.copy()
    spliced.paste(patch, (160, 160))
    spliced = jpeg_image(encode(spliced, "JPEG", quality=90))
    assert ela.analyze(spliced)["block_cv"] > 1.5 * ela.analyze(clean)["block_cv"]
    assert ela.render(spliced).size == (512, 512)


def test_noise_residual_sees_flat_regions():
    noisy = noise.analyze(photo((256, 256)))
    flat = noise.analyze(Image.new("RGB", (256, 256), (120, 130, 140)))
    assert noisy["mean_abs"] > 5 and noisy["flat_block_share"] == 0.0
    assert (flat["mean_abs"], flat["flat_block_share"]) == (0.0, 1.0)


def test_spectrum_peak_score_rises_with_periodic_traces():
    rng = np.random.default_rng(0)
    noise_field = rng.normal(128, 30, (512, 512))
    natural = Image.fromarray(noise_field.clip(0, 255).astype("uint8"))
    # A faint period-4 grid, like the checkerboard that transposed convolutions leave.
    grid = (
        6 * np.cos(2 * np.pi * np.arange(512) / 4)[None, :] * np.cos(2 * np.pi * np.arange(512) / 4)[:, None]
    )
    traced = Image.fromarray((noise_field + grid).clip(0, 255).astype("uint8"))
    plain, periodic = spectrum.analyze(natural), spectrum.analyze(traced)
    assert periodic["peak_score"] > plain["peak_score"] + 3
    assert [abs(f) for f in periodic["peak_frequency"]] == [0.25, 0.25]
    assert spectrum.render(natural).size == (512, 512)


def test_trailing_zip_after_jpeg_is_reported():
    data = encode(photo(), "JPEG") + b"PK\x03\x04" + b"\x00" * 60
    assert file_structure.trailing_data(data, "jpeg") == {
        "bytes": 64,
        "kind": "ZIP archive",
        "starts_with": "504b0304" + "00" * 12,
    }
    r = analyse_bytes(data)
    assert "file.trailing_data" in [f.rule for f in r.findings]


def test_appended_mpf_images_and_padding_are_not_findings():
    mpo = encode(photo((400, 300)), "MPO", save_all=True, append_images=[photo((160, 120), seed=2)])
    assert file_structure.trailing_data(mpo, "jpeg")["kind"].startswith("appended JPEG images")
    assert "file.trailing_data" not in [f.rule for f in analyse_bytes(mpo).findings]
    assert file_structure.trailing_data(encode(photo(), "PNG") + b"\x00\x00", "png") == {
        "bytes": 2,
        "kind": "padding",
    }


def test_jpeg_end_skips_the_thumbnail_inside_exif():
    thumb = encode(photo((160, 120), seed=3), "JPEG")
    data = encode(photo(), "JPEG", exif=exif_with_thumbnail(thumb))
    assert containers.image_end(data, "jpeg") == len(data)


def test_thumbnail_of_another_picture_is_a_mismatch():
    main = photo((640, 480), seed=1)
    same = encode(main.resize((160, 120)), "JPEG")
    other = encode(photo((160, 120), seed=7).transpose(Image.Transpose.FLIP_LEFT_RIGHT), "JPEG")
    assert file_structure.thumbnail_mismatch(same, main)["differs"] is False
    assert file_structure.thumbnail_mismatch(other, main)["differs"] is True
    r = analyse_bytes(encode(main, "JPEG", exif=exif_with_thumbnail(other)))
    assert "file.thumbnail_mismatch" in [f.rule for f in r.findings]


def test_forensics_can_be_switched_off_and_fail_alone():
    r = analyze(
        Source.from_bytes("f.jpg", encode(photo(), "JPEG")),
        make_context(Settings(classifier=False, forensics=False)),
    )
    assert r.forensics == Forensics() and r.to_dict()["forensics"] == {}
    r = analyse_bytes(encode(photo((4, 4)), "PNG"), "tiny.png")
    assert r.status == "ok"


def test_lab_pictures_get_noise_and_spectrum_from_their_lightness():
    """Pillow cannot convert LAB to greyscale (hopper.Lab.tif in Pillow's tests made both fail)."""
    lab = Image.merge(
        "LAB",
        [
            photo((300, 300), seed=3).convert("L"),
            Image.new("L", (300, 300), 128),
            Image.new("L", (300, 300), 128),
        ],
    )
    assert noise.analyze(lab) == noise.analyze(lab.getchannel("L"))
    assert spectrum.analyze(lab)["peak_score"] == spectrum.analyze(lab.getchannel("L"))["peak_score"]
