"""The evidence ledger: every finding ranked by strength, and one hedged verdict.

A pure function of a result's evidence. The order of trust follows what each kind of
evidence can bear: a declaration protected by a valid C2PA signature, then a
declaration in editable metadata, then statistics (classifier, pixel forensics).
The classifier never decides alone when a declaration exists, and the verdict is a
band from a closed vocabulary (after TrueMedia.org's "little evidence / uncertain /
substantial evidence"), never "fake" or "real", never a bare percentage. Every verdict
carries the caveats that say what the evidence does not show.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from core.analyzers import REGISTRY
from core.analyzers.c2pa import (
    C2PA_PROBLEM_SENTENCES,
    CAVEAT_NO_CREDENTIALS,
    FAILING_KINDS,
    certificate_reasons,
    changed_after_signing,
    failure_codes,
    ingredient_note,
    signed_by,
)
from core.analyzers.classifier import disagreement
from core.analyzers.metadata import CAVEAT_CAMERA_METADATA, capture_summary
from core.escaping import quote
from core.index import seen as seen_before
from core.schema import C2PAState, Finding, ScanResult, Verdict
from core.stability import score_range
from core.thresholds import classifier_band
from core.vocabulary import Band, Basis, C2PAProblem, C2PAStatus, RowStatus

# Stability (setting ``stability=auto``) is computed only where the verdict rests on the score
# and the score is at least this: below it the score is clearly low.
STABILITY_MIN_SCORE = 0.25


CAVEAT_CLASSIFIER = (
    "The classifier (AIRealNet) was trained on about 14,000 images: it can miss newer generators and "
    "subtle AI edits, and its score is statistical evidence, not proof."
)
CAVEAT_METADATA = (
    "Metadata can be removed, copied or forged; a declaration in metadata is not cryptographically verified."
)
CAVEAT_SIGNATURE = (
    "A valid signature shows that the credentials are intact and who signed them; it does not prove "
    "that what they state is true."
)
CAVEAT_NOTHING = (
    "Absence of evidence of AI generation is not evidence that the image is an unedited photograph."
)
CAVEAT_INTEGRITY = (
    "A failed integrity check shows that the file or its credentials changed after signing; it does not "
    "show what changed, who changed it, or whether the picture was AI-generated."
)
CAVEAT_STRIPPED = (
    "Removed credentials are common after re-saving or uploading to a platform, and say nothing about "
    "what the credentials stated."
)


def collect_findings(result: ScanResult) -> list[Finding]:
    """Every analyzer's findings, in registry order, ranked by strength (strongest first)."""
    findings = [finding for analyzer in REGISTRY for finding in analyzer.findings(result)]
    findings += seen_before.findings(result)  # the desk's own memory: context, never a verdict
    findings.sort(key=lambda f: f.strength.rank)
    return findings


def generator_label(result: ScanResult) -> str | None:
    """The generator as people name it: the model a manifest records and the product that ran it
    ("Gemini Flash (nano-banana) through Adobe Firefly"), else the tool's own name."""
    g = result.provenance.generator
    name = g.name or g.tool
    if g.where == "c2pa" and g.model and name and g.model.lower() not in name.lower():
        return f"{g.model} through {name}"
    return name


@dataclass
class Evidence:
    """What the verdict's rules read, worked out once per result."""

    result: ScanResult
    verified: bool  # the credentials validate (trusted or valid)
    intact: bool  # their signature verifies, even where the certificate does not
    by: str  # " from 'tool'", or ""
    score: str  # " The classifier's probability ... ", or ""
    caveats: list[str]  # those every verdict carries (no credentials at all)
    classifier_caveat: list[str]  # the classifier's, when there is a score

    @classmethod
    def of(cls, result: ScanResult) -> Evidence:
        c2pa = result.provenance.c2pa
        tool = generator_label(result)
        return cls(
            result=result,
            verified=bool(c2pa.state and c2pa.state.validates),
            intact=bool(c2pa.state and c2pa.state.intact),
            by=f" from {quote(tool)}" if tool else "",
            score=f" {_score_sentence(result)}" if result.classifier else "",
            caveats=[CAVEAT_NO_CREDENTIALS] if c2pa.state == C2PAStatus.NONE else [],
            classifier_caveat=[CAVEAT_CLASSIFIER] if result.classifier else [],
        )

    def declared(self, category: str, where: str | None = None) -> bool:
        """Whether an IPTC source type of ``category`` is declared (in ``where``, if given)."""
        return any(
            st.category == category and (where is None or st.where == where)
            for st in self.result.provenance.source_types
        )


