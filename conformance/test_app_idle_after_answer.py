"""LIM-2: the time a responder spends answering is not idle time (both profiles).

LIM-2: "Time the responder spends answering (sending a get, storing a put) is not idle
time: after the responder's last frame of an answer, the initiator has the whole idle
timeout to send its next request." A responder whose idle deadline runs from the
initiator's last byte (or from the request it is answering) also while it sends a get
closes the connection with `EROR timeout` as soon as a long get ends, before the
initiator could ask anything else.

The case pipelines gets of the largest known file (more than a loopback connection's
buffers hold, our receive buffer at 64 KiB, APP-2: answered in order) and reads them at a
steady pace of one MiB per 0.4 idle timeouts, frame by frame — no DATA frame takes
anywhere near the idle timeout to read, so LIM-10's send timeout never applies — then at
full speed once the responder has written everything. Meanwhile it polls the kernel's
socket queues (Linux `/proc/net/tcp`: the responder's unacknowledged bytes and our unread
ones) to learn, from the wire and not from guesses about buffer sizes, two moments:
- `started`: by then the responder had written more than every answer before the last,
  so it had taken the last request and begun its answer;
- `writing`: at that moment the responder had not yet written the last answer's bytes,
  so its last frame came later.
The next request (a get of a name no file has) is sent 0.3 idle timeouts after DONE was
read, brought inside [started + 1.1 x idle, writing + idle - 0.1 x idle - 50 ms]: the
responder must answer it (RSFL or a non-fatal EROR). A responder that counts its own
answering as idle time has timed out by then; a conforming one still has time left. When
the window is empty (the responder wrote everything too early to be judged, or the
kernel queues cannot be read) the case is INCONCLUSIVE or skipped, never a PASS.

No put variant: during a put the initiator is the one sending (the cases of LIM-2's
first sentence time that), and the responder's storing, between the initiator's DONE and
its receipt, takes milliseconds on a loopback target: a timer counting it as idle time
would shorten the wait after the receipt by too little to be told from timer slack.
(test_ops_idle_floor.py pauses for nearly the idle timeout after a short answer.)
"""

from __future__ import annotations

import socket
import time
from dataclasses import dataclass

import pytest

from conformance._proc import hex_forms
from conformance._wire_fixtures import AppChannel, fresh_name
from conformance.channel import Channel
from conformance.plugin import inconclusive
from conformance.target import KnownFile, Target
from conformance.wire import ConformanceFailure, ExpectError, ExpectFrame, ReceivedFrame

__all__: list[str] = []

_MIB = 1024 * 1024
_MOST_IDLE = 5.0  # a longer idle timeout makes the paced read too long here
_PIPELINED = 7 * _MIB  # more than a loopback connection's buffers hold (sender's ~3 MiB)
_MOST_GETS = 8
_RCVBUF = 64 * 1024
_PACE = 0.4  # idle timeouts per MiB read: a 1 MiB DATA frame in well under the timeout
_POLL = 0.05  # seconds between two looks at the kernel's queues
_AFTER_DONE = 0.3  # idle timeouts between DONE read and the next request (the aim)
_MUTANT_MARGIN = 0.1  # idle timeouts past `started` + idle before the request goes out
_SPEC_MARGIN = 0.1  # idle timeouts (and _SPEC_SLACK s) before `writing` + idle
_SPEC_SLACK = 0.05
# Wire bytes per plaintext frame byte, and bytes a reader may hold unparsed (a 64 KiB
# socket read, a TLS record): the bounds that turn frame counts into wire counts.
_WIRE_RATIO = 1.01
_READ_AHEAD = 128 * 1024
# Bytes that may pass from the responder's queue to ours between the two lines of one
# look (the tables are not one snapshot): at most our receive buffer (doubled by Linux).
_BETWEEN_LINES = 2 * _RCVBUF
_ANSWER_SLACK = 4096


@dataclass(frozen=True)
class _Look:
    begun: float  # when the look at the kernel's tables began (the "still writing" stamp)
    at: float  # when it ended (the "had begun the last answer" stamp)
    consumed: int  # frame bytes the case had read since its requests
    queued: int  # responder's unacknowledged bytes + ours not read (from the kernel)


