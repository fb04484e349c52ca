"""The application protocol of docs/SPEC.md §3, sans-IO, for both roles and both profiles.

`ApplicationConnection` sits on any reliable byte stream (the TLS stream of
sft-pki/1, the record layer of sft-eke/1): bytes in with `receive_data`, events out
with `next_event`, events to bytes with `send`. It never touches a socket or a file.

States and transitions are tables: `_TRANSITIONS[(state, frame type)]` is what a
received frame does (the responder's half is SPEC §3.2's table, the initiator's
half mirrors it); `_SEND_TRANSITIONS[(state, event type)]` is what we may send.
Any received pair not in the table is `unexpected_frame` [FRM-6], [APP-3]; any sent
pair not in it is our caller's bug (`LocalProtocolError`).

The core enforces the integrity rules itself: it counts and hashes every DATA byte
in both directions, refuses a DATA frame that would exceed the announced size as
soon as its header arrives [APP-GET-4], [APP-PUT-6], [APP-STORE-4], and checks size
and SHA-256 at DONE [APP-GET-3], [APP-PUT-5].

Speed: DATA payloads are handed out as they arrive (a `Data` event is a piece of a
DATA frame, not necessarily a whole one), so nothing waits for a full MiB to be
buffered. The fast path avoids copies: `payload_wanted()` says how many payload bytes
the caller may read straight into its own buffer and pass to `receive_payload()`,
and `send_data_header()` returns just the 8-byte header for a payload the caller
writes itself from its own buffer.
"""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final, Protocol

from reference.errors import ErrorCode, LocalProtocolError, RemoteProtocolError, TruncatedStream
from reference.frames import (
    CLOSED,
    DEFAULT_MAX_PAYLOAD,
    HEADER_SIZE,
    MAX_CONTROL_PAYLOAD,
    MAX_DATA_PAYLOAD,
    NEED_DATA,
    Frame,
    Sentinel,
    encode_header,
    parse_header,
)
from reference.messages import (
    T_BYE,
    T_DATA,
    T_DONE,
    T_EROR,
    T_PUTF,
    T_RQFL,
    T_RSFL,
    Bye,
    Data,
    Done,
    ErrorFrame,
    FileRequest,
    FileResponse,
    Message,
    PutAccepted,
    PutRequest,
    decode_message,
    encode_message,
)

__all__ = [
    "CLOSED",
    "INITIATOR",
    "NEED_DATA",
    "PAUSED",
    "RESPONDER",
    "AppConfig",
    "ApplicationConnection",
    "Digest",
    "DigestFactory",
    "InitiatorState",
    "ResponderState",
    "Role",
]

PAUSED: Final = Sentinel("PAUSED")
"""The next frame is a pipelined request: answer the current one first [APP-2]."""


class Role(enum.Enum):
    INITIATOR = "initiator"
    RESPONDER = "responder"


INITIATOR: Final = Role.INITIATOR
RESPONDER: Final = Role.RESPONDER


class ResponderState(enum.Enum):
    IDLE = "IDLE"
    GET_REQUESTED = "GET_REQUESTED"  # RQFL received: we owe RSFL or EROR
    SENDING = "SENDING"  # RSFL sent: we owe DATA* DONE
    PUT_REQUESTED = "PUT_REQUESTED"  # PUTF received: we owe RSFL{accept} or EROR
    RECEIVING = "RECEIVING"  # accepted a put: DATA* DONE arriving
    STORING = "STORING"  # put verified: we owe DONE (once stored) or EROR
    BYE_RECEIVED = "BYE_RECEIVED"  # we MAY echo BYE_, then close
    CLOSED = "CLOSED"


class InitiatorState(enum.Enum):
    IDLE = "IDLE"
    GET_SENT = "GET_SENT"  # RQFL sent: awaiting RSFL | EROR
    RECEIVING = "RECEIVING"  # get accepted: DATA* DONE arriving
    PUT_SENT = "PUT_SENT"  # PUTF sent: awaiting RSFL{accept} | EROR
    SENDING = "SENDING"  # put accepted: we owe DATA* DONE
    DONE_SENT = "DONE_SENT"  # awaiting the responder's DONE | EROR
    BYE_SENT = "BYE_SENT"
    CLOSED = "CLOSED"