# The rules, in the order of trust (module docstring): the first that applies gives the
# verdict. Each reads the evidence and returns a verdict, or None when it does not apply.


def signed_ai_generation(e: Evidence) -> Verdict | None:
    if e.verified and e.declared("ai_generated", "c2pa"):
        return Verdict(
            Band.STRONG_AI,
            f"Strong evidence of AI generation: declared by a valid C2PA manifest{e.by}.",
            Basis.CRYPTOGRAPHIC,
            e.caveats + [CAVEAT_SIGNATURE],
        )
    return None


def signed_ai_editing(e: Evidence) -> Verdict | None:
    if e.verified and e.declared("ai_edited", "c2pa"):
        return Verdict(
            Band.AI_EDITING,
            f"Evidence of AI editing: a valid C2PA manifest{e.by} declares that AI-generated elements were added.",
            Basis.CRYPTOGRAPHIC,
            e.caveats + [CAVEAT_SIGNATURE],
        )
    return None


def signed_capture(e: Evidence) -> Verdict | None:
    if e.verified and e.declared("capture", "c2pa") and not e.result.provenance.ai_declared:
        c2pa = e.result.provenance.c2pa
        return Verdict(
            Band.DECLARED_CAPTURE,
            f"A valid C2PA manifest{signed_by(c2pa)} declares a camera capture.{e.score}",
            Basis.CRYPTOGRAPHIC,
            e.caveats + [CAVEAT_SIGNATURE] + e.classifier_caveat,
        )
    return None


def unsigned_ai_declaration(e: Evidence) -> Verdict | None:
    """AI generation or editing declared where no valid signature protects it."""
    prov = e.result.provenance
    if not (prov.ai_declared or prov.ai_edit_declared):
        return None
    in_c2pa = e.declared("ai_generated" if prov.ai_declared else "ai_edited", "c2pa")
    how = (
        f"in Content Credentials that fail validation ({_problem_phrase(prov.c2pa)})"
        if in_c2pa and not e.verified
        else "by an invisible watermark in the file's pixels"
        if prov.generator.where == "pixels:watermark"
        else "in the file's metadata"
    )
    if prov.ai_declared:
        return Verdict(
            Band.SUBSTANTIAL_AI,
            f"Substantial evidence of AI generation: declared {how}{e.by}, not cryptographically verified.",
            Basis.DECLARED,
            e.caveats + [CAVEAT_METADATA],
        )
    return Verdict(
        Band.AI_EDITING,
        f"Evidence of AI editing: AI-edited content is declared {how}{e.by}, not cryptographically verified.",
        Basis.DECLARED,
        e.caveats + [CAVEAT_METADATA],
    )


def integrity_failure(e: Evidence) -> Verdict | None:
    c2pa = e.result.provenance.c2pa
    if c2pa.problem not in FAILING_KINDS:
        return None
    changed = c2pa.problem == C2PAProblem.CONTENT_CHANGED
    what = changed_after_signing(c2pa) if changed else C2PA_PROBLEM_SENTENCES[c2pa.problem]
    return Verdict(
        Band.CHANGED_AFTER_SIGNING if changed else Band.CREDENTIALS_DO_NOT_VERIFY,
        f"Integrity problem: the file's Content Credentials{signed_by(c2pa)} fail validation: {what} "
        f"({', '.join(failure_codes(c2pa, (c2pa.problem,)))}).{e.score}",
        Basis.CRYPTOGRAPHIC,
        e.caveats + [CAVEAT_INTEGRITY] + e.classifier_caveat,
    )


