"""Content Credentials that fail, were stripped or name a model: each has its own headline.

Files are signed by the tests with a throwaway chain; reader reports that the SDK will not
let us produce (an expired or revoked certificate: it refuses to sign with one) are given
to the interpreter in the JSON form c2pa-python's ``Reader.json()`` returns.
"""

from __future__ import annotations

import pytest

from core.ledger import build_ledger
from core.provenance.c2pa_credentials import credentials_from_store, failure_kind
from core.schema import ScanResult
from tests.c2pa_signing import AI_GENERATED, CAPTURE, make_chain, manifest, sign
from tests.conftest import analyse_bytes
from tests.images import camera_exif, encode, photo, xmp_packet

DCTERMS = 'xmlns:dcterms="http://purl.org/dc/terms/"'


@pytest.fixture(scope="module")
def chain():
    return make_chain(signer="Truepic Lens Test", org="Truepic Test CA")


def signed_capture(chain) -> bytes:
    actions = [{"action": "c2pa.created", "digitalSourceType": CAPTURE}]
    return sign(
        encode(photo(), "JPEG", quality=90, exif=camera_exif()), chain, manifest("Truepic Lens", actions)
    )


def test_pixels_changed_after_signing_is_the_headline(chain):
    data = bytearray(signed_capture(chain))
    data[-300] ^= 0xFF  # one byte of the image data, after signing
    r = analyse_bytes(bytes(data))
    c = r.provenance.c2pa
    assert (c.state, c.problem) == ("invalid", "content_changed")
    assert [(f.code, f.kind, f.scope) for f in c.failures if f.code != "signingCredential.untrusted"] == [
        ("assertion.dataHash.mismatch", "content_changed", "active")
    ]
    assert r.verdict.band == "integrity problem: changed after signing"
    assert r.verdict.basis == "verified"
    assert r.verdict.sentence == (
        "Integrity problem: the file's Content Credentials signed by “Truepic Lens Test” fail validation: "
        "the file's data no longer matches the signed hash, so the file was changed after it was signed "
        "(assertion.dataHash.mismatch)."
    )
    assert r.findings[0].rule == "c2pa.content_changed"
    assert r.findings[0].strength == "verified"
    # A capture declared in credentials that fail is not a verified capture.
    assert not any(f.rule == "c2pa.source_type.capture" and f.strength == "verified" for f in r.findings)


def test_intact_signed_capture_is_still_a_declared_capture(chain):
    r = analyse_bytes(signed_capture(chain))
    assert (r.provenance.c2pa.state, r.provenance.c2pa.problem) == ("valid", None)
    assert r.verdict.band == "declared camera capture"


def store(failures: list[str], ingredient_failures: tuple[str, ...] = (), source_type: str = CAPTURE) -> dict:
    """A reader report in c2pa-python's JSON shape."""
    label = "urn:c2pa:test-manifest"
    return {
        "active_manifest": label,
        "manifests": {
            label: {
                "claim_generator_info": [{"name": "Nikon Z9", "version": "4.0"}],
                "signature_info": {"common_name": "Nikon Test Signer", "issuer": "Nikon"},
                "assertions": [
                    {
                        "label": "c2pa.actions.v2",
                        "data": {"actions": [{"action": "c2pa.created", "digitalSourceType": source_type}]},
                    }
                ],
            }
        },
        "validation_results": {
            "activeManifest": {"failure": [{"code": c, "explanation": f"{c} (test)"} for c in failures]},
            "ingredientDeltas": [
                {
                    "ingredientAssertionURI": "self#jumbf=c2pa.assertions/c2pa.ingredient",
                    "validationDeltas": {"failure": [{"code": c} for c in ingredient_failures]},
                }
            ],
        },
    }


def ledger_for(c2pa_state) -> ScanResult:
    from core.provenance.source_type import parse_source_type

    r = ScanResult(path="nikon.jpg", status="ok")
    r.provenance.analyzed = True
    r.provenance.c2pa = c2pa_state
    r.provenance.source_types = [
        st for a in c2pa_state.actions if (st := parse_source_type(a.digital_source_type, "c2pa"))
    ]
    r.provenance.capture_declared = any(st.category == "capture" for st in r.provenance.source_types)
    r.provenance.ai_declared = r.provenance.ai_edit_declared = False
    build_ledger(r)
    return r


