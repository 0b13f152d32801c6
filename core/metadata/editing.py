"""Editing software that a file's metadata names: EXIF Software, XMP CreatorTool, and
the XMP edit history (``xmpMM:History``, a list of ``stEvt`` events: action, software
agent, time, what changed).

Editing is common and legitimate (cropping, exposure, re-saving): what this records is
that the file did not come straight from a camera, never that its content is false.
Camera firmware strings never match: only products known to edit or develop images do.
"""

from __future__ import annotations

import re
from typing import Any

from core.schema import HistoryEvent, SoftwareNamed

# Image editors, raw developers and re-encoding tools, as they appear in software fields.
EDITORS = re.compile(
    r"photoshop|lightroom|camera raw|\bgimp\b|affinity photo|pixelmator|capture one|darktable|"
    r"rawtherapee|paint\.net|snapseed|picasa|acdsee|paint ?shop|corel|photoscape|luminar|\bdxo\b|"
    r"\bon1\b|fireworks|photopea|\bcanva\b|adobe express|picsart|facetune|meitu|\bvsco\b|polarr|"
    r"imagemagick|graphicsmagick|xnview|irfanview|faststone|digikam|shotwell|\baperture\b|iphoto|"
    r"photo gallery|\bkrita\b|pixlr|fotor|befunky|photodirector|photolab|silkypix|capture nx|"
    r"nx studio|digital photo professional|photo ?impact|paint tool sai|photoworks",
    re.I,
)
# History actions that mean the file was processed after it was created.
EDIT_ACTIONS = ("saved", "edited", "converted", "derived", "produced", "cropped", "filtered", "resized")
# History events examined (real histories hold a few dozen); longer ones are cut, with a notice.
MAX_HISTORY_EVENTS = 200
# Events kept in the result.
MAX_EVENTS_KEPT = 20


def _text(value: Any, limit: int = 200) -> str | None:
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        text = str(value).replace("\x00", "").strip()
        return text[:limit] or None
    return None


def editing_software(
    exif_software: str | None, xmp: dict[str, Any]
) -> tuple[list[SoftwareNamed | HistoryEvent], str | None]:
    """Every place that names editing software, and a problem message for an absurd history."""
    found: list[SoftwareNamed | HistoryEvent] = []
    for where, value in (
        ("exif:Software", exif_software),
        ("xmp:CreatorTool", _text(xmp.get("xmp:CreatorTool"))),
    ):
        if value and EDITORS.search(value):
            found.append(SoftwareNamed(where, value))
    history = xmp.get("xmpMM:History")
    problem = None
    if isinstance(history, dict):  # a single event written without a list
        history = [history]
    if isinstance(history, list):
        if len(history) > MAX_HISTORY_EVENTS:
            problem = f"the XMP edit history lists {len(history):,} events; the first {MAX_HISTORY_EVENTS} were examined"
        events = 0
        for event in history[:MAX_HISTORY_EVENTS]:
            if not isinstance(event, dict):
                continue
            action = _text(event.get("stEvt:action"), 40)
            agent = _text(event.get("stEvt:softwareAgent"))
            by_editor = bool(agent and EDITORS.search(agent))
            if not (by_editor or (action or "").lower() in EDIT_ACTIONS):
                continue
            events += 1
            if events <= MAX_EVENTS_KEPT:
                found.append(
                    HistoryEvent(
                        where="xmp:History",
                        software=agent,
                        action=action,
                        when=_text(event.get("stEvt:when"), 40),
                        changed=_text(event.get("stEvt:changed"), 80),
                    )
                )
    elif history is not None and not isinstance(history, str):
        problem = "the XMP edit history is not a list of events"
    return found, problem
