"""A 429's Retry-After covers every backoff that refuses the login: the alias's AND the
address's, whichever runs longer (SPEC §4.4, CA-ENR-7).

CA-ENR-7 throttles failed logins "per alias and per client address", and: "After a `429`
that said `Retry-After: n`, a login made n seconds later is answered again … Not before,
either: the wait after the failure that starts it is base · 2^(n − N) seconds (capped)
from that failure". When both the alias and the address have a backoff running, the
login is refused until the LATER of the two ends, so the promise `n` has to cover that
one. A CA that takes the first running backoff it finds (a loop that breaks at the first
match), or the last (a loop that overwrites), or always the alias's, promises the wrong
one whenever the other runs longer: the client comes back after n seconds and is refused
again (or the backoff ended before its law allows).

Each case makes one backoff twice as long as the other: its owner fails N times (the
first `429` proves the backoff runs), waits the Retry-After out, and fails once more —
the (N+1)-th failure, sent at `t`, starts a wait of min(cap, 2 · base) seconds, so that
backoff cannot end before t + min(cap, 2 · base). The other owner then fails N times (a
backoff of `base`). The judging login combines the two (the throttled alias from the
throttled address): it MUST be `429`, and the moment its answer arrived plus its
Retry-After MUST NOT fall before the longer backoff's earliest end. No sleep beyond the
first Retry-After; no account needed (unknown aliases are counted like known ones).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import pytest

from conformance import ca_support as ca
from conformance.target import Target
from conformance.wire import ConformanceFailure

pytestmark = [
    pytest.mark.profile("pki"),
    pytest.mark.side("ca"),
    pytest.mark.xdist_group("ca-retry-after-both"),
]

_MAX_SEQUENTIAL = 12  # as test_ca_throttle.py: a CA not throttling by then is judged there
_MAX_RETRY_AFTER = 5.0  # the longest first Retry-After the case waits out
_SLACK = 0.15  # seconds added to a Retry-After before the next login


@dataclass(frozen=True)
class _Login:
    status: int
    retry_after: str | None
    sent: float  # time.monotonic() before the connection was opened
    answered: float  # time.monotonic() once the answer was read


def _login(target: Target, alias: str, source: str, tag: str) -> _Login:
    csr = ca.csr_pem(ca.CsrKey.ec("P-256"), ca.name((ca.OID_CN, "ghost")))
    sent = time.monotonic()
    answer = ca.enrol(target, alias, f"wrong-{tag}", csr, source=source)
    return _Login(answer.status, answer.headers.get("retry-after"), sent, time.monotonic())


def _bound(target: Target) -> int:
    declared = target.limits.ca_throttle_failures
    return _MAX_SEQUENTIAL if declared is None else max(_MAX_SEQUENTIAL, declared + 2)


def _seconds(value: str | None, what: str) -> int:
    if value is None or not value.isdigit():
        raise ConformanceFailure(
            f"CA-ENR-7: {what}: Retry-After {value!r}; want a whole number of seconds"
        )
    return int(value)


def _until_throttled(target: Target, alias: str | None, source: str, who: str) -> _Login:
    """Wrong passwords (of `alias`, or of a new ghost each time) from `source` until 429."""
    statuses: list[int] = []
    for n in range(_bound(target)):
        login = _login(target, alias or ca.ghost_alias(), source, f"{who}-{n}")
        statuses.append(login.status)
        if login.status == 429:
            return login
        if login.status != 401:
            pytest.skip(f"{who}: a wrong password answered {login.status} ({statuses})")
    pytest.skip(f"{who}: never 429 after {len(statuses)} failures (test_ca_throttle.py judges)")


def _one_more_failure(
    target: Target, alias: str | None, source: str, after: _Login, who: str
) -> _Login:
    """Waits out `after`'s Retry-After, then fails once more (answered 401)."""
    wait = _seconds(after.retry_after, f"{who}: the first 429")
    if wait > _MAX_RETRY_AFTER:
        pytest.skip(f"{who}: a first Retry-After of {wait} s (the case waits {_MAX_RETRY_AFTER})")
    time.sleep(max(0.0, after.answered + wait + _SLACK - time.monotonic()))
    login = _login(target, alias or ca.ghost_alias(), source, f"{who}-again")
    if login.status != 401:
        raise ConformanceFailure.evidence(
            f"CA-ENR-7: {who}: a wrong password sent {wait + _SLACK:.2f} s after a 429 that "
            f"said Retry-After: {wait}",
            "401 auth_failed (a login made n seconds later is answered again)",
            f"{login.status}, Retry-After {login.retry_after!r}",
        )
    return login


@pytest.mark.req("CA-ENR-7")
@pytest.mark.parametrize("longer", ["address", "alias"])
def test_retry_after_covers_the_longer_of_two_backoffs(pki_target: Target, longer: str) -> None:
    pool = ca.sources(pki_target)
    first, second, third = pool.fresh(), pool.fresh(), pool.fresh()
    if first is None or second is None or third is None:
        pytest.skip("needs several loopback source addresses (the CA on 127.0.0.1)")
    base = pki_target.limits.ca_throttle_base or 1.0
    cap = pki_target.limits.ca_throttle_cap or 300.0
    alias = ca.ghost_alias()
    if longer == "address":
        # The address `first`: N failures (ghosts), the wait, one more -> 2 * base.
        throttled = _until_throttled(pki_target, None, first, "the address")
        again = _one_more_failure(pki_target, None, first, throttled, "the address")
        # The alias, from `second`: N failures -> base.
        _until_throttled(pki_target, alias, second, "the alias")
    else:
        # The alias: N failures from `second`, the wait, one more from `third` -> 2 * base.
        lock_after = pki_target.limits.ca_lock_after
        declared = pki_target.limits.ca_throttle_failures
        if lock_after is not None and declared is not None and lock_after <= declared + 1:
            pytest.skip(
                f"the alias's (N+1)-th failure would hard-lock it (N = {declared}, "
                f"L = {lock_after}): the alias's longer backoff is a lock then"
            )
        throttled = _until_throttled(pki_target, alias, second, "the alias")
        again = _one_more_failure(pki_target, alias, third, throttled, "the alias")
        # The address `first`: N failures (ghosts) -> base.
        _until_throttled(pki_target, None, first, "the address")
    earliest_end = again.sent + min(cap, 2 * base)
    judged = _login(pki_target, alias, first, "judged")
    what = (
        f"the alias and the address both throttled, the {longer}'s backoff the longer "
        f"(its (N+1)-th failure sent {judged.sent - again.sent:.2f} s before this login: "
        f"min(cap, 2 x base) = {min(cap, 2 * base):g} s from it)"
    )
    if judged.status != 429:
        raise ConformanceFailure.evidence(
            f"CA-ENR-7: a wrong password, {what}",
            "429 throttled (both backoffs run)",
            f"{judged.status}",
        )
    promised = _seconds(judged.retry_after, f"the 429 of a login, {what}")
    if judged.answered + promised < earliest_end - 0.05:
        raise ConformanceFailure.evidence(
            f"CA-ENR-7: a wrong password, {what}",
            f"Retry-After at least {earliest_end - judged.answered:.2f} s: the {longer}'s "
            "backoff runs until then at the earliest, and a login made n seconds later is "
            "answered again",
            f"429 with Retry-After: {promised} (the backoff of the other, shorter one)",
            note="a Retry-After taken from the first (or last, or the alias's) running "
            "backoff rather than the longest sends the client back while it is still refused",
        )
