"""CA-ENR-20 with CA-ENR-19: hard-locked aliases do not count towards the table's bound.

A CA that bounds its alias table (E entries, `[limits] ca_throttle_table_entries`) and
never evicts a hard-locked alias (CA-ENR-19: the lock lasts until an administrator lifts
it) must not count those aliases towards the bound either. Counted, a table holding E
hard locks is "full" for good: each new partial count is the only evictable entry and
goes at the next failure of anyone, so no other alias ever reaches the throttle — an
attacker who hard-locks E made-up aliases (from many addresses) switches per-alias
throttling off, and the next guesses against a real employee's password are free.

One case: a control first (N failures of a new alias, then 429), N - 1 failures of an
"early" alias (then the oldest partial count), then E + 1 new aliases hard-locked
(L failures each, waiting out each Retry-After on the way, four aliases at a time, every
guess from a fresh loopback address), then:
- the first of them must still be 429 (a hard lock is never evicted, CA-ENR-19);
- a new alias's N failures must make its next login 429 (CA-ENR-20);
- the early alias's N-th failure must make its next login 429: its count was not
  evicted to make room (CA-ENR-20).

Which wrong CAs fail it: hard locks counted towards the bound, whether the table then
evicts every new partial count at its next failure (the reference until this case was
written) or the oldest partial count at each new alias; hard locks evicted like any
other entry, oldest first; a "table full" state in which new aliases go uncounted.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from conformance import ca_support as ca
from conformance.plugin import inconclusive
from conformance.target import Target
from conformance.wire import ConformanceFailure

pytestmark = [
    pytest.mark.profile("pki"),
    pytest.mark.side("ca"),
    pytest.mark.xdist_group("ca-throttle"),
]

_THREADS = 4
_MAX_FILLABLE = 32  # a bound beyond this takes too many hashed logins to fill by default
_MAX_WAIT = 5.0  # the longest Retry-After the case waits out on the way to a lock
_LOCK_BUDGET = 30.0  # seconds one alias may take to be locked
_BUSY_TRIES = 3  # new aliases refused 503 this many times running: the table holds no more


class _Busy(Exception):
    """A login answered 503: too many attempts pending, or a table with no room."""

    def __init__(self, answer: ca.CaAnswer) -> None:
        super().__init__(answer.describe())
        self.answer = answer


class _Logins:
    """Wrong-password logins, each from a fresh loopback address (only aliases count)."""

    def __init__(self, target: Target) -> None:
        self.target = target
        self.csr = ca.csr_pem(ca.CsrKey.ec("P-256"), ca.name((ca.OID_CN, "ghost")))

    def fail(self, alias: str, tag: str) -> ca.CaAnswer:
        answer = ca.enrol(self.target, alias, f"wrong-{tag}", self.csr)
        if answer.status == 503:
            raise _Busy(answer)
        return answer

    def failures(self, alias: str, count: int, what: str) -> None:
        """`count` answered 401; an earlier 429 is another case's business (CA-ENR-7)."""
        for i in range(count):
            answer = self.fail(alias, f"{what}-{i}")
            if answer.status != 401:
                inconclusive(
                    f"{what}: {alias!r}'s failure {i + 1} of {count} got {answer.describe()}, "
                    "not 401 (the threshold is judged by test_ca_throttle.py)"
                )

    def throttled(self, alias: str, tag: str) -> ca.CaAnswer | None:
        """None when the next login of `alias` is 429, else that answer."""
        answer = self.fail(alias, tag)
        return None if answer.status == 429 else answer

    def hard_lock(self, alias: str) -> None:
        """L failures of `alias`, waiting out each Retry-After on the way."""
        lock_after = self.target.limits.ca_lock_after
        assert lock_after is not None
        failures, deadline = 0, time.monotonic() + _LOCK_BUDGET
        seen: list[str] = []
        while failures < lock_after:
            if time.monotonic() > deadline:
                inconclusive(f"{alias!r}: {failures} of {lock_after} failures in time ({seen})")
            answer = self.fail(alias, f"lock-{len(seen)}")
            retry = answer.headers.get("retry-after") or ""
            seen.append(f"{answer.status}/{retry}")
            if answer.status == 401:
                failures += 1
                continue
            if answer.status != 429 or not retry.isdigit() or int(retry) > _MAX_WAIT:
                inconclusive(
                    f"{alias!r} on its way to the hard cap got {answer.describe()} "
                    f"(statuses/Retry-After: {seen}; CA-ENR-7/19 are judged elsewhere)"
                )
            time.sleep(int(retry) + 0.1)


def _retry_after(answer: ca.CaAnswer) -> float:
    retry = answer.headers.get("retry-after") or ""
    return min(2.0, int(retry)) if retry.isdigit() and int(retry) > 0 else 1.0


