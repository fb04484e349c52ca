"""The backoff's cap (docs/SPEC.md EKE-THR-6): `min(cap, base * 2^(n - N))`.

Belongs beside conformance/test_eke_throttling.py's `test_backoff_grows_after_the_lock`,
which judges the first lock and its doubling (failures N and N+1). This case follows the
law until the doubling passes the cap, and judges the lock there: a server that never
holds the lock to the cap (the `min` forgotten) announces, and enforces, a lock longer
than the cap. It counts the failures of one address (fresh user names each time): a user
name would meet the hard cap of EKE-THR-11 first. Against the embedded reference (N = 3,
base 1 s, cap 4 s) the locks waited out are 1 + 2 + 4 s; a target whose locks up to the
cap add up to more than `_MAX_WAIT` seconds is SKIPped.
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

_MAX_WAIT = 12.0


def _timeout(target: Target) -> float:
    return max(3.0, min(10.0, target.limits.idle_timeout * 2))


def _fail_once(target: Target, source: str) -> ReceivedFrame | None:
    """One failed handshake of a fresh user name from `source`; returns the EROR
    throttled instead when the address is locked."""
    refused = fail_handshake(target, ghost_user(), source, timeout=_timeout(target))
    if refused is not None and refused.error_name != "throttled":
        raise ConformanceFailure(f"no EKE2 for a handshake to be failed: {refused.describe()}")
    return refused


def _retry_after(frame: ReceivedFrame) -> int:
    retry = (frame.json() or {}).get("retry_after")
    if type(retry) is not int or retry < 0:
        raise ConformanceFailure(
            f"ERR-7: retry_after is {retry!r}, not an integer", violates=("ERR-7",)
        )
    return retry


def _lock(target: Target, failures: int) -> float:
    """EKE-THR-6's lock after the `failures`-th failure (n >= N), uncapped."""
    limits = target.limits
    return limits.throttle_base * 2.0 ** (failures - limits.throttle_failures)


@pytest.mark.req("EKE-THR-6")
def test_backoff_is_held_to_the_cap(eke_target: Target, eke_sources: SourceAddresses) -> None:
    """Failures of one address, each once its lock has ended, until base * 2^(n - N)
    exceeds the cap: the lock after that failure is the cap, so `retry_after` (the time
    left, rounded up) is at most ceil(cap)."""
    if not eke_target.has("throttling"):
        unsupported("the target does not declare the 'throttling' feature")
    if not eke_sources.loopback:
        pytest.skip("needs a loopback target to vary the client address")
    limits = eke_target.limits
    n, cap = limits.throttle_failures, limits.throttle_cap
    if limits.throttle_base <= 0 or cap <= 0:
        pytest.skip("the target declares no backoff")
    # The first failure whose uncapped lock exceeds the cap, and the locks before it.
    beyond = n
    while _lock(eke_target, beyond) <= cap:
        beyond += 1
    waits = [max(1, math.ceil(_lock(eke_target, k))) for k in range(n, beyond)]
    if sum(waits) > _MAX_WAIT:
        pytest.skip(f"the locks before the cap add up to {sum(waits)} s (> {_MAX_WAIT:g} s)")
    address = eke_sources.fresh()
    assert address is not None  # loopback, checked above
    done = 0
    deadline = time.monotonic() + 2 * sum(waits) + 4 + beyond * _timeout(eke_target)
    while done < beyond:
        throttled = _fail_once(eke_target, address)
        if throttled is None:
            done += 1
            continue
        # Locked: wait out the lock the server announced, polling (the lock is the
        # server's clock); bounded by twice the law's locks.
        if time.monotonic() > deadline:
            raise ConformanceFailure(
                f"EKE-THR-6: the address {address} is still throttled after {done} failures "
                f"and {2 * sum(waits) + 4:g} s, twice the law's locks ({waits} s)",
                violates=("EKE-THR-6",),
            )
        time.sleep(min(0.25, max(0.05, _retry_after(throttled) / 4)))
    timeout = _timeout(eke_target)
    hs = start_handshake(eke_target, ghost_user(), bytes(32), source=address, timeout=timeout)
    try:
        event = hs.receive_eke2(timeout)
    finally:
        hs.close()
    if not isinstance(event, ReceivedFrame) or event.error_name != "throttled":
        raise ConformanceFailure(
            f"Expected: EROR throttled for an EKE1 from {address} right after its failure "
            f"{beyond} (N = {n})\nActual:   {event.describe()}",
            violates=("EKE-THR-6",),
        )
    retry = _retry_after(event)
    if retry > math.ceil(cap):
        raise ConformanceFailure.evidence(
            f"EKE-THR-6: EKE1 from {address} right after its failure {beyond} (N = {n}, base "
            f"{limits.throttle_base:g} s, cap {cap:g} s)",
            f"EROR throttled with retry_after <= {math.ceil(cap)}: the lock is min(cap, "
            f"base * 2^{beyond - n}) = {cap:g} s",
            f"retry_after {retry}: the lock is not held to the cap",
        )
