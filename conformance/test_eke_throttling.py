"""sft-eke/1 throttling of failed handshakes (SPEC §5.6, ERR-7).

Failures are made with fresh loopback source addresses and unknown user names (the
server counts per user name "whether or not the user exists"), so that each test
controls exactly one counter and nothing else gets throttled. The embedded reference
runs with a short backoff; against another target the limits come from its target file.
"""

from __future__ import annotations

import contextlib
import functools
import math
import secrets
import socket
import time
import unicodedata
from collections.abc import Callable
from typing import Any, Literal, TypeVar

import pytest

from conformance import eke
from conformance.eke_channel import EkeChannel, connect_raw, password_key_cached
from conformance.eke_support import (
    PartialHandshake,
    SourceAddresses,
    Victim,
    fail_handshake,
    ghost_user,
    start_handshake,
)
from conformance.plugin import Inconclusive, inconclusive, unsupported
from conformance.target import Account, Target
from conformance.wire import (
    FATAL_CLOSE_WITHIN,
    Closed,
    ConformanceFailure,
    Event,
    ExpectError,
    ExpectFrame,
    RawConnection,
    ReceivedFrame,
    TimedOut,
    control,
    deadline_after,
    expect_on,
    frame_bytes,
)

pytestmark = pytest.mark.xdist_group("eke-victim")


_T = TypeVar("_T")


def _timeout(target: Target) -> float:
    return max(3.0, min(10.0, target.limits.idle_timeout * 2))


def _needs_throttling(target: Target, sources: SourceAddresses) -> None:
    if not target.has("throttling"):
        unsupported("the target does not declare the 'throttling' feature")
    if not sources.loopback:
        pytest.skip("needs a loopback target to vary the client address")


_NOTHING_PENDING = (
    "Nothing of this user name or address was pending (the handshakes before it had all "
    "ended): up to the caps an EKE1 MUST be answered EKE2 (EKE-THR-7), so `busy` means a "
    "pending slot was kept after its handshake ended."
)


def _no_eke2(event: Event, what: str) -> ConformanceFailure:
    """The failure for a sequential handshake that got no EKE2: `busy` then breaks
    EKE-THR-7 alone; anything else is judged as the case's own requirements."""
    text = f"no EKE2 for {what}: {event.describe()}"
    if isinstance(event, ReceivedFrame) and event.error_name == "busy":
        return ConformanceFailure(f"{text}\n{_NOTHING_PENDING}", violates=("EKE-THR-7",))
    return ConformanceFailure(text)


def _sequential_login(login: Callable[[], _T]) -> _T:
    """An honest login with nothing of its user or address pending: refused `busy`, it is
    EKE-THR-7's FAIL, not that of the requirement the case goes on to judge."""
    try:
        return login()
    except ConformanceFailure as exc:
        if exc.violates or "EROR busy" not in str(exc).split("\n", 1)[0]:
            raise
        raise ConformanceFailure(f"{exc}\n{_NOTHING_PENDING}", violates=("EKE-THR-7",)) from None


def _fail_once(target: Target, user: str, source: str | None) -> ReceivedFrame | None:
    """One failed handshake (EKE1, EKE2, bogus EKE3); returns an EROR throttled if that came."""
    timeout = _timeout(target)
    hs = start_handshake(target, user, bytes(32), source=source, timeout=timeout)
    try:
        event = hs.receive_eke2(timeout)
        if isinstance(event, ReceivedFrame) and event.error_name == "throttled":
            return event
        if hs.eke2 is None:
            raise _no_eke2(event, "a handshake to be failed")
        hs.send_eke3(hs.client.on_eke2(hs.eke2, verify=False))
        expect_on(hs.raw, [ExpectError("auth_failed", then_close=True)], timeout).check(
            "a failed handshake"
        )
        return None
    finally:
        hs.close()


def _probe(
    target: Target, user: str, pw: bytes, source: str | None, *, check_close: bool = False
) -> tuple[ReceivedFrame | None, float]:
    """EKE1 only: returns the frame that answers it and how long it took. `check_close`:
    a `throttled` or `busy` answer must be followed by the server's close (ERR-3)."""
    timeout = _timeout(target)
    hs = start_handshake(target, user, pw, source=source, timeout=timeout)
    try:
        event = hs.receive_eke2(timeout)
        frame = event if isinstance(event, ReceivedFrame) else None
        if check_close and frame is not None and frame.error_name in ("throttled", "busy"):
            _assert_closed_after_refusal(
                hs,
                frame,
                f"EKE1 of {user!r}",
                handshake_timeout=target.limits.handshake_timeout,
            )
        return frame, hs.eke2_elapsed
    finally:
        hs.close()


def _close_allowance(connecting: float | None, handshake_timeout: float | None) -> float:
    """How long the close may follow a refusal of EKE1 (ERR-3): FATAL_CLOSE_WITHIN, or
    less when the handshake timeout would otherwise bring it inside that window. A server
    that waits for the client's FIN closes only at its handshake deadline, about
    `connecting + handshake_timeout`: the allowance then ends a margin before that. Never
    below 0.8 s (a loaded machine that took most of the timeout to answer EKE1 keeps the
    plain allowance)."""
    if connecting is None or handshake_timeout is None:
        return FATAL_CLOSE_WITHIN
    margin = max(0.2, 0.15 * handshake_timeout)
    before_timeout = connecting + handshake_timeout - margin - time.monotonic()
    if 0.8 <= before_timeout < FATAL_CLOSE_WITHIN:
        return before_timeout
    return FATAL_CLOSE_WITHIN


def _assert_closed_after_refusal(
    hs: PartialHandshake,
    frame: ReceivedFrame,
    what: str,
    *,
    handshake_timeout: float | None = None,
) -> None:
    """[ERR-3] `throttled` and `busy` are fatal: the server closes right after the EROR.
    The suite keeps its own side open meanwhile: a server that waits for the client to
    hang up first (to be sure the EROR was read) holds the connection, and its slot,
    for as long as the client likes — or until its handshake timeout, which is why the
    wait ends before that timeout could bring the close (`_close_allowance`)."""
    # The connection's transcript starts when the connect returns: about the server's accept.
    allowance = _close_allowance(hs.raw.transcript.started, handshake_timeout)
    after = hs.raw.recv_frame(deadline_after(allowance))
    if not isinstance(after, Closed):
        why = (
            ""
            if allowance >= FATAL_CLOSE_WITHIN
            else f" (the handshake timeout of {handshake_timeout:g} s, counted from accept, "
            "would have closed it only later: a close at once comes before)"
        )
        raise ConformanceFailure(
            f"Expected: the connection closed at once after EROR {frame.error_name} ({what})\n"
            f"Actual:   {after.describe()} (waited {allowance:.2f} s){why}, the client "
            "keeping its side open\n"
            "ERR-3: after a fatal EROR the endpoint MUST close at once, not wait for the "
            "peer to close first",
            violates=("ERR-3",),
        )


def _plain_failures_throttle(target: Target, sources: SourceAddresses, counter: str) -> bool:
    """The control run when a case's throttle did not come: do N plain failed EKE3s of one
    user name (from fresh addresses) or of one address (other names) throttle the next
    EKE1? If not, the counter itself is missing (EKE-THR-1), and what the case adds on
    top of it (abandoned or pending handshakes, a success in between) cannot be judged."""
    n = target.limits.throttle_failures
    user, address = ghost_user(), sources.fresh()

    def attempt() -> tuple[str, str | None]:
        if counter == "user":
            return user, sources.fresh()
        return ghost_user(), address

    for _ in range(n):
        if _fail_once(target, *attempt()) is not None:
            return True
    name, source = attempt()
    frame, _ = _probe(target, name, bytes(32), source)
    return frame is not None and frame.error_name == "throttled"


def _assert_throttled(
    frame: ReceivedFrame | None,
    what: str,
    *,
    broken: str = "EKE-THR-1",
    control: Callable[[], bool] | None = None,
) -> int:
    """`broken`: the requirement a missing throttle shows violated. `control`, when given,
    is run first: False means plain failures do not throttle either, and the FAIL is then
    EKE-THR-1's alone (the case's own requirement was not measurable)."""
    if frame is None or frame.error_name != "throttled":
        text = (
            f"Expected: EROR throttled with retry_after ({what})\n"
            f"Actual:   {frame.describe() if frame is not None else 'no frame'}"
        )
        if control is not None and not control():
            raise ConformanceFailure(
                f"{text}\nControl:  N plain failed EKE3s were not throttled either: the "
                f"count is missing (EKE-THR-1), so {broken} cannot be judged by this case",
                violates=("EKE-THR-1",),
            )
        raise ConformanceFailure(text, violates=(broken,))
    obj = frame.json() or {}
    retry = obj.get("retry_after")
    if type(retry) is not int or retry < 0:
        raise ConformanceFailure(
            f"ERR-7: retry_after is {retry!r}, not an integer ({what})", violates=("ERR-7",)
        )
    return retry


