"""The configured validity and the serial rules hold for every kind of key (CA-ENR-10).

"Certificates MUST have a random serial of at least 64 bits and a validity of at most the
configured period" (CA-ENR-10) — every certificate, whatever key it certifies. A CA with
one issuing path per key type (a function for EC keys, another for RSA, written at
different times) keeps its configuration on one of them: the cases that judge validity
and serials enrol a P-256 key, and a CA whose RSA path ignores `--validity-days` (the
30-day default, or a hard-coded year) passes them.

One enrolment of the target's enrolment identity per kind of key PKI-CERT-1 allows:
ECDSA P-256, RSA-2048 signed PKCS#1 v1.5, the same size signed RSASSA-PSS; each
certificate's notAfter at most the target's declared `cert_validity_days` (default 30)
after the enrolment, its notBefore neither in the future nor backdated more than an
hour, its serial positive and at most 20 octets.
"""

from __future__ import annotations

import datetime as dt

import pytest

from conformance import ca_support as ca
from conformance.plugin import inconclusive
from conformance.target import Target
from conformance.wire import ConformanceFailure

pytestmark = [
    pytest.mark.profile("pki"),
    pytest.mark.side("ca"),
    pytest.mark.xdist_group("ca-validity-per-key"),
]


def _keys() -> dict[str, ca.CsrKey]:
    """One key of each kind PKI-CERT-1 allows (one RSA key, signing both ways)."""
    rsa = ca.CsrKey.rsa(2048)
    return {
        "ecdsa-p256": ca.CsrKey.ec("P-256"),
        "rsa-2048": rsa,
        "rsa-2048-pss": ca.CsrKey.rsa_pss(rsa.key),
    }


@pytest.mark.req("CA-ENR-10")
def test_every_key_type_gets_the_configured_validity(pki_target: Target) -> None:
    """The enrolee enrols once per kind of key; every certificate's validity and serial
    follow CA-ENR-10 with the target's configured period."""
    account = ca.enrolee(pki_target)
    root = ca.root_info(pki_target)
    days = pki_target.limits.cert_validity_days
    problems: list[str] = []
    keys = _keys()
    for kind, key in keys.items():
        csr = ca.csr_pem(key, ca.name((ca.OID_CN, account.user)))
        issue = ca.issue_now(account.user, key, days)
        answer = ca.enrol(pki_target, account.user, account.password, csr)
        issue.ended = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1)
        obj = ca.json_body(answer, f"the enrolment with a {kind} key")
        if answer.status != 200 or not isinstance(obj.get("certificate"), str):
            inconclusive(
                f"the enrolment of {account.user!r} with a {kind} key (right password, a "
                f"valid CSR) got {answer.describe()} (CA-ENR-2 is judged elsewhere)"
            )
        cert = ca.read_issued(obj["certificate"])
        problems += [
            f"{kind}: {text} (notBefore {cert.not_before}, notAfter {cert.not_after})"
            for rid, text in ca.profile_problems(cert, issue, root)
            if rid == "CA-ENR-10"
        ]
    if problems:
        raise ConformanceFailure.evidence(
            f"{account.user!r} enrolled with a key of each kind ({', '.join(keys)}); the CA "
            f"is configured for {days:g} days",
            "every certificate within CA-ENR-10: notAfter at most the configured period after "
            "the enrolment, notBefore not in the future nor backdated over an hour, a positive "
            "serial of at most 20 octets",
            "; ".join(problems),
        )
