"""Redaction for reports shared outside the newsroom.

Removes what identifies people or places: GPS positions, camera and lens serial
numbers, owner, artist, author and contact names, and generation prompts (which can
name people). The internal case bundle always keeps everything; redaction only
applies to a report that asks for it, and the report says that it is redacted.
"""

from __future__ import annotations

import copy
import re
from typing import Any

REDACTED = "[redacted]"

# Metadata keys (EXIF "IFD Tag", XMP "prefix:Name", IPTC dataset, PNG keyword) to remove.
_SENSITIVE_KEY = re.compile(
    r"gps|serial|artist|owner|author|creator|by-?line|writer|contact|copyright|"
    r"usercomment|imagedescription|description|caption|prompt|parameters|workflow|comment|"
    r"invokeai|sd-metadata|dream|sui_image_params|location|city|country|province|sub-location",
    re.I,
)


def redact_result(result: dict[str, Any]) -> dict[str, Any]:
    """A redacted deep copy of one result in the CLI's JSON schema."""
    r = copy.deepcopy(result)
    meta = r.get("metadata") or {}
    if meta.get("gps") is not None:
        meta["gps"] = REDACTED
    camera = meta.get("camera") or {}
    if camera.get("serial"):
        camera["serial"] = REDACTED
    raw = meta.get("raw") or {}
    for block in ("exif", "xmp", "iptc", "icc"):
        values = raw.get(block)
        if isinstance(values, dict):
            for key in list(values):
                if _SENSITIVE_KEY.search(key):
                    values[key] = REDACTED
    for entry in raw.get("png_text") or []:
        if _SENSITIVE_KEY.search(entry.get("keyword", "")):
            entry["text"] = REDACTED
    prov = r.get("provenance") or {}
    for gen in [prov.get("generator") or {}, *(prov.get("generators") or [])]:
        for key in ("prompt", "negative_prompt"):
            if gen.get(key):
                gen[key] = REDACTED
        settings = gen.get("settings") or {}
        for key in list(settings):
            if _SENSITIVE_KEY.search(key) or key.lower() in ("author", "job_id"):
                settings[key] = REDACTED
    r["redacted"] = True
    return r
