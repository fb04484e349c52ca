"""Limits and timeouts (docs/SPEC.md §6, EKE-HS-11): slow senders, silence, many connections.

The embedded reference runs with short limits (handshake 2 s, idle 1.5 s, 8 connections;
conformance/embedded.py) so that these cases stay fast; an external target's limits come
from its target file, and cases whose limit is too long to wait for are skipped.

Fixtures (conformance/plugin.py): `target`, `app_channel()`, `transcripts`.
"""

from __future__ import annotations

import hashlib
import os
import socket
import ssl
import struct
import time
from pathlib import Path

import pytest

from conformance._wire_fixtures import (
    AppChannel,
    TranscriptBook,
    fresh_name,
    get_file,
    known_file,
    require,
    suite_identity,
)
from conformance.channel import Channel
from conformance.pki_channel import (
    HandshakeRefused,
    client_context,
    close_bound,
    connect_pki,
    ended_cleanly,
)
from conformance.target import Target
from conformance.test_app_put import _assert_no_temporary_holds
from conformance.wire import (
    Closed,
    ConformanceFailure,
    Expectation,
    ExpectClose,
    ExpectError,
    ExpectFrame,
    ExpectSilence,
    RawConnection,
    ReceivedFrame,
    TimedOut,
    control,
    deadline_after,
    frame_bytes,
)

_MAX_WAIT = 12.0  # the longest limit the suite waits for


def _limit(value: float, what: str) -> float:
    if value > _MAX_WAIT:
        pytest.skip(f"the target's {what} is {value} s (the suite waits at most {_MAX_WAIT} s)")
    return value


def _first_handshake_bytes(target: Target) -> bytes:
    """The first message of an honest handshake: a TLS ClientHello or an EKE1 frame."""
    if target.profile == "pki":
        assert target.root is not None
        ctx = client_context(target.root)
        incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
        tls = ctx.wrap_bio(incoming, outgoing, server_side=False)
        try:
            tls.do_handshake()
        except ssl.SSLWantReadError:
            pass
        return outgoing.read()
    user = target.accounts[0].user if target.accounts else "alice"
    return frame_bytes("EKE1", control({"user": user, "a": "ab" * 384}))


def _timeout_reaction(target: Target) -> list[Expectation]:
    # Before a channel exists sft-pki can only close; sft-eke answers EROR timeout in
    # clear (EKE-HS-11).
    return [ExpectError("timeout")] if target.profile == "eke" else [ExpectClose()]


@pytest.mark.req("LIM-1", "EKE-HS-11")
def test_handshake_timeout_on_a_silent_client(target: Target, transcripts: TranscriptBook) -> None:
    limit = _limit(target.limits.handshake_timeout, "handshake timeout")
    with RawConnection.connect(target.host, target.port, timeout=limit) as conn:
        transcripts.add(conn)
        outcome = conn.expect(_timeout_reaction(target), timeout=limit * 1.5 + 1.0)
        outcome.check(
            f"LIM-1: nothing sent for {limit * 1.5 + 1.0:.1f} s (handshake timeout {limit} s)"
        )


@pytest.mark.req("LIM-1", "EKE-HS-11")
def test_handshake_timeout_holds_against_a_slow_sender(
    target: Target, transcripts: TranscriptBook
) -> None:
    """One byte of the first handshake message at a time, never finishing: the handshake
    timeout is a deadline for the whole handshake, not a per-read timeout."""
    limit = _limit(target.limits.handshake_timeout, "handshake timeout")
    hello = _first_handshake_bytes(target)
    interval = limit / 6
    hard = deadline_after(limit * 1.5 + 1.0)
    with RawConnection.connect(target.host, target.port, timeout=limit) as conn:
        transcripts.add(conn)
        event = None
        # Bounded: one byte per interval until the hard deadline (about 10 rounds).
        for index in range(len(hello) - 1):
            if time.monotonic() >= hard:
                break
            if not conn.send_raw(hello[index : index + 1]):
                event = conn.recv_frame(deadline_after(0.5))
                break
            event = conn.recv_frame(min(deadline_after(interval), hard))
            if isinstance(event, Closed | ReceivedFrame):
                break
        ok = isinstance(event, Closed) or (
            isinstance(event, ReceivedFrame) and event.error_name == "timeout"
        )
        if not ok:
            raise ConformanceFailure(
                f"LIM-1: a client sending one byte every {interval:.2f} s was still connected "
                f"after {limit * 1.5 + 1.0:.1f} s (handshake timeout {limit} s); last event: "
                f"{event.describe() if event is not None else 'none'}"
            )


