"""Provenance: C2PA credentials signed by the tests, IPTC source types, and the verdict they lead to."""

from __future__ import annotations

import pytest

from tests.c2pa_signing import AI_COMPOSITE, AI_GENERATED, CAPTURE, make_chain, manifest, sign
from tests.conftest import analyse_bytes
from tests.images import camera_exif, encode, photo, xmp_packet


@pytest.fixture(scope="module")
def chain():
    return make_chain()


def firefly(chain, **kwargs) -> bytes:
    actions = [
        {
            "action": "c2pa.created",
            "digitalSourceType": AI_GENERATED,
            "softwareAgent": {"name": "Adobe Firefly"},
        }
    ]
    return sign(encode(photo(), "JPEG", quality=90), chain, manifest("Adobe Firefly", actions), **kwargs)


def test_valid_manifest_without_trust_list_declares_ai_generation(chain):
    r = analyse_bytes(firefly(chain))
    c = r.provenance.c2pa
    assert (c.present, c.state) == (True, "intact, signer not on a configured trust list")
    assert "signingCredential.untrusted" in c.failure_codes
    assert (c.signer, c.issuer) == ("Test Signer", "Newsroom Test CA")
    assert c.claim_generator == "Adobe Firefly 1.0"
    assert [(a.action, a.digital_source_type) for a in c.actions] == [("c2pa.created", AI_GENERATED)]
    p = r.provenance
    assert (p.ai_declared, p.ai_edit_declared, p.generator.tool, p.generator.where) == (
        True,
        False,
        "adobe-firefly",
        "c2pa",
    )
    assert r.verdict.band == "strong evidence of AI generation"
    assert r.verdict.basis == "cryptographic check"
    assert (
        r.verdict.sentence
        == "Strong evidence of AI generation: declared by a valid C2PA manifest from “Adobe Firefly”."
    )
    assert [f.strength for f in r.findings][:2] == ["cryptographic check", "cryptographic check"]


def test_configured_trust_anchor_makes_the_signer_trusted(chain, tmp_path):
    anchors = tmp_path / "anchors.pem"
    anchors.write_text(chain.root_pem)
    r = analyse_bytes(firefly(chain), trust_anchors=str(anchors))
    assert r.provenance.c2pa.state == "intact, signer on your trust list"
    assert "chains to the trust list “anchors” configured here" in r.findings[0].sentence


def test_other_trust_anchor_leaves_the_signer_untrusted(chain, tmp_path):
    anchors = tmp_path / "anchors.pem"
    anchors.write_text(make_chain(org="Someone Else").root_pem)
    assert (
        analyse_bytes(firefly(chain), trust_anchors=str(anchors)).provenance.c2pa.state
        == "intact, signer not on a configured trust list"
    )


def test_tampered_file_is_invalid_and_only_declared(chain):
    signed = bytearray(firefly(chain))
    signed[-300] ^= 0xFF  # one byte of the image data, after signing
    r = analyse_bytes(bytes(signed))
    c = r.provenance.c2pa
    assert c.state == "changed after signing"
    assert "assertion.dataHash.mismatch" in c.failure_codes
    assert r.provenance.ai_declared is True
    assert r.verdict.band == "substantial evidence of AI generation"
    assert "fail validation" in r.verdict.sentence
    assert r.findings[0].rule == "c2pa.content_changed"


def test_vendor_parameter_source_type_and_openai_claim_generator(chain):
    # Older Adobe manifests put the source type in vendor parameters of an edit action.
    actions = [{"action": "c2pa.edited", "parameters": {"com.adobe.digitalSourceType": AI_GENERATED}}]
    r = analyse_bytes(sign(encode(photo(), "JPEG"), chain, manifest("ChatGPT", actions)))
    assert r.provenance.c2pa.actions[0].digital_source_type == AI_GENERATED
    assert (r.provenance.ai_declared, r.provenance.generator.tool) == (True, "openai")


