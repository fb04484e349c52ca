"""sft-pki/1: the certificate judged is the one the handshake proved, never another element
of the chain (docs/SPEC.md §4.2 PKI-CERT-3, PKI-CERT-4, PKI-CERT-10; §4.1 PKI-TLS-10).

TLS proves possession of the key of the FIRST certificate of the peer's chain (its
CertificateVerify); the peer's chain "MUST be exactly the employee certificate issued
directly by the organisation root" [PKI-CERT-10]. Employee certificates are public: anyone
can append a genuine one to a chain whose first certificate is their own. The class of bug
(lens 4 of round 17, a certificate check made on the wrong certificate of a chain): an
endpoint that verifies by hand (a `VerifyPeerCertificate` callback, a custom
`X509TrustManager`, a `verify_callback`) and looks for "the certificate the root issued"
anywhere in the chain — "some stacks send it root-first" — or checks the last element, or
every element until one passes, then takes the alias from the first: an impostor with a
self-signed certificate naming any alias and someone's public certificate is let in.

Each chain below starts with a certificate the endpoint MUST refuse, whose key the suite
holds and whose CN is the alias the other side expects, followed by a genuine employee
certificate of that same alias, freshly issued by the root (lab mode: the root's key is
needed to mint it; without it the cases are skipped):

* `self-signed`: the first certificate signs itself [PKI-CERT-4];
* `foreign-ca`: the first certificate is issued by another CA [PKI-CERT-4];
* `expired`: the first certificate is the root's, but expired [PKI-CERT-3].

The responder must refuse each as a client chain, the initiator each as the responder's
chain, before any application frame is processed (PKI-TLS-10).

Fixtures (conformance/plugin.py): `target` (pki), `transcripts`, `tmp_path`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
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
    client_context,
    close_bound,
    connect_pki,
    judge_responder_refusal,
)
from conformance.target import Target
from conformance.wire import ConformanceFailure
from conformance.x509 import Certificate, LabPKI, pem_decode, read_certificate

CONTENT = b"chain tail tests\n"

# kind -> (the refused first certificate for an alias, the requirement it breaks)
_FIRST: dict[str, tuple[Callable[[LabPKI, str], Certificate], str]] = {
    "self-signed": (lambda lab, alias: lab.bad("self_signed", alias), "PKI-CERT-4"),
    "foreign-ca": (lambda lab, alias: lab.bad("foreign_ca", alias), "PKI-CERT-4"),
    "expired": (lambda lab, alias: lab.bad("expired", alias), "PKI-CERT-3"),
}


def _chain(lab: LabPKI, alias: str, kind: str) -> Certificate:
    """The refused certificate (its key held by the suite), then a genuine one of `alias`."""
    make, _requirement = _FIRST[kind]
    first = make(lab, alias)
    genuine = lab.employee(alias)
    return replace(first, chain=(*first.chain, genuine.pem))


def _violates(failure: ConformanceFailure, kind: str) -> ConformanceFailure:
    failure.violates = (_FIRST[kind][1], "PKI-CERT-10")
    return failure


@pytest.mark.req("PKI-CERT-4", "PKI-CERT-3", "PKI-CERT-10", "PKI-TLS-10")
@pytest.mark.parametrize("kind", list(_FIRST))
def test_responder_judges_the_first_certificate_of_a_client_chain(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, kind: str
) -> None:
    lab = lab_pki(target)
    assert target.root is not None
    cert_path, _key = suite_identity(target, tmp_path)
    alias = read_certificate(pem_decode(cert_path.read_text())).common_name or "suite"
    cert_path, key_path = _chain(lab, alias, kind).write(tmp_path, f"chain-{kind}")
    ctx = client_context(target.root, cert_path, key_path)
    result = connect_pki(
        target.host, target.port, ctx, name=f"pki with a {kind} client certificate first"
    )
    transcripts.add(result.transcript if isinstance(result, HandshakeRefused) else result)
    try:
        judge_responder_refusal(
            result,
            f"a client chain whose first certificate ({kind}, CN {alias!r}, key held by the "
            f"suite) is followed by a genuine employee certificate of {alias!r}",
            request_name=target.files[0].name if target.files else "hello.txt",
            close_within=close_bound(target.limits.idle_timeout),
        )
    except ConformanceFailure as failure:
        raise _violates(failure, kind) from None


@pytest.mark.req("PKI-CERT-4", "PKI-CERT-3", "PKI-CERT-10")
@pytest.mark.parametrize("kind", list(_FIRST))
def test_initiator_judges_the_first_certificate_of_a_responder_chain(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, kind: str
) -> None:
    lab = lab_pki(target)
    alias = responder_alias(target)
    run, hostile = run_initiator(
        target, tmp_path, transcripts, cert=_chain(lab, alias, kind),
        script=honest_get_script(CONTENT),
    )  # fmt: skip
    require_reached(run, hostile, request=False)
    try:
        judge_refusal(
            run,
            hostile,
            f"a responder chain whose first certificate ({kind}, CN {alias!r}) is followed by "
            f"a genuine employee certificate of {alias!r}",
        )
    except ConformanceFailure as failure:
        raise _violates(failure, kind) from None
