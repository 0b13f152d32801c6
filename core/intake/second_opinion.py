"""A second opinion on a file this tool's decoder refused: would a reader still see a picture?

Browsers and viewers are more lenient than Pillow in its strict mode: they show the top of a
truncated JPEG, an RLE bitmap whose data ends early, containers their own parsers accept. A
row that only says "damaged" would let such a picture escape every check while readers see
it. So, inside the same file worker and its limits, the file is decoded again, first by Pillow
reading leniently (as browsers read damaged files), then by OpenCV's decoders (libjpeg-turbo,
libpng, libwebp, libavif, its own BMP reader). What they show is named in a notice; the
picture itself is still not analysed: its row stays an error.
"""

from __future__ import annotations

import contextlib
import io
import warnings
from collections.abc import Iterator

from PIL import Image, ImageFile


@contextlib.contextmanager
def _lenient() -> Iterator[None]:
    """Pillow's truncated-file mode for one decode (a worker runs one job at a time)."""
    saved = ImageFile.LOAD_TRUNCATED_IMAGES
    ImageFile.LOAD_TRUNCATED_IMAGES = True
    try:
        yield
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = saved


def _pillow_size(data: bytes, pillow_format: str, max_pixels: int) -> tuple[int, int] | None:
    with _lenient(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            with Image.open(io.BytesIO(data), formats=[pillow_format]) as image:
                size = image.size
                if size[0] * size[1] > max_pixels:
                    return None
                image.draft("L", (max(1, size[0] // 8), max(1, size[1] // 8)))  # JPEG: an eighth is enough
                image.load()
                low, high = image.convert("L").getextrema()
                # All one colour: nothing was decoded before the damage (a browser shows no picture either).
                return size if low != high else None
        except Exception:  # the lenient reading fails too: ask the next decoder
            return None


def _opencv_size(data: bytes) -> tuple[int, int] | None:
    import cv2
    import numpy as np

    level = cv2.utils.logging.getLogLevel()
    # Its decoders' complaints about the file are the refusal the row already reports.
    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)
    try:
        # Reduced: JPEG is decoded at an eighth of its size; only whether a picture comes out matters.
        image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_REDUCED_GRAYSCALE_8)
    except cv2.error:
        return None
    finally:
        cv2.utils.logging.setLogLevel(level)
    return None if image is None or image.size == 0 else (image.shape[1], image.shape[0])


def shown_elsewhere(data: bytes, pillow_format: str, max_pixels: int) -> str | None:
    """How a more lenient decoder shows the file, in words, or None when none shows a picture."""
    if size := _pillow_size(data, pillow_format, max_pixels):
        return f"read leniently, as browsers read a damaged file, it shows a {size[0]}x{size[1]} picture"
    if size := _opencv_size(data):
        return "another decoder (OpenCV) shows a picture in it"
    return None


def notice_text(how: str) -> str:
    return (
        f"This tool could not decode the picture, but {how}: a browser or viewer may show readers a picture "
        "that was not analysed. Look at the file in a browser before relying on this row."
    )
