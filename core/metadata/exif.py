"""EXIF through exifread and Pillow: the two independent cross-checks of Exiv2's reading
(``exiv2_reader.py``, the primary reader and the only one of MakerNotes); exifread's walk
of the standard tags is also the raw dump (``metadata.raw.exif``).

Tags are named as in EXIF 2.32 / CIPA DC-008. All three readers fill the same small table
of fields (``FIELDS``) so that their answers can be compared one to one; a
disagreement is reported, never hidden. GPS follows the EXIF GPS IFD: degrees,
minutes, seconds as rationals plus N/S/E/W references.
"""

from __future__ import annotations

import functools
import io
import logging
import struct
import warnings
from dataclasses import dataclass, field
from typing import Any

from exifread.core.exceptions import ExifNotFound, InvalidExif
from exifread.core.exif_header import ExifHeader
from exifread.core.find_exif import determine_type, get_endian_str
from exifread.serialize import convert_types
from exifread.tags.fields import FLOAT_FIELD_TYPES, RATIO_FIELD_TYPES, SIGNED_FIELD_TYPES, FieldType
from exifread.tags.makernote import canon
from PIL import ExifTags, Image

from core.jsonsafe import bytes_to_text, json_safe
from core.schema import GPS, Dimensions, ReadersDisagree

from .dates import iso_datetime

# exifread logs "no EXIF found" as a warning for every file without EXIF: expected
# absence, not a problem worth a log line.
logging.getLogger("exifread").setLevel(logging.ERROR)

EXIF_IFD, GPS_IFD = 0x8769, 0x8825

# field -> (exifread key, (Pillow IFD or None for IFD0, tag id))
FIELDS: dict[str, tuple[str, tuple[int | None, int]]] = {
    "make": ("Image Make", (None, 0x010F)),
    "model": ("Image Model", (None, 0x0110)),
    "software": ("Image Software", (None, 0x0131)),
    "artist": ("Image Artist", (None, 0x013B)),
    "lens_make": ("EXIF LensMake", (EXIF_IFD, 0xA433)),
    "lens_model": ("EXIF LensModel", (EXIF_IFD, 0xA434)),
    "serial": ("EXIF BodySerialNumber", (EXIF_IFD, 0xA431)),
    "datetime_original": ("EXIF DateTimeOriginal", (EXIF_IFD, 0x9003)),
    "offset_original": ("EXIF OffsetTimeOriginal", (EXIF_IFD, 0x9011)),
    "subsec_original": ("EXIF SubSecTimeOriginal", (EXIF_IFD, 0x9291)),
    "pixel_width": ("EXIF ExifImageWidth", (EXIF_IFD, 0xA002)),
    "pixel_height": ("EXIF ExifImageLength", (EXIF_IFD, 0xA003)),
    "gps_lat_ref": ("GPS GPSLatitudeRef", (GPS_IFD, 1)),
    "gps_lat": ("GPS GPSLatitude", (GPS_IFD, 2)),
    "gps_lon_ref": ("GPS GPSLongitudeRef", (GPS_IFD, 3)),
    "gps_lon": ("GPS GPSLongitude", (GPS_IFD, 4)),
    "gps_alt_ref": ("GPS GPSAltitudeRef", (GPS_IFD, 5)),
    "gps_alt": ("GPS GPSAltitude", (GPS_IFD, 6)),
}

# Fields compared between the two parsers (the rest are too format-dependent to compare).
CROSS_CHECKED = ("make", "model", "software", "datetime_original", "lens_model", "gps_lat", "gps_lon")


# exifread trusts IFD value counts: a MakerNote declaring four billion bytes makes it
# loop for hours. These bounds stop the parse instead (a valid EXIF block never reads
# past the end of the file, and needs far fewer reads than this).
MAX_READS_PAST_END = 1_000
MAX_READS = 2_000_000


class ParseBudgetExceeded(Exception):
    pass


