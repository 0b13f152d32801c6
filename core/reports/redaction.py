"""Redaction for reports shared outside the newsroom: an allow-list of what may be shared.

A redacted result keeps the evidence (hashes, format, verdict, findings, classifier,
forensics, Content Credentials states and signers, generator tool and settings) and,
from the file's own metadata, only technical fields named below: camera make and model,
lens, software, capture settings and dates, image structure. Everything else a file
carries (GPS, serial numbers, owner, artist, author and creator names, captions,
keywords, titles, places, people in the image, face regions, prompts, free text of every
kind) is replaced by ``[redacted]``, whatever its key, so a field we have never seen is
withheld rather than leaked. The internal case bundle always keeps everything; the
report says that it is redacted.
"""

from __future__ import annotations

import copy
import re

from core.schema import ScanResult

REDACTED = "[redacted]"

# EXIF tag names (the part after "IFD " in "EXIF ExposureTime") that describe the camera,
# the exposure and the image structure, never a person or a place.
EXIF_SHAREABLE = re.compile(
    r"(Make|Model|Software|DateTime\w*|SubSecTime\w*|OffsetTime\w*|ExposureTime|FNumber|ExposureProgram|"
    r"ISOSpeedRatings|PhotographicSensitivity|SensitivityType|RecommendedExposureIndex|ExifVersion|"
    r"FlashPixVersion|ComponentsConfiguration|CompressedBitsPerPixel|ShutterSpeedValue|ApertureValue|"
    r"BrightnessValue|ExposureBiasValue|MaxApertureValue|SubjectDistance|MeteringMode|LightSource|Flash|"
    r"FocalLength|FocalLengthIn35mmFilm|ColorSpace|ExifImageWidth|ExifImageLength|PixelXDimension|"
    r"PixelYDimension|FocalPlane\w+|SensingMethod|FileSource|SceneType|CustomRendered|ExposureMode|"
    r"WhiteBalance|DigitalZoomRatio|SceneCaptureType|GainControl|Contrast|Saturation|Sharpness|"
    r"SubjectDistanceRange|LensMake|LensModel|LensSpecification|Orientation|XResolution|YResolution|"
    r"ResolutionUnit|YCbCrPositioning|YCbCrSubSampling|Compression|JPEGInterchangeFormat\w*|BitsPerSample|"
    r"ImageWidth|ImageLength|PhotometricInterpretation|SamplesPerPixel|PlanarConfiguration|"
    r"InteroperabilityIndex|InteroperabilityVersion|ExifOffset|CompositeImage)"
)
# XMP properties: whole namespaces of technical fields, minus the personal ones in them.
XMP_SHAREABLE = re.compile(
    r"(tiff|exif|exifEX|aux|crs|xmpMM|stEvt|stRef|xmpTPg|GCamera|photoshop|xmp|dc|Iptc4xmpExt):"
    r"(?!GPS|.*Serial|.*Owner|CameraOwnerName|Artist|Copyright|ImageDescription|UserComment|"
    r"Rating|Label|Nickname|Identifier|Headline|Credit|City|State|Country|Location|Source|"
    r"Instructions|TransmissionReference|AuthorsPosition|CaptionWriter|Category|SupplementalCategories|"
    r"DocumentAncestors|creator|title|subject|description|rights|contributor|publisher|relation|coverage|"
    r"PersonInImage\w*|LocationCreated|LocationShown|Event|OrganisationInImage\w*|Artwork\w*|"
    r"ModelReleaseID|PropertyReleaseID|AddlModelInfo|MaxAvail\w*)"
    r"\w+"
)
# Of IPTC IIM datasets and PNG text keywords, only these.
IPTC_SHAREABLE = {
    "OriginatingProgram",
    "ProgramVersion",
    "DateCreated",
    "TimeCreated",
    "DigitalCreationDate",
    "DigitalCreationTime",
    "CodedCharacterSet",
    "RecordVersion",
    "ApplicationRecordVersion",
}
PNG_SHAREABLE = {"software", "creation time"}


def shareable(block: str, key: str) -> bool:
    """Whether one metadata field may appear in a redacted report."""
    if block == "icc":
        return True  # colour profile descriptions name vendors, never people
    if block == "exif":
        tag = key.split(" ", 1)[-1]
        return not key.startswith(("GPS ", "MakerNote ")) and bool(EXIF_SHAREABLE.fullmatch(tag))
    if block == "xmp":
        return bool(XMP_SHAREABLE.fullmatch(key))
    if block == "iptc":
        return key in IPTC_SHAREABLE
    if block == "png_text":
        return key.lower() in PNG_SHAREABLE
    return False


SEEN_BEFORE_REDACTED = (
    f"The desk has handled this picture before (where and when: {REDACTED}). Earlier copies say where it "
    "has been, not whether it is authentic."
)


def redacted(result: ScanResult) -> ScanResult:
    """A redacted copy of one result (the original is left as it is)."""
    r = copy.deepcopy(result)
    meta = r.metadata
    if meta.gps is not None:
        meta.gps = REDACTED
    if meta.camera.serial:
        meta.camera.serial = REDACTED
    for block, values in meta.raw.items():
        if isinstance(values, dict):
            for key in list(values):
                if not shareable(block, key):
                    values[key] = REDACTED
        elif block == "png_text" and isinstance(values, list):
            for entry in values:
                if isinstance(entry, dict) and not shareable("png_text", str(entry.get("keyword", ""))):
                    entry["text"] = REDACTED
        else:
            meta.raw[block] = REDACTED
    for identity in r.provenance.c2pa.identities:  # people who bound their identity to the file
        identity.signer = REDACTED if identity.signer else None
        for verified in identity.verified_identities:
            verified.name = verified.username = verified.uri = REDACTED
    for found in r.seen_before or []:  # the desk's other cases and files are its own business
        for sighting in found.sightings:
            sighting.path = REDACTED
            sighting.case_name = REDACTED if sighting.case_name else None
            sighting.label = REDACTED if sighting.label else ""
    for finding in r.findings:
        if finding.rule == "seen_before.match":
            finding.sentence = SEEN_BEFORE_REDACTED
    for ingredient in r.provenance.c2pa.ingredients:
        if ingredient.title:
            ingredient.title = REDACTED  # earlier file names can name people and places
    for gen in (r.provenance.generator, *r.provenance.generators):
        if gen.prompt:
            gen.prompt = REDACTED
        if gen.negative_prompt:
            gen.negative_prompt = REDACTED
        for key in gen.settings:
            if re.search(r"prompt|author|job_id|comment|description|user|name", key, re.I):
                gen.settings[key] = REDACTED
    return r
