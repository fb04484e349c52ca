"""An unknown alias reaches the hard cap like a known one (SPEC §4.4, CA-ENR-19, CA-ENR-7).

"Unknown aliases are counted like known ones" [CA-ENR-7]: a CA that keeps its locks in
its users table never locks a ghost, and so tells ghosts from users after L failures;
the lock's `429` says the backoff cap from its first answer on [CA-ENR-19].

(Aliases of a form no account can have — upper case, a leading dot, a space, 65
characters — are not judged here: CA-ENR-6 lets a CA refuse them `400` before any
password is verified, whatever the password, since they reveal nothing about accounts.)
Every login uses a wrong password: no account is touched.
"""

from __future__ import annotations

import math
import time

import pytest

from conformance import ca_support as ca
from conformance.target import Target
from conformance.wire import ConformanceFailure

pytestmark = [
    pytest.mark.profile("pki"),
    pytest.mark.side("ca"),
    pytest.mark.xdist_group("ca-unknown-alias-forms"),
]

_MAX_DECLARED = 60  # the most failed logins the lock case sends
_MAX_WAIT = 5.0  # the longest Retry-After the lock case waits out
_LOCK_BUDGET = 20.0  # seconds of waits the lock case spends at most


def _csr() -> str:
    return ca.csr_pem(ca.CsrKey.ec("P-256"), ca.name((ca.OID_CN, "ghost")))


@pytest.mark.req("CA-ENR-19")
def test_an_unknown_alias_is_locked_like_a_known_one(pki_target: Target) -> None:
    """A well-formed unknown alias fails `ca_lock_after` times, each guess from a fresh
    address (only the alias's count grows), every Retry-After waited out. Its next login
    must be 429 with Retry-After the backoff cap (the lock says the cap at once), and
    still 429 once that backoff has run out."""
    lock_after = pki_target.limits.ca_lock_after
    if lock_after is None:
        pytest.skip("the target declares no CA hard cap (limits.ca_lock_after, CA-ENR-19)")
    if lock_after > _MAX_DECLARED:
        pytest.skip(f"ca_lock_after {lock_after} is more failed logins than the case sends")
    cap = pki_target.limits.ca_throttle_cap
    ca.ca_address(pki_target)
    alias, csr = ca.ghost_alias(), _csr()
    trail: list[str] = []
    failures, budget = 0, _LOCK_BUDGET

    def login(what: str) -> ca.CaAnswer:
        answer = ca.enrol(pki_target, alias, f"{what}-{len(trail)}", csr)
        trail.append(f"{answer.status}/{answer.headers.get('retry-after') or '-'}")
        return answer

    def wait_out(answer: ca.CaAnswer) -> int:
        nonlocal budget
        retry = answer.headers.get("retry-after") or ""
        if not retry.isdigit():
            pytest.skip(f"a 429 without a Retry-After in seconds (CA-ENR-7 judges): {trail}")
        if int(retry) > _MAX_WAIT or int(retry) + 0.2 > budget:
            pytest.skip(f"Retry-After {retry} s is longer than this case waits: {trail}")
        budget -= int(retry) + 0.2
        time.sleep(int(retry) + 0.2)
        return int(retry)

    for _ in range(2 * lock_after + 2):  # every 401 or every wait gets one more login
        if failures == lock_after:
            break
        answer = login("guess")
        if answer.status == 401:
            failures += 1
        elif answer.status == 429:
            wait_out(answer)
        else:
            pytest.skip(f"the CA answered {answer.describe()} before the lock: {trail}")
    if failures < lock_after:
        pytest.skip(f"{failures} of {lock_after} failures reached: {trail}")
    locked = login("locked")
    retry = locked.headers.get("retry-after") or ""
    if locked.status != 429 or not retry.isdigit():
        raise ConformanceFailure.evidence(
            f"CA-ENR-19: the unknown alias {alias!r} failed {lock_after} consecutive times "
            "(the declared ca_lock_after), each from a fresh address",
            "429 with Retry-After: unknown aliases are counted (and locked) like known ones",
            f"{locked.describe()}. Trail (status/Retry-After): {trail}",
        )
    if cap is not None and not math.floor(cap) <= int(retry) <= math.ceil(cap) + 1:
        raise ConformanceFailure.evidence(
            f"CA-ENR-19: the unknown alias {alias!r} is locked after {lock_after} failures",
            f"429 with Retry-After the backoff cap ({cap:g} s, ca_throttle_cap)",
            f"Retry-After {retry} s. Trail (status/Retry-After): {trail}",
        )
    wait_out(locked)
    still = login("still-locked")
    if still.status != 429:
        raise ConformanceFailure.evidence(
            f"CA-ENR-19: the unknown alias {alias!r} was locked after {lock_after} failures; "
            "its Retry-After was waited out",
            "429: the lock holds until an administrator unlocks it",
            f"{still.describe()}. Trail (status/Retry-After): {trail}",
        )