class _BoundedReader(io.BytesIO):
    """A file object that ends the parse when it asks for impossible amounts of data."""

    def __init__(self, data: bytes):
        super().__init__(data)
        self.calls = 0
        self.short_reads = 0

    def read(self, size: int | None = -1) -> bytes:
        self.calls += 1
        out = super().read(size)
        if size is not None and size > 0 and len(out) < size:
            self.count_short_reads(1)
        if self.calls > MAX_READS:
            raise ParseBudgetExceeded(f"it needed more than {MAX_READS:,} reads")
        return out

    def count_short_reads(self, n: int) -> None:
        self.short_reads += n
        if self.short_reads > MAX_READS_PAST_END:
            raise ParseBudgetExceeded("it declares values that run past the end of the file")


# struct codes of exifread's integer field types, by (bytes per value, signed)
_INTEGER_CODES = {
    (1, False): "B",
    (1, True): "b",
    (2, False): "H",
    (2, True): "h",
    (4, False): "I",
    (4, True): "i",
}


# The tags exifread reads past 1,000 values (it drops the values of any other that long).
_READ_PAST_1000 = ("MakerNote", canon.CAMERA_INFO_TAG_NAME)


class _Header(ExifHeader):
    """exifread's IFD walker, reading an integer array with one read instead of one read per
    value: a 30 KB MakerNote (kept as bytes in the dump) took 30,000 reads and most of a
    metadata scan's time. The values are exifread's own: a value past the end of the file
    reads as 0, and counts against the parse budget as one short read, as before."""

    def _process_field(
        self, tag_name: str, count: int, field_type: int, type_length: int, offset: int
    ) -> list:
        code = _INTEGER_CODES.get((type_length, field_type in SIGNED_FIELD_TYPES))
        if (
            field_type in RATIO_FIELD_TYPES
            or field_type in FLOAT_FIELD_TYPES
            or code is None
            or count < 1
            or (count >= 1000 and tag_name not in _READ_PAST_1000)
        ):
            return super()._process_field(tag_name, count, field_type, type_length, offset)
        self.file_handle.seek(self.offset + offset)
        buf = self.file_handle.read(count * type_length)
        whole = len(buf) // type_length
        missing = count - whole
        if missing:
            self.file_handle.count_short_reads(missing - 1)  # the read above counted one
        endian = "<" if self.endian == "I" else ">"
        return [*struct.unpack(f"{endian}{whole}{code}", buf[: whole * type_length]), *([0] * missing)]


@dataclass
class ExifRead:
    fields: dict[str, Any] = field(default_factory=dict)  # FIELDS name -> plain value
    dump: dict[str, Any] = field(default_factory=dict)  # every tag, JSON-safe
    thumbnail: bytes | None = None
    error: str | None = None


@functools.lru_cache(maxsize=1)
def read_exifread(data: bytes) -> ExifRead:
    """Parse EXIF with exifread. Absence gives an empty result; damage sets ``error``.

    The file being analysed is parsed once: the metadata reader and the thumbnail check both
    ask (a worker analyses one file at a time, so only its parse is kept). Treat the result as
    read-only."""
    out = ExifRead()
    try:
        tags = _standard_tags(_BoundedReader(data))
    except ParseBudgetExceeded as exc:
        out.error = f"parsing stopped: {exc}"
        return out
    except Exception as exc:  # exifread raises assorted types on damaged IFDs
        out.error = f"{type(exc).__name__}: {str(exc)[:200]}"
        return out
    out.thumbnail = tags.get("JPEGThumbnail") if isinstance(tags.get("JPEGThumbnail"), bytes) else None
    try:
        converted = convert_types(tags)
    except Exception:
        converted = {k: getattr(v, "printable", v) for k, v in tags.items()}
    out.dump = {
        name: _dump_value(name, tags[name], value)
        for name, value in converted.items()
        if name not in ("JPEGThumbnail", "TIFFThumbnail")
    }
    for name, (key, _) in FIELDS.items():
        tag = tags.get(key)
        if tag is not None:
            out.fields[name] = _plain(getattr(tag, "values", tag))
    return out


