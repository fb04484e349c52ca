"""sft-pki/1: the root's signature decides, however it fails (docs/SPEC.md §4.2,
PKI-CERT-4, PKI-CERT-10).

"A certificate whose issuer DN and key identifier copy the root's but whose signature
does not verify with the root's key MUST be refused" [PKI-CERT-10]. The class of bug: a
verification whose *error* is taken as a pass. A verifier that refuses on "bad signature"
but logs and goes on when the verify call raises anything else — Java's
`cert.verify(rootKey)` throws `SignatureException` for a wrong signature but
`InvalidKeyException` when the signature's algorithm does not fit the root's key type;
Go's `CheckSignatureFrom` returns a different error for an algorithm mismatch; a
Python `try: ... except InvalidSignature` lets `ValueError` (an undecodable DER
signature) escape to a handler that logs it — accepts what the root never signed. A suite
that only presents a look-alike signed with a key of the root's own type, which every
library reports as a plain bad signature, lets such an endpoint through (found by planting
the mistake blind in pki7, a JSSE responder).

Each look-alike names the root as issuer, carries the root's key identifier as its
AuthorityKeyIdentifier, the alias the other side expects and a valid employee profile;
only its signature is wrong:

* `other-key-type`: signed by a key of the other type (RSA-2048 if the root's key is
  ECDSA P-256, P-256 if it is RSA), with SHA-256 — the algorithm fits no root key;
* `signature-garbage`: issued by the root itself, then its signature replaced by random
  bytes of the same length (for ECDSA: not even a DER `Ecdsa-Sig-Value`);
* `signature-truncated`: issued by the root, the signature's last byte dropped.

The responder must refuse each as a client certificate, the initiator each as the
responder's certificate, before any application frame is processed (PKI-TLS-10). Lab mode
(the root's key) is needed to mint them; without it the cases are skipped.

Fixtures (conformance/plugin.py): `target` (pki), `transcripts`, `tmp_path`.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from pathlib import Path

import pytest

from conformance._wire_fixtures import (
    TranscriptBook,
    honest_get_script,
    judge_refusal,
    lab_pki,
    require_reached,
    responder_alias,
    run_initiator,
    suite_identity,
)
from conformance.pki_channel import (
    HandshakeRefused,
    PkiChannel,
    client_context,
    close_bound,
    connect_pki,
    judge_responder_refusal,
)
from conformance.target import Target
from conformance.x509 import (
    Certificate,
    CertificateAuthority,
    CertProfile,
    KeyPair,
    LabPKI,
    _children,
    _prim,
    _seq,
    _split,
    pem_decode,
    read_certificate,
)

CONTENT = b"impostor signer tests\n"


def _other_key_type(lab: LabPKI, alias: str) -> Certificate:
    """Issued in the root's name (DN and key identifier) by a key of the other type."""
    root = lab.root
    key = KeyPair.generate("ec" if root.key.is_rsa else "rsa")
    impostor = CertificateAuthority(
        Certificate(root.certificate.der, key, root.certificate.serial, "impostor"),
        root.name_der,
        root.key_id,
    )
    return impostor.issue(CertProfile(common_name=alias))


def _with_signature(cert: Certificate, change: Callable[[bytes], bytes]) -> Certificate:
    """`cert` with its signature (the BIT STRING after the algorithm) replaced."""
    tbs, algorithm, bit_string = _children(_split(cert.der)[1])
    signature = _split(bit_string)[1][1:]  # skip the unused-bits octet
    der = _seq(tbs, algorithm, _prim(0x03, b"\x00" + change(signature)))
    return Certificate(der, cert.key, cert.serial, cert.common_name)


def _garbage(lab: LabPKI, alias: str) -> Certificate:
    return _with_signature(lab.employee(alias), lambda sig: secrets.token_bytes(len(sig)))


def _truncated(lab: LabPKI, alias: str) -> Certificate:
    return _with_signature(lab.employee(alias), lambda sig: sig[:-1])


_KINDS: dict[str, Callable[[LabPKI, str], Certificate]] = {
    "other-key-type": _other_key_type,
    "signature-garbage": _garbage,
    "signature-truncated": _truncated,
}


def _suite_alias(target: Target, workdir: Path) -> str:
    """The alias the responder serves the suite under (its allow list may name only it)."""
    cert, _key = suite_identity(target, workdir)
    return read_certificate(pem_decode(cert.read_text())).common_name or "suite"


def _record(transcripts: TranscriptBook, result: PkiChannel | HandshakeRefused) -> None:
    transcripts.add(result.transcript if isinstance(result, HandshakeRefused) else result)


@pytest.mark.req("PKI-CERT-10", "PKI-CERT-4", "PKI-TLS-10")
@pytest.mark.parametrize("kind", sorted(_KINDS))
def test_responder_refuses_a_client_certificate_the_root_did_not_sign(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, kind: str
) -> None:
    lab = lab_pki(target)
    assert target.root is not None
    cert = _KINDS[kind](lab, _suite_alias(target, tmp_path))
    cert_path, key_path = cert.write(tmp_path, kind)
    ctx = client_context(target.root, cert_path, key_path)
    result = connect_pki(target.host, target.port, ctx, name=f"pki with {kind} client certificate")
    _record(transcripts, result)
    judge_responder_refusal(
        result,
        f"PKI-CERT-10: a client certificate in the root's name (DN and key identifier) "
        f"whose signature is not the root's ({kind})",
        request_name=target.files[0].name if target.files else "hello.txt",
        close_within=close_bound(target.limits.idle_timeout),
    )


@pytest.mark.req("PKI-CERT-10", "PKI-CERT-4")
@pytest.mark.parametrize("kind", sorted(_KINDS))
def test_initiator_refuses_a_responder_certificate_the_root_did_not_sign(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, kind: str
) -> None:
    lab = lab_pki(target)
    # The alias the initiator asks for: only the signature can be the reason to refuse.
    cert = _KINDS[kind](lab, responder_alias(target))
    run, hostile = run_initiator(
        target, tmp_path, transcripts, cert=cert, script=honest_get_script(CONTENT)
    )
    require_reached(run, hostile, request=False)
    judge_refusal(
        run,
        hostile,
        f"PKI-CERT-10: a responder certificate in the root's name whose signature is not "
        f"the root's ({kind})",
    )
