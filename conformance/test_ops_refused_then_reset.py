"""Connections refused at accept that the client has already reset: the listener lives on
(docs/SPEC.md §6 LIM-5, LIM-8; both profiles).

LIM-8: over the per-address cap a responder "MUST refuse the next one from the same
address promptly (close, or `EROR busy` where possible) while it still accepts
connections from other addresses"; LIM-5: it "MUST keep serving other connections, and
accept new ones, whatever one connection sends or does (... vanishing)". The refusal is
written on the accepting thread, to a peer that may be gone already: a client that
connects and at once closes with a reset (SO_LINGER 0) makes the responder's write of
its `EROR busy` fail with ECONNRESET (the socket was reset while it sat in the accept
queue), a later write with EPIPE, a shutdown with ENOTCONN. A refusal path that
suppresses only one of them (`except BrokenPipeError`: "the refused client left")
lets the other escape the accept loop, and the responder stops accepting anyone.

So: the per-address cap's worth of silent connections from one fresh loopback address,
then, from that address, up to 100 connections in bursts of 20, each burst reset (SO_LINGER
0) the moment it is established, most of it still in the accept queue (well within the
handshake timeout that would free the held slots), then a connection
from the suite's usual address MUST get a channel and be served a known file. Bounded:
the resets stop after half the handshake timeout. Without a declared per-address cap or
a loopback target the case SKIPs.

Fixtures (conformance/plugin.py): `target`, `app_channel`.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import time

import pytest

from conformance._wire_fixtures import AppChannel, get_file, known_file, require
from conformance.eke_support import sources_for
from conformance.target import Target
from conformance.wire import ConformanceFailure

_RESETS = 100
_BURST = 20  # within any listen backlog


def _connect_from(source: str, target: Target, timeout: float) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    sock.bind((source, 0))
    sock.connect((target.host, target.port))
    return sock


@pytest.mark.req("LIM-5", "LIM-8")
def test_refused_connections_reset_by_their_client_leave_the_listener_alive(
    target: Target, app_channel: AppChannel
) -> None:
    require(target, "get")
    cap = target.limits.max_pending_per_address
    if cap is None:
        pytest.skip("the target declares no per-address cap (limits.max_pending_per_address)")
    source = sources_for(target).fresh()
    if source is None:
        pytest.skip("the target is not on loopback: no second source address")
    known = known_file(target)
    budget = target.limits.handshake_timeout / 2
    held: list[socket.socket] = []
    resets = 0
    try:
        started = time.monotonic()
        for _ in range(cap):
            held.append(_connect_from(source, target, budget))
        while resets < _RESETS and time.monotonic() - started < budget:
            # A burst first, then every one of it reset: the kernel completes the
            # connections faster than the responder accepts them, so most are reset
            # while they wait in its accept queue, before its refusal is written.
            burst: list[socket.socket] = []
            with contextlib.suppress(OSError):  # refused before it completed: none to reset
                while len(burst) < _BURST and resets + len(burst) < _RESETS:
                    burst.append(_connect_from(source, target, budget))
            for sock in burst:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                sock.close()  # a reset, at once
            resets += len(burst)
            if not burst:
                break
    finally:
        for sock in held:
            with contextlib.suppress(OSError):
                sock.close()
    try:
        channel = app_channel()
        try:
            get_file(channel, known.name)
        finally:
            channel.close()
    except Exception as exc:  # the channel's own setup failing is the evidence too
        raise ConformanceFailure(
            f"Context:  {cap} silent connections from {source} (its per-address cap), then "
            f"{resets} more from it, each reset (SO_LINGER 0) the moment it was established\n"
            f"Expected: the over-cap ones refused, and then a connection from another address "
            f"served {known.name!r} (LIM-5, LIM-8: the listener keeps accepting)\n"
            f"Actual:   {str(exc).splitlines()[0]}\n"
            "Note:     a refusal whose write meets the client's reset (ECONNRESET, EPIPE, "
            "ENOTCONN) must not end the accept loop",
            violates=("LIM-5",),
        ) from None