@pytest.mark.req("LIM-2")
def test_idle_timeout_between_requests(target: Target, app_channel: AppChannel) -> None:
    limit = _limit(target.limits.idle_timeout, "idle timeout")
    channel = app_channel()
    channel.expect([ExpectError("timeout")], timeout=limit * 1.5 + 1.0).check(
        f"LIM-2: channel idle for {limit * 1.5 + 1.0:.1f} s (idle timeout {limit} s)"
    )


@pytest.mark.req("LIM-2")
def test_idle_timeout_inside_a_frame(target: Target, app_channel: AppChannel) -> None:
    """Silence is silence wherever the stream stops: part of a header, part of a control
    payload, part of a DATA payload (during a put). A responder that reads "the rest of a
    begun frame" without a deadline (a read-exactly helper with no timeout) is held for
    ever by a peer that stops mid-frame. The three connections stall at once, so the case
    waits one idle timeout in all. sft-eke: a frame is one record, so the stop is inside
    the record (its header, its payload) on the TCP stream."""
    limit = _limit(target.limits.idle_timeout, "idle timeout")
    stalls: dict[str, Channel] = {}
    for where in ("a header", "a control payload", "a DATA payload"):
        if where == "a DATA payload" and not target.has("put"):
            continue
        channel = app_channel()
        if where == "a DATA payload":
            channel.send_frame("PUTF", {"name": fresh_name(), "size": 5000})
            channel.expect([ExpectFrame("RSFL", {"accept": True})]).check("LIM-2: PUTF")
        raw = getattr(channel, "raw", None)
        kind = (
            b"RECD" if isinstance(raw, RawConnection) else (b"DATA" if "DATA" in where else b"RQFL")
        )
        partial = kind if where == "a header" else struct.pack("!4sI", kind, 4000) + b"{" * 1000
        sent = (
            raw.send_raw(partial) if isinstance(raw, RawConnection) else channel.send_raw(partial)
        )
        if not sent:
            raise ConformanceFailure(f"LIM-2: could not send part of {where}: the target closed")
        stalls[where] = channel
    end = time.monotonic() + limit * 1.5 + 1.0
    wrong = []
    for where, channel in stalls.items():
        outcome = channel.expect(
            [ExpectError("timeout"), ExpectClose()], timeout=max(0.2, end - time.monotonic())
        )
        if not outcome.ok:
            wrong.append(f"stopped inside {where}: {outcome.describe()}")
        channel.close()
    if wrong:
        raise ConformanceFailure.evidence(
            f"LIM-2: connections that stopped sending in the middle of a frame (idle timeout "
            f"{limit} s)",
            f"EROR timeout (or the close) within {limit * 1.5 + 1.0:.1f} s",
            "\n".join(wrong),
        )


@pytest.mark.req("LIM-2", "APP-STORE-3")
def test_idle_timeout_during_a_put(target: Target, app_channel: AppChannel) -> None:
    require(target, "put")
    limit = _limit(target.limits.idle_timeout, "idle timeout")
    name = fresh_name()
    channel = app_channel()
    channel.send_frame("PUTF", {"name": name, "size": 5000})
    channel.expect([ExpectFrame("RSFL", {"accept": True})]).check("PUTF")
    channel.send_frame("DATA", b"z" * 1000)
    channel.expect([ExpectError("timeout")], timeout=limit * 1.5 + 1.0).check(
        f"LIM-2: a put stalled after 1000 of 5000 bytes (idle timeout {limit} s)"
    )
    fresh: Channel = app_channel()
    fresh.send_frame("PUTF", {"name": name, "size": 1})
    fresh.expect([ExpectFrame("RSFL", {"accept": True})]).check(
        "APP-STORE-3: the timed-out put left a file under its final name"
    )


