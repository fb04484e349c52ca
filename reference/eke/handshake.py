"""The sft-eke/1 handshake, sans-IO (docs/SPEC.md §5.3): bytes in, events out.

    client                                   server
    EKE1 {"user", "a"}            ---->      (LoginAttempt: the adapter checks throttling
                                             and calls accept(pw) or refuse_throttled())
                                  <----      EKE2 {"b", "c"}
    EKE3 {"c"}                    ---->
                                  <----      EKE4 {"c"}       -> Established (both sides)

Use: `receive_data(bytes)`, then `next_event()` until it returns NEED_DATA; send
`data_to_send()` after every call. A failure raises a `ProtocolError` (for every
authentication failure the one `AuthenticationFailed`) after queueing the EROR the
spec asks for, if any, in `data_to_send()`; the adapter sends it and closes. After
`Established`, `trailing_data()` holds bytes that arrived after the last handshake
frame (the start of the record stream).

States and the frames each accepts are in `_TRANSITIONS`; any other (state, frame
type) pair is `unexpected_frame` [FRM-6], [EKE-HS-9].
"""

from __future__ import annotations

import enum
import hmac
import math
from dataclasses import dataclass
from typing import Any, Final

from reference.eke import crypto
from reference.errors import (
    AuthenticationFailed,
    ErrorCode,
    LocalProtocolError,
    ProtocolError,
    RemoteProtocolError,
)
from reference.frames import (
    HEADER_SIZE,
    MAX_CONTROL_PAYLOAD,
    NEED_DATA,
    Schema,
    Sentinel,
    check_schema,
    dumps_control,
    encode_frame,
    loads_control,
    parse_header,
)

__all__ = [
    "T_EKE1",
    "T_EKE2",
    "T_EKE3",
    "T_EKE4",
    "T_EROR",
    "HandshakeState",
    "LoginAttempt",
    "Established",
    "PeerError",
    "HandshakeEvent",
    "ServerNotAuthenticated",
    "ClientHandshake",
    "ServerHandshake",
    "encode_error",
]

T_EKE1: Final = b"EKE1"
T_EKE2: Final = b"EKE2"
T_EKE3: Final = b"EKE3"
T_EKE4: Final = b"EKE4"
T_EROR: Final = b"EROR"

_HEX_ELEMENT: Final = f"hex:{2 * crypto.ELEMENT_LEN}"  # 768
_SCHEMAS: Final[dict[bytes, Schema]] = {
    T_EKE1: {"user": ("str", True), "a": (_HEX_ELEMENT, True)},
    T_EKE2: {"b": (_HEX_ELEMENT, True), "c": ("hex:96", True)},
    T_EKE3: {"c": ("hex:160", True)},
    T_EKE4: {"c": ("hex:96", True)},
    T_EROR: {
        "code": ("int", True),
        "name": ("str", False),
        "message": ("str", False),
        "retry_after": ("int", False),
    },
}
_MAX_MESSAGE_CHARS: Final = 512


class HandshakeState(enum.Enum):
    CLIENT_AWAIT_EKE2 = "client: EKE1 sent, awaiting EKE2"
    CLIENT_AWAIT_EKE4 = "client: EKE3 sent, awaiting EKE4"
    SERVER_AWAIT_EKE1 = "server: awaiting EKE1"
    SERVER_AWAIT_KEY = "server: EKE1 received, awaiting the adapter's decision"
    SERVER_AWAIT_EKE3 = "server: EKE2 sent, awaiting EKE3"
    ESTABLISHED = "established: records follow"
    CLOSED = "closed"


_S = HandshakeState
# (state, frame type) -> (handler method, state after success). EROR is accepted in
# every state before the record phase [EKE-HS-9]; a peer's EROR closes.
_TRANSITIONS: Final[dict[tuple[HandshakeState, bytes], tuple[str, HandshakeState]]] = {
    (_S.SERVER_AWAIT_EKE1, T_EKE1): ("_on_eke1", _S.SERVER_AWAIT_KEY),
    (_S.SERVER_AWAIT_EKE3, T_EKE3): ("_on_eke3", _S.ESTABLISHED),
    (_S.CLIENT_AWAIT_EKE2, T_EKE2): ("_on_eke2", _S.CLIENT_AWAIT_EKE4),
    (_S.CLIENT_AWAIT_EKE4, T_EKE4): ("_on_eke4", _S.ESTABLISHED),
    (_S.SERVER_AWAIT_EKE1, T_EROR): ("_on_error", _S.CLOSED),
    (_S.SERVER_AWAIT_EKE3, T_EROR): ("_on_error", _S.CLOSED),
    (_S.CLIENT_AWAIT_EKE2, T_EROR): ("_on_error", _S.CLOSED),
    (_S.CLIENT_AWAIT_EKE4, T_EROR): ("_on_error", _S.CLOSED),
}
# States in which the core reads frames (in SERVER_AWAIT_KEY it waits for the adapter).
_READING: Final = frozenset(state for state, _ in _TRANSITIONS)


