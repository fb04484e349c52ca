"""EKE-THR-9 with EKE-THR-11: hard-locked names do not count towards the table's bound.

A server that bounds its user-name table (E entries, `[limits] throttle_table_entries`)
and never evicts a hard-locked name (EKE-THR-11: the lock lasts until an administrator
lifts it) must not count those names towards the bound either. Counted, a table holding
E hard locks is "full" for good: each new partial count is the only evictable entry and
goes at the next failure of anyone, so no other name ever reaches N failures — an
attacker who hard-locks E names (by guessing, from many addresses) switches per-name
throttling off for every user, and the next guesses against a victim are free.

One case: a control first (N failures of a new name throttle it), N - 1 failures of an
"early" name (then the oldest partial count), then E + 1 new names hard-locked (N − 1
failed EKE3s each, the rest of L as pending handshakes abandoned after EKE2, up to four
names at a time within LIM-4, from fresh loopback addresses), then:
- the first of them must still be refused (a hard lock is never evicted, EKE-THR-11);
- a new name's N failures must throttle its next EKE1 (EKE-THR-9);
- the early name's N-th failure must throttle it: its count was not evicted to make room
  (EKE-THR-9).

Which wrong servers fail it: hard locks counted towards the bound, whether the table then
evicts every new partial count at its next failure (the reference until this case was
written) or the oldest partial count at each new name (an independent did); hard locks
evicted like any other entry, oldest first; a "table full" state in which new names go
uncounted, or are refused `busy`.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from conformance.eke_support import SourceAddresses, ghost_user
from conformance.plugin import Inconclusive, inconclusive
from conformance.target import Target
from conformance.test_eke_throttling import (
    _fail_once,
    _hard_lock_a_ghost,
    _needs_throttling,
    _pending_caps,
    _probe,
)
from conformance.wire import ConformanceFailure

pytestmark = pytest.mark.xdist_group("eke-victim")

_THREADS = 4
# A bound beyond this takes too many handshakes to fill in the default run.
_MAX_FILLABLE = 64
# New names refused `busy` this many times running: the table will not hold them.
_BUSY_TRIES = 3


def _throttled_after_n(target: Target, sources: SourceAddresses, what: str) -> str | None:
    """N failures of a new name, each from a new address; None when its next EKE1 is
    refused `throttled`, else what answered it."""
    n = target.limits.throttle_failures
    user = ghost_user()
    for i in range(n):
        early = _fail_once(target, user, sources.fresh())
        if early is not None:
            inconclusive(f"{what}: throttled after {i} of {n} failures ({early.describe()})")
    frame, _ = _probe(target, user, bytes(32), sources.fresh())
    if frame is not None and frame.error_name == "throttled":
        return None
    return frame.describe() if frame is not None else "no frame"


def _new_names_refused(target: Target, sources: SourceAddresses) -> str | None:
    """EKE1 of a new name from a new address, up to three times, each after the
    `retry_after` of the refusal before: what answered, when every one was `busy`."""
    answer = ""
    for _ in range(_BUSY_TRIES):
        frame, _ = _probe(target, ghost_user(), bytes(32), sources.fresh())
        if frame is None or frame.error_name != "busy":
            return None
        answer = frame.describe()
        retry = (frame.json() or {}).get("retry_after")
        # The refusal's own law (ERR-7): a client may come back after retry_after.
        time.sleep(min(2.0, retry if type(retry) is int and retry > 0 else 1))
    return answer


def _as_full_table(
    exc: Exception, when: str, bound: int, target: Target, sources: SourceAddresses
) -> Exception:
    """A new name refused `busy` (nothing of it pending) once hard locks fill the table,
    and still refused each time it comes back: the table counted them towards its bound
    and refuses what it cannot hold. A passing `busy` (the run's other cases holding
    slots) is not that: the original outcome stands."""
    if "EROR busy" not in str(exc):
        return exc
    refused = _new_names_refused(target, sources)
    if refused is None:
        return exc
    return ConformanceFailure(
        f"a new user name's EKE1 was answered `busy` {when}, and {_BUSY_TRIES} more new "
        f"names from new addresses, each after the retry_after, were refused too ({refused}; "
        f"the declared table bound is {bound}): hard-locked names MUST NOT count towards "
        f"the bound (EKE-THR-9), so a table holding them has room for every new count\n{exc}",
        violates=("EKE-THR-9",),
    )


@pytest.mark.req("EKE-THR-9", "EKE-THR-11")
def test_hard_locks_leave_room_for_new_counts(
    eke_target: Target, eke_sources: SourceAddresses
) -> None:
    _needs_throttling(eke_target, eke_sources)
    limits = eke_target.limits
    bound = limits.throttle_table_entries
    if bound is None:
        pytest.skip("the target declares no failure-table bound ([limits] throttle_table_entries)")
    if bound > _MAX_FILLABLE:
        pytest.skip(f"a table of {bound} entries takes too many handshakes to fill here")
    if limits.lock_after is None:
        pytest.skip("the target declares no hard cap (limits.lock_after, EKE-THR-11)")
    n, lock_after = limits.throttle_failures, limits.lock_after
    p, _ = _pending_caps(eke_target)
    if lock_after - (n - 1) > p:
        pytest.skip(f"lock_after {lock_after} is not reachable without waiting out locks")
    if limits.throttle_cap > 5:
        pytest.skip(f"waiting out a {limits.throttle_cap:g} s backoff cap is too long here")

    control = _throttled_after_n(eke_target, eke_sources, "the control before the fill")
    if control is not None:
        inconclusive(
            f"N = {n} failures of a new name did not throttle it even before any hard lock "
            f"({control}): EKE-THR-1, which other cases judge"
        )

    # A partial count made before the fill (N - 1 failures): it is then the oldest
    # unlocked entry, the first a table that counts its hard locks would evict.
    early = ghost_user()
    for i in range(n - 1):
        if _fail_once(eke_target, early, eke_sources.fresh()) is not None:
            inconclusive(f"{early!r} throttled after {i} of {n} failures: other cases judge")

    def lock_one(_: int) -> str:
        return _hard_lock_a_ghost(eke_target, eke_sources, strict=False)

    # Each name holds L - (N - 1) pending handshakes at its end: stay inside LIM-4.
    held = lock_after - (n - 1)
    room = (limits.max_connections or _THREADS * held + 2) - 2
    threads = max(1, min(_THREADS, room // max(1, held)))
    try:
        with ThreadPoolExecutor(max_workers=threads) as pool:
            locked = list(pool.map(lock_one, range(bound + 1)))
    except (ConformanceFailure, Inconclusive) as exc:
        when = "while hard-locking names one after the other"
        raise _as_full_table(exc, when, bound, eke_target, eke_sources) from None

    frame, _ = _probe(eke_target, locked[0], bytes(32), eke_sources.fresh())
    if frame is None or frame.error_name != "throttled":
        raise ConformanceFailure(
            f"Expected: EROR throttled: {locked[0]!r} had {lock_after} consecutive failures "
            f"(the declared lock_after), then {bound} more names were hard-locked the same "
            f"way (the declared table bound is {bound}); a hard lock lasts until an "
            "administrator lifts it, whatever else the table holds (EKE-THR-11)\n"
            f"Actual:   {frame.describe() if frame is not None else 'no frame'}",
            violates=("EKE-THR-11",),
        )

    try:
        victim = _throttled_after_n(eke_target, eke_sources, "a new name after the fill")
    except (ConformanceFailure, Inconclusive) as exc:
        when = f"after {bound + 1} names were hard-locked"
        raise _as_full_table(exc, when, bound, eke_target, eke_sources) from None
    if victim is not None:
        raise ConformanceFailure(
            f"Expected: EROR throttled: a new name failed N = {n} times (each from a new "
            f"address) after {bound + 1} names were hard-locked (the declared table bound is "
            f"{bound}); hard locks MUST NOT count towards the bound, or every new count is "
            "evicted and no name is throttled again (EKE-THR-9)\n"
            f"Actual:   {victim}",
            violates=("EKE-THR-9",),
        )

    # The early name's N-th failure: its N - 1 made before the fill must still count.
    if _fail_once(eke_target, early, eke_sources.fresh()) is None:
        frame, _ = _probe(eke_target, early, bytes(32), eke_sources.fresh())
        if frame is None or frame.error_name != "throttled":
            raise ConformanceFailure(
                f"Expected: EROR throttled: {early!r} failed {n - 1} times before {bound + 1} "
                f"names were hard-locked (the declared table bound is {bound}; a handful of "
                "other counts were made meanwhile), then once more: N failures. Hard locks "
                "MUST NOT count towards the bound, so nothing had to make room by evicting "
                "its count (EKE-THR-9)\n"
                f"Actual:   {frame.describe() if frame is not None else 'no frame'}",
                violates=("EKE-THR-9",),
            )
