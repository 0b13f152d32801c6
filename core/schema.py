"""The one result schema: what the analysis of one file produces.

Every consumer (CLI, dashboard, case store, Ray engine) reads and writes these
dataclasses. ``to_dict`` gives the JSON form that the CLI writes; ``from_dict`` reads
it back. The keys listed in the README under "Result schema" are a public contract:
rename nothing without bumping ``SCHEMA_VERSION``.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from core.escaping import escape_unprintable
from core.vocabulary import (
    LEGACY_C2PA_STATES,
    PROBLEM_STATUS,
    Band,
    Basis,
    C2PAProblem,
    C2PAStatus,
    Direction,
    RowStatus,
    RunStatus,
    Strength,
    member,
)

# Major bumps break readers; minor bumps only add keys.
SCHEMA_VERSION = "2.0"

# Where a field's value is None, to_dict leaves the key out: the field is written only when
# its analyzer stored something (the JSON form of schema 1.3, where these were free mappings).
OMITTED_WHEN_NONE = {"omit_none": True}


def _when_found(default: Any = None) -> Any:
    return field(default=default, metadata=OMITTED_WHEN_NONE)


@dataclass
class ErrorInfo:
    """Why a file could not be analysed: a stable ``code`` and a human ``message``."""

    code: str
    message: str

    def __post_init__(self) -> None:
        self.message = escape_unprintable(self.message)  # messages may quote a file's bytes or name


@dataclass
class Notice:
    """A non-fatal problem met while analysing a file (a malformed XMP packet, ...)."""

    code: str
    message: str

    def __post_init__(self) -> None:
        self.message = escape_unprintable(self.message)


@dataclass
class FileFacts:
    """Facts about the bytes and the decoded pixels. Hashes are over the original bytes."""

    name: str = ""
    size_bytes: int | None = None  # None only when the file could not be read
    sha256: str | None = None
    md5: str | None = None
    format: str | None = None  # sniffed from magic bytes, never from the extension
    mime: str | None = None
    extension: str | None = None  # lower case, without the dot
    extension_matches_format: bool | None = None
    width: int | None = None  # as displayed, after EXIF orientation
    height: int | None = None
    stored_width: int | None = None  # as encoded in the file
    stored_height: int | None = None
    orientation: int | None = None  # EXIF orientation 1..8 that was applied to the pixels
    mode: str | None = None
    frames: int | None = None
    animated: bool | None = None
    phash: str | None = None  # 64-bit DCT perceptual hash (hex) of the oriented pixels


@dataclass
class Camera:
    make: str | None = None
    model: str | None = None
    lens: str | None = None
    serial: str | None = None

    def display_name(self) -> str:
        """Make and model for people ("Canon EOS R5", not "Canon Canon EOS R5"); '' when unknown."""
        if self.make and self.model and self.model.lower().startswith(self.make.lower()):
            return self.model
        return " ".join(x for x in (self.make, self.model) if x)


@dataclass
class GPS:
    lat: float
    lon: float
    altitude_m: float | None = None


@dataclass
class Dimensions:
    width: int
    height: int


@dataclass
class Placeholder:
    """A value that is a device's default, not a fact (GPS 0,0; a clock never set): kept out of
    ``gps`` and ``datetime_original``, and said to be a placeholder."""

    field: str  # "gps", "datetime_original (exif)", ...
    value: str
    reason: str


@dataclass
class Thumbnail:
    """The preview image that cameras embed in EXIF (IFD1)."""

    format: str | None
    size_bytes: int
    sha256: str
    width: int | None = None
    height: int | None = None


@dataclass
class ReadersDisagree:
    """One EXIF field that the readers read differently, with each reader's value (left out
    where a reader has none)."""

    field: str  # "make", "model", "datetime_original", ...
    exiv2: Any = _when_found()
    exifread: Any = _when_found()
    pillow: Any = _when_found()


@dataclass
class SoftwareNamed:
    """Editing software that a metadata field names."""

    where: str  # "exif:Software" or "xmp:CreatorTool"
    software: str


@dataclass
class HistoryEvent:
    """An event of the XMP edit history (xmpMM:History) done by an editor, or an edit."""

    where: str  # "xmp:History"
    software: str | None
    action: str | None
    when: str | None
    changed: str | None


@dataclass
class Metadata:
    """What the file says about itself: normalised facts first, the full dump in ``raw``."""

    camera: Camera = field(default_factory=Camera)
    software: str | None = None
    datetime_original: str | None = None  # ISO 8601, with the UTC offset when the file records one
    datetime_original_source: str | None = None  # "exif", "xmp" or "iptc"
    gps: GPS | str | None = None  # text only in a report redacted for sharing: "[redacted]"
    exif_dimensions: Dimensions | None = None  # PixelXDimension/PixelYDimension as declared
    icc_profile: str | None = None
    thumbnail: Thumbnail | None = None
    sources: list[str] = field(default_factory=list)  # which blocks were found: exif, xmp, iptc, ...
    cross_check: list[ReadersDisagree] = field(default_factory=list)  # Exiv2 / exifread / Pillow
    # Values that are a device's default, not a fact: left out of gps / datetime_original.
    placeholders: list[Placeholder] = field(default_factory=list)
    # Editing software the metadata names: in a field, or in the XMP edit history.
    editing: list[SoftwareNamed | HistoryEvent] = field(default_factory=list)
    # The file's own blocks as read (exif, xmp, iptc, png_text, makernote, icc, ...): a mapping,
    # because its keys are whatever the file holds. Read the normalised fields above instead.
    raw: dict[str, Any] = field(default_factory=dict)

    def editing_software(self) -> list[str]:
        """The editing software the metadata names, each once, in the order found."""
        return list(dict.fromkeys(e.software for e in self.editing if e.software))


@dataclass
class ClassifierResult:
    """One AIRealNet-style score. A statistical signal, never a verdict by itself."""

    model: str  # the Hub id or local folder that was loaded
    revision: str  # resolved commit hash, or "local-sha256:<hex>" for a folder
    p_artificial: float  # the model's probability for its "artificial" label
    label: str  # the model's top label, normalised to "artificial" or "real"
    device: str = "cpu"
    dtype: str = "float32"
    backend: str = "pytorch"  # "pytorch" or "openvino" (the exported fast CPU path)


@dataclass
class Calibration:
    """How the desk's own verified photos scored against this score (setting ``calibration``)."""

    profile: str  # the profile's SHA-256
    real_files: int
    real_at_or_above: int
    ai_files: int
    ai_at_or_above: int | None  # None when the profile holds no AI images