@dataclass(frozen=True, slots=True)
class LoginAttempt:
    """Server: an EKE1 for `user` arrived. Answer with accept() or refuse_throttled()."""

    user: str


@dataclass(frozen=True, slots=True)
class Established:
    """Both sides: the channel is up; `keys` feed the record layer."""

    user: str
    keys: crypto.SessionKeys


@dataclass(frozen=True, slots=True)
class PeerError:
    """The peer sent EROR (in clear, before the record phase); the connection closes."""

    code: ErrorCode
    message: str
    retry_after: int | None = None


HandshakeEvent = LoginAttempt | Established | PeerError


class ServerNotAuthenticated(AuthenticationFailed):
    """Client side: EKE4 did not prove that the server knows the password [EKE-HS-7]."""


def encode_error(code: ErrorCode, message: str, retry_after: int | None = None) -> bytes:
    """An EROR frame [ERR-1], with `retry_after` for `throttled` [ERR-7]."""
    obj: dict[str, Any] = {
        "code": int(code),
        "name": code.wire_name,
        "message": message[:_MAX_MESSAGE_CHARS],
    }
    if retry_after is not None:
        obj["retry_after"] = retry_after
    return encode_frame(T_EROR, dumps_control(obj))


def _control(frame_type: bytes, obj: dict[str, Any]) -> bytes:
    return encode_frame(frame_type, dumps_control(obj))


def _hex(obj: dict[str, Any], name: str) -> bytes:
    return bytes.fromhex(obj[name])


class _Handshake:
    """What client and server share: frame reading, the outbox, failure handling."""

    def __init__(self, state: HandshakeState) -> None:
        self.state = state
        self._inbox = bytearray()
        self._outbox = bytearray()
        self._eof = False
        self._pending: list[HandshakeEvent] = []
        self._failure: ProtocolError | None = None
        self.user: str | None = None

    # -- I/O side ---------------------------------------------------------------------
    def receive_data(self, data: bytes | bytearray | memoryview) -> None:
        """Bytes from the peer; b"" means end of stream."""
        if not data:
            self._eof = True
        else:
            self._inbox += data

    def data_to_send(self) -> bytes:
        out = bytes(self._outbox)
        self._outbox.clear()
        return out

    def trailing_data(self) -> bytes:
        """Bytes received after the last handshake frame (records already sent)."""
        if self.state is not HandshakeState.ESTABLISHED:
            raise LocalProtocolError(ErrorCode.INTERNAL, "handshake not established")
        out = bytes(self._inbox)
        self._inbox.clear()
        return out

    def next_event(self) -> HandshakeEvent | Sentinel:
        if self._failure is not None:
            raise self._failure.detached()
        if self._pending:
            return self._pending.pop(0)
        if self.state not in _READING:
            return NEED_DATA
        try:
            return self._read_frame()
        except ProtocolError as exc:
            self._fail(exc)
            raise

    def fail_timeout(self) -> None:
        """The adapter's handshake timer expired [EKE-HS-11], [LIM-1]."""
        self._fail(RemoteProtocolError(ErrorCode.TIMEOUT, "handshake timeout"))

    # -- internals --------------------------------------------------------------------
    def _read_frame(self) -> HandshakeEvent | Sentinel:
        buf = self._inbox
        if len(buf) < HEADER_SIZE:
            return self._need_more()
        # Every handshake frame is a control frame: 64 KiB is the limit [FRM-3], [FRM-8].
        frame_type, length = parse_header(buf[:HEADER_SIZE], MAX_CONTROL_PAYLOAD)
        step = _TRANSITIONS.get((self.state, frame_type))
        if step is None:
            raise RemoteProtocolError(
                ErrorCode.UNEXPECTED_FRAME,
                f"{frame_type.decode('ascii')} not allowed in state {self.state.name}",
            )
        if len(buf) < HEADER_SIZE + length:
            return self._need_more()
        payload = bytes(buf[HEADER_SIZE : HEADER_SIZE + length])
        del buf[: HEADER_SIZE + length]
        obj = loads_control(payload)
        check_schema(frame_type, obj, _SCHEMAS[frame_type])
        handler, next_state = step
        event: HandshakeEvent | None = getattr(self, handler)(obj)
        self.state = next_state
        if event is None:
            return self.next_event()
        return event

    def _need_more(self) -> Sentinel:
        if self._eof:
            if self._inbox:
                raise RemoteProtocolError(ErrorCode.BAD_FRAME, "connection closed inside a frame")
            raise RemoteProtocolError(ErrorCode.BAD_FRAME, "connection closed during handshake")
        return NEED_DATA

    def _on_error(self, obj: dict[str, Any]) -> PeerError:
        retry = obj.get("retry_after")
        return PeerError(
            ErrorCode.from_wire(obj["code"]),
            str(obj.get("message", ""))[:_MAX_MESSAGE_CHARS],
            retry if isinstance(retry, int) else None,
        )

    def _fail(self, exc: ProtocolError) -> None:
        """Queues the EROR that `exc` calls for (if any), then refuses further use."""
        if self._failure is None and self.state is not HandshakeState.CLOSED:
            if self._should_answer(exc):
                self._outbox += encode_error(exc.code, _public_message(exc))
        self._failure = exc.detached()
        self.state = HandshakeState.CLOSED

    def _should_answer(self, exc: ProtocolError) -> bool:
        return True