def _standard_tags(fh: _BoundedReader) -> dict[str, Any]:
    """exifread's walk of every IFD (IFD0, the thumbnail's, EXIF, GPS, SubIFDs) and the EXIF
    thumbnail, as ``exifread.process_file(details=True)`` does it, without decoding the
    MakerNote: Exiv2 reads MakerNotes (``exiv2_reader.py``), and exifread's pure-Python decoding
    of them took most of a metadata scan's time. ``details=False`` would not do: it also drops
    UserComment (where AUTOMATIC1111 writes its parameters in JPEGs) and XMP in TIFF."""
    try:
        offset, endian_bytes, fake_exif = determine_type(fh)
    except (ExifNotFound, InvalidExif):
        return {}  # no EXIF: absence, not damage
    endian, _ = get_endian_str(endian_bytes)
    header = _Header(fh, endian, offset, fake_exif, False, False, True, True)
    thumbnail_ifd = 0
    for n, ifd in enumerate(header.list_ifd()):
        header.dump_ifd(ifd=ifd, ifd_name="Image" if n == 0 else "Thumbnail" if n == 1 else f"IFD {n}")
        thumbnail_ifd = ifd if n == 1 else thumbnail_ifd
    if exif_offset := header.tags.get("Image ExifOffset"):
        header.dump_ifd(ifd=exif_offset.values[0], ifd_name="EXIF")
    if sub_ifds := header.tags.get("Image SubIFDs"):
        for n, sub_offset in enumerate(sub_ifds.values):
            header.dump_ifd(ifd=sub_offset, ifd_name=f"EXIF SubIFD{n}")
    if thumbnail_ifd:
        header.extract_tiff_thumbnail(thumbnail_ifd)
        header.extract_jpeg_thumbnail()
    return header.tags


def _dump_value(name: str, tag: Any, converted: Any) -> Any:
    """JSON-safe value for the dump. Binary (BYTE/UNDEFINED) tags keep every byte: exifread's
    own conversion strips leading and trailing NULs, which would change a MakerNote."""
    values = getattr(tag, "values", None)
    binary = getattr(tag, "field_type", None) in (FieldType.UNDEFINED, FieldType.BYTE)
    if (
        binary
        and isinstance(values, list | bytes)
        and len(values) > 1
        and (raw := _as_bytes(values)) is not None
    ):
        if name.endswith("UserComment"):
            return json_safe(decode_user_comment(raw))
        return json_safe(raw)
    return json_safe(converted)


def _as_bytes(values: list | bytes) -> bytes | None:
    try:
        return bytes(values)
    except (ValueError, TypeError):  # a value outside 0..255, or not an integer
        return None


def decode_user_comment(raw: bytes) -> str | bytes:
    """EXIF UserComment: an 8-byte character-code prefix, then the text (EXIF 2.32, 4.6.5).

    "UNICODE" text has no declared byte order in practice; writers use both, so the
    order is taken from a byte-order mark or from where the zero bytes of ASCII-range
    characters fall.
    """
    prefix, body = raw[:8], raw[8:]
    if prefix.startswith(b"ASCII"):
        return body.rstrip(b"\x00").decode("ascii", "replace")
    if prefix.startswith(b"UNICODE"):
        if body[:2] in (b"\xfe\xff", b"\xff\xfe"):
            return body.decode("utf-16", "replace").rstrip("\x00")
        even_zeros = body[0::2].count(0)
        odd_zeros = body[1::2].count(0)
        return body.decode("utf-16-be" if even_zeros >= odd_zeros else "utf-16-le", "replace").rstrip("\x00")
    if prefix.startswith(b"JIS"):
        return body.rstrip(b"\x00").decode("shift_jis", "replace")
    text = bytes_to_text(body) if prefix == b"\x00" * 8 else None
    return text if text is not None else raw


@dataclass
class PillowRead:
    fields: dict[str, Any] = field(default_factory=dict)
    dump: dict[str, Any] = field(default_factory=dict)  # same "IFD Tag" names as exifread's dump
    error: str | None = None


_PILLOW_IFDS = (
    (None, "Image", ExifTags.TAGS),
    (EXIF_IFD, "EXIF", ExifTags.TAGS),
    (GPS_IFD, "GPS", ExifTags.GPSTAGS),
)


