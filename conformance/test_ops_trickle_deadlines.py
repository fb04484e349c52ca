"""Each connection's handshake deadline is its own, whatever else connects (LIM-1).

LIM-1: a responder "MUST close a connection whose secure channel is not established
within the handshake timeout"; LIM-9: the deadline "is counted from the TCP connection's
establishment ... and bytes trickling in do not extend it". The trickle cases of
test_pki_handshake_deadline.py and test_eke_handshake_stalls.py send their bytes on a
quiet server. A long-running server never is quiet, and one shortcut passes them there:
one deadline for the whole server instead of one per connection — a single watchdog
timer re-armed (its predecessor cancelled) by each new handshake, a "current deadline"
variable every new connection overwrites. Then a client trickling its first message is
cut only if nobody else connects within the handshake timeout; on a busy server it holds
its slot for as long as it likes.

The case trickles the first handshake message (a TLS ClientHello, an EKE1) one byte at a
time, each well inside the handshake timeout after the one before, while other clients
keep connecting (one every half of the timeout, from other addresses, each closed again
so that no slot limit comes into play): the trickling connection must still be closed
within 1.5 handshake timeouts (and 1 s) of its connect. Both profiles.
"""

from __future__ import annotations

import select
import socket
import ssl
import time
from pathlib import Path

import pytest

from conformance import eke
from conformance._wire_fixtures import TranscriptBook, suite_identity
from conformance.eke_support import ghost_user, sources_for
from conformance.pki_channel import client_context
from conformance.target import Target
from conformance.wire import ConformanceFailure, RawConnection, control, frame_bytes

__all__: list[str] = []

_MAX_TIMEOUT = 10.0  # the longest declared handshake timeout the case waits out


def _first_message(target: Target, workdir: Path) -> bytes:
    """The bytes a client sends first: an EKE1 frame, or a TLS ClientHello."""
    if target.profile == "eke":
        client = eke.ClientHandshake(user=ghost_user(), pw=bytes(32))
        return frame_bytes(b"EKE1", control(client.eke1()))
    if target.root is None:
        pytest.skip("pki needs --root")
    cert, key = suite_identity(target, workdir)
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = client_context(target.root, cert, key).wrap_bio(incoming, outgoing, server_side=False)
    try:
        tls.do_handshake()
    except ssl.SSLWantReadError:
        pass
    hello = outgoing.read()
    if not hello:
        raise AssertionError("no ClientHello was produced")
    return hello


def _connect(target: Target, source: str | None, name: str) -> RawConnection:
    address = (source, 0) if source is not None else None
    sock = socket.create_connection(target.address, timeout=3.0, source_address=address)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    conn = RawConnection(sock, name=name, timeout=3.0)
    conn.transcript.add("event", note=f"connected from {source or 'the default address'}")
    return conn


def _ended(conn: RawConnection) -> str | None:
    readable, _, _ = select.select([conn.sock], [], [], 0)
    if not readable:
        return None
    try:
        data = conn.sock.recv(4096, socket.MSG_DONTWAIT)
    except BlockingIOError:
        return None
    except OSError as exc:
        return f"reset ({type(exc).__name__})"
    if not data:
        return "closed"
    # An EROR timeout (eke) or a TLS alert: the end is near; what matters is that the
    # responder acted on the deadline.
    return f"answered {len(data)} bytes ({data[:16]!r})"


@pytest.mark.req("LIM-1")
def test_trickling_handshake_is_cut_while_others_keep_connecting(
    target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    timeout = target.limits.handshake_timeout
    if timeout > _MAX_TIMEOUT:
        pytest.skip(f"the handshake timeout ({timeout:g} s) is too long for this case")
    sources = sources_for(target)
    message = _first_message(target, tmp_path)
    gap = timeout / 4  # between two trickled bytes: far inside the timeout
    every = timeout / 2  # between two other clients' connects
    bound = 1.5 * timeout + 1.0
    trickler = _connect(target, sources.fresh(), "trickling its first message")
    transcripts.add(trickler)
    started = time.monotonic()
    others: list[tuple[float, RawConnection]] = []
    sent = 0
    next_byte = started
    next_other = started + every / 2
    try:
        while True:
            now = time.monotonic()
            what = _ended(trickler)
            if what is not None:
                trickler.transcript.add("event", note=f"ended after {now - started:.2f} s: {what}")
                return
            if now - started > bound:
                break
            if now >= next_byte and sent < len(message):
                try:
                    trickler.sock.sendall(message[sent : sent + 1])
                except OSError:
                    return  # the responder closed it: what LIM-1 asks
                sent += 1
                next_byte = now + gap
            if now >= next_other:
                conn = _connect(target, sources.fresh(), f"another client #{len(others) + 1}")
                transcripts.add(conn)
                others.append((now, conn))
                next_other = now + every
            for opened, conn in list(others):
                if now - opened > every:  # at most two others open: no slot limit nears
                    conn.close()
                    others.remove((opened, conn))
            # Paces the loop (bounded by `bound`); the trickle itself is the condition.
            select.select([trickler.sock], [], [], 0.05)
        raise ConformanceFailure(
            f"LIM-1: a client sent its first handshake message one byte every {gap:.2f} s "
            f"({sent} of {len(message)} bytes so far) while other clients connected every "
            f"{every:.2f} s from other addresses\n"
            f"Expected: the trickling connection closed within {bound:.2f} s of its connect "
            f"(handshake timeout {timeout:g} s, counted from accept; trickled bytes do not "
            "extend it)\n"
            f"Actual:   still open after {time.monotonic() - started:.2f} s: its deadline "
            "moved with the other clients' connects (one deadline or watchdog for the "
            "whole server)",
            violates=("LIM-1",),
        )
    finally:
        trickler.close()
        for _opened, conn in others:
            conn.close()
