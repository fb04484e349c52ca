"""sft-eke/1 backoff law beyond its first doubling (SPEC EKE-THR-6).

test_eke_throttling.py checks the lock after failure N (base) and after failure N+1
(twice base). A backoff that grows linearly — `base · (n − N + 1)` — gives the same two
values, and parts only at failure N+2 (three times base against four). This case follows
one client address (its failures made under fresh unknown user names, so that no user
name is counted more than once and the hard cap of EKE-THR-11, which addresses never
get, stays out of the way) through failures N, N+1, N+2 and, while the cap allows and
the waits stay short, N+3: after each, `retry_after` must be the time left of
`min(cap, base · 2^(n − N))` seconds, rounded up.
"""

from __future__ import annotations

import math
import time

import pytest

from conformance.eke_support import SourceAddresses, fail_handshake, ghost_user, start_handshake
from conformance.plugin import unsupported
from conformance.target import Target
from conformance.wire import ConformanceFailure, ReceivedFrame

pytestmark = pytest.mark.xdist_group("eke-victim")

# The waits this case may spend on locks before the last one it measures: beyond this
# the target's declared backoff is too long for the default run (SKIP, with the reason).
_WAIT_BUDGET = 12.0


def _timeout(target: Target) -> float:
    return max(3.0, min(10.0, target.limits.idle_timeout * 2))


def _lock_seconds(target: Target, failures: int) -> int:
    """EKE-THR-6: the lock after the `failures`-th failure, in whole seconds."""
    limits = target.limits
    extra = failures - limits.throttle_failures
    return max(1, math.ceil(min(limits.throttle_cap, limits.throttle_base * 2.0**extra)))


def _fail_once(target: Target, user: str, source: str | None) -> ReceivedFrame | None:
    """One failed handshake; the EROR that refused its EKE1 instead, if one came."""
    return fail_handshake(target, user, source, timeout=_timeout(target))


def _probe(target: Target, source: str | None) -> ReceivedFrame | None:
    """EKE1 of a fresh unknown user name from `source`: the frame that answers it."""
    timeout = _timeout(target)
    hs = start_handshake(target, ghost_user(), bytes(32), source=source, timeout=timeout)
    try:
        event = hs.receive_eke2(timeout)
        return event if isinstance(event, ReceivedFrame) else None
    finally:
        hs.close()


@pytest.mark.req("EKE-THR-6", "EKE-THR-1", "ERR-7")
def test_address_backoff_keeps_doubling(eke_target: Target, eke_sources: SourceAddresses) -> None:
    """One address, failures N, N+1, N+2 (N+3 when it fits): each lock is
    min(cap, base · 2^(n − N)) seconds — doubling, not growing by base each time."""
    if not eke_target.has("throttling"):
        unsupported("the target does not declare the 'throttling' feature")
    if not eke_sources.loopback:
        pytest.skip("needs a loopback target to vary the client address")
    n = eke_target.limits.throttle_failures
    # Measure failures N .. N+last; the last is N+2, or N+3 when the cap is not reached
    # by N+2 and the waits still fit the budget.
    last = 2
    if _lock_seconds(eke_target, n + 2) < _lock_seconds(eke_target, n + 3):
        if sum(_lock_seconds(eke_target, n + k) for k in range(3)) <= _WAIT_BUDGET:
            last = 3
    waits = sum(_lock_seconds(eke_target, n + k) for k in range(last))
    if waits > _WAIT_BUDGET:
        pytest.skip(f"the locks before failure {n + last} total {waits} s: too long here")
    address = eke_sources.fresh()
    history: list[str] = []
    failure_started = time.monotonic()
    for i in range(n):
        failure_started = time.monotonic()
        early = _fail_once(eke_target, ghost_user(), address)
        if early is not None:
            raise ConformanceFailure(
                f"EKE1 refused after {i} failures of one address, the declared limit is "
                f"{n}: {early.describe()}",
                violates=("EKE-THR-1",),
            )
    for k in range(last + 1):
        failures = n + k
        lock = _lock_seconds(eke_target, failures)
        frame = _probe(eke_target, address)
        since = time.monotonic() - failure_started
        if frame is None or frame.error_name != "throttled":
            shown = frame.describe() if frame is not None else "no frame"
            raise ConformanceFailure(
                f"Expected: EROR throttled after failure {failures} of one address\n"
                f"Actual:   {shown}\nSo far: {'; '.join(history) or '-'}",
                violates=("EKE-THR-1",) if k == 0 else ("EKE-THR-6",),
            )
        retry = (frame.json() or {}).get("retry_after")
        if type(retry) is not int:
            raise ConformanceFailure(
                f"ERR-7: retry_after is {retry!r}, not an integer", violates=("ERR-7",)
            )
        history.append(f"failure {failures}: retry_after {retry} s ({since:.2f} s after it)")
        # The time left, rounded up: at most the lock, at least the lock less the time
        # since that failure began (the server counted it after that).
        if not max(0, math.ceil(lock - since)) <= retry <= lock:
            raise ConformanceFailure(
                f"EKE-THR-6: after failure {failures} of one address the lock must be "
                f"min(cap, base * 2^{k}) = {lock} s (base {eke_target.limits.throttle_base:g} "
                f"s, cap {eke_target.limits.throttle_cap:g} s); retry_after is {retry} s, "
                f"{since:.2f} s after that failure began.\nHistory: {'; '.join(history)}",
                violates=("EKE-THR-6",),
            )
        if k == last:
            return
        # Wait out the lock the server announced, then fail once more: polling, because
        # the lock runs on the server's clock; bounded by twice the lock.
        deadline = time.monotonic() + lock * 2 + 2
        attempts = 0
        while True:
            failure_started = time.monotonic()
            if _fail_once(eke_target, ghost_user(), address) is None:
                break
            attempts += 1
            if time.monotonic() > deadline or attempts > 400:
                raise ConformanceFailure(
                    f"EKE-THR-6: still throttled {attempts} attempts later, past the "
                    f"announced retry_after of {retry} s.\nHistory: {'; '.join(history)}",
                    violates=("EKE-THR-6",),
                )
            time.sleep(0.05)