def test_expired_and_untrusted_certificate_is_not_called_tampering():
    c = credentials_from_store(
        store(["signingCredential.untrusted", "signingCredential.expired"]), "invalid", False
    )
    assert (c.state, c.problem) == ("invalid", "certificate_not_valid")
    r = ledger_for(c)
    assert r.verdict.band == "declared camera capture"
    assert r.verdict.basis == "declared"
    assert r.verdict.sentence == (
        "Content Credentials signed by “Nikon Test Signer” declare a camera capture; their signature matches the "
        "file, but the signing certificate is not on a configured trust list and had expired, so the signer's "
        "identity is not confirmed."
    )
    finding = next(f for f in r.findings if f.rule == "c2pa.certificate_not_valid")
    assert "does not show that the file was changed" in finding.sentence
    assert not any("changed after" in f.sentence for f in r.findings)
    assert not r.verdict.band.startswith("integrity problem")


def test_expired_certificate_without_a_capture_declaration_is_named_in_the_headline():
    c = credentials_from_store(store(["signingCredential.expired"], source_type=""), "invalid", False)
    r = ledger_for(c)
    assert r.verdict.band == "no conclusion"
    assert r.verdict.sentence.endswith(
        "Its Content Credentials' signature matches the file, but the signing certificate had expired."
    )


@pytest.mark.parametrize(
    ("failures", "band", "phrase"),
    [
        (
            ["claimSignature.mismatch"],
            "integrity problem: credentials do not verify",
            "the signature over the credentials does not verify: they are damaged or forged",
        ),
        (
            ["assertion.hashedURI.mismatch"],
            "integrity problem: changed after signing",
            "statements inside the credentials no longer match their signed hashes",
        ),
        (
            ["assertion.bmffHash.mismatch"],
            "integrity problem: changed after signing",
            "the file's data no longer matches the signed hash",
        ),
        (
            ["signingCredential.ocsp.revoked"],
            "integrity problem: credentials do not verify",
            "the certificate that signed them was revoked by its issuer",
        ),
        (
            ["claim.malformed"],
            "integrity problem: credentials do not verify",
            "the credentials are malformed or inconsistent",
        ),
    ],
)
def test_each_integrity_failure_has_its_own_wording(failures, band, phrase):
    r = ledger_for(
        credentials_from_store(store(["signingCredential.untrusted", *failures]), "invalid", False)
    )
    assert r.verdict.band == band
    assert phrase in r.verdict.sentence
    assert f"({failures[0]})" in r.verdict.sentence


def test_only_an_ingredient_failing_is_context_not_an_integrity_problem():
    c = credentials_from_store(
        store([], ingredient_failures=("assertion.dataHash.mismatch",)), "valid", False
    )
    assert (c.problem, [(f.code, f.kind, f.scope) for f in c.failures]) == (
        "ingredient_invalid",
        [("assertion.dataHash.mismatch", "ingredient_invalid", "ingredient")],
    )
    r = ledger_for(c)
    assert r.verdict.band == "declared camera capture" and r.verdict.basis == "verified"
    assert any(f.rule == "c2pa.ingredient_invalid" for f in r.findings)


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        ("assertion.dataHash.mismatch", "content_changed"),
        ("assertion.collectionHash.mismatch", "content_changed"),
        ("claimSignature.missing", "signature_invalid"),
        ("claimSignature.outsideValidity", "certificate_not_valid"),
        ("signingCredential.revoked", "certificate_revoked"),
        ("timeStamp.mismatch", "certificate_not_valid"),
        ("cawg.x509.credential.untrusted", "certificate_not_valid"),
        ("algorithm.unsupported", "credentials_damaged"),
        ("manifest.inaccessible", "credentials_damaged"),
        ("ingredient.manifest.missing", "ingredient_invalid"),
    ],
)
def test_failure_codes_are_sorted_by_meaning(code, kind):
    assert failure_kind(code, "active") == kind