def _as_full_table(busy: _Busy, when: str, bound: int, logins: _Logins) -> Exception:
    """A new alias refused 503 once hard locks fill the table, and new aliases still
    refused each time they come back: the table counted its hard locks towards the bound
    and refuses what it cannot hold. A passing 503 is not that: inconclusive."""
    refused = [busy.answer.describe()]
    time.sleep(_retry_after(busy.answer))  # the refusal's own law (CA-ENR-14)
    for i in range(_BUSY_TRIES):
        try:
            logins.fail(ca.ghost_alias(), f"busy-{i}")
        except _Busy as again:
            refused.append(again.answer.describe())
            time.sleep(_retry_after(again.answer))
            continue
        inconclusive(f"a login got 503 {when} ({busy}), then no longer")
    return ConformanceFailure(
        f"a login of a new alias was answered 503 {when}, and {_BUSY_TRIES} more new aliases "
        f"from new addresses, each after the Retry-After, were refused too ({refused}; the "
        f"declared table bound is {bound}): hard-locked aliases MUST NOT count towards the "
        "bound (CA-ENR-20), so a table holding them has room for every new count",
        violates=("CA-ENR-20",),
    )


@pytest.mark.req("CA-ENR-20", "CA-ENR-19")
def test_hard_locked_aliases_leave_room_for_new_counts(pki_target: Target) -> None:
    limits = pki_target.limits
    bound = limits.ca_throttle_table_entries
    if bound is None:
        pytest.skip("the target declares no CA failure-table bound (ca_throttle_table_entries)")
    if bound > _MAX_FILLABLE:
        pytest.skip(f"a table of {bound} entries takes too many hashed logins to fill here")
    if limits.ca_lock_after is None or limits.ca_throttle_failures is None:
        pytest.skip("the target declares no CA hard cap or threshold (ca_lock_after, ...)")
    if limits.ca_throttle_cap is None or limits.ca_throttle_cap > _MAX_WAIT:
        pytest.skip("waiting out the CA's backoffs to a hard lock takes too long here")
    n = limits.ca_throttle_failures
    logins = _Logins(pki_target)

    control = ca.ghost_alias()
    logins.failures(control, n, "the control before the fill")
    answer = logins.throttled(control, "control")
    if answer is not None:
        inconclusive(
            f"N = {n} failures of a new alias did not get it 429 even before any hard lock "
            f"({answer.describe()}): CA-ENR-7, which other cases judge"
        )

    # A partial count made before the fill (N - 1 failures): it is then the oldest
    # entry whose backoff is not running, the first a table counting hard locks evicts.
    early = ca.ghost_alias()
    logins.failures(early, n - 1, "the early alias")

    locked = [ca.ghost_alias() for _ in range(bound + 1)]
    try:
        with ThreadPoolExecutor(max_workers=_THREADS) as pool:
            list(pool.map(logins.hard_lock, locked))
    except _Busy as busy:
        raise _as_full_table(busy, "while aliases were hard-locked", bound, logins) from None

    answer = logins.throttled(locked[0], "still-locked")
    if answer is not None:
        raise ConformanceFailure(
            f"Expected: 429: {locked[0]!r} had {limits.ca_lock_after} consecutive failed "
            f"logins (the declared ca_lock_after), then {bound} more aliases were hard-locked "
            f"the same way (the declared table bound is {bound}); a hard lock lasts until an "
            "administrator lifts it, whatever else the table holds (CA-ENR-19)\n"
            f"Actual:   {answer.describe()}",
            violates=("CA-ENR-19",),
        )

    victim = ca.ghost_alias()
    try:
        logins.failures(victim, n, "a new alias after the fill")
        answer = logins.throttled(victim, "victim")
    except _Busy as busy:
        when = f"after {bound + 1} aliases were hard-locked"
        raise _as_full_table(busy, when, bound, logins) from None
    if answer is not None:
        raise ConformanceFailure(
            f"Expected: 429: a new alias failed N = {n} times (each from a new address) "
            f"after {bound + 1} aliases were hard-locked (the declared table bound is "
            f"{bound}); hard locks MUST NOT count towards the bound, or every new count is "
            "evicted and no alias is throttled again (CA-ENR-20)\n"
            f"Actual:   {answer.describe()}",
            violates=("CA-ENR-20",),
        )

    # The early alias's N-th failure: its N - 1 made before the fill must still count.
    logins.failures(early, 1, "the early alias after the fill")
    answer = logins.throttled(early, "early")
    if answer is not None:
        raise ConformanceFailure(
            f"Expected: 429: {early!r} failed {n - 1} times before {bound + 1} aliases were "
            f"hard-locked (the declared table bound is {bound}; a handful of other counts "
            "were made meanwhile), then once more: N failures. Hard locks MUST NOT count "
            "towards the bound, so nothing had to make room by evicting its count "
            "(CA-ENR-20)\n"
            f"Actual:   {answer.describe()}",
            violates=("CA-ENR-20",),
        )
