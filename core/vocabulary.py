"""The closed vocabularies of a result, as enums.

Each is a ``StrEnum``: a member is its string (``Band.INCONCLUSIVE == "inconclusive"``), so
rows, CSV columns and stored cases carry exactly the words they always did, while code gets
a typo caught when a value is made (the result's dataclasses convert on construction) and
an editor can list the allowed values. Changing a string here changes the public result
schema: bump ``core.schema.SCHEMA_VERSION``.
"""

from __future__ import annotations

from enum import StrEnum


class Band(StrEnum):
    """The verdict's band, strongest first (the order every table and chart sorts by), after
    TrueMedia.org's "little evidence / uncertain / substantial evidence": never "fake" or
    "real", never a bare percentage."""

    STRONG_AI = "strong evidence of AI generation"
    SUBSTANTIAL_AI = "substantial evidence of AI generation"
    AI_EDITING = "evidence of AI editing"
    CHANGED_AFTER_SIGNING = "integrity problem: changed after signing"
    CREDENTIALS_DO_NOT_VERIFY = "integrity problem: credentials do not verify"
    CREDENTIALS_REMOVED = "content credentials removed"
    DECLARED_CAPTURE = "declared camera capture"
    STRONG_STATISTICAL = "strong statistical indication of AI generation"
    MODERATE_STATISTICAL = "moderate statistical indication of AI generation"
    WEAK_STATISTICAL = "weak statistical indication of AI generation"
    INCONCLUSIVE = "inconclusive"
    LITTLE_EVIDENCE = "little evidence of AI generation"
    CAMERA_METADATA = "camera metadata present, no AI declaration"
    NO_CONCLUSION = "no conclusion"
    # Not a verdict: what a table or chart shows for a row that has none yet (a case item
    # not analysed). Last, so that it sorts after every verdict.
    NOT_ANALYSED = "not analysed"

    @property
    def rank(self) -> int:
        """1 for the strongest band; the position every table sorts by."""
        return _BAND_RANKS[self]

    @property
    def colour(self) -> str:
        return BAND_COLOURS[self]

    @classmethod
    def of(cls, value: str | None) -> Band:
        """The band of a row's verdict, ``NOT_ANALYSED`` when it has none."""
        return cls(value) if value else cls.NOT_ANALYSED

    @classmethod
    def rank_of(cls, value: str | None) -> int:
        """The rank of a band word as stored; a word this version does not know sorts last."""
        return cls.of(value).rank if not value or value in cls._value2member_map_ else len(cls) + 1


# One colour per band for every chart and heading (dashboard, reports): reds for declared AI
# generation, browns for integrity problems, green for declared capture, purples for the
# classifier's indications, greys where nothing can be concluded, blues for little evidence.
BAND_COLOURS: dict[Band, str] = {
    Band.STRONG_AI: "#b2182b",
    Band.SUBSTANTIAL_AI: "#d6604d",
    Band.AI_EDITING: "#f4a582",
    Band.CHANGED_AFTER_SIGNING: "#8c510a",
    Band.CREDENTIALS_DO_NOT_VERIFY: "#bf812d",
    Band.CREDENTIALS_REMOVED: "#dfc27d",
    Band.DECLARED_CAPTURE: "#1b7837",
    Band.STRONG_STATISTICAL: "#762a83",
    Band.MODERATE_STATISTICAL: "#9970ab",
    Band.WEAK_STATISTICAL: "#c2a5cf",
    Band.INCONCLUSIVE: "#878787",
    Band.LITTLE_EVIDENCE: "#4393c3",
    Band.CAMERA_METADATA: "#92c5de",
    Band.NO_CONCLUSION: "#bdbdbd",
    Band.NOT_ANALYSED: "#e0e0e0",
}


class Strength(StrEnum):
    """How much weight a ledger finding can bear, strongest first."""

    VERIFIED = "verified"  # a declaration protected by a valid cryptographic signature
    DECLARED = "declared"  # stated in metadata, which anyone can edit
    STATISTICAL = "statistical"  # a classifier or pixel statistic
    CONTEXT = "context"  # background that supports no conclusion by itself

    @property
    def rank(self) -> int:
        return _STRENGTH_RANKS[self]


# Looked up per finding and per row (sorting), so made once.
_BAND_RANKS = {band: n for n, band in enumerate(Band, start=1)}
_STRENGTH_RANKS = {strength: n for n, strength in enumerate(Strength)}


class Direction(StrEnum):
    """Which way a finding points."""

    SYNTHESIS = "synthesis"
    EDITING = "editing"
    CAPTURE = "capture"
    NEUTRAL = "neutral"


class Basis(StrEnum):
    """What kind of evidence a verdict rests on."""

    VERIFIED = "verified"
    DECLARED = "declared"
    STATISTICAL = "statistical"
    NONE = "none"


class RowStatus(StrEnum):
    """A row: analysed (``ok``), or the file could not be analysed (``error``, with a code)."""

    OK = "ok"
    ERROR = "error"


class RunStatus(StrEnum):
    """What one analyzer did for one file."""

    OK = "ok"
    SKIPPED = "skipped"
    FAILED = "failed"


class C2PAStatus(StrEnum):
    """The state of a file's Content Credentials (``C2PAState.state``; null when none)."""

    TRUSTED = "trusted"  # valid, signer chains to a configured trust anchor
    VALID = "valid"  # valid signature, signer not on a configured trust list
    INVALID = "invalid"  # validation failed: see ``problem`` and ``failures``
    REMOTE_ONLY = "remote_only"  # the file points to a manifest stored online (never fetched)
    UNREADABLE = "unreadable"  # a manifest is there but cannot be parsed
    STRIPPED = "stripped"  # the XMP names an embedded manifest, and none is there


class C2PAProblem(StrEnum):
    """The most serious kind of C2PA failure, for the headline (``C2PAState.problem``)."""

    CONTENT_CHANGED = "content_changed"
    SIGNATURE_INVALID = "signature_invalid"
    CREDENTIALS_DAMAGED = "credentials_damaged"
    CERTIFICATE_REVOKED = "certificate_revoked"
    CERTIFICATE_NOT_VALID = "certificate_not_valid"
    INGREDIENT_INVALID = "ingredient_invalid"


def member(enum: type[StrEnum], value):
    """``value`` as a member of ``enum`` (None stays None): how the result's dataclasses keep
    their closed fields closed. An unknown word raises ``ValueError`` naming the allowed ones."""
    if value is None or isinstance(value, enum):
        return value
    try:
        return enum(value)
    except ValueError:
        allowed = ", ".join(m.value for m in enum)
        raise ValueError(f"{value!r} is not a {enum.__name__} (one of: {allowed})") from None