def credentials_removed(e: Evidence) -> Verdict | None:
    if e.result.provenance.c2pa.state != C2PAStatus.STRIPPED:
        return None
    return Verdict(
        Band.CREDENTIALS_REMOVED,
        "Content credentials removed: the file's XMP metadata names Content Credentials embedded in this file, "
        f"but none are there; they were removed after the file was made, and what they stated cannot be checked.{e.score}",
        Basis.DECLARED,
        e.caveats + [CAVEAT_STRIPPED] + e.classifier_caveat,
    )


def capture_with_unconfirmed_signer(e: Evidence) -> Verdict | None:
    c2pa = e.result.provenance.c2pa
    if not (e.intact and c2pa.problem == C2PAProblem.CERTIFICATE_NOT_VALID and e.declared("capture", "c2pa")):
        return None
    return Verdict(
        Band.DECLARED_CAPTURE,
        f"Content Credentials{signed_by(c2pa)} declare a camera capture; their signature matches the file, but the "
        f"signing certificate {certificate_reasons(c2pa)}, so the signer's identity is not confirmed.{e.score}",
        Basis.DECLARED,
        e.caveats + [CAVEAT_SIGNATURE] + e.classifier_caveat,
    )


def camera_metadata_without_score(e: Evidence) -> Verdict | None:
    result = e.result
    cam = result.metadata.camera
    if result.classifier is not None or result.status != RowStatus.OK or not (cam.make or cam.model):
        return None
    summary = capture_summary(result)
    taken = f", capture date {summary['datetime_original']}" if summary["datetime_original"] else ""
    fit = (
        " It does not fit the image in places (see the ledger)."
        if summary["status"] == "inconsistent"
        else ""
    )
    editors = result.metadata.editing_software()
    if editors:
        fit += f" The metadata also names editing software ({quote(editors[0], 60)})."
    return Verdict(
        Band.CAMERA_METADATA,
        f"Camera metadata present ({quote(summary['camera'])}{taken}) and nothing in the file declares AI "
        f"generation; no classifier score is available.{fit}{_credentials_note(result.provenance.c2pa)}",
        Basis.DECLARED,
        e.caveats + [CAVEAT_CAMERA_METADATA, CAVEAT_NOTHING],
    )


def no_score(e: Evidence) -> Verdict | None:
    result = e.result
    if result.classifier is not None:
        return None
    reason = (
        "the file could not be analysed"
        if result.status == RowStatus.ERROR
        else "no classifier score is available"
    )
    return Verdict(
        Band.NO_CONCLUSION,
        f"No conclusion: the file declares nothing about AI generation and {reason}."
        f"{_credentials_note(result.provenance.c2pa)}",
        Basis.NONE,
        e.caveats + [CAVEAT_NOTHING],
    )


def unstable_score(e: Evidence) -> Verdict | None:
    if e.result.stability is None or not e.result.stability.unstable:
        return None
    return Verdict(
        Band.INCONCLUSIVE,
        "Inconclusive: no declaration, and the classifier's score flips when the image is re-compressed or "
        f"resized.{_credentials_note(e.result.provenance.c2pa)}",
        Basis.STATISTICAL,
        e.caveats + [CAVEAT_CLASSIFIER],
    )


def classifiers_disagree(e: Evidence) -> Verdict | None:
    split = disagreement(e.result)
    if not split:
        return None
    return Verdict(
        Band.INCONCLUSIVE,
        f"Inconclusive: no declaration, and the classifiers disagree: {split}."
        f"{_credentials_note(e.result.provenance.c2pa)}",
        Basis.STATISTICAL,
        e.caveats + [CAVEAT_CLASSIFIER],
    )


