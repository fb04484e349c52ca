"""sft-eke/1: `retry_after` when the user name AND the address are locked (SPEC §5.6
EKE-THR-6).

"`retry_after` is the time left, rounded up — the time until an `EKE1` could be
answered: with the user name and the address both locked, the time left of the lock that
ends last." Every other case locks one counter at a time, so an implementation that
answers with the lock it looks at first (the user name's, say), or with the smaller wait
of the two ("the next lock to end"), passes them all — and sends an honest client back
too early, into the other lock, where it is refused again (and, by EKE-THR-7's retry rule,
told to wait again).

Both orders are checked, each with its long lock made at once by pending handshakes
abandoned together (EKE-THR-5: each counts the moment it ends): the user name's lock long
and the address's short, then the address's long and the user name's short. A probe
`EKE1` of the user name from the address MUST be answered `throttled` with a
`retry_after` no shorter than what is left of the long lock (a coarse clock may only make
it longer: failure times MAY be rounded up, EKE-THR-9).

Unknown user names and fresh loopback addresses only: no account is touched.
"""

from __future__ import annotations

import math
import time
from typing import Literal

import pytest

from conformance.eke_support import (
    PartialHandshake,
    SourceAddresses,
    fail_handshake,
    ghost_user,
    start_handshake,
)
from conformance.plugin import inconclusive, unsupported
from conformance.target import Target
from conformance.test_eke_throttling import _hold, _timeout
from conformance.wire import (
    ConformanceFailure,
    ExpectError,
    ReceivedFrame,
    deadline_after,
    expect_on,
)

pytestmark = pytest.mark.xdist_group("eke-victim")

# A lock is "long" when what is left of it at the probe exceeds the short one by this.
_MARGIN = 1.5


def _wait(target: Target, failures: int, *, user: bool) -> float:
    """EKE-THR-6/11: the lock after the `failures`-th failure (0 below N), in seconds; a
    user name at the hard cap waits the backoff cap for as long as the lock lasts."""
    limits = target.limits
    n = limits.throttle_failures
    if failures < n:
        return 0.0
    if user and limits.lock_after is not None and failures >= limits.lock_after:
        return float(math.ceil(limits.throttle_cap))
    return float(
        max(1, math.ceil(min(limits.throttle_cap, limits.throttle_base * 2.0 ** (failures - n))))
    )


def _hard(target: Target, failures: int) -> bool:
    lock_after = target.limits.lock_after
    return lock_after is not None and failures >= lock_after


def _fail(target: Target, user: str, source: str | None, what: str) -> None:
    refused = fail_handshake(target, user, source, timeout=_timeout(target))
    if refused is not None:
        inconclusive(f"{what}: its EKE1 was refused before the lock was due: {refused.describe()}")


def _fail_quickly(
    target: Target, user: str, source: str | None, what: str, *, last: bool = False
) -> None:
    """One failed handshake while the long lock runs: the bad EKE3's `auth_failed` read,
    then our own close. The server's close, which ERR-3 lets come up to 2 s later, is not
    waited for: N such waits would spend the long lock before the probe (the close's
    timing is other cases' to judge; a count made as late as it only lengthens a lock).
    Except after the `last` one: the probe follows it at once, and a server may count a
    failure just after its `auth_failed` (before its close) — the short lock would then
    not run yet at the probe, and only one lock be judged."""
    hs = start_handshake(target, user, bytes(32), source=source, timeout=_timeout(target))
    try:
        event = hs.receive_eke2(_timeout(target))
        eke2 = hs.eke2
        if eke2 is None:
            inconclusive(
                f"{what}: its EKE1 was refused before the lock was due: {event.describe()}"
            )
            return
        hs.send_eke3(hs.client.on_eke2(eke2, verify=False))
        expect_on(hs.raw, [ExpectError("auth_failed", then_close=False)], _timeout(target)).check(
            what
        )
        if last:  # observed, not judged: the close's timing is ERR-3's cases'
            hs.raw.recv_frame(deadline_after(2.5))  # ERR-3 allows the close 2 s
    finally:
        hs.close()


def _abandon_together(target: Target, held: list[PartialHandshake], what: str) -> float:
    """Bad EKE3 on every held handshake, then reads their auth_failed; returns the time
    the last EKE3 left (the server counts each failure at or after it)."""
    for hs in held:
        assert hs.eke2 is not None
        hs.send_eke3(hs.client.on_eke2(hs.eke2, verify=False))
    last_sent = time.monotonic()
    try:
        for hs in held:
            expect_on(
                hs.raw, [ExpectError("auth_failed", then_close=True)], _timeout(target)
            ).check(what)
    finally:
        for hs in held:
            hs.close()
    return last_sent


