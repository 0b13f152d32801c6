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
    assert (c.state, c.problem) == ("changed after signing", "content_changed")
    assert [(f.code, f.kind, f.scope) for f in c.failures if f.code != "signingCredential.untrusted"] == [
        ("assertion.dataHash.mismatch", "content_changed", "active")
    ]
    assert r.verdict.band == "integrity problem: changed after signing"
    assert r.verdict.basis == "cryptographic check"
    assert r.verdict.sentence == (
        "Integrity problem: the file's Content Credentials signed by “Truepic Lens Test” fail validation: "
        "the file's data no longer matches the signed hash, so the file was changed after it was signed "
        "(assertion.dataHash.mismatch)."
    )
    assert r.findings[0].rule == "c2pa.content_changed"
    assert r.findings[0].strength == "cryptographic check"
    # A capture declared in credentials that fail is not a signed capture.
    assert not any(
        f.rule == "c2pa.source_type.capture" and f.strength == "cryptographic check" for f in r.findings
    )


def test_intact_signed_capture_is_still_a_declared_capture(chain):
    r = analyse_bytes(signed_capture(chain))
    c = r.provenance.c2pa
    assert (c.state, c.problem, c.ingredients_state) == (
        "intact, signer not on a configured trust list",
        None,
        None,
    )
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
    assert (c.state, c.problem) == ("intact, certificate expired or not valid", "certificate_not_valid")
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


def test_an_ingredient_that_fails_is_named_in_the_headline_not_made_the_files_problem():
    c = credentials_from_store(
        store(["signingCredential.untrusted"], ingredient_failures=("assertion.dataHash.mismatch",)),
        "valid",
        False,
    )
    assert (c.state, c.problem, c.ingredients_state) == (
        "intact, signer not on a configured trust list",
        None,
        "changed after signing",
    )
    assert [(f.code, f.kind, f.scope) for f in c.failures] == [
        ("signingCredential.untrusted", "signer_untrusted", "active"),
        ("assertion.dataHash.mismatch", "content_changed", "ingredient"),
    ]
    r = ledger_for(c)
    assert r.verdict.band == "declared camera capture" and r.verdict.basis == "cryptographic check"
    assert r.verdict.sentence.endswith(
        " The credentials of an earlier version it names (an ingredient) fail: changed after signing "
        "(assertion.dataHash.mismatch)."
    )
    assert [f.rule for f in r.findings if f.rule.startswith("c2pa.")] == [
        "c2pa.valid",
        "c2pa.source_type.capture",
        "c2pa.ingredient_invalid",
    ]


def test_an_untrusted_or_expired_ingredient_signer_is_not_an_ingredient_failure():
    """Eight public Adobe files: the only ingredient code is signingCredential.untrusted."""
    for code, state in (
        ("signingCredential.untrusted", "intact, signer not on a configured trust list"),
        ("signingCredential.expired", "intact, certificate expired or not valid"),
    ):
        c = credentials_from_store(
            store(["signingCredential.untrusted"], ingredient_failures=(code,)), "valid", False
        )
        assert (c.state, c.problem, c.ingredients_state) == (
            "intact, signer not on a configured trust list",
            None,
            state,
        )
        r = ledger_for(c)
        assert "ingredient" not in r.verdict.sentence
        assert not any(f.rule == "c2pa.ingredient_invalid" for f in r.findings)
        assert not any("fail" in f.sentence for f in r.findings if f.rule.startswith("c2pa."))


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        ("assertion.dataHash.mismatch", "content_changed"),
        ("assertion.collectionHash.mismatch", "content_changed"),
        ("claimSignature.missing", "signature_invalid"),
        ("claimSignature.outsideValidity", "certificate_not_valid"),
        ("signingCredential.revoked", "certificate_revoked"),
        ("signingCredential.untrusted", "signer_untrusted"),
        ("timeStamp.mismatch", "certificate_not_valid"),
        ("timeStamp.untrusted", "signer_untrusted"),
        ("cawg.x509.credential.untrusted", "signer_untrusted"),
        ("algorithm.unsupported", "credentials_damaged"),
        ("manifest.inaccessible", "credentials_damaged"),
        ("ingredient.manifest.missing", "credentials_damaged"),
        ("ingredient.hashedURI.mismatch", "content_changed"),
        ("ingredient.claimSignature.mismatch", "signature_invalid"),
    ],
)
def test_failure_codes_are_sorted_by_meaning(code, kind):
    assert failure_kind(code) == kind


def test_stripped_credentials_are_named_not_called_online():
    reference = "self#jumbf=/c2pa/urn:uuid:5f5bba8c-9184-44c6-b9a7-62cfda37b343/c2pa.claim"
    r = analyse_bytes(
        encode(photo(), "JPEG", xmp=xmp_packet("", f'{DCTERMS} dcterms:provenance="{reference}"'))
    )
    c = r.provenance.c2pa
    assert (c.present, c.state, c.remote_url, c.xmp_provenance) == (
        False,
        "credentials stripped",
        None,
        reference,
    )
    assert r.verdict.band == "content credentials removed"
    assert r.verdict.sentence.startswith("Content credentials removed: the file's XMP metadata names Content")
    assert [f.rule for f in r.findings if f.rule.startswith("c2pa.")] == ["c2pa.stripped"]


def test_online_reference_stays_remote_only():
    url = "https://cai-manifests.example/manifests/urn-uuid-1"
    r = analyse_bytes(encode(photo(), "JPEG", xmp=xmp_packet("", f'{DCTERMS} dcterms:provenance="{url}"')))
    assert (r.provenance.c2pa.state, r.provenance.c2pa.remote_url) == ("stored online", url)
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
    assert c.present is True and c.state in ("credentials damaged", "credentials unreadable")
    r = ledger_for(c)
    assert r.verdict.band in ("no conclusion", "integrity problem: credentials do not verify")


