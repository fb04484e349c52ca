"""LIM-2: a peer that is slow but never silent for the idle timeout is not idle.

LIM-2 counts the idle timeout from the peer's LAST BYTE: a responder "MUST NOT close it for
idleness before the idle timeout it is configured with (LIM-7) has passed since that
byte". test_limits.py and test_ops_idle_floor.py check a connection that goes silent; the
mistakes this file looks for time the wrong span instead, and close a live peer:

- one read deadline for a whole put, set at PUTF (or at the first DATA): an upload longer
  than the idle timeout is cut however steadily its bytes come;
- one deadline per frame, set when its header starts (or per record): a frame whose bytes
  arrive over more than the idle timeout is cut although no gap is that long;
- a watchdog counting from the connection's establishment or from the first request,
  never re-armed: a client that pauses briefly between several requests is cut.

Each case sends in steps separated by pauses of `_GAP` idle timeouts (never as long as the
timeout), for a total well beyond one idle timeout, and expects every answer. Each case
runs two connections at once (a request's, a put's) so that the wait is paid once. The
first case pauses between frames; the second between the pieces of one frame. Over
sft-eke/1 a frame is delivered inside one record (EKE-REC-1): the frame's record is what
trickles, its bytes in separate TCP writes; over sft-pki/1 the frame's bytes go in
separate TLS writes. A deadline armed once per frame or per record and not renewed by
the bytes that arrive fails the second case: LIM-2 counts from the last byte.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Sequence

import pytest

from conformance._wire_fixtures import AppChannel, fresh_name
from conformance.channel import Channel
from conformance.eke_channel import EkeChannel
from conformance.target import Target
from conformance.wire import (
    ConformanceFailure,
    Expectation,
    ExpectError,
    ExpectFrame,
    TimedOut,
    control,
    deadline_after,
    frame_bytes,
)

__all__: list[str] = []

_MAX_IDLE = 12.0  # the longest idle timeout this file waits for
_GAP = 0.45  # each pause, in idle timeouts: well inside the timeout on a loaded machine
_STEPS = 3  # pauses per exchange: 1.35 idle timeouts from its first byte to its last


class _Slow:
    """One connection driven slowly; `last` is when its last byte was sent."""

    def __init__(self, channel: Channel, gap: float, label: str) -> None:
        self.channel = channel
        self.gap = gap
        self.label = label
        self.started = time.monotonic()
        self.last = self.started
        self.log: list[str] = []

    def _note(self, what: str, *, sent: bool = True) -> None:
        now = time.monotonic()
        if sent:
            self.last = now
        self.log.append(f"{now - self.started:5.2f} s  {what}")

    def pause(self) -> None:
        """`gap` seconds of the suite's silence, watching the connection meanwhile: the
        responder has nothing to say then, least of all `EROR timeout` or a close."""
        event = self.channel.recv_frame(deadline_after(self.gap))
        if not isinstance(event, TimedOut):
            self._fail(
                f"silence from the responder during a pause of {self.gap:.2f} s",
                event.describe(),
            )

    def send(self, frame_type: str, payload: bytes | dict[str, object], what: str) -> None:
        self.channel.send_frame(frame_type, payload)
        self._note(what)

    def trickle(self, frame: bytes, what: str) -> None:
        """`frame` in `_STEPS + 1` pieces with a pause before each but the first."""
        if isinstance(self.channel, EkeChannel):
            data = self.channel.seal(frame)
            send: Callable[[bytes], bool] = self.channel.raw.send_raw
        else:
            data = frame
            send = self.channel.send_raw
        cuts = [round(len(data) * k / (_STEPS + 1)) for k in range(_STEPS + 2)]
        for k in range(_STEPS + 1):
            if k:
                self.pause()
            send(data[cuts[k] : cuts[k + 1]])
            self._note(f"{what}: bytes {cuts[k]}..{cuts[k + 1]} of {len(data)}")

    def answer(self, expected: Sequence[Expectation], what: str) -> bool:
        """Reads the answer; False when the put was refused in a way that ends this probe."""
        outcome = self.channel.expect(expected)
        if outcome.ok:
            shown = outcome.frame.describe(80) if outcome.frame else ""
            self._note(f"answer to {what}: {shown}", sent=False)
            return True
        actual = outcome.frame
        if actual is not None and actual.error_name in ("unsupported", "forbidden", "too_large"):
            return False  # the responder refuses puts here: nothing to time
        self._fail(f"the answer to {what}", outcome.describe())
        return False

    def _fail(self, expected: str, actual: str) -> None:
        now = time.monotonic()
        failure = ConformanceFailure.evidence(
            f"LIM-2: {self.label} (idle timeout {self.gap / _GAP:g} s; no pause longer "
            f"than {self.gap:.2f} s)\n" + "\n".join(self.log),
            expected,
            f"{actual}\n          seen {now - self.last:.2f} s after the last byte sent, "
            f"{now - self.started:.2f} s after the first",
            note="a peer that keeps sending is not idle: the idle timeout counts from its "
            "last byte, not from the request, the put or the frame's first byte",
        )
        failure.violates = ("LIM-2",)
        raise failure


def _paused_requests(slow: _Slow) -> None:
    """Requests with a pause after each answer: the connection is idle between them."""
    missing = [ExpectError("not_found", "forbidden")]
    for k in range(_STEPS + 1):
        if k:
            slow.pause()
        name = fresh_name("interop-slow-rq")
        slow.send("RQFL", {"name": name}, f"RQFL #{k + 1} (a name no file has)")
        slow.answer(missing, f"RQFL #{k + 1}")


def _trickled_request(slow: _Slow) -> None:
    """One request whose bytes come in pieces."""
    name = fresh_name("interop-slow-rq")
    slow.trickle(frame_bytes(b"RQFL", control({"name": name})), "one RQFL")
    slow.answer([ExpectError("not_found", "forbidden")], "the trickled RQFL")


def _put(slow: _Slow, content: bytes, deliver: Callable[[], None]) -> None:
    name = fresh_name("interop-slow-put")
    digest = hashlib.sha256(content).hexdigest()
    slow.send("PUTF", {"name": name, "size": len(content), "sha256": digest}, f"PUTF {name!r}")
    if not slow.answer([ExpectFrame("RSFL")], "PUTF"):
        return
    deliver()
    slow.send("DONE", {"size": len(content), "sha256": digest}, "DONE")
    slow.answer([ExpectFrame("DONE", {"size": len(content), "sha256": digest})], "DONE")


def _paused_put(slow: _Slow) -> None:
    """A put whose DATA frames (one byte each) come with a pause before each: four, so that
    a deadline armed at the first DATA (not at PUTF) runs out before DONE too."""
    content = b"abcd"

    def deliver() -> None:
        for k in range(len(content)):
            slow.pause()
            slow.send("DATA", content[k : k + 1], f"DATA #{k + 1} (1 byte)")

    _put(slow, content, deliver)


def _trickled_put(slow: _Slow) -> None:
    """A put whose one DATA frame comes in pieces."""
    content = b"wxyz"
    _put(slow, content, lambda: slow.trickle(frame_bytes(b"DATA", content), "one DATA frame"))


def _side_by_side(
    target: Target, app_channel: AppChannel, jobs: list[tuple[str, Callable[[_Slow], None]]]
) -> None:
    """Runs each job on its own connection, the slow parts at the same time."""
    idle = target.limits.idle_timeout
    if idle > _MAX_IDLE:
        pytest.skip(f"the idle timeout ({idle:g} s) is too long for this case to wait")
    gap = idle * _GAP
    budget = idle * 2 + 5.0
    if not target.has("put"):
        jobs = jobs[:1]  # the first job of each case is a request's
    errors: list[BaseException] = []

    def run(label: str, job: Callable[[_Slow], None], channel: Channel) -> None:
        try:
            job(_Slow(channel, gap, label))
        except BaseException as exc:  # re-raised in the test's thread
            errors.append(exc)

    threads = []
    for label, job in jobs:  # handshakes one after the other, the slow parts side by side
        thread = threading.Thread(target=run, args=(label, job, app_channel(timeout=budget)))
        thread.start()
        threads.append(thread)
    limit = time.monotonic() + (_STEPS + 3) * (gap + budget)
    for thread in threads:
        thread.join(max(0.0, limit - time.monotonic()))
    assert not any(t.is_alive() for t in threads), "a slow exchange did not end in time"
    failures = [e for e in errors if isinstance(e, ConformanceFailure)]
    if failures:
        raise failures[0]
    if errors:
        raise errors[0]


@pytest.mark.req("LIM-2")
def test_a_peer_that_pauses_between_frames_is_never_idle(
    target: Target, app_channel: AppChannel
) -> None:
    """Requests, and a put's DATA frames, each after a pause shorter than the timeout."""
    _side_by_side(
        target,
        app_channel,
        [
            ("requests with a pause after each answer", _paused_requests),
            ("a put whose DATA frames come with pauses", _paused_put),
        ],
    )


@pytest.mark.req("LIM-2")
def test_a_frame_that_trickles_in_is_not_idle(target: Target, app_channel: AppChannel) -> None:
    """A request, and a put's DATA frame, whose bytes come in pieces after pauses."""
    _side_by_side(
        target,
        app_channel,
        [
            ("one request whose bytes trickle in", _trickled_request),
            ("a put whose one DATA frame trickles in", _trickled_put),
        ],
    )
