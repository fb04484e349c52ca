"""sft-pki/1: the initiator under test refuses the responder certificates that only its
own checks can see (docs/SPEC.md §4.2), the mirror of test_pki_certs.py's responder kinds.

test_pki_certs.py presents these defects to the responder as client certificates
(OpenSSL lets them through, so only the endpoint's own checks refuse them); a case that
exists for one side must exist for the other wherever the requirement applies to both:
PKI-CERT-6 and PKI-CERT-9 say "an endpoint". Here the suite's hostile responder presents
them to the initiator under test, with the alias it asks for, so that only the defect can
be the reason to refuse:

- `ca_true_not_critical`: BasicConstraints CA:TRUE, not marked critical — a check that
  reads "refuse CA:TRUE when the extension is critical" (criticality and value mixed up)
  lets it through [PKI-CERT-6];
- `ca_true_no_cert_sign`: CA:TRUE without keyCertSign in the KeyUsage — OpenSSL's own
  CA test looks at the KeyUsage too [PKI-CERT-6];
- `key_agreement_usage`: a KeyUsage of keyAgreement alone, which OpenSSL's TLS purpose
  takes for digitalSignature [PKI-CERT-9].

Fixtures (conformance/plugin.py): `target` (pki), `transcripts`, `tmp_path`.
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

pytestmark = [pytest.mark.side("initiator")]

CONTENT = b"certificate tests, initiator side\n"

# The kinds of conformance/x509.py's lab that test_pki_certs.py presents to the responder
# only, and the requirement each refusal checks.
_SERVER_ONLY_OWN_CHECKS = {
    "ca_true_not_critical": ("PKI-CERT-6",),
    "ca_true_no_cert_sign": ("PKI-CERT-6",),
    "key_agreement_usage": ("PKI-CERT-9",),
}


@pytest.mark.parametrize(
    "kind",
    [
        pytest.param(k, marks=pytest.mark.req(*ids), id=k)
        for k, ids in _SERVER_ONLY_OWN_CHECKS.items()
    ],
)
def test_initiator_refuses_responder_certificate_only_its_own_checks_see(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, kind: str
) -> None:
    lab = lab_pki(target)
    # The right alias, so that only the certificate's defect can be the reason to refuse.
    cert = lab.bad(kind, alias=responder_alias(target))
    run, hostile = run_initiator(
        target, tmp_path, transcripts, cert=cert, script=honest_get_script(CONTENT)
    )
    require_reached(run, hostile, request=False)
    judge_refusal(
        run,
        hostile,
        f"{'/'.join(_SERVER_ONLY_OWN_CHECKS[kind])}: responder certificate {kind}",
    )
