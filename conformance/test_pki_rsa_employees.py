"""An employee whose key is RSA is an employee (docs/SPEC.md §4.2 PKI-CERT-1/9, PKI-TLS-9).

PKI-CERT-1 allows an employee key that is ECDSA P-256 *or* RSA of 2048 bits or more, and
PKI-TLS-9 lists `rsa_pss_rsae_sha256/384/512` for its CertificateVerify. PKI-CERT-9's
"an RSA key shorter than 2048 bits" is what a responder MUST refuse; a key of 2048 bits
or more is no departure from PKI-CERT-1, so refusing it is not among the choices
PKI-CERT-9 leaves open. The class of bug: hardening past the SPEC ("EC only": signature
algorithms pinned to ECDSA, an RSA key refused outright) or a boundary misread ("at
least 2048" as "more than 2048"). The other certificate cases present EC keys only.

Fixtures (conformance/plugin.py): `target` (pki), `transcripts`, `tmp_path`. Lab mode
(the embedded run is one): the suite mints the employee certificates with the root.

The converse: an RSA key is no exemption from the other checks. A responder whose
certificate checks branch on the key type may return early for RSA ("RSA of 2048 bits
or more: nothing else to check") and skip what comes after the branch — the signature
hash, BasicConstraints, KeyUsage, EKU. Each departure OpenSSL lets through is minted
with an RSA-2048 key and must be refused as it is with an EC key (test_pki_certs.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance._wire_fixtures import (
    TranscriptBook,
    get_file,
    known_file,
    lab_pki,
    suite_identity,
)
from conformance.pki_channel import (
    HandshakeRefused,
    client_context,
    close_bound,
    connect_pki,
    judge_responder_refusal,
)
from conformance.target import Target
from conformance.wire import ConformanceFailure
from conformance.x509 import CertProfile, KeyPair, pem_decode, read_certificate


@pytest.mark.req("PKI-CERT-1", "PKI-CERT-9", "PKI-TLS-9")
@pytest.mark.parametrize("bits", [2048, 3072])
def test_responder_serves_an_employee_with_an_rsa_key(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, bits: int
) -> None:
    """A valid employee certificate (the suite's alias, issued by the root, SHA-256,
    PKI-CERT-1's extensions) whose key is RSA-`bits`: the handshake completes (an
    rsa_pss_rsae CertificateVerify) and a get of a known file is served."""
    lab = lab_pki(target)
    assert target.root is not None
    suite_cert, _key = suite_identity(target, tmp_path)
    alias = read_certificate(pem_decode(suite_cert.read_text())).common_name or "suite"
    minted = lab.root.issue(
        CertProfile(common_name=alias), key=KeyPair.generate("rsa", rsa_bits=bits)
    )
    cert, key = minted.write(tmp_path, f"rsa{bits}")
    ctx = client_context(target.root, cert, key)
    result = connect_pki(target.host, target.port, ctx, name=f"pki with an RSA-{bits} employee")
    transcripts.add(result.transcript if isinstance(result, HandshakeRefused) else result)
    if isinstance(result, HandshakeRefused):
        raise ConformanceFailure.evidence(
            f"PKI-CERT-1: a valid employee certificate of {alias!r} with an RSA-{bits} key",
            "the handshake completes: RSA of 2048 bits or more is an employee key",
            f"handshake refused: {result.describe()}",
        )
    try:
        file = known_file(target)
        try:
            get_file(result, file.name)
        except ConformanceFailure as exc:
            raise ConformanceFailure.evidence(
                f"PKI-CERT-1: a valid employee certificate of {alias!r} with an RSA-{bits} "
                f"key, then RQFL {file.name!r}",
                "the get is served",
                str(exc)[:600],
            ) from None
    finally:
        result.close()


# Departures of PKI-CERT-1 that only the endpoint's own checks see (OpenSSL lets them
# through), minted with an RSA-2048 key: CertProfile changes and what their refusal checks.
_RSA_DEPARTURES: dict[str, tuple[dict[str, object], tuple[str, ...]]] = {
    # The root's signature with SHA-384: strong, but not SHA-256.
    "sha384_signature": ({"signature_hash": "sha384"}, ("PKI-CERT-9",)),
    "no_basic_constraints": ({"basic_constraints": False}, ("PKI-CERT-9",)),
    "key_agreement_usage": ({"key_usage": ("keyAgreement",)}, ("PKI-CERT-9",)),
    "no_eku": ({"eku": None}, ("PKI-CERT-5",)),
    "ca_true": (
        {"ca": True, "key_usage": ("digitalSignature", "keyCertSign")},
        ("PKI-CERT-6",),
    ),
}


@pytest.mark.parametrize(
    "kind",
    [
        pytest.param(k, marks=pytest.mark.req(*ids, "PKI-TLS-10"), id=k)
        for k, (_changes, ids) in _RSA_DEPARTURES.items()
    ],
)
def test_responder_refuses_rsa_employee_certificate_departures(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, kind: str
) -> None:
    """An employee certificate of the suite's alias with an RSA-2048 key and one
    departure from PKI-CERT-1 (`kind`): refused in the handshake, or at once after it,
    never served."""
    lab = lab_pki(target)
    assert target.root is not None
    changes, ids = _RSA_DEPARTURES[kind]
    suite_cert, _key = suite_identity(target, tmp_path)
    alias = read_certificate(pem_decode(suite_cert.read_text())).common_name or "suite"
    minted = lab.root.issue(
        CertProfile(common_name=alias, **changes),  # type: ignore[arg-type]
        key=KeyPair.generate("rsa", rsa_bits=2048),
    )
    cert, key = minted.write(tmp_path, f"rsa-{kind}")
    result = connect_pki(
        target.host,
        target.port,
        client_context(target.root, cert, key),
        name=f"pki RSA-2048 {kind}",
    )
    transcripts.add(result.transcript if isinstance(result, HandshakeRefused) else result)
    try:
        judge_responder_refusal(
            result,
            f"{'/'.join(ids)}: an RSA-2048 client certificate of {alias!r}, {kind}",
            request_name=known_file(target).name,
            close_within=close_bound(target.limits.idle_timeout),
        )
    finally:
        if not isinstance(result, HandshakeRefused):
            result.close()
