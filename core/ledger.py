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

from core.forensics import forensic_findings
from core.schema import Finding, ScanResult, Verdict

# Classifier thresholds on p_artificial (named so that reports can cite them).
STRONG_SIGNAL = 0.90
MODERATE_SIGNAL = 0.75
WEAK_SIGNAL = 0.60
LOW_SIGNAL = 0.40  # below this: little evidence of AI generation from the classifier

STRENGTH_ORDER = ("verified", "declared", "statistical", "context")

BANDS = (
    "strong evidence of AI generation",
    "substantial evidence of AI generation",
    "evidence of AI editing",
    "declared camera capture",
    "strong statistical indication of AI generation",
    "moderate statistical indication of AI generation",
    "weak statistical indication of AI generation",
    "inconclusive",
    "little evidence of AI generation",
    "no conclusion",
)

CAVEAT_NO_CREDENTIALS = (
    "No Content Credentials were found. Most cameras, phones and platforms do not add them, "
    "so their absence is not evidence of authenticity."
)
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


# Damage met while reading metadata, worth a line in the ledger (the notice keeps the details).
DAMAGE_NOTICES = {
    "xmp_unsafe": "The XMP metadata declares XML entities, a known attack pattern; it was not expanded or read.",
    "xmp_malformed": "The XMP metadata is damaged and could not be read.",
    "exif_malformed": "The EXIF metadata is damaged and could not be fully read.",
    "iptc_malformed": "The IPTC metadata is damaged and could not be read.",
    "png_text_malformed": "A PNG text chunk is damaged.",
    "png_chunk_truncated": "The PNG's chunk structure is cut short.",
    "generator_payload_damaged": "A generator's metadata is present but damaged.",
}


def _quote(value: object, limit: int = 80) -> str:
    text = str(value).replace("\n", " ").strip()
    return "“" + (text[:limit] + "…" if len(text) > limit else text) + "”"


def collect_findings(result: ScanResult) -> list[Finding]:
    """Every finding for one result, ordered by strength (strongest first)."""
    findings: list[Finding] = []
    prov, c2pa = result.provenance, result.provenance.c2pa
    verified = c2pa.state in ("trusted", "valid")

    if c2pa.present:
        if c2pa.state == "invalid":
            findings.append(Finding(
                "c2pa.invalid", "editing", "declared",
                "Content Credentials are present but fail validation: the file was changed after signing, "
                "or the credentials are damaged or forged.",
                {"failure_codes": c2pa.failure_codes},
            ))  # fmt: skip
        elif c2pa.state == "remote_only":
            findings.append(Finding(
                "c2pa.remote_only", "neutral", "context",
                "The file points to Content Credentials stored online; they were not fetched or checked.",
                {"remote_url": c2pa.remote_url},
            ))  # fmt: skip
        elif c2pa.state == "unreadable":
            findings.append(Finding(
                "c2pa.unreadable", "neutral", "context",
                "The file carries Content Credentials that cannot be read.", {"error": c2pa.error},
            ))  # fmt: skip
        elif verified:
            signer = f", signed by {_quote(c2pa.signer)}" if c2pa.signer else ""
            trust = (
                "on the configured trust list"
                if c2pa.state == "trusted"
                else "not on a configured trust list"
            )
            findings.append(Finding(
                "c2pa.valid", "neutral", "verified",
                f"Content Credentials are valid{signer} (signer {trust}).",
                {"state": c2pa.state, "issuer": c2pa.issuer, "claim_generator": c2pa.claim_generator},
            ))  # fmt: skip

    for st in prov.source_types:
        strength = "verified" if st.where == "c2pa" and verified else "declared"
        where = "Content Credentials" if st.where == "c2pa" else "XMP metadata"
        rule, direction, meaning = {
            "ai_generated": ("ai_generated", "synthesis", "AI generation"),
            "ai_edited": ("ai_edited", "editing", "a composite that includes AI-generated elements"),
            "capture": ("capture", "capture", "a camera capture"),
            "edited_capture": ("edited_capture", "editing", "an edited capture"),
        }.get(st.category, ("other", "neutral", f"the source type {_quote(st.code)}"))
        findings.append(Finding(
            f"{st.where}.source_type.{rule}", direction, strength,
            f"{where} declare {meaning} (IPTC digital source type {_quote(st.code)}).",
            {"code": st.code, "uri": st.uri},
        ))  # fmt: skip

    for g in prov.generators:
        if g.where == "c2pa":
            continue  # already stated by the C2PA source type finding
        if g.confidence == "declared":
            did = "generated" if g.declares == "generation" else "edited"
            findings.append(Finding(
                f"generator.{g.tool}", "synthesis" if g.declares == "generation" else "editing", "declared",
                f"The file's metadata ({g.where}) says it was {did} with {_quote(g.name)}.",
                {"tool": g.tool, "model": g.model, "seed": g.seed, "error": g.error},
            ))  # fmt: skip
        else:
            findings.append(Finding(
                "generator.possible", "synthesis", "context",
                f"A software field ({g.where}) reads {_quote(g.name)}, which looks like an AI tool; "
                "it is not a recognised generator signature.",
                {"value": g.name},
            ))  # fmt: skip

    if result.classifier is not None:
        c = result.classifier
        findings.append(Finding(
            "classifier.score", "synthesis" if c.p_artificial >= 0.5 else "neutral", "statistical",
            f"The classifier gives a probability of {c.p_artificial:.2f} for its 'artificial' label "
            f"({classifier_band(c.p_artificial)}).",
            {"p_artificial": c.p_artificial, "model": c.model, "revision": c.revision},
        ))  # fmt: skip
    if result.stability is not None:
        s = result.stability
        if s.unstable:
            findings.append(Finding(
                "stability.unstable", "neutral", "statistical",
                f"The classifier's score moves between {s.min:.2f} and {s.max:.2f} when the image is re-compressed "
                "or resized, and its label flips: the score is unstable.",
                {"variants": s.variants},
            ))  # fmt: skip
        else:
            findings.append(Finding(
                "stability.stable", "neutral", "statistical",
                f"The classifier's score stays between {s.min:.2f} and {s.max:.2f} when the image is re-compressed "
                "or resized; its label does not flip.",
                {"variants": s.variants},
            ))  # fmt: skip

    cam = result.metadata.camera
    findings.extend(forensic_findings(result.forensics, camera_named=bool(cam.make or cam.model)))

    if cam.make or cam.model:
        name = cam.display_name()
        findings.append(Finding(
            "metadata.camera", "capture", "context",
            f"The metadata names a camera ({_quote(name)}). Camera metadata is "
            "easily copied or edited, so it supports a camera origin only weakly.",
            {"make": cam.make, "model": cam.model},
        ))  # fmt: skip
    elif result.status == "ok":
        findings.append(Finding(
            "metadata.no_camera", "neutral", "context",
            "No camera make or model is recorded. Many platforms strip metadata, so this proves nothing.",
        ))  # fmt: skip
    if c2pa.present is False:
        findings.append(Finding("c2pa.absent", "neutral", "context", CAVEAT_NO_CREDENTIALS))
    for notice in result.notices:
        if notice.code in DAMAGE_NOTICES:
            findings.append(Finding(
                f"metadata.{notice.code}", "neutral", "context",
                f"{DAMAGE_NOTICES[notice.code]} Details: {_quote(notice.message, 160)}",
                {"code": notice.code},
            ))  # fmt: skip

    findings.sort(key=lambda f: STRENGTH_ORDER.index(f.strength) if f.strength in STRENGTH_ORDER else 99)
    return findings


