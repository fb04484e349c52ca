"""The sft-pki/1 responder's handshake deadline while other handshakes come and go
(docs/SPEC.md §6 LIM-1).

test_limits.py's slow sender and test_pki_handshake_deadline.py judge one connection at a
time. The class of bug: the deadline kept where every connection sees it — one watchdog
timer for "the" handshake, re-armed (and the previous one cancelled) by each new
connection; a deadline table keyed by something connections share; a timer thread that
serves only the newest handshake. A client that trickles its ClientHello then keeps its
slot for ever as long as someone else connects meanwhile, which on a busy responder is
always. Here a slow client trickles one byte at a time (so no per-read timeout fires)
while the suite completes an honest handshake beside it: the slow one must still be
closed by its own deadline.

Fixtures (conformance/plugin.py): `target` (pinned to pki by this file's name),
`transcripts`, `tmp_path`.
"""

from __future__ import annotations

import ssl
import time
from pathlib import Path

import pytest

from conformance._wire_fixtures import TranscriptBook, suite_identity
from conformance.pki_channel import PkiChannel, client_context, connect_pki
from conformance.target import Target
from conformance.wire import Closed, ConformanceFailure, RawConnection, ReceivedFrame

_MAX_WAIT = 12.0  # the longest handshake timeout the suite waits for


def _client_hello(target: Target) -> bytes:
    assert target.root is not None
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = client_context(target.root).wrap_bio(incoming, outgoing, server_side=False)
    try:
        tls.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return outgoing.read()


@pytest.mark.req("LIM-1")
def test_slow_handshake_is_closed_although_others_connect_meanwhile(
    target: Target, transcripts: TranscriptBook, tmp_path: Path
) -> None:
    """A client sends its ClientHello one byte per sixth of the handshake timeout; after
    its first bytes, two honest clients complete their handshakes (and leave). The
    slow client is closed within 1.5 x the handshake timeout + 1 s of its accept."""
    limit = target.limits.handshake_timeout
    if limit > _MAX_WAIT:
        pytest.skip(f"the target's handshake timeout is {limit} s (the suite waits {_MAX_WAIT})")
    assert target.root is not None
    cert, key = suite_identity(target, tmp_path)
    ctx = client_context(target.root, cert, key)
    hello = _client_hello(target)
    interval = limit / 6
    bound = limit * 1.5 + 1.0
    with RawConnection.connect(target.host, target.port, timeout=limit) as slow:
        transcripts.add(slow)
        accepted = time.monotonic()
        hard = accepted + bound
        event = None
        honest_done = 0
        # Bounded: one byte per interval until the hard deadline (about 10 rounds).
        for index in range(len(hello) - 1):
            if time.monotonic() >= hard:
                break
            if not slow.send_raw(hello[index : index + 1]):
                event = slow.recv_frame(min(time.monotonic() + 0.5, hard + 0.5))
                break
            if index == 1 and honest_done == 0:
                # The others connect while the slow handshake is under way.
                for number in range(2):
                    result = connect_pki(
                        target.host, target.port, ctx, name=f"honest handshake {number + 1}"
                    )
                    if isinstance(result, PkiChannel):
                        transcripts.add(result)
                        result.close()
                        honest_done += 1
                    else:
                        transcripts.add(result.transcript)
            event = slow.recv_frame(min(time.monotonic() + interval, hard))
            if isinstance(event, Closed | ReceivedFrame):
                break
        if honest_done == 0:
            pytest.skip("no honest handshake completed beside the slow one")
        if not isinstance(event, Closed | ReceivedFrame):
            raise ConformanceFailure.evidence(
                f"LIM-1: a client sending its ClientHello one byte every {interval:.2f} s, "
                f"while {honest_done} honest client(s) completed their handshakes beside it "
                f"(handshake timeout {limit:g} s)",
                f"the slow client closed within {bound:.1f} s of its accept",
                f"still connected after {time.monotonic() - accepted:.1f} s; last event: "
                f"{event.describe() if event is not None else 'none'}",
                note="a new connection must not cancel or restart another's deadline",
            )