@dataclass
class Stability:
    """The classifier re-run on realistic re-shipped copies (re-compressed, resized)."""

    variants: dict[str, float]  # variant name -> p_artificial
    min: float
    median: float
    max: float
    flips: bool  # the label differs between the original and at least one variant
    unstable: bool


@dataclass
class Generator:
    """A tool that the file's own metadata names as its generator."""

    tool: str | None = None  # lower case: automatic1111, comfyui, invokeai, novelai, midjourney, openai, ...
    name: str | None = None  # the tool's own wording (e.g. "Stable Diffusion web UI Forge")
    confidence: str | None = None  # "declared" (a tool's signature) or "possible" (an AI-looking string)
    declares: str | None = None  # "generation" or "edit": what the signature says the tool did
    where: str | None = None  # the block it was found in, e.g. "png:parameters", "exif:UserComment", "c2pa"
    model: str | None = None
    prompt: str | None = None
    negative_prompt: str | None = None
    seed: str | None = None
    # Every other setting the tool wrote (steps, sampler, CFG, ...): its own keys, as a mapping.
    settings: dict[str, Any] = field(default_factory=dict)
    error: str | None = None  # the signature was found but its payload is damaged


@dataclass
class SourceType:
    """An IPTC Digital Source Type declaration, matched on its full code."""

    code: str  # e.g. "trainedAlgorithmicMedia"
    category: (
        str  # ai_generated, ai_edited, capture, edited_capture, algorithmic, composite, created, unknown
    )
    where: str  # "xmp" or "c2pa"
    uri: str | None = None


@dataclass
class C2PAAction:
    action: str
    digital_source_type: str | None = None
    software_agent: str | None = None
    when: str | None = None
    manifest: str | None = None  # label of the manifest that holds it
    claim_generator: str | None = None  # the claim generator of that manifest
    model: str | None = None  # the AI model its parameters name (e.g. vendor details, modelVersion)


