"""Stalled sft-eke/1 handshakes must not hold up anyone else's (SPEC §6 LIM-5).

A server that serialises its handshakes — one lock around the whole exchange, "because
the password store and the throttle are shared" — serves every honest test one at a
time and passes them all; only a login attempted WHILE another client sits in its
handshake shows it: that login then waits for the stalled one's timeout.

And a handshake that never completes because its bytes trickle in must still end at the
handshake timeout counted from accept (LIM-1; LIM-9: trickling bytes do not extend it).
"""

from __future__ import annotations

import contextlib
import socket
import time
from collections.abc import Callable

import pytest

from conformance import eke
from conformance.eke_channel import EkeChannel, connect_raw
from conformance.eke_support import SourceAddresses, ghost_user, start_handshake
from conformance.target import Target
from conformance.wire import (
    Closed,
    ConformanceFailure,
    Event,
    RawConnection,
    ReceivedFrame,
    TimedOut,
    control,
    deadline_after,
    frame_bytes,
    header_bytes,
)

ChannelFactory = Callable[..., EkeChannel]

# A fresh round when the first one's honest login took longer than the stalled ones'
# handshake timeout (a loaded machine): a serialising server fails every round.
_ROUNDS = 2


def _stall(
    eke_target: Target, sources: SourceAddresses, timeout: float
) -> dict[str, RawConnection]:
    """Three handshakes stopped at different points, each left waiting on the server."""
    host, port = eke_target.address
    stalled: dict[str, RawConnection] = {}
    # After EKE2: a guess is pending. From a fresh address under a user name nobody has,
    # so that its failure (when it ends) is counted against nobody a case relies on.
    source = sources.fresh()
    if source is not None:
        pending = start_handshake(
            eke_target, ghost_user(), bytes(32), source=source, timeout=timeout
        )
        event = pending.receive_eke2(timeout)
        if isinstance(event, ReceivedFrame) and event.type == b"EKE2":
            stalled["waiting after EKE2"] = pending.raw
        else:  # throttled or busy: not a pending handshake, and not this case's business
            pending.close()
    # From fresh addresses too where there are any, so that the per-address cap (LIM-8)
    # never refuses the honest login; else at most cap - 1 of them from our address.
    cap = eke_target.limits.max_pending_per_address
    silent = connect_raw(
        host, port, timeout=timeout, name="stalled: silent after connect", source=sources.fresh()
    )
    stalled["silent after connect"] = silent
    if source is not None or cap is None or cap > 2:
        partial = connect_raw(
            host,
            port,
            timeout=timeout,
            name="stalled: inside the EKE1 header",
            source=sources.fresh(),
        )
        partial.send_raw(header_bytes("EKE1", 900)[:6])
        stalled["inside the EKE1 header"] = partial
    return stalled


def _still_open(conn: RawConnection) -> bool:
    return isinstance(conn.recv_frame(deadline_after(0.0)), TimedOut)


