"""LIM-1 and LIM-2 do not stretch with a length the peer announces.

The class of bug: a timer derived from a value the peer declares — "a big file over a
slow link must not be cut", so the idle timeout of a put becomes the time its announced
size takes at some rate; "a long frame needs time", so the handshake deadline grows with
the length a frame header announces. Every honest, small exchange passes; a peer that
announces the maximum and then goes silent (or trickles) holds the connection, its
thread and its slot for as long as it likes (lens: asymmetric cost). The cases announce
the largest values the target allows — the boundary — and a middle one, on connections
held at the same time (one wait covers them all):

* LIM-2: a put announced at `max_file_size` (and at half of it) that sends one byte and
  then nothing must be closed (`EROR timeout`, or the close) within 1.5 idle timeouts of
  that byte, as any put.
* LIM-1 (sft-eke/1): an EKE1 whose header announces 64 KiB (the handshake frame limit,
  FRM-8) or 4 KiB and whose payload then trickles in must be closed within the handshake
  timeout of the connect (bound 1.5 timeouts + 1 s, as the other trickle cases); bytes
  trickling in do not extend it (LIM-9), whatever the header announced.
"""

from __future__ import annotations

import select
import struct
import time

import pytest

from conformance._wire_fixtures import AppChannel, TranscriptBook, fresh_name, require
from conformance.channel import Channel
from conformance.eke_channel import connect_raw
from conformance.eke_support import sources_for
from conformance.target import Target
from conformance.wire import (
    ConformanceFailure,
    ExpectClose,
    ExpectError,
    ExpectFrame,
    RawConnection,
)

__all__: list[str] = []

_MAX_TIMER = 10.0  # above this declared timeout the cases would wait too long
_HS_LIMIT = 65536  # FRM-8: a handshake (control) frame's payload limit
_TRICKLE = 0.2  # s between two trickled bytes (the condition under test)


@pytest.mark.req("LIM-2")
def test_put_idle_timeout_does_not_grow_with_its_announced_size(
    target: Target, app_channel: AppChannel
) -> None:
    require(target, "put")
    idle = target.limits.idle_timeout
    if idle > _MAX_TIMER:
        pytest.skip(f"the idle timeout ({idle:g} s) is too long for this case to wait out")
    largest = target.limits.max_file_size
    sizes = sorted({largest, max(2, largest // 2)}, reverse=True)
    if largest < 2:
        pytest.skip(f"max_file_size {largest} leaves no put to hold open")
    bound = 1.5 * idle + 1.0
    held: list[tuple[int, Channel, float]] = []
    for size in sizes:
        channel = app_channel(timeout=bound + 5.0)
        name = fresh_name("ops-idle-size")
        channel.send_frame("PUTF", {"name": name, "size": size})
        channel.expect([ExpectFrame("RSFL", {"accept": True})]).check(
            f"PUTF {name!r} announcing {size} bytes (max_file_size {largest})"
        )
        channel.send_frame("DATA", b"\x00")
        held.append((size, channel, time.monotonic()))
    # From here on the suite sends nothing: each put is idle since its one DATA byte.
    for size, channel, last_byte in held:
        remaining = max(0.1, last_byte + bound - time.monotonic())
        outcome = channel.expect([ExpectError("timeout"), ExpectClose()], timeout=remaining)
        if not outcome.ok:
            raise ConformanceFailure(
                f"LIM-2: a put announcing {size} bytes (max_file_size {largest}), one DATA "
                f"byte sent, then nothing\nExpected: EROR timeout (or the close) within "
                f"{bound:.2f} s of that byte (1.5 idle timeouts of {idle:g} s + 1 s)\n"
                f"Actual:   {outcome.describe()} after "
                f"{time.monotonic() - last_byte:.2f} s: the idle timeout grew with the size "
                "the initiator announced",
                violates=("LIM-2",),
            )


def _ended(conn: RawConnection) -> bool:
    """True once the target closed (or reset) `conn`; bytes before it (an EROR) are read."""
    while True:
        readable, _, _ = select.select([conn.sock], [], [], 0)
        if not readable:
            return False
        try:
            data = conn.sock.recv(65536)
        except OSError:
            return True
        if not data:
            return True
        conn.transcript.add("recv", data, "the target's answer (EROR timeout is expected)")


@pytest.mark.req("LIM-1")
def test_handshake_deadline_does_not_grow_with_an_announced_frame_length(
    target: Target, transcripts: TranscriptBook
) -> None:
    if target.profile != "eke":
        pytest.skip("sft-eke/1 handshake frames (sft-pki/1's is TLS's)")
    timeout = target.limits.handshake_timeout
    if timeout > _MAX_TIMER:
        pytest.skip(f"the handshake timeout ({timeout:g} s) is too long to wait out here")
    source = sources_for(target).fresh()  # a failing handshake away from the suite's address
    bound = 1.5 * timeout + 1.0
    lengths = (_HS_LIMIT, 4096)
    conns: list[tuple[int, RawConnection, float]] = []
    try:
        for length in lengths:
            conn = connect_raw(target.host, target.port, timeout=bound + 2.0,
                               name=f"EKE1 announcing {length} bytes", source=source)  # fmt: skip
            started = time.monotonic()
            transcripts.add(conn)
            conn.send_raw(b"EKE1" + struct.pack(">I", length) + b" ")
            conns.append((length, conn, started))
        open_ = list(conns)
        while open_:
            now = time.monotonic()
            for length, conn, started in list(open_):
                if _ended(conn):
                    open_.remove((length, conn, started))
                elif now - started > bound:
                    raise ConformanceFailure(
                        f"LIM-1: an EKE1 header announcing {length} bytes (the handshake frame "
                        f"limit is {_HS_LIMIT}), then its payload one byte every {_TRICKLE:g} s\n"
                        f"Expected: the connection closed within {bound:.2f} s of its connect "
                        f"(handshake timeout {timeout:g} s; trickling bytes do not extend it, "
                        "LIM-9)\n"
                        f"Actual:   still open after {now - started:.2f} s: the deadline grew "
                        "with the length the client announced",
                        violates=("LIM-1",),
                    )
                else:
                    conn.send_raw(b" ")  # JSON white space: a payload that never ends
            if open_:
                # Paces the trickle (bounded by `bound`); the trickle is the condition.
                select.select([c.sock for _, c, _ in open_], [], [], _TRICKLE)
    finally:
        for _, conn, _ in conns:
            conn.close()
