"""An enrolment body naming its csr member twice gets one consistent reading (docs/SPEC.md
§4.4, CA-ENR-3).

RFC 8259 §4: the names of an object SHOULD be unique; when they are not, parsers differ —
one keeps the first value, another the last, a third refuses. Each reading is a possible
CA; what no CA may do is read the body twice, differently: a password check (a
validating middleware, a schema layer, a log scrubber's parser) that takes one `alias`
and an issuing step that takes the other makes one account's password a certificate for
any alias (CA-ENR-4: the subject CN is the *enrolled* alias, the one whose password was
verified); a proof-of-possession check on one `csr` and the certified key taken from the
other certifies a key nobody proved to hold (CA-ENR-3).

The doubled `alias` is test_ca_answer_forms.py's. Here each case sends the enrolee's right
password from a fresh address with `csr` twice, in both orders: a valid CSR for key K and
a CSR for key L signed by another key (no proof of possession). Any refusal (4xx)
conforms; a `200` MUST certify K, the only key proved.
"""

from __future__ import annotations

import json

import pytest

from conformance import ca_support as ca
from conformance.target import Target
from conformance.wire import ConformanceFailure

pytestmark = [
    pytest.mark.profile("pki"),
    pytest.mark.side("ca"),
    pytest.mark.xdist_group("ca-csr"),
]


def _body(members: list[tuple[str, str]]) -> bytes:
    return ("{" + ", ".join(f"{json.dumps(k)}: {json.dumps(v)}" for k, v in members) + "}").encode()


def _send(target: Target, body: bytes) -> ca.CaAnswer:
    return ca.request(
        target,
        "POST",
        "/v1/enroll",
        body,
        source=ca.sources(target).fresh(),
        headers={"Content-Type": "application/json"},
    )


def _certificate(answer: ca.CaAnswer, what: str) -> ca.IssuedCertificate | None:
    """The certificate of a 200 (None for a refusal, which conforms)."""
    obj = ca.json_body(answer, what)
    if answer.status == 200 and isinstance(obj.get("certificate"), str):
        return ca.read_issued(obj["certificate"])
    if 400 <= answer.status < 500:
        return None
    raise ConformanceFailure(
        f"CA-ENR-9: {what}: want a 4xx refusal or a 200 with a certificate, got "
        f"{answer.describe()}"
    )


@pytest.mark.req("CA-ENR-3")
@pytest.mark.parametrize("order", ["proved-first", "proved-last"])
def test_a_doubled_csr_never_certifies_the_unproved_key(pki_target: Target, order: str) -> None:
    ca.ca_address(pki_target)
    account = ca.enrolee(pki_target)
    subject = ca.name((ca.OID_CN, account.user))
    proved, unproved = ca.CsrKey.ec("P-256"), ca.CsrKey.ec("P-256")
    good = ca.csr_pem(proved, subject)
    bad = ca.csr_pem(unproved, subject, signer=ca.CsrKey.ec("P-256"))
    csrs = [good, bad] if order == "proved-first" else [bad, good]
    members = [("alias", account.user), ("password", account.password)]
    members += [("csr", csrs[0]), ("csr", csrs[1])]
    what = (
        "an enrolment body (the enrolee's right password) with the member csr twice: a "
        "valid CSR and one whose signature is another key's, "
        + ("the valid one first" if order == "proved-first" else "the valid one last")
    )
    cert = _certificate(_send(pki_target, _body(members)), what)
    if cert is None:
        return
    if cert.spki != proved.spki():
        which = "the unproved key" if cert.spki == unproved.spki() else "a third key"
        raise ConformanceFailure.evidence(
            f"CA-ENR-3: {what}",
            "a refusal, or a certificate for the key of the valid CSR (the only key whose "
            "possession was proved)",
            f"HTTP 200, a certificate for {which}",
            note="proof of possession checked on one reading of the body, the key taken "
            "from the other",
        )
