"""EXIF through Exiv2 (python-exiv2; the C++ library of digiKam, darktable and GIMP): the
primary reader of the standard camera fields, and the only reader of MakerNotes.

- Standard fields (``FIELDS`` of ``exif.py``: make, model, capture time, lens, GPS, ...):
  read by Exiv2 first; exifread and Pillow read them too, independently, and every
  disagreement between the three is kept in ``metadata.cross_check``. Exiv2 also finds
  EXIF blocks that exifread misses (e.g. an EXIF segment after an XMP one).
- A MakerNote is the camera maker's private EXIF block: lens, serial numbers, focus and
  exposure details, in a layout of each maker's own. exifread decodes them in pure Python,
  which took 85% of a metadata scan's time on real camera files; Exiv2 decodes more makes
  in a fraction of a millisecond. exifread reads the raw dump's standard tags with its
  MakerNote decoding switched off.

Runs in the file worker like every parser. Absence gives an empty result.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import exiv2

from core.jsonsafe import bytes_to_text, clean_text, json_safe

from .exif import EXIF_IFD, FIELDS, GPS_IFD

# Exiv2 logs to standard error; a damaged block is reported in the row instead.
exiv2.LogMsg.setLevel(exiv2.LogMsg.Level.mute)

# Groups of the standard EXIF IFDs: everything else Exiv2 reports is a MakerNote group.
STANDARD_GROUPS = {
    "Image",
    "Photo",
    "Iop",
    "GPSInfo",
    "Thumbnail",
    "Image2",
    "Image3",
    "MakerNote",
    "MpfInfo",
}
STANDARD_GROUPS |= {f"SubImage{i}" for i in range(1, 10)} | {f"SubThumb{i}" for i in range(1, 10)}
# MakerNote tags that name the lens as exiftool's LensModel does (Canon's and Olympus's).
LENS_KEYS = ("Exif.Canon.LensModel", "Exif.OlympusEq.LensModel")
# Entries and characters kept per value: a MakerNote can hold thousands of array values.
MAX_ENTRIES = 2000
MAX_VALUE_CHARS = 500


# Exiv2's key of each standard field, from the one table of fields (``exif.FIELDS``): the
# Pillow IFD and tag of each name our three readers share.
_GROUPS = {None: "Image", EXIF_IFD: "Photo", GPS_IFD: "GPSInfo"}
FIELD_KEYS = {name: exiv2.ExifKey(tag, _GROUPS[ifd]).key() for name, (_, (ifd, tag)) in FIELDS.items()}
_RATIONALS = {exiv2.TypeId.unsignedRational, exiv2.TypeId.signedRational}
_INTEGERS = {
    exiv2.TypeId.unsignedByte,
    exiv2.TypeId.unsignedShort,
    exiv2.TypeId.unsignedLong,
    exiv2.TypeId.signedByte,
    exiv2.TypeId.signedShort,
    exiv2.TypeId.signedLong,
}
_NUMBERS = _RATIONALS | _INTEGERS
# A field with more values than this is not one the fields describe (a damaged count).
MAX_FIELD_VALUES = 16


@dataclass
class Exiv2Read:
    fields: dict[str, Any] = field(default_factory=dict)  # FIELDS name -> plain value, as exifread's
    maker: str | None = None  # the MakerNote's group family, e.g. "Canon", "Nikon3"
    entries: dict[str, Any] = field(default_factory=dict)  # MakerNote "Group.Tag" -> value as Exiv2 prints it
    lens: str | None = None  # the lens the MakerNote names
    error: str | None = None


def read_exiv2(data: bytes) -> Exiv2Read:
    out = Exiv2Read()
    try:
        image = exiv2.ImageFactory.open(data)
        image.readMetadata()
        exif = image.exifData()
        for name, key in FIELD_KEYS.items():
            found = exif.findKey(exiv2.ExifKey(key))
            if found != exif.end() and (value := _plain(found)) is not None:
                out.fields[name] = value
        for datum in exif:
            group = datum.groupName()
            if group in STANDARD_GROUPS:
                continue
            if len(out.entries) >= MAX_ENTRIES:
                break
            out.maker = out.maker or group
            text = clean_text(str(datum.print(exif)))
            out.entries[f"{group}.{datum.tagName()}"] = text[:MAX_VALUE_CHARS]
            if datum.key() in LENS_KEYS and text.strip() and not out.lens:
                out.lens = text.strip()
    except exiv2.Exiv2Error as exc:
        code = str(exc.args[0]) if exc.args else ""
        if not any(word in code for word in ("Unknown", "Unsupported", "NotAnImage")):  # absence, not damage
            out.error = (
                f"{code.rsplit('.', 1)[-1] or 'Exiv2Error'}: {exc.args[1] if len(exc.args) > 1 else exc}"
            )
    return out


def _plain(datum: Any) -> Any:
    """The value as exifread's fields hold it: text stripped, rationals as floats (n/0 as
    text), integers; a list when there are several. None for what the fields do not hold."""
    count = datum.count()
    if not 0 < count <= MAX_FIELD_VALUES and datum.typeId() in _NUMBERS:
        return None
    try:
        if datum.typeId() in _RATIONALS:
            values = []
            for i in range(count):
                num, den = datum.toRational(i)
                values.append(float(Fraction(num, den)) if den else f"{num}/0")
        elif datum.typeId() in _INTEGERS:
            values = [int(datum.toInt64(i)) for i in range(count)]
        else:
            text = str(datum.toString())
            try:
                text.encode("utf-8")
            except UnicodeEncodeError:  # python-exiv2 keeps bytes that are not UTF-8 as surrogates:
                raw = text.encode("utf-8", "surrogateescape")  # read them as exifread does, never
                text = bytes_to_text(raw) or json_safe(raw)  # a lone surrogate ("hex:..." at worst)
            return text.replace("\x00", "").strip() or None
    except (exiv2.Exiv2Error, UnicodeDecodeError, ValueError, OverflowError):
        return None
    return values[0] if len(values) == 1 else values
