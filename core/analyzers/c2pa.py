"""The Content Credentials analyzer: C2PA manifests read and validated offline by
c2pa-python (``core.provenance.c2pa_credentials``), and what the ledger says about them:
each state and failure kind has its own rule and fixed wording."""

from __future__ import annotations

import functools
import importlib.util

from core.context import Context
from core.escaping import quote
from core.intake import Intake
from core.provenance.c2pa_credentials import of_ingredient, read_c2pa, touches_data
from core.schema import C2PAState, Finding, Notice, ScanResult, to_dict
from core.vocabulary import PROBLEM_STATUS, C2PAProblem, C2PAStatus

from .base import Analyzer, AnalyzerResult, library_version

CAVEAT_NO_CREDENTIALS = (
    "No Content Credentials were found. Most cameras, phones and platforms do not add them, "
    "so their absence is not evidence of authenticity."
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


@functools.cache
def available() -> str | None:
    return None if importlib.util.find_spec("c2pa") else "c2pa-python is not installed"


def analyze(intake: Intake, ctx: Context, found: ScanResult) -> AnalyzerResult:
    xmp = found.metadata.raw.get("xmp") or {}
    reference = xmp.get("dcterms:provenance") if isinstance(xmp.get("dcterms:provenance"), str) else None
    c2pa = read_c2pa(intake.data, intake.facts.mime, ctx.trust_lists, xmp_provenance=reference)
    notices = []
    if c2pa.error:
        notices.append(Notice("c2pa_unreadable", f"Content Credentials could not be read: {c2pa.error}"))
    return AnalyzerResult(c2pa, notices)


def findings(result: ScanResult) -> list[Finding]:
    c2pa = result.provenance.c2pa
    found = credential_findings(c2pa)
    if c2pa.state == C2PAStatus.NONE:
        found.append(Finding("c2pa.absent", "neutral", "context", CAVEAT_NO_CREDENTIALS))
    return found


def failure_codes(c2pa: C2PAState, kinds: tuple[str, ...], ingredients: bool = False) -> list[str]:
    """The codes of the failures of these kinds: the file's own, or (``ingredients``) its
    ingredients'."""
    return list(
        dict.fromkeys(f.code for f in c2pa.failures if f.kind in kinds and of_ingredient(f) == ingredients)
    )


def signed_by(c2pa: C2PAState) -> str:
    return f" signed by {quote(c2pa.signer)}" if c2pa.signer else ""


def changed_after_signing(c2pa: C2PAState) -> str:
    """What no longer matches the signed hashes, as far as the validator says: the bytes around
    the manifest (a data hash whose exclusion moved), the file's data, or signed statements."""
    own = [f for f in c2pa.failures if f.kind == C2PAProblem.CONTENT_CHANGED and not of_ingredient(f)]
    data = [f for f in own if touches_data(f)]
    if data and all("exclusion" in (f.explanation or "").lower() for f in data):
        return (
            "the bytes around the credentials no longer sit where the signature says: the file was re-saved or "
            "rearranged after it was signed (its pixels may or may not have changed; some software that "
            "re-packages files does this)"
        )
    if data:
        return (
            "the file's data no longer matches the signed hash, so the file was changed after it was signed"
        )
    return "statements inside the credentials no longer match their signed hashes, so they were changed after signing"


def certificate_reasons(c2pa: C2PAState) -> str:
    """Why the signer's certificate is not accepted, in words ("had expired and is not on ...")."""
    reasons = [
        CERTIFICATE_REASONS.get(code, f"fails the check {quote(code)}")
        for code in failure_codes(c2pa, (C2PAProblem.CERTIFICATE_NOT_VALID, C2PAProblem.SIGNER_UNTRUSTED))
    ]
    if not reasons:
        return "is not accepted"
    return ", ".join(reasons[:-1]) + (" and " if len(reasons) > 1 else "") + reasons[-1]


def signer_sentence(c2pa: C2PAState) -> str:
    """What intact credentials say about their signer, naming the trust lists it was checked against."""
    on = [quote(t.name) for t in c2pa.trust_lists if t.signer_on_it]
    if c2pa.state == C2PAStatus.TRUSTED:
        lists = ", ".join(on) if on else "a list"
        return f"the signer's certificate chains to the trust list {lists} configured here"
    checked = ", ".join(quote(t.name) for t in c2pa.trust_lists)
    where = (
        f"on the trust lists configured here ({checked})" if checked else "on a trust list configured here"
    )
    return (
        f"the signer's certificate is not {where}, so the signer's name is what the certificate says, "
        "not an identity confirmed by a list you trust"
    )


# The kinds of failure that make credentials fail (an untrusted or expired signer does not),
# and the ingredient states they give.
FAILING_KINDS = (
    C2PAProblem.CONTENT_CHANGED,
    C2PAProblem.SIGNATURE_INVALID,
    C2PAProblem.CREDENTIALS_DAMAGED,
    C2PAProblem.CERTIFICATE_REVOKED,
)
INGREDIENT_FAILURES = tuple(PROBLEM_STATUS[kind] for kind in FAILING_KINDS)


def ingredient_note(c2pa: C2PAState) -> str:
    """The sentence a verdict adds when an ingredient's credentials really fail; '' otherwise."""
    if c2pa.ingredients_state not in INGREDIENT_FAILURES:
        return ""
    return (
        f" The credentials of an earlier version it names (an ingredient) fail: {c2pa.ingredients_state} "
        f"({', '.join(failure_codes(c2pa, FAILING_KINDS, ingredients=True))})."
    )


def credential_findings(c2pa: C2PAState) -> list[Finding]:
    """Content Credentials: each status and failure kind has its own rule and fixed wording."""
    findings: list[Finding] = []
    codes = {"state": c2pa.state, "failure_codes": c2pa.failure_codes}
    status, problem = c2pa.state, c2pa.problem
    if status == C2PAStatus.STRIPPED:
        findings.append(
            Finding(
                "c2pa.stripped",
                "editing",
                "declared",
                f"The file's XMP metadata names Content Credentials embedded in this file ({quote(c2pa.xmp_provenance)}), "
                "but none are there: the credentials were removed, typically when the file was re-saved or edited by "
                "software that drops them. What they stated cannot be checked.",
                {"xmp_provenance": c2pa.xmp_provenance},
            )
        )
    elif status == C2PAStatus.REMOTE:
        findings.append(
            Finding(
                "c2pa.remote_only",
                "neutral",
                "context",
                "The file points to Content Credentials stored online; they were not fetched or checked.",
                {"remote_url": c2pa.remote_url},
            )
        )
    elif status == C2PAStatus.UNREADABLE:
        findings.append(
            Finding(
                "c2pa.unreadable",
                "neutral",
                "context",
                "The file carries Content Credentials that cannot be read, so nothing they state can be checked.",
                {"error": c2pa.error},
            )
        )
    elif status == C2PAStatus.CHANGED:
        findings.append(
            Finding(
                "c2pa.content_changed",
                "editing",
                "cryptographic check",
                f"Content Credentials{signed_by(c2pa)} are present, but {changed_after_signing(c2pa)} "
                f"({', '.join(failure_codes(c2pa, (problem,)))}).",
                codes,
            )
        )
    elif problem in C2PA_PROBLEM_SENTENCES:
        findings.append(
            Finding(
                f"c2pa.{problem}",
                "neutral",
                "cryptographic check",
                f"Content Credentials{signed_by(c2pa)} are present, but {C2PA_PROBLEM_SENTENCES[problem]} "
                f"({', '.join(failure_codes(c2pa, (problem,)))}).",
                codes,
            )
        )
    elif status == C2PAStatus.CERTIFICATE_NOT_VALID:
        findings.append(
            Finding(
                "c2pa.certificate_not_valid",
                "neutral",
                "declared",
                f"The Content Credentials' signature{signed_by(c2pa)} matches the file, but the signing certificate "
                f"{certificate_reasons(c2pa)} ({', '.join(failure_codes(c2pa, (C2PAProblem.CERTIFICATE_NOT_VALID,)))}). "
                "This does not show that the file was changed; it means the signer's identity is not confirmed by this "
                "certificate, so what the credentials state counts as a declaration, not a verified fact.",
                codes,
            )
        )
    elif status == C2PAStatus.DAMAGED:  # the validator says invalid without naming a failure
        findings.append(
            Finding(
                "c2pa.invalid",
                "neutral",
                "declared",
                "Content Credentials are present but fail validation without naming a check, so nothing they state "
                "can be relied on.",
                codes,
            )
        )
    elif status is not None and status.validates:
        findings.append(
            Finding(
                "c2pa.valid",
                "neutral",
                "cryptographic check",
                f"Content Credentials{signed_by(c2pa)} are {status}: their signature matches the file, and "
                f"{signer_sentence(c2pa)}.",
                {
                    **codes,
                    "issuer": c2pa.issuer,
                    "claim_generator": c2pa.claim_generator,
                    "trust_lists": [to_dict(t) for t in c2pa.trust_lists],
                },
            )
        )
    if c2pa.ingredients_state in INGREDIENT_FAILURES:
        findings.append(
            Finding(
                "c2pa.ingredient_invalid",
                "neutral",
                "context",
                f"The credentials of an earlier version of the file (an ingredient) fail: {c2pa.ingredients_state} "
                f"({', '.join(failure_codes(c2pa, FAILING_KINDS, ingredients=True))}). That part of its history "
                "cannot be relied on; the file's own credentials are checked on their own.",
                {"ingredients_state": c2pa.ingredients_state, "failure_codes": c2pa.failure_codes},
            )
        )
    return findings


ANALYZER = Analyzer(
    id="c2pa",
    version=f"2.0 ({library_version('c2pa-python')})",
    needs="bytes",
    output="provenance.c2pa",
    reads=("metadata",),  # the XMP reference to the credentials
    description="C2PA Content Credentials, read and validated offline (never fetched)",
    analyze=analyze,
    findings=findings,
    available=available,
    rules=(
        "c2pa.valid",
        "c2pa.content_changed",
        "c2pa.signature_invalid",
        "c2pa.credentials_damaged",
        "c2pa.certificate_revoked",
        "c2pa.certificate_not_valid",
        "c2pa.invalid",
        "c2pa.stripped",
        "c2pa.ingredient_invalid",
        "c2pa.remote_only",
        "c2pa.unreadable",
        "c2pa.absent",
    ),
)
