"""EKE-THR-8 with EKE-THR-6: a lock running when the server restarts ends no earlier than it
would have without the restart.

EKE-THR-8: "Failure counts MUST survive a restart of the server"; EKE-THR-6: after the n-th
failure the address is locked "for min(cap, base · 2^(n − N)) seconds from that failure";
EKE-THR-9: a failure time kept in whole seconds is rounded UP ("a lock never ends before its
length has passed since the failure"). test_eke_lock_whole_seconds.py checks that rule on the
running server, whose memory may keep exact times while its database does not: a failure
table written as whole seconds rounded down (`int(time.time())`, an INTEGER column, Go's
`Unix()`, a DATETIME without fractions), milliseconds truncated to seconds, or a time
re-read with less precision than it was written, shows only across a restart — the restarted
server's lock ends up to a second early, and a guesser who times a guess just before a
second ticks and waits for a restart (or causes one) gets the next guess early.

Case (throttling, `[eke] restart_cmd`, loopback): one fresh address fails N − 1 times (fresh
ghost names), then once more and once more after each lock ends (its retry_after waited
out), until the lock its next failure brings is at least 2 s; that failure's wrong EKE3 is
sent when the wall clock is at 0.8 of a second; the declared restart; then an EKE1 from that
address once all but 0.35 s of the lock has passed since that EKE3 was SENT (the server
counted the failure no earlier). It MUST be answered `throttled`. A restart slower than that
leaves the case INCONCLUSIVE; an EKE2 after the lock's length proves nothing.
"""

from __future__ import annotations

import time

import pytest

from conformance.eke_support import SourceAddresses, ghost_user, start_handshake
from conformance.plugin import inconclusive
from conformance.target import Target
from conformance.test_eke_restart import needs_restart, restart_until_serving
from conformance.test_eke_throttling import (
    _fail_once,
    _lock_seconds,
    _needs_throttling,
    _no_eke2,
    _probe,
    _timeout,
)
from conformance.wire import ConformanceFailure, ExpectError, ReceivedFrame, expect_on

__all__: list[str] = []

# A restart disturbs every case running against the same server at that moment.
pytestmark = [pytest.mark.profile("eke"), pytest.mark.xdist_group("eke-victim")]

_MIN_LOCK = 2  # seconds: room for the restart before the probe
_MAX_WAITS = 8.0  # the locks waited out before the timed failure, at most
_FRACTION = 0.8  # where in a wall-clock second the timed EKE3 is sent
_MARGIN = 0.35  # the probe: this long before the lock's length has passed
_SLACK = 0.05  # an EKE2 earlier than the lock's end by this much: the lock ended early
_FAKE_PW = bytes(32)


def _schedule(target: Target) -> int:
    """The failure count n whose lock is the first of at least _MIN_LOCK s; else SKIP."""
    limits = target.limits
    n, waits = limits.throttle_failures, 0.0
    while _lock_seconds(target, n) < _MIN_LOCK:
        if limits.throttle_base * 2.0 ** (n - limits.throttle_failures) >= limits.throttle_cap:
            pytest.skip(f"the backoff cap ({limits.throttle_cap:g} s) is below {_MIN_LOCK} s")
        waits += _lock_seconds(target, n)
        n += 1
    if waits > _MAX_WAITS:
        pytest.skip(f"reaching a {_MIN_LOCK} s lock takes {waits:g} s of locks waited out")
    return n


def _wait_out(target: Target, address: str, what: str) -> None:
    """The address is locked: its retry_after, waited out (the lock is the target's)."""
    frame, _ = _probe(target, ghost_user(), _FAKE_PW, address)
    if frame is None or frame.error_name != "throttled":
        inconclusive(f"no lock after {what} ({frame.describe() if frame else 'no frame'})")
        return
    retry = (frame.json() or {}).get("retry_after")
    if isinstance(retry, bool) or not isinstance(retry, int) or not 0 <= retry <= 4 * _MIN_LOCK:
        inconclusive(f"retry_after {retry!r} after {what}: other cases judge it")
        return
    time.sleep(retry)  # the lock runs on the server's clock: nothing to poll