@pytest.mark.req("LIM-5", "APP-2")
def test_many_concurrent_sessions_are_served(target: Target, app_channel: AppChannel) -> None:
    file = known_file(target)
    count = max(2, min(6, target.limits.max_connections - 2))
    channels: list[Channel] = []
    served_at: list[float] = []  # when each open channel last had an answer

    def get_on_all(indices: list[int]) -> None:
        # All requests first, then all answers: the sessions overlap inside the responder,
        # and the round trips overlap too (one after another, a slow responder's 200 ms
        # round trips made the first session idle out, LIM-2, before the last was asked).
        for index in indices:
            channels[index].send_frame("RQFL", {"name": file.name})
        for index in indices:
            what = f"session {index + 1} of {count}"
            first = channels[index].expect([ExpectFrame("RSFL")]).check(what)
            assert first.frame is not None
            done = channels[index].expect(
                [ExpectFrame("DONE", {"sha256": file.sha256})], skip=["DATA"]
            )
            done.check(f"{what}: DONE")
            served_at[index] = time.monotonic()

    for _ in range(count):
        # On a slow machine the handshakes outlast a short idle timeout (LIM-2 rightly
        # closes a channel that sends nothing): a get keeps the open ones alive meanwhile.
        now = time.monotonic()
        get_on_all(
            [i for i in range(len(channels)) if now - served_at[i] > target.limits.idle_timeout / 3]
        )
        channels.append(app_channel())
        served_at.append(time.monotonic())
    get_on_all(list(range(count)))


def _probe(
    target: Target, timeout: float, transcripts: TranscriptBook, workdir: Path
) -> tuple[bool, str]:
    """Opens one more connection: (accepted?, what happened).

    sft-pki: an honest TLS handshake, then silence means accepted (a responder over its
    limit closes, or completes TLS to send `EROR busy`). sft-eke: a TCP connection, then
    silence means accepted (no EKE1 is sent: a half handshake could count as a failure
    towards throttling).
    """
    if target.profile == "pki":
        if target.root is None:
            pytest.skip("pki needs --root")
        cert, key = suite_identity(target, workdir)
        result = connect_pki(
            target.host, target.port, client_context(target.root, cert, key), timeout=timeout
        )
        if isinstance(result, HandshakeRefused):
            transcripts.add(result.transcript)
            return False, result.describe()
        conn: Channel = result
    else:
        conn = RawConnection.connect(target.host, target.port, timeout=timeout)
    transcripts.add(conn)
    try:
        outcome = conn.expect(
            [ExpectSilence(), ExpectError("busy"), ExpectClose()], timeout=timeout
        )
    finally:
        conn.close()
    if not outcome.ok:
        raise ConformanceFailure(
            "LIM-4: neither accepted nor refused with busy/close\n" + outcome.describe()
        )
    return isinstance(outcome.matched, ExpectSilence), outcome.describe()


@pytest.mark.req("LIM-4", "LIM-5")
@pytest.mark.xdist_group("connection-limit")
def test_connection_limit_refuses_then_recovers(
    target: Target, transcripts: TranscriptBook, tmp_path: Path
) -> None:
    require(target, "busy")
    limit = target.limits.max_connections
    if limit > 64:
        pytest.skip(f"max_connections {limit} is too many to open here")
    quick = min(0.4, target.limits.handshake_timeout / 3)
    holders: list[RawConnection] = []
    try:
        # `limit` connections that take their slots (waiting for a handshake)...
        holders = [
            RawConnection.connect(target.host, target.port, timeout=quick) for _ in range(limit)
        ]
        # ...so that one more is refused at once (close, or EROR busy).
        accepted, what = _probe(target, quick, transcripts, tmp_path)
        # The holders are still in their handshake: LIM-9 lets (makes) the target admit
        # the new connection by closing the oldest of them. Accepted is a LIM-4 violation
        # only while all `limit` holders are still open.
        if accepted and not any(
            not isinstance(conn.recv_frame(deadline_after(0.05)), TimedOut) for conn in holders
        ):
            raise ConformanceFailure(
                f"LIM-4: connection {limit + 1} was accepted while {limit} were open "
                f"(max_connections {limit}): {what}",
                violates=("LIM-4",),
            )
    finally:
        for conn in holders:
            conn.close()
    # Once connections end the responder must accept again; it notices the closes
    # asynchronously, so try a few times within a bounded time.
    deadline = deadline_after(3.0)
    what = ""
    for _ in range(20):
        accepted, what = _probe(target, quick, transcripts, tmp_path)
        if accepted or time.monotonic() >= deadline:
            break
    if not accepted:
        raise ConformanceFailure(
            f"LIM-4: no new connection accepted after the others ended: {what}"
        )


