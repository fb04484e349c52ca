"""sft-eke/1 throttling as a service of several principals at once (SPEC §5.6, ERR-1/7).

Each failure is a guess against one user name AND one client address (EKE-THR-1). These
cases vary the two independently, with unknown user names and fresh loopback source
addresses, so that only the counters a case builds can throttle anything:

* a user name failing from N different addresses is throttled: no address's fresh start,
  and no EKE1 of its own, forgives what its EKE3s did not (EKE-THR-5);
* a failure counts the moment the server ends the handshake, not once the client also
  closed: a client that keeps its end open and reconnects at once gets no extra guess;
* a user's failures count against the address each came from, not the first address the
  user failed from (EKE-THR-2: another user's honest client there stays served);
* the `throttled` EROR itself is well formed: code 14 named `throttled`, an integer
  `retry_after` of at least 1 (ERR-1, ERR-7).
"""

from __future__ import annotations

import math
import time

import pytest

from conformance.eke_channel import EkeChannel, password_key_cached
from conformance.eke_support import (
    SourceAddresses,
    fail_handshake,
    ghost_user,
    start_handshake,
)
from conformance.plugin import unsupported
from conformance.target import Target
from conformance.wire import ConformanceFailure, Event, ExpectError, ReceivedFrame, expect_on

# A server may count a failure an instant after its close reaches us (its own thread
# still running); the suite gives it this long before it reconnects. A server that counts
# only once the client has closed too (a lingering close) waits far longer than this.
_COUNT_GRACE = 0.25


def _evidence(
    context: str, expected: str, actual: str, *, violates: tuple[str, ...]
) -> ConformanceFailure:
    failure = ConformanceFailure.evidence(context, expected, actual)
    failure.violates = violates
    return failure


def _timeout(target: Target) -> float:
    return max(3.0, min(10.0, target.limits.idle_timeout * 2))


def _needs_throttling(target: Target, sources: SourceAddresses) -> None:
    if not target.has("throttling"):
        unsupported("the target does not declare the 'throttling' feature")
    if not sources.loopback:
        pytest.skip("needs a loopback target to vary the client address")


def _fail(target: Target, user: str, source: str | None, what: str) -> None:
    early = fail_handshake(target, user, source, timeout=_timeout(target))
    if early is not None:
        raise ConformanceFailure(
            f"{what}: the EKE1 was refused before its EKE2 although neither the user name "
            f"nor the address had {target.limits.throttle_failures} failures: "
            f"{early.describe()}",
            violates=("EKE-THR-1",),
        )


def _first_answer(target: Target, user: str, source: str | None) -> Event:
    hs = start_handshake(target, user, bytes(32), source=source, timeout=_timeout(target))
    try:
        return hs.receive_eke2(_timeout(target))
    finally:
        hs.close()


def _check_throttled_frame(event: ReceivedFrame, what: str) -> None:
    """ERR-1 and ERR-7 on a `throttled` EROR: every member, not only the code."""
    obj = event.json()
    problems: list[tuple[str, str]] = []
    if not isinstance(obj, dict):
        problems.append(("ERR-1", "the payload is not a JSON object"))
        obj = {}
    if obj.get("code") != 14 or isinstance(obj.get("code"), bool):
        problems.append(("ERR-1", f"code {obj.get('code')!r}, not 14"))
    if obj.get("name") != "throttled":
        problems.append(("ERR-1", f"name {obj.get('name')!r} for code 14 (the table: 'throttled')"))
    message = obj.get("message")
    if not isinstance(message, str) or len(message) > 512:
        problems.append(("ERR-1", f"message {message!r:.80}: a string of at most 512 characters"))
    retry = obj.get("retry_after")
    if not isinstance(retry, int) or isinstance(retry, bool) or retry < 1:
        problems.append(("ERR-7", f"retry_after {retry!r}: an integer number of seconds >= 1"))
    if problems:
        raise _evidence(
            what,
            "EROR {code: 14, name: 'throttled', message: str (<= 512), retry_after: int >= 1}",
            f"{event.describe()}: " + "; ".join(text for _, text in problems),
            violates=tuple(dict.fromkeys(req for req, _ in problems)),
        )


