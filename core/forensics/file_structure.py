"""File structure: data after the image's end marker, and the embedded thumbnail versus
the main image.

Bytes after the end of a JPEG (EOI), a PNG (IEND) or a WebP (RIFF size) are invisible
to viewers; they can be harmless (a phone's extra MPF images, an editor's trailer) or
a hidden archive (a polyglot file). An EXIF thumbnail that no longer matches the main
image means the picture was changed by software that did not refresh the thumbnail.
"""

from __future__ import annotations

import struct

import numpy as np
from PIL import Image

from core.intake.sniff import sniff
from core.metadata.thumbnail import open_thumbnail

# Mean absolute difference (0-255) between the thumbnail and the downscaled main image
# above which they are reported as different pictures.
THUMBNAIL_MISMATCH = 24.0


def image_end(data: bytes, fmt: str | None) -> int | None:
    """Offset just after the main image's last byte, or None when it cannot be found."""
    if fmt == "jpeg":
        return _jpeg_end(data)
    if fmt == "png":
        idx = data.find(b"IEND")
        return idx + 8 if idx >= 4 else None  # chunk type + CRC
    if fmt == "webp" and len(data) >= 12:
        size = struct.unpack("<I", data[4:8])[0] + 8
        return size + (size & 1) if size <= len(data) + 1 else None
    return None


def jpeg_header_end(data: bytes) -> int | None:
    """Offset of the first start-of-scan marker (all metadata segments come before it)."""
    pos = 2
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            return None
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker == 0xDA:
            return pos
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            pos += 2
            continue
        length = struct.unpack(">H", data[pos + 2 : pos + 4])[0]
        pos += 2 + length
    return None


def _jpeg_end(data: bytes) -> int | None:
    """After the first scan starts, entropy-coded data runs until EOI (FF D9 cannot occur inside it)."""
    start = jpeg_header_end(data)
    if start is None:
        return None
    eoi = data.find(b"\xff\xd9", start)
    return eoi + 2 if eoi >= 0 else None


def has_end_marker(data: bytes, fmt: str) -> bool:
    """Whether a JPEG's image data or a PNG's chunks reach an end marker (a cut-off file does not).

    Searches from the end, where the marker almost always is: a forward search costs
    milliseconds on a 12 MP JPEG, whose entropy-coded data is full of FF bytes.
    """
    if fmt == "png":
        return data.rfind(b"IEND") >= 4
    start = jpeg_header_end(data)
    return start is not None and data.rfind(b"\xff\xd9", start) >= 0


def trailing_data(data: bytes, fmt: str | None) -> dict | None:
    end = image_end(data, fmt)
    if end is None:
        return None
    extra = data[end:]
    # JPEG/PNG writers sometimes pad with a few zero bytes: not worth a finding.
    if not extra.strip(b"\x00"):
        return {"bytes": len(extra), "kind": "padding" if extra else "none"}
    if fmt == "jpeg" and extra.startswith(b"\xff\xd8"):
        kind = "appended JPEG images (MPF previews or depth maps, as phones and cameras write)"
    else:
        kind = sniff(extra[:4096]).description
    return {"bytes": len(extra), "kind": kind, "starts_with": extra[:16].hex()}


def thumbnail_mismatch(thumbnail: bytes | None, main: Image.Image) -> dict | None:
    if not thumbnail:
        return None
    try:
        with open_thumbnail(thumbnail) as im:
            thumb = im.convert("L")
    except Exception:  # describe_thumbnail already gave a notice
        return None
    tw, th = thumb.size
    mw, mh = main.size
    aspect_diff = abs(tw / th - mw / mh) / (mw / mh) if th and mh else 1.0
    resized = main.convert("L").resize((tw, th))
    mad = float(np.abs(np.asarray(thumb, dtype=np.float32) - np.asarray(resized, dtype=np.float32)).mean())
    return {
        "mean_abs_difference": round(mad, 2),
        "aspect_ratio_difference": round(aspect_diff, 3),
        "differs": mad > THUMBNAIL_MISMATCH or aspect_diff > 0.1,
    }
