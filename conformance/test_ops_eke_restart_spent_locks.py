"""A count whose lock has run out is still a count after a restart (docs/SPEC.md §5.6).

EKE-THR-8: "Failure counts MUST survive a restart of the server ... a restart is not a way
to reset them." EKE-THR-6: the backoff is a law of the failure COUNT n — after the n-th
failure the name or address is locked for `min(cap, base · 2^(n − N))` seconds; a lock that
ran out leaves the count where it was, and the next failure locks for twice as long.

A loader that tidies its table at start ("rows whose lock has run out are stale, drop
them") reads the law as a list of locks: every name or address whose backoff ended before
the restart comes back with no count, and the next failure is its first. The restart cases
before this one cannot see it: they restart while counts are below N (nothing to tidy), or
while a lock still runs (kept), or judge only that an ended lock is not re-armed — and a
restart slower than the lock (the embedded reference takes about as long as its 1 s first
lock) shows it only by chance.

So, for a fresh ghost user name (its failures from fresh addresses) and a fresh address
(its failures under fresh names): N failures each, their lock waited out (the law's length
and half a second: the server's clock, waited, not polled), the declared restart, then one
failure more of each: the (N + 1)-th failure locks both at once (for 2·base seconds, at
least 1), so the next EKE1 of each MUST be refused `throttled`. Needs a loopback target
with the `throttling` feature, a restart command and a first lock short enough to wait out.
"""

from __future__ import annotations

import time

import pytest

from conformance.eke_support import SourceAddresses, ghost_user
from conformance.plugin import inconclusive
from conformance.target import Target
from conformance.test_eke_restart import needs_restart, restart_until_serving
from conformance.test_eke_throttling import (
    _assert_throttled,
    _fail_once,
    _lock_seconds,
    _needs_throttling,
    _probe,
)

pytestmark = [pytest.mark.xdist_group("eke-victim"), pytest.mark.profile("eke")]

_LONGEST_WAIT = 5.0  # seconds of lock the case waits out (the embedded reference: 1 s)
_MARGIN = 0.5  # beyond the lock's end (whole seconds rounded up by the law already)


@pytest.mark.req("EKE-THR-8", "EKE-THR-6")
def test_counts_whose_lock_ran_out_survive_a_restart(
    eke_target: Target, eke_sources: SourceAddresses
) -> None:
    _needs_throttling(eke_target, eke_sources)
    needs_restart(eke_target)
    limits = eke_target.limits
    n = limits.throttle_failures
    if limits.lock_after is not None and n + 1 >= limits.lock_after:
        pytest.skip("N + 1 failures reach the hard cap: the count after the restart is a lock")
    lock = _lock_seconds(eke_target, n)
    if lock > _LONGEST_WAIT:
        pytest.skip(f"the first lock ({lock} s) is too long to wait out here")
    user, address = ghost_user(), eke_sources.fresh()
    for i in range(n):
        for name, source in ((user, eke_sources.fresh()), (ghost_user(), address)):
            early = _fail_once(eke_target, name, source)
            if early is not None:
                inconclusive(
                    f"failure {i + 1} of {n} was already answered {early.describe()} "
                    "(test_eke_throttling.py judges the threshold)"
                )
    time.sleep(lock + _MARGIN)  # both locks have run out: the counts stay N
    restart_until_serving(eke_target, eke_sources)
    after = _lock_seconds(eke_target, n + 1)
    # Each probed right after its own (N + 1)-th failure: the lock runs from that failure.
    for what, same_user in ((f"user name {user!r}", True), (f"address {address}", False)):
        started = time.monotonic()
        early = _fail_once(
            eke_target,
            user if same_user else ghost_user(),
            eke_sources.fresh() if same_user else address,
        )
        if early is not None:
            continue  # throttled before the (N + 1)-th failure: the count survived, and more
        frame, _ = _probe(
            eke_target,
            user if same_user else ghost_user(),
            bytes(32),
            eke_sources.fresh() if same_user else address,
        )
        if (frame is None or frame.error_name != "throttled") and (
            time.monotonic() - started >= after
        ):
            inconclusive(
                f"the probe of the {what} came {time.monotonic() - started:.1f} s after its "
                f"(N + 1)-th failure began: its lock of {after} s may have run out (a slow run)"
            )
        _assert_throttled(
            frame,
            f"EKE1 for the {what}: N = {n} failures, their lock of {lock} s waited out, a "
            "restart of the server, then one failure more — the (N + 1)-th, which locks for "
            f"{after} s (EKE-THR-6, EKE-THR-8: a count whose lock ran out is still a count, "
            "and a restart does not reset it)",
            broken="EKE-THR-8",
        )
