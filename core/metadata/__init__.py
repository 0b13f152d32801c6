"""What a file says about itself: EXIF, XMP, IPTC IIM, PNG text, ICC, EXIF thumbnail.

Each block has its own reader; this module only merges their answers into the facts
people look for first (camera, lens, software, capture date, GPS) and keeps every
reader's full output under ``raw``. Where blocks disagree, EXIF is preferred (it is
what the camera wrote), then XMP, then IPTC. A damaged block becomes a ``Notice``;
the other blocks are still read.
"""

from __future__ import annotations

from typing import Any

from PIL import Image

from core.schema import Camera, Metadata, Notice, Placeholder

from . import exif as exif_reader
from .dates import iptc_datetime, iso_datetime, placeholder_date
from .editing import editing_software
from .exiv2_reader import read_exiv2
from .icc import read_icc
from .iptc import read_iptc
from .png_text import read_png_text
from .thumbnail import describe_thumbnail
from .xmp import first_text, read_xmp, xmp_gps

# Both coordinates within this many degrees of zero (about 11 m) are a placeholder position.
NULL_ISLAND_DEGREES = 1e-4


def _text(value: Any) -> str | None:
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        text = str(value).replace("\x00", "").strip()
        return text or None
    return None


def extract_metadata(data: bytes, image: Image.Image | None) -> tuple[Metadata, list[Notice]]:
    """Read every metadata block from the original bytes (and Pillow's parsed header).

    Returns the metadata and the problems met. Results keep only the EXIF thumbnail's facts;
    its bytes are ``read_exifread(data).thumbnail``.
    """
    notices: list[Notice] = []
    meta = Metadata()

    exif = exif_reader.read_exifread(data)
    pillow = exif_reader.read_pillow(image)
    exiv2 = read_exiv2(data)
    if exif.error and pillow.fields:
        notices.append(
            Notice(
                "exif_partial",
                f"exifread could not parse this EXIF block ({exif.error}); the values come from Pillow's reader",
            )
        )
    elif exif.error:
        notices.append(Notice("exif_malformed", f"the EXIF block could not be fully parsed: {exif.error}"))
    elif pillow.error:
        notices.append(Notice("exif_malformed", f"Pillow could not parse the EXIF block: {pillow.error}"))
    # Exiv2 is the primary reader; exifread, then Pillow, fill what it missed.
    fields = {**pillow.fields, **exif.fields, **exiv2.fields}
    meta.cross_check = exif_reader.cross_check(
        {"exiv2": exiv2.fields, "exifread": exif.fields, "pillow": pillow.fields}
    )
    if exif.dump or pillow.dump:
        meta.sources.append("exif")
        meta.raw["exif"] = exif.dump or pillow.dump

    # Exiv2's failures are reported where the EXIF holds a MakerNote, which only Exiv2 reads
    # (elsewhere exifread and Pillow read the same fields, and it would report other
    # containers' quirks as damage).
    if exiv2.error and "EXIF MakerNote" in exif.dump:
        notices.append(Notice("makernote_malformed", f"the MakerNote could not be fully read: {exiv2.error}"))
    if exiv2.entries:
        meta.sources.append("makernote")
        meta.raw["makernote"] = exiv2.entries

    xmp = read_xmp(data)
    notices.extend(Notice(code, message) for code, message in xmp.problems)
    props = xmp.properties
    if props:
        meta.sources.append("xmp")
        meta.raw["xmp"] = props

    iptc, iptc_error = read_iptc(image)
    if iptc_error:
        notices.append(Notice("iptc_malformed", f"the IPTC block could not be parsed: {iptc_error}"))
    if iptc:
        meta.sources.append("iptc")
        meta.raw["iptc"] = iptc

    png = read_png_text(data)
    notices.extend(Notice(code, message) for code, message in png.problems)
    if png.entries:
        meta.sources.append("png_text")
        meta.raw["png_text"] = png.entries
    png_keys = {e["keyword"].lower(): e["text"] for e in png.entries}

    icc, icc_error = read_icc(image)
    if icc_error:
        notices.append(Notice("icc_malformed", f"the ICC profile could not be parsed: {icc_error}"))
    if icc:
        meta.sources.append("icc")
        meta.raw["icc"] = icc
        meta.icc_profile = icc.get("description")

    meta.thumbnail, thumb_error = describe_thumbnail(exif.thumbnail)
    if thumb_error:
        notices.append(Notice("thumbnail_malformed", thumb_error))

    meta.camera = Camera(
        make=_text(fields.get("make")) or first_text(props, "tiff:Make"),
        model=_text(fields.get("model")) or first_text(props, "tiff:Model"),
        # EXIF LensModel, else the one Canon's or Olympus's MakerNote records (what exiftool
        # reports as LensModel too), else XMP. A lens make alone (LensMake) names no lens.
        lens=_text(fields.get("lens_model"))
        or exiv2.lens
        or first_text(props, "exifEX:LensModel", "aux:Lens"),
        serial=_text(fields.get("serial"))
        or first_text(props, "exifEX:BodySerialNumber", "aux:SerialNumber"),
    )
    meta.software = (
        _text(fields.get("software"))
        or first_text(props, "xmp:CreatorTool")
        or _text(png_keys.get("software"))
        or _text(iptc.get("OriginatingProgram"))
    )
    gps = exif_reader.gps_from_fields(fields) or xmp_gps(props)
    if gps is not None and abs(gps.lat) < NULL_ISLAND_DEGREES and abs(gps.lon) < NULL_ISLAND_DEGREES:
        meta.placeholders.append(
            Placeholder(
                "gps",
                f"{gps.lat}, {gps.lon}",
                "0° N 0° E ('Null Island', open sea) is what devices write without a position fix",
            )
        )
    else:
        meta.gps = gps
    meta.exif_dimensions = exif_reader.dimensions_from_fields(fields)

    for source, value in (
        ("exif", exif_reader.exif_datetime(fields)),
        ("xmp", iso_datetime(first_text(props, "exif:DateTimeOriginal", "photoshop:DateCreated"))),
        ("iptc", iptc_datetime(_text(iptc.get("DateCreated")), _text(iptc.get("TimeCreated")))),
    ):
        if value and (reason := placeholder_date(value)):
            meta.placeholders.append(Placeholder(f"datetime_original ({source})", value, reason))
        elif value:
            meta.datetime_original, meta.datetime_original_source = value, source
            break

    meta.editing, problem = editing_software(_text(fields.get("software")), props)
    if problem:
        notices.append(Notice("xmp_history_problem", problem))
    return meta, notices
