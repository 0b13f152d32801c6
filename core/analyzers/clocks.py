"""The file's clocks checked against each other: the camera's capture time (EXIF
DateTimeOriginal, with its UTC offset when recorded), the GPS receiver's UTC time, the
time the file was last changed (EXIF DateTime, XMP ModifyDate), a Content Credentials
signing time, and a date in the file name (``IMG_20240101_123456``, ``PXL_...``,
``WhatsApp Image 2024-01-01 at 12.34.56``).

Each disagreement is a ``context`` finding with the values, never a verdict: camera clocks
are often wrong (never set, not moved to summer time), GPS fixes can be stale, and files are
renamed. What a disagreement can show is that the times a file states do not fit together.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from core.context import Context
from core.intake import Intake
from core.schema import ClockProblem, Clocks, Finding, ScanResult, to_dict

from .base import Analyzer, AnalyzerResult

# Real UTC offsets run from -12:00 to +14:00, in steps of 15 minutes.
MIN_OFFSET, MAX_OFFSET = timedelta(hours=-12), timedelta(hours=14)
# GPS time and camera time are read a moment apart; camera clocks drift by minutes.
TOLERANCE = timedelta(minutes=5)
# A file name's date that differs from the capture date by more than this is reported.
NAME_TOLERANCE = timedelta(days=1)

_FILE_NAME_DATE = re.compile(
    r"(?<!\d)(?P<y>(?:19|20)\d\d)[-_.]?(?P<mo>[01]\d)[-_.]?(?P<d>[0-3]\d)"
    r"(?:\sat\s|[ _\-T])?(?:(?P<h>[0-2]\d)[-_.:]?(?P<mi>[0-5]\d)[-_.:]?(?P<s>[0-5]\d)\d{0,3})?(?!\d)"
)


def _parse(text: object) -> datetime | None:
    """An EXIF ("2024:05:01 12:30:45") or ISO date-time; aware when it carries an offset."""
    if not isinstance(text, str) or not text.strip():
        return None
    value = text.strip().replace("Z", "+00:00")
    value = re.sub(r"^(\d{4}):(\d\d):(\d\d)", r"\1-\2-\3", value)
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def gps_time(exif: dict) -> datetime | None:
    """The GPS receiver's UTC date and time (GPSDateStamp + GPSTimeStamp)."""
    date, time = exif.get("GPS GPSDate"), exif.get("GPS GPSTimeStamp")
    if not isinstance(date, str) or not isinstance(time, list) or len(time) != 3:
        return None
    try:
        y, mo, d = (int(x) for x in re.split(r"[:\-]", date.strip())[:3])
        h, mi, s = (float(x) for x in time)
        return datetime(y, mo, d, tzinfo=UTC) + timedelta(hours=h, minutes=mi, seconds=s)
    except (ValueError, TypeError, OverflowError):
        return None


def file_name_time(name: str) -> datetime | None:
    match = _FILE_NAME_DATE.search(name)
    if not match:
        return None
    parts = {k: int(v) for k, v in match.groupdict().items() if v is not None}
    try:
        return datetime(
            parts["y"], parts["mo"], parts["d"], parts.get("h", 0), parts.get("mi", 0), parts.get("s", 0)
        )
    except ValueError:
        return None


def _text(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def _span(delta: timedelta) -> str:
    seconds = abs(int(delta.total_seconds()))
    sign = "-" if delta.total_seconds() < 0 else "+"
    return f"{sign}{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"


def analyze(intake: Intake, ctx: Context, found: ScanResult) -> AnalyzerResult:
    meta = found.metadata
    exif = meta.raw.get("exif") or {}
    xmp = meta.raw.get("xmp") or {}
    captured = _parse(meta.datetime_original)
    clocks: dict[str, str] = {}
    problems: list[ClockProblem] = []
    if captured:
        clocks["captured"] = _text(captured)
    gps = gps_time(exif)
    if gps:
        clocks["gps_utc"] = _text(gps)
    modified = _parse(exif.get("Image DateTime")) or _parse(xmp.get("xmp:ModifyDate"))
    if modified:
        clocks["modified"] = _text(modified)
    signed = _parse(found.provenance.c2pa.signed_at)
    if signed:
        clocks["c2pa_signed"] = _text(signed)
    named = file_name_time(intake.facts.name or "")
    if named:
        clocks["file_name"] = _text(named)
    if not captured:
        return AnalyzerResult(Clocks(clocks, problems))

    local = captured.replace(tzinfo=None)
    if gps:
        if captured.tzinfo is not None:
            gap = captured.astimezone(UTC) - gps
            if abs(gap) > TOLERANCE:
                problems.append(
                    ClockProblem(
                        check="gps",
                        gap=_span(gap),
                        detail=f"the capture time {_text(captured)} is {_span(gap)} (hours:minutes) away from the "
                        f"GPS receiver's UTC time {_text(gps)}",
                    )
                )
        else:
            implied = local - gps.replace(tzinfo=None)
            quarter = timedelta(minutes=15)
            rounded = quarter * round(implied / quarter)
            if (
                not (MIN_OFFSET - TOLERANCE <= implied <= MAX_OFFSET + TOLERANCE)
                or abs(implied - rounded) > TOLERANCE
            ):
                problems.append(
                    ClockProblem(
                        check="gps",
                        gap=_span(implied),
                        detail=f"the capture time {_text(captured)} (no time zone recorded) is {_span(implied)} "
                        f"from the GPS receiver's UTC time {_text(gps)}, which no time zone explains",
                    )
                )
    if modified and (modified.replace(tzinfo=None) - local) < -TOLERANCE:
        problems.append(
            ClockProblem(
                check="order",
                detail=f"the file says it was last changed ({_text(modified)}) before it was captured ({_text(captured)})",
            )
        )
    if signed and signed.tzinfo is not None and captured.tzinfo is not None and signed < captured - TOLERANCE:
        problems.append(
            ClockProblem(
                check="c2pa_order",
                detail=f"the Content Credentials were signed ({_text(signed)}) before the capture time ({_text(captured)})",
            )
        )
    if named and abs(named - local) > NAME_TOLERANCE:
        problems.append(
            ClockProblem(
                check="file_name",
                detail=f"the file name's date ({_text(named)}) is more than a day from the capture time ({_text(captured)})",
            )
        )
    return AnalyzerResult(Clocks(clocks, problems))


def findings(result: ScanResult) -> list[Finding]:
    data = result.cross_checks.clocks
    return [
        Finding(
            f"clocks.{problem.check}",
            "neutral",
            "context",
            f"The file's clocks do not fit together: {problem.detail}. Camera clocks are often wrong and files are "
            "renamed, so this shows an inconsistency, not an edit.",
            {**to_dict(problem), "clocks": data.clocks},
        )
        for problem in (data.problems if data else [])
    ]


ANALYZER = Analyzer(
    id="clocks",
    version="1.0",
    needs="bytes",
    output="cross_checks.clocks",
    reads=("metadata", "c2pa"),
    description="the file's clocks against each other: capture time, GPS UTC time, last change, C2PA signing, file name",
    analyze=analyze,
    findings=findings,
    rules=("clocks.gps", "clocks.order", "clocks.c2pa_order", "clocks.file_name"),
    reading="Times the file states about itself, side by side. A disagreement shows they do not fit together; "
    "camera clocks that were never set and renamed files explain many.",
)
