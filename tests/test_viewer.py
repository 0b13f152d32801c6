"""The forensic viewer on every kind of picture: the picture and each map over it have one size
and one orientation by construction (``core.display._displayed``), the right way up, at 12 MP,
with EXIF orientations, in every pixel mode, for strips and tiny images, for each map and
non-default options; and the one-image page draws them without an exception."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from core.display import VIEW_SIZE, view_safely, view_size
from core.settings import Settings
from tests.images import camera_exif, encode, photo

OPTIONS = ({}, {"ela": {"quality": 55}, "noise": {"gain": 40.0}})


def marked_photo(size: tuple[int, int]) -> Image.Image:
    """A noisy photo with a flat red square in its stored top-left quarter: red in the picture,
    dark in the noise map (no grain), so both show where that corner is displayed."""
    rng = np.random.default_rng(1)
    w, h = size
    arr = np.clip(rng.normal(120, 30, (h, w, 3)), 0, 255).astype(np.uint8)
    arr[h // 8 : h * 3 // 8, w // 8 : w * 3 // 8] = (220, 20, 20)
    return Image.fromarray(arr, "RGB")


def centre(mask: np.ndarray) -> tuple[float, float]:
    """Where a mask lies, as fractions of the height and width."""
    ys, xs = np.nonzero(mask)
    return ys.mean() / mask.shape[0], xs.mean() / mask.shape[1]


# EXIF orientation -> where the stored top-left quarter's centre (0.25, 0.25) is displayed.
DISPLAYED_AT = {1: (0.25, 0.25), 6: (0.25, 0.75), 8: (0.75, 0.25), 3: (0.75, 0.75)}


@pytest.mark.slow
@pytest.mark.parametrize("orientation", [6, 8])
def test_12_mp_portrait_maps_lie_over_the_picture_the_right_way_up(orientation):
    stored = (4000, 3000)  # a 12 MP sensor's landscape frame, shown as portrait by the tag
    data = encode(marked_photo(stored), "JPEG", quality=92, exif=camera_exif(orientation=orientation))
    for options in OPTIONS:
        view = view_safely(data, Settings(), options)
        assert view is not None
        h, w = view.image.shape[:2]
        assert (w, h) == (768, 1024)  # upright: portrait, long side VIEW_SIZE
        assert {name: m.shape for name, m in view.overlays.items()} == {"ela": (h, w), "noise": (h, w)}
        red = (view.image[..., 0] > 180) & (view.image[..., 1] < 80)
        flat = view.overlays["noise"] < 3
        expected = DISPLAYED_AT[orientation]
        assert centre(red) == pytest.approx(expected, abs=0.03)
        assert centre(flat) == pytest.approx(expected, abs=0.03)  # the map agrees with the picture
        assert view.plots["spectrum"].ndim == 2


def pictures() -> dict[str, bytes]:
    base = photo((300, 200))
    grey16 = Image.fromarray(np.asarray(base.convert("L")).astype(np.uint16) * 200).convert("I;16")
    return {
        "rgb jpeg, orientation 3": encode(base, "JPEG", exif=camera_exif(orientation=3)),
        "greyscale": encode(base.convert("L"), "PNG"),
        "cmyk jpeg": encode(base.convert("CMYK"), "JPEG"),
        "16-bit greyscale": encode(grey16, "PNG"),
        "palette": encode(base.convert("P"), "PNG"),
        "palette with transparency": encode(base.convert("P"), "PNG", transparency=0),
        "rgba": encode(base.convert("RGBA"), "PNG"),
        "grey with alpha": encode(base.convert("LA"), "PNG"),
        "1 x 3000 strip": encode(photo((1, 3000)), "PNG"),
        "3000 x 1 strip": encode(photo((3000, 1)), "PNG"),
        "1 x 1": encode(photo((1, 1)), "PNG"),
        "2 x 2 jpeg": encode(photo((2, 2)), "JPEG"),
        "tiff": encode(base, "TIFF"),
        "webp": encode(base, "WEBP"),
    }


@pytest.mark.parametrize(("kind", "data"), pictures().items(), ids=list(pictures()))
@pytest.mark.parametrize("options", OPTIONS, ids=["default", "ela 55, noise x40"])
def test_every_kind_of_picture_gets_maps_of_its_own_size(kind, data, options):
    view = view_safely(data, Settings(), options)
    assert view is not None, kind
    assert view.image.dtype == np.uint8 and view.image.ndim == 3 and view.image.shape[2] == 3
    h, w = view.image.shape[:2]
    assert max(h, w) <= VIEW_SIZE
    assert set(view.overlays) == {"ela", "noise"}
    for name, layer in view.overlays.items():
        assert layer.shape == (h, w), name
    assert set(view.plots) == {"spectrum"}
    if kind == "rgb jpeg, orientation 3":
        assert (w, h) == (300, 200)


def test_view_size_keeps_the_shape_and_never_enlarges():
    assert view_size((4000, 3000)) == (1024, 768)
    assert view_size((1, 100_000)) == (1, 1024)
    assert view_size((300, 200)) == (300, 200)
    assert view_size((1, 1)) == (1, 1)


def test_the_one_image_page_draws_every_map_of_a_12_mp_portrait(monkeypatch):
    from streamlit.testing.v1 import AppTest

    from tests.test_dashboard import APP

    monkeypatch.setenv("FORENSICS_CLASSIFIER", "false")
    at = AppTest.from_file(APP, default_timeout=180).run()
    data = encode(marked_photo((4000, 3000)), "JPEG", quality=90, exif=camera_exif(orientation=6))
    at.file_uploader(key="image_upload").set_value(("portrait.jpg", data, "image/jpeg")).run()
    assert not at.exception
    for kind in ("ela", "noise", "spectrum"):
        at.radio(key="upload-map-kind").set_value(kind).run()
        at.slider(key="upload-ela-quality").set_value(70).run()
        assert not at.exception, kind
        assert not [e.value for e in at.error], kind
        shown = {img.caption: img.url for e in at.get("image") for img in e.proto.imgs}
        assert shown["The image (upright)"].startswith("data:image/jpeg;base64,")
        assert shown[{"ela": "Error level (ELA)", "noise": "Noise residual", "spectrum": "Spectrum"}[kind]]
    at.select_slider(key="upload-zoom").set_value(4).run()
    assert not at.exception


@pytest.mark.slow
def test_a_200_mp_phone_photo_gets_every_map_within_the_default_limits():
    """16320 x 12240, as Samsung's, Xiaomi's and Motorola's 200 MP modes write: drawn whole at
    once, the maps needed about 5.1 GB in the file worker, over its 4 GiB, and the page said they
    could not be drawn; drawn channel by channel and in strips, about 3.4 GB."""
    picture = Image.linear_gradient("L").resize((16320, 12240)).convert("RGB")
    view = view_safely(encode(picture, "JPEG", quality=80), Settings(), {})
    assert view is not None
    assert view.image.shape[:2] == (768, 1024)
    assert {name: m.shape for name, m in view.overlays.items()} == {"ela": (768, 1024), "noise": (768, 1024)}
    assert set(view.plots) == {"spectrum"}


def test_maps_drawn_in_strips_and_channels_equal_the_whole_array_formulas(monkeypatch):
    from PIL import ImageFilter

    from core.forensics import ela, noise

    rng = np.random.default_rng(3)
    luma = rng.integers(0, 256, (61, 47), dtype=np.uint8)
    monkeypatch.setattr(noise, "MEDIAN_ROWS", 7)  # strips that do not divide the height
    pillow = np.asarray(Image.fromarray(luma, "L").filter(ImageFilter.MedianFilter(3)))
    assert np.array_equal(noise.median_3x3(luma), pillow)
    rgb = Image.fromarray(rng.integers(0, 256, (40, 56, 3), dtype=np.uint8), "RGB")
    levels = ela.error_levels_u8(rgb, 75)
    resaved = np.asarray(Image.open(io.BytesIO(encode(rgb, "JPEG", quality=75))).convert("RGB"))
    whole = np.abs(np.asarray(rgb).astype(np.int16) - resaved.astype(np.int16)).max(axis=2)
    assert levels.dtype == np.uint8 and np.array_equal(levels, whole)
    assert np.array_equal(
        ela.stretched(np.arange(256, dtype=np.uint8), 2.0), np.minimum(np.arange(256) * 2, 255)
    )
