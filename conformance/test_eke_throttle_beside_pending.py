"""sft-eke/1: a pending handshake does not exempt its user name or address from the
throttle (SPEC §5.6 EKE-THR-1, EKE-THR-5, EKE-THR-7).

"After a configurable number of failures ... answer further EKE1 from that user or address
with EROR throttled". The decision is made at every EKE1. An implementation that skips it
for a user name (or an address) that already has a login in flight — "it was checked when
that login began", a fast path that avoids the table for a busy name — passes every
sequential case: there, nothing is pending when the throttled EKE1 comes. An attacker
keeps one handshake of the name open (EKE2 received, no EKE3) and guesses on as fast as
the pending cap lets it: the throttle never answers again.

Each variant holds one handshake pending (EKE2 received) for the whole case, then fails N
handshakes beside it, one after the other, then sends one more EKE1 while the first is
still pending: it MUST be answered `throttled`. "user name": one ghost user name, every
connection from its own fresh address (only the name's count can throttle). "address":
one fresh address, every connection under its own ghost user name (only the address's
count can throttle). "user name and address": one ghost name from one fresh address
throughout (a skip keyed on the pair). The pending handshakes stay within P and Q
(EKE-THR-7: two at a time).
"""

from __future__ import annotations

import math
import time

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
from conformance.wire import ConformanceFailure, ReceivedFrame

pytestmark = pytest.mark.xdist_group("eke-victim")

_FAKE_PW = bytes(32)


def _timeout(target: Target) -> float:
    return max(3.0, min(10.0, target.limits.handshake_timeout * 2))


@pytest.mark.req("EKE-THR-1", "EKE-THR-5")
@pytest.mark.parametrize("counted", ["user name", "address", "user name and address"])
def test_a_pending_login_does_not_exempt_from_the_throttle(
    eke_target: Target, eke_sources: SourceAddresses, counted: str
) -> None:
    if not eke_target.has("throttling"):
        unsupported("the target does not declare the 'throttling' feature")
    if not eke_sources.loopback:
        pytest.skip("needs fresh loopback source addresses (the target is not on 127.x)")
    limits = eke_target.limits
    for cap in (limits.pending_logins_per_user, limits.pending_logins_per_address):
        if cap is not None and cap < 2:
            pytest.skip("the target allows one pending login at a time: none can be held")
    n = limits.throttle_failures
    timeout = _timeout(eke_target)
    name = ghost_user()
    address = eke_sources.fresh()

    def who() -> tuple[str, str | None]:
        user = ghost_user() if counted == "address" else name
        source = eke_sources.fresh() if counted == "user name" else address
        return user, source

    user, source = who()
    held: PartialHandshake = start_handshake(
        eke_target, user, _FAKE_PW, source=source, timeout=timeout
    )
    try:
        event = held.receive_eke2(timeout)
        if held.eke2 is None:
            raise ConformanceFailure(
                f"Expected EKE2 for a first EKE1 of {user!r} from {source}\n"
                f"Actual: {event.describe()}",
                violates=("EKE-THR-1",),
            )
        for i in range(n):
            user, source = who()
            refused = fail_handshake(eke_target, user, source, timeout=timeout)
            if refused is not None:
                raise ConformanceFailure(
                    f"failure {i + 1} of {n} beside one pending login: the EKE1 of {user!r} "
                    f"from {source} was refused {refused.describe()} with {i} failures of "
                    f"the {counted} (fewer than N = {n})",
                    violates=("EKE-THR-1",),
                )
        failed_at = time.monotonic()
        user, source = who()
        probe = start_handshake(eke_target, user, _FAKE_PW, source=source, timeout=timeout)
        try:
            answer = probe.receive_eke2(timeout)
        finally:
            probe.close()
        if isinstance(answer, ReceivedFrame) and answer.error_name == "throttled":
            return
        lock = max(1, math.ceil(min(limits.throttle_cap, limits.throttle_base)))
        if time.monotonic() - failed_at > lock - 0.1:
            inconclusive(f"the probe came too late to find the first lock ({lock} s) running")
        raise ConformanceFailure(
            f"{counted}: one handshake held pending (EKE2 received, no EKE3), then {n} "
            f"failed handshakes of the same {counted}; one more EKE1 ({user!r} from "
            f"{source}) while the first is still pending\n"
            f"Expected: EROR throttled\nActual:   {answer.describe()}\n"
            "EKE-THR-1: after N failures further EKE1 of that user name or address are "
            "answered throttled — a login in flight does not exempt them.",
            violates=("EKE-THR-1",),
        )
    finally:
        held.close()
