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

from core.escaping import escape_unprintable
from core.forensics import forensic_findings
from core.provenance.c2pa_credentials import touches_data
from core.schema import C2PAState, Finding, ScanResult, Verdict

# Classifier thresholds on p_artificial (named so that reports can cite them).
STRONG_SIGNAL = 0.90
MODERATE_SIGNAL = 0.75
WEAK_SIGNAL = 0.60
LOW_SIGNAL = 0.40  # below this: little evidence of AI generation from the classifier
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
# C2PA failure kinds that break the credentials' integrity (the others leave the signature intact).
INTEGRITY_FAILURES = ("content_changed", "signature_invalid", "credentials_damaged", "certificate_revoked")

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
CAVEAT_INTEGRITY = (
    "A failed integrity check shows that the file or its credentials changed after signing; it does not "
    "show what changed, who changed it, or whether the picture was AI-generated."
)
CAVEAT_STRIPPED = (
    "Removed credentials are common after re-saving or uploading to a platform, and say nothing about "
    "what the credentials stated."
)
CAVEAT_CAMERA_METADATA = (
    "Camera metadata can be copied into any file or edited; it supports a camera origin only weakly and "
    "is not evidence of authenticity."
)

# What each C2PA failure kind means, in the ledger's fixed wording.
C2PA_PROBLEM_SENTENCES = {
    "signature_invalid": "the signature over the credentials does not verify: they are damaged or forged, "
    "and nothing they state can be relied on",
    "credentials_damaged": "the credentials are malformed or inconsistent, so nothing they state can be relied on",
    "certificate_revoked": "the certificate that signed them was revoked by its issuer, so nothing they state "
    "can be relied on",
}
CERTIFICATE_REASONS = {
    "signingCredential.expired": "had expired",
    "claimSignature.outsideValidity": "was outside its validity period when it signed",
    "signingCredential.untrusted": "is not on a configured trust list",
    "signingCredential.invalid": "is not valid for signing Content Credentials",
    "timeStamp.untrusted": "comes with a time-stamp from an untrusted authority",
    "timeStamp.outsideValidity": "comes with a time-stamp outside its validity",
    "timeStamp.mismatch": "comes with a time-stamp that does not match the signature",
    "timeStamp.malformed": "comes with a damaged time-stamp",
}


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
    text = escape_unprintable(str(value).replace("\n", " ").strip())
    return "“" + (text[:limit] + "…" if len(text) > limit else text) + "”"


def collect_findings(result: ScanResult) -> list[Finding]:
    """Every finding for one result, ordered by strength (strongest first)."""
    findings: list[Finding] = []
    prov, c2pa = result.provenance, result.provenance.c2pa
    verified = c2pa.state in ("trusted", "valid")

    findings.extend(_c2pa_findings(c2pa))

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

    if result.stability is None and result.stability_skipped:
        findings.append(Finding(
            "stability.skipped", "neutral", "context",
            f"Stability under re-compression was {result.stability_skipped}.", {"reason": result.stability_skipped},
        ))  # fmt: skip
    cam = result.metadata.camera
    findings.extend(forensic_findings(result.forensics, camera_named=bool(cam.make or cam.model)))

    findings.extend(_metadata_findings(result))
    if c2pa.present is False and c2pa.state is None:
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


def _codes(c2pa: C2PAState, kinds: tuple[str, ...]) -> list[str]:
    return list(dict.fromkeys(f.code for f in c2pa.failures if f.kind in kinds))


def _signed_by(c2pa: C2PAState) -> str:
    return f" signed by {_quote(c2pa.signer)}" if c2pa.signer else ""


def changed_after_signing(c2pa: C2PAState) -> str:
    """What no longer matches the signed hashes: the image data, or statements in the credentials."""
    data = any(touches_data(f) for f in c2pa.failures if f.kind == "content_changed" and f.scope == "active")
    return (
        "the file's data no longer matches the signed hash"
        if data
        else ("statements inside the credentials no longer match their signed hashes")
    )


def certificate_reasons(c2pa: C2PAState) -> str:
    """Why the signer's certificate is not accepted, in words ("had expired and is not on ...")."""
    reasons = [CERTIFICATE_REASONS.get(code, f"fails the check {_quote(code)}")
               for code in _codes(c2pa, ("certificate_not_valid",))]  # fmt: skip
    if not reasons:
        return "is not accepted"
    return ", ".join(reasons[:-1]) + (" and " if len(reasons) > 1 else "") + reasons[-1]


