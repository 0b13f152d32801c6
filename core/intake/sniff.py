"""Identify a file's real format from its first bytes, never from its name.

Signatures follow each format's specification (JPEG SOI marker, the PNG eight-byte
signature, ``GIF87a``/``GIF89a``, RIFF/``WEBP``, TIFF byte-order marks, ``BM``, and the
ISO base media file format ``ftyp`` box with its major and compatible brands for
HEIF/AVIF, ISO/IEC 23008-12). Well-known non-image formats are named too, so an error
row can say "this is a PDF" instead of "unknown".
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

# Formats the intake decodes. Everything else is refused with a clear error.
SUPPORTED_FORMATS = ("jpeg", "png", "webp", "tiff", "gif", "bmp", "heif", "avif")

MIME_TYPES = {
    "jpeg": "image/jpeg",
    "png": "image/png",
    "webp": "image/webp",
    "tiff": "image/tiff",
    "gif": "image/gif",
    "bmp": "image/bmp",
    "heif": "image/heif",
    "avif": "image/avif",
}

# File name extensions that are honest for each format (camera DNG files are TIFF).
EXTENSIONS = {
    "jpeg": {"jpg", "jpeg", "jpe", "jfif"},
    "png": {"png"},
    "webp": {"webp"},
    "tiff": {"tif", "tiff", "dng"},
    "gif": {"gif"},
    "bmp": {"bmp", "dib"},
    "heif": {"heic", "heif", "hif"},
    "avif": {"avif"},
}

# Raster formats that other software (and Pillow) opens, but this tool does not analyse:
# named, so that their rows say "unsupported format" rather than "not an image".
# (signature, offset, name)
OTHER_RASTER_FORMATS = (
    (b"DDS ", 0, "DirectDraw Surface (DDS)"),
    (b"qoif", 0, "QOI"),
    (b"icns", 0, "Apple icon (ICNS)"),
    (b"\x00\x00\x01\x00", 0, "Windows icon (ICO)"),
    (b"\x00\x00\x02\x00", 0, "Windows cursor (CUR)"),
    (b"\x01\xda", 0, "SGI"),
    (b"\xb1\x68\xde\x3a", 0, "multi-page PCX (DCX)"),
    (b"\x11\xaf", 4, "FLIC animation (FLI)"),
    (b"\x12\xaf", 4, "FLIC animation (FLC)"),
    (b"Image type", 0, "IFUNC (IM)"),
    (b"DanM", 0, "Microsoft Paint (MSP)"),
    (b"LinS", 0, "Microsoft Paint (MSP)"),
    (b"SIMPLE  =", 0, "FITS"),
    (b"GIMP", 20, "GIMP brush (GBR)"),
    (b"#define", 0, "X bitmap (XBM)"),
    (b"%!PS-Adobe", 0, "PostScript/EPS"),
)
_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"hevm", b"hevs", b"mif1", b"msf1"}
_AVIF_BRANDS = {b"avif", b"avis"}


@dataclass(frozen=True)
class Sniffed:
    """What the first bytes say. ``format`` is one of SUPPORTED_FORMATS for images we decode."""

    format: str | None  # "jpeg", ..., or None when not a supported image
    kind: str  # "image", "unsupported-image" or "not-image"
    description: str  # human wording, e.g. "PNG image" or "PDF document"

    @property
    def mime(self) -> str | None:
        return MIME_TYPES.get(self.format or "")


def _isobmff_brands(head: bytes) -> tuple[bytes, set[bytes]] | None:
    if len(head) < 16 or head[4:8] != b"ftyp":
        return None
    box_size = struct.unpack(">I", head[:4])[0]
    end = min(max(box_size, 16), len(head))
    compatible = {head[i : i + 4] for i in range(16, end - 3, 4)}
    return head[8:12], compatible


def sniff(head: bytes) -> Sniffed:
    """Classify a file from its first bytes (64 are enough; more are accepted)."""
    if head.startswith(b"\xff\xd8\xff"):
        return Sniffed("jpeg", "image", "JPEG image")
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return Sniffed("png", "image", "PNG image")
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return Sniffed("gif", "image", "GIF image")
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return Sniffed("webp", "image", "WebP image")
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return Sniffed("tiff", "image", "TIFF image")
    if head[:4] in (b"II+\x00", b"MM\x00+"):
        return Sniffed(None, "unsupported-image", "BigTIFF image")
    if head[:2] == b"BM" and len(head) >= 18:
        return Sniffed("bmp", "image", "BMP image")
    brands = _isobmff_brands(head)
    if brands is not None:
        major, compatible = brands
        if major in _AVIF_BRANDS or (major in (b"mif1", b"msf1") and compatible & _AVIF_BRANDS):
            return Sniffed("avif", "image", "AVIF image")
        if major in _HEIF_BRANDS or compatible & _HEIF_BRANDS:
            return Sniffed("heif", "image", "HEIF/HEIC image")
        name = major.decode("latin-1").strip()
        return Sniffed(None, "not-image", f"ISO media file (brand {name!r}), probably a video")
    if head.startswith(b"\xff\x0a") or head.startswith(b"\x00\x00\x00\x0cJXL \r\n\x87\n"):
        return Sniffed(None, "unsupported-image", "JPEG XL image")
    if head.startswith(b"8BPS"):
        return Sniffed(None, "unsupported-image", "Photoshop document")
    if head.startswith(b"\x00\x00\x00\x0cjP  \r\n\x87\n") or head.startswith(b"\xff\x4f\xff\x51"):
        return Sniffed(None, "unsupported-image", "JPEG 2000 image")
    for signature, offset, name in OTHER_RASTER_FORMATS:
        if head[offset : offset + len(signature)] == signature:
            return Sniffed(None, "unsupported-image", f"{name} image")
    if head[:1] == b"P" and head[1:2] in b"1234567fF" and head[2:3] in (b" ", b"\t", b"\r", b"\n"):
        return Sniffed(None, "unsupported-image", "Netpbm (PBM/PGM/PPM/PFM) image")
    if head[:1] == b"\x0a" and head[1:2] in b"\x00\x02\x03\x04\x05" and head[2:3] == b"\x01":
        return Sniffed(None, "unsupported-image", "PCX image")
    if head.startswith(b"%PDF"):
        return Sniffed(None, "not-image", "PDF document")
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return Sniffed(None, "not-image", "ZIP archive")
    if head.startswith(b"\x1f\x8b"):
        return Sniffed(None, "not-image", "gzip archive")
    if head.startswith(b"\x7fELF") or head.startswith(b"MZ"):
        return Sniffed(None, "not-image", "executable program")
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if b"<svg" in text[:1024]:
        return Sniffed(None, "unsupported-image", "SVG vector image (not analysed: it can carry scripts)")
    if text.startswith((b"<!doctype html", b"<html")):
        return Sniffed(None, "not-image", "HTML document")
    if text.startswith(b"<?xml"):
        return Sniffed(None, "not-image", "XML document")
    if head and _looks_like_text(head):
        return Sniffed(None, "not-image", "text file")
    return Sniffed(None, "not-image", "unrecognised data")


def _looks_like_text(head: bytes) -> bool:
    try:
        decoded = head.decode("utf-8")
    except UnicodeDecodeError:
        # A multi-byte character may be cut at the end of the sample.
        try:
            decoded = head[:-3].decode("utf-8")
        except UnicodeDecodeError:
            return False
    return all(ch.isprintable() or ch in "\r\n\t\f" for ch in decoded)
