"""LIM-10: a responder's send timeout covers every write, not only a get's DATA.

LIM-10: "A responder MUST NOT wait forever on a peer that stops reading: when its writes
to a connection make no progress (the peer's receive window stays closed, e.g. during a
get) for the idle timeout (LIM-2), it MUST close the connection". The get is the example,
not the rule. A first draft puts the send timeout in the loop that sends a file and
writes everything else — a refusal, an acknowledgement, a `BYE_` echo — as "a few bytes"
on a blocking socket (a read deadline only, as Go's SetReadDeadline gives). A peer that
pipelines small requests it knows will be refused and never reads the answers then fills
the pipe with refusals alone, and holds the connection (and its slot) for as long as it
likes: test_limits.py and test_ops_stalled_readers_slots.py stall gets, never refusals.

The case opens one honest session, pipelines gets of names
that do not exist (each answered by a non-fatal `EROR not_found`) under a short send
timeout until its own writes stall — the responder, blocked on its answers, no longer
reads — then watches its socket until the responder closes (or the bound passes), then reads. A
responder that closed the stalled connection ends the stream before it answered every
request whose bytes it had; one that waited on its write answers them all once the case
reads again. The case looks at its own socket's TCP state (Linux TCP_INFO), not at the
data: a responder that closed with our requests unread reset the connection while nothing
was read; one whose FIN waits behind its answers ends them early once read.
Still established 10 s (or 3 idle timeouts and 3 s) after the stall, then, once read,
every request answered — the responder was blocked on its write, not gone: FAIL. No
stall within the bounds: INCONCLUSIVE. Both
profiles; the requests are refusals only, so nothing is stored or sent.
"""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest

from conformance._wire_fixtures import TranscriptBook
from conformance.channel import Channel
from conformance.eke_support import sources_for
from conformance.target import Target
from conformance.test_lockout import _honest_channel
from conformance.wire import Closed, ConformanceFailure, ReceivedFrame, TimedOut

__all__: list[str] = []

_MOST_REQUESTS = 400_000  # bound on the pipelined requests (about 30 MB)
_FILL_SECONDS = 60.0  # bound on the time spent filling the pipe
_OUR_SEND_BUFFER = 4096
_FILLER = "x" * 200  # a valid name component (255 bytes at most)
_SEND_STALL = 0.5  # a request whose write waits this long: the responder no longer reads
_BOUND_IDLES = 3.0  # as test_ops_stalled_readers_slots.py: 3 idle timeouts and 3 s
_BOUND_EXTRA = 3.0
_BOUND_LEAST = 10.0
_MOST_POLLS = 2000
_ESTABLISHED = 1  # Linux's TCP_ESTABLISHED (struct tcp_info's first byte)


def _tcp_state(sock: socket.socket) -> int | None:
    """The kernel's state of our end of the connection (Linux TCP_INFO), None if unknown."""
    option = getattr(socket, "TCP_INFO", None)
    if option is None:
        return None
    try:
        info = sock.getsockopt(socket.IPPROTO_TCP, option, 8)
    except OSError:
        return None
    return info[0] if info else None


def _socket_of(channel: Channel) -> socket.socket:
    raw = getattr(channel, "raw", None)
    sock = getattr(raw if raw is not None else channel, "sock", None)
    if not isinstance(sock, socket.socket):
        pytest.skip("INCONCLUSIVE: the channel exposes no socket to size")
    return sock


@pytest.mark.req("LIM-10", "LIM-5")
def test_refusals_to_a_peer_that_stopped_reading_time_out(
    target: Target, transcripts: TranscriptBook, tmp_path: Path
) -> None:
    idle = target.limits.idle_timeout
    if idle > 20.0:
        pytest.skip(f"the idle timeout ({idle:g} s) is too long for this case to wait")
    source = sources_for(target).fresh() or "127.0.0.1"
    channel = _honest_channel(target, source, tmp_path)
    transcripts.add(channel)
    try:
        sock = _socket_of(channel)
        # Our own send queue small (never the receive side: shrinking a window already
        # offered drops segments), the names long: the pipe fills with fewer writes.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, _OUR_SEND_BUFFER)
        sock.settimeout(_SEND_STALL)
        sent = 0
        stalled = False
        until = time.monotonic() + _FILL_SECONDS
        while sent < _MOST_REQUESTS and time.monotonic() < until:  # bounded both ways
            name = f"b25-missing-{sent % 1000:03d}-{_FILLER}.bin"
            if not channel.send_frame("RQFL", {"name": name}):
                stalled = True  # the write did not complete: the responder stopped reading
                break
            sent += 1
        stall_at = time.monotonic()
        if not stalled:
            pytest.skip(
                f"INCONCLUSIVE: {sent} pipelined refusals in {_FILL_SECONDS:g} s never "
                "filled the pipe"
            )
        # LIM-10's clock runs from the last write that made progress, and a kernel that
        # collapses the small segments queued at our end opens the window a little now and
        # then (progress): the bound is generous, beside an EROR timeout and a close.
        bound = stall_at + max(_BOUND_LEAST, idle * _BOUND_IDLES + _BOUND_EXTRA)
        state = _tcp_state(sock)
        if state is None:
            pytest.skip("INCONCLUSIVE: the TCP state of a socket is not readable here (Linux)")
        polls = 0  # from the stall on: a responder that closes ends the wait at once
        while state == _ESTABLISHED and time.monotonic() < bound and polls < _MOST_POLLS:
            polls += 1
            time.sleep(0.1)  # polling the kernel's view of the target's close, bounded
            state = _tcp_state(sock)
        if state != _ESTABLISHED:
            return  # the responder closed (RST, or FIN) while nothing was read: LIM-10 met
        # Still established: either a close whose FIN waits behind unsent answers (then the
        # answers end in a clean EOF), or a responder still waiting on its write.
        answered = 0
        ending = "still open"
        # A stalled connection's retransmission timer backs off: once we read, the next
        # segment may take seconds to come.
        read_until = time.monotonic() + max(30.0, idle * 6)
        while answered < sent and time.monotonic() < read_until:  # bounded by both
            event = channel.recv_frame(time.monotonic() + max(10.0, idle * 2))
            if isinstance(event, Closed):
                ending = f"closed ({event.kind})"
                break
            if isinstance(event, TimedOut):
                ending = f"silent for {event.waited:.1f} s"
                break
            if isinstance(event, ReceivedFrame):
                if event.type == b"EROR" and event.error_name == "not_found":
                    answered += 1
                    continue
                ending = f"{event.describe(80)}"
                break
        if answered < sent:
            # A close whose FIN waited behind the answers it had written, or writes that
            # were still making progress (then cut by LIM-2): it did not answer them all.
            return
        raise ConformanceFailure.evidence(
            f"LIM-10: {sent} gets of missing names pipelined on one session, never read, "
            f"until the case's writes stalled; then "
            f"{bound - stall_at:.1f} s without reading (idle timeout {idle:g} s), then read",
            "the session closed once the responder's writes made no progress for the idle "
            "timeout (a reset, or a FIN behind the answers it had written): not every "
            "request answered",
            f"the connection was still established after {bound - stall_at:.1f} s; once "
            f"read, {answered} of {sent} refusals were answered, then: {ending}",
            note="the responder waited on its writes of refusals for as long as the peer "
            "did not read: its send timeout covers a get's DATA only",
        )
    finally:
        channel.close()