# Past the hard cap's count: the waits this case may spend (the locks of failures N to
# L + 1 of one address, then the last one once more).
_PAST_CAP_BUDGET = 24.0


def _wait_out(target: Target, address: str | None, lock: int, history: list[str]) -> float:
    """Fails once more from `address` as soon as its lock (`lock` s) has run out, polling
    (the lock runs on the server's clock); returns when that failure began. Bounded by
    twice the lock: still refused then breaks the backoff law."""
    deadline = time.monotonic() + lock * 2 + 2
    attempts = 0
    while True:
        began = time.monotonic()
        refused = _fail_once(target, ghost_user(), address)
        if refused is None:
            return began
        attempts += 1
        history.append(f"refused: {refused.describe()}")
        if time.monotonic() > deadline or attempts > 400:
            raise ConformanceFailure(
                f"EKE-THR-6: an address still refused {attempts} attempts later, past its "
                f"lock of {lock} s.\nHistory: {'; '.join(history[-6:])}",
                violates=("EKE-THR-6",),
            )
        time.sleep(0.05)


@pytest.mark.req("EKE-THR-6")
def test_address_lock_expires_past_the_hard_cap_count(
    eke_target: Target, eke_sources: SourceAddresses
) -> None:
    """One address fails L + 1 times (L: the hard cap of EKE-THR-11), each under a fresh
    unknown user name, waiting out each lock; once its last lock —
    min(cap, base · 2^(L + 1 − N)) s — has run out, the next EKE1 from it MUST be answered
    EKE2. The permanent lock of EKE-THR-11 is for user names only: an address's lock
    always follows the backoff law and ends. A server that keeps one "hard locked" test
    for both tables locks a shared address (a NAT, an office) out for good."""
    if not eke_target.has("throttling"):
        unsupported("the target does not declare the 'throttling' feature")
    if not eke_sources.loopback:
        pytest.skip("needs a loopback target to vary the client address")
    limits = eke_target.limits
    n, lock_after = limits.throttle_failures, limits.lock_after
    if lock_after is None:
        pytest.skip("the target declares no hard cap (limits.lock_after, EKE-THR-11)")
    total = lock_after + 1
    waits = sum(_lock_seconds(eke_target, k) for k in range(n, total + 1))
    if waits > _PAST_CAP_BUDGET or total > 30:
        pytest.skip(f"{total} failures and {waits} s of locks: too long for the default run")
    address = eke_sources.fresh()
    history: list[str] = []
    began = time.monotonic()
    for failures in range(1, total + 1):
        if failures <= n:
            began = time.monotonic()
            refused = _fail_once(eke_target, ghost_user(), address)
            if refused is not None:
                raise ConformanceFailure(
                    f"EKE1 refused after {failures - 1} failures of one address, the "
                    f"declared limit is {n}: {refused.describe()}",
                    violates=("EKE-THR-1",),
                )
        else:
            began = _wait_out(eke_target, address, _lock_seconds(eke_target, failures - 1), history)
        history.append(f"failure {failures}")
    lock = _lock_seconds(eke_target, total)
    # The last lock runs from that failure (at the latest its EROR): EKE2 must come once it
    # has run out; polled, every 0.25 s, until twice the lock and 2 s have passed.
    deadline = began + 2 * lock + 2.0
    while True:
        frame = _probe(eke_target, address)
        if frame is not None and frame.type == b"EKE2":
            return
        shown = frame.describe() if frame is not None else "no frame"
        history.append(f"{time.monotonic() - began:.2f} s after failure {total}: {shown}")
        if frame is None or frame.error_name != "throttled" or time.monotonic() > deadline:
            raise ConformanceFailure.evidence(
                f"EKE-THR-6: EKE1 of a fresh unknown user from an address "
                f"{time.monotonic() - began:.2f} s after its failure {total} (N = {n}, "
                f"L = {lock_after}, base {limits.throttle_base:g} s, cap "
                f"{limits.throttle_cap:g} s)",
                f"EKE2 once its lock of min(cap, base * 2^{total - n}) = {lock} s has run "
                "out: the hard cap (EKE-THR-11) locks user names, never addresses",
                "\n".join(history[-6:]),
            )
        time.sleep(0.25)
