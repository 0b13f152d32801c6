"""XMP packets (ISO 16684-1), found in any container and parsed as untrusted XML.

XMP is located by its ``<x:xmpmeta>`` wrapper (or a bare ``<rdf:RDF>``) anywhere in the
bytes, which covers JPEG APP1, PNG iTXt ``XML:com.adobe.xmp``, WebP ``XMP `` chunks,
TIFF tag 700 and HEIF items with one rule. Parsing goes through defusedxml with
entities and external references forbidden: a billion-laughs or XXE packet is
reported and skipped, never expanded. The RDF graph is flattened to
``prefix:Property`` keys; ``rdf:Seq``/``Bag``/``Alt`` become lists, structures dicts.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass, field
from typing import Any
from xml.etree.ElementTree import Element, ParseError

import defusedxml
import defusedxml.ElementTree as SafeET

from core.intake.containers import jpeg_segments
from core.jsonsafe import clean_text
from core.schema import GPS

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
XML = "http://www.w3.org/XML/1998/namespace"
# Largest packet parsed, in bytes (real packets are a few KB; Photoshop's can reach ~1 MB).
MAX_PACKET_BYTES = 4 * 1024 * 1024
# Packets parsed per file; more are left out with a notice (real files carry one or two).
MAX_PACKETS = 32
# JPEG: XMP lives in APP1 segments with these headers (XMP Specification Part 3, 1.1.3).
JPEG_XMP = b"http://ns.adobe.com/xap/1.0/\x00"
JPEG_EXTENDED_XMP = b"http://ns.adobe.com/xmp/extension/\x00"
# Extended XMP is split into pieces keyed by a 32-character GUID; at most this many are assembled.
MAX_EXTENDED_XMP = 4
# Deepest RDF structure flattened; deeper ones are cut with a marker.
MAX_DEPTH = 12

_START = re.compile(rb"<(?:[A-Za-z0-9_]+:)?x[ma]pmeta[\s>]|<rdf:RDF[\s>]")
_NS_DECL = re.compile(rb'xmlns:([A-Za-z_][\w.\-]*)\s*=\s*["\']([^"\']+)["\']')

# Prefixes used when a packet declares a namespace under an odd prefix.
KNOWN_PREFIXES = {
    "http://ns.adobe.com/xap/1.0/": "xmp",
    "http://purl.org/dc/elements/1.1/": "dc",
    "http://ns.adobe.com/tiff/1.0/": "tiff",
    "http://ns.adobe.com/exif/1.0/": "exif",
    "http://cipa.jp/exif/1.0/": "exifEX",
    "http://ns.adobe.com/exif/1.0/aux/": "aux",
    "http://ns.adobe.com/photoshop/1.0/": "photoshop",
    "http://ns.adobe.com/xap/1.0/mm/": "xmpMM",
    "http://iptc.org/std/Iptc4xmpCore/1.0/xmlns/": "Iptc4xmpCore",
    "http://iptc.org/std/Iptc4xmpExt/2008-02-29/": "Iptc4xmpExt",
    "http://ns.adobe.com/photoshop/1.0/camera-raw-settings/": "crs",
    "http://ns.google.com/photos/1.0/camera/": "GCamera",
    RDF: "rdf",
}


@dataclass
class XmpRead:
    properties: dict[str, Any] = field(default_factory=dict)
    packets: int = 0
    problems: list[tuple[str, str]] = field(default_factory=list)  # (notice code, message)


def find_packets(data: bytes) -> tuple[list[bytes], list[tuple[str, str]]]:
    """Raw XMP packets in file order, and the problems met finding them.

    In a JPEG only APP1 segments are XMP (a packet in a comment or in the image data is
    not the file's metadata), and Extended XMP, split over several APP1 segments, is put
    back together. Other containers are searched whole for the packet wrapper."""
    if not data.startswith(b"\xff\xd8"):
        return _scan_packets(data)
    packets: list[bytes] = []
    problems: list[tuple[str, str]] = []
    pieces: dict[bytes, dict] = {}
    for segment in jpeg_segments(data):
        if segment.marker != 0xE1:
            continue
        payload = segment.payload
        if payload.startswith(JPEG_EXTENDED_XMP):
            _add_extended_piece(pieces, payload[len(JPEG_EXTENDED_XMP) :], problems)
        elif payload.startswith(JPEG_XMP) or not payload.startswith(b"Exif\x00"):
            found, found_problems = _scan_packets(payload)
            packets += found
            problems += found_problems
    for parts in list(pieces.values())[:MAX_EXTENDED_XMP]:
        whole = bytearray(parts["length"])
        for offset, chunk in parts["chunks"]:
            whole[offset : offset + len(chunk)] = chunk[: max(0, parts["length"] - offset)]
        found, found_problems = _scan_packets(bytes(whole))
        packets += found
        problems += found_problems
    if len(pieces) > MAX_EXTENDED_XMP:
        problems.append(
            ("xmp_packets_skipped", f"{len(pieces) - MAX_EXTENDED_XMP} Extended XMP packet(s) not read")
        )
    if len(packets) > MAX_PACKETS:
        problems.append(
            (
                "xmp_packets_skipped",
                f"{len(packets) - MAX_PACKETS} XMP packet(s) beyond the first {MAX_PACKETS} were not read",
            )
        )
    return packets[:MAX_PACKETS], problems


def _add_extended_piece(pieces: dict[bytes, dict], body: bytes, problems: list[tuple[str, str]]) -> None:
    """One Extended XMP piece: GUID (32 bytes), full length and this piece's offset (4 bytes each)."""
    if len(body) < 40:
        problems.append(("xmp_malformed", "an Extended XMP segment is too short to read"))
        return
    guid, (length, offset), chunk = body[:32], struct.unpack(">II", body[32:40]), body[40:]
    if length > MAX_PACKET_BYTES:
        problems.append(("xmp_too_large", f"an Extended XMP packet declares {length:,} bytes; not read"))
        return
    parts = pieces.setdefault(guid, {"length": length, "chunks": []})
    if parts["length"] == length and offset < length:
        parts["chunks"].append((offset, chunk))


def _scan_packets(data: bytes) -> tuple[list[bytes], list[tuple[str, str]]]:
    """Packets found by their wrapper, anywhere in ``data``."""
    packets: list[bytes] = []
    pos = 0
    while len(packets) <= MAX_PACKETS:
        m = _next_start(data, pos)
        if not m:
            break
        tag = b"rdf:RDF>" if m.group(0).startswith(b"<rdf:RDF") else b"meta>"
        end = _find_end(data, m.start(), tag)
        start = _prolog_start(data, pos, m.start())
        packets.append(data[start:end])
        pos = end
    problems = []
    if len(packets) > MAX_PACKETS:
        problems.append(("xmp_packets_skipped", f"XMP packets beyond the first {MAX_PACKETS} were not read"))
    return packets[:MAX_PACKETS], problems


def _next_start(data: bytes, pos: int) -> re.Match | None:
    """The next packet start. bytes.find locates the fixed part first: the regex alone,
    run over a whole 12 MP JPEG, costs more than all the rest of the XMP work."""
    while True:
        hits = [i for i in (data.find(b"pmeta", pos), data.find(b"<rdf:RDF", pos)) if i >= 0]
        if not hits:
            return None
        i = min(hits)
        m = _START.search(data, max(pos, i - 256), i + 9)  # room for a long namespace prefix
        if m:
            return m
        pos = i + 1


def _prolog_start(data: bytes, floor: int, start: int) -> int:
    """Include a DOCTYPE (and the XML declaration before it) that precedes the packet.

    Entity declarations live in the DOCTYPE: cutting it off would hide an
    entity-expansion attack as a mere syntax error instead of reporting it.
    """
    window_start = max(floor, start - 65536)
    doctype = data.rfind(b"<!DOCTYPE", window_start, start)
    if doctype < 0:
        return start
    declaration = data.rfind(b"<?xml", window_start, doctype)
    return declaration if declaration >= 0 else doctype


def _find_end(data: bytes, start: int, tag: bytes) -> int:
    limit = min(len(data), start + MAX_PACKET_BYTES + 1)
    close = b"</rdf:RDF>" if tag == b"rdf:RDF>" else None
    if close is None:
        m = re.compile(rb"</(?:[A-Za-z0-9_]+:)?x[ma]pmeta>").search(data, start, limit)
        return m.end() if m else limit
    idx = data.find(close, start, limit)
    return idx + len(close) if idx >= 0 else limit


def read_xmp(data: bytes) -> XmpRead:
    out = XmpRead()
    packets, out.problems = find_packets(data)
    for packet in packets:
        out.packets += 1
        if len(packet) > MAX_PACKET_BYTES:
            out.problems.append(
                ("xmp_too_large", f"an XMP packet is larger than {MAX_PACKET_BYTES:,} bytes; not parsed")
            )
            continue
        try:
            root = SafeET.fromstring(packet, forbid_dtd=False, forbid_entities=True, forbid_external=True)
        except (
            defusedxml.EntitiesForbidden,
            defusedxml.ExternalReferenceForbidden,
            defusedxml.DTDForbidden,
        ) as exc:
            out.problems.append(
                (
                    "xmp_unsafe",
                    f"an XMP packet declares XML entities or external references ({type(exc).__name__}); "
                    "it was not expanded or parsed",
                )
            )
            continue
        except (ParseError, ValueError, UnicodeError) as exc:
            out.problems.append(("xmp_malformed", f"an XMP packet is not well-formed XML: {str(exc)[:200]}"))
            continue
        prefixes = dict(KNOWN_PREFIXES)
        for prefix, uri in _NS_DECL.findall(packet):
            prefixes.setdefault(uri.decode("utf-8", "replace"), prefix.decode("ascii", "replace"))
        for desc in root.iter(f"{{{RDF}}}Description"):
            for key, value in _description(desc, prefixes, 0).items():
                out.properties.setdefault(key, value)
    return out


def _name(tag: str, prefixes: dict[str, str]) -> str:
    if tag.startswith("{"):
        uri, local = tag[1:].split("}", 1)
        return f"{prefixes.get(uri, uri)}:{local}"
    return tag


def _description(desc: Element, prefixes: dict[str, str], depth: int) -> dict[str, Any]:
    props: dict[str, Any] = {}
    for attr, value in desc.attrib.items():
        if not attr.startswith(f"{{{RDF}}}"):
            props[_name(attr, prefixes)] = clean_text(value)
    for child in desc:
        props.setdefault(_name(child.tag, prefixes), _value(child, prefixes, depth + 1))
    return props


def _value(el: Element, prefixes: dict[str, str], depth: int) -> Any:
    if depth > MAX_DEPTH:
        return "(structure nested too deeply; not shown)"
    resource = el.get(f"{{{RDF}}}resource")
    if resource is not None:
        return clean_text(resource)
    children = list(el)
    if not children:
        text = (el.text or "").strip()
        # xml:lang is a qualifier of the text, not a structure field.
        fields = [a for a in el.attrib if not a.startswith((f"{{{RDF}}}", f"{{{XML}}}"))]
        if el.get(f"{{{RDF}}}parseType") == "Resource" or (fields and not text):
            return _description(el, prefixes, depth)
        return clean_text(text)
    first = children[0]
    if first.tag in (f"{{{RDF}}}Seq", f"{{{RDF}}}Bag", f"{{{RDF}}}Alt"):
        return [_value(li, prefixes, depth + 1) for li in first if li.tag == f"{{{RDF}}}li"]
    if first.tag == f"{{{RDF}}}Description":
        return _description(first, prefixes, depth)
    return _description(el, prefixes, depth)  # rdf:parseType="Resource" or a bare structure


def first_text(props: dict[str, Any], *keys: str) -> str | None:
    """The first non-empty text among ``keys`` (first item of a list or language alternative)."""
    for key in keys:
        value = props.get(key)
        if isinstance(value, list):
            value = value[0] if value else None
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


_XMP_GPS = re.compile(r"^\s*(\d{1,3})(?:,(\d{1,2}(?:\.\d+)?))?(?:,(\d{1,2}(?:\.\d+)?))?\s*([NSEW])\s*$", re.I)


def xmp_gps(props: dict[str, Any]) -> GPS | None:
    """exif:GPSLatitude/Longitude in XMP's ``DDD,MM.mmmmK`` or ``DDD,MM,SSK`` form."""
    lat = _xmp_coordinate(props.get("exif:GPSLatitude"))
    lon = _xmp_coordinate(props.get("exif:GPSLongitude"))
    if lat is None or lon is None or abs(lat) > 90 or abs(lon) > 180:
        return None
    return GPS(lat=round(lat, 7), lon=round(lon, 7))


def _xmp_coordinate(text: Any) -> float | None:
    if not isinstance(text, str):
        return None
    m = _XMP_GPS.match(text)
    if not m:
        return None
    value = int(m.group(1)) + float(m.group(2) or 0) / 60 + float(m.group(3) or 0) / 3600
    return -value if m.group(4).upper() in "SW" else value
