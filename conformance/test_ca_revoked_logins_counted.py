"""A revoked alias's wrong passwords meet the throttle like any other (CA-ENR-7).

A revoked alias "MUST NOT enrol again until an administrator re-admits it: its logins
are answered like a wrong password (401 auth_failed)" (CA-ENR-11), and the CA "MUST
throttle failed logins per alias", "every verified wrong password counts" (CA-ENR-7). A
CA that leaves revoked accounts out of its throttle ("a revoked account has nothing left
to protect") answers every guess 401 as the SPEC asks and never 429: a guesser gets the
password of a revoked account — a password its employee may still use elsewhere —
without limit.

A fresh account (`ca_user_add_cmd`), revoked (`ca_revoke_cmd`), then wrong passwords,
each from a fresh loopback address, so only the alias's own count is at stake.

(Not judged here: whether the revoked alias's RIGHT password — answered 401 — may end its
attempt as a success and clear the alias's failures. That makes the throttle an oracle
for the right guess, but the SPEC does not say it is a failed login, and a clean-room CA
(ca3) clears: proposed to the SPEC, see conformance/selftest/mutants_blind18_ca.py.)
"""

from __future__ import annotations

import secrets

import pytest

from conformance import ca_support as ca
from conformance.plugin import inconclusive
from conformance.target import Account, Target
from conformance.wire import ConformanceFailure

pytestmark = [
    pytest.mark.profile("pki"),
    pytest.mark.side("ca"),
    pytest.mark.xdist_group("ca-revoked-logins"),
]

# Without a declared threshold the throttle cases give up after 12 failures (CA-ENR-7).
_UNDECLARED_LIMIT = 12


def _revoked_account(target: Target, prefix: str) -> tuple[Account, str]:
    """A fresh account, revoked before it ever enrolled (CA-ENR-11: the alias's logins
    are then answered like a wrong password, whether or not it holds certificates)."""
    if not target.ca_user_add_cmd or not target.ca_revoke_cmd:
        pytest.skip("needs the CA's administration commands ([pki] ca_user_add_cmd, ca_revoke_cmd)")
    account = Account(f"{prefix}-{secrets.token_hex(5)}", secrets.token_urlsafe(15))
    ca.admin_command(target, "add", account.user, stdin=account.password + "\n")
    csr = ca.csr_pem(ca.CsrKey.ec("P-256"), ca.name((ca.OID_CN, account.user)))
    ca.admin_command(target, "revoke", account.user)
    return account, csr


def _login(target: Target, account: Account, password: str, csr: str) -> ca.CaAnswer:
    answer = ca.enrol(target, account.user, password, csr)
    if answer.status == 503:
        inconclusive(f"a login of {account.user!r} got 503 busy: {answer.describe()}")
    if answer.status == 200:
        raise ConformanceFailure(
            f"CA-ENR-11: the revoked alias {account.user!r} enrolled again: {answer.describe()}"
        )
    return answer


@pytest.mark.req("CA-ENR-7")
def test_a_revoked_aliass_wrong_passwords_are_counted(pki_target: Target) -> None:
    """Wrong passwords for a revoked alias, each from a fresh address: each is a wrong
    password (answered 401, CA-ENR-11) and counts (CA-ENR-7), so a 429 comes after N of
    them. A CA that leaves revoked accounts out of its throttle answers 401 forever."""
    n = pki_target.limits.ca_throttle_failures
    limit = n + 2 if n is not None else _UNDECLARED_LIMIT
    account, csr = _revoked_account(pki_target, "rvw")
    seen: list[str] = []
    for i in range(limit):
        answer = _login(pki_target, account, f"wrong-{i}-{secrets.token_hex(3)}", csr)
        seen.append(str(answer.status))
        if answer.status == 429:
            return
        if answer.status != 401:
            inconclusive(
                f"wrong password {i + 1} for the revoked {account.user!r}: "
                f"{answer.describe()} (neither 401 nor 429)"
            )
    declared = f"the declared threshold N = {n}" if n is not None else "no declared threshold"
    raise ConformanceFailure.evidence(
        f"the alias {account.user!r} was added and revoked (ca_revoke_cmd), then {limit} "
        "wrong passwords for it, each from a fresh address",
        f"401 for each until the N-th failure, then 429 ({declared}): a revoked alias's "
        "wrong password is a wrong password, and every one counts (CA-ENR-7, CA-ENR-11)",
        f"statuses {', '.join(seen)}: none throttled",
        "a throttle that leaves revoked accounts out lets their passwords — maybe still "
        "used elsewhere — be guessed without limit",
    )
