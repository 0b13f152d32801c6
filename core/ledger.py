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

from core.analyzers import REGISTRY
from core.analyzers.c2pa import (
    C2PA_PROBLEM_SENTENCES,
    CAVEAT_NO_CREDENTIALS,
    certificate_reasons,
    changed_after_signing,
    failure_codes,
    signed_by,
)
from core.analyzers.classifier import disagreement
from core.analyzers.metadata import CAVEAT_CAMERA_METADATA, capture_summary
from core.escaping import quote
from core.schema import C2PAState, Finding, ScanResult, Verdict
from core.stability import score_range
from core.thresholds import (  # noqa: F401 (the thresholds are cited as ledger.*)
    LOW_SIGNAL,
    MODERATE_SIGNAL,
    STRONG_SIGNAL,
    WEAK_SIGNAL,
    classifier_band,
)

# Stability (setting ``stability=auto``) is computed only where the verdict rests on the score
# and the score is at least this: below it the score is clearly low.
STABILITY_MIN_SCORE = 0.25

STRENGTH_ORDER = ("verified", "declared", "statistical", "context")

# The closed verdict vocabulary, strongest first (the dashboard sorts by this order).
BANDS = (
    "strong evidence of AI generation",
    "substantial evidence of AI generation",
    "evidence of AI editing",
    "integrity problem: changed after signing",
    "integrity problem: credentials do not verify",
    "content credentials removed",
    "declared camera capture",
    "strong statistical indication of AI generation",
    "moderate statistical indication of AI generation",
    "weak statistical indication of AI generation",
    "inconclusive",
    "little evidence of AI generation",
    "camera metadata present, no AI declaration",
    "no conclusion",
)
# One colour per band for every chart and heading (dashboard, reports): reds for declared AI
# generation, browns for integrity problems, green for declared capture, purples for the
# classifier's indications, greys where nothing can be concluded, blues for little evidence.
BAND_COLOURS = {
    "strong evidence of AI generation": "#b2182b",
    "substantial evidence of AI generation": "#d6604d",
    "evidence of AI editing": "#f4a582",
    "integrity problem: changed after signing": "#8c510a",
    "integrity problem: credentials do not verify": "#bf812d",
    "content credentials removed": "#dfc27d",
    "declared camera capture": "#1b7837",
    "strong statistical indication of AI generation": "#762a83",
    "moderate statistical indication of AI generation": "#9970ab",
    "weak statistical indication of AI generation": "#c2a5cf",
    "inconclusive": "#878787",
    "little evidence of AI generation": "#4393c3",
    "camera metadata present, no AI declaration": "#92c5de",
    "no conclusion": "#bdbdbd",
    "not analysed": "#e0e0e0",
}
# C2PA failure kinds that break the credentials' integrity (the others leave the signature intact).
INTEGRITY_FAILURES = ("content_changed", "signature_invalid", "credentials_damaged", "certificate_revoked")

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
    findings.sort(key=lambda f: STRENGTH_ORDER.index(f.strength) if f.strength in STRENGTH_ORDER else 99)
    return findings


def generator_label(result: ScanResult) -> str | None:
    """The generator as people name it: the model a manifest records and the product that ran it
    ("Gemini Flash (nano-banana) through Adobe Firefly"), else the tool's own name."""
    g = result.provenance.generator
    name = g.name or g.tool
    if g.where == "c2pa" and g.model and name and g.model.lower() not in name.lower():
        return f"{g.model} through {name}"
    return name