def test_ai_edit_is_not_ai_generation(chain):
    actions = [
        {
            "action": "c2pa.edited",
            "digitalSourceType": AI_COMPOSITE,
            "softwareAgent": {"name": "Adobe Photoshop"},
        }
    ]
    original = encode(photo(seed=9), "JPEG")
    r = analyse_bytes(
        sign(
            original,
            chain,
            manifest("Adobe Photoshop", actions),
            ingredient=({"title": "DSC0001.jpg", "relationship": "parentOf"}, original),
        )
    )
    p = r.provenance
    assert (p.ai_declared, p.ai_edit_declared) == (False, True)
    assert [i.title for i in p.c2pa.ingredients] == ["DSC0001.jpg"]
    assert r.verdict.band == "evidence of AI editing"


def test_verified_camera_capture(chain):
    actions = [{"action": "c2pa.created", "digitalSourceType": CAPTURE}]
    data = sign(
        encode(photo(), "JPEG", exif=camera_exif(make="Leica", model="M11-P")),
        chain,
        manifest("Leica M11-P", actions),
    )
    r = analyse_bytes(data)
    assert (r.provenance.capture_declared, r.provenance.ai_declared) == (True, False)
    assert r.verdict.band == "declared camera capture"


def test_remote_only_manifest_is_reported_not_fetched(chain):
    r = analyse_bytes(firefly(chain, remote_url="https://credentials.example/manifest.c2pa"))
    c = r.provenance.c2pa
    assert (c.present, c.state, c.remote_url) == (
        True,
        "stored online",
        "https://credentials.example/manifest.c2pa",
    )
    assert r.provenance.ai_declared is False


def test_signed_png(chain):
    actions = [{"action": "c2pa.created", "digitalSourceType": AI_GENERATED}]
    data = sign(encode(photo(), "PNG"), chain, manifest("Some Generator", actions), mime="image/png")
    r = analyse_bytes(data, "f.png")
    assert (r.provenance.c2pa.state, r.provenance.ai_declared) == (
        "intact, signer not on a configured trust list",
        True,
    )
    assert r.provenance.generator.tool == "some-generator"


def test_damaged_manifest_is_unreadable_not_an_exception(chain):
    signed = firefly(chain)
    at = signed.find(b"jumb")
    broken = signed[: at + 40] + bytes(200) + signed[at + 240 :]
    r = analyse_bytes(broken)
    assert r.status == "ok"
    assert r.provenance.c2pa.present is True
    assert r.provenance.c2pa.state in ("credentials unreadable", "credentials damaged")


def test_no_credentials_is_absence():
    r = analyse_bytes(encode(photo(), "JPEG", exif=camera_exif()))
    assert (r.provenance.c2pa.present, r.provenance.c2pa.state) == (False, "none")
    assert any(f.rule == "c2pa.absent" for f in r.findings)


@pytest.mark.parametrize(
    ("code", "declared", "edited", "capture"),
    [
        ("trainedAlgorithmicMedia", True, False, False),
        ("compositeWithTrainedAlgorithmicMedia", False, True, False),
        ("digitalCapture", False, False, True),
        ("algorithmicMedia", False, False, False),
        ("trainedAlgorithmicMediaX", False, False, False),
    ],
)
def test_iptc_digital_source_type_is_matched_on_the_full_code(code, declared, edited, capture):
    body = f"<Iptc4xmpExt:DigitalSourceType>http://cv.iptc.org/newscodes/digitalsourcetype/{code}</Iptc4xmpExt:DigitalSourceType>"
    r = analyse_bytes(encode(photo(), "JPEG", xmp=xmp_packet(body)))
    p = r.provenance
    assert (p.ai_declared, p.ai_edit_declared, p.capture_declared) == (declared, edited, capture)
    assert p.source_types[0].code == code
    assert p.source_types[0].where == "xmp"