@pytest.mark.req("EKE-THR-1", "EKE-THR-5", "ERR-1", "ERR-7")
def test_a_user_name_failing_from_many_addresses_is_throttled(
    eke_target: Target, eke_sources: SourceAddresses
) -> None:
    """N failures of one user name, each from a fresh address, then an EKE1 of that name
    from yet another fresh address: `throttled`. Every failure was a verified-bad EKE3 after
    an EKE2 (a spent guess); nothing verified in between, so nothing may have forgiven the
    count — not a new address, not the name's next EKE1 (a server resetting the count when
    it sends EKE2 never throttles a name whose guesses each come from a new address)."""
    _needs_throttling(eke_target, eke_sources)
    n = eke_target.limits.throttle_failures
    user = ghost_user()
    for i in range(n):
        _fail(eke_target, user, eke_sources.fresh(), f"failure {i + 1} of {n} of {user!r}")
    event = _first_answer(eke_target, user, eke_sources.fresh())
    what = (
        f"EKE1 of {user!r} from a fresh address after {n} failed handshakes of that name, "
        f"each from its own fresh address (declared limit {n})"
    )
    if not (isinstance(event, ReceivedFrame) and event.error_name == "throttled"):
        raise _evidence(
            what,
            "EROR throttled (the user name's failures add up whatever the addresses)",
            event.describe(),
            violates=("EKE-THR-1", "EKE-THR-5"),
        )
    _check_throttled_frame(event, what)


@pytest.mark.req("EKE-THR-5", "EKE-THR-1")
def test_a_failure_counts_before_the_client_closes(
    eke_target: Target, eke_sources: SourceAddresses
) -> None:
    """N − 1 failures of a user name, then the N-th: its bad EKE3 is answered
    `auth_failed` and the server closes — but the suite keeps its own end open and
    reconnects (another fresh address) right away. The N-th guess was spent when the
    server ended the handshake (EKE-THR-5: "the moment it ends"), so that EKE1 is
    `throttled`. A server that counts only after a lingering close (waiting for the
    client's FIN first) hands a fast attacker one more guess per lock."""
    _needs_throttling(eke_target, eke_sources)
    n = eke_target.limits.throttle_failures
    timeout = _timeout(eke_target)
    user = ghost_user()
    for i in range(n - 1):
        _fail(eke_target, user, eke_sources.fresh(), f"failure {i + 1} of {n} of {user!r}")
    hs = start_handshake(eke_target, user, bytes(32), source=eke_sources.fresh(), timeout=timeout)
    try:
        event = hs.receive_eke2(timeout)
        if hs.eke2 is None:
            raise ConformanceFailure(
                f"no EKE2 for failure {n} of {n} of {user!r}: {event.describe()}",
                violates=("EKE-THR-1",),
            )
        hs.send_eke3(hs.client.on_eke2(hs.eke2, verify=False))
        expect_on(hs.raw, [ExpectError("auth_failed", then_close=True)], timeout).check(
            f"failure {n} of {n} of {user!r}: a bad EKE3"
        )
        # Our end stays open (no FIN from us) while we come back.
        time.sleep(_COUNT_GRACE)
        answer = _first_answer(eke_target, user, eke_sources.fresh())
    finally:
        hs.close()
    if not (isinstance(answer, ReceivedFrame) and answer.error_name == "throttled"):
        raise _evidence(
            f"EKE1 of {user!r} from a fresh address {_COUNT_GRACE} s after the server answered "
            f"bad EKE3 {n} of {n} with auth_failed and closed (the suite's end still open)",
            "EROR throttled: that last failure counted the moment the server ended it",
            f"{answer.describe()} (a failure counted only once the client closes too gives "
            "a reconnecting attacker extra guesses)",
            violates=("EKE-THR-5",),
        )


@pytest.mark.req("EKE-THR-2", "EKE-THR-1")
def test_a_users_failures_count_where_they_came_from(
    eke_target: Target, eke_sources: SourceAddresses
) -> None:
    """A user name fails once from address S, then N − 1 times from other fresh addresses
    (the name is now throttled; S has one failure). An honest client of a real account
    from S completes its handshake: S has fewer than N failures (EKE-THR-2). A server
    that charges a user's failures to the address the user first failed from (a table
    of "the user's address") blames S for guesses made elsewhere."""
    _needs_throttling(eke_target, eke_sources)
    if not eke_target.accounts:
        pytest.skip("needs an eke account")
    n = eke_target.limits.throttle_failures
    if n < 2:
        pytest.skip("needs a throttle limit of at least 2 failures")
    user = ghost_user()
    first = eke_sources.fresh()
    _fail(eke_target, user, first, f"failure 1 of {user!r}, from {first}")
    for i in range(1, n):
        _fail(eke_target, user, eke_sources.fresh(), f"failure {i + 1} of {user!r}")
    honest = eke_target.accounts[0]
    try:
        channel = EkeChannel.connect(
            eke_target.host,
            eke_target.port,
            honest.user,
            pw=password_key_cached(honest.password, honest.user),
            timeout=_timeout(eke_target),
            source=first,
        )
    except ConformanceFailure as exc:
        raise ConformanceFailure(
            f"an honest handshake of {honest.user!r} from {first}, an address with ONE "
            f"failure (of {user!r}; that name then failed {n - 1} more times from other "
            f"addresses), was refused: {exc}",
            violates=("EKE-THR-2",),
        ) from None
    channel.close()


