"""A responder keeps serving others while one connection is stuck inside a frame
(docs/SPEC.md §6 LIM-5), on both profiles.

LIM-5: a responder MUST keep serving other connections, and accept new ones, whatever
one connection sends or does — slow sending included. The other LIM-5 cases hold
connections that are silent, or that misbehave between frames; this one holds two
established connections in the middle of a frame, where a reader is blocked in "read
the rest of this payload" — the place where an implementation that reads under a lock
(a `synchronized` block around a payload read, a module lock around a record read, an
inbox lock held while a put's `DATA` arrives) stalls everyone else:

* A: a put accepted (`RSFL {accept}`), then a `DATA` frame whose header and first bytes
  arrive and whose payload then trickles, one byte every `_TRICKLE_EVERY` s (over
  sft-eke/1 the `RECD` record that carries it, byte by byte);
* B: in the idle state, an `RQFL` whose header and first bytes arrive, the rest
  trickling the same way.

The bytes keep coming, so neither connection is idle (LIM-2): a responder may keep
them open as long as they trickle. Meanwhile the suite opens fresh connections: a new
handshake and a get of a known file, and (feature `put`) a new handshake and a put of a
fresh small file. Both MUST complete within `_WITHIN` seconds of A and B being stuck —
far less than the time the trickle keeps them stuck. A responder that serialises the
accept loop, the handshakes or the puts behind the stuck reader lets them wait until the
trickle ends. The trickle ends and A, B are closed once the judged work is done (A's
partial file is then discarded by the responder: not judged here).
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Callable

import pytest

from conformance._wire_fixtures import AppChannel, fresh_name, get_file, known_file, put_file
from conformance.channel import Channel
from conformance.eke_channel import EkeChannel
from conformance.target import Target
from conformance.wire import ConformanceFailure, ExpectFrame, frame_bytes

__all__: list[str] = []

_TRICKLE_EVERY = 0.25  # seconds between two trickled bytes
_TRICKLE_FOR = 20.0  # the most the stuck connections are kept stuck (ended earlier)
_WITHIN = 8.0  # the fresh connections' work must be done within this
_PUT_SIZE = 4096
_HEAD = 24  # bytes of the stuck frame sent at once (its header and a little more)


def _stuck_bytes(channel: Channel, inner: bytes) -> tuple[Callable[[bytes], bool], bytes]:
    """How to send bytes of `inner` (one application frame) on `channel`, and the bytes
    to send: over sft-eke/1 the RECD record that carries it, raw; over sft-pki/1 the
    frame itself on the TLS stream."""
    if isinstance(channel, EkeChannel):
        return channel.raw.send_raw, channel.seal(inner)
    return channel.send_raw, inner


class _Trickle:
    """Sends `data[:_HEAD]` at once, then one byte every `_TRICKLE_EVERY` s (never the
    last one) until stopped or `_TRICKLE_FOR` has passed."""

    def __init__(self, send: Callable[[bytes], bool], data: bytes) -> None:
        self.send, self.data = send, data
        self.stop = threading.Event()
        self.sent = 0
        self.ended = ""
        self.thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        if not self.send(self.data[:_HEAD]):
            self.ended = "the responder closed before the stuck frame's first bytes"
            return
        self.sent = _HEAD
        self.thread.start()

    def _run(self) -> None:
        end = time.monotonic() + _TRICKLE_FOR
        while self.sent < len(self.data) - 1 and time.monotonic() < end:
            if self.stop.wait(_TRICKLE_EVERY):
                return
            if not self.send(self.data[self.sent : self.sent + 1]):
                self.ended = f"the responder closed it after {self.sent} bytes"
                return
            self.sent += 1

    def finish(self) -> None:
        self.stop.set()
        if self.thread.is_alive():
            self.thread.join(_TRICKLE_EVERY * 4)


@pytest.mark.req("LIM-5")
def test_fresh_connections_are_served_while_two_are_stuck_inside_a_frame(
    target: Target, app_channel: AppChannel
) -> None:
    """A (a put's DATA) and B (an RQFL) stuck mid-frame, their bytes trickling: a fresh
    handshake + get, and a fresh handshake + put, complete within `_WITHIN` s [LIM-5]."""
    file = known_file(target)
    puts = target.has("put")
    if (target.limits.max_connections or 64) < 4:
        pytest.skip("the target allows fewer than 4 connections at once (LIM-4)")
    trickles: list[tuple[str, _Trickle]] = []
    if puts:
        a = app_channel()
        a.send_frame("PUTF", {"name": fresh_name("stuck"), "size": _PUT_SIZE})
        a.expect([ExpectFrame("RSFL", {"accept": True})]).check("PUTF of the stuck put (A)")
        trickles.append(
            ("A (a put's DATA)", _Trickle(*_stuck_bytes(a, frame_bytes("DATA", bytes(_PUT_SIZE)))))
        )
    b = app_channel()
    long_name = "stuck-" + secrets.token_hex(100) + ".bin"
    rqfl = frame_bytes("RQFL", json.dumps({"name": long_name}).encode())
    trickles.append(("B (an RQFL)", _Trickle(*_stuck_bytes(b, rqfl))))
    for _, trickle in trickles:
        trickle.start()
    started = time.monotonic()
    done: list[str] = []
    problem = ""
    try:
        try:
            fresh = app_channel(timeout=_WITHIN)
            get_file(fresh, file.name)
            fresh.close()  # three connections at most at once: A, B and one fresh
            done.append(f"a fresh get of {file.name!r} after {time.monotonic() - started:.1f} s")
            if puts:
                body = secrets.token_bytes(1000)
                answer, final = put_file(app_channel(timeout=_WITHIN), fresh_name("beside"), body)
                answer.check("PUTF beside the stuck connections")
                if final is None or not final.ok:
                    raise ConformanceFailure(f"the put was not stored: {final}")
                done.append(f"a fresh put after {time.monotonic() - started:.1f} s")
        except Exception as exc:  # any failure of the fresh work is the evidence
            problem = f"{type(exc).__name__}: {str(exc)[:600]}"
        elapsed = time.monotonic() - started
    finally:
        for _, trickle in trickles:
            trickle.finish()
    stuck = "; ".join(
        f"{label}: {t.sent} bytes sent{', ' + t.ended if t.ended else ''}" for label, t in trickles
    )
    if problem or elapsed > _WITHIN:
        actual = problem or f"done, but only after {elapsed:.1f} s"
        raise ConformanceFailure(
            "LIM-5: fresh connections while two others are stuck inside a frame "
            f"(trickling one byte every {_TRICKLE_EVERY:g} s)\n"
            f"Expected: a new handshake + get{' and a new handshake + put' if puts else ''} "
            f"done within {_WITHIN:g} s\n"
            f"Actual:   {actual}; done: "
            f"{', '.join(done) or 'nothing'}\nNote: {stuck}",
            violates=("LIM-5",),
        )