def test_stripped_credentials_are_named_not_called_online():
    reference = "self#jumbf=/c2pa/urn:uuid:5f5bba8c-9184-44c6-b9a7-62cfda37b343/c2pa.claim"
    r = analyse_bytes(
        encode(photo(), "JPEG", xmp=xmp_packet("", f'{DCTERMS} dcterms:provenance="{reference}"'))
    )
    c = r.provenance.c2pa
    assert (c.present, c.state, c.remote_url, c.xmp_provenance) == (False, "stripped", None, reference)
    assert r.verdict.band == "content credentials removed"
    assert r.verdict.sentence.startswith("Content credentials removed: the file's XMP metadata names Content")
    assert [f.rule for f in r.findings if f.rule.startswith("c2pa.")] == ["c2pa.stripped"]


def test_online_reference_stays_remote_only():
    url = "https://cai-manifests.example/manifests/urn-uuid-1"
    r = analyse_bytes(encode(photo(), "JPEG", xmp=xmp_packet("", f'{DCTERMS} dcterms:provenance="{url}"')))
    assert (r.provenance.c2pa.state, r.provenance.c2pa.remote_url) == ("remote_only", url)
    assert "stored online, which were not fetched" in r.verdict.sentence


def test_the_model_inside_a_manifest_is_named(chain):
    actions = [
        {
            "action": "c2pa.created",
            "digitalSourceType": AI_GENERATED,
            "softwareAgent": {"name": "Adobe Firefly"},
            "parameters": {"com.adobe.details": "Gemini Flash", "com.adobe.modelVersion": "nano-banana"},
        }
    ]
    r = analyse_bytes(sign(encode(photo(), "JPEG"), chain, manifest("Adobe Firefly", actions)))
    g = r.provenance.generator
    assert (g.tool, g.name, g.model) == ("adobe-firefly", "Adobe Firefly", "Gemini Flash (nano-banana)")
    assert r.verdict.sentence == (
        "Strong evidence of AI generation: declared by a valid C2PA manifest from "
        "“Gemini Flash (nano-banana) through Adobe Firefly”."
    )


def test_generator_comes_from_the_manifest_that_declares_generation(chain):
    """A Photoshop edit of a Firefly image: the ingredient's manifest names the generator."""
    original = sign(
        encode(photo(seed=3), "JPEG"),
        chain,
        manifest("Adobe Firefly", [{"action": "c2pa.created", "digitalSourceType": AI_GENERATED}]),
    )
    edit = [{"action": "c2pa.opened", "parameters": {"description": "Opened a pre-existing file"}}]
    r = analyse_bytes(
        sign(
            original,
            chain,
            manifest("Adobe Photoshop", edit),
            ingredient=({"title": "firefly.jpg", "relationship": "parentOf"}, original),
        )
    )
    assert (r.provenance.ai_declared, r.provenance.generator.tool) == (True, "adobe-firefly")


@pytest.mark.parametrize(
    "report",
    [
        {"manifests": [], "active_manifest": 3},
        {
            "active_manifest": "m",
            "manifests": {"m": {"assertions": "x", "signature_info": [1]}},
            "validation_results": {"activeManifest": {"failure": ["x", {"code": None}]}},
        },
        {
            "active_manifest": "m",
            "manifests": {
                "m": {
                    "assertions": [
                        {
                            "label": "c2pa.actions",
                            "data": {
                                "actions": [
                                    {"action": 5, "parameters": {"a": {"b": {"c": {"model": "deep"}}}}}
                                ]
                            },
                        }
                    ]
                }
            },
        },
    ],
)
def test_malformed_reports_never_raise(report):
    c = credentials_from_store(report, "invalid", False)
    assert c.present is True and c.state in ("invalid", "unreadable")
    r = ledger_for(c)
    assert r.verdict.band in ("no conclusion", "integrity problem: credentials do not verify")


def test_a_manifest_the_validator_calls_valid_is_never_an_integrity_problem():
    """Codes listed beside a "Valid" state (older manifests, informational checks) do not turn it
    into tampering: the headline must not contradict the reference validator."""
    c = credentials_from_store(
        store(["signingCredential.untrusted", "assertion.action.malformed"]), "valid", False
    )
    assert (c.state, c.problem) == ("valid", None)
    assert [f.kind for f in c.failures] == ["certificate_not_valid", "credentials_damaged"]
    r = ledger_for(c)
    assert r.verdict.band == "declared camera capture" and r.verdict.basis == "verified"
