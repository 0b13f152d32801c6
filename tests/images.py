"""Test images written by the tests themselves: real containers with real metadata payloads."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
from PIL import Image


def photo(size: tuple[int, int] = (640, 480), seed: int = 0) -> Image.Image:
    """A textured RGB image (gradient plus noise), different for each seed."""
    rng = np.random.default_rng(seed)
    w, h = size
    x = np.linspace(0, 255, w)[None, :, None]
    y = np.linspace(0, 255, h)[:, None, None]
    base = (x * (seed % 3 + 1) / 3 + y * ((seed + 1) % 3) / 3) % 256
    arr = np.clip(base + rng.normal(0, 25, (h, w, 3)), 0, 255).astype("uint8")
    return Image.fromarray(arr, "RGB")


def encode(im: Image.Image, fmt: str, **params) -> bytes:
    buf = io.BytesIO()
    im.save(buf, fmt, **params)
    return buf.getvalue()


def camera_exif(
    make: str = "Canon",
    model: str = "Canon EOS R5",
    software: str | None = "Firmware Version 1.8.1",
    datetime_original: str | None = "2024:05:01 12:30:45",
    offset: str | None = "+02:00",
    subsec: str | None = "12",
    lens: str | None = "RF24-105mm F4 L IS USM",
    gps: tuple[str, tuple, str, tuple] | None = ("N", (48.0, 51.0, 29.88), "E", (2.0, 17.0, 40.2)),
    altitude: float | None = 35.5,
    orientation: int | None = None,
    serial: str | None = "031021001234",
) -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = make
    exif[0x0110] = model
    if software:
        exif[0x0131] = software
    if orientation:
        exif[0x0112] = orientation
    sub = exif.get_ifd(0x8769)
    if datetime_original:
        sub[0x9003] = datetime_original
    if offset:
        sub[0x9011] = offset
    if subsec:
        sub[0x9291] = subsec
    if lens:
        sub[0xA434] = lens
    if serial:
        sub[0xA431] = serial
    if gps:
        g = exif.get_ifd(0x8825)
        g[1], g[2], g[3], g[4] = gps[0], gps[1], gps[2], gps[3]
        if altitude is not None:
            g[5] = b"\x00"
            g[6] = altitude
    return exif


def exif_with_thumbnail(thumbnail: bytes, make: str = "NIKON CORPORATION") -> bytes:
    """A little-endian TIFF/EXIF block: IFD0 (Make) -> IFD1 pointing at a JPEG thumbnail."""
    make_bytes = make.encode() + b"\x00"
    ifd0_at = 8
    ifd0_size = 2 + 12 + 4
    ifd1_at = ifd0_at + ifd0_size
    ifd1_size = 2 + 2 * 12 + 4
    make_at = ifd1_at + ifd1_size
    thumb_at = make_at + len(make_bytes)
    out = b"II*\x00" + struct.pack("<I", ifd0_at)
    out += (
        struct.pack("<H", 1)
        + struct.pack("<HHII", 0x010F, 2, len(make_bytes), make_at)
        + struct.pack("<I", ifd1_at)
    )
    out += struct.pack("<H", 2)
    out += struct.pack("<HHII", 0x0201, 4, 1, thumb_at) + struct.pack("<HHII", 0x0202, 4, 1, len(thumbnail))
    out += struct.pack("<I", 0)
    return b"Exif\x00\x00" + out + make_bytes + thumbnail


def insert_jpeg_segment(jpeg: bytes, marker: int, payload: bytes) -> bytes:
    """Insert an APPn segment right after SOI."""
    segment = bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload
    return jpeg[:2] + segment + jpeg[2:]


def iptc_app13(records: dict[tuple[int, int], bytes | list[bytes]], utf8: bool = True) -> bytes:
    """A Photoshop APP13 payload holding an IPTC-NAA (8BIM 0x0404) resource."""
    iim = b""
    if utf8:
        iim += b"\x1c\x01\x5a" + struct.pack(">H", 3) + b"\x1b%G"
    for (record, dataset), value in records.items():
        for item in value if isinstance(value, list) else [value]:
            iim += bytes([0x1C, record, dataset]) + struct.pack(">H", len(item)) + item
    if len(iim) % 2:
        iim += b"\x00"
    resource = b"8BIM" + struct.pack(">H", 0x0404) + b"\x00\x00" + struct.pack(">I", len(iim)) + iim
    return b"Photoshop 3.0\x00" + resource


def xmp_packet(description_body: str, attributes: str = "") -> bytes:
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:tiff="http://ns.adobe.com/tiff/1.0/" '
        'xmlns:exif="http://ns.adobe.com/exif/1.0/" xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/" '
        'xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/" '
        f"{attributes}>{description_body}</rdf:Description></rdf:RDF></x:xmpmeta>"
        '<?xpacket end="w"?>'
    ).encode()


def png_chunk(ctype: bytes, body: bytes) -> bytes:
    return (
        struct.pack(">I", len(body)) + ctype + body + struct.pack(">I", zlib.crc32(ctype + body) & 0xFFFFFFFF)
    )


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that declares ``width x height`` pixels in a few dozen bytes (a decompression bomb header)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    return (
        b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", idat) + png_chunk(b"IEND", b"")
    )


def exif_with_huge_makernote(count: int = 0xFFFFFFF0) -> bytes:
    """EXIF whose MakerNote declares ``count`` bytes (exifread would loop over every one)."""
    make = b"Canon\x00"
    ifd0_size = 2 + 2 * 12 + 4
    exif_at = 8 + ifd0_size
    exif_size = 2 + 12 + 4
    make_at = exif_at + exif_size
    ifd0 = struct.pack("<H", 2)
    ifd0 += struct.pack("<HHII", 0x010F, 2, len(make), make_at) + struct.pack("<HHII", 0x8769, 4, 1, exif_at)
    ifd0 += struct.pack("<I", 0)
    exif_ifd = (
        struct.pack("<H", 1) + struct.pack("<HHII", 0x927C, 7, count, exif_at + 18) + struct.pack("<I", 0)
    )
    return b"Exif\x00\x00II*\x00" + struct.pack("<I", 8) + ifd0 + exif_ifd + make


def exif_with_canon_lens(lens: str, model: str = "Canon EOS 5D Mark II") -> bytes:
    """A Canon MakerNote holding only tag 0x0095 LensModel (see ``exif_with_canon_makernote``)."""
    return exif_with_canon_makernote({0x0095: lens.encode() + b"\x00"}, model)


def exif_with_canon_makernote(entries: dict[int, bytes], model: str = "Canon EOS 5D Mark II") -> bytes:
    """EXIF naming a Canon camera whose MakerNote holds ``entries`` (tag -> raw ASCII-typed
    bytes, written as given, so a test can store Latin-1 as cameras do: 0x0009 OwnerName,
    0x0095 LensModel)."""
    return raw_exif(
        {0x010F: (ASCII, b"Canon\x00"), 0x0110: (ASCII, model.encode() + b"\x00")},
        {},
        {tag: (ASCII, value) for tag, value in entries.items()},
    )


# TIFF field types used by ``raw_exif``.
ASCII, SHORT, UNDEFINED = 2, 3, 7
_TYPE_SIZES = {ASCII: 1, SHORT: 2, UNDEFINED: 1}


def raw_exif(
    ifd0: dict[int, tuple[int, bytes]],
    exif: dict[int, tuple[int, bytes]],
    makernote: dict[int, tuple[int, bytes]] | None = None,
) -> bytes:
    """An APP1 EXIF payload (little-endian) written byte for byte: each entry is ``tag -> (TIFF
    type, raw value bytes)``, so values can hold what real files hold (Latin-1, NULs, control
    characters, bytes that are no text at all). IFD0 points to the Exif IFD, which holds the
    MakerNote IFD when ``makernote`` is given; Canon-style offsets count from the TIFF header."""
    ifd0, exif = dict(ifd0), dict(exif)
    ifd0[0x8769] = (4, b"")  # the Exif IFD's offset, filled in below
    if makernote is not None:
        exif[0x927C] = (UNDEFINED, b"")  # the MakerNote, placed below
    sizes = [2 + 12 * len(d) + 4 for d in (ifd0, exif, makernote or {})]
    ifd0_at = 8
    exif_at = ifd0_at + sizes[0]
    note_at = exif_at + sizes[1]
    values_at = note_at + sizes[2]
    values = bytearray()

    def directory(entries: dict[int, tuple[int, bytes]], special: dict[int, bytes]) -> bytes:
        out = struct.pack("<H", len(entries))
        for tag, (kind, value) in sorted(entries.items()):
            if tag in special:
                out += special[tag]
                continue
            count = len(value) // _TYPE_SIZES[kind]
            if len(value) <= 4:  # TIFF keeps a value of four bytes or less in the entry itself
                out += struct.pack("<HHI", tag, kind, count) + value.ljust(4, b"\x00")
            else:
                out += struct.pack("<HHII", tag, kind, count, values_at + len(values))
                values.extend(value)
        return out + struct.pack("<I", 0)

    body = directory(ifd0, {0x8769: struct.pack("<HHII", 0x8769, 4, 1, exif_at)})
    body += directory(exif, {0x927C: struct.pack("<HHII", 0x927C, UNDEFINED, sizes[2], note_at)})
    if makernote is not None:
        body += directory(makernote, {})
    return b"Exif\x00\x00II*\x00" + struct.pack("<I", ifd0_at) + body + bytes(values)


XMP_PLACEHOLDER = b"@@XMP-DESCRIPTION@@"


def camera_photo_with_strings(
    base_jpeg: bytes, strings: dict[str, bytes], orientation: int | None = None
) -> bytes:
    """A camera JPEG (``base_jpeg``, e.g. 4000x3000) whose EXIF, Canon MakerNote, IPTC and XMP
    hold ``strings`` byte for byte, as real files do (Latin-1, NULs, control characters, bidi
    overrides, bytes that are no text). Keys: make, model, software, artist, description,
    lens, serial, user_comment, owner (MakerNote), byline and caption (IPTC, no UTF-8 marker),
    xmp (dc:description, raw inside the packet)."""

    def ascii_value(key: str, default: bytes) -> tuple[int, bytes]:
        return ASCII, strings.get(key, default) + b"\x00"

    ifd0 = {
        0x010F: ascii_value("make", b"Canon"),
        0x0110: ascii_value("model", b"Canon EOS R5"),
        0x0131: ascii_value("software", b"Firmware 1.8.1"),
        0x013B: ascii_value("artist", b""),
        0x010E: ascii_value("description", b""),
    }
    if orientation:
        ifd0[0x0112] = (SHORT, struct.pack("<H", orientation))
    exif = {
        0x9003: (ASCII, b"2024:05:01 12:30:45\x00"),
        0xA434: ascii_value("lens", b"RF24-105mm"),
        0xA431: ascii_value("serial", b"031021001234"),
        0x9286: (UNDEFINED, b"ASCII\x00\x00\x00" + strings.get("user_comment", b"")),
    }
    note = {0x0009: ascii_value("owner", b"Owner"), 0x0095: ascii_value("lens", b"RF24-105mm")}
    out = insert_jpeg_segment(
        base_jpeg,
        0xED,
        iptc_app13(
            {
                (2, 80): strings.get("byline", b"A. Photographer"),
                (2, 120): strings.get("caption", b"A caption"),
            },
            utf8=False,
        ),
    )
    packet = xmp_packet(f"<dc:description>{XMP_PLACEHOLDER.decode()}</dc:description>")
    out = insert_jpeg_segment(
        out,
        0xE1,
        b"http://ns.adobe.com/xap/1.0/\x00" + packet.replace(XMP_PLACEHOLDER, strings.get("xmp", b"")),
    )
    return insert_jpeg_segment(out, 0xE1, raw_exif(ifd0, exif, note))


def png_with_text(image: Image.Image, chunks: dict[bytes, bytes]) -> bytes:
    """A PNG with ``chunks`` (keyword -> raw text) as tEXt chunks, written byte for byte (tEXt is
    Latin-1 by the standard; files hold anything): "parameters" makes it an A1111 image."""
    png = encode(image, "PNG")
    end = png.rindex(b"IEND") - 4
    extra = b"".join(png_chunk(b"tEXt", key + b"\x00" + value) for key, value in chunks.items())
    return png[:end] + extra + png[end:]
