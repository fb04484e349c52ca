"""A revoked alias's right password is answered as its wrong password, whatever is wrong
with the rest of the request (docs/SPEC.md §4.4 CA-ENR-11, CA-ENR-21, CA-ENR-6).

CA-ENR-11: a revoked alias "MUST NOT enrol again until an administrator re-admits it: its
logins are answered like a wrong password (`401 auth_failed`)". The cases of CA-ENR-11 log
a revoked alias in with its right password and a valid CSR. A CA that leaves the
revocation to the step that records the certificate (the transaction that must re-check it
anyway, CA-ENR-11's enrolment in flight) answers that request 401 as it should; but with
a CSR it refuses, the request never reaches that step, and the revoked alias's right
password is answered `400 bad_csr` where a wrong one is `401`: the revoked account's
password is still an oracle (and its right guess still clears the account's failures).
A CSR-first CA (CA-ENR-21) answers both `400 bad_csr`; either order is conforming, as long
as the revoked alias's right password gets what its wrong password gets.

`test_revoked_alias_right_password_answered_as_wrong_one` adds fresh aliases with the
target's `ca_user_add_cmd`, enrols each once, revokes it with `ca_revoke_cmd`, then sends,
for each of three CSRs the CA refuses (no PEM; a flipped signature, CA-ENR-3; a P-384 key,
CA-ENR-13), the right password and a wrong one, each from a fresh address: the two answers
MUST have the same status and error code, and never a certificate. A revoked alias's
logins may all count as failures, so each alias takes only the pairs its throttle answers
without a 429 (N // 2 with the declared N, `[limits] ca_throttle_failures`, default 5).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable

import pytest

from conformance import ca_support as ca
from conformance.target import Target
from conformance.wire import ConformanceFailure

pytestmark = [
    pytest.mark.profile("pki"),
    pytest.mark.side("ca"),
    pytest.mark.xdist_group("ca-revoked-login-any-csr"),
]


def _code(answer: ca.CaAnswer) -> str:
    try:
        obj = json.loads(answer.body)
    except ValueError:
        return "(no JSON)"
    return str(obj.get("error")) if isinstance(obj, dict) else "(no object)"


def _revoked_alias(target: Target) -> tuple[str, str]:
    """A fresh alias, added, enrolled once and revoked: (alias, its password)."""
    alias = f"rvk-{secrets.token_hex(5)}"
    password = secrets.token_urlsafe(15)
    ca.admin_command(target, "add", alias, stdin=password + "\n")
    csr = ca.csr_pem(ca.CsrKey.ec("P-256"), ca.name((ca.OID_CN, alias)))
    first = ca.enrol(target, alias, password, csr)
    if first.status != 200:
        pytest.skip(f"the fresh alias's enrolment: {first.describe()} (CA-ENR-2's cases)")
    ca.admin_command(target, "revoke", alias)
    return alias, password


@pytest.mark.req("CA-ENR-11", "CA-ENR-21")
def test_revoked_alias_right_password_answered_as_wrong_one(pki_target: Target) -> None:
    ca.ca_address(pki_target)
    if not (pki_target.ca_user_add_cmd and pki_target.ca_revoke_cmd):
        pytest.skip("needs the CA's administration commands ([pki] ca_user_add_cmd, ca_revoke_cmd)")
    # A revoked alias's logins may all count as failures: each alias takes as many pairs
    # as the throttle answers 401 (N failures), so that no answer is a 429.
    threshold = pki_target.limits.ca_throttle_failures or 5
    per_alias = max(1, threshold // 2)
    kinds: dict[str, Callable[[bytes], str]] = {
        "a csr that is no PEM": lambda subject: "not a certificate request",
        "a CSR whose signature has one bit flipped": lambda subject: ca.csr_pem(
            ca.CsrKey.ec("P-256"), subject, tamper="bit"
        ),
        "a CSR for a P-384 key": lambda subject: ca.csr_pem(ca.CsrKey.ec("P-384"), subject),
    }
    differ: list[str] = []
    issued: list[str] = []
    throttled: list[str] = []
    aliases: list[str] = []
    alias, password = "", ""
    for n, (what, make) in enumerate(kinds.items()):
        if n % per_alias == 0:
            alias, password = _revoked_alias(pki_target)
            aliases.append(alias)
        csr = make(ca.name((ca.OID_CN, alias)))
        right = ca.enrol(pki_target, alias, password, csr)
        wrong = ca.enrol(pki_target, alias, f"wrong-{secrets.token_urlsafe(12)}", csr)
        if right.status == 200 or b"-----BEGIN CERTIFICATE" in right.body:
            issued.append(what)
        elif 429 in (right.status, wrong.status) or 503 in (right.status, wrong.status):
            throttled.append(what)  # a throttle's answer compares nothing
        elif (right.status, _code(right)) != (wrong.status, _code(wrong)):
            differ.append(
                f"{what}: right password {right.status} {_code(right)}, "
                f"wrong password {wrong.status} {_code(wrong)}"
            )
    if issued or differ:
        raise ConformanceFailure.evidence(
            f"CA-ENR-11: fresh aliases ({', '.join(aliases)}) added, enrolled once and "
            "revoked (the target's ca_user_add_cmd/ca_revoke_cmd); then the right password "
            f"and a wrong one with each of: {', '.join(kinds)} (a fresh address each, "
            f"{per_alias} pair(s) per alias)",
            "the right password answered as the wrong one (same status and error code; "
            "401 auth_failed, or 400 bad_csr from a CSR-first CA), never a certificate",
            "; ".join(
                ([f"certified after the revocation: {', '.join(issued)}"] if issued else [])
                + differ[:3]
            ),
            note="a revoked alias's logins are answered like a wrong password, whatever "
            "else is wrong with them: otherwise its password is still an oracle",
        )
    if len(throttled) == len(kinds):
        pytest.skip(f"every pair met the throttle (429/503): {throttled}")