def _public_message(exc: ProtocolError) -> str:
    # One fixed text for every authentication failure [EKE-HS-8], [ERR-6].
    if exc.code is ErrorCode.AUTH_FAILED:
        return AuthenticationFailed.MESSAGE
    return exc.message


class ClientHandshake(_Handshake):
    """The initiator: EKE1 is queued at construction."""

    def __init__(self, user: str, pw: bytes) -> None:
        self._setup(
            user, pw, ephemeral=crypto.new_ephemeral(), sign_bit=None, na=crypto.new_nonce()
        )

    @classmethod
    def _from_parts(
        cls, user: str, pw: bytes, *, ephemeral: crypto.Ephemeral, sign_bit: int, na: bytes
    ) -> ClientHandshake:
        self = cls.__new__(cls)
        self._setup(user, pw, ephemeral=ephemeral, sign_bit=sign_bit, na=na)
        return self

    def _setup(
        self,
        user: str,
        pw: bytes,
        *,
        ephemeral: crypto.Ephemeral,
        sign_bit: int | None,
        na: bytes,
    ) -> None:
        super().__init__(HandshakeState.CLIENT_AWAIT_EKE2)
        crypto.check_user_name(user)
        self.user = user
        self._pw = pw
        self._ephemeral = ephemeral
        self._na = na
        if sign_bit is None:
            self._a = crypto.hide_element(pw, ephemeral.element)
        else:
            self._a = crypto._hide_element_from_parts(pw, ephemeral.element, sign_bit=sign_bit)
        self._th = b""
        self._keys: crypto.SessionKeys | None = None
        self._outbox += _control(T_EKE1, {"user": user, "a": self._a.hex()})

    def _on_eke2(self, obj: dict[str, Any]) -> None:
        # Every failure here is "wrong password or unknown user" [EKE-HS-4].
        b = _hex(obj, "b")
        y = crypto.reveal_element(self._pw, b)
        z = crypto.shared_secret(self._ephemeral, y)
        assert self.user is not None
        self._th = crypto.transcript_hash(self.user, self._a, b)
        keys = crypto.derive_keys(z, self._th)
        ns = crypto.open_confirm(keys.kcs, 2, _hex(obj, "c"), self._th)
        if len(ns) != crypto.NONCE_LEN:
            raise AuthenticationFailed()
        self._keys = keys
        c3 = crypto.seal_confirm(keys.kcc, 3, self._na + ns, self._th)
        self._outbox += _control(T_EKE3, {"c": c3.hex()})
        # x, Z and the password key are not needed any more [EKE-KS-5] (best effort:
        # Python cannot wipe immutable ints and bytes, but it can drop references).
        del self._ephemeral, self._pw
        return None

    def _on_eke4(self, obj: dict[str, Any]) -> Established:
        assert self._keys is not None and self.user is not None
        try:
            na = crypto.open_confirm(self._keys.kcs, 4, _hex(obj, "c"), self._th)
        except AuthenticationFailed:
            raise ServerNotAuthenticated() from None
        if not hmac.compare_digest(na, self._na):
            raise ServerNotAuthenticated()
        return Established(self.user, self._keys)

    def _should_answer(self, exc: ProtocolError) -> bool:
        # EKE-HS-4: a bad EKE2 is answered auth_failed. EKE-HS-7: a bad EKE4 only
        # closes (the server has not proven anything: tell it nothing more).
        return not isinstance(exc, ServerNotAuthenticated) and exc.code is not ErrorCode.TIMEOUT


