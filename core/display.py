"""What the dashboard and the reports show of a file's pixels: a small preview and the
forensic viewer's picture and maps. Each is made in a file worker under the per-file limits
(``core.isolation``), so no page or report decodes untrusted bytes in its own process."""

from __future__ import annotations

import contextlib
import io
from dataclasses import dataclass

import numpy as np
from PIL import Image

from core import analyzers
from core.intake import open_intake, preview_jpeg
from core.intake.decode import to_rgb, upright
from core.isolation import library_messages, run_limited
from core.metadata.exif import read_exifread
from core.metadata.thumbnail import open_thumbnail
from core.pipeline import warm_up_worker
from core.settings import Settings
from core.sources import Source


def preview_safely(data: bytes | Source, settings: Settings, size: int) -> bytes | None:
    """A small JPEG of an image as displayed, made in a worker under the per-file limits, so
    that the dashboard and the reports never decode untrusted bytes in their own process (nor
    inflate an archive member: a ``Source`` is read by the worker). None when the bytes hold no
    image that decodes within the limits."""
    outcome = run_limited(
        _quietly,
        (_preview_of, data, settings.max_file_bytes, settings.max_pixels, size),
        settings.file_timeout_s,
        settings.file_memory_mb,
        warm_up=warm_up_worker,
    )
    return outcome.value if outcome.status == "ok" else None


def _preview_of(item: bytes | Source, max_bytes: int, max_pixels: int, size: int) -> bytes | None:
    return preview_jpeg(item.read(max_bytes) if isinstance(item, Source) else item, max_pixels, size)


# Long side, in pixels, of the images the forensic viewer shows.
VIEW_SIZE = 1024


@dataclass
class ForensicView:
    """What the forensic viewer shows, as plain arrays (the dashboard blends and zooms them with
    numpy; it never decodes anything): the image upright (RGB), each map that lies over it
    (``overlays``, greyscale) with exactly the image's height and width, by construction
    (``_displayed``), frequency plots shown beside it (``plots``: the spectrum), and the
    embedded EXIF thumbnail."""

    image: np.ndarray
    overlays: dict[str, np.ndarray]
    plots: dict[str, np.ndarray]
    thumbnail: np.ndarray | None = None


def view_safely(
    data: bytes, settings: Settings, options: dict[str, dict] | None = None
) -> ForensicView | None:
    """The forensic viewer's images of one file, drawn in a worker under the per-file limits
    with the map options given (``{"ela": {"quality": 75}, "noise": {"gain": 20}}``); None
    when the image does not decode within the limits."""
    outcome = run_limited(
        _quietly,
        (_view_job, data, settings.max_pixels, options or {}),
        settings.file_timeout_s,
        settings.file_memory_mb,
        warm_up=warm_up_worker,
    )
    return outcome.value if outcome.status == "ok" else None


def _quietly(fn, *args):
    """Run a display job in a worker with its libraries' messages dropped: the file's analysis
    row has them already; the server's log is not the place."""
    with library_messages():
        return fn(*args)


def _view_job(data: bytes, max_pixels: int, options: dict[str, dict]) -> ForensicView | None:
    intake = open_intake(data, "", "", max_pixels)
    full = intake.full_pixels()  # stored orientation, full resolution: what the maps are drawn from
    if full is None:
        return None
    size = view_size(full.size)
    orientation = intake.facts.orientation
    # The maps are drawn from the picture that is shown (16-bit rescaled, palette and CMYK
    # converted as for the analysis), so map and picture agree in content as well as in size.
    picture = full if full.mode == "RGB" else to_rgb(full)  # no 36 MB copy of a 12 MP RGB photo
    overlays, plots = {}, {}
    for name, image in analyzers.render_maps(picture, options).items():
        if analyzers.by_id(name).map_kind == "overlay":
            overlays[name] = _displayed(image, size, orientation, "L")
        else:  # a frequency plot has no place in the picture: shown as drawn
            image.thumbnail((VIEW_SIZE, VIEW_SIZE))
            plots[name] = np.asarray(image)
    thumbnail = None
    thumb_bytes = read_exifread(data).thumbnail
    if thumb_bytes:  # a damaged thumbnail is a notice of the analysis; here it is simply not shown
        with contextlib.suppress(Exception), open_thumbnail(thumb_bytes) as im:
            thumbnail = np.asarray(im.convert("RGB"))
    return ForensicView(_displayed(picture, size, orientation, "RGB"), overlays, plots, thumbnail)


@dataclass
class Comparison:
    """A file beside a thumbnail its Content Credentials carry (an earlier version): the file
    upright, and the thumbnail at exactly the same size, for a side-by-side and a blend."""

    image: np.ndarray
    other: np.ndarray
    other_size: tuple[int, int]  # the thumbnail's own width and height (its shape may differ)


# Long side, in pixels, of a comparison.
COMPARE_SIZE = 512


def compare_safely(data: bytes, other_jpeg: bytes, settings: Settings) -> Comparison | None:
    """The file and a thumbnail from its credentials, decoded in a worker under the per-file
    limits; None when either does not decode within them."""
    outcome = run_limited(
        _quietly,
        (_compare_job, data, other_jpeg, settings.max_pixels),
        settings.file_timeout_s,
        settings.file_memory_mb,
        warm_up=warm_up_worker,
    )
    return outcome.value if outcome.status == "ok" else None


def _compare_job(data: bytes, other_jpeg: bytes, max_pixels: int) -> Comparison | None:
    intake = open_intake(data, "", "", max_pixels)
    full = intake.full_pixels()
    if full is None:
        return None
    image = _displayed(full, view_size(full.size, COMPARE_SIZE), intake.facts.orientation, "RGB")
    with Image.open(io.BytesIO(other_jpeg)) as other:
        if other.width * other.height > max_pixels:
            return None
        other_size = other.size
        resized = other.convert("RGB").resize((image.shape[1], image.shape[0]), Image.Resampling.BILINEAR)
    return Comparison(image, np.asarray(resized), other_size)


def view_size(stored: tuple[int, int], limit: int = VIEW_SIZE) -> tuple[int, int]:
    """The stored size reduced so that its long side is at most ``limit`` (never enlarged)."""
    w, h = stored
    scale = min(1.0, limit / max(w, h))
    return max(1, round(w * scale)), max(1, round(h * scale))


def _displayed(image: Image.Image, size: tuple[int, int], orientation: int | None, mode: str) -> np.ndarray:
    """The one way an image of the viewer is made: ``mode``, exactly ``size`` in stored
    orientation, then turned upright. The picture and every map over it go through here, so
    they cannot differ in size or orientation (a 12 MP portrait JPEG and its maps included)."""
    image = image if image.mode == mode else image.convert(mode)
    if image.size != size:
        image = image.resize(size, Image.Resampling.BILINEAR, reducing_gap=3.0)
    return np.asarray(upright(image, orientation))
