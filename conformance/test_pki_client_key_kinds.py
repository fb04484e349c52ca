"""Client keys that are not PKI-CERT-1's keys are refused, whatever the TLS stack takes
(docs/SPEC.md §4.2 PKI-CERT-1, PKI-CERT-9; §4.1 PKI-TLS-9, PKI-TLS-10).

PKI-CERT-1: an employee key "is ECDSA on P-256 only (no P-384 or other curve) or RSA"
of at least 2048 bits; PKI-CERT-9: an endpoint MUST refuse "an RSA key shorter than 2048
bits or an EC key on a curve other than P-256 … whatever the TLS library's configured
security level would let through". test_pki_certs.py presents RSA-1024 and P-384; the
class of bug it leaves open is a key check written as a deny list or a rounded
boundary, which those two never reach:

- a deny list of the weak kinds ("refuse small RSA and non-P-256 ECDSA"): every other
  key type passes — Ed25519 and Ed448 (RFC 8410), which OpenSSL, Go and Java all
  verify, and whose TLS 1.3 schemes (`ed25519`, `ed448`) a responder that pins no
  signature algorithms offers in its CertificateRequest;
- a boundary judged in whole bytes (`(bits + 7) // 8 >= 256`, a modulus length read as
  its byte count) or on a rounded "2048-ish" size: an RSA modulus of 2047 bits passes
  (OpenSSL at security level 1, a distribution default, lets 80-bit keys through, so
  only the endpoint's own check refuses it);
- an allow list of "the NIST curves": P-521 beside P-256 (P-384 is test_pki_certs.py's).

Each certificate is otherwise a valid employee certificate of the suite's own alias
(issued by the root, SHA-256, PKI-CERT-1's extensions), presented at OpenSSL security
level 0 so that the suite's stack sends it: only the defect can be the reason to refuse.
The responder must refuse it as PKI-TLS-10 says — an alert in the handshake, or
`EROR auth_failed` / close_notify and the close before any request is answered. A
handshake that cannot complete because the responder offers no signature scheme for
the key (what a responder pinning PKI-TLS-9's list does) is such a refusal.

Fixtures (conformance/plugin.py): `target` (pki), `transcripts`, `tmp_path`. Lab mode
(the embedded run is one): the suite mints the certificates with the root.
"""

from __future__ import annotations

import functools
from pathlib import Path

import pytest
from Crypto.PublicKey import ECC

from conformance._wire_fixtures import TranscriptBook, lab_pki, suite_identity
from conformance.pki_channel import (
    HandshakeRefused,
    PkiChannel,
    client_context,
    close_bound,
    connect_pki,
    judge_responder_refusal,
)
from conformance.target import Target
from conformance.x509 import CertProfile, KeyPair, pem_decode, read_certificate


@functools.cache
def _rsa_2047() -> KeyPair:
    """One 2047-bit RSA key per process (its size, not its freshness, is the point)."""
    key = KeyPair.generate("rsa", rsa_bits=2047)
    assert key.key.size_in_bits() == 2047
    return key


def _key(kind: str) -> KeyPair:
    if kind == "rsa_2047_bits":
        return _rsa_2047()
    curve = {"ed25519": "Ed25519", "ed448": "Ed448", "p521": "P-521"}[kind]
    return KeyPair(ECC.generate(curve=curve))


def _suite_alias(target: Target, workdir: Path) -> str:
    cert, _key = suite_identity(target, workdir)
    return read_certificate(pem_decode(cert.read_text())).common_name or "suite"


@pytest.mark.req("PKI-CERT-9", "PKI-CERT-1", "PKI-TLS-10")
@pytest.mark.parametrize("kind", ["ed25519", "ed448", "rsa_2047_bits", "p521"])
def test_responder_refuses_a_client_key_of_another_kind(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, kind: str
) -> None:
    lab = lab_pki(target)
    assert target.root is not None
    cert = lab.root.issue(CertProfile(common_name=_suite_alias(target, tmp_path)), key=_key(kind))
    cert_path, key_path = cert.write(tmp_path, kind)
    ctx = client_context(target.root, cert_path, key_path, weak_allowed=True)
    result = connect_pki(
        target.host, target.port, ctx, name=f"pki with a {kind} client key (alias of the suite)"
    )
    transcripts.add(result.transcript if isinstance(result, HandshakeRefused) else result)
    assert isinstance(result, PkiChannel | HandshakeRefused)
    judge_responder_refusal(
        result,
        f"PKI-CERT-9: a client certificate whose key is {kind} (PKI-CERT-1 allows ECDSA "
        "P-256 and RSA of 2048 bits or more only), otherwise valid, with the suite's alias",
        request_name=target.files[0].name if target.files else "hello.txt",
        close_within=close_bound(target.limits.idle_timeout),
    )
