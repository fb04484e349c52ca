"""sft-eke/1: what one peer holds open, or provokes, does not delay everyone else's login
(SPEC §6 LIM-5).

"A responder MUST keep serving other connections, and accept new ones, whatever one
connection sends or does (malformed input, slow sending, vanishing)." The handshake's own
stalls are test_eke_handshake_stalls.py's; these cases stall or provoke the responder in
places where a lock is tempting and the wait is long:

- a put accepted and left silent (before any DATA, or after part of it): a responder that
  keeps its connection table locked while a put is received ("so that shutdown does not
  race the commit") admits nobody until that put's idle timeout ends it;
- EKE1s refused `busy` (a pending cap reached, EKE-THR-7) or `throttled` (EKE-THR-1) one
  after another: a responder that paces its refusals (sleeps their retry_after, a
  "tarpit") while holding the throttle's lock makes every other login wait behind each.

The honest login (and, for the put, a get) is timed against the same login before the
stall: it MUST complete well within the time the stall lasts (the idle timeout, the
refusal's retry_after), or the stall is a door that shuts everyone out.
"""

from __future__ import annotations

import contextlib
import hashlib
import secrets
import threading
import time
from collections.abc import Callable

import pytest

from conformance._wire_fixtures import fresh_name, get_file, known_file, require
from conformance.eke_channel import EkeChannel, connect_raw
from conformance.eke_support import PartialHandshake, SourceAddresses, ghost_user
from conformance.plugin import inconclusive
from conformance.target import Target
from conformance.test_eke_throttling import (
    _end,
    _fail_once,
    _hold,
    _needs_throttling,
    _pending_caps,
)
from conformance.wire import (
    Closed,
    ConformanceFailure,
    ExpectError,
    ExpectFrame,
    TimedOut,
    control,
    frame_bytes,
)

ChannelFactory = Callable[..., EkeChannel]


def _honest_get(factory: ChannelFactory, source: str | None, name: str) -> float:
    """Seconds for a fresh connection's handshake and a get of `name`."""
    started = time.monotonic()
    channel = factory(source=source)
    try:
        result = get_file(channel, name)
        if result.done is None:
            raise ConformanceFailure(f"the honest get of {name!r}: {result.first.describe()}")
    finally:
        channel.close()
    return time.monotonic() - started


def _fastest_of_two(factory: ChannelFactory, sources: SourceAddresses, name: str) -> float:
    """Two honest logins and gets at once, from two addresses: the faster one's seconds.
    A loaded machine's stall slows one of them; a responder that makes everyone wait
    slows both. A failure of either is raised."""
    took: list[float] = []
    errors: list[BaseException] = []
    addresses = [sources.fresh(), sources.fresh()]

    def one(source: str | None) -> None:
        try:
            took.append(_honest_get(factory, source, name))
        except BaseException as exc:  # handed to the case's thread
            errors.append(exc)

    threads = [threading.Thread(target=one, args=(a,)) for a in addresses]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    if errors:
        raise errors[0]
    if len(took) < 2:
        raise ConformanceFailure("an honest login and get did not end within 30 s")
    return min(took)


