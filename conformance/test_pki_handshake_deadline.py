"""The sft-pki/1 responder's handshake deadline (docs/SPEC.md §6 LIM-1, LIM-9), where
test_limits.py's cases do not look: a deadline counted from the first byte instead of
from accept, and the path of connections over the connection limit.

* A client silent for most of the handshake timeout, then sending the first byte of its
  ClientHello and nothing more, must be closed at the deadline counted from accept
  (LIM-9: "counted from accept"). A responder that starts its timer when the ClientHello
  begins (a `recv(MSG_PEEK)` first, a timer armed by the first read) holds it for almost
  twice as long; test_limits.py's slow sender starts at once and cannot tell.
* A connection beyond `max_connections` while every slot holds an established session
  (LIM-4: refused, "close, or EROR busy where possible"): a responder that completes the
  TLS handshake to send `busy` must still bound that handshake (LIM-1); one that runs it
  without a deadline keeps every silent client of that path for ever.

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
from conformance.wire import Closed, ConformanceFailure, RawConnection, deadline_after

_MAX_WAIT = 12.0  # the longest handshake timeout the suite waits for
_MAX_SESSIONS = 64  # the most sessions the busy case opens to fill the connection limit


def _limit(target: Target) -> float:
    limit = target.limits.handshake_timeout
    if limit > _MAX_WAIT:
        pytest.skip(
            f"the target's handshake timeout is {limit} s (the suite waits at most {_MAX_WAIT} s)"
        )
    return limit


def _slack(limit: float) -> float:
    """What the close may come after the deadline: scheduling, a loaded machine."""
    return max(1.0, limit / 2)


def _client_hello(target: Target) -> bytes:
    assert target.root is not None
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = client_context(target.root).wrap_bio(incoming, outgoing, server_side=False)
    try:
        tls.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return outgoing.read()


@pytest.mark.req("LIM-1", "LIM-9")
def test_handshake_deadline_counts_from_accept_not_from_the_first_byte(
    target: Target, transcripts: TranscriptBook
) -> None:
    """Silent for 80 % of the handshake timeout, then one byte of a ClientHello and
    nothing more: closed by the deadline counted from accept (plus slack), not a whole
    timeout after that byte."""
    limit = _limit(target)
    hello = _client_hello(target)
    silence = 0.8 * limit
    bound = limit + _slack(limit)
    with RawConnection.connect(target.host, target.port, timeout=limit) as conn:
        transcripts.add(conn)
        accepted = time.monotonic()
        early = conn.recv_frame(deadline_after(silence))  # the silence under test
        if isinstance(early, Closed):
            return  # closed before the first byte: within the deadline
        conn.send_raw(hello[:1])
        event = conn.recv_frame(accepted + bound)
        closed_after = time.monotonic() - accepted
        if not isinstance(event, Closed):
            raise ConformanceFailure.evidence(
                f"LIM-1/LIM-9: silent for {silence:.1f} s, then 1 byte of a ClientHello "
                f"(handshake timeout {limit:g} s)",
                f"the close within {bound:.1f} s of accept: the deadline counts from accept",
                f"{event.describe()} after {closed_after:.1f} s",
                note="a deadline started by the first byte holds the connection for almost "
                "twice the handshake timeout",
            )


@pytest.mark.req("LIM-1", "LIM-4")
@pytest.mark.xdist_group("connection-limit")
def test_connection_over_the_limit_is_bounded_by_the_handshake_deadline(
    target: Target, transcripts: TranscriptBook, tmp_path: Path
) -> None:
    """`max_connections` established sessions, then one more connection that stays
    silent: refused at once, or held at most for the handshake timeout (plus slack) —
    also on the path that completes TLS to answer `busy`."""
    limit = _limit(target)
    slots = target.limits.max_connections
    if slots > _MAX_SESSIONS:
        pytest.skip(f"max_connections {slots} is too many sessions to open here")
    assert target.root is not None
    cert, key = suite_identity(target, tmp_path)
    ctx = client_context(target.root, cert, key)
    sessions: list[PkiChannel] = []
    try:
        for index in range(slots):
            result = connect_pki(target.host, target.port, ctx, name=f"session {index + 1}")
            if not isinstance(result, PkiChannel):
                transcripts.add(result.transcript)
                pytest.skip(f"could not open {slots} sessions to fill the limit: {result.reason}")
            sessions.append(result)
            transcripts.add(result)
        bound = limit + _slack(limit)
        with RawConnection.connect(target.host, target.port, timeout=limit, name="over") as conn:
            transcripts.add(conn)
            accepted = time.monotonic()
            event = conn.recv_frame(accepted + bound)
            if not isinstance(event, Closed):
                raise ConformanceFailure.evidence(
                    f"LIM-1: a silent connection beyond max_connections {slots} "
                    f"(handshake timeout {limit:g} s)",
                    f"refused, or closed within {bound:.1f} s of accept",
                    f"{event.describe()} after {time.monotonic() - accepted:.1f} s",
                    note="the handshake of a connection that is to be answered `busy` needs "
                    "the deadline too",
                )
    finally:
        for session in sessions:
            session.close()