def _c2pa_findings(c2pa: C2PAState) -> list[Finding]:
    """Content Credentials: each state and failure kind has its own rule and fixed wording."""
    findings: list[Finding] = []
    codes = {"failure_codes": c2pa.failure_codes}
    problem = c2pa.problem
    if c2pa.state == "stripped":
        findings.append(Finding(
            "c2pa.stripped", "editing", "declared",
            f"The file's XMP metadata names Content Credentials embedded in this file ({_quote(c2pa.xmp_provenance)}), "
            "but none are there: the credentials were removed, typically when the file was re-saved or edited by "
            "software that drops them. What they stated cannot be checked.",
            {"xmp_provenance": c2pa.xmp_provenance},
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
            "The file carries Content Credentials that cannot be read, so nothing they state can be checked.",
            {"error": c2pa.error},
        ))  # fmt: skip
    if not c2pa.present or c2pa.state not in ("trusted", "valid", "invalid"):
        return findings
    if problem == "content_changed":
        findings.append(Finding(
            "c2pa.content_changed", "editing", "verified",
            f"Content Credentials{_signed_by(c2pa)} are present, but {changed_after_signing(c2pa)} "
            f"({', '.join(_codes(c2pa, ('content_changed',)))}): the file was changed after it was signed.",
            codes,
        ))  # fmt: skip
    elif problem in C2PA_PROBLEM_SENTENCES:
        findings.append(Finding(
            f"c2pa.{problem}", "neutral", "verified",
            f"Content Credentials{_signed_by(c2pa)} are present, but {C2PA_PROBLEM_SENTENCES[problem]} "
            f"({', '.join(_codes(c2pa, (problem,)))}).",
            codes,
        ))  # fmt: skip
    elif problem == "certificate_not_valid":
        findings.append(Finding(
            "c2pa.certificate_not_valid", "neutral", "declared",
            f"The Content Credentials' signature{_signed_by(c2pa)} matches the file, but the signing certificate "
            f"{certificate_reasons(c2pa)} ({', '.join(_codes(c2pa, ('certificate_not_valid',)))}). This does not show "
            "that the file was changed; it means the signer's identity is not confirmed by this certificate, so what "
            "the credentials state counts as a declaration, not a verified fact.",
            codes,
        ))  # fmt: skip
    elif c2pa.state == "invalid":  # the validator says invalid without naming a failure
        findings.append(Finding(
            "c2pa.invalid", "neutral", "declared",
            "Content Credentials are present but fail validation, so nothing they state can be relied on.", codes,
        ))  # fmt: skip
    elif c2pa.state in ("trusted", "valid"):
        trust = (
            "on the configured trust list" if c2pa.state == "trusted" else "not on a configured trust list"
        )
        findings.append(Finding(
            "c2pa.valid", "neutral", "verified",
            f"Content Credentials are valid{_signed_by(c2pa)} (signer {trust}).",
            {"state": c2pa.state, "issuer": c2pa.issuer, "claim_generator": c2pa.claim_generator},
        ))  # fmt: skip
    if problem is not None and _codes(c2pa, ("ingredient_invalid",)):
        findings.append(Finding(
            "c2pa.ingredient_invalid", "neutral", "context",
            "The credentials of an earlier version of the file (an ingredient) fail validation "
            f"({', '.join(_codes(c2pa, ('ingredient_invalid',)))}): that part of its history cannot be relied on.",
            codes,
        ))  # fmt: skip
    return findings


def capture_summary(result: ScanResult) -> dict:
    """How complete and coherent the camera metadata is: ``status`` is ``coherent`` (camera,
    capture date, nothing contradicts the pixels), ``partial`` (a camera without a date, or
    the reverse), ``inconsistent`` (the metadata contradicts the image: EXIF dimensions or
    the embedded thumbnail), or ``absent`` (no camera and no capture date)."""
    meta, f = result.metadata, result.file
    cam = meta.camera
    dims = meta.exif_dimensions
    pixel_sizes = {(f.stored_width, f.stored_height), (f.width, f.height)}
    dims_match = None if dims is None or f.width is None else (dims.width, dims.height) in pixel_sizes
    thumb = (result.forensics.get("thumbnail") or {}) if isinstance(result.forensics, dict) else {}
    thumb_match = None if meta.thumbnail is None or "differs" not in thumb else not thumb["differs"]
    summary = {
        "camera": cam.display_name() or None,
        "lens": cam.lens,
        "datetime_original": meta.datetime_original,
        "thumbnail": meta.thumbnail is not None,
        "thumbnail_matches": thumb_match,
        "exif_dimensions_match": dims_match,
        "editing_software": bool(meta.editing),
        "placeholders": [p.get("field") for p in meta.placeholders],
    }
    if not (cam.make or cam.model or meta.datetime_original):
        summary["status"] = "absent"
    elif dims_match is False or thumb_match is False:
        summary["status"] = "inconsistent"
    elif (cam.make or cam.model) and meta.datetime_original:
        summary["status"] = "coherent"
    else:
        summary["status"] = "partial"
    return summary


