"""LIM-5: a failed handshake gives back what its connection took — a thousand times over.

A responder takes things for each connection it accepts: the socket, a duplicate of it
(to shut a handshake down from another thread when the slot is evicted, LIM-9), a timer,
a buffer. Code that releases them where the session ends and forgets the path where the
handshake fails — bytes that are no handshake at all, a peer that closes before its first
byte — leaks one file descriptor per failed handshake. A Python server's reference
counting hides it; a C, Go, Java or Node server keeps it. Nothing shows until the process
reaches its descriptor limit (1024, the usual soft limit of a service): then `accept`
fails and the responder serves nobody (LIM-5: it "MUST keep serving other connections,
and accept new ones, whatever one connection sends or does"; LIM-1: a connection whose
channel is not established within the handshake timeout is closed).

The case makes 1100 failed handshakes of each kind, four at a time, each from its own
loopback address (so that no per-address cap or throttle refuses them first): bytes
that are no handshake, and a close (FIN) before the first byte. Each must be closed by
the responder within its handshake timeout (plus a second); afterwards a new honest
session must be served. Both profiles; needs a target on loopback.
"""

from __future__ import annotations

import hashlib
import select
import socket
import time
from pathlib import Path

import pytest

from conformance._wire_fixtures import TranscriptBook, get_file, known_file
from conformance.eke_support import sources_for
from conformance.target import Target
from conformance.test_lockout import _honest_channel
from conformance.wire import ConformanceFailure, ExpectError

__all__: list[str] = []

_REPEATS = 1100  # above 1024 descriptors: one leaked per failed handshake exhausts them
_AT_ONCE = 4  # failed handshakes in flight together (below any connection limit here)
_REFUSALS = ("forbidden", "not_found", "too_large", "unsupported")
# Not a handshake in either profile: over sft-eke/1 a frame type with lower-case bytes
# (bad_frame, FRM-2); over sft-pki/1 not a TLS record (an alert, then the close).
_GARBAGE = b"nope\x00\x00\x00\x02{}"


def _fail_batch(
    target: Target, sources: list[str], payload: bytes | None, bound: float
) -> str | None:
    """Failed handshakes from `sources` at once: None once the responder closed them all,
    else why not (the first one still open, or not opened)."""
    socks: list[socket.socket] = []
    try:
        for source in sources:
            try:
                sock = socket.create_connection(
                    target.address, timeout=bound, source_address=(source, 0)
                )
            except OSError as exc:
                return f"a connection from {source} could not be opened: {exc}"
            socks.append(sock)
            if payload is None:
                sock.shutdown(socket.SHUT_WR)  # a close before the first byte
            else:
                sock.sendall(payload)
        deadline = time.monotonic() + bound
        open_ = list(socks)
        for _ in range(64 * len(socks)):  # answers (an alert, an EROR), then the closes
            remaining = deadline - time.monotonic()
            if not open_:
                return None
            if remaining <= 0:
                break
            readable, _, _ = select.select(open_, [], [], remaining)
            for sock in readable:
                try:
                    if sock.recv(4096):
                        continue
                except OSError:
                    pass  # a reset ends it too
                open_.remove(sock)
        if not open_:
            return None
        return f"{len(open_)} of {len(socks)} still open {bound:g} s later"
    finally:
        for sock in socks:
            sock.close()


@pytest.mark.req("LIM-5", "LIM-1")
def test_failed_handshakes_leave_the_responder_able_to_serve(
    target: Target, transcripts: TranscriptBook, tmp_path: Path
) -> None:
    known = known_file(target)
    sources = sources_for(target)
    if not sources.loopback:
        pytest.skip("needs a target on loopback (connections from several 127.x.y.z)")
    bound = target.limits.handshake_timeout + 1.0
    at_once = max(1, min(_AT_ONCE, target.limits.max_connections // 2))
    kinds: tuple[tuple[str, bytes | None], ...] = (
        (f"bytes that are no handshake ({_GARBAGE!r})", _GARBAGE),
        ("a close (FIN) before the first byte", None),
    )
    for label, payload in kinds:
        for first in range(0, _REPEATS, at_once):
            batch = [sources.fresh() or "" for _ in range(min(at_once, _REPEATS - first))]
            why = _fail_batch(target, batch, payload, bound)
            if why is not None:
                raise ConformanceFailure.evidence(
                    f"LIM-5: failed handshakes {first + 1} to {first + len(batch)} of "
                    f"{_REPEATS} of one kind ({label}), each from its own address, after "
                    f"{first} of them",
                    "the responder closes them within its handshake timeout "
                    f"({target.limits.handshake_timeout:g} s), as it closed the ones before",
                    why,
                    note="each failed handshake kept something (a file descriptor): the "
                    "responder no longer accepts connections",
                )
    source = sources.fresh()
    assert source is not None
    try:
        channel = _honest_channel(target, source, tmp_path)
        transcripts.add(channel)
        try:
            result = get_file(channel, known.name, also=[ExpectError(*_REFUSALS)])
        finally:
            channel.close()
    except ConformanceFailure as exc:
        raise ConformanceFailure.evidence(
            f"LIM-5: a new honest session and a get of {known.name!r} after "
            f"{_REPEATS} failed handshakes of each kind",
            "the session established and the known file served",
            str(exc)[:600],
            note="each failed handshake kept something (a file descriptor): the responder "
            "can no longer accept connections or open files",
        ) from None
    if result.refused is not None or hashlib.sha256(result.data).hexdigest() != known.sha256:
        raise ConformanceFailure.evidence(
            f"LIM-5: a get of {known.name!r} on a new session after {_REPEATS} failed "
            "handshakes of each kind",
            f"{known.name!r} served ({known.size} bytes)",
            result.first.describe(),
            note="each failed handshake kept something: the responder can no longer "
            "open the files it serves",
        )