@pytest.mark.req("LIM-5")
@pytest.mark.parametrize("stall", ["after-accept", "mid-data", "mid-record", "after-bye"])
def test_a_silent_put_does_not_hold_up_other_logins(
    eke_target: Target,
    eke_channel_factory: ChannelFactory,
    eke_sources: SourceAddresses,
    stall: str,
) -> None:
    """A put is accepted and then left silent (before its DATA, after half of it, or in
    the middle of a record); or it completes and BYE_ follows, its echo never read and
    the connection never closed by us. While that connection waits (for its idle timeout,
    or a lingering close), a new connection's handshake and get MUST complete in a
    fraction of the idle timeout."""
    require(eke_target, "put")
    known = known_file(eke_target)
    idle = eke_target.limits.idle_timeout
    baseline = min(_honest_get(eke_channel_factory, eke_sources.fresh(), known.name) for _ in "ab")
    allowed = max(0.6 * idle, 4 * baseline) if idle <= 5 else 3.0
    if baseline > 0.3 * allowed:
        inconclusive(f"an honest login and get took {baseline:.2f} s before any stall: too slow")
    staller = eke_channel_factory(source=eke_sources.fresh())
    try:
        data = secrets.token_bytes(64 * 1024)
        staller.send_frame("PUTF", {"name": fresh_name("sft-silent-put"), "size": 4 * len(data)})
        answer = staller.expect([ExpectFrame("RSFL", {"accept": True}), ExpectError()])
        if answer.frame is None or answer.frame.type != b"RSFL":
            pytest.skip(f"the put to stall was not accepted: {answer.describe()}")
        if stall == "mid-data":
            staller.send_frame("DATA", data)
            staller.send_frame("DATA", data)
        elif stall == "mid-record":  # half of a sealed DATA record: the rest never comes
            record = staller.seal(frame_bytes("DATA", data))
            staller.raw.send_raw(record[: len(record) // 2])
        elif stall == "after-bye":  # the put completes, then BYE_ (its echo left unread)
            staller.send_frame("DATA", data * 4)
            staller.send_frame(
                "DONE", {"size": 4 * len(data), "sha256": hashlib.sha256(data * 4).hexdigest()}
            )
            staller.expect([ExpectFrame("DONE"), ExpectError()])
            staller.send_frame("BYE_", {})  # and neither its echo read nor our side closed
        stalled_at = time.monotonic()
        took = _fastest_of_two(eke_channel_factory, eke_sources, known.name)
        if took > allowed:
            raise ConformanceFailure.evidence(
                f"LIM-5: a put accepted and left silent ({stall}); meanwhile a new connection's "
                f"handshake and get of {known.name!r}, started "
                f"{time.monotonic() - took - stalled_at:.2f} s into the stall",
                f"done within {allowed:.2f} s (the same took {baseline:.2f} s before the stall; "
                f"the silent put lasts until its idle timeout of {idle:g} s)",
                f"took {took:.2f} s: the silent put held up a connection it has nothing to do with",
            )
    finally:
        staller.close()


def _flood(
    target: Target,
    user: str,
    sources: SourceAddresses,
    stop: threading.Event,
    sent: threading.Event,
    seen: list[str],
) -> None:
    """EKE1s of `user` (whose pending cap is full) one after another until `stop`; `sent`
    is set once the first is out."""
    timeout = 3.0
    while not stop.is_set():
        try:
            raw = connect_raw(target.host, target.port, timeout=timeout, source=sources.fresh())
        except OSError:
            continue
        try:
            a = secrets.token_bytes(384).hex()
            raw.sock.sendall(frame_bytes("EKE1", control({"user": user, "a": a})))
            sent.set()
            event = raw.recv_frame(time.monotonic() + timeout)
            seen.append(event.describe()[:60])
            # The server's close may follow its fatal EROR up to 2 s later (ERR-3), its slot
            # held meanwhile: the next EKE1 waits for it, so that the flood never holds more
            # than one connection per client (slots full of closing connections would make
            # LIM-4/LIM-9 refuse or evict the honest login, which they allow).
            close_by = time.monotonic() + 2.5
            while not isinstance(raw.recv_frame(close_by), (Closed, TimedOut)):
                pass
        except OSError:
            pass
        finally:
            raw.close()


@pytest.mark.req("LIM-5")
@pytest.mark.parametrize("refusal", ["busy", "throttled"])
def test_repeated_refusals_do_not_hold_up_other_logins(
    eke_target: Target,
    eke_channel_factory: ChannelFactory,
    eke_sources: SourceAddresses,
    refusal: str,
) -> None:
    """A ghost user name either holds its P pending handshakes (its further EKE1s are
    refused `busy`, EKE-THR-7) or has N failures (refused `throttled`, EKE-THR-1); two
    clients then send EKE1s of that name one after another. Meanwhile an honest login and
    get of the main account, from another address, MUST complete in a fraction of the
    refusals' retry_after (at least 1 s): a refusal paced ("tarpitted") while a lock that
    every login needs is held makes everyone wait behind the attacker."""
    _needs_throttling(eke_target, eke_sources)
    p, _ = _pending_caps(eke_target)
    n = eke_target.limits.throttle_failures
    known = known_file(eke_target)
    limit = eke_target.limits.handshake_timeout
    baseline = min(_honest_get(eke_channel_factory, eke_sources.fresh(), known.name) for _ in "ab")
    allowed = max(0.5, 4 * baseline)
    if baseline > 0.2:
        inconclusive(f"an honest login and get took {baseline:.2f} s before the flood: too slow")
    ghost = ghost_user()
    held: list[PartialHandshake] = []
    stop, sent = threading.Event(), threading.Event()
    seen: list[str] = []
    flooders = [
        threading.Thread(target=_flood, args=(eke_target, ghost, eke_sources, stop, sent, seen))
        for _ in range(2)
    ]
    if refusal == "throttled":
        for i in range(n):
            early = _fail_once(eke_target, ghost, eke_sources.fresh())
            if early is not None:
                inconclusive(f"throttled after {i} of {n} failures: {early.describe()}")
        p = 0  # nothing held: the name's own lock refuses the flood
    try:
        for i in range(p):
            held.append(_hold(eke_target, ghost, bytes(32), eke_sources.fresh(), f"hold {i + 1}"))
        since = held[0].raw.transcript.started if held else time.monotonic()
        for thread in flooders:
            thread.start()
        if not sent.wait(timeout=3.0):
            inconclusive("the flooding clients could not send an EKE1 within 3 s")
        started = time.monotonic()
        try:
            took = _fastest_of_two(eke_channel_factory, eke_sources, known.name)
        except ConformanceFailure as exc:
            raise ConformanceFailure(
                f"LIM-5: while EKE1s of {ghost!r} were refused `{refusal}` one after another, "
                f"an honest login and get of {known.name!r} from another "
                f"address failed after {time.monotonic() - started:.2f} s:\n{exc}"
            ) from None
        age = time.monotonic() - since
        if held and age > 0.9 * limit and took > allowed:
            inconclusive(f"the pending handshakes were held {age:.2f} s (timeout {limit:g} s)")
        if took > allowed:
            raise ConformanceFailure.evidence(
                f"LIM-5: EKE1s of {ghost!r} refused `{refusal}` sent one after another by two "
                f"clients (answers seen: {sorted(set(seen))[:3]}); meanwhile an honest login "
                f"and get of {known.name!r} from another address, started "
                f"{started - since:.2f} s after the refusals were set up",
                f"done within {allowed:.2f} s (it took {baseline:.2f} s before the flood)",
                f"took {took:.2f} s: the refusals of one name held up another's login",
            )
    finally:
        stop.set()
        for thread in flooders:
            if thread.ident is not None:
                thread.join(timeout=5)
        for hs in held:
            with contextlib.suppress(Exception):
                _end(eke_target, hs)
