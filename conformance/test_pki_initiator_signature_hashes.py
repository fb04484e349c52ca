"""sft-pki/1 INITIATOR: SHA-256 is one hash, not a size or a family (docs/SPEC.md §4.2,
PKI-CERT-9).

PKI-CERT-9: an endpoint "MUST refuse a peer certificate whose algorithms or extensions are
not those of PKI-CERT-1: signed with a hash other than SHA-256 (e.g. SHA-1) ... whatever the
TLS library's configured security level would let through". The other initiator cases
present SHA-1 (which OpenSSL's default security level refuses by itself) and SHA-384 (which
a deny list of weak hashes or "any SHA-2" lets through). An initiator that checks the hash
by a property instead of by identity passes neither of those and still takes a hash the
SPEC rules out, which OpenSSL verifies without complaint:

- SHA-224: a SHA-2 hash at OpenSSL's security level 2 (112 bits), so a floor on strength
  ("at least 112 bits", "not SHA-1 or MD5") or a ceiling ("no longer than the P-256 order:
  ECDSA truncates the hash") takes it;
- SHA3-256 (slow run): a 256-bit digest, so a check on the digest's size ("a 256-bit
  hash") or on its name's digits takes it. OpenSSL 3.0 cannot verify an ECDSA-with-SHA3
  signature (3.2 can): a client on it refuses the certificate in its TLS handshake, as it
  must, so the case then passes whatever the client's own check;
- SHA-512 (slow run): the other side of the boundary, a stronger SHA-2 than SHA-384.

The class: a responder certificate, for exactly the alias the client asks for, issued and
signed by the organisation root, valid in every other respect, whose signature hash is not
SHA-256. The client must refuse it before any request (`judge_refusal`: non-zero exit,
nothing kept, no temporary left, no application frame but an optional `EROR auth_failed`,
PKI-TLS-7). When the suite's TLS stack cannot present such a certificate to the client
(the signature algorithm is unknown to it), the case is INCONCLUSIVE, as the SHA-384 case
of test_client_pki_cert_shapes.py.

Fixtures (conformance/plugin.py): `target` (pki, lab mode), `transcripts`, `tmp_path`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from Crypto.Hash import SHA3_256, SHA224, SHA512
from Crypto.Signature import DSS, pkcs1_15

from conformance._wire_fixtures import (
    honest_get_script,
    judge_refusal,
    lab_pki,
    require_reached,
    responder_alias,
    run_initiator,
)
from conformance.plugin import TranscriptBook, inconclusive
from conformance.target import Target
from conformance.x509 import (
    Certificate,
    CertificateAuthority,
    CertProfile,
    KeyPair,
    _now,
    _oid,
    _seq,
    _signed,
    _tbs_certificate,
)

__all__: list[str] = []

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("initiator")]

CONTENT = b"a responder certificate signed with another hash than SHA-256\n"

# hash name -> (hash module, ECDSA signature OID, RSA PKCS#1 v1.5 signature OID)
_HASHES: dict[str, tuple[Any, str, str]] = {
    # ecdsa-with-SHA3-256, id-rsassa-pkcs1-v1_5-with-sha3-256 (NIST CSOR)
    "sha3-256": (SHA3_256, "2.16.840.1.101.3.4.3.10", "2.16.840.1.101.3.4.3.14"),
    # ecdsa-with-SHA224, sha224WithRSAEncryption
    "sha224": (SHA224, "1.2.840.10045.4.3.1", "1.2.840.113549.1.1.14"),
    # ecdsa-with-SHA512, sha512WithRSAEncryption
    "sha512": (SHA512, "1.2.840.10045.4.3.4", "1.2.840.113549.1.1.13"),
}


@dataclass(frozen=True)
class _OtherHashSigner(KeyPair):
    """The root's key, signing with a hash the suite's x509 module does not name."""

    hash_name: str = "sha3-256"

    def algorithm(self, digest: Any = "sha256") -> bytes:
        _, ec_oid, rsa_oid = _HASHES[self.hash_name]
        if self.is_rsa:
            return _seq(_oid(rsa_oid), b"\x05\x00")
        return _seq(_oid(ec_oid))

    def sign(self, data: bytes, digest_name: Any = "sha256") -> bytes:
        digest = _HASHES[self.hash_name][0].new(data)
        if self.is_rsa:
            return bytes(pkcs1_15.new(self.key).sign(digest))
        return bytes(DSS.new(self.key, "deterministic-rfc6979", encoding="der").sign(digest))


def _issued_with(root: CertificateAuthority, alias: str, hash_name: str) -> Certificate:
    signer = _OtherHashSigner(root.key.key, hash_name)
    subject_key = KeyPair.generate()
    profile = CertProfile(common_name=alias)
    tbs, serial = _tbs_certificate(profile, subject_key, root.name_der, root.key_id, signer, _now())
    return Certificate(_signed(tbs, signer), subject_key, serial, alias)


_KINDS = [
    pytest.param("sha3-256", id="sha3-256-same-size", marks=pytest.mark.slow),
    pytest.param("sha224", id="sha224-weaker-sha2"),
    pytest.param("sha512", id="sha512-stronger-sha2", marks=pytest.mark.slow),
]


@pytest.mark.req("PKI-CERT-9")
@pytest.mark.parametrize("hash_name", _KINDS)
def test_initiator_refuses_a_certificate_signed_with_another_hash(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, hash_name: str
) -> None:
    alias = responder_alias(target)
    cert = _issued_with(lab_pki(target).root, alias, hash_name)
    run, hostile = run_initiator(
        target, tmp_path, transcripts, cert=cert, script=honest_get_script(CONTENT)
    )
    require_reached(run, hostile, request=False)
    ours = [
        e
        for e in hostile.handshake_errors
        if "no suitable signature algorithm" in e.lower() or "ee_key_too_small" in e.lower()
    ]
    if ours:
        inconclusive(
            f"the suite's responder could not present a certificate signed with {hash_name} "
            f"under the initiator's signature algorithms ({ours[0][:120]}): whether the "
            "initiator refuses it cannot be judged with this TLS stack"
        )
    judge_refusal(
        run,
        hostile,
        f"PKI-CERT-9: the responder's certificate (alias {alias!r}, issued by the root, valid "
        f"in every other respect) is signed with {hash_name}, not SHA-256",
    )