@pytest.mark.req("EKE-THR-1", "ERR-7", "ERR-3")
def test_user_name_is_throttled_after_n_failures(
    eke_target: Target, eke_sources: SourceAddresses
) -> None:
    """N failures for one user name from N addresses: the next EKE1 for it is throttled,
    and the server closes right after its EROR (ERR-3)."""
    _needs_throttling(eke_target, eke_sources)
    user = ghost_user()
    n = eke_target.limits.throttle_failures
    for i in range(n):
        early = _fail_once(eke_target, user, eke_sources.fresh())
        if early is not None:
            raise ConformanceFailure(
                f"throttled after {i} failures, the declared limit is {n}: {early.describe()}"
            )
    frame, elapsed = _probe(eke_target, user, bytes(32), eke_sources.fresh(), check_close=True)
    _assert_throttled(frame, f"EKE1 for {user!r} after {n} failures from other addresses")
    # Without modular exponentiation the refusal is much faster than an EKE2.
    fresh, normal = _probe(eke_target, ghost_user(), bytes(32), eke_sources.fresh())
    assert fresh is not None and fresh.type == b"EKE2", fresh
    if elapsed >= max(normal, 0.02) * 3:
        raise ConformanceFailure(
            f"EKE-THR-1: the throttled answer took {elapsed * 1000:.1f} ms vs "
            f"{normal * 1000:.1f} ms for EKE2 (a throttled EKE1 gets no exponentiation)",
            violates=("EKE-THR-1",),
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
    channel = _sequential_login(
        lambda: EkeChannel.connect(
            eke_target.host,
            eke_target.port,
            honest.user,
            pw=pw,
            timeout=_timeout(eke_target),
            source=eke_sources.fresh(),
        )
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
        _sequential_login(lambda: eke_victim.login(eke_sources.fresh()))


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
    if first > first_lock:
        raise ConformanceFailure(
            f"EKE-THR-6: retry_after {first} s after {n} failures; the law gives {first_lock} s",
            violates=("EKE-THR-6",),
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
                f"of {first} s",
                violates=("EKE-THR-6",),
            )
        time.sleep(0.05)
    frame, _ = _probe(eke_target, user, bytes(32), eke_sources.fresh())
    again = _assert_throttled(frame, "one failure after the lock ended", broken="EKE-THR-6")
    second_lock = _lock_seconds(eke_target, n + 1)
    # retry_after is the time left, rounded up: at most the lock, and at least the lock
    # less the time since that failure began (the server counted it after that).
    since = time.monotonic() - failure_started
    if not math.ceil(second_lock - since) <= again <= second_lock or again < first:
        raise ConformanceFailure(
            f"EKE-THR-6: after failure {n + 1} the lock must be min(cap, base * 2^1) = "
            f"{second_lock} s (it was {first} s after failure {n}); retry_after is {again} s, "
            f"{since:.2f} s after that failure began: the backoff does not double",
            violates=("EKE-THR-6",),
        )


@pytest.mark.req("EKE-THR-5", "EKE-THR-6")
def test_throttled_attempts_are_not_failures(
    eke_target: Target, eke_sources: SourceAddresses
) -> None:
    """An EKE1 answered `throttled` gets no EKE2: no guess was spent, so it is not a
    failure (EKE-THR-5: failures only decide) and the lock still ends when the law of
    EKE-THR-6 says, counted from the N-th failure. A server that counts the refused
    attempt too ("one more try while locked") re-locks, longer each time: whoever keeps
    knocking, the account's owner first, stays locked out. Both counters at once (a user
    name from fresh addresses, an address with fresh names): one lock's wait for both."""
    _needs_throttling(eke_target, eke_sources)
    n = eke_target.limits.throttle_failures
    lock = _lock_seconds(eke_target, n)
    if lock > 2:
        pytest.skip(f"a first lock of {lock} s is too long for the default run")
    user, address = ghost_user(), eke_sources.fresh()
    for _ in range(n):
        _fail_once(eke_target, user, eke_sources.fresh())
        _fail_once(eke_target, ghost_user(), address)
    locked_at = time.monotonic()
    probes: dict[str, Callable[[], tuple[str, str | None]]] = {
        "user": lambda: (user, eke_sources.fresh()),
        "address": lambda: (ghost_user(), address),
    }
    for counter, attempt in probes.items():
        name, source = attempt()
        frame, _ = _probe(eke_target, name, bytes(32), source)
        _assert_throttled(frame, f"EKE1 after {n} failures of one {counter}")
    # Polling, because the lock is the server's clock: bounded by the law's lock (counted
    # from the N-th failure, before `locked_at`) and a margin for a loaded machine.
    deadline = locked_at + lock + 2.5
    for counter, attempt in probes.items():
        while True:
            name, source = attempt()
            frame, _ = _probe(eke_target, name, bytes(32), source)
            if frame is None or frame.error_name != "throttled":
                break
            if time.monotonic() > deadline:
                raise ConformanceFailure(
                    f"Expected: EKE2 once the lock after {n} failures of one {counter} ended "
                    f"({lock} s after the last of them, EKE-THR-6)\n"
                    f"Actual:   still {frame.describe()} "
                    f"{time.monotonic() - locked_at:.2f} s after it: the EKE1s refused "
                    "`throttled` meanwhile were counted as failures (EKE-THR-5: no EKE2, no "
                    "guess spent, no failure)",
                    violates=("EKE-THR-5", "EKE-THR-6"),
                )
            time.sleep(0.2)  # the next poll of the server's lock (see above)
        if frame is None or frame.type != b"EKE2":
            raise ConformanceFailure(
                f"Expected: EKE2 once the lock of the {counter} ended\n"
                f"Actual:   {frame.describe() if frame is not None else 'no frame'}"
            )


@pytest.mark.req("EKE-THR-2", "EKE-THR-9")
def test_a_user_name_that_spells_an_address_is_not_that_address(
    eke_target: Target, eke_sources: SourceAddresses
) -> None:
    """User names and addresses are counted apart (EKE-THR-9): N failures of the user name
    "127.x.y.z" (from other addresses) must not throttle the address 127.x.y.z, and N
    failures from an address must not throttle the user name that spells it. A server
    that keeps one table keyed by a bare string (user or address, whichever came) locks
    an honest client out by the name someone else chose (EKE-THR-2)."""
    _needs_throttling(eke_target, eke_sources)
    n = eke_target.limits.throttle_failures
    named, failing = eke_sources.fresh(), eke_sources.fresh()
    assert named is not None and failing is not None  # loopback: _needs_throttling
    for _ in range(n):
        _fail_once(eke_target, named, eke_sources.fresh())
        _fail_once(eke_target, ghost_user(), failing)
    for what, user, source in (
        (f"another name from the address {named}, after {n} failures of the user name "
         f"{named!r}", ghost_user(), named),
        (f"the user name {failing!r} from another address, after {n} failures from the "
         f"address {failing}", failing, eke_sources.fresh()),
    ):  # fmt: skip
        frame, _ = _probe(eke_target, user, bytes(32), source)
        if frame is None or frame.type != b"EKE2":
            raise ConformanceFailure(
                f"Expected: EKE2 for {what}\n"
                f"Actual:   {frame.describe() if frame is not None else 'no frame'}\n"
                "User names and addresses are counted in separate tables (EKE-THR-9): "
                "failures of one must not throttle the other that happens to be spelled "
                "the same (EKE-THR-2)",
                violates=("EKE-THR-2", "EKE-THR-9")
                if frame is not None and frame.error_name == "throttled"
                else (),
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
    channel = _sequential_login(
        lambda: EkeChannel.connect(
            eke_target.host,
            eke_target.port,
            honest.user,
            honest.password,
            timeout=_timeout(eke_target),
        )
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
            raise _no_eke2(event, "a handshake to abandon")
        with contextlib.suppress(OSError):
            hs.raw.sock.shutdown(socket.SHUT_WR)
        deadline = deadline_after(timeout)
        for _ in range(4):  # an EROR, then the close
            if isinstance(hs.raw.recv_frame(deadline), (Closed, TimedOut)):
                break
        return None
    finally:
        hs.close()


@pytest.mark.req("EKE-THR-5", "EKE-THR-1")
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
        broken="EKE-THR-5",
        control=lambda: _plain_failures_throttle(eke_target, eke_sources, counter),
    )


# ---------------------------------------------------------------- pending (EKE-THR-5, -7)


def _pending_caps(target: Target) -> tuple[int, int]:
    """(P, K): the declared pending cap per user name, and how many handshakes one address
    may have pending (Q, or LIM-8's connection cap when that is lower)."""
    limits = target.limits
    p, q = limits.pending_logins_per_user, limits.pending_logins_per_address
    if p is None or q is None:
        pytest.skip(
            "the target declares no pending-login caps (limits.pending_logins_per_user and "
            "pending_logins_per_address, EKE-THR-7)"
        )
    per_address = min(q, limits.max_pending_per_address or q)
    # Every handshake held here is one connection: keep below the connection cap (LIM-4)
    # so that no other client's connection makes the server close one (LIM-9).
    if max(p, per_address) + 2 > limits.max_connections:
        pytest.skip(f"holding {max(p, per_address) + 1} handshakes needs more connections")
    return p, per_address


def _address_cap_is_reached(target: Target) -> bool:
    """True when the declared Q is below the declared per-address connection cap (LIM-8):
    an address holding Q pending handshakes may then open one more connection, and its
    EKE1 is refused by EKE-THR-7 itself — `busy` with retry_after, not counted, taking no
    slot — rather than by LIM-8 before it is read (close, or a `busy` of LIM-8's)."""
    q, lim8 = target.limits.pending_logins_per_address, target.limits.max_pending_per_address
    return q is not None and lim8 is not None and q < lim8


Prepared = tuple[eke.ClientHandshake, dict[str, Any]]


def _prepare(user: str, pw: bytes) -> Prepared:
    """An EKE1 computed before its connection: the target's handshake clock (LIM-1,
    short on the embedded reference) starts at accept, not at our modular arithmetic."""
    client = eke.ClientHandshake(user=user, pw=pw)
    return client, client.eke1()


def _start(target: Target, prepared: Prepared, source: str | None) -> PartialHandshake:
    client, message = prepared
    raw = connect_raw(
        target.host, target.port, timeout=_timeout(target), name=f"eke {client.user}", source=source
    )
    raw.send_frame(b"EKE1", message)
    return PartialHandshake(raw, client, message)


def _hold(
    target: Target,
    user: str,
    pw: bytes,
    source: str | None,
    what: str,
    prepared: Prepared | None = None,
) -> PartialHandshake:
    """EKE1, and EKE2 read: a handshake left pending. FAIL if anything but EKE2 came."""
    hs = _start(target, prepared or _prepare(user, pw), source)
    event = hs.receive_eke2(_timeout(target))
    if hs.eke2 is None:
        hs.close()
        name = event.error_name if isinstance(event, ReceivedFrame) else None
        raise ConformanceFailure(
            f"Expected: EKE2 for {what}\n"
            f"Actual:   {event.describe()}\n"
            "A handshake between EKE2 and EKE3 is pending, not failed (EKE-THR-5): up to "
            "the declared pending caps (EKE-THR-7) it must not make the next EKE1 throttled.",
            # Throttled: pending handshakes were counted as failures; busy: the cap is
            # below the declared one; anything else: not judged apart from the case.
            violates={"throttled": ("EKE-THR-5",), "busy": ("EKE-THR-7",)}.get(name or "", ()),
        )
    return hs


def _finish(target: Target, hs: PartialHandshake, what: str) -> None:
    """A correct EKE3; the server must answer EKE4 (the login completes)."""
    timeout = _timeout(target)
    assert hs.eke2 is not None
    eke3 = hs.client.on_eke2(hs.eke2)
    # Held since its connect (the transcript is per connection) until EKE3 leaves, its
    # computation included (slow on a loaded machine): past the declared handshake
    # timeout the server may rightly have closed it (LIM-1, LIM-9: counted from accept),
    # so a late EKE3 proves nothing about the pending caps.
    age = time.monotonic() - hs.raw.transcript.started
    hs.send_eke3(eke3)
    event = hs.raw.recv_frame(deadline_after(timeout))
    if not (isinstance(event, ReceivedFrame) and event.type == b"EKE4"):
        if age >= target.limits.handshake_timeout:
            inconclusive(
                f"{what} was held {age:.2f} s before its EKE3, beyond the target's "
                f"handshake timeout ({target.limits.handshake_timeout} s): too slow a run "
                f"to finish it in time ({event.describe()})"
            )
        raise ConformanceFailure(
            f"Expected: EKE4 for {what} (correct password)\nActual:   {event.describe()}"
        )
    hs.client.on_eke4(event.json() or {})
    # EKE4 can leave before the server books the success and gives the pending slot back:
    # settled (BYE_, the target's close), what the caller (or the next case) does next
    # with this user name or address comes after both (EKE-THR-4, EKE-THR-7).
    hs.settle(timeout)


def _complete_quietly(target: Target, hs: PartialHandshake) -> None:
    """An honest pending login left by a FAIL is completed, not abandoned: abandoned it is
    a failure of the account (EKE-THR-5), and enough of them lock the account for the
    cases that follow, which would then FAIL requirements this target did not break."""
    with contextlib.suppress(Exception, Inconclusive):
        _finish(target, hs, "an honest login left pending by a FAIL")
    hs.close()


def _end(target: Target, hs: PartialHandshake) -> None:
    """The client walks away after EKE2 (FIN) and waits for the server's close: from then
    on the handshake has ended, and was a failure (EKE-THR-5)."""
    with contextlib.suppress(OSError):
        hs.raw.sock.shutdown(socket.SHUT_WR)
    deadline = deadline_after(_timeout(target))
    for _ in range(4):  # an EROR, then the close
        if isinstance(hs.raw.recv_frame(deadline), (Closed, TimedOut)):
            break
    hs.close()


def _assert_busy(
    frame: ReceivedFrame | None,
    what: str,
    *,
    retry_after: bool = True,
    held_past_the_limit: bool = False,
) -> None:
    """`held_past_the_limit`: more than N handshakes were held pending without a throttle,
    so a `throttled` answer now is the wrong refusal at the cap (EKE-THR-7), not pending
    handshakes counted as failures (EKE-THR-5), which would have throttled a held one."""
    if frame is None or frame.error_name != "busy":
        kind = (
            "none" if frame is None else (frame.error_name or frame.type.decode("ascii", "replace"))
        )
        why = {
            "EKE2": "the pending cap is not enforced: guesses held open in parallel are "
            "unbounded (EKE-THR-7)",
            "throttled": "pending handshakes were counted as failures (EKE-THR-5); beyond "
            "the cap the answer is busy, not throttled",
        }.get(kind, "")
        raise ConformanceFailure(
            f"Expected: EROR busy ({what})\n"
            f"Actual:   {frame.describe() if frame is not None else 'no frame'}\n{why}",
            # Throttled instead of busy: either the pending handshakes were counted as
            # failures (EKE-THR-5) or the refusal at the cap has the wrong name (EKE-THR-7);
            # anything else: the cap on pending handshakes is not what EKE-THR-7 says.
            violates=("EKE-THR-5", "EKE-THR-7")
            if kind == "throttled" and not held_past_the_limit
            else ("EKE-THR-7",),
        )
    if retry_after:
        value = (frame.json() or {}).get("retry_after")
        if type(value) is not int or value < 1:
            # Only the form of the busy answer is wrong: what the case goes on to check
            # (counting, throttling) is not judged, and not FAILed, by this.
            raise ConformanceFailure(
                f"EKE-THR-7: busy must carry retry_after, an integer >= 1; got {value!r} ({what})",
                violates=("EKE-THR-7",),
            )


@pytest.mark.req("EKE-THR-7", "EKE-THR-5", "ERR-3")
def test_honest_burst_of_one_user_within_the_pending_cap(
    eke_target: Target, eke_sources: SourceAddresses
) -> None:
    """P honest logins of one user at once all get EKE2 and complete (pending is not
    failure, even with P > N); meanwhile its next EKE1 is `busy` with retry_after, not
    counted: N busy answers leave their address unthrottled."""
    _needs_throttling(eke_target, eke_sources)
    if not eke_target.accounts:
        pytest.skip("needs an eke account")
    p, _ = _pending_caps(eke_target)
    n = eke_target.limits.throttle_failures
    honest = eke_target.accounts[0]
    pw = password_key_cached(honest.password, honest.user)
    held: list[PartialHandshake] = []
    prober = eke_sources.fresh()
    # Everything computed up front: the pending logins are held for as short a time as
    # the protocol allows (the embedded reference's handshake timeout is 2 s).
    logins = [_prepare(honest.user, pw) for _ in range(p)]
    probes = [_prepare(honest.user, pw) for _ in range(n)]
    try:
        for i in range(p):
            held.append(
                _hold(
                    eke_target,
                    honest.user,
                    pw,
                    eke_sources.fresh(),
                    f"honest login {i + 1} of {p} of {honest.user!r} in parallel",
                    logins[i],
                )
            )
        for i in range(n):
            probe = _start(eke_target, probes[i], prober)
            try:
                event = probe.receive_eke2(_timeout(eke_target))
                if probe.eke2 is not None:
                    # Completed, not abandoned: the account must not be left with a
                    # failure (or locked) by a target that fails this case.
                    with contextlib.suppress(Exception):
                        _finish(eke_target, probe, "a login beyond the cap")
                frame = event if isinstance(event, ReceivedFrame) else None
                _assert_busy(
                    frame,
                    f"EKE1 {i + 1} of {n} of {honest.user!r} while {p} are pending",
                    held_past_the_limit=p > n,
                )
                if i == 0:  # once is enough: [ERR-3] busy is fatal, the close follows
                    assert frame is not None
                    _assert_closed_after_refusal(
                        probe,
                        frame,
                        "EKE1 beyond the pending cap",
                        handshake_timeout=eke_target.limits.handshake_timeout,
                    )
            finally:
                probe.close()
        # At once, before the pending logins finish: a target that counted the busy
        # answers throttles this address only for its first backoff (1 s on the
        # embedded reference), which finishing them on a loaded machine can outlast.
        ghost = start_handshake(
            eke_target, ghost_user(), bytes(32), source=prober, timeout=_timeout(eke_target)
        )
        try:
            event = ghost.receive_eke2(_timeout(eke_target))
            if ghost.eke2 is None:
                raise ConformanceFailure(
                    f"Expected: EKE2 for a new name from the address that was told busy {n} "
                    f"times\nActual:   {event.describe()}\n"
                    "EKE-THR-7: a busy answer must not count as a failure.",
                    violates=("EKE-THR-7",),
                )
        finally:
            ghost.close()
        for i in range(p):
            hs = held.pop(0)
            try:
                _finish(eke_target, hs, f"pending login {i + 1} of {p}")
            finally:
                hs.close()
    finally:
        for hs in held:
            _complete_quietly(eke_target, hs)


@pytest.mark.req("EKE-THR-7", "EKE-THR-5")
def test_pending_slots_are_given_back(
    eke_target: Target, eke_victim: Victim, eke_sources: SourceAddresses
) -> None:
    """P + 1 rounds of one failed and one successful login of one user: every handshake
    that ended, failed or not, gave its pending slot back (never `busy` when nothing is
    in flight), and each success reset the count (never throttled)."""
    _needs_throttling(eke_target, eke_sources)
    p, _ = _pending_caps(eke_target)
    for round_number in range(p + 1):
        early = _fail_once(eke_target, eke_victim.user, eke_sources.fresh())
        if early is not None:
            raise ConformanceFailure(
                f"round {round_number + 1}: throttled with one failure since a success: "
                f"{early.describe()}"
            )
        _sequential_login(lambda: eke_victim.login(eke_sources.fresh()))


def _end_after_eke2(target: Target, user: str, source: str | None, ending: str) -> None:
    """EKE1, EKE2 read, then the handshake ends `ending`'s way; returns once the server has
    closed (its bookkeeping of the ended handshake is then done)."""
    timeout = _timeout(target)
    hs = start_handshake(target, user, bytes(32), source=source, timeout=timeout)
    try:
        event = hs.receive_eke2(timeout)
        if hs.eke2 is None:
            raise _no_eke2(event, "a handshake to end")
        if ending == "eror":
            hs.raw.send_frame("EROR", {"code": 4, "name": "auth_failed", "message": "bye"})
        elif ending == "unexpected-frame":
            hs.raw.send_frame("RQFL", {"name": "hello.txt"})
        with contextlib.suppress(OSError):
            hs.raw.sock.shutdown(socket.SHUT_WR)
        deadline = deadline_after(timeout)
        for _ in range(4):  # maybe an EROR, then the close
            if isinstance(hs.raw.recv_frame(deadline), (Closed, TimedOut)):
                break
    finally:
        hs.close()


@pytest.mark.req("EKE-THR-7", "EKE-THR-5")
@pytest.mark.parametrize("ending", ["abandoned", "eror", "unexpected-frame"])
def test_pending_slot_is_given_back_however_the_handshake_ends(
    eke_target: Target, eke_victim: Victim, eke_sources: SourceAddresses, ending: str
) -> None:
    """[EKE-THR-7] A pending handshake holds its user's slot until it ends, and it ends
    every way, not only by a bad EKE3: the client walking away after EKE2, its EROR, a
    frame out of place. P rounds of one such ending and one honest login (which forgives
    the failure, EKE-THR-4): a slot kept by each ending would make the last login `busy`."""
    _needs_throttling(eke_target, eke_sources)
    p, _ = _pending_caps(eke_target)
    if eke_target.limits.throttle_failures < 2:
        pytest.skip("one failure already throttles the honest login that follows it")
    for round_number in range(p):
        _end_after_eke2(eke_target, eke_victim.user, eke_sources.fresh(), ending)
        try:
            eke_victim.login(eke_sources.fresh())
        except ConformanceFailure as exc:
            if exc.violates:
                raise
            busy = "EROR busy" in str(exc).split("\n", 1)[0]
            raise ConformanceFailure(
                f"EKE-THR-7: round {round_number + 1} of {p}: after {round_number + 1} "
                f"handshake(s) of {eke_victim.user!r} ended ({ending}) right after EKE2 and "
                "nothing else in flight, an honest login of it did not complete: a pending "
                f"slot was not given back when the handshake ended\n{exc}",
                violates=("EKE-THR-7",) if busy else (),
            ) from None


def _silent_until_closed(target: Target, held: list[PartialHandshake]) -> None:
    """Says nothing after EKE2 and waits (bounded) until the server has ended every one
    of `held` at its handshake timeout (an EROR timeout, then the close); then closes
    them. A server that never ends them breaks LIM-1, judged by its own case: here the
    handshakes are just closed after the wait."""
    deadline = deadline_after(target.limits.handshake_timeout + _timeout(target))
    try:
        for hs in held:
            for _ in range(4):  # an EROR, then the close
                if isinstance(hs.raw.recv_frame(deadline), (Closed, TimedOut)):
                    break
    finally:
        for hs in held:
            hs.close()


@pytest.mark.req("EKE-THR-5", "EKE-THR-7", "EKE-THR-1")
def test_pending_handshakes_that_time_out(
    eke_target: Target, eke_victim: Victim, eke_sources: SourceAddresses
) -> None:
    """A guess held silent after EKE2 until the server's handshake timeout ends it was
    checkable on C2 like any other: it is a failure the moment the server ends it
    (EKE-THR-5, "timed out"), and it gives its pending slot back (EKE-THR-7).

    Held at once, so one handshake timeout is waited for all: N handshakes of one unknown
    name G from one address A (then G from another address, and another name from A, must
    be throttled: a server that counts bad EKE3s and closes but not its own timeouts lets
    a silent attacker test guesses for free), and min(P, N - 1) of the account's, each
    from a fresh address; then an honest login of the account (which forgives them,
    EKE-THR-4). ceil(P / min(P, N - 1)) such rounds: a server whose timeout path keeps
    the slot has then kept P of them, and the last honest login is `busy`."""
    _needs_throttling(eke_target, eke_sources)
    p, per_address = _pending_caps(eke_target)
    n = eke_target.limits.throttle_failures
    if n > min(p, per_address) or n < 2:
        pytest.skip(f"N = {n} guesses held at once needs N <= the pending caps, and N >= 2")
    limit = eke_target.limits.handshake_timeout
    if limit > 10:
        pytest.skip(f"handshake timeout of {limit} s is too long for the default run")
    k = min(p, n - 1)
    ghost, address = ghost_user(), eke_sources.fresh()
    for round_number in range(1, -(-p // k) + 1):
        held: list[PartialHandshake] = []
        try:
            if round_number == 1:
                held += [
                    _hold(eke_target, ghost, bytes(32), address, "a guess to leave silent")
                    for _ in range(n)
                ]
            held += [
                _hold(
                    eke_target,
                    eke_victim.user,
                    bytes(32),
                    eke_sources.fresh(),
                    "a wrong-password login of the account, to leave silent",
                )
                for _ in range(k)
            ]
        finally:
            _silent_until_closed(eke_target, held)
        if round_number == 1:
            for what, user, source, counter in (
                (f"the name {ghost!r} from another address", ghost, eke_sources.fresh(), "user"),
                ("another name from the same address", ghost_user(), address, "address"),
            ):
                frame, _ = _probe(eke_target, user, bytes(32), source)
                _assert_throttled(
                    frame,
                    f"EKE1 of {what}, after {n} handshakes of {ghost!r} from one address were "
                    "left silent after EKE2 until the server's handshake timeout ended them: "
                    "each was a spent guess (EKE-THR-5)",
                    broken="EKE-THR-5",
                    control=functools.partial(
                        _plain_failures_throttle, eke_target, eke_sources, counter
                    ),
                )
        try:
            eke_victim.login(eke_sources.fresh())
        except ConformanceFailure as exc:
            if exc.violates:
                raise
            busy = "EROR busy" in str(exc).split("\n", 1)[0]
            raise ConformanceFailure(
                f"EKE-THR-7: round {round_number}: after {round_number * k} handshake(s) of "
                f"{eke_victim.user!r} were ended by the server's handshake timeout ({k} per "
                "round, each round forgiven by an honest login) and nothing else was in "
                "flight, an honest login of it did not complete: the timeout path kept the "
                f"pending slots\n{exc}",
                violates=("EKE-THR-7",) if busy else (),
            ) from None


@pytest.mark.req("EKE-THR-7", "EKE-THR-5", "EKE-THR-2")
def test_users_behind_one_address_all_complete(
    eke_target: Target, eke_sources: SourceAddresses
) -> None:
    """One address (a NAT) with as many logins pending as it may have, each of another
    name: an honest user's login from it still completes; the next EKE1 from it is
    `busy`. Once the other handshakes end unfinished they are failures at once: with at
    least N of them, the address's next EKE1 is throttled."""
    _needs_throttling(eke_target, eke_sources)
    if not eke_target.accounts:
        pytest.skip("needs an eke account")
    _, k = _pending_caps(eke_target)
    n = eke_target.limits.throttle_failures
    honest = eke_target.accounts[0]
    nat = eke_sources.fresh()
    others: list[PartialHandshake] = []
    pw = password_key_cached(honest.password, honest.user)
    logins = [_prepare(ghost_user(), bytes(32)) for _ in range(k - 1)]  # before any accept
    login, probe = _prepare(honest.user, pw), _prepare(ghost_user(), bytes(32))
    try:
        for i in range(k - 1):
            others.append(
                _hold(
                    eke_target,
                    logins[i][0].user,
                    bytes(32),
                    nat,
                    f"login {i + 1} of {k - 1} of other names from one address",
                    logins[i],
                )
            )
        mine = _hold(
            eke_target,
            honest.user,
            pw,
            nat,
            f"{honest.user!r} from an address with {k - 1} other logins pending",
            login,
        )
        try:
            prober = _start(eke_target, probe, nat)
            try:
                event = prober.receive_eke2(_timeout(eke_target))
            finally:
                prober.close()
            frame = event if isinstance(event, ReceivedFrame) else None
            # Refused by the address's pending cap or by LIM-8: either is `busy`; with Q
            # below LIM-8 it is EKE-THR-7's, with its retry_after.
            _assert_busy(
                frame,
                f"EKE1 from an address with {k} logins pending",
                retry_after=_address_cap_is_reached(eke_target),
                held_past_the_limit=k > n,
            )
        except BaseException:
            _complete_quietly(eke_target, mine)
            raise
        try:
            _finish(eke_target, mine, f"{honest.user!r} behind a busy address")
        finally:
            mine.close()
    finally:
        for hs in others:
            _end(eke_target, hs)
    if k - 1 >= n:
        frame, _ = _probe(eke_target, ghost_user(), bytes(32), nat)
        _assert_throttled(
            frame,
            f"EKE1 from an address whose {k - 1} pending handshakes (N = {n}) just ended "
            "without EKE3: each is a failure the moment it ends (EKE-THR-5)",
            broken="EKE-THR-5",
            control=lambda: _plain_failures_throttle(eke_target, eke_sources, "address"),
        )


@pytest.mark.req("EKE-THR-5", "EKE-THR-7", "EKE-THR-1")
@pytest.mark.parametrize("counter", ["user", "address"])
def test_parallel_guesses_are_capped_then_counted(
    eke_target: Target, eke_sources: SourceAddresses, counter: str
) -> None:
    """An attacker holds as many handshakes of one user name (or address) open after
    EKE2 as the cap allows: the next EKE1 is `busy` (guesses in flight are bounded, and
    nothing has failed yet); when they end unfinished each is a failure, so that after N
    the next EKE1 is throttled, as fast as sequential failed EKE3s would be."""
    _needs_throttling(eke_target, eke_sources)
    p, per_address = _pending_caps(eke_target)
    k = p if counter == "user" else per_address
    n = eke_target.limits.throttle_failures
    user, address = ghost_user(), eke_sources.fresh()

    def name() -> str:
        return user if counter == "user" else ghost_user()

    def source() -> str | None:
        return eke_sources.fresh() if counter == "user" else address

    held: list[PartialHandshake] = []
    # Computed before the first accept: held past the handshake timeout (LIM-1) they
    # would end before the probe, which would then rightly be answered EKE2.
    guesses = [_prepare(name(), bytes(32)) for _ in range(k + 1)]
    try:
        for i in range(k):
            held.append(
                _hold(
                    eke_target,
                    guesses[i][0].user,
                    bytes(32),
                    source(),
                    f"guess {i + 1} of {k} held open for one {counter}",
                    guesses[i],
                )
            )
        started = _start(eke_target, guesses[k], source())
        try:
            event = started.receive_eke2(_timeout(eke_target))
        finally:
            started.close()
        frame = event if isinstance(event, ReceivedFrame) else None
        _assert_busy(
            frame,
            f"EKE1 while {k} handshakes of one {counter} are pending",
            retry_after=counter == "user" or _address_cap_is_reached(eke_target),
            held_past_the_limit=k > n,
        )
    finally:
        for hs in held:
            _end(eke_target, hs)
    for i in range(k, n):  # sequential failures up to N when the cap is below it
        early = _fail_once(eke_target, name(), source())
        if early is not None:
            raise ConformanceFailure(f"throttled after {i} failures of {n}: {early.describe()}")
    frame, _ = _probe(eke_target, name(), bytes(32), source())
    _assert_throttled(
        frame,
        f"EKE1 after {max(k, n)} failures of one {counter}, {k} of them handshakes held open "
        "in parallel and abandoned after EKE2 (EKE-THR-5: each is a failure once it ends)",
        broken="EKE-THR-5",
        control=lambda: _plain_failures_throttle(eke_target, eke_sources, counter),
    )


# ------------------------------------------------- the per-address pending cap (EKE-THR-7)
#
# With Q below LIM-8, an address holding Q pending handshakes may still connect, and its
# next EKE1 is refused by the pending cap itself. That refusal is where three mistakes of
# an implementation that checks the user's cap and the address's one after the other
# live: the user's slot reserved before the address's cap refuses and never given back
# (each such `busy` then takes one of the name's P slots for good), the refusal at the
# address cap counted as a failure of the address (the user cap's is judged by the honest
# burst above), and that refusal sent without its retry_after.


def _refused_at_the_address(
    target: Target,
    prepared: Prepared,
    source: str | None,
    held: list[PartialHandshake],
    what: str,
    *,
    held_past_the_limit: bool,
) -> None:
    """EKE1 from an address that holds its cap of pending handshakes (`held`): `busy`
    with retry_after; then the server's close is awaited, so that the address's next
    connection does not find this one still counted (LIM-8).

    A close, or a `busy` without retry_after, may be LIM-8's refusal of the connection
    itself: the server may not yet have released the slot of the address's previous,
    just closed, connection (it releases after its close, which is all a client sees).
    Such an answer is asked again a few times (bounded); only one that lasts is judged."""
    timeout = _timeout(target)
    for attempt in range(_ADDRESS_TRIES):
        hs = _start(target, prepared, source)
        try:
            event = hs.receive_eke2(timeout)
            if hs.eke2 is not None:
                age = time.monotonic() - held[0].raw.transcript.started
                if age >= target.limits.handshake_timeout:
                    inconclusive(
                        f"{what}: the pending handshakes were held {age:.2f} s, beyond the "
                        f"target's handshake timeout ({target.limits.handshake_timeout} s): "
                        "too slow a run to tell whether the cap still held them"
                    )
                # One ended meanwhile (LIM-9 makes room by closing the oldest handshake
                # when other clients fill every slot): the cap was not full.
                ended = [
                    i + 1
                    for i, other in enumerate(held)
                    if not isinstance(other.raw.recv_frame(deadline_after(0.0)), TimedOut)
                ]
                if ended:
                    inconclusive(f"{what}: held handshake(s) #{ended} ended meanwhile")
            frame = event if isinstance(event, ReceivedFrame) else None
            refused_early = frame is None or (
                frame.error_name == "busy" and "retry_after" not in (frame.json() or {})
            )
            if hs.eke2 is None and refused_early and attempt + 1 < _ADDRESS_TRIES:
                hs.close()
                time.sleep(0.1 * (attempt + 1))  # a retry pace, not synchronisation
                continue
            _assert_busy(frame, what, held_past_the_limit=held_past_the_limit)
            deadline = deadline_after(timeout)
            for _ in range(4):  # busy is fatal (ERR-3): the close follows
                if isinstance(hs.raw.recv_frame(deadline), (Closed, TimedOut)):
                    break
            return
        finally:
            hs.close()


# How many times an EKE1 at the address's cap is sent when the answer may be LIM-8's.
_ADDRESS_TRIES = 4


def _address_caps(target: Target) -> tuple[int, int, int]:
    """(P, Q, N); SKIP where the address's pending cap cannot be reached on its own."""
    p, k = _pending_caps(target)
    if not _address_cap_is_reached(target):
        pytest.skip(
            "the declared Q is not below the declared per-address connection cap (LIM-8): "
            "the EKE1 of an address holding Q pending handshakes is refused before it is read"
        )
    return p, k, target.limits.throttle_failures


@pytest.mark.req("EKE-THR-7")
def test_busy_at_the_address_cap_takes_no_slot_of_the_name(
    eke_target: Target, eke_sources: SourceAddresses
) -> None:
    """An address holds Q pending handshakes of other names; P EKE1s of one new name G
    from it are each refused `busy` (with retry_after) by the address's cap, G itself
    having nothing in flight. A refused EKE1 is neither pending nor a failure: G from
    another address MUST then be answered EKE2. A server that takes G's slot before the
    address's cap refuses, and does not give it back, has kept P of them: `busy` for
    good (or, had it counted them, `throttled`)."""
    _needs_throttling(eke_target, eke_sources)
    p, k, n = _address_caps(eke_target)
    nat, name = eke_sources.fresh(), ghost_user()
    others = [_prepare(ghost_user(), bytes(32)) for _ in range(k)]  # before any accept
    refused = [_prepare(name, bytes(32)) for _ in range(p)]
    last = _prepare(name, bytes(32))
    held: list[PartialHandshake] = []
    try:
        for i, prepared in enumerate(others):
            held.append(
                _hold(
                    eke_target,
                    prepared[0].user,
                    bytes(32),
                    nat,
                    f"login {i + 1} of {k} of other names from one address",
                    prepared,
                )
            )
        for i, prepared in enumerate(refused):
            _refused_at_the_address(
                eke_target,
                prepared,
                nat,
                held,
                f"EKE1 {i + 1} of {p} of {name!r} from an address with {k} logins pending "
                f"(Q = {k}), the name having none",
                held_past_the_limit=k > n,
            )
    finally:
        for hs in held:
            _end(eke_target, hs)
    hs = _start(eke_target, last, eke_sources.fresh())
    try:
        event = hs.receive_eke2(_timeout(eke_target))
    finally:
        hs.close()
    if hs.eke2 is None:
        raise ConformanceFailure(
            f"Expected: EKE2 for {name!r} from another address\n"
            f"Actual:   {event.describe()}\n"
            f"EKE-THR-7: {p} EKE1s of {name!r} (P = {p}) were refused `busy` by the cap of an "
            f"address holding {k} pending handshakes (Q = {k}); the name has no handshake in "
            "flight and no failure, so its EKE1 MUST be answered EKE2. `busy` now: each "
            "refusal at the address's cap kept a pending slot of the name (reserved before "
            "the address's cap refused, never given back); `throttled`: the refusals were "
            "counted as failures.",
            violates=("EKE-THR-7",),
        )


@pytest.mark.req("EKE-THR-7", "EKE-THR-5")
def test_busy_at_the_address_cap_is_not_a_failure(
    eke_target: Target, eke_sources: SourceAddresses
) -> None:
    """An address (a NAT) holds Q pending handshakes: honest logins of the account and
    N − 1 of unknown names. N EKE1s of new names from it are each refused `busy`, with
    retry_after (EKE-THR-7); then the honest logins complete and the others end
    unfinished, each a failure of the address (EKE-THR-5): N − 1 in all. Its next EKE1
    MUST be answered EKE2 — a server that counts the refusals at the address's cap as
    failures has throttled the address by then."""
    _needs_throttling(eke_target, eke_sources)
    if not eke_target.accounts:
        pytest.skip("needs an eke account")
    p, k, n = _address_caps(eke_target)
    ghosts = min(n - 1, k - 1)
    honest_count = k - ghosts
    if honest_count > p - 1:
        pytest.skip(
            f"Q = {k} pending handshakes with at most N - 1 = {n - 1} failures need "
            f"{honest_count} honest logins of one account, and P = {p} leaves other clients "
            "of it none"
        )
    honest = eke_target.accounts[0]
    pw = password_key_cached(honest.password, honest.user)
    nat = eke_sources.fresh()
    # Everything computed before the first accept (LIM-1 counts from there).
    unknown = [_prepare(ghost_user(), bytes(32)) for _ in range(ghosts)]
    logins = [_prepare(honest.user, pw) for _ in range(honest_count)]
    refused = [_prepare(ghost_user(), bytes(32)) for _ in range(n)]
    last = _prepare(ghost_user(), bytes(32))
    others: list[PartialHandshake] = []
    mine: list[PartialHandshake] = []
    try:
        for i, prepared in enumerate(unknown):
            others.append(
                _hold(
                    eke_target,
                    prepared[0].user,
                    bytes(32),
                    nat,
                    f"login {i + 1} of {ghosts} of unknown names from one address",
                    prepared,
                )
            )
        for i, prepared in enumerate(logins):
            mine.append(
                _hold(
                    eke_target,
                    honest.user,
                    pw,
                    nat,
                    f"honest login {i + 1} of {honest_count} of {honest.user!r} from an "
                    f"address with {ghosts + i} other logins pending",
                    prepared,
                )
            )
        for i, prepared in enumerate(refused):
            _refused_at_the_address(
                eke_target,
                prepared,
                nat,
                others + mine,
                f"EKE1 {i + 1} of {n} of a new name from an address with {k} logins pending "
                f"(Q = {k})",
                held_past_the_limit=k > n,
            )
        while mine:
            hs = mine.pop(0)
            try:
                _finish(eke_target, hs, f"an honest login of {honest.user!r} behind a busy address")
            finally:
                hs.close()
    finally:
        for hs in mine:
            _complete_quietly(eke_target, hs)
        for hs in others:
            _end(eke_target, hs)
    hs = _start(eke_target, last, nat)
    try:
        event = hs.receive_eke2(_timeout(eke_target))
    finally:
        hs.close()
    if hs.eke2 is None:
        raise ConformanceFailure(
            f"Expected: EKE2 for a new name from {nat}\n"
            f"Actual:   {event.describe()}\n"
            f"EKE-THR-7: the address was told `busy` {n} times at its pending cap (Q = {k}); "
            f"its only failures are the {ghosts} handshakes left unfinished (N = {n}), and "
            "nothing of it is pending: a busy answer MUST NOT count as a failure.",
            violates=("EKE-THR-7",),
        )


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
    _sequential_login(
        lambda: EkeChannel.connect(
            eke_target.host,
            eke_target.port,
            honest.user,
            pw=password_key_cached(honest.password, honest.user),
            timeout=_timeout(eke_target),
            source=address,
        )
    ).close()
    early = _fail_once(eke_target, ghost_user(), address)
    if early is not None:
        raise ConformanceFailure(f"throttled after {n - 1} failures of {n}: {early.describe()}")
    frame, _ = _probe(eke_target, ghost_user(), bytes(32), address)
    _assert_throttled(
        frame,
        f"EKE1 from an address with {n} failures for other names, one success of "
        f"{honest.user!r} in between (EKE-THR-6: a success does not wash the address)",
        broken="EKE-THR-6",
        control=lambda: _plain_failures_throttle(eke_target, eke_sources, "address"),
    )


# ---------------------------------------------------------------- hard cap (EKE-THR-11)


@pytest.mark.req("EKE-THR-11", "ERR-7")
def test_hard_lock_outlasts_the_backoff(eke_target: Target, eke_sources: SourceAddresses) -> None:
    """L consecutive failures of one name (N−1 one by one, the rest pending in parallel
    and abandoned): the name stays throttled after its backoff has run out. Each refusal
    of the locked name carries `retry_after`, an integer (ERR-7): a lock "for ever" is
    no reason to leave it out or to send something that is no integer."""
    _needs_throttling(eke_target, eke_sources)
    user = _hard_lock_a_ghost(eke_target, eke_sources, strict=True)
    limits = eke_target.limits
    n, lock_after = limits.throttle_failures, limits.lock_after
    assert lock_after is not None  # the helper SKIPs otherwise
    frame, _ = _probe(eke_target, user, bytes(32), eke_sources.fresh())
    if frame is None or (frame.error_name not in ("throttled", "busy") and frame.type != b"EKE2"):
        # Neither EKE2 (not counted: other cases' to judge) nor a refusal: the EKE1 of a
        # locked name MUST be refused with EROR throttled; a bare close (e.g. a lock
        # "for ever" whose retry_after cannot be computed) or another EROR is not that.
        raise ConformanceFailure(
            f"Expected: EROR throttled with retry_after: {user!r} had {lock_after} "
            "consecutive failures (the declared lock_after), a locked name's EKE1 is "
            "refused with EROR throttled (EKE-THR-11)\n"
            f"Actual:   {frame.describe() if frame is not None else 'closed, or nothing'}",
            violates=("EKE-THR-11",),
        )
    if frame.error_name != "throttled":
        inconclusive(
            f"cannot judge the hard cap: after {n - 1} failed EKE3s and "
            f"{lock_after - (n - 1)} handshakes abandoned after EKE2, {user!r} is not even "
            f"throttled ({frame.describe() if frame is not None else 'no frame'}): EKE-THR-1 "
            "or EKE-THR-5 is broken, which other cases judge"
        )
    first = _assert_throttled(frame, f"EKE1 after {lock_after} consecutive failures")
    # Wait out everything the backoff law could ask for (EKE-THR-6), polling-free: the
    # lock is the server's clock.
    # Bounded by the declared cap (at most 5 s here), whatever retry_after announced.
    wait = max(min(first, math.ceil(limits.throttle_cap)), _lock_seconds(eke_target, lock_after))
    wait_s = wait + 0.5
    time.sleep(wait_s)
    frame, _ = _probe(eke_target, user, bytes(32), eke_sources.fresh())
    if frame is None or frame.error_name != "throttled":
        raise ConformanceFailure(
            f"Expected: EROR throttled: {user!r} had {lock_after} consecutive failures (the "
            f"declared lock_after), so it stays locked until an administrator unlocks it\n"
            f"Actual:   {frame.describe() if frame is not None else 'no frame'}, "
            f"{wait_s:.1f} s later (the backoff had run out)"
        )
    _assert_throttled(frame, f"EKE1 of the locked name {user!r}, {wait_s:.1f} s after the first")


# ---------------------------------------------------------------- restarts (EKE-THR-8)


@pytest.mark.req("EKE-THR-8")
def test_failure_counts_survive_a_restart(eke_target: Target, eke_sources: SourceAddresses) -> None:
    """N failures of one name, restart: either the lock still holds, or one more failure
    locks the name again at once (N + 1 failures, not 1)."""
    _needs_throttling(eke_target, eke_sources)
    if not eke_target.restart_cmd:
        pytest.skip(
            "the target declares no restart command ([eke] restart_cmd): a restart of "
            "the server cannot be asked for"
        )
    n = eke_target.limits.throttle_failures
    if n < 2:
        pytest.skip("with N = 1 a reset count locks after one failure too")
    user = ghost_user()
    for i in range(n):
        early = _fail_once(eke_target, user, eke_sources.fresh())
        if early is not None:
            raise ConformanceFailure(f"throttled after {i} failures of {n}: {early.describe()}")
    # Until it serves, not only accepts: a listener kept across the restart accepts at
    # once while the new image may still be starting (a JVM takes seconds).
    from conformance.test_eke_restart import restart_until_serving  # it imports this module

    restart_until_serving(eke_target, eke_sources)
    if _abandon_after_eke2(eke_target, user, eke_sources.fresh()) is not None:
        return  # still locked after the restart: the count survived
    frame, _ = _probe(eke_target, user, bytes(32), eke_sources.fresh())
    _assert_throttled(
        frame,
        f"EKE1 of {user!r}: {n} failures before a restart and one after it (EKE-THR-8: "
        "the restart must not reset the count)",
        broken="EKE-THR-8",
    )


# ---------------------------------------------------------------- every ending is a failure
#
# [EKE-THR-5] A guess is spent when EKE2 goes out (the client can check it on C2 alone),
# and a pending handshake ended ANY way but a valid EKE3 counts as a failure. The reference
# client itself ends a wrong guess with EROR auth_failed (EKE-HS-4), so a server that
# forgives the client's own EROR ("it gave up, it did not guess") gives an attacker
# unlimited guesses; so would one that forgives a malformed EKE3 or a frame out of place.


def _guess_ended_after_eke2(
    target: Target, user: str, source: str | None, ending: str
) -> ReceivedFrame | None:
    """EKE1, EKE2 read, then the handshake ends `ending`'s way, the client's side kept open
    until the server closes; returns an EROR throttled if that came instead of EKE2."""
    timeout = _timeout(target)
    hs = start_handshake(target, user, bytes(32), source=source, timeout=timeout)
    try:
        event = hs.receive_eke2(timeout)
        if isinstance(event, ReceivedFrame) and event.error_name == "throttled":
            return event
        if hs.eke2 is None:
            raise _no_eke2(event, f"a handshake to end ({ending})")
        if ending == "eror-auth_failed":
            hs.raw.send_frame("EROR", {"code": 4, "name": "auth_failed", "message": "no"})
        elif ending == "eror-internal":
            hs.raw.send_frame("EROR", {"code": 11, "name": "internal", "message": "no"})
        elif ending == "malformed-eke3":
            hs.raw.send_frame("EKE3", {"c": "zz" * 80})
        else:  # a frame out of place
            hs.raw.send_frame("RQFL", {"name": "hello.txt"})
        deadline = deadline_after(timeout)
        for _ in range(4):  # maybe an EROR, then the close
            if isinstance(hs.raw.recv_frame(deadline), (Closed, TimedOut)):
                break
        return None
    finally:
        hs.close()


@pytest.mark.req("EKE-THR-5", "EKE-THR-1")
@pytest.mark.parametrize(
    ("ending", "counter"),
    [
        ("eror-auth_failed", "user"),
        ("eror-auth_failed", "address"),
        ("eror-internal", "user"),
        ("malformed-eke3", "user"),
        ("unexpected-frame", "address"),
    ],
)
def test_guesses_ended_any_way_after_eke2_are_counted(
    eke_target: Target, eke_sources: SourceAddresses, ending: str, counter: str
) -> None:
    """N handshakes of one user name (or one address) ended after EKE2 by the client's
    EROR, a malformed EKE3 or a frame out of place: each was a spent guess, so the next
    EKE1 of that name (address) is throttled exactly as after N failed EKE3s."""
    _needs_throttling(eke_target, eke_sources)
    n = eke_target.limits.throttle_failures
    user, address = ghost_user(), eke_sources.fresh()
    for i in range(n):
        early = _guess_ended_after_eke2(
            eke_target,
            user if counter == "user" else ghost_user(),
            eke_sources.fresh() if counter == "user" else address,
            ending,
        )
        if early is not None:
            raise ConformanceFailure(
                f"throttled after {i} handshakes ended ({ending}), the declared limit is {n}: "
                f"{early.describe()}"
            )
    probe_user = user if counter == "user" else ghost_user()
    probe_source = eke_sources.fresh() if counter == "user" else address
    frame, _ = _probe(eke_target, probe_user, bytes(32), probe_source)
    _assert_throttled(
        frame,
        f"EKE1 after {n} handshakes of one {counter} ended right after EKE2 ({ending}): a "
        "guess is spent when EKE2 is sent and every ending but a valid EKE3 is a failure",
        broken="EKE-THR-5",
        control=lambda: _plain_failures_throttle(eke_target, eke_sources, counter),
    )


# ---------------------------------------------------------------- names are counted as sent
#
# [EKE-THR-2] with [EKE-PW-4]: a user name that differs from an account's in any byte is
# another user, for the throttle too. A throttle that keys its table on a folded name
# (case, Unicode compatibility form, trimmed) lets an attacker lock an honest user out by
# guessing against `ALICE` from addresses of its own.


def _name_variant(user: str, variant: str) -> str | None:
    """A look-alike of `user` that a folding throttle would count as `user`. Drawn at random
    among its kind (which letters change case, how many spaces, which letter is fullwidth):
    the look-alikes' own failures, and the locks they earn, spread over many names."""
    letters = [i for i, ch in enumerate(user) if ch.isascii() and ch.isalpha()]
    if variant == "swapcase":
        if not letters:
            return None
        flip = {i for i in letters if secrets.randbits(1)} or {secrets.choice(letters)}
        other = "".join(ch.swapcase() if i in flip else ch for i, ch in enumerate(user))
    elif variant == "trailing-space":
        other = user + " " * (1 + secrets.randbelow(3))
    else:  # fullwidth: an ASCII letter in its NFKC-equivalent fullwidth form
        if not letters:
            return None
        index = secrets.choice(letters)
        other = user[:index] + chr(ord(user[index]) + 0xFEE0) + user[index + 1 :]
    if other == user or len(other.encode("utf-8")) > 64:
        return None
    return other


def _look_alike_leaves_the_user_alone(
    target: Target, sources: SourceAddresses, victim: Victim, other: str, what: str
) -> None:
    """N failures of the user name `other` (a look-alike of the victim's: `what` says how),
    each from a fresh address; then the victim's honest login, from yet another address,
    MUST complete (EKE-THR-2): a throttle that counts the two names as one FAILs."""
    n = target.limits.throttle_failures
    for _ in range(n):
        try:
            if _fail_once(target, other, sources.fresh()) is not None:
                break  # the look-alike itself is throttled: as it should be
        except ConformanceFailure as exc:
            if exc.violates:
                raise
            # Its handshake did not run (another requirement's FAIL, judged elsewhere).
            inconclusive(f"a failed handshake of {other!r} could not be made: {exc}")
    try:
        _sequential_login(lambda: victim.login(sources.fresh()))
    except ConformanceFailure as exc:
        if exc.violates:
            raise
        raise ConformanceFailure(
            f"EKE-THR-2: after {n} failed handshakes of {other!r} ({what}), each from a "
            f"fresh address, the honest login of {victim.user!r} from another address did "
            f"not complete: the throttle counts the two names as one\n{exc}",
            violates=("EKE-THR-2",),
        ) from None


@pytest.mark.req("EKE-THR-2")
@pytest.mark.parametrize("variant", ["swapcase", "trailing-space", "fullwidth"])
def test_failures_of_a_look_alike_name_do_not_throttle_the_user(
    eke_target: Target, eke_victim: Victim, eke_sources: SourceAddresses, variant: str
) -> None:
    """N failures of a name that differs from the victim's in some bytes (case, a trailing
    space, a fullwidth letter), each from a fresh address: then the victim's honest login,
    from yet another address, completes (not `throttled`)."""
    _needs_throttling(eke_target, eke_sources)
    other = _name_variant(eke_victim.user, variant)
    if other is None:
        pytest.skip(f"the account name {eke_victim.user!r} has no {variant} variant")
    _look_alike_leaves_the_user_alone(
        eke_target,
        eke_sources,
        eke_victim,
        other,
        f"another user name: it differs from {eke_victim.user!r} in its bytes",
    )


# ---------------------------------------------------------------- a burst: one step, not two
#
# [EKE-THR-7] with [EKE-THR-5] "whatever the interleaving": the cap check and the taking
# of a pending slot are one step. A server that checks the cap at EKE1 but counts the
# handshake as pending only once its EKE2 is computed (after the exponentiations, or on
# another thread) lets a burst of EKE1s that arrive together all pass the check.


def _burst(
    target: Target, sources: SourceAddresses, counter: str, count: int, timeout: float
) -> tuple[int, str]:
    """`count` connections of one new user name (or from one new address), then their
    EKE1s completed together; returns how many were answered EKE2, and every answer."""
    user, address = ghost_user(), sources.fresh()
    names = [user if counter == "user" else ghost_user() for _ in range(count)]
    conns: list[PartialHandshake] = []
    raws: list[RawConnection] = []
    try:
        for name in names:
            raw = connect_raw(
                target.host,
                target.port,
                timeout=timeout,
                name=f"eke burst {name}",
                source=sources.fresh() if counter == "user" else address,
            )
            raws.append(raw)
            # The header first (an EKE1's length depends on the name only): the target's
            # connection threads or tasks are then waiting in the middle of a frame.
            with contextlib.suppress(OSError):  # refused at connect (LIM-8): judged below
                raw.send_raw(frame_bytes("EKE1", control({"user": name, "a": "0" * 768}))[:8])
        for raw, name in zip(raws, names, strict=True):
            client, message = _prepare(name, bytes(32))
            conns.append(PartialHandshake(raw, client, message))
        wire = [frame_bytes("EKE1", control(hs.eke1))[8:] for hs in conns]
        # Each payload but its last byte, then the last bytes back to back.
        for part in (slice(None, -1), slice(-1, None)):
            for hs, data in zip(conns, wire, strict=True):
                with contextlib.suppress(OSError):
                    hs.raw.send_raw(data[part])
        events = [hs.receive_eke2(timeout) for hs in conns]
    finally:
        for hs in conns:
            if hs.eke2 is not None:
                _end(target, hs)
        for raw in raws:
            raw.close()
    shown = ", ".join(
        e.describe(40) if isinstance(e, ReceivedFrame) else e.describe() for e in events
    )
    return sum(1 for hs in conns if hs.eke2 is not None), shown


@pytest.mark.req("EKE-THR-7", "EKE-THR-5")
@pytest.mark.parametrize("counter", ["user", "address"])
def test_a_burst_of_eke1_is_capped_whatever_the_interleaving(
    eke_target: Target, eke_sources: SourceAddresses, counter: str
) -> None:
    """K + 2 connections of one user name (one address) opened first, then their EKE1s
    completed back to back: at most K of them may be answered EKE2 (K the declared pending
    cap); the rest `busy` (or, from one address, refused at connect, LIM-8)."""
    _needs_throttling(eke_target, eke_sources)
    p, per_address = _pending_caps(eke_target)
    k = p if counter == "user" else per_address
    timeout = _timeout(eke_target)
    granted, answers = 0, ""
    # Three bursts, each of a fresh name (address): a race shows in some bursts only.
    for _ in range(3):
        granted, answers = _burst(eke_target, eke_sources, counter, k + 2, timeout)
        if granted > k:
            break
    if granted > k:
        raise ConformanceFailure(
            f"Expected: at most {k} EKE2 for {k + 2} EKE1s of one {counter} sent at once "
            f"(the declared pending cap)\n"
            f"Actual:   {granted} EKE2: {answers}\n"
            "EKE-THR-7: whatever the interleaving at most the cap of guesses is in flight: "
            "the cap check and the taking of the pending slot must be one step",
            violates=("EKE-THR-7",),
        )


# ---------------------------------------------------------------- a lock does not reach back


@pytest.mark.req("EKE-HS-6", "EKE-THR-5")
def test_a_pending_login_completes_after_its_user_is_locked(
    eke_target: Target, eke_victim: Victim, eke_sources: SourceAddresses
) -> None:
    """An honest handshake of the account gets its EKE2 (pending); meanwhile N failures of
    the same name lock it; then the honest EKE3 comes. The lock answers further EKE1s
    (EKE-THR-1), it does not reach back: an EKE3 that verifies is a success (EKE-THR-5:
    "forgiven only when its EKE3 verifies") and MUST be answered EKE4 (EKE-HS-6). A server
    that checks the throttle again at EKE3 turns the owner's login, begun before an
    attacker's burst, into a failure of its own."""
    _needs_throttling(eke_target, eke_sources)
    limits = eke_target.limits
    n, limit = limits.throttle_failures, limits.handshake_timeout
    p, _ = _pending_caps(eke_target)
    if p < 2:
        pytest.skip("needs a pending cap of at least 2 (the honest handshake and one failure)")
    budget = 0.7 * limit
    honest = _start(eke_target, _prepare(eke_victim.user, eke_victim.pw), eke_sources.fresh())
    started = time.monotonic()
    try:
        event = honest.receive_eke2(_timeout(eke_target))
        if honest.eke2 is None:
            raise _no_eke2(event, "the honest handshake of the victim account")
        eke3 = honest.client.on_eke2(honest.eke2)
        for i in range(n):
            early = _fail_once(eke_target, eke_victim.user, eke_sources.fresh())
            if early is not None:
                inconclusive(f"throttled after {i} failures of {n}: {early.describe()}")
        held = time.monotonic() - started
        if held > budget:
            inconclusive(
                f"the {n} failures took {held:.2f} s, more than 70% of the handshake timeout "
                f"of {limit:g} s: the honest handshake could not be held open long enough"
            )
        honest.send_eke3(eke3)
        outcome = expect_on(honest.raw, [ExpectFrame("EKE4")], _timeout(eke_target))
        if not outcome.ok:
            raise ConformanceFailure.evidence(
                f"EKE-HS-6: the honest EKE3 of {eke_victim.user!r}, sent {held:.2f} s after "
                f"its EKE2 (handshake timeout {limit:g} s), once {n} other failures of the "
                "name had locked it",
                "EKE4: a C3 that verifies completes the handshake; the lock answers further "
                "EKE1s only",
                outcome.describe(),
            )
    finally:
        honest.close()


# --------------------------------------------------------------------------------------
# The hard cap's refusal (SPEC §5.6 EKE-THR-11), continued.
#
# EKE-THR-11: a user name locked by L consecutive failures is refused "with `EROR
# throttled` (`retry_after` the backoff cap)". The cases above show that the lock
# outlasts the backoff and that `retry_after` is an integer; here its value is judged once
# the backoff has run out, when only the hard lock refuses the name: a client told "retry
# after 1 s" of a lock that never ends retries for ever. Probes come from fresh source
# addresses, so that no address count adds a lock of its own.
# --------------------------------------------------------------------------------------


def _hard_lock_a_ghost(target: Target, sources: SourceAddresses, *, strict: bool) -> str:
    """A new user name hard-locked at once (EKE-THR-11): N - 1 plain failures, then the
    last L - (N - 1) as pending handshakes abandoned (how those count, EKE-THR-5/-7, is
    other cases' to judge; here they only decide whether L failures could be made).
    SKIPs where the target declares no reachable hard cap or a backoff cap too long to wait
    out; a name throttled before its N - 1 failures FAILs with `strict`, else is
    INCONCLUSIVE. Returns the name; whether it is refused is the caller's to judge."""
    limits = target.limits
    if limits.lock_after is None:
        pytest.skip("the target declares no hard cap (limits.lock_after, EKE-THR-11)")
    p, _ = _pending_caps(target)
    n, lock_after = limits.throttle_failures, limits.lock_after
    if lock_after - (n - 1) > p:
        pytest.skip(f"lock_after {lock_after} is not reachable without waiting out locks")
    if limits.throttle_cap > 5:
        pytest.skip(f"waiting out a {limits.throttle_cap:g} s backoff cap is too long here")
    user = ghost_user()
    for i in range(n - 1):
        early = _fail_once(target, user, sources.fresh())
        if early is not None:
            message = f"throttled after {i} failures of {n}: {early.describe()}"
            if strict:
                raise ConformanceFailure(message)
            inconclusive(message)
    held: list[PartialHandshake] = []
    try:
        for i in range(lock_after - (n - 1)):
            what = f"guess {n + i} of {lock_after}"
            held.append(_hold(target, user, bytes(32), sources.fresh(), what))
    except ConformanceFailure as exc:
        inconclusive(f"cannot judge the hard cap: {lock_after} failures could not be made\n{exc}")
    finally:
        for hs in held:
            _end(target, hs)
    return user


@pytest.mark.req("EKE-THR-11")
def test_hard_locked_name_is_told_the_backoff_cap(
    eke_target: Target, eke_sources: SourceAddresses
) -> None:
    _needs_throttling(eke_target, eke_sources)
    user = _hard_lock_a_ghost(eke_target, eke_sources, strict=False)
    limits = eke_target.limits
    lock_after = limits.lock_after
    assert lock_after is not None  # the helper SKIPs otherwise
    frame, _ = _probe(eke_target, user, bytes(32), eke_sources.fresh())
    if frame is None or frame.error_name != "throttled":
        inconclusive(
            f"{user!r} is not throttled after {lock_after} failures "
            f"({frame.describe() if frame is not None else 'no frame'}): other cases judge"
        )
    first = _assert_throttled(frame, f"EKE1 after {lock_after} consecutive failures")
    # Bounded by the declared cap (at most 5 s here): a server that announces a lock of
    # hours is judged on the next probe, not waited for.
    wait = max(min(first, math.ceil(limits.throttle_cap)), _lock_seconds(eke_target, lock_after))
    wait_s = wait + 0.5
    time.sleep(wait_s)  # the backoff runs out on the server's clock; only the lock is left
    frame, _ = _probe(eke_target, user, bytes(32), eke_sources.fresh())
    if frame is None or frame.error_name != "throttled":
        inconclusive(
            f"{user!r} not throttled once its backoff ran out "
            f"({frame.describe() if frame is not None else 'no frame'}): "
            "test_hard_lock_outlasts_the_backoff judges the lock itself"
        )
    assert frame is not None
    retry = _assert_throttled(frame, f"EKE1 of the locked name {user!r}, {wait_s:.1f} s later")
    cap = limits.throttle_cap
    allowed = {max(1, math.floor(cap)), max(1, math.ceil(cap))}
    if retry not in allowed:
        raise ConformanceFailure.evidence(
            f"EKE-THR-11: {user!r} had {lock_after} consecutive failures (the declared "
            f"lock_after) and its backoff has run out ({wait_s:.1f} s after the first "
            "refusal): only the hard lock refuses it now",
            f"EROR throttled with retry_after the backoff cap ({cap:g} s)",
            f"retry_after {retry} ({frame.describe()})",
        )


# --------------------------------------------------------------------------------------
# sft-eke/1 backoff law beyond its first doubling (SPEC EKE-THR-6).
#
# test_backoff_grows_after_the_lock checks the lock after failure N (base) and after failure N+1
# (twice base). A backoff that grows linearly — `base · (n − N + 1)` — gives the same two
# values, and parts only at failure N+2 (three times base against four). This case follows
# one client address (its failures made under fresh unknown user names, so that no user
# name is counted more than once and the hard cap of EKE-THR-11, which addresses never
# get, stays out of the way) through failures N, N+1, N+2 and, while the cap allows and
# the waits stay short, N+3: after each, `retry_after` must be the time left of
# `min(cap, base · 2^(n − N))` seconds, rounded up.
# --------------------------------------------------------------------------------------

# The waits this case may spend on locks before the last one it measures: beyond this
# the target's declared backoff is too long for the default run (SKIP, with the reason).
_BACKOFF_WAIT_BUDGET = 12.0


def _fail_handshake(target: Target, user: str, source: str | None) -> ReceivedFrame | None:
    """One failed handshake; the EROR that refused its EKE1 instead, if one came."""
    return fail_handshake(target, user, source, timeout=_timeout(target))


def _probe_ghost(target: Target, source: str | None) -> ReceivedFrame | None:
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
        if sum(_lock_seconds(eke_target, n + k) for k in range(3)) <= _BACKOFF_WAIT_BUDGET:
            last = 3
    waits = sum(_lock_seconds(eke_target, n + k) for k in range(last))
    if waits > _BACKOFF_WAIT_BUDGET:
        pytest.skip(f"the locks before failure {n + last} total {waits} s: too long here")
    address = eke_sources.fresh()
    history: list[str] = []
    failure_started = time.monotonic()
    for i in range(n):
        failure_started = time.monotonic()
        early = _fail_handshake(eke_target, ghost_user(), address)
        if early is not None:
            raise ConformanceFailure(
                f"EKE1 refused after {i} failures of one address, the declared limit is "
                f"{n}: {early.describe()}",
                violates=("EKE-THR-1",),
            )
    for k in range(last + 1):
        failures = n + k
        lock = _lock_seconds(eke_target, failures)
        frame = _probe_ghost(eke_target, address)
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
            if _fail_handshake(eke_target, ghost_user(), address) is None:
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
        refused = _fail_handshake(target, ghost_user(), address)
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
            refused = _fail_handshake(eke_target, ghost_user(), address)
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
        frame = _probe_ghost(eke_target, address)
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


# --------------------------------------------------------------------------------------
# The hard cap counts CONSECUTIVE failures: a success resets it (docs/SPEC.md
# EKE-THR-11, "a success resets the count").
#
# Beside the hard-cap case (`test_hard_lock_outlasts_the_backoff`), which makes L
# consecutive failures and judges the lock. This one makes more than L failures of one
# name in all, in short rounds each ended
# by an honest login: never L in a row, so the name MUST NOT be hard-locked. A server that
# resets the backoff count at a success but not the hard cap's (two counters, one
# forgotten) locks an honest user out for good after L failures spread over weeks.
#
# Each round stays below N−1 failures (so no backoff lock either) and is made from fresh
# addresses (so no address is throttled). A server may count a failure only just after it
# closed that connection, after the next (honest) login began: at most one failure per
# round can then outlive a reset, far below L.
# --------------------------------------------------------------------------------------

_MAX_FAILURES = 12


@pytest.mark.req("EKE-THR-11")
def test_a_success_resets_the_hard_cap_count(
    eke_target: Target, eke_victim: Victim, eke_sources: SourceAddresses
) -> None:
    """Rounds of failures of the victim's name, each ended by its honest login, until
    more than L failures were made in all: every EKE1 is answered, none throttled."""
    if not eke_target.has("throttling"):
        unsupported("the target does not declare the 'throttling' feature")
    if not eke_sources.loopback:
        pytest.skip("needs a loopback target to vary the client address")
    limits = eke_target.limits
    n, lock_after = limits.throttle_failures, limits.lock_after
    if lock_after is None:
        pytest.skip("the target declares no hard cap (limits.lock_after, EKE-THR-11)")
    per_round = max(1, n - 2)
    if per_round + 1 >= lock_after:
        pytest.skip(f"lock_after {lock_after} is too close to N = {n} to tell a reset")
    if lock_after + 1 > _MAX_FAILURES:
        pytest.skip(f"lock_after {lock_after}: too many failures for the default run")
    made = 0
    while made <= lock_after:
        for _ in range(per_round):
            refused = _fail_handshake(eke_target, eke_victim.user, eke_sources.fresh())
            if refused is not None:
                raise ConformanceFailure.evidence(
                    f"EKE-THR-11: EKE1 of {eke_victim.user!r} after {made} failures in all, "
                    f"in rounds of {per_round} each ended by a successful login (N = {n}, "
                    f"L = {lock_after})",
                    "EKE2: never more than one failure in a row, so neither the backoff "
                    "nor the hard cap applies (a success resets the count)",
                    refused.describe(),
                )
            made += 1
        try:
            eke_victim.login(eke_sources.fresh())
        except ConformanceFailure as exc:
            raise ConformanceFailure(
                f"EKE-THR-11: the honest login of {eke_victim.user!r} after {made} failures "
                f"in all, in rounds of {per_round} each ended by a successful login (N = {n}, "
                f"L = {lock_after}), failed: a success resets the hard cap's count\n{exc}",
                violates=("EKE-THR-11",),
            ) from None


# --------------------------------------------------------------------------------------
# The backoff's cap (docs/SPEC.md EKE-THR-6): `min(cap, base * 2^(n - N))`.
#
# Beside `test_backoff_grows_after_the_lock`, which judges the first lock and its doubling
# (failures N and N+1). This case follows the
# law until the doubling passes the cap, and judges the lock there: a server that never
# holds the lock to the cap (the `min` forgotten) announces, and enforces, a lock longer
# than the cap. It counts the failures of one address (fresh user names each time): a user
# name would meet the hard cap of EKE-THR-11 first. Against the embedded reference (N = 3,
# base 1 s, cap 4 s) the locks waited out are 1 + 2 + 4 s; a target whose locks up to the
# cap add up to more than `_MAX_WAIT` seconds is SKIPped.
# --------------------------------------------------------------------------------------

_CAP_MAX_WAIT = 12.0


def _fail_fresh_name(target: Target, source: str) -> ReceivedFrame | None:
    """One failed handshake of a fresh user name from `source`; returns the EROR
    throttled instead when the address is locked."""
    refused = fail_handshake(target, ghost_user(), source, timeout=_timeout(target))
    if refused is not None and refused.error_name != "throttled":
        raise ConformanceFailure(f"no EKE2 for a handshake to be failed: {refused.describe()}")
    return refused


def _retry_after_of(frame: ReceivedFrame) -> int:
    retry = (frame.json() or {}).get("retry_after")
    if type(retry) is not int or retry < 0:
        raise ConformanceFailure(
            f"ERR-7: retry_after is {retry!r}, not an integer", violates=("ERR-7",)
        )
    return retry


def _uncapped_lock(target: Target, failures: int) -> float:
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
    while _uncapped_lock(eke_target, beyond) <= cap:
        beyond += 1
    waits = [max(1, math.ceil(_uncapped_lock(eke_target, k))) for k in range(n, beyond)]
    if sum(waits) > _CAP_MAX_WAIT:
        pytest.skip(f"the locks before the cap add up to {sum(waits)} s (> {_CAP_MAX_WAIT:g} s)")
    address = eke_sources.fresh()
    assert address is not None  # loopback, checked above
    done = 0
    deadline = time.monotonic() + 2 * sum(waits) + 4 + beyond * _timeout(eke_target)
    while done < beyond:
        throttled = _fail_fresh_name(eke_target, address)
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
        time.sleep(min(0.25, max(0.05, _retry_after_of(throttled) / 4)))
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
    retry = _retry_after_of(event)
    if retry > math.ceil(cap):
        raise ConformanceFailure.evidence(
            f"EKE-THR-6: EKE1 from {address} right after its failure {beyond} (N = {n}, base "
            f"{limits.throttle_base:g} s, cap {cap:g} s)",
            f"EROR throttled with retry_after <= {math.ceil(cap)}: the lock is min(cap, "
            f"base * 2^{beyond - n}) = {cap:g} s",
            f"retry_after {retry}: the lock is not held to the cap",
        )


@pytest.mark.req("EKE-HS-3", "EKE-THR-1")
def test_known_and_unknown_names_are_throttled_alike(
    eke_target: Target, eke_victim: Victim, eke_sources: SourceAddresses
) -> None:
    """The victim account and an unknown name fail in turn, each failure from a fresh
    address, N times each: up to its N-th failure each EKE1 of either name MUST be answered
    EKE2 (EKE-THR-1: throttled only after N failures). A server that throttles the two
    differently — an unknown name after fewer failures ("surely an attack"), or only
    names it knows — tells from outside which user names exist (EKE-HS-3: its messages
    MUST NOT depend on whether U exists). Only the attempts before the threshold are
    compared: a failure a server counts a moment late can make a throttle come later,
    never earlier."""
    _needs_throttling(eke_target, eke_sources)
    n = eke_target.limits.throttle_failures
    if n > 20:
        pytest.skip(f"throttle_failures = {n}: too many failures for one case")
    ghost = ghost_user()
    names = {"known": eke_victim.user, "unknown": ghost}
    for attempt in range(1, n + 1):
        answers = {
            kind: _fail_once(eke_target, user, eke_sources.fresh()) for kind, user in names.items()
        }
        refused = {kind: frame for kind, frame in answers.items() if frame is not None}
        if not refused:
            continue
        shown = "; ".join(
            f"{kind} {names[kind]!r}: {refused[kind].describe() if kind in refused else 'EKE2'}"
            for kind in names
        )
        both = len(refused) == len(names)
        raise ConformanceFailure(
            f"Expected: EKE2 for both names at attempt {attempt} (after {attempt - 1} "
            f"failures each, N = {n}), each from a fresh address\n"
            f"Actual:   {shown}\n"
            + (
                "Both names were throttled before N failures (EKE-THR-1)."
                if both
                else "One name was refused where the other got EKE2: the answer depends on "
                "whether the user exists (EKE-HS-3)."
            ),
            violates=("EKE-THR-1",) if both else ("EKE-HS-3",),
        )


@pytest.mark.req("EKE-THR-6", "ERR-7")
def test_retry_after_is_the_time_left(eke_target: Target, eke_sources: SourceAddresses) -> None:
    """One address is failed until its lock is at least 4 s (failures N, N+1, … waiting
    out each lock), then probed twice during that lock: right after the failure, and once
    all but 1.5 s of it has passed. `retry_after` MUST be the time LEFT, rounded up
    (EKE-THR-6): the second answer may exceed ceil(lock − time since the failure ended) by
    at most 1 s (a server's coarse clock), never be the whole lock again. A server that
    reports the lock's full length (or the backoff step) sends its clients away for the
    whole lock every time they ask — an honest client obeying it (EKE-THR-7 tells clients
    to wait retry_after) waits up to twice as long as the lock."""
    if not eke_target.has("throttling"):
        unsupported("the target does not declare the 'throttling' feature")
    if not eke_sources.loopback:
        pytest.skip("needs a loopback target to vary the client address")
    n = eke_target.limits.throttle_failures
    steps = next((k for k in range(8) if _lock_seconds(eke_target, n + k) >= 4), None)
    if steps is None:
        pytest.skip("no lock of 4 s or more within N+7 failures (the cap is below 4 s)")
    lock = _lock_seconds(eke_target, n + steps)
    waits = sum(_lock_seconds(eke_target, n + k) for k in range(steps))
    if waits + lock > _BACKOFF_WAIT_BUDGET + 4:
        pytest.skip(f"reaching a {lock} s lock takes {waits + lock} s: too long here")
    address = eke_sources.fresh()
    history: list[str] = []
    for i in range(n):
        early = _fail_handshake(eke_target, ghost_user(), address)
        if early is not None:
            raise ConformanceFailure(
                f"EKE1 refused after {i} failures of one address, the declared limit is "
                f"{n}: {early.describe()}",
                violates=("EKE-THR-1",),
            )
    for k in range(steps):
        _wait_out(eke_target, address, _lock_seconds(eke_target, n + k), history)
    failure_ended = time.monotonic()  # the server counted failure N+steps before this
    answers: list[str] = []
    retries: list[int] = []
    for since_wanted in (0.0, lock - 1.5):
        pause = failure_ended + since_wanted - time.monotonic()
        if pause > 0:
            time.sleep(pause)  # the lock runs on the server's clock: let it run
        since = time.monotonic() - failure_ended
        frame = _probe_ghost(eke_target, address)
        if frame is None or frame.error_name != "throttled":
            inconclusive(
                f"the probe {since:.2f} s into a {lock} s lock was not throttled: "
                f"{frame.describe() if frame is not None else 'no frame'}"
            )
        assert frame is not None
        retry = (frame.json() or {}).get("retry_after")
        if type(retry) is not int:
            raise ConformanceFailure(
                f"ERR-7: retry_after is {retry!r}, not an integer", violates=("ERR-7",)
            )
        answers.append(f"retry_after {retry} s at {since:.2f} s after the failure")
        retries.append(retry)
    second_since = lock - 1.5
    bound = math.ceil(lock - second_since) + 1
    if retries[1] > bound:
        raise ConformanceFailure(
            f"Expected: retry_after at most {bound} s when {second_since:.2f} s or more of a "
            f"{lock} s lock (failure {n + steps} of one address) have passed — the time "
            "left, rounded up, with 1 s for a coarse clock\n"
            f"Actual:   {'; '.join(answers)}\n"
            "EKE-THR-6: retry_after is the time left of the lock, rounded up, not its length.",
            violates=("EKE-THR-6",),
        )


@pytest.mark.req("EKE-THR-2")
@pytest.mark.parametrize("form", ["NFD", "NFC"])
def test_failures_of_another_normalisation_do_not_throttle_the_user(
    eke_target: Target, eke_sources: SourceAddresses, form: Literal["NFD", "NFC"]
) -> None:
    """An account whose name has non-ASCII letters (e.g. `zoë`), and the same name in
    another Unicode normalisation form (`zoe` + U+0308 for NFD): other bytes, so another
    user name (EKE-PW-4). N failures of that look-alike, each from a fresh address; then
    the account's honest login, from yet another address, MUST complete (EKE-THR-2). A
    throttle that keys its tables on a normalised name (NFC "to be safe", a database
    collation) counts them as one, and lets anyone lock a non-ASCII user out with a name
    that is not theirs."""
    _needs_throttling(eke_target, eke_sources)
    pairs = [
        (account, unicodedata.normalize(form, account.user))
        for account in eke_target.accounts
        if unicodedata.normalize(form, account.user) != account.user
    ]
    pairs = [(a, other) for a, other in pairs if len(other.encode("utf-8")) <= 64]
    if not pairs:
        pytest.skip(f"no account name changes under {form} (needs a non-ASCII name)")
    account, other = pairs[0]
    victim = Victim(eke_target, account, _timeout(eke_target))
    try:
        _look_alike_leaves_the_user_alone(
            eke_target,
            eke_sources,
            victim,
            other,
            f"{form} of {account.user!r}: {other.encode().hex()} vs "
            f"{account.user.encode().hex()}, another user name",
        )
    finally:
        victim.reset(eke_sources)  # a server that did count them: free the account again


# ---------------------------------------------------------------- every kind of name
#
# [EKE-THR-1]: failures are counted per user name "whether or not the user exists", and
# the count is a fact about the name's bytes. A throttle that cannot handle some names —
# a table key built with an ASCII codec, a cache keyed on a normalised name, a check whose
# error is taken as "not throttled" — leaves those names unthrottled: unlimited guesses
# against an account such as `zoë`.


def _name_of_kind(target: Target, kind: str) -> tuple[str, Account | None] | None:
    """A user name of `kind`, and its account when it is one (None: no such name)."""
    tag = secrets.token_hex(4)
    if kind == "non-ascii-account":
        account = next((a for a in target.accounts if not a.user.isascii()), None)
        return (account.user, account) if account is not None else None
    names = {
        "non-ascii-unknown": f"gh\u00f8st-\u00eb-{tag}",
        "cjk-unknown": f"\u5e7d\u970a-{tag}",
        "emoji-unknown": f"ghost-\U0001f642-{tag}",
        "spaced-unknown": f"ghost {tag} x",
        # exactly 64 UTF-8 bytes, two-byte letters (the longest valid name)
        "64-byte-unknown": ("\u00e9" * 28) + tag,
    }
    return names[kind], None


@pytest.mark.req("EKE-THR-1")
@pytest.mark.parametrize(
    "kind",
    [
        "non-ascii-account",
        "non-ascii-unknown",
        "cjk-unknown",
        "emoji-unknown",
        "spaced-unknown",
        "64-byte-unknown",
    ],
)
def test_names_of_every_kind_are_throttled(
    eke_target: Target, eke_sources: SourceAddresses, kind: str
) -> None:
    """N failed handshakes of one user name — non-ASCII (an account's, or unknown),
    spaced, of exactly 64 bytes —, each from a fresh address: its next EKE1, from yet
    another address, MUST be answered `throttled` (EKE-THR-1), as for an ASCII name. A
    control run with a plain ASCII name tells a throttle that misses only some names from
    one that is missing altogether."""
    _needs_throttling(eke_target, eke_sources)
    n = eke_target.limits.throttle_failures
    if n > 20:
        pytest.skip(f"throttle_failures = {n}: too many failures for one case")
    found = _name_of_kind(eke_target, kind)
    if found is None:
        pytest.skip("needs an eke account whose name is not ASCII (e.g. zoë)")
    user, account = found
    try:
        for i in range(n):
            early = _fail_once(eke_target, user, eke_sources.fresh())
            if early is not None:
                raise ConformanceFailure(
                    f"{user!r} throttled after {i} failures, the declared limit is {n}: "
                    f"{early.describe()}",
                    violates=("EKE-THR-1",),
                )
        frame, _ = _probe(eke_target, user, bytes(32), eke_sources.fresh())
        _assert_throttled(
            frame,
            f"EKE1 of {user!r} ({kind}, UTF-8 {user.encode().hex()}) after {n} failures of "
            "that name from other addresses",
            control=lambda: _plain_failures_throttle(eke_target, eke_sources, "user"),
        )
    finally:
        if account is not None:  # an account: free it again for the other cases
            Victim(eke_target, account, _timeout(eke_target)).reset(eke_sources)


# ---------------------------------------------------------------- dated at its end
#
# [EKE-THR-5]: a pending handshake that does not verify counts as a failure "the moment it
# ends", and [EKE-THR-6] locks the name "from that failure". A server that dates the
# failure when the attempt began (the EKE1 it logged, a timestamp kept with the pending
# slot) lets a guess held open past the lock come back to an unlocked name.


@pytest.mark.req("EKE-THR-5", "EKE-THR-6")
@pytest.mark.parametrize("ending", ["bad-eke3", "close"])
def test_a_failure_is_dated_when_its_handshake_ends(
    eke_target: Target, eke_victim: Victim, eke_sources: SourceAddresses, ending: str
) -> None:
    """N−1 failures of the victim, each from a fresh address; then the N-th guess: EKE1,
    EKE2, held open longer than the lock it will earn (still within the handshake
    timeout), then ended (`bad-eke3`: a wrong C3, answered auth_failed; `close`: the
    client hangs up). The victim's next EKE1, from another address, moments after that
    end, MUST be answered `throttled`: the lock runs from the END of the N-th handshake."""
    _needs_throttling(eke_target, eke_sources)
    limits = eke_target.limits
    n = limits.throttle_failures
    if n > 20:
        pytest.skip(f"throttle_failures = {n}: too many failures for one case")
    lock = _lock_seconds(eke_target, n)
    budget = limits.handshake_timeout
    if budget is None or budget - lock < 0.5:
        pytest.skip(
            f"the handshake timeout ({budget} s) leaves no room to hold a guess open past "
            f"the {lock} s lock of the N-th failure"
        )
    hold = lock + min(0.4, (budget - lock) / 3)
    timeout = _timeout(eke_target)
    for i in range(n - 1):
        early = _fail_once(eke_target, eke_victim.user, eke_sources.fresh())
        if early is not None:
            raise ConformanceFailure(
                f"throttled after {i} failures, the declared limit is {n}: {early.describe()}",
                violates=("EKE-THR-1",),
            )
    hs = start_handshake(
        eke_target, eke_victim.user, bytes(32), source=eke_sources.fresh(), timeout=timeout
    )
    try:
        event = hs.receive_eke2(timeout)
        if hs.eke2 is None:
            raise _no_eke2(event, f"the {n}-th guess")
        # The scenario: a guess held open (an attacker's pace), not a synchronisation.
        time.sleep(max(0.0, hs.raw.transcript.started + hold - time.monotonic()))
        # The failure cannot be counted before this moment (the wrong C3 leaves, or the
        # client hangs up): its lock runs at least until `ended + lock`.
        ended = time.monotonic()
        if ending == "bad-eke3":
            hs.send_eke3(hs.client.on_eke2(hs.eke2, verify=False))
            # `timeout`: a loaded machine reached the handshake deadline first; the guess
            # ended all the same (EKE-THR-5), and the lock runs from that end too.
            expect_on(
                hs.raw, [ExpectError("auth_failed", "timeout", then_close=True)], timeout
            ).check(f"the {n}-th guess, ended by a wrong C3")
    finally:
        hs.close()
    held = time.monotonic() - hs.raw.transcript.started
    # A server may count a moment after the close; the lock still has most of its time.
    time.sleep(min(0.2, lock / 4))
    frame, _ = _probe(eke_target, eke_victim.user, eke_victim.pw, eke_sources.fresh())
    answered = time.monotonic() - ended
    if frame is not None and frame.error_name == "throttled":
        return
    if answered >= lock:
        # The answer came after the earliest end of the lock (a loaded machine or a slow
        # server): the lock may have run out by the time the EKE1 was judged.
        inconclusive(
            f"the victim's EKE1 was answered {answered:.2f} s after the {n}-th guess ended, "
            f"not within its {lock} s lock: nothing to judge ({ending})"
        )
    if not _plain_failures_throttle(eke_target, eke_sources, "user"):
        raise ConformanceFailure(
            f"no throttle after {n} failures, and none for N plain failed EKE3s either: the "
            "count is missing (EKE-THR-1)",
            violates=("EKE-THR-1",),
        )
    raise ConformanceFailure.evidence(
        f"the victim's EKE1 answered {answered:.2f} s after its {n}-th failed handshake "
        f"ended ({ending}); that handshake was held {held:.2f} s after connecting, longer "
        f"than the {lock} s lock of the N-th failure",
        f"EROR throttled: the {lock} s lock runs from the moment the handshake ended",
        frame.describe() if frame is not None else "no frame",
    )
