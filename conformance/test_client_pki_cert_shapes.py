"""sft-pki/1 INITIATOR: responder certificates whose defect hides in a shape the other
initiator cases do not try (docs/SPEC.md PKI-CERT-6, PKI-CERT-9, PKI-ID-4).

The suite plays a responder presenting, for exactly the alias the client asks for, a
root-issued certificate that is valid in every other respect; the client must refuse it
before any request (judge_refusal: non-zero exit, nothing kept, no frame but an optional
`EROR auth_failed`):

- [PKI-CERT-6] CA:TRUE with a path length constraint of 0, critical, with or without
  keyCertSign beside digitalSignature. "pathlen 0 can issue nothing, so it is a leaf" is
  the misreading: PKI-CERT-6 refuses every CA:TRUE, whatever its pathlen (the other
  cases try CA:TRUE without a pathlen, not critical, without keyCertSign);
- [PKI-CERT-9] an RSA-2048 key in a certificate the root signed with SHA-384: the hash
  rule (SHA-256 only) holds for every key kind. An initiator whose hash check sits in its
  ECDSA branch, or that judges RSA certificates by key size alone, accepts it (the other
  cases try SHA-384 on an EC certificate). When the suite's TLS stack cannot present it
  under the client's signature algorithms the case is INCONCLUSIVE, as in test_pki_certs.py;
- [PKI-ID-4] a subject of two CN RDNs that are both the alias: "more than one" CN MUST
  be refused, even when they agree. An
  initiator that gathers the CNs into a set, or compares each with the alias, takes it.

Fixtures (conformance/plugin.py): `target` (pki, lab mode), `transcripts`, `tmp_path`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

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
from conformance.x509 import CertProfile, KeyPair

__all__: list[str] = []

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("initiator")]

CONTENT = b"initiator certificate shapes\n"

_PATHLEN_ZERO = {
    "ca_true_pathlen0_cert_sign": ("digitalSignature", "keyCertSign"),
    "ca_true_pathlen0_digital_signature": ("digitalSignature",),
}


@pytest.mark.req("PKI-CERT-6")
@pytest.mark.parametrize("kind", sorted(_PATHLEN_ZERO))
def test_initiator_refuses_ca_true_with_pathlen_zero(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, kind: str
) -> None:
    cert = lab_pki(target).employee(
        responder_alias(target), ca=True, path_len=0, key_usage=_PATHLEN_ZERO[kind]
    )
    run, hostile = run_initiator(
        target, tmp_path, transcripts, cert=cert, script=honest_get_script(CONTENT)
    )
    require_reached(run, hostile, request=False)
    judge_refusal(
        run,
        hostile,
        f"PKI-CERT-6: responder certificate with CA:TRUE, pathlen 0, critical ({kind})",
    )


@pytest.mark.req("PKI-CERT-9")
def test_initiator_refuses_an_rsa_certificate_signed_with_sha384(
    target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    lab = lab_pki(target)
    cert = lab.root.issue(
        CertProfile(common_name=responder_alias(target), signature_hash="sha384"),
        key=KeyPair.generate("rsa", rsa_bits=2048),
    )
    run, hostile = run_initiator(
        target, tmp_path, transcripts, cert=cert, script=honest_get_script(CONTENT)
    )
    require_reached(run, hostile, request=False)
    ours = [e for e in hostile.handshake_errors if "no suitable signature algorithm" in e.lower()]
    if ours:
        inconclusive(
            "the suite's responder could not present an RSA certificate signed with SHA-384 "
            f"under the initiator's signature algorithms ({ours[0][:120]}): whether the "
            "initiator refuses it cannot be judged with this TLS stack"
        )
    judge_refusal(
        run, hostile, "PKI-CERT-9: responder certificate with an RSA-2048 key, signed SHA-384"
    )


@pytest.mark.req("PKI-ID-4")
def test_initiator_refuses_a_subject_with_the_alias_twice(
    target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    alias = responder_alias(target)
    cert = lab_pki(target).employee(alias, subject_cns=(alias, alias))
    run, hostile = run_initiator(
        target, tmp_path, transcripts, cert=cert, script=honest_get_script(CONTENT)
    )
    require_reached(run, hostile, request=False)
    judge_refusal(
        run,
        hostile,
        f"PKI-ID-4: the responder's subject holds two CN attributes, both {alias!r} "
        "(more than one CN MUST be refused, even when they agree)",
    )
