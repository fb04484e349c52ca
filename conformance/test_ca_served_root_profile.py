"""The root the CA serves is a conforming root (docs/SPEC.md §4.2, §4.4: PKI-CERT-8,
PKI-CERT-13, CA-ENR-8).

test_pki_certs.py judges the root file the target declares (`--root`), and test_ca.py
requires `GET /v1/root` to return it byte for byte (CA-ENR-8). A CA that builds its root
certificate again from its key (at each start, or per request: same key, same subject, so
what it issued still verifies) serves a root that neither of them profiles, and what
enrolment clients fetch from `/v1/root` is then a root with another recipe: no pathlen
(intermediates allowed), no cRLSign (strict verifiers refuse the CRL it signs), no
SubjectKeyIdentifier (strict X.509 verifiers refuse its employees).

`test_served_root_is_a_conforming_root` fetches `GET /v1/root` and judges it on its own:
PKI-CERT-8 (BasicConstraints CA:TRUE pathlen 0, marked critical, KeyUsage keyCertSign and cRLSign),
PKI-CERT-13 (a SubjectKeyIdentifier, not critical), self-issued by the organisation root's
subject and key (CA-ENR-8).
"""

from __future__ import annotations

import pytest

from conformance import ca_support as ca
from conformance import x509
from conformance.target import Target
from conformance.wire import ConformanceFailure

pytestmark = [
    pytest.mark.profile("pki"),
    pytest.mark.side("ca"),
    pytest.mark.xdist_group("ca-served-root-profile"),
]


@pytest.mark.req("PKI-CERT-8", "PKI-CERT-13", "CA-ENR-8")
def test_served_root_is_a_conforming_root(pki_target: Target) -> None:
    ca.ca_address(pki_target)
    assert pki_target.root is not None
    answer = ca.request(pki_target, "GET", "/v1/root")
    if answer.status != 200:
        raise ConformanceFailure(f"CA-ENR-8: GET /v1/root: {answer.describe()}")
    try:
        served = ca.read_issued(answer.body.decode("ascii", "replace"))
        info = x509.read_certificate(x509.pem_decode(answer.body))
    except (ValueError, IndexError) as exc:
        raise ConformanceFailure(
            f"CA-ENR-8: GET /v1/root is not a PEM certificate ({exc}): {answer.body[:60]!r}"
        ) from None
    declared = ca.read_issued(pki_target.root.read_text())
    problems = [f"PKI-CERT-8: {p}" for p in info.violations_as_root()]
    basic = served.extension(ca.OID_BASIC_CONSTRAINTS)
    if basic is not None and not basic.critical:
        problems.append("PKI-CERT-8: the root's BasicConstraints is not marked critical")
    ski = served.extension(ca.OID_SKI)
    if ski is None or ca.subject_key_id(served) is None:
        problems.append("PKI-CERT-13: the root has no SubjectKeyIdentifier")
    elif ski.critical:
        problems.append("PKI-CERT-13: the root's SubjectKeyIdentifier is critical")
    if served.subject != declared.subject or served.spki != declared.spki:
        problems.append(
            "CA-ENR-8: its subject or key is not the organisation root's (the declared --root)"
        )
    if problems:
        raise ConformanceFailure.evidence(
            "the root certificate the CA serves (GET /v1/root)",
            "CA:TRUE pathlen 0 (critical), KeyUsage keyCertSign and cRLSign, a non-critical "
            "SubjectKeyIdentifier, the organisation root's subject and key",
            "; ".join(problems),
        )