@dataclass
class C2PAFailure:
    """One failed C2PA validation check, with what it means for a reader."""

    code: str  # the C2PA validation status code, e.g. "assertion.dataHash.mismatch"
    kind: C2PAProblem
    scope: str  # "active" (the file's own credentials) or "ingredient" (an earlier version's)
    explanation: str | None = None  # the validator's own words

    def __post_init__(self) -> None:
        self.kind = member(C2PAProblem, self.kind)


@dataclass
class C2PAIngredient:
    title: str | None = None
    format: str | None = None
    relationship: str | None = None
    has_manifest: bool = False
    # The thumbnail the manifest carries of it: a small JPEG made in the file worker, base64.
    thumbnail_jpeg_b64: str | None = None


@dataclass
class ManifestThumbnail:
    """The thumbnail a manifest of the history carries of the file it signed."""

    manifest: str  # its label, as in ``C2PAAction.manifest``
    jpeg_b64: str  # a small JPEG made in the file worker, base64


@dataclass
class VerifiedIdentity:
    """One identity an identity claims aggregator verified (CAWG ``verifiedIdentities``)."""

    type: str | None = None  # cawg.social_media, cawg.web_site, cawg.affiliation, ...
    name: str | None = None
    username: str | None = None
    uri: str | None = None
    provider: str | None = None  # who verified it (the platform, the organisation)
    verified_at: str | None = None

    def describe(self) -> str:
        """ "@jane on Instagram (cawg.social_media)": the account, who verified it, its kind."""
        account = self.username or self.name or self.uri or "an identity"
        where = f" on {self.provider}" if self.provider else ""
        return f"{account}{where}" + (f" ({self.type})" if self.type else "")


@dataclass
class C2PAIdentity:
    """A CAWG identity assertion: who binds their identity to the file, checked on its own."""

    label: str  # "cawg.identity", "cawg.identity__1", ...
    sig_type: str | None = None  # cawg.x509.cose, cawg.identity_claims_aggregation
    signer: str | None = None  # the named actor: the certificate's holder, or the credential's subject
    issuer: str | None = None  # the certificate's issuer, or the aggregator that issued the credential
    verified_identities: list[VerifiedIdentity] = field(default_factory=list)
    state: C2PAStatus | None = None  # the same words as the credentials', from its own checks
    failure_codes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.state = member(C2PAStatus, self.state)

    def describe(self) -> str:
        """One line for people: "Jane Doe, issued by Example ICA: intact, ...; verified: ..."."""
        who = self.signer or "an unnamed actor"
        text = f"{who}, issued by {self.issuer}" if self.issuer else who
        text += f": {self.state}" if self.state else ""
        if self.verified_identities:
            text += "; verified: " + ", ".join(v.describe() for v in self.verified_identities)
        return text


@dataclass
class TrustListCheck:
    """One configured trust list a signer was checked against (setting ``trust_anchors``)."""

    name: str
    sha256: str  # of the list's file, as configured
    signer_on_it: bool


@dataclass
class C2PAState:
    """Content Credentials (C2PA) as read and validated by c2pa-python, offline.

    ``state`` (``C2PAStatus``): what the file's own credentials amount to, in the words every
    surface shows ("none" when the file has none; null only when they were not examined).
    ``problem`` (``C2PAProblem``): the most serious failure of the file's own credentials;
    null when none failed. ``ingredients_state``: the same words for the credentials of the
    earlier versions it names (ingredients); null when it names none that carry credentials.
    """

    present: bool | None = None
    state: C2PAStatus | None = None
    problem: C2PAProblem | None = None
    ingredients_state: C2PAStatus | None = None
    failure_codes: list[str] = field(default_factory=list)  # every failure code, once each
    failures: list[C2PAFailure] = field(default_factory=list)
    signer: str | None = None
    issuer: str | None = None
    signed_at: str | None = None
    claim_generator: str | None = None
    actions: list[C2PAAction] = field(default_factory=list)
    ingredients: list[C2PAIngredient] = field(default_factory=list)
    identities: list[C2PAIdentity] = field(default_factory=list)  # CAWG identity assertions
    thumbnails: list[ManifestThumbnail] = field(default_factory=list)  # of each manifest, history order
    # Every configured trust list, and whether it holds the signer (intact credentials only).
    trust_lists: list[TrustListCheck] = field(default_factory=list)
    manifests: int = 0
    remote_url: str | None = None
    xmp_provenance: str | None = None  # the XMP dcterms:provenance value, as found
    error: str | None = None

    def __post_init__(self) -> None:
        self.problem = member(C2PAProblem, self.problem)
        if self.state in LEGACY_C2PA_STATES:  # a result of schema 1.x, read back from a case
            self.state = LEGACY_C2PA_STATES[self.state]
        elif self.state == "invalid":
            self.state = PROBLEM_STATUS.get(self.problem, C2PAStatus.DAMAGED)
        elif self.state is None and self.present is False:
            self.state = C2PAStatus.NONE
        self.state = member(C2PAStatus, self.state)
        self.ingredients_state = member(C2PAStatus, self.ingredients_state)
        if self.problem == C2PAProblem.INGREDIENT_INVALID:  # 1.x: the file's own did not fail
            self.problem = None

    def trust_summary(self) -> str:
        """The trust lists checked, in one line: "Newsroom (sha256 3f2a...): signer on it; ...";
        '' when the credentials are not intact or none is configured."""
        return "; ".join(
            f"{t.name} (sha256 {t.sha256[:12]}...): {'signer on it' if t.signer_on_it else 'signer not on it'}"
            for t in self.trust_lists
        )


