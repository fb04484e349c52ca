"""sft-pki/1: the ENROLMENT client under test keeps a certificate for its own key only when
the certificate NAMES its alias and the organisation ROOT signed it — an absent name is
no match, and a signer the client trusts for something else is no root (docs/SPEC.md
§4.4 CA-ENR-12, PKI-ID-4's single-CN rule, PKI-CERT-10). Same hostile CA on
`https://localhost:PORT` and same `enroll_cmd` as test_enroll_client.py (whose harness
this file reuses); every answer is a `200 {"certificate": PEM}` holding the CSR's OWN key,
valid dates and the employee extensions, so a client that checks only the key keeps it.

Absent, not wrong (test_enroll_answer_subject_exact.py has the near misses of a CN that
is there):

- `no_subject`: an empty subject, no attribute at all;
- `organisation_only`: the subject `O=<alias>`, no CN.

A client that compares the CN "when there is one" (`if names and names != [alias]`, a
nullable field left null, Go's zero value of an empty list) keeps them. CA-ENR-12 says it:
no CN, or several, fails the enrolment as in PKI-ID-4.

Signed by a certificate of the organisation that is not the root:

- `ca_tls_key`: signed by the key of the CA's own TLS certificate (the one the client has
  just verified for `localhost`), its issuer name that certificate's subject;
- `employee_key`: signed by the key of another employee's root-issued certificate.

A client that accepts "issued by the CA we talk to", or that verifies the answer against
the chain its TLS stack built or any certificate it holds, keeps them. The certificate
MUST verify with the organisation root itself (CA-ENR-12; a chain through any other
certificate breaks the root's pathlen 0, PKI-CERT-10).

Each MUST fail the enrolment (non-zero exit) [CA-ENR-12].

Fixtures (conformance/plugin.py): `target` (pki, lab mode), `tmp_path`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from conformance._wire_fixtures import lab_pki
from conformance.plugin import inconclusive
from conformance.target import Target
from conformance.test_enroll_client import (
    ALIAS,
    Answer,
    _ca_certificate,
    _fail,
    _issued_for_key,
    _run,
)
from conformance.x509 import Certificate, CertificateAuthority, CertProfile, LabPKI

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("initiator")]


def _signer(cert: Certificate) -> CertificateAuthority:
    """`cert` and its key as an issuer (its subject as the issuer name, its SKI as AKI)."""
    return CertificateAuthority.load(cert.pem, cert.key.private_pem())


# kind: (what the answer is, how it is made from the lab and the CA's TLS certificate)
_ANSWERS: dict[str, tuple[str, Callable[[LabPKI, Certificate], Answer]]] = {
    "no_subject": (
        "a root-issued certificate with an empty subject (no CN)",
        lambda lab, _ca: _issued_for_key(
            lambda alias, key: lab.root.issue(
                CertProfile(common_name=alias, subject_cns=()), key=key
            )
        ),
    ),
    "organisation_only": (
        "a root-issued certificate whose subject is O=<alias>, without CN",
        lambda lab, _ca: _issued_for_key(
            lambda alias, key: lab.root.issue(
                CertProfile(common_name=alias, organisation=alias, subject_cns=()), key=key
            )
        ),
    ),
    "ca_tls_key": (
        "a certificate naming the alias, signed by the key of the CA's own TLS certificate",
        lambda _lab, ca: _issued_for_key(
            lambda alias, key: _signer(ca).issue(CertProfile(common_name=alias), key=key)
        ),
    ),
    "employee_key": (
        "a certificate naming the alias, signed by the key of another employee's "
        "root-issued certificate",
        lambda lab, _ca: _issued_for_key(
            lambda alias, key: _signer(lab.employee(f"x{alias}"[:64])).issue(
                CertProfile(common_name=alias), key=key
            )
        ),
    ),
}


@pytest.mark.req("CA-ENR-12")
@pytest.mark.parametrize("kind", list(_ANSWERS))
def test_enrolment_client_refuses_an_unnamed_or_peer_signed_certificate(
    target: Target, tmp_path: Path, kind: str
) -> None:
    lab = lab_pki(target)
    ca = _ca_certificate(lab)
    what, make = _ANSWERS[kind]
    run = _run(target, tmp_path, ca, make(lab, ca), lab=lab)
    if not run.ca.enrolments():
        inconclusive(f"the client sent no enrolment request ({run.describe()})")
    if run.returncode == 0:
        _fail(
            f"CA-ENR-12: enrolment of {ALIAS!r}; the CA answers 200 with {what}, for the "
            f"CSR's own key ({kind})",
            "the enrolment fails (non-zero exit): a certificate is kept only if its subject "
            "holds one CN, exactly the alias asked for, and it verifies with the "
            "organisation root",
            run,
            "exit 0: the enrolment was reported done",
        )
