"""sft-eke/1: failed handshakes that end at one moment are each counted (docs/SPEC.md §5.6,
EKE-THR-5, EKE-THR-1).

"A password guess is spent when the server sends `EKE2` ... ended any other way (a bad
`EKE3`, ...) it MUST count as a failure against the user name and the client address the
moment it ends, exactly like a failed `EKE3`" and "a user name is granted at most
N − 1 + P guesses before its next `EKE1` is throttled" [EKE-THR-5]; after N failures of a
user name or of an address, its next `EKE1` is answered `throttled` [EKE-THR-1].

The class of bug: a failure counter read, modified and written back around a gap —
Node's entry copied, an `await` on the state file, the copy incremented and stored; a Go
or Java map read and written without the lock; a persisted `n` read before the write — so
failures that end together overwrite each other and count once. One failure at a time,
as every other case makes them, never shows it; an attacker holding P handshakes pending
and failing them at once gets P guesses for the price of one, burst after burst (found by
planting the mistake blind in eke3, a Node server).

Each principal is probed on its own. By user name: bursts of up to P pending handshakes of
one fresh ghost name (EKE-HS-3: counted like any other), each from its own fresh loopback
address, so that no address reaches N. By address: bursts of up to Q pending handshakes
from one fresh address, each of its own fresh ghost name, so that no name reaches N. In a
burst every `EKE2` is received first (fewer than N failures so far: each MUST be answered
`EKE2`, EKE-THR-7), then every bogus `EKE3` is sent back to back, then each close awaited.
Bursts repeat until the failures made reach N + 1 (a lock of at least two seconds, or the
cap, EKE-THR-6); the next `EKE1` of that name (resp. from that address) MUST then be
answered `throttled`. It is sent at once; if it left later than the lock the failures
earn, the case is inconclusive rather than a FAIL.
"""

from __future__ import annotations

import math
import time

import pytest

from conformance.eke_support import PartialHandshake, SourceAddresses, ghost_user, start_handshake
from conformance.plugin import inconclusive, unsupported
from conformance.target import Target
from conformance.wire import Closed, ConformanceFailure, ReceivedFrame, TimedOut

pytestmark = pytest.mark.xdist_group("eke-victim")

_FAKE_PW = bytes(32)  # a ghost user's handshake: the key never matches


def _timeout(target: Target) -> float:
    return max(3.0, min(10.0, target.limits.idle_timeout * 2))


def _lock_seconds(target: Target, failures: int) -> float:
    """EKE-THR-6: the lock after the n-th failure, rounded up, at least 1 s."""
    limits = target.limits
    raw = min(
        limits.throttle_cap, limits.throttle_base * 2 ** (failures - limits.throttle_failures)
    )
    return max(1.0, float(math.ceil(raw)))


def _burst(
    target: Target, users: list[str], sources: list[str | None], made: int, label: str
) -> float:
    """Hold len(users) handshakes pending together, fail them back to back, await each
    close; returns the monotonic time the last close was seen."""
    timeout = _timeout(target)
    held: list[PartialHandshake] = []
    try:
        for i, (user, source) in enumerate(zip(users, sources, strict=True)):
            hs = start_handshake(target, user, _FAKE_PW, source=source, timeout=timeout)
            held.append(hs)
            event = hs.receive_eke2(timeout)
            if hs.eke2 is None:
                if isinstance(event, ReceivedFrame) and event.error_name == "busy":
                    inconclusive(
                        f"{label}: pending handshake {i + 1} of {len(users)} answered busy "
                        f"({event.describe()}): the server is full, no burst can be held"
                    )
                raise ConformanceFailure(
                    f"Expected: EKE2 for pending handshake {i + 1} of {len(users)} ({label}), "
                    f"after {made} failure(s) made so far (fewer than N = "
                    f"{target.limits.throttle_failures})\n"
                    f"Actual:   {event.describe()}\n"
                    "EKE-THR-5/7: a pending handshake is not a failure, and up to the caps the "
                    "EKE1s of a principal with fewer than N failures are answered EKE2.",
                    violates=("EKE-THR-5",),
                )
        messages = []
        for hs in held:
            assert hs.eke2 is not None
            messages.append(hs.client.on_eke2(hs.eke2, verify=False))
        for hs, message in zip(held, messages, strict=True):  # back to back: one moment
            hs.send_eke3(message)
        deadline = time.monotonic() + timeout
        for hs in held:
            while True:
                got = hs.raw.recv_frame(deadline)
                if isinstance(got, Closed):
                    break
                if isinstance(got, TimedOut):
                    inconclusive(
                        f"{label}: the server kept a connection open {timeout:g} s after its "
                        "bogus EKE3: whether the handshake ended cannot be told"
                    )
        return time.monotonic()
    finally:
        for hs in held:
            hs.close()