State = ResponderState | InitiatorState
R = ResponderState
I = InitiatorState  # noqa: E741 - a table reads better with one-letter aliases

# What a received frame does. An EROR leads to CLOSED unless listed here (ERR-3:
# a non-fatal EROR answering a request returns the initiator to IDLE); a fatal EROR
# always closes. The responder closes on any EROR, as §3.2's last row says.
_TRANSITIONS: Final[dict[tuple[State, bytes], State]] = {
    (R.IDLE, T_RQFL): R.GET_REQUESTED,
    (R.IDLE, T_PUTF): R.PUT_REQUESTED,
    (R.IDLE, T_BYE): R.BYE_RECEIVED,
    (R.RECEIVING, T_DATA): R.RECEIVING,
    (R.RECEIVING, T_DONE): R.STORING,
    **{(state, T_EROR): R.CLOSED for state in R if state is not R.CLOSED},
    (I.GET_SENT, T_RSFL): I.RECEIVING,
    (I.RECEIVING, T_DATA): I.RECEIVING,
    (I.RECEIVING, T_DONE): I.IDLE,
    (I.PUT_SENT, T_RSFL): I.SENDING,
    (I.DONE_SENT, T_DONE): I.IDLE,
    (I.BYE_SENT, T_BYE): I.CLOSED,
    **{(state, T_EROR): I.CLOSED for state in I if state is not I.CLOSED},
    (I.GET_SENT, T_EROR): I.IDLE,
    (I.PUT_SENT, T_EROR): I.IDLE,
    (I.DONE_SENT, T_EROR): I.IDLE,
}

# What we may send. A fatal ErrorFrame may be sent in any state and closes.
_SEND_TRANSITIONS: Final[dict[tuple[State, type[Message]], State]] = {
    (R.GET_REQUESTED, FileResponse): R.SENDING,
    (R.GET_REQUESTED, ErrorFrame): R.IDLE,
    (R.SENDING, Data): R.SENDING,
    (R.SENDING, Done): R.IDLE,
    (R.PUT_REQUESTED, PutAccepted): R.RECEIVING,
    (R.PUT_REQUESTED, ErrorFrame): R.IDLE,
    (R.STORING, Done): R.IDLE,
    (R.STORING, ErrorFrame): R.IDLE,  # e.g. `exists` when another put won the race
    (R.BYE_RECEIVED, Bye): R.CLOSED,
    (I.IDLE, FileRequest): I.GET_SENT,
    (I.IDLE, PutRequest): I.PUT_SENT,
    (I.IDLE, Bye): I.BYE_SENT,
    (I.SENDING, Data): I.SENDING,
    (I.SENDING, Done): I.DONE_SENT,
}

# Responder states in which it owes an answer: a pipelined request waits [APP-2].
_ANSWER_OWED: Final = frozenset({R.GET_REQUESTED, R.SENDING, R.PUT_REQUESTED, R.STORING})
# States in which the end of the stream is a clean end [APP-BYE-2].
_CLEAN_EOF: Final = frozenset({R.IDLE, R.BYE_RECEIVED, R.CLOSED, I.IDLE, I.BYE_SENT, I.CLOSED})
_KNOWN_TYPES: Final = frozenset({T_RQFL, T_RSFL, T_PUTF, T_DATA, T_DONE, T_EROR, T_BYE})


@dataclass(frozen=True, slots=True)
class AppConfig:
    """Limits of the application layer [LIM-7]."""

    max_frame_payload: int = DEFAULT_MAX_PAYLOAD  # [FRM-3]

    def __post_init__(self) -> None:
        if not 1024 <= self.max_frame_payload <= 0xFFFFFFFF:
            raise ValueError("the frame limit must be between 1024 and 2^32-1 bytes")


