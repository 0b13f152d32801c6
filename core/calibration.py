"""Calibration on the desk's own photos: how often each classifier scores the desk's verified
camera photos (and, optionally, known AI images) as high as a given score.

``python -m core calibrate --real DIR [--ai DIR] --out PROFILE`` scores the folders with every
configured classifier and writes a profile: each model's revision, the sorted scores, the
false-positive rate at each band threshold (the share of verified photos scoring at or above
it, with a bootstrap interval), the threshold that reaches a target false-positive rate, and
the SHA-256 of every file used. With the setting ``calibration`` naming a profile, the ledger
cites it in numbers ("3 of your 500 verified photos scored this high or higher"). A profile
made with another model revision is refused: its numbers describe another model.

A profile is evidence the ledger cites, so it is signed: an HMAC-SHA256 under the desk's key
(setting ``case_key``, the key that anchors the case logs). A profile edited and re-hashed,
or written by another desk, is refused; its SHA-256 only names it.
"""

from __future__ import annotations

import bisect
import hashlib
import hmac
import json
import math
import random
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.errors import AnalysisError
from core.intake import read_bytes
from core.schema import Calibration, ScanResult
from core.thresholds import LOW_SIGNAL, MODERATE_SIGNAL, STRONG_SIGNAL, WEAK_SIGNAL

if TYPE_CHECKING:  # the case store's package: imported by what signs or checks a profile
    from core.cases.audit import AnchorKey

PROFILE_VERSION = 2  # 2: signed with the desk's key
BOOTSTRAP_ROUNDS = 1000
THRESHOLDS = {"strong": STRONG_SIGNAL, "moderate": MODERATE_SIGNAL, "weak": WEAK_SIGNAL, "low": LOW_SIGNAL}
# Profiles are small JSON files; anything larger is not one.
MAX_PROFILE_BYTES = 64 * 1024 * 1024


class CalibrationError(ValueError):
    """A profile that cannot be used: damaged, of another version, or for another model."""


def at_or_above(scores: list[float], value: float) -> int:
    """How many of the sorted ``scores`` are at least ``value``."""
    return len(scores) - bisect.bisect_left(scores, value)


def _rate_interval(scores: list[float], threshold: float, rng: random.Random) -> list[float]:
    """A 95% bootstrap interval of the share of ``scores`` at or above ``threshold``."""
    if not scores:
        return [0.0, 0.0]
    rates = sorted(
        sum(s >= threshold for s in rng.choices(scores, k=len(scores))) / len(scores)
        for _ in range(BOOTSTRAP_ROUNDS)
    )
    return [
        round(rates[int(0.025 * BOOTSTRAP_ROUNDS)], 6),
        round(rates[int(0.975 * BOOTSTRAP_ROUNDS) - 1], 6),
    ]


def build_profile(real: list[ScanResult], ai: list[ScanResult], target_fpr: float) -> dict[str, Any]:
    """The profile of scored results (``classifiers`` filled); files without a score are counted apart."""
    rng = random.Random(0)  # the same files give the same profile
    models: dict[str, str] = {}
    for result in (*real, *ai):
        for c in result.classifiers:
            models.setdefault(c.model, c.revision)
    per_model = {}
    for model, revision in models.items():
        real_scores = sorted(c.p_artificial for r in real for c in r.classifiers if c.model == model)
        ai_scores = sorted(c.p_artificial for r in ai for c in r.classifiers if c.model == model)
        bands = {}
        for name, threshold in THRESHOLDS.items():
            hits = at_or_above(real_scores, threshold)
            bands[name] = {
                "threshold": threshold,
                "real_at_or_above": hits,
                "false_positive_rate": round(hits / len(real_scores), 6) if real_scores else None,
                "interval_95": _rate_interval(real_scores, threshold, rng),
                "ai_at_or_above": at_or_above(ai_scores, threshold) if ai_scores else None,
            }
        allowed = int(target_fpr * len(real_scores))  # real photos that may score at or above it
        cut = (
            real_scores[len(real_scores) - allowed - 1]
            if real_scores and allowed < len(real_scores)
            else None
        )
        per_model[model] = {
            "revision": revision,
            "real_scores": [round(s, 6) for s in real_scores],
            "ai_scores": [round(s, 6) for s in ai_scores],
            "bands": bands,
            "target_false_positive_rate": target_fpr,
            # Scores above this reach the target rate on these photos (None: too few photos).
            "threshold_for_target": round(cut, 6) if cut is not None else None,
        }
    profile = {
        "profile_version": PROFILE_VERSION,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "models": per_model,
        "files": {
            "real": sorted(r.file.sha256 for r in real if r.classifiers),
            "ai": sorted(r.file.sha256 for r in ai if r.classifiers),
            "not_scored": [
                {"path": r.path, "why": r.error.code if r.error else (r.classifier_error or "no score")}
                for r in (*real, *ai)
                if not r.classifiers
            ],
        },
    }
    profile["sha256"] = profile_hash(profile)
    return profile


def _body(profile: dict[str, Any]) -> bytes:
    body = {k: v for k, v in profile.items() if k not in ("sha256", "signature")}
    return json.dumps(body, sort_keys=True, ensure_ascii=False).encode()


def profile_hash(profile: dict[str, Any]) -> str:
    return hashlib.sha256(_body(profile)).hexdigest()


def sign_profile(profile: dict[str, Any], key: AnchorKey) -> dict[str, Any]:
    """The profile with its signature: an HMAC-SHA256 of its content under the desk's key."""
    mac = key.sign(b"calibration-profile:" + _body(profile))
    return {**profile, "signature": {"algorithm": "HMAC-SHA256", "key": "the desk's case_key", "mac": mac}}


