"""What a restart of the sft-eke/1 server does to locks in time (EKE-THR-6, EKE-THR-8,
EKE-THR-11), observed across the declared restart (`[eke] restart_cmd`).

test_eke_restart.py restarts right after the failures: the lock is still running when
the server comes back. Two mistakes show only when time passes before the restart:

* a server that stores the counts but not the time of the latest failure (or reloads it
  as "now") re-arms, at every start, a lock that had run out: after the restart a name
  whose backoff ended long ago is refused `throttled` again. EKE-THR-6: the lock lasts
  `min(cap, base · 2^(n − N))` "from that failure"; a restart is not a failure.
* a server that "cleans up" at start the entries whose latest failure is older than the
  backoff cap (no lock can still run, it reasons) drops the hard locks with them.
  EKE-THR-11: the lock "does not expire and survives restarts".
* a server that writes the count through to its store but keeps the FIRST failure's
  time (an upsert that updates one column) reloads a running lock as one that ended:
  EKE-THR-8, the state survives the restart, and EKE-THR-6 counts it from the latest
  failure.

Each waits out locks (the declared cap at most, skipped above 5 s).
"""

from __future__ import annotations

import time

import pytest

from conformance.eke_support import SourceAddresses, ghost_user
from conformance.plugin import inconclusive
from conformance.target import Target
from conformance.test_eke_restart import needs_restart, restart_until_serving
from conformance.test_eke_throttling import (
    _fail_once,
    _hard_lock_a_ghost,
    _lock_seconds,
    _needs_throttling,
    _probe,
)
from conformance.wire import ConformanceFailure

pytestmark = pytest.mark.xdist_group("eke-victim")

_LONGEST_WAIT = 5.0  # seconds of lock the cases wait out (the embedded reference: 2 s, 4 s)
_MARGIN = 1.0  # beyond the lock's end (rounded up to whole seconds by the law already)


@pytest.mark.req("EKE-THR-6", "EKE-THR-8")
def test_a_backoff_that_ran_out_before_a_restart_is_not_rearmed(
    eke_target: Target, eke_sources: SourceAddresses
) -> None:
    """N + 1 failures of one ghost name (each from a fresh address, so that no address
    is locked; the N-th's lock waited out before the last), the last one's lock waited
    out, a restart, then EKE1 of the name at once: EKE2 (the lock ran out before the
    restart), not `throttled`."""
    _needs_throttling(eke_target, eke_sources)
    needs_restart(eke_target)
    limits = eke_target.limits
    n = limits.throttle_failures + 1
    if limits.lock_after is not None and n >= limits.lock_after:
        n = limits.throttle_failures  # stay below the hard cap
        if n >= limits.lock_after:
            pytest.skip("the hard cap (lock_after) is the throttle threshold: no lock runs out")
    lock = _lock_seconds(eke_target, n)
    if lock > _LONGEST_WAIT:
        pytest.skip(f"a lock of {lock} s after {n} failures is too long to wait out here")
    if n > limits.throttle_failures and _lock_seconds(eke_target, n - 1) > _LONGEST_WAIT:
        pytest.skip("the lock before the last failure is too long to wait out here")
    user = ghost_user()
    for i in range(n):
        if i >= limits.throttle_failures:  # the lock of the failures so far, waited out
            time.sleep(_lock_seconds(eke_target, i) + _MARGIN / 2)
        early = _fail_once(eke_target, user, eke_sources.fresh())
        if early is not None:
            inconclusive(
                f"cannot judge a lock that ran out: failure {i + 1} of {n} was already "
                f"answered {early.describe()} (test_eke_throttling.py judges the threshold)"
            )
    time.sleep(lock + _MARGIN)  # the lock is the server's clock: waited out, not polled
    restart_until_serving(eke_target, eke_sources)
    frame, _ = _probe(eke_target, user, bytes(32), eke_sources.fresh())
    if frame is not None and frame.error_name == "throttled":
        raise ConformanceFailure.evidence(
            f"EKE1 of {user!r} right after a restart of the server: {n} failures (N = "
            f"{limits.throttle_failures}), whose lock of {lock} s (EKE-THR-6) had run out "
            f"{_MARGIN:g} s before the restart",
            "EKE2: the lock counts from the latest failure, and a restart is no failure",
            f"{frame.describe()} — the restart re-armed a lock that had ended (the time of "
            "the latest failure was not kept)",
        )