class Digest(Protocol):
    """What the core needs of a SHA-256 object (hashlib's, or a pipelined one)."""

    def update(self, data: bytes | bytearray | memoryview, /) -> None: ...

    def hexdigest(self) -> str: ...


DigestFactory = Callable[[], Digest]


class _Transfer:
    """Byte count and running SHA-256 of the transfer in one direction."""

    __slots__ = ("announced", "count", "digest", "expected_sha256")

    def __init__(
        self, announced: int, expected_sha256: str | None, digest_factory: DigestFactory
    ) -> None:
        self.announced = announced
        self.count = 0
        self.digest = digest_factory()
        self.expected_sha256 = expected_sha256

    def add(self, data: bytes | bytearray | memoryview) -> None:
        self.digest.update(data)
        self.count += len(data)

    def check_done(self, done: Done) -> None:
        sha = self.digest.hexdigest()
        if not (done.size == self.announced == self.count and done.sha256 == sha):
            raise RemoteProtocolError(
                ErrorCode.INTEGRITY_FAILED,
                f"received {self.count} of {self.announced} bytes; size or SHA-256 mismatch",
            )
        if self.expected_sha256 is not None and self.expected_sha256 != sha:
            raise RemoteProtocolError(
                ErrorCode.INTEGRITY_FAILED, "SHA-256 differs from the one announced"
            )