def read_pillow(image: Image.Image | None) -> PillowRead:
    """The same FIELDS from Pillow's own EXIF parser (the cross-check, and the fallback
    for containers exifread cannot walk, such as some HEIF and AVIF layouts)."""
    out = PillowRead()
    if image is None:
        return out
    try:
        with warnings.catch_warnings():
            # "Tag data larger than file" and friends: the cross-check reports damage itself.
            warnings.simplefilter("ignore")
            exif = image.getexif()
            ifds = {ifd: (exif if ifd is None else exif.get_ifd(ifd)) for ifd, _, _ in _PILLOW_IFDS}
    except Exception as exc:
        out.error = f"{type(exc).__name__}: {str(exc)[:200]}"
        return out
    for name, (_, (ifd, tag)) in FIELDS.items():
        value = ifds[ifd].get(tag)
        if value is not None:
            out.fields[name] = _plain(value)
    for ifd, prefix, names in _PILLOW_IFDS:
        for tag, value in ifds[ifd].items():
            if ifd is None and tag in (EXIF_IFD, GPS_IFD):
                continue
            out.dump[f"{prefix} {names.get(tag, f'Tag 0x{tag:04X}')}"] = json_safe(value)
    return out


def _plain(value: Any) -> Any:
    """Unwrap single-element lists, turn rationals to floats and bytes to text."""
    if isinstance(value, bytes):
        return bytes_to_text(value) or json_safe(value)
    if isinstance(value, str):
        return value.replace("\x00", "").strip()
    if isinstance(value, list | tuple):
        items = [_plain(v) for v in value]
        return items[0] if len(items) == 1 else items
    return json_safe(value)


def cross_check(readers: dict[str, dict[str, Any]]) -> list[ReadersDisagree]:
    """Fields that the readers (exiv2, exifread, pillow -> fields) read differently: one row per
    field, with the value of every reader that has one."""
    rows = []
    for name in CROSS_CHECKED:
        values = {reader: fields[name] for reader, fields in readers.items() if fields.get(name) is not None}
        if len({repr(_comparable(v)) for v in values.values()}) > 1:
            rows.append(ReadersDisagree(name, **values))
    return rows


def _comparable(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 6)
    if isinstance(value, list):
        return [_comparable(v) for v in value]
    if isinstance(value, str):
        return value.strip()
    return value


def gps_from_fields(f: dict[str, Any]) -> GPS | None:
    """Decimal degrees from the GPS IFD; None when absent or out of range."""
    lat = _dms_to_degrees(f.get("gps_lat"), f.get("gps_lat_ref"), "S")
    lon = _dms_to_degrees(f.get("gps_lon"), f.get("gps_lon_ref"), "W")
    if lat is None or lon is None or abs(lat) > 90 or abs(lon) > 180:
        return None
    altitude = f.get("gps_alt")
    if isinstance(altitude, int | float):
        ref = f.get("gps_alt_ref")
        below = ref in (1, b"\x01", "1") or (isinstance(ref, list) and ref[:1] == [1])
        altitude = round(-float(altitude) if below else float(altitude), 2)
    else:
        altitude = None
    return GPS(lat=round(lat, 7), lon=round(lon, 7), altitude_m=altitude)


def _dms_to_degrees(dms: Any, ref: Any, negative: str) -> float | None:
    if isinstance(dms, int | float):
        dms = [dms]
    if not isinstance(dms, list) or not dms or not all(isinstance(x, int | float) for x in dms):
        return None
    parts = list(dms[:3]) + [0.0] * (3 - min(len(dms), 3))
    degrees = parts[0] + parts[1] / 60 + parts[2] / 3600
    if isinstance(ref, str) and ref.strip().upper().startswith(negative):
        degrees = -degrees
    return degrees


def dimensions_from_fields(f: dict[str, Any]) -> Dimensions | None:
    w, h = f.get("pixel_width"), f.get("pixel_height")
    if isinstance(w, int) and isinstance(h, int) and w > 0 and h > 0:
        return Dimensions(width=w, height=h)
    return None


def exif_datetime(f: dict[str, Any]) -> str | None:
    """DateTimeOriginal as ISO 8601, with sub-seconds and OffsetTimeOriginal when recorded."""
    return iso_datetime(f.get("datetime_original"), f.get("subsec_original"), f.get("offset_original"))
