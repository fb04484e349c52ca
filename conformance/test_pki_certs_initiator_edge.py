"""The initiator's own CA:TRUE check (docs/SPEC.md PKI-CERT-6); belongs beside
test_pki_certs.py (`test_initiator_refuses_bad_responder_certificate`).

test_pki_certs.py's `ca_true` responder certificate carries KeyUsage digitalSignature
AND keyCertSign: an initiator that refuses "a KeyUsage other than digitalSignature"
(PKI-CERT-1) refuses it there whatever its BasicConstraints check does, so a missing or
skipped CA:TRUE check on the initiator's side goes unseen. The responder's side already
has the variants OpenSSL lets through (`ca_true_no_cert_sign`, `ca_true_not_critical`);
here the initiator gets them: a responder certificate with the right alias, the right
EKU and KeyUsage digitalSignature alone, whose only defect is BasicConstraints CA:TRUE
(critical, or not). The initiator under test must refuse it before sending any
application frame.

Fixtures (conformance/plugin.py): `target` (pki, lab mode), `transcripts`, `tmp_path`.
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
)
from conformance.target import Target

__all__: list[str] = []

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("initiator")]

CONTENT = b"certificate tests\n"


@pytest.mark.req("PKI-CERT-6")
@pytest.mark.parametrize("kind", ["ca_true_no_cert_sign", "ca_true_not_critical"])
def test_initiator_refuses_a_ca_true_responder_certificate_only_basic_constraints_betray(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, kind: str
) -> None:
    lab = lab_pki(target)
    if kind == "ca_true_not_critical":
        # digitalSignature alone: only BasicConstraints CA:TRUE is wrong.
        cert = lab.employee(responder_alias(target), ca=True, basic_constraints_critical=False)
    else:
        cert = lab.bad(kind, alias=responder_alias(target))
    run, hostile = run_initiator(
        target, tmp_path, transcripts, cert=cert, script=honest_get_script(CONTENT)
    )
    require_reached(run, hostile, request=False)
    judge_refusal(
        run,
        hostile,
        f"PKI-CERT-6: responder certificate with BasicConstraints CA:TRUE ({kind}), KeyUsage "
        "digitalSignature only, the right alias and EKU",
    )
