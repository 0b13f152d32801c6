"""Batch outliers: in a batch or a case, the files that break from a group claiming one device.

A desk checking "20 photos from one phone at one protest" wants the two that were not: a
file whose metadata names the same camera as the rest, but whose software, JPEG
quantisation tables, pixel size or capture day differs from what the others agree on.
Groups are files naming the same camera make and model; a group needs ``MIN_GROUP`` files,
and a value is the group's only when at least ``MAJORITY`` of the files that record it share
it. Each outlier is listed with every way it differs and the group's value. These are
context for a person to look at, never a verdict: people edit photos, and cameras change
firmware and settings.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from datetime import date
from typing import Any

from core.schema import ScanResult

MIN_GROUP = 4
MAJORITY = 0.75
# A capture day this far from the group's middle day is outside the event.
MAX_DAYS_APART = 2


def _facts(result: ScanResult) -> dict[str, Any]:
    f, meta = result.file, result.metadata
    table = result.forensics.jpeg.luminance_table if result.forensics.jpeg else None
    size = tuple(sorted((f.stored_width, f.stored_height))) if f.stored_width and f.stored_height else None
    day = None
    if meta.datetime_original:
        try:
            day = date.fromisoformat(meta.datetime_original[:10])
        except ValueError:
            day = None
    return {
        "software": meta.software,
        "jpeg tables": hashlib.sha256(str(table).encode()).hexdigest()[:12] if table else None,
        "pixel size": f"{size[1]} x {size[0]}" if size else None,
        "capture day": day,
    }


def describe(outlier: dict[str, Any]) -> str:
    """ "software GIMP 2.10 (the group: Firmware 1.8.1, 4 of 5)", for each way the file differs."""
    return "; ".join(
        f"{d['what']} {d['value']} (the group: {d['group_value']}, {d['group_count']} of {d['group_size']})"
        for d in outlier["differs"]
    )


def batch_outliers(results: list[ScanResult]) -> list[dict[str, Any]]:
    """Every file that differs from its device group: ``{"index", "path", "device", "differs"}``
    with ``differs`` a list of ``{"what", "value", "group_value", "group_count", "group_size"}``."""
    groups: dict[str, list[int]] = {}
    for i, result in enumerate(results):
        device = result.metadata.camera.display_name() if result.status == "ok" else ""
        if device:
            groups.setdefault(device, []).append(i)
    out = []
    for device, members in groups.items():
        if len(members) < MIN_GROUP:
            continue
        facts = {i: _facts(results[i]) for i in members}
        differs: dict[int, list[dict[str, Any]]] = {}
        for what in ("software", "jpeg tables", "pixel size"):
            values = Counter(facts[i][what] for i in members if facts[i][what] is not None)
            if not values:
                continue
            common, count = values.most_common(1)[0]
            if count < MAJORITY * sum(values.values()) or count == sum(values.values()):
                continue
            for i in members:
                if facts[i][what] is not None and facts[i][what] != common:
                    differs.setdefault(i, []).append(
                        {
                            "what": what,
                            "value": facts[i][what],
                            "group_value": common,
                            "group_count": count,
                            "group_size": len(members),
                        }
                    )
        days = sorted(facts[i]["capture day"] for i in members if facts[i]["capture day"])
        if len(days) >= MIN_GROUP:
            middle = days[len(days) // 2]
            near = sum(abs((d - middle).days) <= MAX_DAYS_APART for d in days)
            if near >= MAJORITY * len(days) and near < len(days):
                for i in members:
                    day = facts[i]["capture day"]
                    if day and abs((day - middle).days) > MAX_DAYS_APART:
                        differs.setdefault(i, []).append(
                            {
                                "what": "capture day",
                                "value": day.isoformat(),
                                "group_value": f"around {middle.isoformat()}",
                                "group_count": near,
                                "group_size": len(members),
                            }
                        )
        out += [
            {"index": i, "path": results[i].path, "device": device, "differs": d}
            for i, d in sorted(differs.items())
        ]
    return out
