"""Edges of the CA's backoff and hard cap (CA-ENR-7, CA-ENR-19). Belongs beside
test_ca_throttle.py and test_ca_lock_more.py.

* An alias's hard lock is the alias's alone: a fresh user fails its declared
  `ca_lock_after` times, every guess from ONE address (each Retry-After waited out);
  then the locked alias is answered 429 with `Retry-After` the CA's declared backoff cap
  (not less: the lock is not a backoff that ends), and that same address, once the
  Retry-After it is given has run out, is answered again for another alias — a CA that
  locks the address an alias was locked from locks out everyone behind a NAT
  (test_ca_throttle.py's address case fails with fresh aliases only, whose own counts
  never reach the lock).
* The doubled wait stops at the declared cap: one fresh address fails with fresh ghost
  aliases a few failures past the point where the doubling reaches the cap, every
  Retry-After waited out; none may ask for more than the cap.

Both need the CA's throttle declared in the target file (`[limits] ca_throttle_failures`,
`ca_throttle_cap`, and `ca_lock_after` for the first) and short (a cap the case can wait
out); otherwise they skip.
"""

from __future__ import annotations

import math
import secrets
import time

import pytest

from conformance import ca_support as ca
from conformance.target import Target
from conformance.wire import ConformanceFailure

pytestmark = [
    pytest.mark.profile("pki"),
    pytest.mark.side("ca"),
    pytest.mark.xdist_group("ca-lock-edge"),
]

_MAX_DECLARED = 30  # the highest declared threshold / lock the cases go up to
_MAX_WAIT = 5.0  # the longest single Retry-After the cases wait out
_BUDGET = 30.0  # seconds of waits in all, per case
_SLACK = 0.2  # added to each Retry-After wait


class _Waits:
    """Retry-After waits, bounded in all (a skip, never a FAIL, when it runs out)."""

    def __init__(self, trail: list[str]) -> None:
        self.left = _BUDGET
        self.trail = trail

    def wait_out(self, answer: ca.CaAnswer) -> int:
        retry = answer.headers.get("retry-after") or ""
        if not retry.isdigit():
            pytest.skip(f"a 429 without a Retry-After in seconds (CA-ENR-7 judges): {self.trail}")
        if int(retry) > _MAX_WAIT or int(retry) + _SLACK > self.left:
            pytest.skip(f"Retry-After {retry} s is longer than this case waits: {self.trail}")
        self.left -= int(retry) + _SLACK
        time.sleep(int(retry) + _SLACK)  # what Retry-After promises: this long later, answered
        return int(retry)


def _declared_cap(target: Target) -> float:
    cap = target.limits.ca_throttle_cap
    if cap is None:
        pytest.skip("the target declares no CA backoff cap (limits.ca_throttle_cap)")
    if cap > _MAX_WAIT:
        pytest.skip(f"the declared backoff cap {cap:g} s is longer than the case waits")
    return cap