@pytest.mark.req("LIM-5")
def test_a_login_completes_while_other_handshakes_stall(
    eke_target: Target, eke_channel_factory: ChannelFactory, eke_sources: SourceAddresses
) -> None:
    """While three handshakes stall (a client silent after connecting, one inside its EKE1
    header, one that got EKE2 and never sends EKE3), an honest client's handshake must
    complete before any of them reaches its handshake timeout: the server serves it at
    once, not after the stalled ones have ended."""
    if not eke_target.accounts:
        pytest.skip("needs an eke account (give --user and --password-file)")
    timeout = max(3.0, eke_target.limits.handshake_timeout + 2.0)
    limit = eke_target.limits.handshake_timeout
    evidence: list[str] = []
    for round_ in range(1, _ROUNDS + 1):
        stalled = _stall(eke_target, eke_sources, timeout)
        try:
            started = time.monotonic()
            try:
                eke_channel_factory().close()
                failed = ""
            except ConformanceFailure as exc:  # e.g. its own wait for EKE2 timed out
                failed = f" and failed ({str(exc).splitlines()[0]})"
            took = time.monotonic() - started
            closed = [what for what, conn in stalled.items() if not _still_open(conn)]
        finally:
            for conn in stalled.values():
                conn.close()
        # The same login with nothing stalled: what this machine needs for one. A server
        # that makes a login wait behind a stalled connection (a read of its first bytes
        # in the accept loop, one lock for every handshake) needs about a handshake
        # timeout more, whether or not it ever closes the stalled one.
        started = time.monotonic()
        with contextlib.suppress(ConformanceFailure):
            eke_channel_factory().close()
        alone = time.monotonic() - started
        waited = took >= max(0.5 * limit, alone + 0.4 * limit)
        if not closed and not failed and not waited:
            return
        evidence.append(
            f"round {round_}: the honest handshake took {took:.2f} s{failed} beside the "
            f"stalled connections, {alone:.2f} s alone; by then the server had closed the "
            f"stalled connection(s) {closed} (handshake timeout {limit:g} s)"
        )
    raise ConformanceFailure(
        "LIM-5: a login waited for other clients' stalled handshakes:\n" + "\n".join(evidence)
    )


