"""Socket glue shared by the EKE server and client: the thin adapter layer.

`run_handshake` drives a sans-IO handshake over a blocking socket until it is
established or fails, under one deadline. `SecureStream` moves application events
through the record layer: `send` seals one message per record, `send_file_chunk`
reads a file straight into the sealer's buffer, and `next_event` receives records
with `recv_into` into the reader's preallocated buffer and feeds their inner frames
to the sans-IO `ApplicationConnection` (DATA payloads by the zero-copy path).
`close_gracefully` ends an honest connection with FIN both ways, never a reset.
"""

from __future__ import annotations

import io
import socket
import time
from collections.abc import Callable
from typing import Final

from reference.app import AppConfig, ApplicationConnection, Role
from reference.closing import close_gracefully
from reference.eke.handshake import (
    ClientHandshake,
    Established,
    HandshakeEvent,
    ServerHandshake,
)
from reference.eke.records import InnerFrame, RecordChannel
from reference.errors import ErrorCode, RemoteProtocolError
from reference.frames import CLOSED, MAX_DATA_PAYLOAD, NEED_DATA, Sentinel
from reference.messages import T_DATA, Done, Message
from reference.transfer import PipelinedSha256, send_progressing

__all__ = ["HandshakeTimeout", "run_handshake", "SecureStream", "close_gracefully"]

_RECV_CHUNK: Final = 65536
# What an honest peer may still send after our BYE_ (or after its own) is one BYE_
# record (34 bytes); anything beyond this is a misbehaving peer, which gets the reset.
_DRAIN_LIMIT: Final = 64 * 1024


class HandshakeTimeout(Exception):
    """The handshake deadline passed (the EROR timeout, if any, was already sent)."""


def run_handshake(
    sock: socket.socket,
    hs: ClientHandshake | ServerHandshake,
    deadline: float,
    on_event: Callable[[HandshakeEvent], None],
) -> Established:
    """Runs `hs` to completion. ProtocolErrors propagate after their EROR was sent.

    `on_event` sees LoginAttempt and PeerError events (the server answers a
    LoginAttempt inside it); a PeerError ends the handshake by raising
    RemoteProtocolError with the peer's code.
    """
    _flush(sock, hs)
    while True:
        try:
            event = hs.next_event()
        except RemoteProtocolError:
            _flush(sock, hs)
            raise
        if event is NEED_DATA:
            _flush(sock, hs)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                hs.fail_timeout()
                _flush(sock, hs)
                raise HandshakeTimeout()
            sock.settimeout(remaining)
            try:
                data = sock.recv(_RECV_CHUNK)
            except TimeoutError:
                hs.fail_timeout()
                _flush(sock, hs)
                raise HandshakeTimeout() from None
            hs.receive_data(data)
            continue
        assert not isinstance(event, Sentinel)
        if isinstance(event, Established):
            _flush(sock, hs)
            return event
        on_event(event)
        _flush(sock, hs)


def _flush(sock: socket.socket, hs: ClientHandshake | ServerHandshake) -> None:
    data = hs.data_to_send()
    if data:
        try:
            sock.sendall(data)
        except OSError:
            pass  # the peer went away; the caller finds out on its next read


class SecureStream:
    """The record phase of one connection: application events over AES-GCM records."""

    def __init__(
        self,
        sock: socket.socket,
        established: Established,
        *,
        is_client: bool,
        trailing: bytes,
        frame_limit: int,
    ) -> None:
        self.sock = sock
        self.channel = RecordChannel(established.keys, is_client=is_client, max_record=frame_limit)
        self.reader = self.channel.reader
        if trailing:
            self.reader.receive_data(trailing)
        # PipelinedSha256 hashes each 1 MiB payload on a helper thread (hashlib drops
        # the GIL) while the next record is read, encrypted and sent; the record
        # layer's alternating buffers keep each payload intact until then.
        self.app = ApplicationConnection(
            Role.INITIATOR if is_client else Role.RESPONDER,
            AppConfig(max_frame_payload=frame_limit),
            digest_factory=PipelinedSha256,
        )
        self._payload: memoryview | None = None  # DATA payload of the current record

    # -- sending ------------------------------------------------------------------------
    def send(self, message: Message) -> None:
        self.sock.sendall(self.channel.seal(self.app.send(message)))
        if isinstance(message, Done):
            # A transfer is over (its digest is final): its 1 MiB buffers' pages go
            # back until the next one, so an idle connection costs a few pages.
            self.channel.release_buffers()

    def send_file_chunk(self, file: io.RawIOBase, limit: int) -> int:
        """Reads up to `limit` bytes (capped at 1 MiB) from `file` and sends them as DATA."""
        buf = self.channel.payload_buffer()[: min(limit, MAX_DATA_PAYLOAD)]
        n = file.readinto(buf)
        if not n:
            return 0
        self.app.send_data_header(buf[:n])  # accounts and hashes; the header is ours
        send_progressing(self.sock, self.channel.seal_payload(T_DATA, n))
        return n

    # -- receiving ----------------------------------------------------------------------
    def next_event(self) -> Message | Sentinel:
        """The next application event; a DATA payload is a view valid until the call after next.

        Raises RemoteProtocolError (incl. AuthenticationFailed for a bad record) and
        TimeoutError from the socket (idle timeout, set by the caller).
        """
        while True:
            event = self.app.next_event()
            if event is not NEED_DATA:
                if isinstance(event, Done):  # verified: the transfer's payloads are used
                    self.channel.release_buffers()
                return event
            if self._payload is not None:
                payload, self._payload = self._payload, None
                if len(payload) != self.app.payload_wanted():
                    raise RemoteProtocolError(ErrorCode.BAD_FRAME, "DATA frame out of place")
                return self.app.receive_payload(payload)
            frame = self._next_record()
            if frame is CLOSED:
                self.app.receive_data(b"")
                continue
            assert isinstance(frame, InnerFrame)
            if frame.type == T_DATA:
                # Header first: the application layer judges state and size on it alone.
                self.app.receive_data(T_DATA + len(frame.payload).to_bytes(4, "big"))
                if frame.payload:
                    self._payload = frame.payload
            else:
                header = frame.type + len(frame.payload).to_bytes(4, "big")
                self.app.receive_data(header + bytes(frame.payload))

    def _next_record(self) -> InnerFrame | Sentinel:
        reader = self.reader
        while True:
            frame = reader.next_frame()
            if frame is not NEED_DATA:
                assert isinstance(frame, InnerFrame) or frame is CLOSED
                return frame
            n = self.sock.recv_into(reader.get_buffer())
            if n == 0:
                reader.eof_received()
            else:
                reader.buffer_updated(n)