class ServerHandshake(_Handshake):
    """The responder. Emits LoginAttempt after EKE1; the adapter decides."""

    def __init__(self) -> None:
        super().__init__(HandshakeState.SERVER_AWAIT_EKE1)
        self._pinned: tuple[crypto.Ephemeral, int, bytes] | None = None

    @classmethod
    def _from_parts(
        cls, *, ephemeral: crypto.Ephemeral, sign_bit: int, ns: bytes
    ) -> ServerHandshake:
        self = cls()
        self._pinned = (ephemeral, sign_bit, ns)
        return self

    def _on_eke1(self, obj: dict[str, Any]) -> LoginAttempt:
        user = obj["user"]
        try:
            crypto.check_user_name(user)
        except ValueError as exc:
            # No account can have this name, and that is public: nothing is revealed.
            raise RemoteProtocolError(ErrorCode.BAD_FRAME, f"EKE1: {exc}") from None
        self.user = user
        self._a = _hex(obj, "a")
        return LoginAttempt(user)

    def accept(self, pw: bytes) -> None:
        """Answers the LoginAttempt with EKE2, using the user's key or the fake one.

        The work is the same whether the user exists or X' is valid: an invalid X'
        only dooms the handshake to fail at EKE3, like a wrong password [EKE-X-3].
        """
        if self.state is not HandshakeState.SERVER_AWAIT_KEY:
            raise LocalProtocolError(ErrorCode.INTERNAL, "accept() without a LoginAttempt")
        assert self.user is not None
        if self._pinned is None:
            ephemeral, sign_bit, ns = crypto.new_ephemeral(), None, crypto.new_nonce()
        else:
            ephemeral, sign_bit, ns = self._pinned
        self._doomed = False
        try:
            x = crypto.reveal_element(pw, self._a)
        except AuthenticationFailed:
            self._doomed, x = True, crypto.G  # same exponentiation cost, result unused
        if sign_bit is None:
            b = crypto.hide_element(pw, ephemeral.element)
        else:
            b = crypto._hide_element_from_parts(pw, ephemeral.element, sign_bit=sign_bit)
        try:
            z = crypto.shared_secret(ephemeral, x)
        except AuthenticationFailed:
            self._doomed = True
        if self._doomed:
            # Keys nobody can derive (with x = g, Z would be Y itself): C2 is noise.
            z = crypto.random_bytes(crypto.ELEMENT_LEN)
        self._th = crypto.transcript_hash(self.user, self._a, b)
        self._keys = crypto.derive_keys(z, self._th)
        self._ns = ns
        c2 = crypto.seal_confirm(self._keys.kcs, 2, ns, self._th)
        self._outbox += _control(T_EKE2, {"b": b.hex(), "c": c2.hex()})
        self.state = HandshakeState.SERVER_AWAIT_EKE3

    def refuse_throttled(self, retry_after: float) -> None:
        """Answers the LoginAttempt with EROR throttled, no exponentiation [EKE-THR-1]."""
        if self.state is not HandshakeState.SERVER_AWAIT_KEY:
            raise LocalProtocolError(ErrorCode.INTERNAL, "refuse_throttled() out of turn")
        seconds = max(1, math.ceil(retry_after))
        self._outbox += encode_error(
            ErrorCode.THROTTLED, "too many failed logins; try again later", seconds
        )
        self._failure = RemoteProtocolError(ErrorCode.THROTTLED, "throttled")
        self.state = HandshakeState.CLOSED

    def refuse_busy(self, retry_after: int) -> None:
        """Answers the LoginAttempt with EROR busy: too many pending handshakes of its
        user name or address; not counted, no exponentiation [EKE-THR-7]."""
        if self.state is not HandshakeState.SERVER_AWAIT_KEY:
            raise LocalProtocolError(ErrorCode.INTERNAL, "refuse_busy() out of turn")
        self._outbox += encode_error(
            ErrorCode.BUSY, "too many logins in progress; try again shortly", max(1, retry_after)
        )
        self._failure = RemoteProtocolError(ErrorCode.BUSY, "busy")
        self.state = HandshakeState.CLOSED

    def _on_eke3(self, obj: dict[str, Any]) -> Established:
        # [EKE-HS-6], [EKE-HS-8]: one failure for every cause, after the same work.
        plain = crypto.open_confirm(self._keys.kcc, 3, _hex(obj, "c"), self._th)
        ok = hmac.compare_digest(plain[crypto.NONCE_LEN :], self._ns)
        if not ok or self._doomed or len(plain) != 2 * crypto.NONCE_LEN:
            raise AuthenticationFailed()
        c4 = crypto.seal_confirm(self._keys.kcs, 4, plain[: crypto.NONCE_LEN], self._th)
        self._outbox += _control(T_EKE4, {"c": c4.hex()})
        assert self.user is not None
        return Established(self.user, self._keys)