def _metadata_findings(result: ScanResult) -> list[Finding]:
    """Camera metadata (with its coherence), editing software and placeholder values."""
    findings: list[Finding] = []
    meta = result.metadata
    summary = capture_summary(result)
    if summary["status"] == "absent":
        if result.status == "ok":
            findings.append(Finding(
                "metadata.no_camera", "neutral", "context",
                "No camera make or model and no capture date are recorded. Many platforms strip metadata, "
                "so this proves nothing.",
                summary,
            ))  # fmt: skip
    else:
        findings.append(Finding(
            "metadata.camera", "capture", "context", _capture_sentence(result, summary), summary,
        ))  # fmt: skip
    if meta.editing:
        names = list(dict.fromkeys(e["software"] for e in meta.editing if e.get("software")))
        where = sorted({e["where"] for e in meta.editing})
        named = ", ".join(_quote(n, 60) for n in names[:3]) or "an edit history"
        findings.append(Finding(
            "metadata.editing_software", "editing", "context",
            f"The metadata names editing software: {named} ({', '.join(where)}). Editing is common and legitimate; "
            "it shows the file is not straight from a camera, not that its content was altered.",
            {"editing": meta.editing[:MAX_EDITING_SHOWN]},
        ))  # fmt: skip
    for placeholder in meta.placeholders:
        findings.append(Finding(
            "metadata.placeholder", "neutral", "context",
            f"The {placeholder['field']} recorded ({_quote(placeholder['value'], 40)}) is a placeholder, not a real "
            f"value: {placeholder['reason']}. It is not shown as a place or time.",
            placeholder,
        ))  # fmt: skip
    return findings


MAX_EDITING_SHOWN = 10


def _capture_sentence(result: ScanResult, summary: dict) -> str:
    meta, f = result.metadata, result.file
    have = []
    if summary["camera"]:
        have.append(f"a camera ({_quote(summary['camera'])})")
    if summary["lens"]:
        have.append(f"a lens ({_quote(summary['lens'], 60)})")
    if summary["datetime_original"]:
        have.append(f"a capture date ({summary['datetime_original']})")
    if summary["thumbnail_matches"]:
        have.append("an embedded thumbnail that matches the image")
    listed = ", ".join(have[:-1]) + (" and " if len(have) > 1 else "") + have[-1]
    status = summary["status"]
    if status == "inconsistent":
        problems = []
        if summary["exif_dimensions_match"] is False:
            d = meta.exif_dimensions
            problems.append(
                f"the EXIF dimensions ({d.width}x{d.height}) differ from the pixels ({f.width}x{f.height})"
            )
        if summary["thumbnail_matches"] is False:
            problems.append("the embedded thumbnail shows a different picture")
        detail = (
            f"The metadata names {listed}, but it does not fit the image: {'; '.join(problems)}. "
            "The image was probably resized, cropped or edited after capture."
        )
    elif status == "coherent":
        detail = f"The metadata names {listed}, and nothing in it contradicts the image."
    else:
        missing = "no capture date" if not summary["datetime_original"] else "no camera make or model"
        detail = f"The metadata names {listed}, with {missing}."
    return f"{detail} {CAVEAT_CAMERA_METADATA}"


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
    by = f" from {_quote(tool)}" if tool else ""
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
            f"A valid C2PA manifest{_signed_by(c2pa)} declares a camera capture.{score}",
            "verified", caveats + [CAVEAT_SIGNATURE] + classifier_caveat,
        )  # fmt: skip
    if prov.ai_declared or prov.ai_edit_declared:
        in_c2pa = declared("ai_generated" if prov.ai_declared else "ai_edited", "c2pa")
        how = (
            f"in Content Credentials that fail validation ({_problem_phrase(c2pa)})"
            if in_c2pa and not verified
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
            f"Integrity problem: the file's Content Credentials{_signed_by(c2pa)} fail validation: {what} "
            f"({', '.join(_codes(c2pa, (c2pa.problem,)))}).{score}",
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
            f"Content Credentials{_signed_by(c2pa)} declare a camera capture; their signature matches the file, but the "
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
                fit += f" The metadata also names editing software ({_quote(editors[0], 60)})."
            return Verdict(
                "camera metadata present, no AI declaration",
                f"Camera metadata present ({_quote(summary['camera'])}{taken}) and nothing in the file declares AI "
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
        return f" It carries valid Content Credentials{_signed_by(c2pa)} that declare neither AI generation nor a capture."
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
        text += f" It stays between {s.min:.2f} and {s.max:.2f} after re-compression and resizing."
    return text


def stability_needed(result: ScanResult) -> str | None:
    """Why re-scoring re-shipped copies cannot change what a person concludes (None when it can):
    the verdict rests on a declaration or an integrity check, or the score is clearly low."""
    verdict = decide(result)
    if verdict.basis != "statistical":
        return f"not computed: the verdict rests on {verdict.basis} evidence, not on the score"
    if result.classifier is not None and result.classifier.p_artificial < STABILITY_MIN_SCORE:
        return f"not computed: the score is clearly low (below {STABILITY_MIN_SCORE:.2f})"
    return None


def build_ledger(result: ScanResult) -> None:
    """Fill ``findings`` and ``verdict`` of a result in place."""
    result.findings = collect_findings(result)
    result.verdict = decide(result)
