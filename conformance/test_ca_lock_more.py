"""CA-ENR-19: a locked alias stays locked whatever passwords follow, until an
administrator unlocks it — its right password included, more than once.

The lock must be checked *without verifying the password*. A CA that verifies it anyway
(the lock looked at after the hash, or a "success resets the count" that also clears the
lock) still answers the first right password 429, so a single probe sees nothing; but
that verification reset the alias, and the next login with the right password is issued
a certificate: whoever guesses on at a locked alias is told, one login later, that a
guess was right. So: a fresh user (`ca_user_add_cmd`) failed its declared
`ca_lock_after` times (each guess from a fresh address, every Retry-After waited out),
the backoff of its last failure waited out, then its right password several times in a
row: every answer must be 429.
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
    pytest.mark.xdist_group("ca-lock-more"),
]

_MAX_DECLARED = 60  # the highest declared lock threshold the case goes up to
_MAX_WAIT = 5.0  # the longest single Retry-After the case waits out
_BUDGET = 25.0  # seconds of waits in all
_RIGHT_LOGINS = 3  # right-password logins after the lock, each must be 429


@pytest.mark.req("CA-ENR-19")
def test_a_locked_alias_stays_locked_for_its_right_password(pki_target: Target) -> None:
    lock_after = pki_target.limits.ca_lock_after
    if lock_after is None:
        pytest.skip("the target declares no CA hard cap (limits.ca_lock_after, CA-ENR-19)")
    if lock_after > _MAX_DECLARED:
        pytest.skip(f"ca_lock_after {lock_after} is more failed logins than the case sends")
    if not pki_target.ca_user_add_cmd:
        pytest.skip("needs the CA's ca_user_add_cmd: the lock is judged on a right password")
    alias, secret = f"lm-{secrets.token_hex(5)}", secrets.token_urlsafe(15)
    ca.admin_command(pki_target, "add", alias, stdin=secret + "\n")
    csr = ca.csr_pem(ca.CsrKey.ec("P-256"), ca.name((ca.OID_CN, alias)))
    trail: list[str] = []
    budget = _BUDGET

    def login(password: str) -> ca.CaAnswer:
        answer = ca.enrol(pki_target, alias, password, csr)
        trail.append(f"{answer.status}/{answer.headers.get('retry-after')}")
        return answer

    def wait_out(answer: ca.CaAnswer) -> None:
        nonlocal budget
        retry = answer.headers.get("retry-after") or ""
        if not retry.isdigit():
            pytest.skip(f"a 429 without a Retry-After in seconds (CA-ENR-7 judges): {trail}")
        if int(retry) > _MAX_WAIT or int(retry) + 0.2 > budget:
            pytest.skip(f"Retry-After {retry} s is longer than this case waits: {trail}")
        budget -= int(retry) + 0.2
        time.sleep(int(retry) + 0.2)  # the CA's Retry-After, which the SPEC says to honour

    failures = 0
    last: ca.CaAnswer | None = None
    for _ in range(2 * lock_after + 2):  # every 401 or every wait gets one more login
        if failures == lock_after:
            break
        last = login(f"guess-{len(trail)}")
        if last.status == 401:
            failures += 1
        elif last.status == 429:
            wait_out(last)
        else:
            pytest.skip(f"the CA answered {last.describe()} before the lock: {trail}")
    if failures < lock_after:
        pytest.skip(f"{failures} of {lock_after} failures reached: {trail}")
    # The backoff of the last failure: a login while it runs is refused by the backoff
    # alone; the lock must refuse the logins after it.
    probe = login(f"guess-{len(trail)}")
    if probe.status != 429:
        raise ConformanceFailure(
            f"CA-ENR-19: alias {alias!r} had {lock_after} consecutive failed logins (the "
            f"declared ca_lock_after); the next login got {probe.describe()}, not 429. "
            f"Statuses/Retry-After: {trail}"
        )
    wait_out(probe)
    for n in range(_RIGHT_LOGINS):
        answer = login(secret)
        if answer.status != 429:
            raise ConformanceFailure(
                f"CA-ENR-19: alias {alias!r} is locked after {lock_after} consecutive "
                f"failures; right-password login {n + 1} of {_RIGHT_LOGINS} in a row (the "
                f"backoff waited out) got {answer.describe()}, want 429 every time: the CA "
                "verified the password of a locked alias and let the right one unlock it "
                f"(no administrator did). Statuses/Retry-After: {trail}"
            )