class ApplicationConnection:
    """One side of an sft application connection. See the module docstring."""

    def __init__(
        self,
        role: Role,
        config: AppConfig | None = None,
        *,
        digest_factory: DigestFactory = hashlib.sha256,
    ) -> None:
        self.role = role
        self.config = config or AppConfig()
        # An adapter may hash on another thread (reference.transfer does); the core
        # only needs update() and hexdigest().
        self._digest_factory = digest_factory
        self.state: State = R.IDLE if role is RESPONDER else I.IDLE
        self._buffer = bytearray()
        self._header: tuple[bytes, int] | None = None  # parsed, payload not yet consumed
        self._payload_left = 0  # of the DATA frame being handed out
        self._eof = False
        self._error: RemoteProtocolError | None = None
        self._incoming: _Transfer | None = None
        self._outgoing: _Transfer | None = None
        self._verified_put: Done | None = None  # the put being stored (state STORING)

    # --- receiving ---------------------------------------------------------------------

    def receive_data(self, data: bytes | bytearray | memoryview) -> None:
        """Feeds received bytes; `b""` means the peer ended the stream."""
        if not data:
            self._eof = True
            return
        if self._eof:
            raise LocalProtocolError(ErrorCode.INTERNAL, "data received after end of stream")
        self._buffer += data

    def next_event(self) -> Message | Sentinel:
        """The next event, or NEED_DATA, PAUSED (answer first) or CLOSED."""
        if self._error is not None:
            raise self._error.detached()
        try:
            return self._next_event()
        except RemoteProtocolError as exc:
            self._error = exc.detached()
            raise

    def payload_wanted(self) -> int:
        """How many DATA payload bytes may be read straight into the caller's buffer.

        Non-zero only inside a DATA payload with nothing buffered here; the caller then
        reads at most that many bytes and passes them to `receive_payload`.
        """
        if self._error is None and self._payload_left and not self._buffer and not self._eof:
            return self._payload_left
        return 0

    def receive_payload(self, data: bytes | bytearray | memoryview) -> Data:
        """The fast path: DATA payload bytes the caller read itself (see payload_wanted)."""
        if not 0 < len(data) <= self.payload_wanted():
            raise LocalProtocolError(ErrorCode.INTERNAL, "receive_payload outside a DATA payload")
        return self._deliver(data)

    def _deliver(self, data: bytes | bytearray | memoryview) -> Data:
        assert self._incoming is not None
        self._incoming.add(data)
        self._payload_left -= len(data)
        return Data(data)

    def _next_event(self) -> Message | Sentinel:
        if self.state in (R.CLOSED, I.CLOSED):
            return CLOSED
        buf = self._buffer
        if self._payload_left:
            if not buf:
                return self._starved()
            n = min(len(buf), self._payload_left)
            piece = bytes(buf[:n])
            del buf[:n]
            return self._deliver(piece)
        if self._header is None:
            if len(buf) < HEADER_SIZE:
                return self._starved()
            self._header = self._check_header(
                *parse_header(buf[:HEADER_SIZE], self.config.max_frame_payload)
            )
            del buf[:HEADER_SIZE]
        frame_type, length = self._header
        if self.state in _ANSWER_OWED and frame_type != T_EROR:
            return PAUSED  # pipelined: judged once we are idle again
        # unexpected_frame as soon as the header arrives, before the payload [FRM-6]
        nxt = self._lookup(frame_type)
        if frame_type == T_DATA:
            assert self._incoming is not None
            if self._incoming.count + length > self._incoming.announced:
                raise RemoteProtocolError(
                    ErrorCode.INTEGRITY_FAILED,
                    f"more data than the {self._incoming.announced} bytes announced",
                )
            self._header = None
            self.state = nxt
            self._payload_left = length
            return self._next_event()
        if len(buf) < length:
            return self._starved()
        payload = bytes(buf[:length])
        del buf[:length]
        self._header = None
        return self._on_control(Frame(frame_type, payload))

    def _starved(self) -> Sentinel:
        if not self._eof:
            return NEED_DATA
        if self._buffer or self._header is not None or self._payload_left:
            raise TruncatedStream()
        if self.state not in _CLEAN_EOF:
            raise TruncatedStream("connection closed during a transfer")
        self.state = self._closed()
        return CLOSED

    @staticmethod
    def _check_header(frame_type: bytes, length: int) -> tuple[bytes, int]:
        """What the 8-byte header alone decides, whatever the state [FRM-5/8/13]."""
        if frame_type not in _KNOWN_TYPES:
            raise RemoteProtocolError(
                ErrorCode.UNEXPECTED_FRAME, f"unknown frame type {frame_type.decode('ascii')}"
            )
        if frame_type != T_DATA and length > MAX_CONTROL_PAYLOAD:
            raise RemoteProtocolError(
                ErrorCode.FRAME_TOO_LARGE, f"control payload of {length} bytes [FRM-8]"
            )
        if frame_type == T_DATA and not 1 <= length <= MAX_DATA_PAYLOAD:
            raise RemoteProtocolError(
                ErrorCode.BAD_FRAME, f"DATA payload of {length} bytes [FRM-13]"
            )
        return frame_type, length

    def _lookup(self, frame_type: bytes) -> State:
        nxt = _TRANSITIONS.get((self.state, frame_type))
        if nxt is None:
            raise RemoteProtocolError(
                ErrorCode.UNEXPECTED_FRAME,
                f"{frame_type.decode('ascii')} is not allowed in state {self.state.value}",
            )
        return nxt

    def _on_control(self, frame: Frame) -> Message:
        nxt = self._lookup(frame.type)
        message = decode_message(frame, rsfl_for_put=self.state is I.PUT_SENT)
        if isinstance(message, ErrorFrame):
            self.state = nxt if not message.fatal else self._closed()
            self._incoming = self._outgoing = None
            return message
        if isinstance(message, FileRequest | Bye):
            pass
        elif isinstance(message, PutRequest):
            self._incoming = _Transfer(message.size, message.sha256, self._digest_factory)
        elif isinstance(message, FileResponse):
            self._incoming = _Transfer(message.size, message.sha256, self._digest_factory)
        elif isinstance(message, PutAccepted):
            assert self._outgoing is not None
        elif isinstance(message, Done):
            if self.state is I.DONE_SENT:
                assert self._outgoing is not None
                # The responder's acknowledgement must match what we sent.
                self._outgoing.check_done(message)
                self._outgoing = None
            else:
                assert self._incoming is not None
                self._incoming.check_done(message)
                self._incoming = None
                if self.role is RESPONDER:
                    self._verified_put = message
        self.state = nxt
        return message

    def _closed(self) -> State:
        return R.CLOSED if self.role is RESPONDER else I.CLOSED

    # --- sending -----------------------------------------------------------------------

    def send(self, event: Message) -> bytes:
        """The bytes of `event`; LocalProtocolError if the protocol does not allow it now."""
        if isinstance(event, Data):
            header = self.send_data_header(event.data)
            return header + bytes(event.data)
        if isinstance(event, ErrorFrame) and event.fatal:
            # A fatal error may always be sent, also after a remote error [ERR-3].
            if self.state in (R.CLOSED, I.CLOSED) and self._error is None:
                raise LocalProtocolError(ErrorCode.INTERNAL, "the connection is closed")
            self.state = self._closed()
            self._incoming = self._outgoing = None
            return encode_message(event)
        if self._error is not None:
            raise LocalProtocolError(
                ErrorCode.INTERNAL, "only a fatal EROR may follow a protocol error"
            )
        nxt = self._send_lookup(type(event))
        if isinstance(event, ErrorFrame):
            self._incoming = self._outgoing = None
        elif isinstance(event, FileResponse):
            self._outgoing = _Transfer(event.size, event.sha256, self._digest_factory)
        elif isinstance(event, PutRequest):
            self._outgoing = _Transfer(event.size, event.sha256, self._digest_factory)
        elif isinstance(event, Done):
            if self.state is R.STORING:
                if event != self._verified_put:
                    raise LocalProtocolError(ErrorCode.INTERNAL, "DONE must repeat the stored put")
                self._verified_put = None
            else:
                transfer = self._outgoing
                assert transfer is not None
                if event.size != transfer.count or event.size != transfer.announced:
                    raise LocalProtocolError(
                        ErrorCode.INTERNAL,
                        f"DONE after {transfer.count} of {transfer.announced} bytes",
                    )
                if event.sha256 != transfer.digest.hexdigest():
                    raise LocalProtocolError(ErrorCode.INTERNAL, "DONE with a wrong SHA-256")
                if self.role is RESPONDER:
                    self._outgoing = None
        data = encode_message(event)
        self.state = nxt
        return data

    def send_data_header(self, payload: bytes | bytearray | memoryview) -> bytes:
        """The fast path for DATA: accounts for `payload` and returns only its header.

        The caller sends the header and then the payload itself (e.g. from a buffer
        that reserved 8 bytes in front of the payload, so one write carries both).
        """
        if self._error is not None:
            raise LocalProtocolError(ErrorCode.INTERNAL, "the connection failed")
        self._send_lookup(Data)
        n = len(payload)
        if not 1 <= n <= MAX_DATA_PAYLOAD:
            raise LocalProtocolError(
                ErrorCode.INTERNAL, f"DATA payload must be 1..{MAX_DATA_PAYLOAD} bytes"
            )
        assert self._outgoing is not None
        if self._outgoing.count + n > self._outgoing.announced:
            raise LocalProtocolError(ErrorCode.INTERNAL, "more DATA than announced")
        self._outgoing.add(payload)
        return encode_header(T_DATA, n)

    def _send_lookup(self, kind: type[Message]) -> State:
        nxt = _SEND_TRANSITIONS.get((self.state, kind))
        if nxt is None:
            raise LocalProtocolError(
                ErrorCode.INTERNAL, f"cannot send {kind.__name__} in state {self.state.value}"
            )
        return nxt

    def outgoing_done(self) -> Done:
        """The DONE that ends the transfer we are sending (size and SHA-256 so far)."""
        if self._outgoing is None:
            raise LocalProtocolError(ErrorCode.INTERNAL, "no transfer is being sent")
        return Done(self._outgoing.count, self._outgoing.digest.hexdigest())

    def stored_done(self) -> Done:
        """The DONE acknowledging the put being stored (responder, state STORING)."""
        if self.state is not R.STORING or self._verified_put is None:
            raise LocalProtocolError(ErrorCode.INTERNAL, "no put is being stored")
        return self._verified_put
