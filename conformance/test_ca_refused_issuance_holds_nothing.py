"""A certificate refused after the password leaves nothing held (SPEC §4.4: CA-ENR-2,
CA-ENR-13, CA-ENR-3).

Once a right password is in, the CA takes what issuing needs — an issuing lock (one
signature at a time, or one enrolment per alias), the store's write transaction — and
then may still refuse: a CSR that is no CSR or whose signature does not verify
(CA-ENR-3), a key outside PKI-CERT-1 or a weak hash (CA-ENR-13). Each refusal is an exit
from the issuance, and each must give back what the issuance took. A CA that releases
its issuing lock only on the path that returns a certificate (Go's `mu.Lock()` without
`defer mu.Unlock()`, a `lock.acquire()` without `try/finally`) answers the refusal
`400 bad_csr` correctly, and then never answers an enrolment again: the next one waits
for the lock for ever.

Each case: the enrolee's right password with a CSR the CA refuses (400), then the
enrolee's right password with a valid P-256 CSR from another address: `200` with a
certificate, within 8 s (one hash and one signature take a fraction of that).
"""

from __future__ import annotations

import ssl

import pytest

from conformance import ca_support as ca
from conformance.target import Target
from conformance.wire import ConformanceFailure

pytestmark = [
    pytest.mark.profile("pki"),
    pytest.mark.side("ca"),
    pytest.mark.xdist_group("ca-refused-issuance"),
]

_ANSWER_WITHIN = 8.0


def _refused_csr(kind: str, alias: str) -> str:
    subject = ca.name((ca.OID_CN, alias))
    if kind == "not-a-csr":
        return (
            "-----BEGIN CERTIFICATE REQUEST-----\nbm90IGEgQ1NS\n-----END CERTIFICATE REQUEST-----\n"
        )
    if kind == "signature-does-not-verify":
        return ca.csr_pem(ca.CsrKey.ec("P-256"), subject, tamper="bit")
    return ca.csr_pem(ca.CsrKey.ec("P-384"), subject, hash_name="sha384")  # "p384-key"


@pytest.mark.req("CA-ENR-2")
@pytest.mark.parametrize(
    "kind", ["not-a-csr", "signature-does-not-verify", "p384-key"]
)
def test_an_enrolment_after_a_refused_csr_is_answered(pki_target: Target, kind: str) -> None:
    account = ca.enrolee(pki_target)
    pool = ca.sources(pki_target)
    refused = ca.enrol(
        pki_target,
        account.user,
        account.password,
        _refused_csr(kind, account.user),
        source=pool.fresh(),
    )
    if refused.status == 200:
        pytest.skip(f"the CA certified the {kind} CSR: its own cases judge that")
    good = ca.csr_pem(ca.CsrKey.ec("P-256"), ca.name((ca.OID_CN, account.user)))
    try:
        answer: ca.CaAnswer | str = ca.request(
            pki_target,
            "POST",
            "/v1/enroll",
            ca.enrol_body(account.user, account.password, good),
            source=pool.fresh(),
            headers={"Content-Type": "application/json"},
            timeout=_ANSWER_WITHIN,
        )
    except (OSError, ssl.SSLError) as exc:
        answer = f"no answer within {_ANSWER_WITHIN:.0f} s ({type(exc).__name__})"
    if isinstance(answer, ca.CaAnswer) and answer.status == 200:
        if b"BEGIN CERTIFICATE" in answer.body:
            return
    raise ConformanceFailure.evidence(
        f"CA-ENR-2: {account.user!r} with its right password and a CSR the CA refuses "
        f"({kind}: answered {refused.status}); then its right password and a valid P-256 "
        "CSR from another address",
        f"200 with a certificate within {_ANSWER_WITHIN:.0f} s: the refusal gives back what "
        "the issuance took",
        answer if isinstance(answer, str) else answer.describe(),
        note="an issuing lock (or transaction) released only on the path that returns a "
        "certificate: after one refusal no enrolment is answered",
    )