def test_a_manifest_the_validator_calls_valid_is_never_an_integrity_problem():
    """Codes listed beside a "Valid" state (older manifests, informational checks) do not turn it
    into tampering: the headline must not contradict the reference validator."""
    c = credentials_from_store(
        store(["signingCredential.untrusted", "assertion.action.malformed"]), "valid", False
    )
    assert (c.state, c.problem) == ("intact, signer not on a configured trust list", None)
    assert [f.kind for f in c.failures] == ["signer_untrusted", "credentials_damaged"]
    r = ledger_for(c)
    assert r.verdict.band == "declared camera capture" and r.verdict.basis == "cryptographic check"


def test_a_moved_data_hash_exclusion_is_not_called_a_change_of_the_pixels():
    """Three Truepic camera files: the validator says the bytes around the manifest moved, which
    re-packaging software also does; the sentence says no more than that."""
    report = store(["signingCredential.untrusted", "assertion.dataHash.mismatch"])
    report["validation_results"]["activeManifest"]["failure"][1]["explanation"] = (
        "data hash exclusion does not match the manifest location in the asset"
    )
    c = credentials_from_store(report, "invalid", False)
    assert (c.state, c.problem) == ("changed after signing", "content_changed")
    r = ledger_for(c)
    assert r.verdict.band == "integrity problem: changed after signing"
    assert "its pixels may or may not have changed" in r.verdict.sentence
    assert "the file was changed after it was signed" not in r.verdict.sentence


def test_results_of_schema_1_read_back_in_todays_words():
    """A case stored by an older version: its words become today's statuses and strengths."""
    old = {
        "path": "a.jpg",
        "status": "ok",
        "provenance": {"c2pa": {"present": True, "state": "invalid", "problem": "certificate_not_valid"}},
        "findings": [{"rule": "c2pa.valid", "direction": "neutral", "strength": "verified", "sentence": "s"}],
        "verdict": {"band": "declared camera capture", "sentence": "s", "basis": "verified", "caveats": []},
    }
    r = ScanResult.from_dict(old)
    assert r.provenance.c2pa.state == "intact, certificate expired or not valid"
    assert (r.findings[0].strength, r.verdict.basis) == ("cryptographic check", "cryptographic check")
    for state, problem, now in (
        ("valid", "ingredient_invalid", ("intact, signer not on a configured trust list", None)),
        ("invalid", "content_changed", ("changed after signing", "content_changed")),
        ("remote_only", None, ("stored online", None)),
        (None, None, ("none", None)),
    ):
        old["provenance"]["c2pa"] = {"present": state is not None, "state": state, "problem": problem}
        c = ScanResult.from_dict(old).provenance.c2pa
        assert (c.state, c.problem) == now, state


def test_identity_assertions_name_the_actor_their_verified_accounts_and_their_own_status():
    """An identity claims aggregation (the reader's JSON shape): the named actor, each verified
    identity and who verified it, and a status from the checks that name this assertion."""
    report = store(["signingCredential.untrusted"])
    label = report["active_manifest"]
    report["manifests"][label]["assertions"].append(
        {
            "label": "cawg.identity",
            "data": {
                "signer_payload": {"sig_type": "cawg.identity_claims_aggregation"},
                "credential": {
                    "issuer": {"id": "did:web:ica.example", "name": "Example Aggregator"},
                    "credentialSubject": {
                        "name": "Jane <b>Doe</b>",
                        "verifiedIdentities": [
                            {
                                "type": "cawg.social_media",
                                "username": "@jane",
                                "uri": "https://social.example/@jane",
                                "provider": {"id": "https://social.example", "name": "Social Example"},
                                "verifiedAt": "2026-01-05T10:00:00Z",
                            },
                            {"type": "cawg.affiliation", "provider": {"name": "Daily Planet"}},
                        ],
                    },
                },
            },
        }
    )
    identity_url = f"self#jumbf=/c2pa/{label}/c2pa.assertions/cawg.identity"
    report["validation_results"]["activeManifest"]["failure"].append(
        {"code": "cawg.ica.credential_invalid", "url": identity_url}
    )
    c = credentials_from_store(report, "valid", False)
    assert (
        c.state == "intact, signer not on a configured trust list"
    )  # its own signature is not the identity's
    (identity,) = c.identities
    assert (identity.sig_type, identity.signer, identity.issuer) == (
        "cawg.identity_claims_aggregation",
        "Jane <b>Doe</b>",
        "Example Aggregator",
    )
    assert (identity.state, identity.failure_codes) == (
        "credentials damaged",
        ["cawg.ica.credential_invalid"],
    )
    assert [v.describe() for v in identity.verified_identities] == [
        "@jane on Social Example (cawg.social_media)",
        "an identity on Daily Planet (cawg.affiliation)",
    ]
    assert identity.describe() == (
        "Jane <b>Doe</b>, issued by Example Aggregator: credentials damaged; verified: "
        "@jane on Social Example (cawg.social_media), an identity on Daily Planet (cawg.affiliation)"
    )
    r = ledger_for(c)
    from core.reports.redaction import redacted

    hidden = redacted(r).provenance.c2pa.identities[0]
    assert (hidden.signer, hidden.verified_identities[0].username) == ("[redacted]", "[redacted]")
    assert r.provenance.c2pa.identities[0].signer == "Jane <b>Doe</b>"  # the original is left as it is