@pytest.mark.req("EKE-THR-11", "EKE-THR-8")
def test_a_hard_lock_older_than_the_backoff_cap_survives_a_restart(
    eke_target: Target, eke_sources: SourceAddresses
) -> None:
    """L consecutive failures of one name (the hard cap), then longer than the backoff
    cap, then a restart, then EKE1 of the name: `throttled` — the lock does not expire,
    and a start that drops the entries older than the cap drops it."""
    _needs_throttling(eke_target, eke_sources)
    needs_restart(eke_target)
    limits = eke_target.limits
    user = _hard_lock_a_ghost(eke_target, eke_sources, strict=False)
    lock_after = eke_target.limits.lock_after
    assert lock_after is not None  # the helper SKIPs otherwise
    frame, _ = _probe(eke_target, user, bytes(32), eke_sources.fresh())
    if frame is None or frame.error_name != "throttled":
        inconclusive(
            f"cannot judge a lock across a restart: {user!r} is not throttled after "
            f"{lock_after} failures before any restart "
            f"({frame.describe() if frame else 'no frame'}): test_eke_throttling.py judges that"
        )
    # Past the longest lock the backoff law allows: only the hard lock still holds.
    time.sleep(max(limits.throttle_cap, _lock_seconds(eke_target, lock_after)) + _MARGIN)
    restart_until_serving(eke_target, eke_sources)
    frame, _ = _probe(eke_target, user, bytes(32), eke_sources.fresh())
    if frame is None or frame.error_name != "throttled":
        raise ConformanceFailure.evidence(
            f"EKE1 of {user!r}: {lock_after} consecutive failures (the declared lock_after), "
            f"then {limits.throttle_cap:g} s (the backoff cap) and more, then a restart of "
            "the server",
            "EROR throttled: a hard lock survives restarts until an administrator unlocks "
            "it, however old its latest failure",
            f"{frame.describe() if frame is not None else 'no frame'}",
        )


@pytest.mark.req("EKE-THR-8", "EKE-THR-6")
def test_a_lock_running_at_a_restart_still_runs_from_its_latest_failure(
    eke_target: Target, eke_sources: SourceAddresses
) -> None:
    """One failure of a ghost name, a pause longer than any lock the case makes, then the
    failures up to N + 1 (the N-th's lock waited out before the last), then a restart at
    once, then EKE1 of the name while the last failure's lock still runs: `throttled`. A
    server that stores the count but keeps the FIRST failure's time (an upsert that
    updates one column) reloads a lock that ended long ago."""
    _needs_throttling(eke_target, eke_sources)
    needs_restart(eke_target)
    limits = eke_target.limits
    n = limits.throttle_failures + 1
    if limits.lock_after is not None and n >= limits.lock_after:
        pytest.skip("N + 1 failures reach the hard cap (lock_after): no lock that ends")
    lock = _lock_seconds(eke_target, n)
    if lock > _LONGEST_WAIT or _lock_seconds(eke_target, n - 1) > _LONGEST_WAIT:
        pytest.skip(f"locks of {lock} s are too long to wait out here")
    user = ghost_user()
    for i in range(n):
        if i == 1:
            time.sleep(lock + _MARGIN)  # the first failure's time is then long past any lock
        elif i >= limits.throttle_failures:
            time.sleep(_lock_seconds(eke_target, i) + _MARGIN / 2)
        early = _fail_once(eke_target, user, eke_sources.fresh())
        if early is not None:
            inconclusive(
                f"cannot judge a lock across a restart: failure {i + 1} of {n} was already "
                f"answered {early.describe()} (test_eke_throttling.py judges the threshold)"
            )
    last_failure = time.monotonic()
    restart_until_serving(eke_target, eke_sources)
    frame, _ = _probe(eke_target, user, bytes(32), eke_sources.fresh())
    elapsed = time.monotonic() - last_failure
    if frame is not None and frame.error_name == "throttled":
        return
    if elapsed > lock - 0.5:
        inconclusive(
            f"the restart took too long to judge: EKE1 {elapsed:.1f} s after the last "
            f"failure, whose lock is {lock} s ({frame.describe() if frame else 'no frame'})"
        )
    raise ConformanceFailure(
        f"EKE1 of {user!r} {elapsed:.1f} s after its failure {n} (N = "
        f"{limits.throttle_failures}; the first failure {lock + _MARGIN:g} s and more before "
        "the others), a restart of the server in between\n"
        f"Expected: EROR throttled: the lock of {lock} s runs from the latest failure "
        "(EKE-THR-6) and survives the restart (EKE-THR-8)\n"
        f"Actual:   {frame.describe() if frame is not None else 'no frame'} — the lock ended "
        "early: the restarted server counts it from an older failure",
        violates=("EKE-THR-8",),
    )