def _lock(target: Target, extra: int) -> int:
    """EKE-THR-6: the lock after failure N + extra, in whole seconds (at least 1)."""
    limits = target.limits
    return max(1, math.ceil(min(limits.throttle_cap, limits.throttle_base * 2.0**extra)))


def _fail_when_unlocked(
    target: Target, user: str, source: str | None, what: str, budget: float
) -> float:
    """One failed handshake from `source`, waiting out (as told) a lock still running;
    returns when its bad EKE3 was sent (the server counted the failure after that)."""
    timeout = _timeout(target)
    deadline = time.monotonic() + budget
    while True:
        hs = start_handshake(target, user, bytes(32), source=source, timeout=timeout)
        try:
            event = hs.receive_eke2(timeout)
            if hs.eke2 is not None:
                sent = time.monotonic()
                hs.send_eke3(hs.client.on_eke2(hs.eke2, verify=False))
                expect_on(hs.raw, [ExpectError("auth_failed", then_close=True)], timeout).check(
                    what
                )
                return sent
        finally:
            hs.close()
        if not (isinstance(event, ReceivedFrame) and event.error_name == "throttled"):
            raise ConformanceFailure(f"{what}: no EKE2: {event.describe()}")
        retry = (event.json() or {}).get("retry_after")
        wait = float(retry) if isinstance(retry, int) and retry > 0 else 0.5
        if time.monotonic() + wait > deadline:
            pytest.skip(f"{what}: the address's lock outlasts the case's budget ({budget} s)")
        time.sleep(wait)  # the server's own retry_after: a lock it declared


@pytest.mark.req("EKE-THR-6", "EKE-THR-1")
def test_retry_after_is_the_longer_of_the_user_and_address_locks(
    eke_target: Target, eke_sources: SourceAddresses
) -> None:
    """An address with N + k failures (a lock of base·2^k, k ≥ 1) and a user name with N
    (a lock of base): an EKE1 of that name from that address is `throttled` with the time
    left of the LONGER lock (EKE-THR-6: `retry_after` is the time left until the EKE1 is
    accepted, and it is accepted only when neither lock runs). A server answering the
    user's wait whenever the user is locked tells the client to come back while its
    address is still locked."""
    _needs_throttling(eke_target, eke_sources)
    n = eke_target.limits.throttle_failures
    base_lock = _lock(eke_target, 0)
    extra = next((k for k in (1, 2, 3) if _lock(eke_target, k) - base_lock >= 2), None)
    if extra is None:
        pytest.skip("the declared backoff (base, cap) gives no lock 2 s longer than the first")
    waits = sum(_lock(eke_target, k) for k in range(extra))
    if waits > 10:
        pytest.skip(f"the address's locks on the way take {waits} s (the case waits at most 10)")
    address = eke_sources.fresh()
    for i in range(n):
        _fail(eke_target, ghost_user(), address, f"address failure {i + 1} of {n + extra}")
    last_sent = 0.0
    for i in range(extra):
        last_sent = _fail_when_unlocked(
            eke_target,
            ghost_user(),
            address,
            f"address failure {n + i + 1} of {n + extra}",
            budget=waits + 5.0,
        )
    address_lock = _lock(eke_target, extra)
    user = ghost_user()
    for i in range(n):
        _fail(eke_target, user, eke_sources.fresh(), f"failure {i + 1} of {n} of {user!r}")
    event = _first_answer(eke_target, user, address)
    received = time.monotonic()
    # The address's lock ends no earlier than `address_lock` after its last bad EKE3 left.
    address_left = last_sent + address_lock - received
    if address_left < base_lock + 1:
        pytest.skip(
            f"the user's failures took too long ({received - last_sent:.1f} s): the "
            "address's remaining lock no longer outlasts the user's by a whole second"
        )
    what = (
        f"EKE1 of {user!r} (locked {base_lock} s after its {n} failures) from {address} "
        f"(locked {address_lock} s after its {n + extra} failures, at least "
        f"{address_left:.1f} s of it left)"
    )
    if not (isinstance(event, ReceivedFrame) and event.error_name == "throttled"):
        raise _evidence(what, "EROR throttled", event.describe(), violates=("EKE-THR-1",))
    retry = (event.json() or {}).get("retry_after")
    if not isinstance(retry, int) or retry < math.floor(address_left):
        raise _evidence(
            what,
            f"retry_after >= {math.floor(address_left)} (the address's lock, the longer one)",
            f"{event.describe()}",
            violates=("EKE-THR-6",),
        )
