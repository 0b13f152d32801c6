"""The preview JPEG that cameras embed in EXIF IFD1 (JPEGInterchangeFormat).

Its facts are recorded here; comparing it with the main image (an edited photo often
keeps the camera's original preview) is a forensic check built on top of this.
"""

from __future__ import annotations

import hashlib
import io

from PIL import Image

from core.schema import Thumbnail


def describe_thumbnail(data: bytes | None) -> tuple[Thumbnail | None, str | None]:
    """Facts about the embedded thumbnail, or (None, None) when there is none."""
    if not data:
        return None, None
    thumb = Thumbnail(format=None, size_bytes=len(data), sha256=hashlib.sha256(data).hexdigest())
    try:
        with Image.open(io.BytesIO(data)) as im:
            thumb.format = (im.format or "").lower() or None
            thumb.width, thumb.height = im.size
    except Exception as exc:
        return thumb, f"the embedded EXIF thumbnail cannot be read: {type(exc).__name__}"
    return thumb, None