@dataclass
class DoubleCompression:
    """A JPEG ghost (Farid 2009): a dip in the re-compression error below the file's own quality."""

    assessable: bool
    not_assessable_because: str | None = None
    earlier_quality: int | None = None  # the dip's quality
    dip_depth: float | None = None
    indicated: bool = False


@dataclass
class JpegTables:
    """``forensics.jpeg``: the quantisation tables and what they say (core.analyzers.jpeg)."""

    tables: int
    estimated_quality: int | None
    standard_ijg_tables: bool  # libjpeg's Annex K tables exactly
    luminance_table: list[int]
    ghost_curve: dict[str, float]  # quality -> mean re-compression error
    double_compression: DoubleCompression


@dataclass
class ThumbnailCheck:
    """``forensics.thumbnail``: the EXIF thumbnail against the main image."""

    mean_abs_difference: float
    aspect_ratio_difference: float
    differs: bool


@dataclass
class TrailingData:
    """``forensics.trailing_data``: bytes after the image's end marker."""

    bytes: int
    kind: str  # "none", "padding", "appended JPEG images ...", "a ZIP archive", ...
    starts_with: str | None = _when_found()  # the first 16 bytes, hex


@dataclass
class ErrorLevels:
    """``forensics.ela``: error level analysis."""

    resave_quality: int
    mean: float
    p99: float
    max: float
    block_cv: float  # unevenness across blocks


@dataclass
class NoiseResidual:
    """``forensics.noise``: the median-filter noise residual."""

    mean_abs: float
    block_cv: float
    flat_block_share: float  # blocks with almost no noise


@dataclass
class Spectrum:
    """``forensics.spectrum``: the strongest off-centre peak of the Fourier spectrum."""

    crop: int
    peak_score: float | None  # None when the crop is too small to say
    peak_frequency: list[float] | None = _when_found()


@dataclass
class Forensics:
    """Pixel and file forensics: one slot per analyzer, left out of the JSON when it did not run."""

    trailing_data: TrailingData | None = _when_found()
    ela: ErrorLevels | None = _when_found()
    noise: NoiseResidual | None = _when_found()
    spectrum: Spectrum | None = _when_found()
    jpeg: JpegTables | None = _when_found()
    thumbnail: ThumbnailCheck | None = _when_found()


@dataclass
class ClockProblem:
    check: str  # "gps", "order", "c2pa_order", "file_name"
    detail: str
    gap: str | None = _when_found()  # for "gps": +hh:mm


@dataclass
class Clocks:
    """``cross_checks.clocks``: every time the file states (ISO 8601), and where they disagree."""

    clocks: dict[str, str] = field(
        default_factory=dict
    )  # captured, gps_utc, modified, c2pa_signed, file_name
    problems: list[ClockProblem] = field(default_factory=list)


@dataclass
class CrossChecks:
    """Checks of the file's statements against each other: context, never verdicts."""

    clocks: Clocks | None = _when_found()


@dataclass
class WatermarkMark:
    mark: str  # "sdxl", "sd1", "sd2"
    tool: str
    name: str
    embedded_by: str
    bits: int
    matching_bits: int
    chance: float  # of that many matching bits in an unmarked image
    decoded_constant: bool


