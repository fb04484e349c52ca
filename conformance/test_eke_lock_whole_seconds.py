"""EKE-THR-6 with EKE-THR-9: a lock never ends before its length has passed since the
failure — a server keeping failure times in whole seconds rounds them UP.

"after the n-th failure the user name or address is locked for min(cap, base · 2^(n − N))
seconds from that failure" (EKE-THR-6); "a failure time kept in whole seconds, rounded
up: a lock never ends before its length has passed since the failure" (EKE-THR-9). A
server that stores the time of a failure as whole seconds rounded DOWN (an INTEGER
column, `int(time.time())`, Go's `time.Now().Unix()`) ends every lock up to a second
early: with N = 3 and a 1 s first lock, a guesser who times the N-th guess just before a
second ticks over gets the next one almost at once — the lock is as good as gone. The
other throttle cases probe a lock either at once (it still runs) or after it has surely
ended, so such a server passes them all.

Per trial: N − 1 failures of a fresh unknown name (each from a fresh address), then the
N-th guess, its wrong EKE3 sent when the wall clock is at a chosen fraction of a second
(0.75: rounded down, the failure loses three quarters of a second; a second trial at
0.25 covers a remote target whose clock is half a second off ours), then the name's next
EKE1 once all but 0.35 s of the lock has passed since that EKE3 was SENT (the server
counted the failure no earlier). It MUST be answered `throttled`. An EKE2 that arrives
before the lock's length has passed since the EKE3 was sent is a lock that ended early;
an EKE2 that arrives later (a loaded machine) proves nothing, and the trial is left
aside.
"""

from __future__ import annotations

import time

import pytest

from conformance.eke_support import SourceAddresses, ghost_user, start_handshake
from conformance.plugin import inconclusive
from conformance.target import Target
from conformance.test_eke_throttling import (
    _fail_once,
    _lock_seconds,
    _needs_throttling,
    _no_eke2,
    _timeout,
)
from conformance.wire import ConformanceFailure, ExpectError, ReceivedFrame, expect_on

pytestmark = pytest.mark.xdist_group("eke-victim")

_FRACTIONS = (0.75, 0.25)  # where in a wall-clock second the N-th EKE3 is sent
_MARGIN = 0.35  # the probe: this long before the lock's length has passed
_SLACK = 0.05  # an EKE2 earlier than the lock's end by this much: the lock ended early
_MAX_LOCK = 4  # a first lock longer than this is too long to wait out by default


def _wait_for_fraction(fraction: float) -> None:
    """Until the wall clock is at `fraction` of a second (the scenario: a guess timed
    against the server's whole-second clock)."""
    now = time.time()
    time.sleep((fraction - now % 1.0) % 1.0)


def _trial(target: Target, sources: SourceAddresses, fraction: float) -> str | None:
    """One timed N-th failure and a probe: None when the probe was `throttled`, else what
    happened (an early EKE2 raises)."""
    n = target.limits.throttle_failures
    lock = _lock_seconds(target, n)
    timeout = _timeout(target)
    user = ghost_user()
    for i in range(n - 1):
        early = _fail_once(target, user, sources.fresh())
        if early is not None:
            inconclusive(f"{user!r} throttled after {i} of {n} failures ({early.describe()})")
    hs = start_handshake(target, user, bytes(32), source=sources.fresh(), timeout=timeout)
    try:
        event = hs.receive_eke2(timeout)
        if isinstance(event, ReceivedFrame) and event.error_name == "throttled":
            inconclusive(f"{user!r} throttled after {n - 1} failures: other cases judge")
        if hs.eke2 is None:
            raise _no_eke2(event, f"the {n}-th guess")
        eke3 = hs.client.on_eke2(hs.eke2, verify=False)
        _wait_for_fraction(fraction)
        sent_wall, sent = time.time(), time.monotonic()
        hs.send_eke3(eke3)
        expect_on(hs.raw, [ExpectError("auth_failed", "timeout", then_close=True)], timeout).check(
            f"the {n}-th guess"
        )
    finally:
        hs.close()
    # The lock runs on the server's clock: let all but _MARGIN of it pass.
    time.sleep(max(0.0, sent + lock - _MARGIN - time.monotonic()))
    probe_sent = time.monotonic() - sent
    probe = start_handshake(target, user, bytes(32), source=sources.fresh(), timeout=timeout)
    try:
        event = probe.receive_eke2(timeout)
        answered = time.monotonic() - sent
    finally:
        probe.close()
    if isinstance(event, ReceivedFrame) and event.error_name == "throttled":
        return None
    what = event.describe()
    if probe.eke2 is not None and answered < lock - _SLACK:
        raise ConformanceFailure.evidence(
            f"{n - 1} failures of {user!r} (each from a new address), then its {n}-th guess: "
            f"the wrong EKE3 sent at wall time {sent_wall:.3f} (at {fraction:g} of a "
            f"second); its next EKE1 sent {probe_sent:.2f} s after that EKE3, from another "
            "address",
            f"EROR throttled: the N-th failure locks the name for {lock} s from that failure "
            "(EKE-THR-6), and a failure time kept in whole seconds is rounded UP: a lock "
            "never ends before its length has passed (EKE-THR-9)",
            f"{what}, {answered:.2f} s after the EKE3 was sent — the lock ended "
            f"{lock - answered:.2f} s early (a failure time rounded down?)",
        )
    return f"{what} at {answered:.2f} s after the EKE3 ({fraction:g} of a second)"


@pytest.mark.req("EKE-THR-6", "EKE-THR-9")
def test_a_lock_never_ends_before_its_length(
    eke_target: Target, eke_sources: SourceAddresses
) -> None:
    _needs_throttling(eke_target, eke_sources)
    lock = _lock_seconds(eke_target, eke_target.limits.throttle_failures)
    if lock > _MAX_LOCK:
        pytest.skip(f"a first lock of {lock} s is too long to wait out in the default run")
    late = [outcome for f in _FRACTIONS if (outcome := _trial(eke_target, eke_sources, f))]
    if late:
        inconclusive(
            "the probe was answered after the lock could have ended (a loaded machine): "
            + "; ".join(late)
        )
