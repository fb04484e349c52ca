"""sft-eke/1 throttling of failed handshakes (SPEC §5.6, ERR-7).

Failures are made with fresh loopback source addresses and unknown user names (the
server counts per user name "whether or not the user exists"), so that each test
controls exactly one counter and nothing else gets throttled. The embedded reference
runs with a short backoff; against another target the limits come from its target file.
"""

from __future__ import annotations

import time

import pytest

from conformance.eke_channel import EkeChannel, password_key_cached
from conformance.eke_support import (
    SourceAddresses,
    Victim,
    ghost_user,
    start_handshake,
)
from conformance.plugin import unsupported
from conformance.target import Target
from conformance.wire import (
    ConformanceFailure,
    ExpectError,
    ReceivedFrame,
    expect_on,
)

pytestmark = pytest.mark.xdist_group("eke-victim")


def _timeout(target: Target) -> float:
    return max(3.0, min(10.0, target.limits.idle_timeout * 2))


def _needs_throttling(target: Target, sources: SourceAddresses) -> None:
    if not target.has("throttling"):
        unsupported("the target does not declare the 'throttling' feature")
    if not sources.loopback:
        pytest.skip("needs a loopback target to vary the client address")


def _fail_once(target: Target, user: str, source: str | None) -> ReceivedFrame | None:
    """One failed handshake (EKE1, EKE2, bogus EKE3); returns an EROR throttled if that came."""
    timeout = _timeout(target)
    hs = start_handshake(target, user, bytes(32), source=source, timeout=timeout)
    try:
        event = hs.receive_eke2(timeout)
        if isinstance(event, ReceivedFrame) and event.error_name == "throttled":
            return event
        if hs.eke2 is None:
            raise ConformanceFailure(f"no EKE2 for a handshake to be failed: {event.describe()}")
        hs.send_eke3(hs.client.on_eke2(hs.eke2, verify=False))
        expect_on(hs.raw, [ExpectError("auth_failed", then_close=True)], timeout).check(
            "a failed handshake"
        )
        return None
    finally:
        hs.close()


def _probe(
    target: Target, user: str, pw: bytes, source: str | None
) -> tuple[ReceivedFrame | None, float]:
    """EKE1 only: returns the frame that answers it and how long it took."""
    timeout = _timeout(target)
    hs = start_handshake(target, user, pw, source=source, timeout=timeout)
    try:
        event = hs.receive_eke2(timeout)
        return (event if isinstance(event, ReceivedFrame) else None), hs.eke2_elapsed
    finally:
        hs.close()


def _assert_throttled(frame: ReceivedFrame | None, what: str) -> int:
    if frame is None or frame.error_name != "throttled":
        raise ConformanceFailure(
            f"Expected: EROR throttled with retry_after ({what})\n"
            f"Actual:   {frame.describe() if frame is not None else 'no frame'}"
        )
    obj = frame.json() or {}
    retry = obj.get("retry_after")
    assert type(retry) is int and retry >= 0, f"ERR-7: retry_after is {retry!r}, not an integer"
    return retry


@pytest.mark.req("EKE-THR-1", "ERR-7", "EKE-SEC-3")
def test_user_name_is_throttled_after_n_failures(
    eke_target: Target, eke_sources: SourceAddresses
) -> None:
    """N failures for one user name from N addresses: the next EKE1 for it is throttled."""
    _needs_throttling(eke_target, eke_sources)
    user = ghost_user()
    n = eke_target.limits.throttle_failures
    for i in range(n):
        early = _fail_once(eke_target, user, eke_sources.fresh())
        if early is not None:
            raise ConformanceFailure(
                f"throttled after {i} failures, the declared limit is {n}: {early.describe()}"
            )
    frame, elapsed = _probe(eke_target, user, bytes(32), eke_sources.fresh())
    _assert_throttled(frame, f"EKE1 for {user!r} after {n} failures from other addresses")
    # Without modular exponentiation the refusal is much faster than an EKE2.
    fresh, normal = _probe(eke_target, ghost_user(), bytes(32), eke_sources.fresh())
    assert fresh is not None and fresh.type == b"EKE2", fresh
    assert elapsed < max(normal, 0.02) * 3, (
        f"the throttled answer took {elapsed * 1000:.1f} ms vs {normal * 1000:.1f} ms for EKE2"
    )


