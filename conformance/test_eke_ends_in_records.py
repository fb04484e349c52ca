"""sft-eke/1: however a session ends after EKE4, the server's last words are records (SPEC
§5.5 EKE-REC-4, EKE-REC-5; §6 LIM-2).

"Nothing is sent in clear after the handshake" (EKE-REC-4) binds the server's own endings
too. The record layer is on the happy path; the endings are not: a timer that fires (the
idle timeout between requests, inside a put, inside a half-sent record) is often written
by a watchdog or a timeout handler that holds the socket but not the record state, and a
first draft writes its `EROR timeout` with the raw frame writer: a plaintext `EROR` after
EKE4. Cases that read the timeout as "the connection ended" pass it (a plaintext frame ends
the suite's channel too). Here every byte the server sends after EKE4, up to its close,
MUST be records that open under the next sequence number: the idle timeout at three places
(all stalled at once, so the case waits one idle timeout in all), and a fatal error
(`DONE` in IDLE, unexpected_frame) for the non-timer path.
"""

from __future__ import annotations

import struct
import time
from collections.abc import Callable

import pytest

from conformance._wire_fixtures import fresh_name, get_file, known_file
from conformance.eke_channel import EkeChannel
from conformance.target import Target
from conformance.wire import (
    Closed,
    ConformanceFailure,
    Event,
    ReceivedFrame,
    TimedOut,
    deadline_after,
)

ChannelFactory = Callable[..., EkeChannel]

_MAX_WAIT = 12.0  # the longest idle timeout the suite waits for
_MAX_EVENTS = 16  # frames read from one stalled connection before giving up on it


def _drain(channel: EkeChannel, end: float) -> tuple[list[str], Event]:
    """The frames the server sends until it closes (or `end`), and the last event."""
    seen: list[str] = []
    event: Event = TimedOut(0.0)
    for _ in range(_MAX_EVENTS):
        event = channel.recv_frame(max(time.monotonic() + 0.2, end))
        if not isinstance(event, ReceivedFrame):
            break
        seen.append(event.describe(80))
    return seen, event


def _text(context: str, expected: str, actual: str) -> str:
    return f"{context}\nExpected: {expected}\nActual:   {actual}"


def _in_clear(channel: EkeChannel) -> list[str]:
    return [v for v in channel.violations if v.startswith(("EKE-REC-5", "EKE-REC-4"))]


@pytest.mark.req("EKE-REC-4", "LIM-2")
def test_idle_timeouts_answer_in_records(
    eke_target: Target, eke_channel_factory: ChannelFactory
) -> None:
    limit = eke_target.limits.idle_timeout
    if not limit or limit > _MAX_WAIT:
        pytest.skip(f"the target's idle timeout is {limit} s (the suite waits {_MAX_WAIT} s)")
    stalls: dict[str, EkeChannel] = {}
    # Between requests, after a whole get: the session is established and in use.
    channel = eke_channel_factory()
    if eke_target.has("get"):
        get_file(channel, known_file(eke_target).name)
    stalls["between requests"] = channel
    # Inside a record: half of a RECD header on the stream.
    channel = eke_channel_factory()
    if not channel.raw.send_raw(b"RECD\x00"):
        raise ConformanceFailure("EKE-REC-4: the target closed before the stall began")
    stalls["inside a record's header"] = channel
    # Inside a put: 1000 of 5000 announced bytes, then silence.
    if eke_target.has("put"):
        channel = eke_channel_factory()
        channel.send_frame("PUTF", {"name": fresh_name(), "size": 5000})
        answer = channel.recv_frame()
        if isinstance(answer, ReceivedFrame) and answer.type == b"RSFL":
            channel.send_frame("DATA", b"z" * 1000)
            stalls["inside a put"] = channel
        else:
            channel.close()
    end = deadline_after(limit * 1.5 + 1.0)
    in_clear: list[str] = []
    not_ended: list[str] = []
    for where, ch in stalls.items():
        seen, last = _drain(ch, end)
        found = _in_clear(ch)
        if found:
            in_clear.append(f"idle {where}: {'; '.join(found)} (records before it: {seen})")
        elif not isinstance(last, Closed):
            not_ended.append(f"idle {where}: still open after {limit * 1.5 + 1.0:.1f} s ({seen})")
        ch.close()
    if in_clear:
        raise ConformanceFailure(
            _text(
                f"EKE-REC-4: sessions left idle after EKE4 (idle timeout {limit} s)",
                "EROR timeout sealed in a record that opens under the next sequence number, "
                "or a close without a word: nothing in clear after the handshake",
                "\n".join(in_clear),
            ),
            violates=("EKE-REC-4",),
        )
    if not_ended:
        raise ConformanceFailure(
            _text(
                f"LIM-2: sessions left idle after EKE4 (idle timeout {limit} s)",
                f"EROR timeout (or the close) within {limit * 1.5 + 1.0:.1f} s",
                "\n".join(not_ended),
            ),
            violates=("LIM-2",),
        )


@pytest.mark.req("EKE-REC-4")
def test_fatal_error_after_eke4_is_a_record(
    eke_target: Target, eke_channel_factory: ChannelFactory
) -> None:
    channel = eke_channel_factory()
    payload = b'{"size":0,"sha256":"' + b"0" * 64 + b'"}'
    channel.send_raw(struct.pack("!4sI", b"DONE", len(payload)) + payload)
    seen, last = _drain(channel, deadline_after(channel.timeout))
    found = _in_clear(channel)
    if found:
        raise ConformanceFailure(
            _text(
                "EKE-REC-4: DONE in IDLE after EKE4 (unexpected_frame, fatal)",
                "EROR unexpected_frame sealed in a record, then the close: nothing in clear",
                f"{'; '.join(found)} (records before it: {seen}; last: {last.describe()})",
            ),
            violates=("EKE-REC-4",),
        )
