"""Proof of possession is proof for the key being certified, by that key (docs/SPEC.md
§4.4, CA-ENR-3).

CA-ENR-3: the CA MUST verify the CSR's signature — proof of possession of the key it
certifies — and refuse an invalid one `400 bad_csr`. The signature that counts is the
one made by the private key of the public key in the CSR. A CA that accepts a CSR whose
signature verifies with some *other* key it trusts — the key of the alias's current
certificate (a "re-key renewal" signed by the old key, as in some enrolment protocols),
an earlier certificate of the alias, or any employee's certified key — certifies a
public key nobody proved to hold: an enrolee with the password can have a certificate
made for a key copied from anyone's certificate, and sign nothing with it but keep a
certificate that binds a victim's key to its own alias.

With the target's enrolee (right password, fresh addresses): two valid enrolments (keys
A, then B: B is the current certificate, A an earlier one), then CSRs for a new key C
signed by B, by A, and — with the CA's `ca_user_add_cmd` — by the key of another
account's fresh certificate; each MUST be `400 bad_csr`. The first two enrolments MUST
succeed (CA-ENR-2; a CA that refuses them is judged elsewhere: SKIP).
"""

from __future__ import annotations

import secrets

import pytest

from conformance import ca_support as ca
from conformance.target import Account, Target
from conformance.wire import ConformanceFailure

pytestmark = [
    pytest.mark.profile("pki"),
    pytest.mark.side("ca"),
    pytest.mark.xdist_group("ca-csr"),
]

_SIGNERS = ("the-alias-current-key", "an-earlier-key-of-the-alias", "another-account-key")


def _certified(target: Target, account: Account, key: ca.CsrKey) -> None:
    csr = ca.csr_pem(key, ca.name((ca.OID_CN, account.user)))
    answer = ca.enrol(target, account.user, account.password, csr)
    obj = ca.json_body(answer, "enrolment")
    if answer.status != 200 or not isinstance(obj.get("certificate"), str):
        pytest.skip(f"a valid enrolment of {account.user!r} failed: {answer.describe()}")
    cert = ca.read_issued(obj["certificate"])
    if cert.spki != key.spki():
        pytest.skip("the CA certified another key than the CSR's (judged elsewhere)")


@pytest.mark.req("CA-ENR-3")
@pytest.mark.parametrize("signer", _SIGNERS)
def test_a_csr_signed_by_another_certified_key_is_refused(pki_target: Target, signer: str) -> None:
    ca.ca_address(pki_target)
    account = ca.enrolee(pki_target)
    earlier, current = ca.CsrKey.ec("P-256"), ca.CsrKey.ec("P-256")
    if signer == "another-account-key":
        other = Account(f"pop-{secrets.token_hex(5)}", secrets.token_urlsafe(15))
        ca.admin_command(pki_target, "add", other.user, stdin=other.password + "\n")
        by = ca.CsrKey.ec("P-256")
        _certified(pki_target, other, by)
        whose = f"the key of {other.user!r}'s certificate, issued a moment before"
    else:
        _certified(pki_target, account, earlier)
        _certified(pki_target, account, current)
        if signer == "the-alias-current-key":
            by = current
            whose = "the key of the enrolee's current certificate"
        else:
            by = earlier
            whose = "the key of an earlier certificate of the enrolee"
    new = ca.CsrKey.ec("P-256")
    csr = ca.csr_pem(new, ca.name((ca.OID_CN, account.user)), signer=by)
    answer = ca.enrol(pki_target, account.user, account.password, csr)
    obj = ca.json_body(answer, "a CSR signed by another key")
    if answer.status == 400 and obj.get("error") == "bad_csr":
        return
    detail = answer.describe()
    if answer.status == 200 and isinstance(obj.get("certificate"), str):
        cert = ca.read_issued(obj["certificate"])
        detail = (
            f"HTTP 200, a certificate for the CSR's key ({cert.spki == new.spki()}) "
            f"with serial {cert.serial:#x}"
        )
    raise ConformanceFailure.evidence(
        f"CA-ENR-3: the enrolee's login (right password) with a CSR for a new key whose "
        f"signature was made by {whose}, not by the new key",
        "400 bad_csr: the signature proves possession of the signing key only, not of the "
        "key to certify",
        detail,
        note="a CA that verifies a CSR with a key it already trusts certifies keys nobody "
        "proved to hold",
    )