@pytest.mark.req("EKE-THR-1", "EKE-THR-2", "ERR-7")
def test_address_is_throttled_but_others_are_served(
    eke_target: Target, eke_sources: SourceAddresses
) -> None:
    """N failures from one address (different users): that address is throttled, even for
    a real account; the real account from another address still completes (EKE-THR-2)."""
    _needs_throttling(eke_target, eke_sources)
    if not eke_target.accounts:
        pytest.skip("needs an eke account")
    address = eke_sources.fresh()
    n = eke_target.limits.throttle_failures
    for i in range(n):
        early = _fail_once(eke_target, ghost_user(), address)
        if early is not None:
            raise ConformanceFailure(
                f"throttled after {i} failures, the declared limit is {n}: {early.describe()}"
            )
    honest = eke_target.accounts[0]
    pw = password_key_cached(honest.password, honest.user)
    frame, _ = _probe(eke_target, honest.user, pw, address)
    _assert_throttled(frame, f"EKE1 of {honest.user!r} from the address that failed {n} times")
    channel = EkeChannel.connect(
        eke_target.host,
        eke_target.port,
        honest.user,
        pw=pw,
        timeout=_timeout(eke_target),
        source=eke_sources.fresh(),
    )
    channel.close()


@pytest.mark.req("EKE-THR-4")
def test_success_resets_the_user_count(
    eke_target: Target, eke_victim: Victim, eke_sources: SourceAddresses
) -> None:
    """Rounds of failures, each ended by a success: more failures in all than the limit,
    never throttled, because each success resets the user's count.

    Each round stays one failure below N−1: a server may count a failure just after it
    closed the connection, i.e. after the suite's next (honest) handshake began.
    """
    _needs_throttling(eke_target, eke_sources)
    n = eke_target.limits.throttle_failures
    per_round = max(1, n - 2)
    rounds = -(-n // per_round) + 1  # enough that the total exceeds N
    for round_number in range(rounds):
        for i in range(per_round):
            early = _fail_once(eke_target, eke_victim.user, eke_sources.fresh())
            if early is not None:
                raise ConformanceFailure(
                    f"round {round_number}: throttled after {i} failures although a "
                    f"successful handshake came before (EKE-THR-4): {early.describe()}"
                )
        eke_victim.honest(eke_sources.fresh()).close()


@pytest.mark.req("EKE-THR-1")
def test_failing_again_after_the_lock_is_throttled_at_once(
    eke_target: Target, eke_sources: SourceAddresses
) -> None:
    """Backoff: once a lock ends, one more failure locks again at once, for no less time."""
    _needs_throttling(eke_target, eke_sources)
    if eke_target.limits.throttle_base > 2:
        pytest.skip("backoff too long for the default run")
    user = ghost_user()
    n = eke_target.limits.throttle_failures
    for _ in range(n):
        _fail_once(eke_target, user, eke_sources.fresh())
    frame, _ = _probe(eke_target, user, bytes(32), eke_sources.fresh())
    first = _assert_throttled(frame, f"after {n} failures")
    # Wait out the lock the server announced: polling, because the lock is the server's
    # clock, not an event the suite can wait on; bounded by the declared backoff.
    deadline = time.monotonic() + max(first, eke_target.limits.throttle_base) * 4 + 2
    attempts = 0
    while _fail_once(eke_target, user, eke_sources.fresh()) is not None:
        attempts += 1
        if time.monotonic() > deadline or attempts > 200:
            raise ConformanceFailure(
                f"still throttled {attempts} attempts later, past the announced retry_after "
                f"of {first} s"
            )
        time.sleep(0.05)
    frame, _ = _probe(eke_target, user, bytes(32), eke_sources.fresh())
    again = _assert_throttled(frame, "one failure after the lock ended")
    assert again >= first, f"retry_after went down from {first} to {again} s"


@pytest.mark.req("EKE-THR-2")
def test_honest_user_unaffected_by_another_users_lockout(
    eke_target: Target, eke_sources: SourceAddresses
) -> None:
    _needs_throttling(eke_target, eke_sources)
    if not eke_target.accounts:
        pytest.skip("needs an eke account")
    user = ghost_user()
    for _ in range(eke_target.limits.throttle_failures):
        _fail_once(eke_target, user, eke_sources.fresh())
    honest = eke_target.accounts[0]
    channel = EkeChannel.connect(
        eke_target.host, eke_target.port, honest.user, honest.password, timeout=_timeout(eke_target)
    )
    channel.send_frame("BYE_", {})
    channel.close()
