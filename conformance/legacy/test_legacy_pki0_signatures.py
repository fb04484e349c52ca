"""Profile pki-legacy: the root's signature, whatever algorithm a forgery names (§7.1.3).

The responder answers RSCV only "when the SECE certificate carries a valid signature of
the organisation root" (LEG-PKI-FMT-4). test_legacy_pki0.py's forgeries are signed with
SHA-256 and RSA PKCS#1 v1.5, the algorithm the root uses. A responder that switches on
the certificate's signature algorithm — checks sha256WithRSAEncryption, refuses the
weak ones it knows (SHA-1, MD5), and lets every other through unchecked — passes them.
Here forgeries under the root's full issuer name, signed by a key that is not the root's,
name the other RSA PKCS#1 v1.5 algorithms (SHA-384, SHA-512, SHA-224, SHA-1): each must
get RSCI (a faithful responder's verifier either checks them or refuses them).
"""

from __future__ import annotations

import datetime

import pytest
from Crypto.Hash import SHA1, SHA224, SHA384, SHA512
from Crypto.PublicKey import RSA
from Crypto.Signature import pkcs1_15

from conformance.legacy import der, pki0
from conformance.legacy.embedded import LegacyPkiTarget
from conformance.legacy.stream import Closed, LegacyStream, TimedOut

pytestmark = pytest.mark.xdist_group("pki-legacy")

# name -> (signatureAlgorithm OID, hash module): RSA PKCS#1 v1.5 (RFC 4055, RFC 3279).
ALGORITHMS = {
    "sha384WithRSAEncryption": ("2a864886f70d01010c", SHA384),
    "sha512WithRSAEncryption": ("2a864886f70d01010d", SHA512),
    "sha224WithRSAEncryption": ("2a864886f70d01010e", SHA224),
    "sha1WithRSAEncryption": ("2a864886f70d010105", SHA1),
}


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


def _forgery(root_pem: bytes, algorithm: str, key: RSA.RsaKey) -> bytes:
    """CN = mallory, the root's whole subject as issuer, signed by `key` (not the root's)
    under `algorithm`."""
    oid, hash_module = ALGORITHMS[algorithm]
    root = der.read_certificate(root_pem)
    now = datetime.datetime.now(datetime.UTC)
    utc = [
        _tlv(0x17, t.strftime("%y%m%d%H%M%SZ").encode())
        for t in (now - datetime.timedelta(minutes=5), now + datetime.timedelta(days=1))
    ]
    name = _tlv(
        0x30, _tlv(0x31, _tlv(0x30, _tlv(0x06, bytes.fromhex("550403")) + _tlv(0x0C, b"mallory")))
    )
    signature_algorithm = _tlv(0x30, _tlv(0x06, bytes.fromhex(oid)) + b"\x05\x00")
    tbs = _tlv(
        0x30,
        _tlv(0xA0, _tlv(0x02, b"\x02"))
        + _tlv(0x02, (0x4C0FFEE1).to_bytes(4, "big"))
        + signature_algorithm
        + root.subject_name
        + _tlv(0x30, b"".join(utc))
        + name
        + key.public_key().export_key("DER"),
    )
    signature = pkcs1_15.new(key).sign(hash_module.new(tbs))
    return der.der_to_pem(_tlv(0x30, tbs + signature_algorithm + _tlv(0x03, b"\x00" + signature)))


@pytest.mark.req("LEG-PKI-FMT-4")
def test_a_forgery_under_another_signature_algorithm_gets_rsci(
    pki_legacy: LegacyPkiTarget, root_pem: bytes
) -> None:
    key = pki0.suite_key(9)
    accepted = []
    for algorithm in ALGORITHMS:
        forged = _forgery(root_pem, algorithm, key)
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
            "certificates with the root's issuer name but signed by another key (CN=mallory) "
            f"were answered RSCV when they name {', '.join(accepted)} as their signature "
            "algorithm",
        )