class _Queues:
    """Bytes on their way from the responder to us, as Linux's /proc/net/tcp counts them
    (the responder's socket may be an IPv6 one, in /proc/net/tcp6)."""

    def __init__(self, sock: socket.socket) -> None:
        ours, theirs = sock.getsockname(), sock.getpeername()
        self._ours = hex_forms(ours[:2])
        self._theirs = hex_forms(theirs[:2])

    def read(self) -> int | None:
        sent = unread = None
        for path in ("/proc/net/tcp", "/proc/net/tcp6"):
            try:
                with open(path, encoding="ascii") as table:
                    for line in table:
                        parts = line.split()
                        if len(parts) < 5:
                            continue
                        local, remote = parts[1], parts[2]
                        if local in self._theirs and remote in self._ours:
                            sent = int(parts[4].split(":")[0], 16)  # responder's tx_queue
                        elif local in self._ours and remote in self._theirs:
                            unread = int(parts[4].split(":")[1], 16)  # our rx_queue
            except (OSError, ValueError):
                continue
        if sent is None or unread is None:
            return None
        return sent + unread


def _still_writing(look: _Look, total: int) -> bool:
    """At `look.begun` the responder had not yet written `total` bytes: what it had
    written (what we read, at most _WIRE_RATIO times the frame bytes plus what our reader
    holds unparsed, plus the queues) is less."""
    written = look.consumed * _WIRE_RATIO + _READ_AHEAD + _BETWEEN_LINES + look.queued
    return written < total


def _largest_file(target: Target) -> KnownFile:
    known = [f for f in target.files if _MIB <= f.size <= target.limits.max_file_size]
    if not known:
        pytest.skip("needs a known file ([files]) of at least 1 MiB within the max file size")
    return max(known, key=lambda f: f.size)


def _socket_of(channel: Channel) -> socket.socket:
    raw = getattr(channel, "raw", channel)
    sock = getattr(raw, "sock", None)
    if not isinstance(sock, socket.socket):
        pytest.skip("the channel exposes no socket to size and observe")
    return sock