def _signature_problem(profile: dict[str, Any], key: AnchorKey) -> str | None:
    signature = profile.get("signature")
    mac = signature.get("mac") if isinstance(signature, dict) else None
    if not isinstance(mac, str):
        return "it is not signed: write it again with `python -m core calibrate`"
    from core.cases.audit import KeyMissing

    try:
        expected = key.sign(b"calibration-profile:" + _body(profile))
    except KeyMissing:
        return f"the desk's key {key.path} is missing, so its signature cannot be checked"
    if not hmac.compare_digest(mac, expected):
        return (
            f"its signature does not verify with this desk's key ({key.path}): it was changed after it was "
            "written, or written by another desk"
        )
    return None


def load_profile(path: str | Path, key: AnchorKey) -> dict[str, Any]:
    """A profile, checked: a regular file of bounded size (never a FIFO or a device), JSON of
    this version with its own hash intact, every model's part well-formed (``_check_part``),
    and signed with the desk's ``key``, so a bad or forged profile is refused before any file
    is analysed, naming the problem."""
    try:
        raw = read_bytes(path, MAX_PROFILE_BYTES)
        profile = json.loads(raw)
    except AnalysisError as exc:  # not a regular file, or too large: refused before it is read
        raise CalibrationError(f"the calibration profile {path} cannot be read: {exc.message}") from exc
    except (OSError, ValueError, RecursionError) as exc:
        raise CalibrationError(
            f"the calibration profile {path} cannot be read: {type(exc).__name__}"
        ) from exc
    if isinstance(profile, dict) and profile.get("profile_version") == 1:
        raise CalibrationError(
            f"the calibration profile {path} was written before profiles were signed: write it again with "
            "`python -m core calibrate`"
        )
    if not isinstance(profile, dict) or profile.get("profile_version") != PROFILE_VERSION:
        raise CalibrationError(f"{path} is not a calibration profile of version {PROFILE_VERSION}")
    if profile.get("sha256") != profile_hash(profile):
        raise CalibrationError(
            f"the calibration profile {path} was changed after it was written (its hash differs)"
        )
    if not isinstance(profile.get("models"), dict) or not profile["models"]:
        raise CalibrationError(f"{path} names no model")
    files = profile.get("files") if isinstance(profile.get("files"), dict) else {}
    for model, part in profile["models"].items():
        if problem := _check_part(part, files):
            raise CalibrationError(f"the calibration profile {path} is not well-formed: {model!r}: {problem}")
    if problem := _signature_problem(profile, key):
        raise CalibrationError(f"the calibration profile {path} is refused: {problem}")
    return profile


# Scores kept per model and list in a profile (a desk's calibration sets are thousands).
MAX_PROFILE_SCORES = 1_000_000


def _check_part(part: Any, files: dict[str, Any]) -> str | None:
    """What is wrong with one model's part of a profile, or None: its scores must be lists of
    finite numbers from 0 to 1, sorted (counting by bisection depends on it), no more than the
    files the profile lists, and its bands' counts must be what its scores give."""
    if not isinstance(part, dict) or not isinstance(part.get("revision"), str):
        return "its part is not a mapping with a revision"
    for key, listed in (("real_scores", "real"), ("ai_scores", "ai")):
        scores = part.get(key)
        if not isinstance(scores, list) or len(scores) > MAX_PROFILE_SCORES:
            return f"{key} is not a list of at most {MAX_PROFILE_SCORES:,} scores"
        if not all(type(s) in (int, float) and math.isfinite(s) and 0 <= s <= 1 for s in scores):
            return f"{key} holds a value that is not a finite number from 0 to 1"
        if any(a > b for a, b in zip(scores, scores[1:], strict=False)):
            return f"{key} is not sorted"
        hashes = files.get(listed)
        if not isinstance(hashes, list) or len(scores) > len(hashes):
            return f"{key} holds more scores than the profile lists {listed} files"
    bands = part.get("bands")
    if not isinstance(bands, dict):
        return "bands is not a mapping"
    for name, band in bands.items():
        if not isinstance(band, dict) or type(band.get("threshold")) not in (int, float):
            return f"band {name!r} has no threshold"
        counted = at_or_above(part["real_scores"], band["threshold"])
        if band.get("real_at_or_above") != counted:
            return f"band {name!r} counts {band.get('real_at_or_above')!r} photos at or above, its scores give {counted}"
    return None


def for_model(profile: dict[str, Any], model: str, revision: str) -> dict[str, Any]:
    """The profile's part for one classifier; refused when it was made with another revision."""
    part = profile["models"].get(model)
    if not isinstance(part, dict):
        raise CalibrationError(f"the calibration profile has no scores of {model!r}")
    if part.get("revision") != revision:
        raise CalibrationError(
            f"the calibration profile was made with {model!r} at revision {part.get('revision')!r}, "
            f"not the loaded {revision!r}: its numbers describe another model"
        )
    return part


def cite(profile: dict[str, Any], part: dict[str, Any], score: float) -> Calibration:
    """What the ledger says about one score: how many verified photos scored at least as high."""
    real = [float(s) for s in part.get("real_scores") or []]
    ai = [float(s) for s in part.get("ai_scores") or []]
    return Calibration(
        profile=profile["sha256"],
        real_files=len(real),
        real_at_or_above=at_or_above(real, score),
        ai_files=len(ai),
        ai_at_or_above=at_or_above(ai, score) if ai else None,
    )
