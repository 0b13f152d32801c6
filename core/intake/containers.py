"""Container structure, read without decoding: where a JPEG's header and image data end,
whether a JPEG or PNG reaches its end marker, and a PNG's chunks.

These walkers are shared by intake (the end-marker check of metadata-only scans, the
PNG handed to Pillow), provenance (where a manifest can sit) and forensics (trailing
data), so they live here, below all of them (ITU-T T.81 Annex B for JPEG markers; PNG
specification, 3rd edition, section 5 for chunks).
"""

from __future__ import annotations

import re
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
    eoi = _EOI.search(data, start)  # twice as fast as bytes.find here: entropy data is full of FF bytes
    return eoi.end() if eoi else None


_EOI = re.compile(b"\xff\xd9")


def has_end_marker(data: bytes, fmt: str) -> bool:
    """Whether a JPEG's image data or a PNG's chunks reach an end marker (a cut-off file does not).

    Searches from the end, where the marker almost always is: a forward search costs
    milliseconds on a 12 MP JPEG, whose entropy-coded data is full of FF bytes.
    """
    if fmt == "png":
        return data.rfind(b"IEND") >= 4
    start = jpeg_header_end(data)
    return start is not None and data.rfind(b"\xff\xd9", start) >= 0


class _Bits:
    """A big-endian bit reader for AV1 headers (AV1 specification, 4.10)."""

    def __init__(self, data: bytes):
        self.data, self.pos = data, 0

    def f(self, n: int) -> int:
        value = 0
        for _ in range(n):
            byte = self.data[self.pos >> 3] if (self.pos >> 3) < len(self.data) else 0
            value = (value << 1) | ((byte >> (7 - (self.pos & 7))) & 1)
            self.pos += 1
        if self.pos > len(self.data) * 8:
            raise ValueError("AV1 header cut short")
        return value

    def uvlc(self) -> int:
        zeros = 0
        while not self.f(1):
            zeros += 1
            if zeros >= 32:
                raise ValueError("AV1 uvlc too long")
        return (1 << zeros) - 1 + self.f(zeros)


def av1_coded_size(data: bytes) -> tuple[int, int] | None:
    """The largest frame an AVIF's AV1 data can hold (its sequence header's max frame size),
    or None when it cannot be found. A grid image (tiles) is not checked: its tiles are smaller
    than the picture by design."""
    meta_end = data.find(b"mdat")
    if meta_end < 4 or b"grid" in data[:meta_end]:
        return None
    size = struct.unpack(">I", data[meta_end - 4 : meta_end])[0]
    pos = meta_end + (12 if size == 1 else 4)  # a 64-bit box size follows when size is 1
    for _ in range(8):  # the first OBUs of the first item: temporal delimiter, sequence header
        if pos >= len(data):
            return None
        header = data[pos]
        obu_type, extension, has_size = (header >> 3) & 0xF, (header >> 2) & 1, (header >> 1) & 1
        pos += 1 + extension
        if not has_size:
            return None
        length, shift = 0, 0
        while True:  # leb128
            byte = data[pos]
            pos += 1
            length |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80 or shift > 56:
                break
        if obu_type == 1:
            return _sequence_header_size(data[pos : pos + length])
        pos += length
    return None


def _sequence_header_size(payload: bytes) -> tuple[int, int] | None:
    try:
        b = _Bits(payload)
        b.f(3)  # seq_profile
        b.f(1)  # still_picture
        if b.f(1):  # reduced_still_picture_header
            b.f(5)
        else:
            decoder_model = False
            delay_bits = 0
            if b.f(1):  # timing_info_present_flag
                b.f(32), b.f(32)
                if b.f(1):
                    b.uvlc()
                decoder_model = bool(b.f(1))
                if decoder_model:
                    delay_bits = b.f(5) + 1
                    b.f(32), b.f(5), b.f(5)
            initial_display_delay = b.f(1)
            for _ in range(b.f(5) + 1):  # operating points
                b.f(12)
                if b.f(5) > 7:
                    b.f(1)
                if decoder_model and b.f(1):
                    b.f(delay_bits), b.f(delay_bits), b.f(1)
                if initial_display_delay and b.f(1):
                    b.f(4)
        width_bits, height_bits = b.f(4) + 1, b.f(4) + 1
        return b.f(width_bits) + 1, b.f(height_bits) + 1
    except (ValueError, IndexError):
        return None
