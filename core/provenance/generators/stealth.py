"""NovelAI's "stealth" metadata: a payload hidden in the least significant bits of pixels.

Bits are read column by column (x outer, y inner), from the alpha channel
(``stealth_pnginfo``, ``stealth_pngcomp``) or from R, G, B in turn
(``stealth_rgbinfo``, ``stealth_rgbcomp``). After the 15-byte magic comes a 32-bit
big-endian payload length in bits, then the payload, gzip-compressed for ``*comp``.
"""

from __future__ import annotations

import gzip
import io
from typing import TYPE_CHECKING

from PIL import Image

if TYPE_CHECKING:  # numpy is imported by the file worker that reads pixels, not by every process
    import numpy as np

MAGICS = {
    b"stealth_pnginfo": ("alpha", False),
    b"stealth_pngcomp": ("alpha", True),
    b"stealth_rgbinfo": ("rgb", False),
    b"stealth_rgbcomp": ("rgb", True),
}
# Largest hidden payload read, in bytes (NovelAI's is a few KB).
MAX_PAYLOAD_BYTES = 4 * 1024 * 1024


# Container formats whose pixels survive saving exactly; a payload in a JPEG's LSBs would not.
LOSSLESS_FORMATS = ("PNG", "WEBP", "TIFF", "BMP")


def _bits(image: Image.Image, channels: str, columns: int | None = None) -> np.ndarray | None:
    """LSBs in NovelAI's order (x outer, y inner), from the first ``columns`` columns only."""
    import numpy as np

    if columns is not None:
        image = image.crop((0, 0, min(columns, image.width), image.height))
    if channels == "alpha":
        if image.mode not in ("RGBA", "LA", "PA"):
            return None
        plane = np.asarray(image.getchannel("A"), dtype=np.uint8)
        return (plane.T & 1).reshape(-1)
    rgb = np.asarray(image.convert("RGB"), dtype=np.uint8)
    return (rgb.transpose(1, 0, 2) & 1).reshape(-1)


def _bytes(bits: np.ndarray, start: int, count: int) -> bytes:
    import numpy as np

    return np.packbits(bits[start : start + count * 8]).tobytes()


def read_stealth(image: Image.Image) -> tuple[str, str] | None:
    """``(magic, payload text)`` when the image hides a stealth payload, else None."""
    if image.format not in LOSSLESS_FORMATS or image.height == 0:
        return None
    header_bits = 15 * 8 + 32
    for channels in ("alpha", "rgb"):
        per_pixel = 1 if channels == "alpha" else 3
        # Read only the columns that hold the magic and the length before reading everything.
        head = _bits(image, channels, columns=-(-header_bits // (per_pixel * image.height)))
        if head is None or head.size < header_bits:
            continue
        magic = _bytes(head, 0, 15)
        if magic not in MAGICS or MAGICS[magic][0] != channels:
            continue
        length_bits = int.from_bytes(_bytes(head, 15 * 8, 4), "big")
        bits = _bits(image, channels)
        if length_bits <= 0 or length_bits > MAX_PAYLOAD_BYTES * 8 or header_bits + length_bits > bits.size:
            raise ValueError("the hidden payload's declared length is impossible")
        payload = _bytes(bits, header_bits, length_bits // 8)
        if MAGICS[magic][1]:
            with gzip.GzipFile(fileobj=io.BytesIO(payload)) as fh:
                payload = fh.read(MAX_PAYLOAD_BYTES)
        return magic.decode(), payload.decode("utf-8", "replace")
    return None
