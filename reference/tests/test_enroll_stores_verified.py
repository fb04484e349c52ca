"""`sft enroll` stores the certificate it verified, never the CA's text around it.

CA-ENR-12: the enrolment client keeps a certificate only from an answer whose certificate
holds its key, and leaves no identity pairing the key with anything else. The old code
checked the first PEM block of `certificate` and wrote the member's whole text to cert.pem:
a second block (a certificate for another key, which TLS stacks then present as a chain)
or text around the block went into the identity unverified.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import NameOID

from reference.pki import enroll as enroll_mod
from reference.pki.ca import CertificateAuthority, generate_key

ALIAS = "alice"


def _issuing_ca(
    monkeypatch: pytest.MonkeyPatch, ca: CertificateAuthority, wrap: Any
) -> list[bytes]:
    """CaClient answers from `ca` (the enrolment issued for real), its certificate text
    passed through `wrap`; the CRL is not served (enrolment does not need it)."""
    issued: list[bytes] = []

    def request(self: object, method: str, path: str, body: Any = None) -> object:
        if path != "/v1/enroll":
            return 404, {}, b'{"error": "not_found"}'
        cert = ca.enroll(body["alias"], body["csr"].encode())
        pem = cert.public_bytes(serialization.Encoding.PEM)
        issued.append(pem)
        return 200, {}, json.dumps({"certificate": wrap(pem.decode())}).encode()

    monkeypatch.setattr(enroll_mod.CaClient, "__init__", lambda self, *a, **k: None)
    monkeypatch.setattr(enroll_mod.CaClient, "request", request)
    return issued


def _other_certificate(ca: CertificateAuthority) -> str:
    """A root-issued certificate for another key (another enrolment of the alias)."""
    key = generate_key("ec")
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, ALIAS)]))
        .sign(key, hashes.SHA256())
    )
    cert = ca.enroll(ALIAS, csr.public_bytes(serialization.Encoding.PEM))
    return cert.public_bytes(serialization.Encoding.PEM).decode()


@pytest.mark.parametrize(
    "form", ["another-block-after", "the-root-after", "text-around", "crlf-lines"]
)
def test_cert_pem_is_the_verified_certificate_alone(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, form: str
) -> None:
    ca = CertificateAuthority.init(tmp_path / "ca")
    ca.add_user(ALIAS, "a password of some length")
    root_pem = ca.root_pem()
    wraps = {
        "another-block-after": lambda pem: pem + _other_certificate(ca),
        "the-root-after": lambda pem: pem + root_pem.decode(),
        "text-around": lambda pem: "issued by the org CA\n" + pem + "thanks\n",
        "crlf-lines": lambda pem: pem.replace("\n", "\r\n"),
    }
    issued = _issuing_ca(monkeypatch, ca, wraps[form])
    identity = enroll_mod.enroll(
        "https://127.0.0.1:1", root_pem, ALIAS, "a password of some length", tmp_path / "id"
    )
    stored = identity.cert.read_bytes()
    assert stored == issued[-1], f"cert.pem holds the answer's text, not the certificate ({form})"
    assert len(x509.load_pem_x509_certificates(stored)) == 1
    ca.close()