def _timed_failure(target: Target, address: str, what: str) -> tuple[float, float]:
    """One failure whose wrong EKE3 leaves at _FRACTION of a wall-clock second: (wall time,
    monotonic time) just before it was sent."""
    timeout = _timeout(target)
    hs = start_handshake(target, ghost_user(), _FAKE_PW, source=address, timeout=timeout)
    try:
        event = hs.receive_eke2(timeout)
        if isinstance(event, ReceivedFrame) and event.error_name == "throttled":
            inconclusive(f"{what} was refused throttled: its lock had not ended")
        if hs.eke2 is None:
            raise _no_eke2(event, what)
        eke3 = hs.client.on_eke2(hs.eke2, verify=False)
        time.sleep((_FRACTION - time.time() % 1.0) % 1.0)  # a guess timed against the clock
        sent_wall, sent = time.time(), time.monotonic()
        hs.send_eke3(eke3)
        expect_on(hs.raw, [ExpectError("auth_failed", then_close=True)], timeout).check(what)
    finally:
        hs.close()
    return sent_wall, sent


@pytest.mark.req("EKE-THR-8", "EKE-THR-6")
def test_a_lock_running_across_a_restart_ends_no_earlier(
    eke_target: Target, eke_sources: SourceAddresses
) -> None:
    _needs_throttling(eke_target, eke_sources)
    needs_restart(eke_target)
    n_locked = _schedule(eke_target)
    n = eke_target.limits.throttle_failures
    lock = _lock_seconds(eke_target, n_locked)
    address = eke_sources.fresh()
    assert address is not None  # loopback: _needs_throttling
    for i in range(n - 1):
        if (early := _fail_once(eke_target, ghost_user(), address)) is not None:
            inconclusive(f"failure {i + 1} from {address} was refused: {early.describe()}")
    for m in range(n, n_locked):
        if (early := _fail_once(eke_target, ghost_user(), address)) is not None:
            inconclusive(f"failure {m} from {address} was refused: {early.describe()}")
        _wait_out(eke_target, address, f"failure {m} from {address}")
    sent_wall, sent = _timed_failure(eke_target, address, f"failure {n_locked} from {address}")
    restart_until_serving(eke_target, eke_sources)
    restarted = time.monotonic() - sent
    if restarted > lock - _MARGIN:
        inconclusive(
            f"the restart took until {restarted:.2f} s after the failure: the {lock} s lock "
            "had nearly run out before it could be probed"
        )
    time.sleep(max(0.0, sent + lock - _MARGIN - time.monotonic()))  # the lock runs
    probe_sent = time.monotonic() - sent
    frame, _ = _probe(eke_target, ghost_user(), _FAKE_PW, address)
    answered = time.monotonic() - sent
    if frame is not None and frame.error_name == "throttled":
        return
    if frame is None or frame.type != b"EKE2" or answered >= lock - _SLACK:
        return  # no EKE2, or one that came after the lock could have ended: nothing proved
    raise ConformanceFailure.evidence(
        f"address {address}: {n_locked} failures (fresh ghost names; each lock waited out), "
        f"the last one's wrong EKE3 sent at wall time {sent_wall:.3f}; the declared restart "
        f"(serving again {restarted:.2f} s after that EKE3); an EKE1 from {address} sent "
        f"{probe_sent:.2f} s after that EKE3",
        f"EROR throttled: failure {n_locked} locks the address for {lock} s from that failure "
        "(EKE-THR-6), and a restart resets nothing (EKE-THR-8): the restarted server's lock "
        "ends when the first one's would have, or later",
        f"{frame.describe()}, {answered:.2f} s after the EKE3 was sent — the lock ended "
        f"{lock - answered:.2f} s early",
        note="the failure time was stored with less precision than it was kept in memory "
        "(whole seconds rounded down, truncated milliseconds) and read back so at the restart",
    )