def _abuse(target: Target, hello: bytes | None = None) -> None:
    """Connections that misbehave in different ways (each ends quickly)."""
    hello = hello or _first_handshake_bytes(target)
    # 1. garbage
    with RawConnection.connect(target.host, target.port) as conn:
        conn.send_raw(
            b"\x16\x03\x01\xff\xff" + b"\x00" * 64
            if target.profile == "pki"
            else b"GET / HTTP/1.1\r\n\r\n"
        )
    # 2. half a handshake message, then vanish
    with RawConnection.connect(target.host, target.port) as conn:
        conn.send_raw(hello[: len(hello) // 2])
    # 3. connection reset (SO_LINGER 0) in the middle of a message
    sock = socket.create_connection(target.address, timeout=2)
    sock.sendall(hello[:10])
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()
    # 4. connect and close at once
    socket.create_connection(target.address, timeout=2).close()


def _channel_after_abuse(target: Target, app_channel: AppChannel) -> Channel:
    """An honest channel opened just after `_abuse`, retried within a bounded time.

    The abusive connections ended from this address a moment ago and the responder
    notices their ends asynchronously: on a loaded machine they still count toward the
    per-address cap (LIM-8), or the handshake outlasts a short handshake timeout (LIM-1).
    A responder that keeps refusing beyond the bound breaks LIM-5.
    """
    deadline = deadline_after(max(3.0, target.limits.handshake_timeout * 3))
    refusals: list[str] = []
    for _ in range(20):
        try:
            return app_channel()
        except ConformanceFailure as exc:
            refusals.append(str(exc))
            if time.monotonic() >= deadline:
                break
            time.sleep(0.1)  # a retry pace, not synchronisation: the loop is bounded
    firsts = "\n".join(r.splitlines()[0] for r in refusals[:-1])
    raise ConformanceFailure(
        f"LIM-5: after abusive connections no honest channel was accepted in "
        f"{len(refusals)} attempts:\n{firsts}\nlast: {refusals[-1]}"
    )


@pytest.mark.req("LIM-5")
def test_responder_keeps_serving_after_abuse(target: Target, app_channel: AppChannel) -> None:
    file = known_file(target)
    # Every failed handshake must give its slot back: a responder that leaks the slot on
    # one failure path (a pending count never decremented when the handshake fails)
    # locks this address out once the per-address cap (LIM-8, default 8) is reached, so
    # each kind of abuse runs once more than that cap.
    rounds = min(64, (target.limits.max_pending_per_address or 8) + 1)
    hello = _first_handshake_bytes(target)
    # A silent connection stays open meanwhile: it must not block anyone.
    with RawConnection.connect(target.host, target.port):
        for _ in range(rounds):
            _abuse(target, hello)
        get_file(_channel_after_abuse(target, app_channel), file.name)
    channel = app_channel()
    channel.send_raw(frame_bytes(b"rq\x00\x00", b"{}"))
    channel.expect([ExpectError("bad_frame")]).check("bad type inside a channel")
    get_file(app_channel(), file.name)


# LIM-10: more than the socket buffers of both ends hold on loopback (a responder's send
# buffer grows to tcp_wmem's 4 MiB on Linux, the suite's receive buffer stays small while
# it does not read), so a responder without a send timeout really blocks in a write.
_STALL_BYTES = 12 * 1024 * 1024
_STALL_REQUESTS = 64  # the most pipelined gets the case sends to reach _STALL_BYTES


@pytest.mark.req("LIM-10", "LIM-5", "EKE-REC-1")
def test_responder_does_not_wait_forever_on_an_initiator_that_stops_reading(
    target: Target, app_channel: AppChannel
) -> None:
    """Pipelined gets of the largest known file, never read: once its writes stall for the
    idle timeout the responder must close (it cannot even send `EROR timeout`), and serve
    others meanwhile. One that waits on us delivers everything when we read again."""
    limit = _limit(target.limits.idle_timeout, "idle timeout")
    file = max((f for f in target.files if f.size > 0), key=lambda f: f.size, default=None)
    if file is None:
        known_file(target)  # skips: the target lists no known file
        raise AssertionError("unreachable")
    count = -(-_STALL_BYTES // file.size)
    if count > _STALL_REQUESTS:
        pytest.skip(
            f"LIM-10 needs a known file of at least {_STALL_BYTES // _STALL_REQUESTS} bytes to "
            f"fill the socket buffers (the largest listed, {file.name!r}, has {file.size})"
        )
    stalled = app_channel()
    for _ in range(count):
        stalled.send_frame("RQFL", {"name": file.name})
    started = time.monotonic()
    # LIM-5 meanwhile: a responder stuck writing to one initiator still serves another.
    get_file(app_channel(), known_file(target).name)
    wait = limit * 1.5 + 1.0
    time.sleep(max(0.0, started + wait - time.monotonic()))  # the stall itself, not a sync
    received = dones = 0
    deadline = deadline_after(max(10.0, wait))
    while True:
        event = stalled.recv_frame(deadline)
        broken = getattr(stalled, "violations", None)
        if isinstance(event, Closed) and broken:
            # A record that does not open, where a responder that gave up would leave at
            # most a truncated last one: a short write under back-pressure taken for a
            # whole record (partial send() ignored), then the next record written after it.
            raise ConformanceFailure(
                f"LIM-10: {count} gets of {file.name!r} pipelined, none read for "
                f"{wait:.1f} s, then read: after {received} bytes of DATA, " + "; ".join(broken),
                violates=("EKE-REC-1",),
            )
        if isinstance(event, Closed):
            return  # it gave up on us: what LIM-10 asks
        if not isinstance(event, ReceivedFrame):
            raise ConformanceFailure.evidence(
                f"LIM-10: {count} gets of {file.name!r} ({file.size} bytes) pipelined, none "
                f"read for {wait:.1f} s (idle timeout {limit} s)",
                "the responder closes the connection once its writes stall for the idle timeout",
                f"after {received} bytes and {dones} DONE: {event.describe()} (neither the rest "
                "nor a close)",
            )
        if event.type == b"DATA":
            received += len(event.payload)
        elif event.type == b"DONE":
            dones += 1
            if dones == count:
                # Socket buffers larger than _STALL_BYTES held every file: the responder
                # never blocked, and its idle timeout (LIM-2) ended it long ago, so the
                # end follows at once. One that was blocked is only now idle.
                after = stalled.recv_frame(deadline_after(min(0.5, limit / 2)))
                if isinstance(after, Closed) or (
                    isinstance(after, ReceivedFrame) and after.error_name == "timeout"
                ):
                    pytest.skip(
                        f"the socket buffers held all {received} bytes: the responder "
                        "never had to wait for the suite (LIM-10 not exercised)"
                    )
                raise ConformanceFailure.evidence(
                    f"LIM-10: {count} gets of {file.name!r} ({file.size} bytes) pipelined, "
                    f"none read for {wait:.1f} s (idle timeout {limit} s)",
                    "the responder closes the connection once its writes stall for the idle "
                    "timeout (LIM-10)",
                    f"it waited: all {count} files ({received} bytes) arrived once the suite "
                    "read again, with no close",
                )


@pytest.mark.req("LIM-2")
def test_idle_timeout_applies_again_after_each_kind_of_request(
    target: Target, app_channel: AppChannel
) -> None:
    """The idle timer runs again once a request is answered, whatever the request was: a
    get served, a get refused (non-fatal EROR), a put stored. Three connections wait at
    once, so the case costs one idle timeout. (A responder that drops its timeout for a
    long send, or resets its socket to blocking after a put, passes on a fresh channel.)"""
    limit = _limit(target.limits.idle_timeout, "idle timeout")
    file = known_file(target)
    waiting: list[tuple[str, Channel]] = []
    served = app_channel()
    get_file(served, file.name)
    waiting.append((f"a get of {file.name!r} served", served))
    refused = app_channel()
    get_file(refused, "sft-conformance-no-such-file", also=[ExpectError("not_found")], served=False)
    waiting.append(("a get refused not_found", refused))
    if target.has("put"):
        stored = app_channel()
        data = b"sft-idle"
        stored.send_frame("PUTF", {"name": fresh_name(), "size": len(data)})
        stored.expect([ExpectFrame("RSFL", {"accept": True})]).check("PUTF")
        stored.send_frame("DATA", data)
        stored.send_frame("DONE", {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()})
        stored.expect([ExpectFrame("DONE")]).check("the put is stored")
        waiting.append(("a put stored", stored))
    deadline = deadline_after(limit * 1.5 + 1.0)  # counted from the last answer
    for what, channel in waiting:
        channel.expect([ExpectError("timeout")], timeout=deadline - time.monotonic()).check(
            f"LIM-2: idle for {limit * 1.5 + 1.0:.1f} s after {what} (idle timeout {limit} s)"
        )


@pytest.mark.req("LIM-2", "APP-2")
def test_a_session_that_keeps_asking_is_never_idle(target: Target, app_channel: AppChannel) -> None:
    """LIM-2 closes a connection that *sends nothing* for the idle timeout, so the timer
    runs from the last request, not from the handshake: two gets spaced 0.6 idle timeouts
    apart, the second 1.2 idle timeouts after the channel was up, must both be served on
    one connection. (A responder
    that arms one deadline when the channel is up — a session lifetime, a timer never
    re-armed — times out a busy session; the cases above wait on a fresh or just-answered
    channel and cannot tell.)"""
    limit = _limit(target.limits.idle_timeout, "idle timeout")
    file = known_file(target)
    channel = app_channel()
    gap = 0.6 * limit
    started = time.monotonic()
    for index in range(1, 3):
        time.sleep(gap)  # quiet for less than the idle timeout: the pacing under test
        what = (
            f"LIM-2: get {index} of 2 on one connection, {time.monotonic() - started:.1f} s "
            f"after it was up, {gap:.1f} s after the previous answer (idle timeout {limit} s)"
        )
        channel.send_frame("RQFL", {"name": file.name})
        channel.expect([ExpectFrame("RSFL")]).check(what)
        channel.expect([ExpectFrame("DONE", {"sha256": file.sha256})], skip=["DATA"]).check(
            f"{what}: DONE"
        )


# --------------------------------------------------------------------------------------
# An established session outlives the handshake timeout (docs/SPEC.md §6: LIM-1, APP-2),
# both profiles.
#
# The handshake deadline of LIM-1 is armed at accept and concerns a connection whose secure
# channel is *not* established in time. A responder that arms it on accept and forgets to
# disarm it when the handshake completes (a `setTimeout(destroy, handshake_timeout)` cleared
# only on 'close', a `SO_RCVTIMEO` never reset, a deadline checked on every read) gives
# every connection a lifetime of one handshake timeout: a session that keeps asking is cut
# after it. With the embedded limits (handshake 2 s, idle 1.5 s) the cases above
# are all over within 2 s of accept, so none of them lasts long enough to
# see it. This case keeps one established session busy — a get every fraction of the idle
# timeout, so LIM-2 never allows closing it — until well past the handshake timeout, and
# requires every get to be served on that one connection (APP-2).
# --------------------------------------------------------------------------------------


@pytest.mark.req("LIM-1", "APP-2")
def test_an_established_session_outlives_the_handshake_timeout(
    target: Target, app_channel: AppChannel
) -> None:
    """Gets paced at most 0.4 idle timeouts (and 1 s) apart on one connection, from the
    handshake until the handshake timeout plus 1 s has passed, are all served: the
    handshake deadline ends with the handshake, and LIM-2 allows closing only a quiet
    connection."""
    handshake = target.limits.handshake_timeout
    idle = target.limits.idle_timeout
    if handshake > _MAX_WAIT:
        pytest.skip(f"the target's handshake timeout is {handshake} s (at most {_MAX_WAIT} s)")
    file = known_file(target)
    gap = min(0.4 * idle, 1.0)
    span = handshake + 1.0
    channel = app_channel()
    started = time.monotonic()  # the channel is up: accept was earlier still
    index = 0
    while True:
        index += 1
        elapsed = time.monotonic() - started
        what = (
            f"get {index} on one established connection, {elapsed:.1f} s after its "
            f"handshake (handshake timeout {handshake} s, idle timeout {idle} s; the "
            f"previous answer came at most {gap:.1f} s before)"
        )
        channel.send_frame("RQFL", {"name": file.name})
        channel.expect([ExpectFrame("RSFL")]).check(what)
        channel.expect([ExpectFrame("DONE", {"sha256": file.sha256})], skip=["DATA"]).check(
            f"{what}: DONE"
        )
        if elapsed >= span:
            return
        time.sleep(gap)  # quiet for less than the idle timeout: the pacing under test


# --------------------------------------------------------------------------------------
# A put that stalls until the idle timeout (docs/SPEC.md LIM-2, APP-STORE-3), beside
# `test_idle_timeout_during_a_put` and `test_idle_timeout_inside_a_frame`.
#
# Those check that a stalled put is answered `EROR timeout` and leaves nothing
# under its final name, and that a connection stalled inside a frame is ended (`EROR
# timeout` or a close: both accepted there, for every profile and every place). Two things
# it leaves open, each seen in an implementation whose timeout path differs from its other
# failure paths:
#
# * the temporary file of the timed-out put [APP-STORE-3]: "on any failure — ...
#   timeout ..." it is removed; a responder that forgets it on this one path ("the
#   initiator may come back and resume") keeps the final name free yet fills its inbox
#   with the bytes of every abandoned put (checked when the target declares its `inbox`);
# * sft-pki/1, a put stalled inside a DATA payload: whatever the responder says first
#   (`EROR timeout`, or nothing, as accepted inside a frame above), it ends the
#   TLS connection with `close_notify` [PKI-TLS-7: "at a timeout"] — a responder whose
#   payload reader lets the timeout escape as a transport error aborts the TCP stream
#   (a reset) instead. test_pki_tls.py checks the close_notify of an idle timeout
#   between requests only.
# --------------------------------------------------------------------------------------


@pytest.mark.req("APP-STORE-3", "LIM-2")
def test_put_ended_by_the_idle_timeout_leaves_no_temporary_file(
    target: Target, app_channel: AppChannel
) -> None:
    require(target, "put")
    if target.inbox is None:
        pytest.skip("needs the responder's inbox (target file: inbox) to look for temporaries")
    limit = _limit(target.limits.idle_timeout, "idle timeout")
    sent = os.urandom(1000)
    channel = app_channel()
    channel.send_frame("PUTF", {"name": fresh_name(), "size": 5000})
    channel.expect([ExpectFrame("RSFL", {"accept": True})]).check("PUTF of 5000 bytes")
    channel.send_frame("DATA", sent)
    channel.expect([ExpectError("timeout")], timeout=limit * 1.5 + 1.0).check(
        f"LIM-2: a put stalled after 1000 of 5000 bytes (idle timeout {limit} s)"
    )
    channel.close()
    _assert_no_temporary_holds(
        target, sent, "a put that stalled after 1000 of 5000 bytes until the idle timeout"
    )


@pytest.mark.req("PKI-TLS-7", "LIM-2")
def test_put_stalled_inside_a_data_payload_ends_with_close_notify(
    target: Target, app_channel: AppChannel
) -> None:
    if target.profile != "pki":
        pytest.skip("sft-pki/1 only: close_notify (over sft-eke/1 a frame is one record)")
    require(target, "put")
    limit = _limit(target.limits.idle_timeout, "idle timeout")
    channel = app_channel()
    channel.send_frame("PUTF", {"name": fresh_name(), "size": 5000})
    channel.expect([ExpectFrame("RSFL", {"accept": True})]).check("PUTF of 5000 bytes")
    # A DATA header announcing 4000 bytes, 1000 of them, then silence.
    if not channel.send_raw(struct.pack("!4sI", b"DATA", 4000) + os.urandom(1000)):
        raise ConformanceFailure("LIM-2: could not send part of a DATA frame: the target closed")
    what = f"a put stalled inside a DATA payload (1000 of its 4000 bytes; idle timeout {limit} s)"
    deadline = deadline_after(limit * 1.5 + 1.0 + close_bound(limit))
    seen: list[str] = []
    for _ in range(4):  # at most an EROR timeout, then the end
        event = channel.recv_frame(deadline)
        seen.append(event.describe())
        if isinstance(event, ReceivedFrame) and event.error_name == "timeout":
            continue
        if isinstance(event, Closed):
            if not ended_cleanly(event):
                failure = ConformanceFailure.evidence(
                    f"PKI-TLS-7: {what}",
                    "the responder ends the connection at its idle timeout with a TLS "
                    "close_notify (after EROR timeout), never a bare TCP FIN or reset",
                    "; ".join(seen),
                )
                failure.violates = ("PKI-TLS-7",)
                raise failure
            channel.close()
            return
        break
    failure = ConformanceFailure.evidence(
        f"LIM-2: {what}",
        "EROR timeout (or the close) within the idle timeout and a margin",
        "; ".join(seen),
    )
    failure.violates = ("LIM-2",)
    raise failure