def _trickle(raw: RawConnection, frame: bytes, limit: float) -> Event:
    """Sends all but the last byte of `frame` in 16 pieces, one every limit/8 seconds (2x
    the limit in all), until the server answers or closes; returns what it did (TimedOut:
    still open after the last piece)."""
    pieces, interval = 16, limit / 8
    body = frame[:-1]  # the frame never completes: only the deadline can end it
    event: Event = TimedOut(0.0)
    for i in range(pieces):
        if not raw.send_raw(body[i * len(body) // pieces : (i + 1) * len(body) // pieces]):
            return Closed("reset", "the server closed while the EKE1 trickled in")
        # The server's answer or close, waited for one interval at most: the trickle's pace.
        event = raw.recv_frame(deadline_after(interval))
        if not isinstance(event, TimedOut):
            return event
    return event


@pytest.mark.req("LIM-1", "EKE-HS-11")
def test_a_trickled_handshake_ends_at_the_timeout_from_accept(
    eke_target: Target, eke_sources: SourceAddresses
) -> None:
    """An EKE1 that arrives a few bytes every limit/8 seconds and never completes: the
    server must end the connection at its handshake timeout counted from accept (EROR
    timeout, EKE-HS-11, or a close), not later. A server that re-arms a socket timeout at
    every read ("close after N seconds of silence") never closes it: one byte now and then
    holds a slot, and a thread, forever (LIM-9: bytes trickling in do not extend it)."""
    limit = eke_target.limits.handshake_timeout
    if limit > 15:
        pytest.skip(f"handshake timeout of {limit} s is too long for the default run")
    # Computed before the connection: the server's clock starts at accept, not at ours.
    eke1 = frame_bytes("EKE1", control(eke.ClientHandshake(user=ghost_user(), pw=bytes(32)).eke1()))
    started = time.monotonic()
    raw = connect_raw(
        eke_target.host, eke_target.port, timeout=limit + 5, source=eke_sources.fresh()
    )
    try:
        event = _trickle(raw, eke1, limit)
        elapsed = time.monotonic() - started
    finally:
        raw.close()
    if isinstance(event, TimedOut) or elapsed > 1.35 * limit + 0.2:
        raise ConformanceFailure(
            f"LIM-1: an EKE1 that trickled in (all but the last of its {len(eke1)} bytes, in "
            f"16 pieces, one every {limit / 8:.2f} s) was still open {elapsed:.2f} s after "
            f"the connection was made; the handshake timeout is {limit} s, counted from "
            f"accept, and bytes trickling in do not extend it (LIM-9)\n"
            f"last event: {event.describe()}",
            violates=("LIM-1", "EKE-HS-11"),
        )
    if isinstance(event, ReceivedFrame) and event.error_name not in (None, "timeout"):
        raise ConformanceFailure(
            f"EKE-HS-11: a handshake that timed out was answered {event.describe()}"
        )


def _answer(raw: RawConnection, deadline: float) -> Event:
    """The server's first answer by `deadline` (TimedOut: still open and silent)."""
    return raw.recv_frame(deadline)


@pytest.mark.req("LIM-1", "EKE-HS-11")
def test_a_handshake_stalled_after_eke2_ends_at_the_timeout_from_accept(
    eke_target: Target, eke_sources: SourceAddresses
) -> None:
    """EKE1 sent late (at 0.7 of the handshake timeout after the connection), EKE2
    received, then no EKE3: the server must end the connection at its handshake timeout
    counted from accept (EROR timeout, EKE-HS-11, or a close) — not re-arm the deadline
    when it answers a handshake message ("the client is alive"), which gives each step a
    full timeout and lets a client that paces its messages hold a slot, and a pending
    guess, for several timeouts. The answer, if any, is `timeout`: an EROR of another code
    (`auth_failed` "because the guess was spent") breaks EKE-HS-11."""
    limit = eke_target.limits.handshake_timeout
    if limit > 15:
        pytest.skip(f"handshake timeout of {limit} s is too long for the default run")
    # Computed before the connection: the server's clock starts at accept, not at ours.
    eke1 = eke.ClientHandshake(user=ghost_user(), pw=bytes(32)).eke1()
    started = time.monotonic()
    raw = connect_raw(
        eke_target.host, eke_target.port, timeout=limit + 5, source=eke_sources.fresh()
    )
    try:
        early = _answer(raw, started + 0.7 * limit)  # the stimulus: a late EKE1
        if not isinstance(early, TimedOut):
            pytest.skip(f"the server acted before any EKE1 came: {early.describe()}")
        raw.send_frame("EKE1", eke1)
        eke2 = _answer(raw, started + limit + 5)
        if not (isinstance(eke2, ReceivedFrame) and eke2.type == b"EKE2"):
            pytest.skip(f"no EKE2 to stall after (refused or late): {eke2.describe()}")
        answered = time.monotonic() - started
        if answered > 0.9 * limit:
            pytest.skip(f"EKE2 came {answered:.2f} s after the connection (a loaded machine)")
        bound = 1.35 * limit + 0.2
        event = _answer(raw, started + bound)
        elapsed = time.monotonic() - started
        if isinstance(event, ReceivedFrame) and event.type == b"EROR":
            if event.error_name != "timeout":
                raise ConformanceFailure(
                    f"Expected: EROR timeout (or a close) when the handshake timeout of "
                    f"{limit:g} s ran out after EKE2, no EKE3 having come\n"
                    f"Actual:   {event.describe()} {elapsed:.2f} s after the connection\n"
                    "EKE-HS-11: the server answers an expired handshake with `timeout`",
                    violates=("EKE-HS-11",),
                )
            event = _answer(raw, started + bound + 2.0)  # the close follows the EROR
    finally:
        raw.close()
    if isinstance(event, TimedOut):
        raise ConformanceFailure(
            f"LIM-1: EKE1 sent {0.7 * limit:.2f} s after the connection, EKE2 received "
            f"{answered:.2f} s after it, then no EKE3: the connection was still open "
            f"{bound:.2f} s after it was made; the handshake timeout is {limit:g} s, "
            "counted from accept (LIM-9), not restarted by a handshake message\n"
            f"last event: {event.describe()}",
            violates=("LIM-1", "EKE-HS-11"),
        )


# ---------------------------------------------------------------- ended handshakes free their slot
#
# [LIM-8] counts the connections of one address that have not completed their handshake;
# one that ENDED (closed by either side) is no longer one. A server that gives the slot
# back only on the paths its author thought of (a bad EKE3, a timeout) and not on others
# (the client's own EROR, a malformed frame) refuses an address `busy` for good after a
# few such endings, though nothing of it is in its handshake any more.

# Endings before EKE2 spend no guess: an address can end any number of them without being
# throttled (EKE-THR-5), so a slot kept by each soon fills its cap. One after EKE2 too.
_ENDINGS = ["eror-first", "malformed-eke1", "eof-inside-eke1", "eror-after-eke2"]


def _busy(event: Event, what: str) -> None:
    if isinstance(event, ReceivedFrame) and event.error_name == "busy":
        raise ConformanceFailure(
            f"Expected: the connection admitted ({what}): every earlier connection from "
            "its address had ended, none is in its handshake\n"
            f"Actual:   {event.describe()}\n"
            "LIM-8: a connection that ended no longer counts against its address's cap",
            violates=("LIM-8",),
        )


def _end_one(target: Target, source: str, ending: str, timeout: float, what: str) -> None:
    """A connection from `source` ended `ending`'s way; returns once the server closed it.
    FAIL (LIM-8) if it was refused `busy` instead."""
    host, port = target.address
    if ending == "eror-after-eke2":
        hs = start_handshake(target, ghost_user(), bytes(32), source=source, timeout=timeout)
        raw = hs.raw
        try:
            event = hs.receive_eke2(timeout)
            _busy(event, what)
            if hs.eke2 is None:
                return  # throttled (the address's failures): no handshake held either
            raw.send_frame("EROR", {"code": 4, "name": "auth_failed", "message": "bye"})
            _until_closed(raw, timeout, what)
        finally:
            raw.close()
        return
    raw = connect_raw(host, port, timeout=timeout, source=source)
    try:
        if ending == "eror-first":
            raw.send_frame("EROR", {"code": 11, "name": "internal", "message": "bye"})
        elif ending == "malformed-eke1":
            raw.send_frame("EKE1", {"user": ghost_user(), "a": "zz" * 384})
        else:  # the stream ends inside a frame
            raw.send_raw(frame_bytes("EKE1", control({"user": ghost_user(), "a": "0" * 768}))[:40])
            raw.sock.shutdown(socket.SHUT_WR)
        _until_closed(raw, timeout, what)
    finally:
        raw.close()


def _until_closed(raw: RawConnection, timeout: float, what: str) -> None:
    deadline = deadline_after(timeout)
    for _ in range(4):  # maybe an EROR, then the close
        event = raw.recv_frame(deadline)
        _busy(event, what)
        if isinstance(event, (Closed, TimedOut)):
            return


@pytest.mark.req("LIM-8")
@pytest.mark.parametrize("ending", _ENDINGS)
def test_ended_handshakes_give_back_their_address_slot(
    eke_target: Target, eke_sources: SourceAddresses, ending: str
) -> None:
    """From one fresh address, one after another, twice its cap of connections in their
    handshake (LIM-8), each ended `ending`'s way (the server closed it), then a valid
    EKE1 from that address: no connection may be refused `busy`, as none of its
    address's earlier connections is still in its handshake."""
    cap = eke_target.limits.max_pending_per_address
    if cap is None:
        pytest.skip("the target declares no per-address cap (limits.max_pending_per_address)")
    source = eke_sources.fresh()
    if source is None:
        pytest.skip("needs a loopback target to vary the client address")
    timeout = max(3.0, min(10.0, eke_target.limits.idle_timeout * 2))
    rounds = 2 * cap
    for i in range(rounds):
        _end_one(eke_target, source, ending, timeout, f"connection {i + 1} of {rounds}")
    probe = start_handshake(eke_target, ghost_user(), bytes(32), source=source, timeout=timeout)
    try:
        _busy(probe.receive_eke2(timeout), f"a valid EKE1 after {rounds} ended connections")
    finally:
        probe.close()


# [LIM-8] counts the connections of an address "that have not completed their handshake":
# a connection stays one until its EKE4, however far it got. A server that relieves the
# count once a connection has "shown it is a client" (its first bytes, a whole EKE1, the
# EKE2 sent) caps only silent sockets: an address holding handshakes after EKE1 — which
# cost it nothing but one unanswered guess each — takes every slot again.
_STAGES = ["after-eke2", "inside-eke1"]


@pytest.mark.req("LIM-8")
@pytest.mark.parametrize("stage", _STAGES)
def test_handshakes_under_way_count_against_their_address(
    eke_target: Target, eke_sources: SourceAddresses, stage: str
) -> None:
    """From one fresh address, its declared cap of connections held in their handshake at
    `stage` (`after-eke2`: EKE1 sent and answered EKE2, as many as the per-address pending
    cap of EKE-THR-7 lets through, the rest inside EKE1; `inside-eke1`: half an EKE1
    sent); then one more connection from that address MUST be refused promptly (close, or
    EROR busy) while the held ones are still open."""
    limits = eke_target.limits
    cap = limits.max_pending_per_address
    if cap is None:
        pytest.skip("the target declares no per-address cap (limits.max_pending_per_address)")
    source = eke_sources.fresh()
    if source is None:
        pytest.skip("needs a loopback target to vary the client address")
    budget = limits.handshake_timeout
    timeout = max(3.0, min(10.0, limits.idle_timeout * 2))
    logins = min(cap, limits.pending_logins_per_address or cap) if stage == "after-eke2" else 0
    host, port = eke_target.address
    held: list[RawConnection] = []
    stages: list[str] = []
    started = time.monotonic()
    try:
        for i in range(cap):
            if i < logins:
                hs = start_handshake(
                    eke_target, ghost_user(), bytes(32), source=source, timeout=timeout
                )
                held.append(hs.raw)
                event = hs.receive_eke2(timeout)
                if hs.eke2 is None:
                    raise ConformanceFailure(
                        f"LIM-8: connection {i + 1} of the declared cap {cap} from {source}, "
                        f"a valid EKE1 of a fresh name: {event.describe()} (expected EKE2)"
                    )
                stages.append("after EKE2")
            else:
                raw = connect_raw(host, port, timeout=timeout, source=source)
                held.append(raw)
                eke1 = frame_bytes("EKE1", control({"user": ghost_user(), "a": "0" * 768}))
                raw.send_raw(eke1[: len(eke1) // 2])
                stages.append("inside EKE1")
        if time.monotonic() > started + 0.6 * budget:
            pytest.skip(
                f"holding {cap} handshakes took {time.monotonic() - started:.2f} s of the "
                f"{budget:g} s handshake timeout: too slow to judge (a loaded machine)"
            )
        # Prompt: well before the first held connection's handshake timeout would end it.
        window_end = min(started + 0.8 * budget, time.monotonic() + 2.0)
        extra = connect_raw(host, port, timeout=timeout, source=source)
        held.append(extra)
        event = extra.recv_frame(deadline_after(max(0.2, window_end - time.monotonic())))
        if isinstance(event, Closed) or (
            isinstance(event, ReceivedFrame) and event.error_name == "busy"
        ):
            return
        ended = [i + 1 for i, conn in enumerate(held[:-1]) if not _still_open(conn)]
        if ended:
            pytest.skip(f"held connection(s) #{ended} ended meanwhile: the cap was not full")
        raise ConformanceFailure.evidence(
            f"LIM-8: {cap} connections from {source} held in their handshake "
            f"({', '.join(stages)}; declared per-address cap {cap}), then one more from "
            "that address",
            "the extra connection closed, or EROR busy, promptly (a connection is in its "
            "handshake until EKE4, however far it got)",
            f"{event.describe()} after {time.monotonic() - started:.2f} s, the held "
            "connections still open",
        )
    finally:
        for conn in held:
            conn.close()