@pytest.mark.req("LIM-2")
def test_the_next_request_after_a_long_answer_is_answered(
    target: Target, app_channel: AppChannel
) -> None:
    idle = target.limits.idle_timeout
    if idle > _MOST_IDLE:
        pytest.skip(f"the idle timeout ({idle:g} s) makes the paced read too long here")
    if not target.has("get"):
        pytest.skip("the target declares no gets")
    file = _largest_file(target)
    channel = app_channel(timeout=idle * 2 + 5.0)
    sock = _socket_of(channel)
    try:
        queues = _Queues(sock)
    except (OSError, ValueError):
        pytest.skip("needs an IPv4 loopback target (the kernel's queues are read per socket)")
    if queues.read() is None:
        pytest.skip("the kernel's socket queues (/proc/net/tcp, tcp6) show no such connection here")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, _RCVBUF)
    gets = min(_MOST_GETS, -(-_PIPELINED // file.size))
    rate = _MIB / (_PACE * idle)  # frame bytes per second while pacing
    for _ in range(gets):
        channel.send_frame("RQFL", {"name": file.name})
    asked = time.monotonic()
    looks: list[_Look] = []
    consumed = 0
    before_last = -1  # frame bytes of every answer before the last, once read
    answers = 0
    paced = True
    last_look = 0.0

    def look() -> None:
        nonlocal last_look, paced
        begun = time.monotonic()
        queued = queues.read()
        last_look = time.monotonic()
        if queued is None:
            return
        looks.append(_Look(begun, last_look, consumed, queued))
        if not _still_writing(looks[-1], gets * file.size):
            paced = False  # the responder may have written everything: read the rest fast

    look()
    done_at = 0.0
    read_until = asked + gets * file.size / rate + idle * 4 + 10.0
    while answers < gets:  # bounded by the frames of `gets` answers and `read_until`
        event = channel.recv_frame(read_until)
        if not isinstance(event, ReceivedFrame):
            raise ConformanceFailure.evidence(
                f"LIM-2: {gets} pipelined gets of {file.name!r} ({file.size} bytes), read at "
                f"one MiB per {_PACE * idle:.2f} s (idle timeout {idle:g} s)",
                "every answer: RSFL, DATA, DONE",
                f"after {answers} answers and {consumed} frame bytes: {event.describe()}",
                note="a responder that counts its own sending as idle time ends the "
                "connection in the middle of a long transfer",
            )
        consumed += len(event.raw)
        if event.type == b"DONE":
            answers += 1
            done_at = time.monotonic()
            if answers == gets - 1:
                before_last = consumed
        elif event.type not in (b"RSFL", b"DATA"):
            raise ConformanceFailure.evidence(
                f"LIM-2: {gets} pipelined gets of {file.name!r} ({file.size} bytes)",
                "RSFL, DATA and DONE for each",
                f"after {answers} answers: {event.describe()}",
            )
        while paced:  # the pace of the read: the case's subject, not synchronisation
            now = time.monotonic()
            if now - last_look >= _POLL:
                look()
                continue
            wait = asked + consumed / rate - now
            if wait <= 0:
                break
            time.sleep(min(wait, _POLL - (now - last_look)) + 0.001)
        if time.monotonic() - last_look >= _POLL and paced:
            look()
    # `started`: the responder had written more than the answers before the last.
    upper_before = before_last * _WIRE_RATIO + _ANSWER_SLACK
    started = next((lk.at for lk in looks if lk.consumed + lk.queued > upper_before), None)
    # `writing`: the responder had not yet written the last answer's file bytes.
    lower_total = gets * file.size
    writing = max((lk.begun for lk in looks if _still_writing(lk, lower_total)), default=None)
    if started is None or writing is None:
        inconclusive(
            f"the kernel's queues showed no moment when the responder was inside the last "
            f"of {gets} gets of {file.size} bytes ({len(looks)} looks)"
        )
        return
    low = max(done_at, started + idle * (1 + _MUTANT_MARGIN))
    high = writing + idle * (1 - _SPEC_MARGIN) - _SPEC_SLACK
    if low > high:
        inconclusive(
            f"the responder began its last answer {started - asked:.2f} s after the "
            f"requests and was last seen writing it {writing - asked:.2f} s after them; DONE "
            f"read at {done_at - asked:.2f} s: no moment both a timer counting the answer "
            f"and one counting from its end (idle timeout {idle:g} s) could be told apart "
            f"({len(looks)} looks)"
        )
        return
    send_at = max(low, min(high, done_at + idle * _AFTER_DONE))
    time.sleep(max(0.0, send_at - time.monotonic()))  # the initiator's pause under test
    sent = time.monotonic()
    if sent > writing + idle * (1 - _SPEC_MARGIN / 2):  # half the margin for a late wake
        inconclusive(
            f"the case woke {sent - send_at:.2f} s late (a loaded machine): the request "
            f"would go {sent - writing:.2f} s after the responder was last seen writing "
            f"(idle timeout {idle:g} s)"
        )
        return
    name = fresh_name("app-idle-after-answer")  # names no file: a short answer
    delivered = channel.send_frame("RQFL", {"name": name})
    outcome = channel.expect(
        [ExpectError("not_found", "forbidden"), ExpectFrame("RSFL")], timeout=idle + 5.0
    )
    if not delivered or not outcome.ok:
        failure = ConformanceFailure.evidence(
            f"LIM-2: {gets} pipelined gets of {file.name!r} ({file.size} bytes each) read "
            f"at one MiB per {_PACE * idle:.2f} s (idle timeout {idle:g} s); the responder "
            f"was seen beginning the last answer {started - asked:.2f} s after the requests "
            f"and still writing it at {writing - asked:.2f} s; its DONE read at "
            f"{done_at - asked:.2f} s; then RQFL {name!r} sent at {sent - asked:.2f} s",
            f"an answer to the request (RSFL or EROR not_found): {writing + idle - sent:.2f} s "
            "of the idle timeout were still left after the responder's last frame",
            ("the request could not be sent (the connection was gone); " if not delivered else "")
            + outcome.describe(),
            note="the idle deadline runs while the responder itself is answering (from the "
            "initiator's last byte, or from the request): a long get is followed by EROR "
            "timeout before the initiator could ask anything else",
        )
        failure.violates = ("LIM-2",)
        raise failure
