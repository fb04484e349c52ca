"""A revoked alias's login costs what a wrong password costs (SPEC §4.4: CA-ENR-11,
CA-ENR-6).

CA-ENR-11: a revoked alias "MUST NOT enrol again until an administrator re-admits it: its
logins are answered like a wrong password (`401 auth_failed`)"; CA-ENR-6: a wrong
password and an unknown alias get the same answer "with the same body and no measurable
timing difference" — the CA hashes a dummy password for aliases it has no hash to check.
The cases that revoke an alias judge the status and the body of its next login; a CA can
match both and still tell a revoked account from a live one by the time of the answer,
when the account's state is read first and a refused state short-cuts the password hash:
- "a revoked user cannot log in anyway": `if user.revoked: return 401` before hashing;
- the revocation overwrites the stored hash with a locked marker (`!hash`, the Unix
  passwd habit) and a record that is no scrypt/Argon2 hash is refused without hashing.
Either way a revoked alias's `401` comes a whole password hash sooner than an unknown
alias's, which is the measurable timing difference CA-ENR-6 forbids, and what
CA-ENR-11's "answered like a wrong password" excludes.

Two fresh accounts are added and revoked (the target's `ca_user_add_cmd`,
`ca_revoke_cmd`); then, interleaved and each from a fresh address, a revoked alias with
its right password and an unknown alias with a wrong one, as many of each as keep every
revoked alias below the throttle threshold. All MUST be answered alike (`401
auth_failed`), and the median times MUST NOT differ by more than half the slower one (a
skipped hash is the whole cost of a login; scheduling noise is far less).
"""

from __future__ import annotations

import json
import statistics
import time

import pytest

from conformance import ca_support as ca
from conformance.target import Target
from conformance.test_ca_vanished_logins import _account, _csr
from conformance.wire import ConformanceFailure

pytestmark = [
    pytest.mark.profile("pki"),
    pytest.mark.side("ca"),
    pytest.mark.xdist_group("ca-revoked-costs"),
]

_ACCOUNTS = 2


def _address(target: Target) -> str:
    address = ca.sources(target).fresh()
    if address is None:
        pytest.skip("needs loopback source addresses (the CA on 127.0.0.0/8)")
    return address


def _kind(answer: ca.CaAnswer) -> tuple[int, object]:
    try:
        parsed = json.loads(answer.body)
    except ValueError:
        return answer.status, None
    return answer.status, parsed.get("error") if isinstance(parsed, dict) else None


def _timed(target: Target, alias: str, password: str) -> tuple[float, ca.CaAnswer]:
    source = _address(target)
    csr = _csr(alias)
    start = time.monotonic()
    answer = ca.enrol(target, alias, password, csr, source=source)
    return time.monotonic() - start, answer


@pytest.mark.req("CA-ENR-11", "CA-ENR-6")
def test_a_revoked_alias_costs_what_an_unknown_alias_costs(pki_target: Target) -> None:
    if not pki_target.ca_revoke_cmd:
        pytest.skip("needs the CA's revocation command ([pki] ca_revoke_cmd)")
    threshold = pki_target.limits.ca_throttle_failures or 5
    lock = pki_target.limits.ca_lock_after
    per_account = max(1, min(3, threshold - 1, (lock or threshold) - 1))
    accounts = [_account(pki_target, "revoked-cost") for _ in range(_ACCOUNTS)]
    for alias, _password in accounts:
        ca.admin_command(pki_target, "revoke", alias)
    _timed(pki_target, ca.ghost_alias(), "warm-up")  # the dummy record made, if lazily
    revoked: list[tuple[float, ca.CaAnswer]] = []
    unknown: list[tuple[float, ca.CaAnswer]] = []
    for _ in range(per_account):
        for alias, password in accounts:
            revoked.append(_timed(pki_target, alias, password))
            ghost = ca.ghost_alias()
            unknown.append(_timed(pki_target, ghost, "wrong-password"))
    context = (
        f"CA-ENR-11, CA-ENR-6: {_ACCOUNTS} fresh accounts added and revoked; then, "
        f"interleaved and each from a fresh address, a revoked alias with its right "
        f"password and an unknown alias with a wrong one, {len(revoked)} of each"
    )
    kinds = {_kind(a) for _t, a in revoked + unknown}
    if kinds != {(401, "auth_failed")}:
        raise ConformanceFailure.evidence(
            context,
            "401 auth_failed for all of them (a revoked alias is answered like a wrong "
            "password)",
            f"revoked: {[a.describe() for _t, a in revoked]}; unknown: "
            f"{[a.describe() for _t, a in unknown]}",
        )
    revoked_median = statistics.median(t for t, _a in revoked)
    unknown_median = statistics.median(t for t, _a in unknown)
    slower = max(revoked_median, unknown_median)
    if abs(revoked_median - unknown_median) > max(0.5 * slower, 0.03):
        raise ConformanceFailure.evidence(
            context,
            "no measurable timing difference (medians within half the slower one): a "
            "revoked alias's password is hashed like any other login's",
            f"median {revoked_median * 1000:.0f} ms for the revoked aliases, "
            f"{unknown_median * 1000:.0f} ms for unknown aliases (samples "
            f"{[round(t * 1000) for t, _a in revoked]} / "
            f"{[round(t * 1000) for t, _a in unknown]} ms)",
            note="the account's revoked state read first and the hash skipped: the time of "
            "the 401 tells revoked accounts from live ones and unknown aliases",
        )
