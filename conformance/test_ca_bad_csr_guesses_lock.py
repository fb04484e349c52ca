"""Guesses sent with bad CSRs lead to the hard lock like any other (SPEC §4.4: CA-ENR-21,
CA-ENR-19).

CA-ENR-21: "a password the CA verifies and finds wrong MUST count as a failure, whatever
else is wrong with the request: guesses sent with bad CSRs MUST NOT escape the
throttle". The throttle is CA-ENR-7's backoff AND CA-ENR-19's hard cap: after L
consecutive failed logins of an alias, every further login is `429` until an
administrator unlocks it. test_ca_bad_csr_guesses.py and test_ca_throttle.py see bad-CSR
guesses reach the first `429`; test_ca_throttle.py's hard-cap case locks an alias with
well-formed requests. A CA that counts a bad-CSR guess in its backoff but keeps the
lock's consecutive count elsewhere — advanced only on the path where the request was
otherwise complete ("a broken client retrying is no attack") — passes both, and
leaves a patient guesser the backoff alone: never locked, an oracle forever.

The case takes one unknown alias (each guess from a fresh address, so only the alias's
count grows), sends `ca_lock_after` wrong passwords each with a CSR broken another way
(a signature that does not verify, no PEM, a P-384 key, two requests, an empty string),
waiting out every `Retry-After` on the way, then waits past the last backoff: the next
login MUST be `429` (locked). A CA that checks the CSR first (`400 bad_csr` every time:
no password verified, nothing to count) is SKIP. Runs when the target declares
`[limits] ca_lock_after` (and a short backoff cap keeps it fast).
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from conformance import ca_support as ca
from conformance.target import Target
from conformance.wire import ConformanceFailure

pytestmark = [
    pytest.mark.profile("pki"),
    pytest.mark.side("ca"),
    pytest.mark.xdist_group("ca-bad-csr-guesses-lock"),
]

_MAX_LOCK = 30  # the highest declared ca_lock_after the case goes up to
_MAX_WAIT = 5.0  # the longest single Retry-After the case waits out
_BUDGET = 25.0  # seconds of waits the case spends at most


def _good(alias: str) -> str:
    return ca.csr_pem(ca.CsrKey.ec("P-256"), ca.name((ca.OID_CN, alias)))


# Faults of CA-ENR-3 / CA-ENR-13 in the `csr` string, one after the other.
_FAULTS: tuple[tuple[str, Callable[[str], str]], ...] = (
    (
        "signature-bit",
        lambda alias: ca.csr_pem(ca.CsrKey.ec("P-256"), ca.name((ca.OID_CN, alias)), tamper="bit"),
    ),
    ("not-pem", lambda alias: f"hello {alias}"),
    ("p-384-key", lambda alias: ca.csr_pem(ca.CsrKey.ec("P-384"), ca.name((ca.OID_CN, alias)))),
    ("two-requests", lambda alias: _good(alias) + _good(alias)),
    ("empty", lambda alias: ""),
)


@pytest.mark.req("CA-ENR-21", "CA-ENR-19")
def test_bad_csr_guesses_lock_the_alias(pki_target: Target) -> None:
    """`ca_lock_after` wrong passwords with bad CSRs for one unknown alias (fresh address
    each), every Retry-After waited out; once the last backoff has run out, the next
    login is `429`: the alias is locked as after any `ca_lock_after` failures."""
    ca.ca_address(pki_target)
    lock_after = pki_target.limits.ca_lock_after
    if lock_after is None:
        pytest.skip("the target declares no CA hard cap (limits.ca_lock_after, CA-ENR-19)")
    if lock_after > _MAX_LOCK:
        pytest.skip(f"ca_lock_after {lock_after} is more failed logins than the case sends")
    alias = ca.ghost_alias()
    csrs = [(fault, make(alias)) for fault, make in _FAULTS]
    statuses: list[str] = []
    failures, refused_unverified, last_wait, budget = 0, 0, None, _BUDGET
    for n in range(3 * lock_after + 4):  # every 401, 400 or wait gets one more login
        if failures == lock_after:
            break
        fault, csr = csrs[n % len(csrs)]
        answer = ca.enrol(pki_target, alias, f"bad-csr-guess-{n}", csr)
        error = ca.json_body(answer, f"a wrong password with a bad CSR ({fault})").get("error")
        statuses.append(f"{fault}:{answer.status}/{error}/{answer.headers.get('retry-after')}")
        if answer.status == 401:
            failures += 1
            continue
        if answer.status == 400:
            refused_unverified += 1  # the CSR checked first: nothing verified, nothing counts
            continue
        retry = answer.headers.get("retry-after") or ""
        if answer.status != 429 or not retry.isdigit():
            pytest.skip(f"the CA answered {answer.describe()} (CA-ENR-7's cases judge that)")
        if int(retry) > _MAX_WAIT or int(retry) + 0.2 > budget:
            pytest.skip(f"Retry-After {retry} s is longer than this case waits ({statuses})")
        last_wait = int(retry)
        budget -= int(retry) + 0.2
        time.sleep(int(retry) + 0.2)
    if failures < lock_after:
        pytest.skip(
            f"{failures} of {lock_after} bad-CSR guesses answered 401 ({refused_unverified} "
            f"refused 400 unverified): nothing more to count ({statuses})"
        )
    # Past the backoff the last failure started: a lock is no backoff, it still holds.
    probe = ca.enrol(pki_target, alias, "bad-csr-probe", csrs[0][1])
    retry = probe.headers.get("retry-after") or ""
    if probe.status == 429 and retry.isdigit():
        backoff = int(retry) if last_wait is None else min(int(retry), 2 * last_wait + 1)
        if backoff + 0.3 > min(budget, _MAX_WAIT + 1):
            pytest.skip(f"the last failure's backoff ({backoff} s) is more than the case waits")
        time.sleep(backoff + 0.3)
        probe = ca.enrol(pki_target, alias, "bad-csr-probe-2", _good(alias))
    statuses.append(f"probe:{probe.status}/{probe.headers.get('retry-after')}")
    if probe.status != 429:
        raise ConformanceFailure.evidence(
            f"CA-ENR-21: {lock_after} wrong passwords (the declared ca_lock_after) for the "
            f"unknown alias {alias!r}, each with a bad CSR and from a new address, each "
            "answered 401 (verified), every Retry-After waited out; then, past the last "
            "backoff, one more login",
            "429: the alias is locked (CA-ENR-19), as after any ca_lock_after verified wrong "
            "passwords — bad-CSR guesses do not escape the throttle",
            f"{probe.describe()}; statuses/Retry-After: {statuses}",
            note="a lock count that skips bad-CSR failures leaves a patient guesser the "
            "backoff alone",
        )