@pytest.mark.req("CA-ENR-19")
def test_a_lock_is_the_aliases_alone_and_says_the_cap(pki_target: Target) -> None:
    lock_after = pki_target.limits.ca_lock_after
    if lock_after is None:
        pytest.skip("the target declares no CA hard cap (limits.ca_lock_after, CA-ENR-19)")
    if lock_after > _MAX_DECLARED:
        pytest.skip(f"ca_lock_after {lock_after} is more failed logins than the case sends")
    cap = _declared_cap(pki_target)
    if not pki_target.ca_user_add_cmd:
        pytest.skip("needs the CA's ca_user_add_cmd: the lock is judged on a user of its own")
    alias = f"le-{secrets.token_hex(5)}"
    ca.admin_command(pki_target, "add", alias, stdin=secrets.token_urlsafe(15) + "\n")
    csr = ca.csr_pem(ca.CsrKey.ec("P-256"), ca.name((ca.OID_CN, alias)))
    address = ca.sources(pki_target).fresh()
    trail: list[str] = []
    waits = _Waits(trail)

    def login(who: str, password: str) -> ca.CaAnswer:
        answer = ca.enrol(pki_target, who, password, csr, source=address)
        trail.append(f"{'alias' if who == alias else 'other'}:{answer.status}/"
                     f"{answer.headers.get('retry-after') or '-'}")  # fmt: skip
        return answer

    failures = 0
    for _ in range(2 * lock_after + 2):  # every 401 or every wait gets one more login
        if failures == lock_after:
            break
        answer = login(alias, f"guess-{len(trail)}")
        if answer.status == 401:
            failures += 1
        elif answer.status == 429:
            waits.wait_out(answer)
        else:
            pytest.skip(f"the CA answered {answer.describe()} before the lock: {trail}")
    if failures < lock_after:
        pytest.skip(f"{failures} of {lock_after} failures reached: {trail}")
    # The backoff of the last failure runs out; then the alias is refused by its lock alone.
    first = login(alias, "after-the-lock")
    if first.status != 429:
        pytest.skip(f"the locked alias got {first.describe()} (test_ca_throttle judges)")
    waits.wait_out(first)
    locked = login(alias, "after-the-backoff")
    retry = locked.headers.get("retry-after") or ""
    if locked.status != 429 or not retry.isdigit():
        pytest.skip(f"the locked alias got {locked.describe()} (other cases judge): {trail}")
    if int(retry) < math.floor(cap):
        raise ConformanceFailure.evidence(
            f"CA-ENR-19: alias {alias!r} failed {lock_after} consecutive times (the declared "
            f"ca_lock_after) and its backoff was waited out",
            f"429 with Retry-After the backoff cap ({cap:g} s, ca_throttle_cap): the lock "
            "lasts until an administrator unlocks it",
            f"Retry-After {retry} s. Trail (who:status/Retry-After): {trail}",
        )
    # The address the alias was locked from: another alias, once its wait has run out.
    for _ in range(3):
        other = login(ca.ghost_alias(), f"other-{len(trail)}")
        if other.status != 429:
            if other.status != 401:
                pytest.skip(f"another alias got {other.describe()} (other cases judge): {trail}")
            return
        waits.wait_out(other)
    raise ConformanceFailure.evidence(
        f"CA-ENR-19: alias {alias!r} was hard-locked after {lock_after} failures, all from "
        f"address {address}; then other aliases logged in from that address, each "
        "Retry-After waited out",
        "a login answered (401) once the address's backoff has run out: addresses are never "
        "hard-locked, the lock is the alias's",
        f"429 after every wait. Trail (who:status/Retry-After): {trail}",
    )


@pytest.mark.req("CA-ENR-7")
def test_the_doubled_wait_stops_at_the_declared_cap(pki_target: Target) -> None:
    threshold = pki_target.limits.ca_throttle_failures
    if threshold is None:
        pytest.skip("the target declares no CA throttle threshold (ca_throttle_failures)")
    if threshold > _MAX_DECLARED:
        pytest.skip(f"ca_throttle_failures {threshold} is more failed logins than the case sends")
    cap = _declared_cap(pki_target)
    # Failures past the threshold until base * 2^k is past the cap (base at least 1 s,
    # the declared cap at most _MAX_WAIT), and one more.
    wanted = threshold + max(1, math.ceil(math.log2(max(cap, 1.0)))) + 2
    address = ca.sources(pki_target).fresh()
    csr = ca.csr_pem(ca.CsrKey.ec("P-256"), ca.name((ca.OID_CN, "ghost")))
    trail: list[str] = []
    waits = _Waits(trail)
    failures = 0
    for _ in range(2 * wanted + 2):
        if failures >= wanted:
            return
        answer = ca.enrol(pki_target, ca.ghost_alias(), f"cap-{len(trail)}", csr, source=address)
        retry = answer.headers.get("retry-after") or ""
        trail.append(f"{answer.status}/{retry or '-'}")
        if answer.status == 401:
            failures += 1
            continue
        if answer.status != 429 or not retry.isdigit():
            pytest.skip(f"the address got {answer.describe()} (other cases judge): {trail}")
        if int(retry) > math.ceil(cap) + 1:
            raise ConformanceFailure.evidence(
                f"CA-ENR-7: address {address} failed {failures} times, each with a new ghost "
                "alias, every Retry-After waited out",
                f"each doubled wait at most the CA's declared backoff cap ({cap:g} s, "
                "ca_throttle_cap)",
                f"Retry-After {retry} s. Statuses/Retry-After: {trail}",
            )
        waits.wait_out(answer)
    pytest.skip(f"{failures} of {wanted} failures reached: {trail}")
