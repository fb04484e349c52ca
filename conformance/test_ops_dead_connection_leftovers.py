"""What a dead connection left half-read never reaches the next connection (LIM-5).

LIM-5: a responder "MUST keep serving other connections, and accept new ones, whatever
one connection sends or does (malformed input, slow sending, vanishing)". The class of
bug: a parse buffer shared between connections — a mutable class attribute (`_buffer =
bytearray()` in the class body instead of `__init__`), a module-level buffer, a decoder
object reused across connections. Each connection empties the buffer of what it parses,
so sequential honest clients never notice; a connection that dies in the middle of a
frame leaves its bytes there, and they become the start of the next connection's
stream: every later client is answered `bad_frame`, or waits forever.

Each case sends the first part of a frame at one cut point, ends its side of the
connection (sft-pki/1: close_notify, as an initiator that gives up would; sft-eke/1: a
FIN), waits until the responder has closed the connection, then opens a new connection
and gets a file: it must be served. Cut points: inside a frame header, and after a
complete header inside the payload — of an application frame (sft-pki/1), of a record
(sft-eke/1, whose records each carry one whole frame: EKE-REC-1) and of the EKE1 that
opens an sft-eke/1 handshake.
"""

from __future__ import annotations

import contextlib
import socket
import ssl

import pytest

from conformance import eke
from conformance._wire_fixtures import AppChannel, get_file, known_file
from conformance.eke_channel import EkeChannel, connect_raw
from conformance.eke_support import ghost_user
from conformance.pki_channel import PkiChannel
from conformance.target import Target
from conformance.wire import (
    ConformanceFailure,
    RawConnection,
    ReceivedFrame,
    control,
    deadline_after,
    frame_bytes,
)

__all__: list[str] = []

_REQUEST = frame_bytes("RQFL", control({"name": "never-completed.txt"}))
_RECORD_START = frame_bytes("RECD", b"\x00" * 16, length=64)  # a record cut after 24 bytes
_CUTS = {"inside-header": 5, "inside-payload": 12}


def _wait_closed(conn: RawConnection, timeout: float) -> str:
    """Reads (and drops) what the responder still sends until it closes its side."""
    deadline = deadline_after(timeout)
    while True:
        event = conn.recv_frame(deadline)
        if not isinstance(event, ReceivedFrame):
            return event.describe()


def _served_after(target: Target, app_channel: AppChannel, what: str) -> None:
    file = known_file(target)
    try:
        channel = app_channel()
        get_file(channel, file.name)
    except (ConformanceFailure, OSError) as exc:
        raise ConformanceFailure(
            f"LIM-5: {what}; then a new connection asked for {file.name!r}\n"
            "Expected: served (a new connection starts from nothing)\n"
            f"Actual:   {type(exc).__name__}: {exc}\n"
            "The dead connection's unparsed bytes reached the next one: a parse buffer "
            "shared between connections",
            violates=("LIM-5",),
        ) from None
    channel.close()


def _end_and_wait(channel: object, timeout: float) -> str:
    """Ends our side of an application channel and waits for the responder's close."""
    if isinstance(channel, EkeChannel):
        channel.raw.sock.shutdown(socket.SHUT_WR)
        return _wait_closed(channel.raw, timeout)
    assert isinstance(channel, PkiChannel)
    channel.sock.settimeout(timeout)
    try:
        # close_notify, then the responder's own close_notify (or its close) is awaited.
        channel.sock.unwrap()
        return "close_notify exchanged"
    except (OSError, ValueError, ssl.SSLError) as exc:
        return f"closed ({type(exc).__name__})"


@pytest.mark.req("LIM-5")
@pytest.mark.parametrize("cut", list(_CUTS.values()), ids=list(_CUTS))
def test_a_frame_cut_by_its_connections_end_does_not_reach_the_next(
    target: Target, app_channel: AppChannel, cut: int
) -> None:
    timeout = max(3.0, target.limits.idle_timeout + 2.0)
    dying = app_channel()
    if isinstance(dying, EkeChannel):
        part, whole = _RECORD_START[:cut], "record"
        dying.raw.send_raw(part)
    else:
        part, whole = _REQUEST[:cut], "RQFL frame"
        dying.send_raw(part)
    ended = _end_and_wait(dying, timeout)
    with contextlib.suppress(OSError):
        dying.close()
    _served_after(
        target,
        app_channel,
        f"an established connection sent the first {len(part)} bytes of a {whole} and "
        f"ended its side ({ended})",
    )


@pytest.mark.req("LIM-5")
@pytest.mark.profile("eke")
@pytest.mark.parametrize("cut", [5, 12, 40], ids=["inside-header", "inside-payload", "later"])
def test_an_eke1_cut_by_its_connections_end_does_not_reach_the_next(
    target: Target, app_channel: AppChannel, cut: int
) -> None:
    client = eke.ClientHandshake(user=ghost_user(), pw=bytes(32))
    message = frame_bytes("EKE1", control(client.eke1()))
    conn = connect_raw(target.host, target.port, timeout=3.0, name="dying handshake")
    try:
        conn.send_raw(message[:cut])
        conn.sock.shutdown(socket.SHUT_WR)  # the client gives up: its side ends
        ended = _wait_closed(conn, max(3.0, target.limits.handshake_timeout + 2.0))
    finally:
        conn.close()
    _served_after(
        target,
        app_channel,
        f"a connection sent {cut} bytes of its {len(message)}-byte EKE1 and ended its side "
        f"({ended})",
    )
