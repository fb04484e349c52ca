"""Profile pki-legacy: a signature the root's key cannot check is no signature (§7.1.3).

The responder answers RSCV only "when the SECE certificate carries a valid signature of
the organisation root" (LEG-PKI-FMT-4). test_legacy_pki0.py's and
test_legacy_pki0_signatures.py's forgeries are RSA PKCS#1 v1.5 signatures by another
key: every verifier answers them "invalid". A verifier answers three ways, though —
valid, invalid, and "cannot say" (OpenSSL's X509_verify returns 1, 0 or -1; Go's
CheckSignature a nil, rsa.ErrVerification or another error; Java's verify true, false or
an exception) — and a responder that refuses only on "invalid" (`if (X509_verify(...))`,
`errors.Is(err, rsa.ErrVerification)`, a `catch` that lets go on) fails open exactly when
the root's RSA key cannot check the signature at all. Here forgeries under the root's
full issuer name name a signature algorithm an RSA key cannot verify — ECDSA with
SHA-256 (a real ECDSA signature by another key), Ed25519, and an algorithm identifier no
library knows — and each must get no RSCV.
"""

from __future__ import annotations

import datetime

import pytest
from Crypto.Hash import SHA256
from Crypto.PublicKey import ECC
from Crypto.Signature import DSS, eddsa

from conformance.legacy import der, pki0
from conformance.legacy.embedded import LegacyPkiTarget
from conformance.legacy.stream import Closed, LegacyStream, TimedOut

pytestmark = pytest.mark.xdist_group("pki-legacy")


def _fail(ids: str, evidence: str) -> None:
    pytest.fail(f"{ids} violated: {evidence}", pytrace=False)


def _tlv(tag: int, content: bytes) -> bytes:
    n = len(content)
    length = (
        bytes([n])
        if n < 0x80
        else bytes([0x80 | ((n.bit_length() + 7) // 8)])
        + n.to_bytes((n.bit_length() + 7) // 8, "big")
    )
    return bytes([tag]) + length + content


def _sign_ecdsa(tbs: bytes) -> bytes:
    key = ECC.generate(curve="P-256")
    return DSS.new(key, "fips-186-3", encoding="der").sign(SHA256.new(tbs))


def _sign_ed25519(tbs: bytes) -> bytes:
    key = ECC.generate(curve="Ed25519")
    return eddsa.new(key, "rfc8032").sign(tbs)


def _sign_unknown(tbs: bytes) -> bytes:
    return SHA256.new(tbs).digest() * 8  # 256 bytes: an RSA-2048 signature's size


# name -> (AlgorithmIdentifier DER, signer): none of them an RSA signature.
ALGORITHMS = {
    # 1.2.840.10045.4.3.2, no parameters (RFC 5758)
    "ecdsa-with-SHA256": (_tlv(0x30, _tlv(0x06, bytes.fromhex("2a8648ce3d040302"))), _sign_ecdsa),
    # 1.3.101.112, no parameters (RFC 8410)
    "Ed25519": (_tlv(0x30, _tlv(0x06, bytes.fromhex("2b6570"))), _sign_ed25519),
    # 1.3.6.1.4.1.55555.1.1 (an arc no library assigns), NULL parameters
    "an unknown algorithm (1.3.6.1.4.1.55555.1.1)": (
        _tlv(0x30, _tlv(0x06, bytes.fromhex("2b0601040183b2030101")) + b"\x05\x00"),
        _sign_unknown,
    ),
}


def _forgery(root_pem: bytes, algorithm: str) -> bytes:
    """CN = mallory, the root's whole subject as issuer, an RSA subject key, signed under
    `algorithm` by a key that is not the root's."""
    identifier, sign = ALGORITHMS[algorithm]
    root = der.read_certificate(root_pem)
    now = datetime.datetime.now(datetime.UTC)
    utc = [
        _tlv(0x17, t.strftime("%y%m%d%H%M%SZ").encode())
        for t in (now - datetime.timedelta(minutes=5), now + datetime.timedelta(days=1))
    ]
    name = _tlv(
        0x30, _tlv(0x31, _tlv(0x30, _tlv(0x06, bytes.fromhex("550403")) + _tlv(0x0C, b"mallory")))
    )
    tbs = _tlv(
        0x30,
        _tlv(0xA0, _tlv(0x02, b"\x02"))
        + _tlv(0x02, (0x4C0FFEE2).to_bytes(4, "big"))
        + identifier
        + root.subject_name
        + _tlv(0x30, b"".join(utc))
        + name
        + pki0.suite_key(9).public_key().export_key("DER"),
    )
    signature = sign(tbs)
    return der.der_to_pem(_tlv(0x30, tbs + identifier + _tlv(0x03, b"\x00" + signature)))


@pytest.mark.req("LEG-PKI-FMT-4")
def test_a_signature_the_roots_key_cannot_check_gets_no_rscv(
    pki_legacy: LegacyPkiTarget, root_pem: bytes
) -> None:
    accepted = []
    for algorithm in ALGORITHMS:
        forged = _forgery(root_pem, algorithm)
        with LegacyStream(pki_legacy.host, pki_legacy.port, 10.0) as stream:
            stream.send(pki0.frame(b"SECE", forged))
            try:
                answer = pki0.read_frame(stream, lenient=[])
            except (Closed, TimedOut, ValueError):
                continue  # no RSCV: the refusal's form is test_legacy_pki0.py's business
        if answer.type == b"RSCV":
            accepted.append(algorithm)
    if accepted:
        _fail(
            "LEG-PKI-FMT-4 (RSCV only for a SECE certificate with a valid signature of the "
            "organisation root; otherwise RSCI)",
            "certificates with the root's issuer name (CN=mallory) whose signature the "
            "root's RSA key cannot check at all were answered RSCV, signed under "
            f"{', '.join(accepted)}: a verification that could not be made was taken "
            "for a valid one",
        )
