"""Sign test files with C2PA using a throwaway certificate chain made with `cryptography`."""

from __future__ import annotations

import datetime
import io
from dataclasses import dataclass

import c2pa
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

AI_GENERATED = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
AI_COMPOSITE = "http://cv.iptc.org/newscodes/digitalsourcetype/compositeWithTrainedAlgorithmicMedia"
CAPTURE = "http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture"


@dataclass(frozen=True)
class SigningChain:
    root_pem: str
    chain_pem: bytes  # signer certificate then the root
    key_pem: bytes


def _name(common_name: str, org: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
        ]
    )


def make_chain(
    signer: str = "Test Signer", org: str = "Newsroom Test CA", expired_root: bool = False
) -> SigningChain:
    """A root and a signer certificate. ``expired_root`` lets the root's validity end
    yesterday while the signer's certificate is still current (the SDK refuses to sign
    with an expired certificate of its own; a validator reports the chain as expired)."""
    now = datetime.datetime.now(datetime.UTC)
    validity = (now - datetime.timedelta(days=1), now + datetime.timedelta(days=30))
    root_validity = (
        (now - datetime.timedelta(days=60), now - datetime.timedelta(days=1)) if expired_root else validity
    )
    root_key = ec.generate_private_key(ec.SECP256R1())
    root = (
        x509.CertificateBuilder()
        .subject_name(_name("Test Root", org))
        .issuer_name(_name("Test Root", org))
        .public_key(root_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(root_validity[0])
        .not_valid_after(root_validity[1])
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(root_key.public_key()), critical=False)
        .sign(root_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(_name(signer, org))
        .issuer_name(root.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(validity[0])
        .not_valid_after(validity[1])
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(True, False, False, False, False, False, False, False, False), critical=True
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()), critical=False
        )
        .sign(root_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    return SigningChain(
        root_pem=root.public_bytes(pem).decode(),
        chain_pem=leaf.public_bytes(pem) + root.public_bytes(pem),
        key_pem=key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()),
    )


def manifest(generator: str, actions: list[dict], title: str = "image.jpg") -> dict:
    return {
        "claim_generator_info": [{"name": generator, "version": "1.0"}],
        "title": title,
        "assertions": [{"label": "c2pa.actions", "data": {"actions": actions}}],
    }


def sign(
    data: bytes,
    chain: SigningChain,
    definition: dict,
    mime: str = "image/jpeg",
    remote_url: str | None = None,
    ingredient: tuple[dict, bytes] | None = None,
) -> bytes:
    signer = c2pa.Signer.from_info(
        c2pa.C2paSignerInfo(c2pa.C2paSigningAlg.ES256, chain.chain_pem, chain.key_pem, None)
    )
    # The SDK's own check after signing enforces action rules (first action "created",
    # ingredients for "opened"); tests of older or partial manifests need to write them anyway.
    builder = c2pa.Builder(
        definition, context=c2pa.Context.from_dict({"verify": {"verify_after_sign": False}})
    )
    if ingredient is not None:
        builder.add_ingredient(ingredient[0], mime, io.BytesIO(ingredient[1]))
    if remote_url:
        builder.set_no_embed()
        builder.set_remote_url(remote_url)
    out = io.BytesIO()
    builder.sign(signer, mime, io.BytesIO(data), out)
    return out.getvalue()
