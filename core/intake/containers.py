"""Container structure, read without decoding: where a JPEG's header and image data end,
whether a JPEG or PNG reaches its end marker, and a PNG's chunks.

These walkers are shared by intake (the end-marker check of metadata-only scans, the
PNG handed to Pillow), provenance (where a manifest can sit) and forensics (trailing
data), so they live here, below all of them (ITU-T T.81 Annex B for JPEG markers; PNG
specification, 3rd edition, section 5 for chunks).
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from typing import NamedTuple

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Chunks walked before giving up (real files have tens; each chunk is at least 12 bytes, so
# this is also about 12 MB of empty chunks). Readers say when they stopped here.
MAX_PNG_CHUNKS = 1_000_000
# Largest inflated text kept from one PNG text chunk (ComfyUI workflows reach a few MB).
MAX_TEXT_BYTES = 16 * 1024 * 1024


class PngChunk(NamedTuple):
    pos: int  # offset of the chunk's length field
    ctype: bytes
    body: bytes  # shorter than declared when the file is cut
    complete: bool


class JpegSegment(NamedTuple):
    marker: int  # 0xE0..0xEF for APP0..APP15, 0xFE for COM, ...
    pos: int  # offset of the FF byte
    payload: bytes  # after the two length bytes


def jpeg_segments(data: bytes) -> Iterator[JpegSegment]:
    """A JPEG's marker segments before its image data (up to the first start of scan)."""
    if not data.startswith(b"\xff\xd8"):
        return
    pos = 2
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            return
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker == 0xDA or marker == 0xD9:
            return
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            pos += 2
            continue
        length = struct.unpack(">H", data[pos + 2 : pos + 4])[0]
        if length < 2:
            return
        yield JpegSegment(marker, pos, data[pos + 4 : pos + 2 + length])
        pos += 2 + length


def png_chunks(data: bytes) -> Iterator[PngChunk]:
    """A PNG's chunks in file order, up to IEND, a cut, or ``MAX_PNG_CHUNKS``."""
    if not data.startswith(PNG_SIGNATURE):
        return
    pos = len(PNG_SIGNATURE)
    for _ in range(MAX_PNG_CHUNKS):
        if pos + 8 > len(data):
            return
        length, ctype = struct.unpack(">I4s", data[pos : pos + 8])
        body = data[pos + 8 : pos + 8 + length]
        complete = len(body) == length
        yield PngChunk(pos, ctype, body, complete)
        if not complete or ctype == b"IEND":
            return
        pos += 12 + length


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
