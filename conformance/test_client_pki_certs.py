"""sft-pki/1: the initiator under test refuses the responder certificates that only its
own checks can see (docs/SPEC.md §4.2), the mirror of test_pki_certs.py's responder kinds;
and the responder refuses a client certificate without KeyUsage.

test_pki_certs.py presents these defects to the responder as client certificates (or, to
keep its run short, to the responder only); a case that exists for one side must exist for
the other wherever the requirement applies to both: PKI-CERT-5, -6 and -9 say "an
endpoint". Here the suite's hostile responder presents them to the initiator under test,
each with the alias it asks for, so that only the defect can be the reason to refuse. An
initiator whose own leaf check skips a branch the responder's check has (its
BasicConstraints test, its curve test, its EKU test) is caught only by a certificate that
isolates that branch:

- `ca_true_not_critical`: BasicConstraints CA:TRUE, not marked critical — a check that
  reads "refuse CA:TRUE when the extension is critical" lets it through [PKI-CERT-6];
- `ca_true_no_cert_sign`: CA:TRUE without keyCertSign in the KeyUsage — OpenSSL's own
  CA test looks at the KeyUsage too [PKI-CERT-6];
- `ca_true_sign_only` / `ca_true_sign_only_not_critical`: CA:TRUE (critical or not) with
  KeyUsage digitalSignature alone: test_pki_certs.py's `ca_true` also carries
  keyCertSign, so an initiator that refuses "a KeyUsage other than digitalSignature"
  refuses it there whatever its BasicConstraints check does [PKI-CERT-6];
- `key_agreement_usage`: a KeyUsage of keyAgreement alone, which OpenSSL's TLS purpose
  takes for digitalSignature [PKI-CERT-9];
- `p384_key`: a P-384 key where P-256 is the only curve [PKI-CERT-9];
- `any_eku`: anyExtendedKeyUsage alone, no serverAuth [PKI-CERT-5];
- `no_key_usage`: no KeyUsage extension at all — it lacks digitalSignature; a check that
  runs only "when the extension is present" (OpenSSL's rule: no KeyUsage, any usage)
  passes test_pki_certs.py's KeyUsage kinds, which all carry the extension [PKI-CERT-9].
  The responder gets this one too, as a client certificate.

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

pytestmark = [pytest.mark.profile("pki")]

CONTENT = b"certificate tests, initiator side\n"

# Kinds test_pki_certs.py presents to the responder only, and the requirement each
# refusal checks.
_INITIATOR_KINDS = {
    "ca_true_not_critical": ("PKI-CERT-6",),
    "ca_true_no_cert_sign": ("PKI-CERT-6",),
    "ca_true_sign_only": ("PKI-CERT-6",),
    "ca_true_sign_only_not_critical": ("PKI-CERT-6",),
    "key_agreement_usage": ("PKI-CERT-9",),
    "p384_key": ("PKI-CERT-9",),
    "any_eku": ("PKI-CERT-5",),
    "no_key_usage": ("PKI-CERT-9",),
}


def _mint(lab: LabPKI, kind: str, alias: str) -> Certificate:
    if kind == "no_key_usage":
        return lab.employee(alias, key_usage=())
    if kind.startswith("ca_true_sign_only"):
        # digitalSignature alone: only BasicConstraints CA:TRUE is wrong.
        critical = not kind.endswith("not_critical")
        return lab.employee(alias, ca=True, basic_constraints_critical=critical)
    return lab.bad(kind, alias=alias)


@pytest.mark.side("initiator")
@pytest.mark.parametrize(
    "kind",
    [pytest.param(k, marks=pytest.mark.req(*ids), id=k) for k, ids in _INITIATOR_KINDS.items()],
)
def test_initiator_refuses_responder_certificate_only_its_own_checks_see(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, kind: str
) -> None:
    lab = lab_pki(target)
    # The right alias, so that only the certificate's defect can be the reason to refuse.
    cert = _mint(lab, kind, responder_alias(target))
    run, hostile = run_initiator(
        target, tmp_path, transcripts, cert=cert, script=honest_get_script(CONTENT)
    )
    require_reached(run, hostile, request=False)
    judge_refusal(run, hostile, f"{'/'.join(_INITIATOR_KINDS[kind])}: responder certificate {kind}")


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
