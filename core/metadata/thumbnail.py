"""The preview JPEG that cameras embed in EXIF IFD1 (JPEGInterchangeFormat).

Its facts are recorded here; comparing it with the main image (an edited photo often
keeps the camera's original preview) is a forensic check built on top of this.
"""

from __future__ import annotations

import hashlib
import io

from PIL import Image

from core.schema import Thumbnail

# A preview larger than this is no thumbnail: it is refused before decoding (a 23 KB file
# can declare a 13000x13000 "thumbnail").
MAX_THUMBNAIL_PIXELS = 4_000_000


def open_thumbnail(data: bytes) -> Image.Image:
    """The embedded thumbnail, opened as JPEG only (EXIF thumbnails are JPEG; any other
    Pillow plugin, such as EPS through Ghostscript, must never see attacker bytes) and
    refused above ``MAX_THUMBNAIL_PIXELS`` before any pixel is decoded."""
    im = Image.open(io.BytesIO(data), formats=["JPEG"])
    if im.width * im.height > MAX_THUMBNAIL_PIXELS:
        im.close()
        raise ValueError(f"it declares {im.width}x{im.height} pixels, more than a thumbnail can be")
    return im


def describe_thumbnail(data: bytes | None) -> tuple[Thumbnail | None, str | None]:
    """Facts about the embedded thumbnail, or (None, None) when there is none."""
    if not data:
        return None, None
    thumb = Thumbnail(format=None, size_bytes=len(data), sha256=hashlib.sha256(data).hexdigest())
    try:
        with open_thumbnail(data) as im:
            thumb.format = (im.format or "").lower() or None
            thumb.width, thumb.height = im.size
    except Exception as exc:
        return (
            thumb,
            f"the embedded EXIF thumbnail cannot be read as a JPEG: {type(exc).__name__}: {str(exc)[:120]}",
        )
    return thumb, None