def decide(result: ScanResult) -> Verdict:
    """The verdict for one analysed file (see the module docstring for the order of trust).

    Declarations of AI generation or editing come first (signed, then unsigned); then a
    failed integrity check of signed credentials (the file or its credentials changed
    after signing), then credentials that were stripped, then a signed capture
    declaration; statistics and camera metadata only when nothing is declared.
    """
    prov, c2pa = result.provenance, result.provenance.c2pa
    verified = c2pa.state in ("trusted", "valid")
    intact = verified or c2pa.problem == "certificate_not_valid"  # the signature itself verifies
    caveats: list[str] = []
    if c2pa.present is False and c2pa.state is None:
        caveats.append(CAVEAT_NO_CREDENTIALS)

    def declared(category: str, where: str | None = None) -> bool:
        return any(
            st.category == category and (where is None or st.where == where) for st in prov.source_types
        )

    tool = generator_label(result)
    by = f" from {quote(tool)}" if tool else ""
    score = f" {_score_sentence(result)}" if result.classifier else ""
    classifier_caveat = [CAVEAT_CLASSIFIER] if result.classifier else []
    if verified and declared("ai_generated", "c2pa"):
        return Verdict(
            "strong evidence of AI generation",
            f"Strong evidence of AI generation: declared by a valid C2PA manifest{by}.",
            "verified", caveats + [CAVEAT_SIGNATURE],
        )  # fmt: skip
    if verified and declared("ai_edited", "c2pa"):
        return Verdict(
            "evidence of AI editing",
            f"Evidence of AI editing: a valid C2PA manifest{by} declares that AI-generated elements were added.",
            "verified", caveats + [CAVEAT_SIGNATURE],
        )  # fmt: skip
    if verified and declared("capture", "c2pa") and not prov.ai_declared:
        return Verdict(
            "declared camera capture",
            f"A valid C2PA manifest{signed_by(c2pa)} declares a camera capture.{score}",
            "verified", caveats + [CAVEAT_SIGNATURE] + classifier_caveat,
        )  # fmt: skip
    if prov.ai_declared or prov.ai_edit_declared:
        in_c2pa = declared("ai_generated" if prov.ai_declared else "ai_edited", "c2pa")
        how = (
            f"in Content Credentials that fail validation ({_problem_phrase(c2pa)})"
            if in_c2pa and not verified
            else "by an invisible watermark in the file's pixels"
            if prov.generator.where == "pixels:watermark"
            else "in the file's metadata"
        )
        if prov.ai_declared:
            return Verdict(
                "substantial evidence of AI generation",
                f"Substantial evidence of AI generation: declared {how}{by}, not cryptographically verified.",
                "declared", caveats + [CAVEAT_METADATA],
            )  # fmt: skip
        return Verdict(
            "evidence of AI editing",
            f"Evidence of AI editing: AI-edited content is declared {how}{by}, not cryptographically verified.",
            "declared", caveats + [CAVEAT_METADATA],
        )  # fmt: skip
    if c2pa.problem in INTEGRITY_FAILURES:
        changed = c2pa.problem == "content_changed"
        band = (
            "integrity problem: changed after signing"
            if changed
            else "integrity problem: credentials do not verify"
        )
        what = (
            f"{changed_after_signing(c2pa)}, so the file was changed after it was signed"
            if changed
            else C2PA_PROBLEM_SENTENCES[c2pa.problem]
        )
        return Verdict(
            band,
            f"Integrity problem: the file's Content Credentials{signed_by(c2pa)} fail validation: {what} "
            f"({', '.join(failure_codes(c2pa, (c2pa.problem,)))}).{score}",
            "verified", caveats + [CAVEAT_INTEGRITY] + classifier_caveat,
        )  # fmt: skip
    if c2pa.state == "stripped":
        return Verdict(
            "content credentials removed",
            "Content credentials removed: the file's XMP metadata names Content Credentials embedded in this file, "
            f"but none are there; they were removed after the file was made, and what they stated cannot be checked.{score}",
            "declared", caveats + [CAVEAT_STRIPPED] + classifier_caveat,
        )  # fmt: skip
    if intact and c2pa.problem == "certificate_not_valid" and declared("capture", "c2pa"):
        return Verdict(
            "declared camera capture",
            f"Content Credentials{signed_by(c2pa)} declare a camera capture; their signature matches the file, but the "
            f"signing certificate {certificate_reasons(c2pa)}, so the signer's identity is not confirmed.{score}",
            "declared", caveats + [CAVEAT_SIGNATURE] + classifier_caveat,
        )  # fmt: skip
    note = _credentials_note(c2pa)
    if result.classifier is None:
        cam = result.metadata.camera
        if result.status == "ok" and (cam.make or cam.model):
            summary = capture_summary(result)
            taken = f", capture date {summary['datetime_original']}" if summary["datetime_original"] else ""
            fit = (
                " It does not fit the image in places (see the ledger)."
                if summary["status"] == "inconsistent"
                else ""
            )
            editors = list(dict.fromkeys(e["software"] for e in result.metadata.editing if e.get("software")))
            if editors:
                fit += f" The metadata also names editing software ({quote(editors[0], 60)})."
            return Verdict(
                "camera metadata present, no AI declaration",
                f"Camera metadata present ({quote(summary['camera'])}{taken}) and nothing in the file declares AI "
                f"generation; no classifier score is available.{fit}{note}",
                "declared", caveats + [CAVEAT_CAMERA_METADATA, CAVEAT_NOTHING],
            )  # fmt: skip
        reason = (
            "the file could not be analysed"
            if result.status == "error"
            else "no classifier score is available"
        )
        return Verdict(
            "no conclusion",
            f"No conclusion: the file declares nothing about AI generation and {reason}.{note}",
            "none", caveats + [CAVEAT_NOTHING],
        )  # fmt: skip
    caveats.append(CAVEAT_CLASSIFIER)
    if result.stability is not None and result.stability.unstable:
        return Verdict(
            "inconclusive",
            "Inconclusive: no declaration, and the classifier's score flips when the image is re-compressed or "
            f"resized.{note}",
            "statistical", caveats,
        )  # fmt: skip
    if split := disagreement(result):
        return Verdict(
            "inconclusive",
            f"Inconclusive: no declaration, and the classifiers disagree: {split}.{note}",
            "statistical", caveats,
        )  # fmt: skip
    band = classifier_band(result.classifier.p_artificial)
    if band == "little evidence of AI generation":
        caveats.append(CAVEAT_NOTHING)
    return Verdict(
        band,
        f"{band[0].upper()}{band[1:]}: nothing in the file declares how it was made. "
        f"{_score_sentence(result, with_band=False)}{note}",
        "statistical", caveats,
    )  # fmt: skip


def _problem_phrase(c2pa: C2PAState) -> str:
    if c2pa.problem == "content_changed":
        return "changed after signing"
    if c2pa.problem == "certificate_not_valid":
        return f"the signing certificate {certificate_reasons(c2pa)}"
    return {"signature_invalid": "the signature does not verify", "certificate_revoked": "certificate revoked",
            "ingredient_invalid": "an earlier version's credentials fail"}.get(c2pa.problem or "", "damaged")  # fmt: skip


def _credentials_note(c2pa: C2PAState) -> str:
    """What the credentials add to a verdict that does not rest on them."""
    if c2pa.state in ("trusted", "valid"):
        return f" It carries valid Content Credentials{signed_by(c2pa)} that declare neither AI generation nor a capture."
    if c2pa.problem == "certificate_not_valid":
        return (f" Its Content Credentials' signature matches the file, but the signing certificate "
                f"{certificate_reasons(c2pa)}.")  # fmt: skip
    if c2pa.state == "remote_only":
        return " It points to Content Credentials stored online, which were not fetched."
    if c2pa.state == "unreadable":
        return " It carries Content Credentials that cannot be read."
    if c2pa.problem == "ingredient_invalid":
        return " The credentials of an earlier version of the file fail validation."
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
