"""sft-pki/1 certificate profile edges: one-branch-short leaf checks (docs/SPEC.md §4.2).

Belongs beside test_pki_certs.py (same lab-mode minting, same judges). That file tries
the CA:TRUE variants that OpenSSL and hand-written checks tell apart (CA:TRUE without
keyCertSign, a CA:TRUE that is not critical), the P-384 key and anyExtendedKeyUsage
alone on the responder only, "to keep the run short". An initiator whose own leaf check
skips a branch the responder's check has (its BasicConstraints test, its curve test, its
EKU test) is then never caught: a CA:TRUE leaf that also carries keyCertSign is refused
for its KeyUsage anyway, so only these variants isolate the branch. Each certificate
names the alias the initiator asks for, so that only its defect can be the reason to
refuse.

Both sides also get a certificate with no KeyUsage extension at all (otherwise valid):
it lacks digitalSignature (PKI-CERT-9). test_pki_certs.py's KeyUsage kinds all carry the
extension (keyEncipherment, keyAgreement), so a check that only runs "when the
extension is present" (OpenSSL's own rule: no KeyUsage means any usage) passes them
all. Fixtures (conformance/plugin.py): `target` (pki), `transcripts`, `tmp_path`.
"""

from __future__ import annotations

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
from conformance.x509 import Certificate, LabPKI, pem_decode, read_certificate

__all__: list[str] = []

pytestmark = pytest.mark.profile("pki")

CONTENT = b"certificate profile edges\n"

# Kinds of LabPKI.bad that test_pki_certs.py presents to the responder only.
_INITIATOR_KINDS = {
    "ca_true_no_cert_sign": ("PKI-CERT-6",),
    "ca_true_not_critical": ("PKI-CERT-6",),
    "p384_key": ("PKI-CERT-9",),
    "any_eku": ("PKI-CERT-5",),
    "no_key_usage": ("PKI-CERT-9",),
}


def _mint(lab: LabPKI, kind: str, alias: str) -> Certificate:
    if kind == "no_key_usage":
        return lab.employee(alias, key_usage=())
    return lab.bad(kind, alias=alias)


@pytest.mark.side("responder")
@pytest.mark.req("PKI-CERT-9", "ERR-3", "PKI-TLS-10")
def test_responder_refuses_client_certificate_without_key_usage(
    target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    lab = lab_pki(target)
    assert target.root is not None
    suite_cert, _key = suite_identity(target, tmp_path)
    alias = read_certificate(pem_decode(suite_cert.read_text())).common_name or "suite"
    cert, key = _mint(lab, "no_key_usage", alias).write(tmp_path, "no_key_usage")
    result = connect_pki(
        target.host,
        target.port,
        client_context(target.root, cert, key),
        name="pki with a client certificate without KeyUsage",
    )
    transcripts.add(result.transcript if isinstance(result, HandshakeRefused) else result)
    judge_responder_refusal(
        result,
        "PKI-CERT-9: client certificate without a KeyUsage extension (alias of the suite)",
        request_name=target.files[0].name if target.files else "hello.txt",
        close_within=close_bound(target.limits.idle_timeout),
    )


@pytest.mark.side("initiator")
@pytest.mark.parametrize(
    "kind",
    [pytest.param(k, marks=pytest.mark.req(*ids), id=k) for k, ids in _INITIATOR_KINDS.items()],
)
def test_initiator_refuses_responder_certificate_profile_edge(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, kind: str
) -> None:
    lab = lab_pki(target)
    cert = _mint(lab, kind, responder_alias(target))
    run, hostile = run_initiator(
        target, tmp_path, transcripts, cert=cert, script=honest_get_script(CONTENT)
    )
    require_reached(run, hostile, request=False)
    judge_refusal(run, hostile, f"{'/'.join(_INITIATOR_KINDS[kind])}: responder certificate {kind}")