def classifier_score(e: Evidence) -> Verdict:
    """The last rule: it always applies (every earlier rule has handled a missing score)."""
    result = e.result
    band = classifier_band(result.classifier.p_artificial)
    caveats = e.caveats + [CAVEAT_CLASSIFIER] + ([CAVEAT_NOTHING] if band == Band.LITTLE_EVIDENCE else [])
    return Verdict(
        band,
        f"{band[0].upper()}{band[1:]}: nothing in the file declares how it was made. "
        f"{_score_sentence(result, with_band=False)}{_credentials_note(result.provenance.c2pa)}",
        Basis.STATISTICAL,
        caveats,
    )


RULES: tuple[Callable[[Evidence], Verdict | None], ...] = (
    # Declarations of AI generation or editing, signed first.
    signed_ai_generation,
    signed_ai_editing,
    signed_capture,
    unsigned_ai_declaration,
    # Signed credentials that fail, or were removed.
    integrity_failure,
    credentials_removed,
    capture_with_unconfirmed_signer,
    # Nothing declared: camera metadata, or no score at all.
    camera_metadata_without_score,
    no_score,
    # Statistics, only when nothing is declared.
    unstable_score,
    classifiers_disagree,
    classifier_score,
)


def decide(result: ScanResult) -> Verdict:
    """The verdict for one analysed file: the first rule of ``RULES`` that applies."""
    evidence = Evidence.of(result)
    verdict = next(verdict for rule in RULES if (verdict := rule(evidence)) is not None)
    # An ingredient whose credentials fail is named in every headline, whatever decided it.
    verdict.sentence += ingredient_note(result.provenance.c2pa)
    return verdict


def _problem_phrase(c2pa: C2PAState) -> str:
    if c2pa.state == C2PAStatus.CERTIFICATE_NOT_VALID:
        return f"the signing certificate {certificate_reasons(c2pa)}"
    return str(c2pa.state or C2PAStatus.DAMAGED)


def _credentials_note(c2pa: C2PAState) -> str:
    """What the credentials add to a verdict that does not rest on them."""
    if c2pa.state is not None and c2pa.state.validates:
        return (
            f" It carries Content Credentials{signed_by(c2pa)} ({c2pa.state}) that declare neither AI generation "
            "nor a capture."
        )
    if c2pa.state == C2PAStatus.CERTIFICATE_NOT_VALID:
        return (
            f" Its Content Credentials' signature matches the file, but the signing certificate "
            f"{certificate_reasons(c2pa)}."
        )
    if c2pa.state == C2PAStatus.REMOTE:
        return " It points to Content Credentials stored online, which were not fetched."
    if c2pa.state == C2PAStatus.UNREADABLE:
        return " It carries Content Credentials that cannot be read."
    return ""


def _score_sentence(result: ScanResult, with_band: bool = True) -> str:
    p = result.classifier.p_artificial
    text = f"The classifier's probability for its 'artificial' label is {p:.2f}"
    text += f" ({classifier_band(p)})." if with_band else "."
    s = result.stability
    if s is not None and not s.unstable:
        text += f" It stays {score_range(s)} after re-compression and resizing."
    return text


def stability_needed(result: ScanResult) -> str | None:
    """Why re-scoring re-shipped copies cannot change what a person concludes (None when it can):
    the verdict rests on a declaration or an integrity check, the score is clearly low, or the
    verdict is "inconclusive" already (a flip would make it inconclusive, nothing more)."""
    verdict = decide(result)
    if verdict.basis != "statistical":
        return f"not computed: the verdict rests on {verdict.basis} evidence, not on the score"
    if result.classifier is not None and result.classifier.p_artificial < STABILITY_MIN_SCORE:
        return f"not computed: the score is clearly low (below {STABILITY_MIN_SCORE:.2f})"
    if verdict.band == "inconclusive":
        return "not computed: the verdict is inconclusive whatever re-compression does to the score"
    return None


def build_ledger(result: ScanResult) -> None:
    """Fill ``findings`` and ``verdict`` of a result in place."""
    result.findings = collect_findings(result)
    result.verdict = decide(result)
