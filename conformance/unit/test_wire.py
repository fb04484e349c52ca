"""Unit tests of the toolkit's frame layer (no target needed).

Parsers are fed whole, one byte at a time and with trailing data (docs/ARCHITECTURE.md §5 rule 4);
`RawConnection` is exercised against a socketpair that plays a scripted target.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from conformance.channel import Channel
from conformance.wire import (
    Closed,
    ConformanceFailure,
    ExpectClose,
    ExpectError,
    ExpectFrame,
    ExpectSilence,
    FrameReader,
    RawConnection,
    ReceivedFrame,
    TimedOut,
    control,
    deadline_after,
    error_payload,
    frame_bytes,
    header_bytes,
)

FRAMES = [
    frame_bytes("RQFL", control({"name": "a.txt"})),
    frame_bytes("DATA", b"\x00" * 300),
    frame_bytes("DONE", control({"size": 300, "sha256": "0" * 64})),
    frame_bytes("BYE_", b"{}"),
]


def test_frame_bytes_builds_valid_and_lying_frames() -> None:
    assert frame_bytes("BYE_", b"{}") == b"BYE_\x00\x00\x00\x02{}"
    assert frame_bytes(b"rq\x00!", b"x", length=7) == b"rq\x00!\x00\x00\x00\x07x"
    assert header_bytes("DATA", 2**32 - 1) == b"DATA\xff\xff\xff\xff"
    assert header_bytes("AB", 1) == b"AB\x00\x00\x00\x01"


@pytest.mark.parametrize("split", ["whole", "bytewise"])
def test_reader_reassembles_in_any_split(split: str) -> None:
    stream = b"".join(FRAMES)
    reader = FrameReader()
    pieces = [stream] if split == "whole" else [stream[i : i + 1] for i in range(len(stream))]
    got: list[ReceivedFrame] = []
    for piece in pieces:
        reader.feed(piece)
        got.extend(reader.frames())
    assert [f.raw for f in got] == FRAMES
    assert reader.buffered == b""


def test_reader_keeps_trailing_partial_frame() -> None:
    reader = FrameReader()
    reader.feed(FRAMES[0] + FRAMES[1][:5])
    assert [f.raw for f in reader.frames()] == [FRAMES[0]]
    assert reader.buffered == FRAMES[1][:5]
    reader.feed(FRAMES[1][5:])
    assert [f.raw for f in reader.frames()] == [FRAMES[1]]


def test_reader_stops_at_hard_limit_without_buffering() -> None:
    reader = FrameReader(hard_limit=1000)
    reader.feed(header_bytes("DATA", 1001))
    assert reader.next_frame() is None
    assert reader.oversize == 1001


def test_error_frame_fields_and_sender_violations() -> None:
    good = ReceivedFrame(b"EROR", error_payload("not_found", "no such file"))
    assert good.error_code == 6 and good.error_name == "not_found"
    assert good.violations() == []
    bad = ReceivedFrame(b"EROR", b'{"code": 6, "name": "bad_frame", "message": "x"}')
    assert any("ERR-1" in v for v in bad.violations())
    assert any("FRM-2" in v for v in ReceivedFrame(b"rq!!", b"{}").violations())
    assert any("FRM-13" in v for v in ReceivedFrame(b"DATA", b"").violations())
    dup = ReceivedFrame(b"DONE", b'{"size":1,"size":1,"sha256":"' + b"0" * 64 + b'"}')
    assert dup.json() is None and dup.violations()
    assert any("FRM-11" in v for v in ReceivedFrame(b"RSFL", b'{"size":1.5}').violations())


def test_expectations_match_only_their_events() -> None:
    eror = ReceivedFrame(b"EROR", error_payload("bad_frame"))
    rsfl = ReceivedFrame(b"RSFL", control({"name": "a", "size": 1}))
    assert ExpectError("bad_frame").matches(eror)
    assert not ExpectError("not_found").matches(eror)
    assert ExpectError().matches(eror)
    assert ExpectError("bad_frame").then_close and not ExpectError("not_found").then_close
    assert ExpectFrame("RSFL", {"size": 1}).matches(rsfl)
    assert not ExpectFrame("RSFL", {"size": 2}).matches(rsfl)
    assert ExpectClose().matches(Closed("eof")) and not ExpectClose().matches(rsfl)
    assert ExpectSilence().matches(TimedOut(0.1))
    assert not ExpectSilence().matches(TimedOut(0.1, b"EROR"))


class ScriptedPeer:
    """The far end of a socketpair, driven by the test thread through a queue of actions."""

    def __init__(self) -> None:
        self.ours, self.theirs = socket.socketpair()
        self.conn = RawConnection(self.ours, name="unit", timeout=2.0)

    def close(self) -> None:
        self.conn.close()
        self.theirs.close()


@pytest.fixture
def peer() -> Iterator[ScriptedPeer]:
    pair = ScriptedPeer()
    yield pair
    pair.close()


def test_raw_connection_is_a_channel(peer: ScriptedPeer) -> None:
    assert isinstance(peer.conn, Channel)


def test_expect_fatal_error_then_close_passes(peer: ScriptedPeer) -> None:
    peer.theirs.sendall(frame_bytes("EROR", error_payload("bad_frame")))
    peer.theirs.shutdown(socket.SHUT_WR)
    outcome = peer.conn.expect([ExpectError("bad_frame"), ExpectClose()])
    assert outcome.ok and isinstance(outcome.matched, ExpectError)
    assert [type(e) for e in outcome.events] == [ReceivedFrame, Closed]


def test_expect_fatal_error_without_close_fails_with_evidence(peer: ScriptedPeer) -> None:
    peer.theirs.sendall(frame_bytes("EROR", error_payload("bad_frame")))
    outcome = peer.conn.expect(ExpectError("bad_frame"), timeout=0.2)
    assert not outcome.ok
    with pytest.raises(ConformanceFailure) as info:
        outcome.check("FRM-9: duplicate key")
    text = str(info.value)
    assert "Expected: EROR bad_frame then close" in text
    assert "Actual:   EROR bad_frame" in text and "ERR-3" in text
    assert "45 52 4f 52" in text  # hex of the received frame


def test_expect_wrong_frame_reports_actual(peer: ScriptedPeer) -> None:
    peer.theirs.sendall(frame_bytes("RSFL", control({"name": "x", "size": 0})))
    outcome = peer.conn.expect([ExpectError("not_found")])
    assert not outcome.ok
    assert "RSFL" in outcome.describe()


def test_recv_frame_times_out_with_partial_bytes(peer: ScriptedPeer) -> None:
    peer.theirs.sendall(b"EROR\x00\x00")
    started = time.monotonic()
    event = peer.conn.recv_frame(deadline_after(0.2))
    assert isinstance(event, TimedOut) and event.partial == b"EROR\x00\x00"
    assert 0.15 <= time.monotonic() - started < 2.0


def test_close_inside_a_frame_is_reported_with_partial(peer: ScriptedPeer) -> None:
    peer.theirs.sendall(b"DATA\x00\x00\x00\x10abc")
    peer.theirs.close()
    event = peer.conn.recv_frame()
    assert isinstance(event, Closed) and event.partial == b"DATA\x00\x00\x00\x10abc"


def test_send_split_bytewise_and_chunks_deliver_same_bytes(peer: ScriptedPeer) -> None:
    data = b"".join(FRAMES)
    received = bytearray()
    done = threading.Event()

    def drain() -> None:
        peer.theirs.settimeout(5)
        while len(received) < 2 * len(data):
            chunk = peer.theirs.recv(65536)
            if not chunk:
                break
            received.extend(chunk)
        done.set()

    thread = threading.Thread(target=drain, daemon=True)
    thread.start()
    assert peer.conn.send_split(data)
    assert peer.conn.send_split(data, [3, 5, 8])
    assert done.wait(5)
    assert bytes(received) == data + data
    # one transcript entry per piece: the byte-at-a-time delivery is on record
    sends = [e for e in peer.conn.transcript.entries if e.direction == "send"]
    assert len(sends) == len(data) + 4


def test_skip_reads_past_data_frames(peer: ScriptedPeer) -> None:
    peer.theirs.sendall(
        frame_bytes("DATA", b"ab") + frame_bytes("DATA", b"cd") + frame_bytes("DONE", b"{}")
    )
    assert peer.conn.expect(ExpectFrame("DONE"), skip=["DATA"]).ok


def test_transcript_is_timestamped_and_serialisable(peer: ScriptedPeer) -> None:
    peer.conn.send_frame("BYE_", {})
    peer.theirs.sendall(frame_bytes("BYE_", b"{}"))
    peer.conn.recv_frame()
    doc = peer.conn.transcript.to_json()
    dirs = [e["dir"] for e in doc["entries"]]
    assert dirs == ["send", "recv"]
    assert doc["entries"][0]["hex"] == frame_bytes("BYE_", b"{}").hex()
    assert "->" in peer.conn.transcript.to_text() and "<-" in peer.conn.transcript.to_text()


def test_scenario_passes_and_fails_with_the_failing_step(peer: ScriptedPeer) -> None:
    from conformance.scenario import Expect, Scenario, Send, SendFrame

    peer.theirs.sendall(frame_bytes("EROR", error_payload("bad_frame")))
    peer.theirs.shutdown(socket.SHUT_WR)
    good = Scenario(
        "bad json",
        (
            Send(frame_bytes("RQFL", b"{"), chunks=[3, 4]),
            Expect(ExpectError("bad_frame"), ExpectClose()),
        ),
        ("FRM-9",),
    )
    assert good.run(peer.conn).ok
    bad = Scenario("wants RSFL", (SendFrame("RQFL", {"name": "x"}), Expect(ExpectFrame("RSFL"))))
    result = bad.run(peer.conn)
    assert not result.ok and result.failed_step == 1
    with pytest.raises(ConformanceFailure, match=r"step 1 .*expect RSFL"):
        result.check()


def test_split_send_through_scenario_transport(peer: ScriptedPeer) -> None:
    from conformance.scenario import send_split_frames, transport_of

    conn, data = transport_of(peer.conn, FRAMES[:2])
    assert conn is peer.conn and data == FRAMES[0] + FRAMES[1]
    assert send_split_frames(peer.conn, FRAMES[:2], [1, 7])
    peer.theirs.settimeout(2)
    got = bytearray()
    while len(got) < len(data):
        got += peer.theirs.recv(65536)
    assert bytes(got) == data


def test_stack_trace_in_error_message_is_a_violation() -> None:
    message = 'Traceback (most recent call last):\n  File "/srv/app.py", line 1'
    frame = ReceivedFrame(b"EROR", error_payload("internal", message))
    assert any("ERR-6" in v for v in frame.violations())


def test_expectations_combine_with_or() -> None:
    options = ExpectError("bad_frame") | ExpectClose() | ExpectFrame("RSFL")
    assert [type(o) for o in options] == [ExpectError, ExpectClose, ExpectFrame]


def test_transport_of_a_record_channel_seals_one_record_per_frame(peer: ScriptedPeer) -> None:
    """For a channel with `seal` and `raw` (sft-eke), splits apply to the sealed records."""
    from conformance.scenario import transport_of

    class RecordChannel:
        def __init__(self, raw: RawConnection) -> None:
            self.raw = raw
            self.transcript = raw.transcript
            self.timeout = raw.timeout

        def seal(self, inner: bytes) -> bytes:
            return frame_bytes("RECD", inner[::-1])

    fake = RecordChannel(peer.conn)
    conn, data = transport_of(fake, FRAMES[:2])  # type: ignore[arg-type]
    assert conn is peer.conn
    assert data == frame_bytes("RECD", FRAMES[0][::-1]) + frame_bytes("RECD", FRAMES[1][::-1])