@dataclass
class Watermarks:
    """``provenance.watermark``: invisible generator watermarks in the pixels."""

    found: WatermarkMark | None
    checked: list[WatermarkMark]
    assessable: bool
    not_assessable_because: str | None = None


@dataclass
class Provenance:
    """What the file declares about how it was made (C2PA, IPTC source type, generator metadata).

    ``analyzed`` is false when the provenance analyzers did not run; ``null`` values
    then mean "not examined", not "absent".
    """

    analyzed: bool = False
    ai_declared: bool | None = None  # a declaration of AI generation exists
    ai_edit_declared: bool | None = None  # a declaration of AI editing (composite with AI elements) exists
    capture_declared: bool | None = None  # a declaration of camera capture exists
    generator: Generator = field(default_factory=Generator)  # the strongest generator signature
    generators: list[Generator] = field(default_factory=list)  # every signature found
    source_types: list[SourceType] = field(default_factory=list)
    c2pa: C2PAState = field(default_factory=C2PAState)
    # Invisible generator watermarks in the pixels (core.analyzers.watermark); null when not checked.
    watermark: Watermarks | None = None


@dataclass
class Finding:
    """One line of the evidence ledger; ``strength`` ranks how much weight it can bear."""

    rule: str  # stable id, e.g. "c2pa.ai_generated"
    direction: Direction
    strength: Strength
    sentence: str  # fixed wording; untrusted values only appear quoted
    # The values the sentence rests on (the JSON form of the analyzer's data), for the reader.
    data: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.direction = member(Direction, self.direction)
        self.strength = member(Strength, self.strength)


@dataclass
class Sighting:
    """Where and when the desk met an image (the seen-before index, ``core/index``)."""

    seen_at: str
    kind: str  # "case" (an item), "reference" (a folder the desk imported), "scan"
    label: str = ""  # a reference folder's label ("debunked 2026")
    path: str = ""  # the file's name or path then
    case_name: str | None = None
    item_id: int | None = None
    verdict: str | None = None  # the verdict band then


@dataclass
class SeenBefore:
    """``seen_before[]``: an image the desk handled before that this one matches."""

    sha256: str
    first_seen: str
    kind: str  # "same file", "same picture re-encoded", "resized", "mirrored", "cropped", "contains it"
    strength: str  # "strong" or "moderate"
    why: str  # the sentence that says how they relate
    covers: float | None = None  # share of the earlier picture this one shows
    sightings: list[Sighting] = field(default_factory=list)


@dataclass
class Verdict:
    """The hedged summary: a band from a closed vocabulary, never a bare percentage."""

    band: Band
    sentence: str
    basis: Basis
    caveats: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.band = member(Band, self.band)
        self.basis = member(Basis, self.basis)


@dataclass
class AnalyzerRun:
    """What one analyzer did for one file, so that a report can say exactly what was checked.

    ``status``: ``ok`` (it ran), ``skipped`` (``reason`` says why: switched off, not
    applicable to this file, a library missing) or ``failed`` (``code`` and ``message``;
    the other analyzers still ran)."""

    id: str
    version: str
    status: RunStatus
    reason: str | None = None
    code: str | None = None
    message: str | None = None

    def __post_init__(self) -> None:
        self.status = member(RunStatus, self.status)
        self.message = escape_unprintable(self.message) if self.message else self.message


