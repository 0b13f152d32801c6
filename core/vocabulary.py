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
    """How much weight a ledger finding can bear, strongest first. The scale names the kind of
    check, never its outcome: a signature that fails is a "cryptographic check" too."""

    CRYPTOGRAPHIC = "cryptographic check"  # a signature checked: it holds or it fails
    DECLARED = "declared"  # stated in metadata or a watermark, which anyone can write or edit
    STATISTICAL = "statistical"  # a classifier or pixel statistic
    CONTEXT = "context"  # background that supports no conclusion by itself

    @property
    def rank(self) -> int:
        return _STRENGTH_RANKS[self]

    @classmethod
    def _missing_(cls, value: object) -> Strength | None:
        return cls.CRYPTOGRAPHIC if value == "verified" else None  # results of schema 1.x


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

    CRYPTOGRAPHIC = "cryptographic check"
    DECLARED = "declared"
    STATISTICAL = "statistical"
    NONE = "none"

    @classmethod
    def _missing_(cls, value: object) -> Basis | None:
        return cls.CRYPTOGRAPHIC if value == "verified" else None  # results of schema 1.x


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
    """What a file's Content Credentials (or its ingredients') amount to, in the words every
    surface shows (``C2PAState.status``). docs/content-credentials.md maps c2pa-python's
    validation state and failure codes to these, row by row."""

    TRUSTED = "intact, signer on your trust list"
    UNTRUSTED_SIGNER = "intact, signer not on a configured trust list"
    CERTIFICATE_NOT_VALID = "intact, certificate expired or not valid"
    CERTIFICATE_REVOKED = "certificate revoked"
    CHANGED = "changed after signing"
    SIGNATURE_INVALID = "signature does not verify"
    DAMAGED = "credentials damaged"
    UNREADABLE = "credentials unreadable"
    STRIPPED = "credentials stripped"
    REMOTE = "stored online"
    NONE = "none"

    @property
    def intact(self) -> bool:
        """The signature matches the file (whatever the certificate)."""
        return self in (C2PAStatus.TRUSTED, C2PAStatus.UNTRUSTED_SIGNER, C2PAStatus.CERTIFICATE_NOT_VALID)

    @property
    def validates(self) -> bool:
        """The credentials pass validation: what they state is cryptographically bound to the file."""
        return self in (C2PAStatus.TRUSTED, C2PAStatus.UNTRUSTED_SIGNER)


# The words of schema 1.x (``C2PAState.state``), read back from stored cases: the word and the
# problem then recorded give today's status.
LEGACY_C2PA_STATES = {
    "trusted": C2PAStatus.TRUSTED,
    "valid": C2PAStatus.UNTRUSTED_SIGNER,
    "remote_only": C2PAStatus.REMOTE,
    "unreadable": C2PAStatus.UNREADABLE,
    "stripped": C2PAStatus.STRIPPED,
}


class C2PAProblem(StrEnum):
    """The most serious kind of a failed C2PA check (``C2PAFailure.kind``; ``C2PAState.problem``
    names the most serious of the file's own). ``ingredient_invalid`` only in results of schema
    1.x: an ingredient's failure now has the kind of its code, and its scope says whose it is."""

    CONTENT_CHANGED = "content_changed"
    SIGNATURE_INVALID = "signature_invalid"
    CREDENTIALS_DAMAGED = "credentials_damaged"
    CERTIFICATE_REVOKED = "certificate_revoked"
    CERTIFICATE_NOT_VALID = "certificate_not_valid"
    SIGNER_UNTRUSTED = "signer_untrusted"  # not on a configured trust list: not a failure of the signature
    INGREDIENT_INVALID = "ingredient_invalid"

    @property
    def meaning(self) -> str:
        """What a check of this kind that did not pass establishes, in plain words."""
        return _PROBLEM_MEANINGS[self]


_PROBLEM_MEANINGS = {
    C2PAProblem.CONTENT_CHANGED: "what was signed no longer matches",
    C2PAProblem.SIGNATURE_INVALID: "the signature does not verify",
    C2PAProblem.CREDENTIALS_DAMAGED: "the credentials are damaged",
    C2PAProblem.CERTIFICATE_REVOKED: "the certificate was revoked",
    C2PAProblem.CERTIFICATE_NOT_VALID: "the certificate is expired or not valid (the signature matches)",
    C2PAProblem.SIGNER_UNTRUSTED: "the signer is not on a configured trust list (the signature matches)",
    C2PAProblem.INGREDIENT_INVALID: "an earlier version's credentials did not pass",
}


# The status that the most serious failure of a set of credentials gives them.
PROBLEM_STATUS = {
    C2PAProblem.CONTENT_CHANGED: C2PAStatus.CHANGED,
    C2PAProblem.SIGNATURE_INVALID: C2PAStatus.SIGNATURE_INVALID,
    C2PAProblem.CREDENTIALS_DAMAGED: C2PAStatus.DAMAGED,
    C2PAProblem.CERTIFICATE_REVOKED: C2PAStatus.CERTIFICATE_REVOKED,
    C2PAProblem.CERTIFICATE_NOT_VALID: C2PAStatus.CERTIFICATE_NOT_VALID,
    C2PAProblem.SIGNER_UNTRUSTED: C2PAStatus.UNTRUSTED_SIGNER,
    C2PAProblem.INGREDIENT_INVALID: C2PAStatus.UNTRUSTED_SIGNER,  # 1.x: the file's own were intact
}


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
