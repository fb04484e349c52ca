"""The CA's throttle state across aliases and requests (SPEC §4.4: CA-ENR-7, -14, -21).

Two mistakes of one shape, found in an independent CA written from the SPEC alone: the
throttle state is touched by a request that must leave it alone.

* A right password of one alias washes the backoff of OTHER aliases (a "reset on
  success" written over the whole table instead of the alias's own entry). An attacker
  with an account of their own logs in between guesses against a victim's alias.
* A right password sent with a bad CSR counts as a failure (the attempt reserved first,
  and the 400 ending it as a failed login). An honest user whose tool sends a broken
  CSR is throttled, then locked out; CA-ENR-21 allows a CA to verify the password or
  not, but a password that is right never counts (CA-ENR-14: only a wrong one does).

Every login comes from a fresh loopback address (`ca_support.sources`), so only the
alias's count is at play; the ghost aliases are unknown, so no real account is locked.
"""

from __future__ import annotations

import secrets
import time

import pytest

from conformance import ca_support as ca
from conformance.target import Target
from conformance.wire import ConformanceFailure

pytestmark = [
    pytest.mark.profile("pki"),
    pytest.mark.side("ca"),
    pytest.mark.xdist_group("ca-throttle"),
]

_UNDECLARED_BOUND = 12  # failures tried before "never 429" when the target declares no N
_MAX_DECLARED = 60
_MAX_WAIT = 5.0  # the longest Retry-After the cases wait out
_MARGIN = 0.3  # after the Retry-After wait, before the next login


def _bound(target: Target) -> int:
    declared = target.limits.ca_throttle_failures
    if declared is None:
        return _UNDECLARED_BOUND
    if declared + 2 > _MAX_DECLARED:
        pytest.skip(f"the declared throttle threshold {declared} is above {_MAX_DECLARED}")
    return max(_UNDECLARED_BOUND, declared + 2)


def _csr(alias: str, *, tamper: str | None = None) -> str:
    return ca.csr_pem(ca.CsrKey.ec("P-256"), ca.name((ca.OID_CN, alias)), tamper=tamper)


def _retry_after_seconds(answer: ca.CaAnswer) -> float | None:
    value = answer.headers.get("retry-after")
    if value is None or not value.isdigit():
        return None
    return float(value)


@pytest.mark.req("CA-ENR-7")
def test_a_right_password_does_not_wash_another_aliases_backoff(pki_target: Target) -> None:
    """A ghost alias fails until `429`; then ANOTHER alias logs in with its right password;
    after the ghost's Retry-After the ghost's next wrong password is answered (`401`) and,
    its failure count being past the threshold, the one after it is `429` at once (the
    doubled wait). A CA whose success reset every alias answers the ghost `401` again:
    the attacker's own account bought the victim's alias fresh guesses."""
    ca.ca_address(pki_target)
    honest = ca.enrolee(pki_target)
    ghost = ca.ghost_alias()
    csr = _csr(ghost)
    statuses: list[int] = []
    throttled: ca.CaAnswer | None = None
    for n in range(_bound(pki_target)):
        answer = ca.enrol(pki_target, ghost, f"guess-{n}-{secrets.token_hex(3)}", csr)
        statuses.append(answer.status)
        if answer.status == 429:
            throttled = answer
            break
    if throttled is None:
        pytest.skip(f"the ghost alias was never throttled ({statuses}): CA-ENR-7's cases judge it")
    wait = _retry_after_seconds(throttled)
    if wait is None or wait > _MAX_WAIT:
        pytest.skip(f"Retry-After {throttled.headers.get('retry-after')!r}: not a short wait")
    right = ca.enrol(pki_target, honest.user, honest.password, _csr(honest.user))
    if right.status != 200:
        pytest.skip(f"the enrolment account's right password got {right.describe()}")
    time.sleep(wait + _MARGIN)  # the Retry-After the CA asked for (bounded by _MAX_WAIT)
    after = [
        ca.enrol(pki_target, ghost, f"late-{n}-{secrets.token_hex(3)}", csr).status
        for n in range(2)
    ]
    if after == [401, 401]:
        raise ConformanceFailure.evidence(
            f"CA-ENR-7: ghost alias {ghost!r} failed {len(statuses) - 1} times until 429 "
            f"(statuses {statuses}, Retry-After {wait:g}); then the alias {honest.user!r} "
            f"enrolled with its right password (200); after the ghost's wait, two more wrong "
            "passwords for the ghost, each from a new address",
            "401 then 429 (the ghost's count is past the threshold: its next failure "
            "locks it again, for twice as long)",
            f"{after}: another alias's right password reset the ghost's failure count",
            note="a success forgives the alias that logged in, no other",
        )


@pytest.mark.req("CA-ENR-21", "CA-ENR-14")
def test_right_passwords_with_bad_csrs_never_count(pki_target: Target) -> None:
    """A real alias sends its RIGHT password with a CSR whose signature does not verify,
    more times than the throttle threshold, each from a new address: every answer is
    `400 bad_csr` (whether the CA checked the CSR first or verified the password first, a
    right password is no failure), never `401` or `429`; then its right password with a
    valid CSR enrols (`200`). A CA that counts every request ending in an error as a
    failed login throttles an honest user whose tool sent a broken CSR."""
    ca.ca_address(pki_target)
    if not pki_target.ca_user_add_cmd:
        pytest.skip("needs the CA's administration command ([pki] ca_user_add_cmd)")
    alias, secret = f"bc-{secrets.token_hex(5)}", secrets.token_urlsafe(15)
    ca.admin_command(pki_target, "add", alias, stdin=secret + "\n")
    bad = _csr(alias, tamper="bit")
    answers = [ca.enrol(pki_target, alias, secret, bad) for _ in range(_bound(pki_target))]
    statuses = [a.status for a in answers]
    final = ca.enrol(pki_target, alias, secret, _csr(alias))
    wrong = [a for a in answers if a.status != 400]
    if wrong or final.status != 200:
        raise ConformanceFailure.evidence(
            f"CA-ENR-21/CA-ENR-14: the real alias {alias!r} sent its right password with a "
            f"CSR whose signature does not verify, {len(answers)} times (more than the "
            "throttle threshold), each from a new address; then its right password with a "
            "valid CSR",
            "400 bad_csr to each, then 200: a right password is never a failed login",
            f"statuses {statuses}; then {final.describe()}"
            + (f"; first other answer: {wrong[0].describe()}" if wrong else ""),
            note="only a wrong password counts (CA-ENR-14); CA-ENR-21 lets the CA skip the "
            "password on a bad CSR, not count it",
        )