def classifier_band(p: float) -> str:
    if p >= STRONG_SIGNAL:
        return "strong statistical indication of AI generation"
    if p >= MODERATE_SIGNAL:
        return "moderate statistical indication of AI generation"
    if p >= WEAK_SIGNAL:
        return "weak statistical indication of AI generation"
    if p > LOW_SIGNAL:
        return "inconclusive"
    return "little evidence of AI generation"


def decide(result: ScanResult) -> Verdict:
    """The verdict for one analysed file (see the module docstring for the order of trust)."""
    prov, c2pa = result.provenance, result.provenance.c2pa
    verified = c2pa.state in ("trusted", "valid")
    caveats: list[str] = []
    if c2pa.present is False:
        caveats.append(CAVEAT_NO_CREDENTIALS)

    def declared(category: str, where: str | None = None) -> bool:
        return any(
            st.category == category and (where is None or st.where == where) for st in prov.source_types
        )

    tool = prov.generator.name or prov.generator.tool
    by = f" from {_quote(tool)}" if tool else ""
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
        signer = f" signed by {_quote(c2pa.signer)}" if c2pa.signer else ""
        score = f" {_score_sentence(result)}" if result.classifier else ""
        return Verdict(
            "declared camera capture",
            f"A valid C2PA manifest{signer} declares a camera capture.{score}",
            "verified", caveats + [CAVEAT_SIGNATURE] + ([CAVEAT_CLASSIFIER] if result.classifier else []),
        )  # fmt: skip
    if prov.ai_declared:
        how = (
            "in Content Credentials that fail validation"
            if c2pa.state == "invalid" and declared("ai_generated", "c2pa")
            else "in the file's metadata"
        )
        return Verdict(
            "substantial evidence of AI generation",
            f"Substantial evidence of AI generation: declared {how}{by}, not cryptographically verified.",
            "declared", caveats + [CAVEAT_METADATA],
        )  # fmt: skip
    if prov.ai_edit_declared:
        return Verdict(
            "evidence of AI editing",
            f"Evidence of AI editing: the file's metadata{by} declares AI-edited content, not cryptographically verified.",
            "declared", caveats + [CAVEAT_METADATA],
        )  # fmt: skip
    if result.classifier is None:
        reason = (
            "the file could not be analysed"
            if result.status == "error"
            else "no classifier score is available"
        )
        return Verdict(
            "no conclusion",
            f"No conclusion: the file declares nothing about AI generation and {reason}.",
            "none", caveats + [CAVEAT_NOTHING],
        )  # fmt: skip
    caveats.append(CAVEAT_CLASSIFIER)
    if result.stability is not None and result.stability.unstable:
        return Verdict(
            "inconclusive",
            "Inconclusive: no declaration, and the classifier's score flips when the image is re-compressed or resized.",
            "statistical", caveats,
        )  # fmt: skip
    band = classifier_band(result.classifier.p_artificial)
    if band == "little evidence of AI generation":
        caveats.append(CAVEAT_NOTHING)
    return Verdict(
        band,
        f"{band[0].upper()}{band[1:]}: nothing in the file declares how it was made. "
        f"{_score_sentence(result, with_band=False)}",
        "statistical", caveats,
    )  # fmt: skip


def _score_sentence(result: ScanResult, with_band: bool = True) -> str:
    p = result.classifier.p_artificial
    text = f"The classifier's probability for its 'artificial' label is {p:.2f}"
    text += f" ({classifier_band(p)})." if with_band else "."
    s = result.stability
    if s is not None and not s.unstable:
        text += f" It stays between {s.min:.2f} and {s.max:.2f} after re-compression and resizing."
    return text


def build_ledger(result: ScanResult) -> None:
    """Fill ``findings`` and ``verdict`` of a result in place."""
    result.findings = collect_findings(result)
    result.verdict = decide(result)
