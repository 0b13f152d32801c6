"""Capture dates from EXIF, XMP and IPTC, normalised to ISO 8601.

EXIF writes ``YYYY:MM:DD HH:MM:SS`` with the UTC offset in a separate tag
(OffsetTimeOriginal, EXIF 2.31); XMP writes ISO 8601 (possibly with an offset);
IPTC IIM writes ``CCYYMMDD`` and ``HHMMSS±HHMM`` in two datasets. Placeholders that
cameras write when the clock was never set (``0000:00:00 00:00:00``) are not dates.
A date without an offset stays without one: we never guess a time zone.
"""

from __future__ import annotations

import re
from datetime import datetime

_EXIF = re.compile(
    r"^(\d{4})[:\-](\d{2})[:\-](\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?\s*(Z|[+\-]\d{2}:?\d{2})?$"
)
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_OFFSET = re.compile(r"^(Z|[+\-]\d{2}:?\d{2})$")


def _offset(text: str | None) -> str | None:
    if not text:
        return None
    text = text.strip()
    if not _OFFSET.match(text):
        return None
    if text == "Z":
        return "+00:00"
    return text if ":" in text else f"{text[:3]}:{text[3:]}"


def _valid(y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: int = 0) -> bool:
    try:
        datetime(y, mo, d, h, mi, s)
    except ValueError:
        return False
    return True


def iso_datetime(text: object, subsec: object = None, offset: object = None) -> str | None:
    """Normalise an EXIF- or XMP-style date-time; None for placeholders and garbage."""
    if not isinstance(text, str):
        return None
    text = text.strip().rstrip("\x00")
    m = _EXIF.match(text)
    if m:
        y, mo, d, h, mi, s = (int(g) for g in m.groups()[:6])
        if not _valid(y, mo, d, h, mi, s):
            return None
        frac = m.group(7) or (str(subsec).strip() if subsec not in (None, "") else "")
        frac = frac if frac.isdigit() else ""
        result = f"{y:04d}-{mo:02d}-{d:02d}T{h:02d}:{mi:02d}:{s:02d}" + (f".{frac}" if frac else "")
        zone = _offset(m.group(8)) or _offset(offset if isinstance(offset, str) else None)
        return result + (zone or "")
    m = _ISO_DATE.match(text)
    if m:
        y, mo, d = (int(g) for g in m.groups())
        return f"{y:04d}-{mo:02d}-{d:02d}" if _valid(y, mo, d) else None
    # XMP allows reduced precision without seconds: 2024-05-01T12:30+02:00
    m = re.match(r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(Z|[+\-]\d{2}:?\d{2})?$", text)
    if m:
        y, mo, d, h, mi = (int(g) for g in m.groups()[:5])
        if not _valid(y, mo, d, h, mi):
            return None
        return f"{y:04d}-{mo:02d}-{d:02d}T{h:02d}:{mi:02d}:00" + (_offset(m.group(6)) or "")
    return None


def iptc_datetime(date: object, time: object) -> str | None:
    """IPTC IIM 2:55 DateCreated (CCYYMMDD) + 2:60 TimeCreated (HHMMSS±HHMM)."""
    if not isinstance(date, str) or not re.fullmatch(r"\d{8}", date.strip()):
        return None
    d = date.strip()
    y, mo, day = int(d[:4]), int(d[4:6]), int(d[6:8])
    if not _valid(y, mo, day):
        return None
    if isinstance(time, str):
        m = re.fullmatch(r"(\d{2})(\d{2})(\d{2})([+\-]\d{4})?", time.strip())
        if m and _valid(y, mo, day, int(m.group(1)), int(m.group(2)), int(m.group(3))):
            return f"{y:04d}-{mo:02d}-{day:02d}T{m.group(1)}:{m.group(2)}:{m.group(3)}" + (
                _offset(m.group(4)) or ""
            )
    return f"{y:04d}-{mo:02d}-{day:02d}"


# Clock defaults that devices and software write when no time was set: computer epochs
# (Unix, DOS/FAT, classic Mac OS, Windows, Apple's 2001 reference date) and the common
# camera reset date. Exactly these instants, to the second; any other time is kept.
CLOCK_DEFAULTS = {
    "1970-01-01T00:00:00": "the Unix epoch",
    "1980-01-01T00:00:00": "the DOS/FAT epoch",
    "1904-01-01T00:00:00": "the classic Mac OS epoch",
    "1601-01-01T00:00:00": "the Windows epoch",
    "2000-01-01T00:00:00": "a common camera reset date",
    "2001-01-01T00:00:00": "Apple's reference date",
}
FIRST_PHOTOGRAPH_YEAR = 1826


def placeholder_date(iso: str | None) -> str | None:
    """Why a normalised date is a placeholder rather than a time (None when it looks real)."""
    if not iso:
        return None
    second = iso[:19]
    if second in CLOCK_DEFAULTS:
        return f"{CLOCK_DEFAULTS[second]}, written when a device's clock was never set"
    if iso[:4].isdigit() and int(iso[:4]) < FIRST_PHOTOGRAPH_YEAR:
        return "a year before any photograph was taken"
    return None