def _probe(
    target: Target,
    user: str,
    source: str | None,
    *,
    made: int,
    ended: float,
    label: str,
) -> None:
    """The next EKE1 MUST be throttled (the lock the `made` failures earn still runs)."""
    timeout = _timeout(target)
    lock = _lock_seconds(target, made)
    for attempt in (1, 2):
        sent = time.monotonic()
        hs = start_handshake(target, user, _FAKE_PW, source=source, timeout=timeout)
        try:
            event = hs.receive_eke2(timeout)
        finally:
            hs.close()
        if isinstance(event, ReceivedFrame) and event.error_name == "throttled":
            return
        if isinstance(event, ReceivedFrame) and event.error_name == "busy" and attempt == 1:
            time.sleep(0.2)  # a slot the server is still releasing after the closes
            continue
        if sent - ended > lock - 0.25:
            inconclusive(
                f"{label}: the probing EKE1 left {sent - ended:.2f} s after the last failure, "
                f"past the {lock:g} s lock {made} failures earn: too late to judge "
                f"({event.describe()})"
            )
        raise ConformanceFailure(
            f"Expected: EROR throttled for the next EKE1 ({label}), sent "
            f"{sent - ended:.2f} s after {made} failed handshakes ended in bursts of "
            f"pending handshakes failed back to back (N = {target.limits.throttle_failures}; "
            f"the lock they earn lasts {lock:g} s, EKE-THR-6)\n"
            f"Actual:   {event.describe()}\n"
            "EKE-THR-5: every pending handshake that ends without a valid EKE3 counts as a "
            "failure the moment it ends; failures that end together must not overwrite "
            "each other (a counter read and written back around an await or without a "
            "lock counts a burst once).",
            violates=("EKE-THR-5",),
        )
    inconclusive(f"{label}: the probing EKE1 was answered busy twice")


def _plan(target: Target, size: int) -> list[int]:
    """Burst sizes: each burst starts below N failures; the last reaches N + 1 or more."""
    n_limit = target.limits.throttle_failures
    plan: list[int] = []
    made = 0
    while made < n_limit + 1:
        step = n_limit + 1 - made if n_limit + 1 - made <= size else min(size, n_limit - 1 - made)
        plan.append(step)
        made += step
    return plan


def _needs(target: Target, sources: SourceAddresses) -> None:
    if not target.has("throttling"):
        unsupported("the target does not declare the 'throttling' feature")
    if not sources.loopback:
        pytest.skip("needs a loopback target to vary the client address")
    if target.limits.throttle_failures < 2:
        pytest.skip("one failure already throttles (N < 2): nothing to add up")


@pytest.mark.req("EKE-THR-5", "EKE-THR-1")
def test_failures_of_one_user_name_ending_together_all_count(
    eke_target: Target, eke_sources: SourceAddresses
) -> None:
    target = eke_target
    _needs(target, eke_sources)
    p = target.limits.pending_logins_per_user
    if p is None:
        pytest.skip("the target declares no pending-login cap per user (EKE-THR-7)")
    size = min(p, target.limits.max_connections - 2)
    if size < 2:
        pytest.skip("fewer than two handshakes can be held pending together")
    user = ghost_user()
    made, ended = 0, time.monotonic()
    for n in _plan(target, size):
        ended = _burst(
            target, [user] * n, [eke_sources.fresh() for _ in range(n)], made, "one user name"
        )
        made += n
    _probe(target, user, eke_sources.fresh(), made=made, ended=ended, label="one user name")


@pytest.mark.req("EKE-THR-5", "EKE-THR-1")
def test_failures_from_one_address_ending_together_all_count(
    eke_target: Target, eke_sources: SourceAddresses
) -> None:
    target = eke_target
    _needs(target, eke_sources)
    q = target.limits.pending_logins_per_address
    lim8 = target.limits.max_pending_per_address
    if q is None:
        pytest.skip("the target declares no pending-login cap per address (EKE-THR-7)")
    size = min(q, lim8 if lim8 is not None else q, target.limits.max_connections - 2)
    if size < 2:
        pytest.skip("fewer than two handshakes can be held pending together")
    source = eke_sources.fresh()
    made, ended = 0, time.monotonic()
    for n in _plan(target, size):
        ended = _burst(target, [ghost_user() for _ in range(n)], [source] * n, made, "one address")
        made += n
    _probe(target, ghost_user(), source, made=made, ended=ended, label="one address")