@pytest.mark.req("EKE-THR-6", "ERR-7")
@pytest.mark.parametrize("longer", ["user-name", "address"])
def test_retry_after_is_the_lock_that_ends_last(
    eke_target: Target, eke_sources: SourceAddresses, longer: Literal["user-name", "address"]
) -> None:
    if not eke_target.has("throttling"):
        unsupported("the target does not declare the 'throttling' feature")
    if not eke_sources.loopback:
        pytest.skip("needs a loopback target to vary the client address")
    limits = eke_target.limits
    n = limits.throttle_failures
    p = limits.pending_logins_per_user or 1
    q = min(limits.pending_logins_per_address or 1, (limits.max_pending_per_address or 2) - 1)
    room = max(1, min(p if longer == "user-name" else q, limits.max_connections - 2))
    short = _wait(eke_target, n, user=longer == "address")
    # The fewest held handshakes that make the long lock exceed the short one by _MARGIN.
    held_count = next(
        (
            k
            for k in range(1, room + 1)
            if _wait(eke_target, n - 1 + k, user=longer == "user-name") >= short + _MARGIN + 0.5
        ),
        None,
    )
    if held_count is None:
        pytest.skip(
            f"N - 1 + {room} failures do not make a lock {_MARGIN + 0.5} s longer than the "
            f"{short:g} s one of N failures (cap {limits.throttle_cap:g} s)"
        )
    failures = n - 1 + held_count
    long_lock = _wait(eke_target, failures, user=longer == "user-name")
    hard = longer == "user-name" and _hard(eke_target, failures)
    user, address = ghost_user(), eke_sources.fresh()

    # 1. The long lock: N - 1 failures, then `held_count` pending handshakes abandoned at once.
    if longer == "user-name":
        for i in range(n - 1):
            _fail(eke_target, user, eke_sources.fresh(), f"failure {i + 1} of {user!r}")
        held = [
            _hold(eke_target, user, bytes(32), eke_sources.fresh(), f"pending login {k + 1}")
            for k in range(held_count)
        ]
    else:
        for i in range(n - 1):
            _fail(eke_target, ghost_user(), address, f"failure {i + 1} of {address}")
        held = [
            _hold(eke_target, ghost_user(), bytes(32), address, f"pending login {k + 1}")
            for k in range(held_count)
        ]
    long_from = _abandon_together(eke_target, held, "an abandoned pending login")

    # 2. The short lock: N failures of the other counter.
    for i in range(n):
        last = i == n - 1
        if longer == "user-name":
            _fail_quickly(
                eke_target, ghost_user(), address, f"failure {i + 1} of {address}", last=last
            )
        else:
            _fail_quickly(
                eke_target, user, eke_sources.fresh(), f"failure {i + 1} of {user!r}", last=last
            )

    # 3. The probe: the user name from the address, both locked.
    hs = start_handshake(eke_target, user, bytes(32), source=address, timeout=_timeout(eke_target))
    try:
        event = hs.receive_eke2(_timeout(eke_target))
    finally:
        hs.close()
    answered = time.monotonic()
    left = long_lock if hard else long_lock - (answered - long_from)
    if left < short + _MARGIN - 0.5:
        inconclusive(
            f"the run was too slow: only {left:.2f} s of the {long_lock:g} s lock were left "
            f"at the probe, too close to the {short:g} s one to tell them apart"
        )
    what = (
        f"{user!r} locked for {long_lock:g} s by {failures} failures"
        f"{' (the hard cap: retry_after is the backoff cap)' if hard else ''}, "
        f"{address} for {short:g} s by {n}"
        if longer == "user-name"
        else f"{address} locked for {long_lock:g} s by {failures} failures, {user!r} for "
        f"{short:g} s by {n}"
    )
    frame = event if isinstance(event, ReceivedFrame) else None
    if frame is None or frame.error_name != "throttled":
        raise ConformanceFailure(
            f"Expected: EROR throttled for an EKE1 of {user!r} from {address} ({what})\n"
            f"Actual:   {event.describe()}",
            violates=("EKE-THR-1",),
        )
    retry = (frame.json() or {}).get("retry_after")
    if type(retry) is not int:
        raise ConformanceFailure(f"ERR-7: retry_after is {retry!r}", violates=("ERR-7",))
    if retry < left - 0.5:
        raise ConformanceFailure.evidence(
            f"EKE-THR-6: an EKE1 of {user!r} from {address}, both locked ({what}); the "
            f"probe was answered {answered - long_from:.2f} s after the long lock's last "
            "failure",
            f"retry_after at least {max(1, math.floor(left - 0.5))} s: the time left of the "
            f"lock that ends last ({left:.2f} s, rounded up)",
            f"{frame.describe()}: about the {short:g} s lock — an honest client that waits "
            "that long is refused again by the other lock",
        )
