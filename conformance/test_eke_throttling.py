"""sft-eke/1 throttling of failed handshakes (SPEC §5.6, ERR-7).

Failures are made with fresh loopback source addresses and unknown user names (the
server counts per user name "whether or not the user exists"), so that each test
controls exactly one counter and nothing else gets throttled. The embedded reference
runs with a short backoff; against another target the limits come from its target file.
"""

from __future__ import annotations

import contextlib
import math
import socket
import time

import pytest

from conformance.eke_channel import EkeChannel, password_key_cached
from conformance.eke_support import (
    PartialHandshake,
    SourceAddresses,
    Victim,
    ghost_user,
    start_handshake,
)
from conformance.plugin import unsupported
from conformance.target import Target
from conformance.wire import (
    Closed,
    ConformanceFailure,
    ExpectError,
    ReceivedFrame,
    TimedOut,
    deadline_after,
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


def _lock_seconds(target: Target, failures: int) -> int:
    """EKE-THR-6: the lock after the `failures`-th failure, in whole seconds."""
    limits = target.limits
    extra = failures - limits.throttle_failures
    return max(1, math.ceil(min(limits.throttle_cap, limits.throttle_base * 2.0**extra)))


@pytest.mark.req("EKE-THR-1", "EKE-THR-6", "ERR-7")
def test_backoff_grows_after_the_lock(eke_target: Target, eke_sources: SourceAddresses) -> None:
    """Backoff: N failures lock for base; once that lock ends, one more failure locks again
    at once, for twice as long (EKE-THR-6), as far as the cap allows."""
    _needs_throttling(eke_target, eke_sources)
    n = eke_target.limits.throttle_failures
    first_lock = _lock_seconds(eke_target, n)
    if first_lock > 2:
        pytest.skip(f"a first lock of {first_lock} s is too long for the default run")
    user = ghost_user()
    for _ in range(n):
        _fail_once(eke_target, user, eke_sources.fresh())
    frame, _ = _probe(eke_target, user, bytes(32), eke_sources.fresh())
    first = _assert_throttled(frame, f"after {n} failures")
    assert first <= first_lock, (
        f"EKE-THR-6: retry_after {first} s after {n} failures; the law gives {first_lock} s"
    )
    # Wait out the lock the server announced: polling, because the lock is the server's
    # clock, not an event the suite can wait on; bounded by the declared backoff.
    deadline = time.monotonic() + first_lock * 2 + 2
    attempts = 0
    while True:
        failure_started = time.monotonic()
        if _fail_once(eke_target, user, eke_sources.fresh()) is None:
            break
        attempts += 1
        if time.monotonic() > deadline or attempts > 200:
            raise ConformanceFailure(
                f"still throttled {attempts} attempts later, past the announced retry_after "
                f"of {first} s"
            )
        time.sleep(0.05)
    frame, _ = _probe(eke_target, user, bytes(32), eke_sources.fresh())
    again = _assert_throttled(frame, "one failure after the lock ended")
    second_lock = _lock_seconds(eke_target, n + 1)
    # retry_after is the time left, rounded up: at most the lock, and at least the lock
    # less the time since that failure began (the server counted it after that).
    since = time.monotonic() - failure_started
    if not math.ceil(second_lock - since) <= again <= second_lock or again < first:
        raise ConformanceFailure(
            f"EKE-THR-6: after failure {n + 1} the lock must be min(cap, base * 2^1) = "
            f"{second_lock} s (it was {first} s after failure {n}); retry_after is {again} s, "
            f"{since:.2f} s after that failure began: the backoff does not double"
        )


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


def _abandon_after_eke2(target: Target, user: str, source: str | None) -> ReceivedFrame | None:
    """EKE1, EKE2 read, then the client walks away (FIN) and waits for the server's close;
    returns an EROR throttled if that came instead of EKE2."""
    timeout = _timeout(target)
    hs = start_handshake(target, user, bytes(32), source=source, timeout=timeout)
    try:
        event = hs.receive_eke2(timeout)
        if isinstance(event, ReceivedFrame) and event.error_name == "throttled":
            return event
        if hs.eke2 is None:
            raise ConformanceFailure(f"no EKE2 for a handshake to abandon: {event.describe()}")
        with contextlib.suppress(OSError):
            hs.raw.sock.shutdown(socket.SHUT_WR)
        deadline = deadline_after(timeout)
        for _ in range(4):  # an EROR, then the close
            if isinstance(hs.raw.recv_frame(deadline), (Closed, TimedOut)):
                break
        return None
    finally:
        hs.close()


@pytest.mark.req("EKE-THR-5", "EKE-THR-1", "EKE-SEC-3")
@pytest.mark.parametrize("counter", ["user", "address"])
def test_guesses_abandoned_after_eke2_are_counted(
    eke_target: Target, eke_sources: SourceAddresses, counter: str
) -> None:
    """A client can test its guess on C2 and leave before EKE3: each such handshake is a
    spent guess (EKE-THR-5) and must be throttled exactly like a failed EKE3."""
    _needs_throttling(eke_target, eke_sources)
    n = eke_target.limits.throttle_failures
    user, address = ghost_user(), eke_sources.fresh()
    for i in range(n):
        early = _abandon_after_eke2(
            eke_target,
            user if counter == "user" else ghost_user(),
            eke_sources.fresh() if counter == "user" else address,
        )
        if early is not None:
            raise ConformanceFailure(
                f"throttled after {i} abandoned handshakes, the declared limit is {n}: "
                f"{early.describe()}"
            )
    probe_user = user if counter == "user" else ghost_user()
    probe_source = eke_sources.fresh() if counter == "user" else address
    frame, _ = _probe(eke_target, probe_user, bytes(32), probe_source)
    _assert_throttled(
        frame,
        f"EKE1 after {n} handshakes of one {counter} abandoned right after EKE2 (each guess "
        "was checkable on C2): EKE-THR-5 counts an attempt when EKE2 is sent",
    )


@pytest.mark.req("EKE-THR-5", "EKE-THR-1", "EKE-SEC-3")
@pytest.mark.parametrize("counter", ["user", "address"])
def test_parallel_handshakes_count_before_they_end(
    eke_target: Target, eke_sources: SourceAddresses, counter: str
) -> None:
    """N handshakes of one user name (or address) held open after EKE2: the next EKE1 is
    throttled although none of them has failed yet, else an attacker opens handshakes
    in parallel and gets as many guesses as it likes."""
    _needs_throttling(eke_target, eke_sources)
    n = eke_target.limits.throttle_failures
    if n + 1 >= eke_target.limits.max_connections:
        limit = eke_target.limits.max_connections
        pytest.skip(f"needs {n + 1} connections; max_connections is {limit}")
    timeout = _timeout(eke_target)
    user, address = ghost_user(), eke_sources.fresh()
    held: list[PartialHandshake] = []
    try:
        for i in range(n):
            hs = start_handshake(
                eke_target,
                user if counter == "user" else ghost_user(),
                bytes(32),
                source=eke_sources.fresh() if counter == "user" else address,
                timeout=timeout,
            )
            held.append(hs)
            event = hs.receive_eke2(timeout)
            if hs.eke2 is None:
                raise ConformanceFailure(
                    f"handshake {i + 1} of {n} held open in parallel: no EKE2 "
                    f"({event.describe()}); the declared limit is {n}"
                )
        probe_user = user if counter == "user" else ghost_user()
        probe_source = eke_sources.fresh() if counter == "user" else address
        frame, _ = _probe(eke_target, probe_user, bytes(32), probe_source)
        _assert_throttled(
            frame,
            f"EKE1 while {n} handshakes of one {counter} are open after EKE2 (EKE-THR-5: "
            "each counts from its EKE2)",
        )
    finally:
        for hs in held:
            hs.close()


@pytest.mark.req("EKE-THR-6", "EKE-THR-4", "EKE-THR-1")
def test_success_does_not_clear_the_address(
    eke_target: Target, eke_sources: SourceAddresses
) -> None:
    """From one address: N−1 failures for other names, a success of a real account, one
    more failure: the address has N failures, the next EKE1 from it is throttled. A success
    forgives its own attempt and its user's count, not the address's other failures."""
    _needs_throttling(eke_target, eke_sources)
    if not eke_target.accounts:
        pytest.skip("needs an eke account")
    n = eke_target.limits.throttle_failures
    address = eke_sources.fresh()
    for i in range(n - 1):
        early = _fail_once(eke_target, ghost_user(), address)
        if early is not None:
            raise ConformanceFailure(f"throttled after {i} failures of {n}: {early.describe()}")
    honest = eke_target.accounts[0]
    EkeChannel.connect(
        eke_target.host,
        eke_target.port,
        honest.user,
        pw=password_key_cached(honest.password, honest.user),
        timeout=_timeout(eke_target),
        source=address,
    ).close()
    early = _fail_once(eke_target, ghost_user(), address)
    if early is not None:
        raise ConformanceFailure(f"throttled after {n - 1} failures of {n}: {early.describe()}")
    frame, _ = _probe(eke_target, ghost_user(), bytes(32), address)
    _assert_throttled(
        frame,
        f"EKE1 from an address with {n} failures for other names, one success of "
        f"{honest.user!r} in between (EKE-THR-6: a success does not wash the address)",
    )