@dataclass
class ScanResult:
    """The analysis of one file: one JSON line of ``python -m core scan``."""

    path: str
    status: RowStatus
    error: ErrorInfo | None = None
    # Always objects, also in error rows, so that readers can dig into them without checks.
    file: FileFacts = field(default_factory=FileFacts)
    metadata: Metadata = field(default_factory=Metadata)
    classifier: ClassifierResult | None = None
    classifier_error: str | None = None
    # Every classifier's score, the primary (``classifier``) first, then those of the setting
    # ``detectors``: shown side by side, never averaged.
    classifiers: list[ClassifierResult] = field(default_factory=list)
    calibration: Calibration | None = None
    provenance: Provenance = field(default_factory=Provenance)
    forensics: Forensics = field(default_factory=Forensics)
    # Checks of the file's statements against each other (e.g. "clocks"): context, never verdicts.
    cross_checks: CrossChecks = field(default_factory=CrossChecks)
    stability: Stability | None = None
    stability_skipped: str | None = None  # why stability was not computed for a scored image
    findings: list[Finding] = field(default_factory=list)  # ordered by strength
    verdict: Verdict | None = None
    notices: list[Notice] = field(default_factory=list)
    analyzers: list[AnalyzerRun] = field(default_factory=list)  # every registered analyzer, in order
    # Earlier images of the desk this one matches (None: no seen-before index was searched).
    seen_before: list[SeenBefore] | None = _when_found()
    tool_version: str = ""
    schema_version: str = SCHEMA_VERSION

    def __post_init__(self) -> None:
        self.status = member(RowStatus, self.status)

    def claimed_origin(self) -> str:
        """What the file says made it, in one line (the batch table): its error code, then the
        generator, the camera and the software it names (the software once, when it is not one
        of the two)."""
        generator = self.provenance.generator.name or self.provenance.generator.tool or ""
        camera, software = self.metadata.camera.display_name(), self.metadata.software or ""
        error = self.error.code if self.error else ""
        return " · ".join(
            filter(None, (error, generator, camera, software if software not in (generator, camera) else ""))
        )

    def key_evidence(self) -> str:
        """The line a reader needs first (batch page, reports): why the file was not analysed;
        else the strongest finding that is more than background; else the first finding."""
        if self.error is not None:
            return f"Not analysed ({self.error.code}): {self.error.message}"
        weighty = [f for f in self.findings if f.strength != Strength.CONTEXT]
        first = (weighty or self.findings or [None])[0]
        return first.sentence if first is not None else ""

    def to_dict(self) -> dict[str, Any]:
        return to_dict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ScanResult:
        return from_dict(cls, data)


def to_dict(obj: Any) -> dict[str, Any]:
    """Dataclass to plain JSON-ready dict (field order kept): ``dataclasses.asdict`` without
    its deep copy of every leaf value (results hold only strings, numbers and containers of
    them), which took a third of a metadata scan's main-process time for raw metadata dumps."""
    return _plain(obj)


def _plain(value: Any) -> Any:
    kind = type(value)
    if kind in _LEAVES:
        return value
    if isinstance(value, StrEnum):  # a closed vocabulary's word, as a plain string
        return value.value
    if isinstance(value, dict):
        return {_plain(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        items = (_plain(v) for v in value)
        return kind(*items) if hasattr(value, "_fields") else kind(items)  # a named tuple, as asdict keeps it
    names = _FIELD_NAMES.get(kind)
    if names is None and dataclasses.is_dataclass(value) and not isinstance(value, type):
        names = _FIELD_NAMES[kind] = tuple(
            (f.name, bool(f.metadata.get("omit_none"))) for f in dataclasses.fields(value)
        )
    if names is not None:
        return {
            name: _plain(item)
            for name, omit in names
            if (item := getattr(value, name)) is not None or not omit
        }
    return value


_LEAVES = frozenset({str, int, float, bool, type(None), bytes})
_FIELD_NAMES: dict[type, tuple[tuple[str, bool], ...]] = {}


def from_dict(cls: type, data: dict[str, Any]) -> Any:
    """Plain dict back to the dataclass ``cls``; unknown keys are ignored (newer minor versions)."""
    hints = typing.get_type_hints(cls)
    kwargs = {}
    for f in dataclasses.fields(cls):
        if f.name in data:
            kwargs[f.name] = _coerce(hints[f.name], data[f.name])
    return cls(**kwargs)


def _coerce(tp: Any, value: Any) -> Any:
    if value is None:
        return None
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(inner) > 1:  # ``GPS | str``, ``SoftwareNamed | HistoryEvent``: a mapping is the
            # dataclass with the fewest fields that has all its keys; anything else stays as it is
            keys = set(value) if isinstance(value, dict) else None
            inner = sorted(
                (
                    a
                    for a in inner
                    if keys is not None
                    and dataclasses.is_dataclass(a)
                    and keys <= {f.name for f in dataclasses.fields(a)}
                ),
                key=lambda a: len(dataclasses.fields(a)),
            )[:1]
        return _coerce(inner[0], value) if len(inner) == 1 else value
    if origin is list:
        (item,) = typing.get_args(tp)
        return [_coerce(item, v) for v in value]
    if dataclasses.is_dataclass(tp):
        return from_dict(tp, value)
    return value
