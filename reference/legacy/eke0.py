"""sft-eke/0: the second seed's "EKE" exchange, sans-IO (INSECURE).

Every message is a bare ``send`` with no length or delimiter; the seed's
receiver does one ``recv(1024)`` per message. The sequence (C = client, S =
server; ``pw39`` = password padded on the right with ASCII '0' to 39 bytes;
``xor`` stops at the shorter input; numbers are ASCII decimal)::

     1 C->S  username                               (read boundary)
     2 S->C  "u_ack"                                (always: the seed's `or` bug)
     3 C->S  password, in clear                     (read boundary)
     4 S->C  "Authenticated" | "Not Authenticated"  (the latter: back to 1)
     5 C->S  str(p)                                 (read boundary)
     6 S->C  "pAck"
     7 C->S  str(g)                                 (read boundary)
     8 S->C  "gAck"
     9 C->S  xor(str(g^Xa mod p), pw39)             (read boundary)
    10 S->C  "xorAck"
    11 S->C  xor(str(g^Xs mod p), pw39)             right after 10 (read boundary)
    12 C->S  "xorServerAck"
    13 S->C  AES-CBC(K, IV=0, Ns)                   32 bytes
    14 C->S  "aesAck"
    15 C->S  AES-CBC(K, IV=0, Na || Ns)             64 bytes, right after 14
    16 S->C  "clientAesAck"
    17 C->S  "send_aes_nonceNa"
    18 S->C  AES-CBC(K, IV=0, first 16 bytes of Na) 16 bytes
    19 S->C  str(file length)                       right after 18 (read boundary)
    20 C->S  "LnACK"
    21 S->C  "ok"
    22 S->C  the file, raw, in 1024-byte sends      right after 21
    23 C->S  "File delivered"
    24 S->C  SHA-1(file) as 40 lower-case hex digits, in clear
    then S waits for 1 again; C closes.

K = the first 32 decimal digits of Kas = g^(Xa*Xs) mod p, as ASCII (AES-256).

Framing: where a message has a known length or is one of a few literal strings
(2, 4, 6, 8, 10, 12-18, 20-24) the cores buffer until it is complete, so the
four places where the seed sends two messages back to back (10+11, 14+15,
18+19, 21+22) work even when TCP coalesces them. Messages 1, 3, 5, 7, 9, 11 and 19
have no length and no delimiter at all: for them, and only them, the cores
keep the seed's rule "one read is one message" (``receive_data`` must be called
once per ``recv``), which is what an existing deployment relies on. A split or
coalesced message there is misread, exactly as by the seed (LEG-EKE-11).
"""

from __future__ import annotations

__all__ = [
    "SEED_P",
    "SEED_G",
    "SEED_CLIENT_EXPONENT",
    "SEED_SERVER_EXPONENT",
    "NONCE_NA",
    "NONCE_NS",
    "PASSWORD_WIDTH",
    "FILE_PIECE",
    "RECV_SIZE",
    "U_ACK",
    "AUTHENTICATED",
    "NOT_AUTHENTICATED",
    "WRONG_USERNAME",
    "P_ACK",
    "G_ACK",
    "XOR_ACK",
    "XOR_SERVER_ACK",
    "AES_ACK",
    "CLIENT_AES_ACK",
    "SEND_NA",
    "LN_ACK",
    "OK",
    "FILE_DELIVERED",
    "pad_password",
    "xor_truncating",
    "hide_public",
    "reveal_public",
    "session_key",
    "UsernameReceived",
    "PasswordChecked",
    "KeyAgreed",
    "SendFile",
    "FileData",
    "TransferDone",
    "Eke0Event",
    "Eke0Server",
    "Eke0Client",
]

import enum
import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from reference.legacy import _crypto
from reference.legacy.errors import LegacyAuthError, LegacyLocalError, LegacyRemoteError

# The seed's 128-bit "DH" group (client side, sent to the server in clear).
SEED_P = 197221152031991558322935568090317202983
SEED_G = 2
# The seed's fixed secret exponents (its random ones were commented out): with
# them every session derives the same key (LEG-EKE-4). `--random-exponent`
# draws fresh ones, which does not make the 128-bit group any safer.
SEED_CLIENT_EXPONENT = 4597
SEED_SERVER_EXPONENT = 5516
NONCE_NA = b"11000110001100011000000000000000"
NONCE_NS = b"11100111011100111000000000000000"
PASSWORD_WIDTH = 39
FILE_PIECE = 1024
RECV_SIZE = 1024  # the seed's recv(1024): also the largest read-boundary message
LENGTH_DIGITS = 16  # the seed client's recv(16) for the file length
MAX_DECIMAL_DIGITS = 1024

U_ACK = b"u_ack"
WRONG_USERNAME = b"Wrong Username"
AUTHENTICATED = b"Authenticated"
NOT_AUTHENTICATED = b"Not Authenticated"
P_ACK = b"pAck"
G_ACK = b"gAck"
XOR_ACK = b"xorAck"
XOR_SERVER_ACK = b"xorServerAck"
AES_ACK = b"aesAck"
CLIENT_AES_ACK = b"clientAesAck"
SEND_NA = b"send_aes_nonceNa"
LN_ACK = b"LnACK"
OK = b"ok"
FILE_DELIVERED = b"File delivered"
_DIGEST_LEN = 40


def pad_password(password: bytes) -> bytes:
    """`password.ljust(39, '0')`: longer passwords are not cut (xor cuts them)."""
    return password.ljust(PASSWORD_WIDTH, b"0")


def xor_truncating(a: bytes, b: bytes) -> bytes:
    """The seed's xor_message: byte-wise xor over the shorter of the two."""
    return bytes(x ^ y for x, y in zip(a, b, strict=False))


def hide_public(value: int, password: bytes) -> bytes:
    """xor(str(value), pw39): decimal digits under the password, no randomness.

    LEG-EKE-5: every byte of the result is a password byte xor an ASCII digit,
    so each position leaves 10 candidates and the '0' padding shows the
    password's length: a capture is an offline dictionary oracle.
    """
    return xor_truncating(str(value).encode("ascii"), pad_password(password))


def reveal_public(hidden: bytes, password: bytes) -> int:
    digits = xor_truncating(hidden, pad_password(password))
    if not digits or not digits.isdigit():
        # The seed crashed in int() here (a wrong password gives non-digits).
        raise LegacyRemoteError("the hidden public value is not decimal digits")
    return int(digits)


def session_key(kas: int) -> bytes:
    return str(kas).encode("ascii")[:32]


def _decimal(data: bytes, what: str, max_digits: int = MAX_DECIMAL_DIGITS) -> int:
    if not data or not data.isdigit() or len(data) > max_digits:
        raise LegacyRemoteError(f"{what} is not a decimal number: {data[:40]!r}")
    return int(data)


# --- events ---------------------------------------------------------------


@dataclass(frozen=True)
class UsernameReceived:
    username: bytes


@dataclass(frozen=True)
class PasswordChecked:
    username: bytes
    accepted: bool


@dataclass(frozen=True)
class KeyAgreed:
    """Both sides: K is known. `p` and `g` are whatever the client sent."""

    p: int
    g: int
    key: bytes


@dataclass(frozen=True)
class SendFile:
    """Server: "ok" is queued; feed exactly `size` bytes to `send_file_data`."""

    size: int


@dataclass(frozen=True)
class FileData:
    data: bytes


@dataclass(frozen=True)
class TransferDone:
    """Client: the digest arrived. `intact` compares two SHA-1s sent in clear."""

    size: int
    server_sha1: str
    local_sha1: str
    server_confirmed: bool  # NOT acted on: the seed's client never checks message 18

    @property
    def intact(self) -> bool:
        return self.server_sha1 == self.local_sha1


Eke0Event = UsernameReceived | PasswordChecked | KeyAgreed | SendFile | FileData | TransferDone


class _Framing(enum.Enum):
    SEGMENT = "one read"  # the rest of the current read is the message
    FIXED = "fixed length"
    LITERAL = "literal"
    STREAM = "file bytes"
    NONE = "nothing expected"


@dataclass(frozen=True)
class _Step:
    """One row of a step table: how the message of a state is cut, and its handler."""

    framing: _Framing
    size: int = 0  # SEGMENT: at most; FIXED: exactly; STREAM: from the state
    literals: tuple[bytes, ...] = ()
    handler: Callable[[Any, bytes], list[Eke0Event]] = lambda _core, _message: []


class _Core:
    """Buffers reads and cuts messages by the framing each state expects."""

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._out = bytearray()
        self._broken = False
        self.closed = False

    def data_to_send(self) -> bytes:
        out = bytes(self._out)
        self._out.clear()
        return out

    def _send(self, message: bytes) -> None:
        self._out += message

    # Subclasses look their current state up in their step table (_SERVER_STEPS,
    # _CLIENT_STEPS below): one table per role says what each state accepts, how
    # that message is delimited, and which handler takes it. A state missing from
    # the table accepts nothing.
    def _step(self) -> _Step | None:
        raise NotImplementedError  # pragma: no cover

    def _stream_size(self) -> int:
        return 0

    def _framing(self) -> tuple[_Framing, int, tuple[bytes, ...]]:
        step = self._step()
        if step is None:
            return _Framing.NONE, 0, ()
        size = self._stream_size() if step.framing is _Framing.STREAM else step.size
        return step.framing, size, step.literals

    def _on_message(self, message: bytes) -> list[Eke0Event]:
        step = self._step()
        if step is None:  # pragma: no cover - _take() refuses bytes first
            raise LegacyRemoteError(f"unexpected message in state {self.state}")
        return step.handler(self, message)

    def _on_close(self) -> list[Eke0Event]:
        raise NotImplementedError  # pragma: no cover

    @property
    def state(self) -> str:
        raise NotImplementedError  # pragma: no cover

    def receive_data(self, data: bytes) -> list[Eke0Event]:
        """Feed the result of ONE recv (b"" = the peer closed)."""
        if self._broken:
            raise LegacyLocalError("this session already failed")
        try:
            if not data:
                self.closed = True
                return self._on_close()
            self._buffer += data
            events: list[Eke0Event] = []
            # Bounded: each pass consumes at least one byte or stops.
            while self._buffer:
                taken = self._take()
                if taken is None:
                    break
                events.extend(self._on_message(taken))
            return events
        except LegacyRemoteError:
            self._broken = True
            raise

    def _take(self) -> bytes | None:
        framing, size, literals = self._framing()
        buf = self._buffer
        if framing is _Framing.SEGMENT:
            if len(buf) > size:
                raise LegacyRemoteError(f"{len(buf)}-byte message where at most {size} fit")
            message = bytes(buf)
        elif framing in (_Framing.FIXED, _Framing.STREAM):
            if framing is _Framing.FIXED and len(buf) < size:
                return None
            message = bytes(buf[:size])
        elif framing is _Framing.LITERAL:
            for literal in literals:
                if buf[: len(literal)] == literal:
                    message = literal
                    break
            else:
                if any(literal.startswith(bytes(buf)) for literal in literals):
                    return None
                expected = " or ".join(repr(x) for x in literals)
                raise LegacyRemoteError(f"expected {expected} in state {self.state}")
        else:
            raise LegacyRemoteError(f"unexpected {len(buf)} bytes in state {self.state}")
        del buf[: len(message)]
        return message


class _S(enum.Enum):
    USERNAME = "await username"
    SECRET = "await password"  # noqa: S105 - a state name, not a password
    P = "await p"
    G = "await g"
    CLIENT_XOR = "await client xor"
    XOR_SERVER_ACK = "await xorServerAck"
    AES_ACK = "await aesAck"
    M3 = "await AES(Na||Ns)"
    SEND_NA = "await send_aes_nonceNa"
    LN_ACK = "await LnACK"
    SENDING = "sending the file"
    DELIVERED = "await File delivered"
    CLOSED = "closed"


class Eke0Server(_Core):
    """The seed's server: one account's password, one file, any username."""

    def __init__(
        self,
        password: bytes,
        file_size: int,
        *,
        exponent: int | None = SEED_SERVER_EXPONENT,
        nonce_ns: bytes = NONCE_NS,
    ) -> None:
        """`exponent=None` draws a fresh exponent for every handshake (every login on the
        connection: EKE-X-1 is per handshake, not per connection)."""
        super().__init__()
        if file_size < 0 or len(str(file_size)) > LENGTH_DIGITS:
            raise LegacyLocalError("file size does not fit the seed's 16-digit length")
        self._password = password
        self._file_size = file_size
        self._exponent = exponent
        if len(nonce_ns) != len(NONCE_NS):
            raise LegacyLocalError("Ns is 32 bytes in sft-eke/0 (message 15 has a fixed size)")
        self._nonce_ns = nonce_ns
        self._s = _S.USERNAME
        self._username = b""
        self._p = 0
        self._g = 0
        self._key = b""
        self._pending_e1 = b""
        self._na16 = b""
        self._remaining = 0
        self._sha1 = hashlib.sha1(usedforsecurity=False)
        self.transfers = 0

    @property
    def state(self) -> str:
        return self._s.value

    def _step(self) -> _Step | None:
        return _SERVER_STEPS.get(self._s)

    def _on_username(self, message: bytes) -> list[Eke0Event]:
        # LEG-EKE-2: `if data == 'yash101' or 'pooshan101'` is always true.
        self._username = message
        self._send(U_ACK)
        self._s = _S.SECRET
        return [UsernameReceived(message)]

    def _on_secret(self, message: bytes) -> list[Eke0Event]:
        # LEG-EKE-1: the password arrived in clear; LEG-EKE-10: unlimited retries.
        accepted = message == self._password
        self._send(AUTHENTICATED if accepted else NOT_AUTHENTICATED)
        self._s = _S.P if accepted else _S.USERNAME
        return [PasswordChecked(self._username, accepted)]

    def _on_p(self, message: bytes) -> list[Eke0Event]:
        # LEG-EKE-3: the server uses whatever group the client sends.
        self._p = _decimal(message, "p")
        if self._p < 3:
            raise LegacyRemoteError("p is smaller than 3")
        self._send(P_ACK)
        self._s = _S.G
        return []

    def _on_g(self, message: bytes) -> list[Eke0Event]:
        self._g = _decimal(message, "g")
        self._send(G_ACK)
        self._s = _S.CLIENT_XOR
        return []

    def _on_client_xor(self, message: bytes) -> list[Eke0Event]:
        client_public = reveal_public(message, self._password)
        exponent = self._exponent
        if exponent is None:
            exponent = secrets.randbelow(max(self._p - 3, 1)) + 2
        server_public = pow(self._g, exponent, self._p)
        self._key = session_key(pow(client_public, exponent, self._p))
        # LEG-EKE-6: fixed nonce, zero IV: message 13 is the same every session.
        e1 = _crypto.aes_cbc_zero_iv_encrypt(self._key, self._nonce_ns)
        self._pending_e1 = e1
        self._send(XOR_ACK)
        self._send(hide_public(server_public, self._password))
        self._s = _S.XOR_SERVER_ACK
        return [KeyAgreed(self._p, self._g, self._key)]

    def _on_xor_server_ack(self, message: bytes) -> list[Eke0Event]:
        self._send(self._pending_e1)
        self._s = _S.AES_ACK
        return []

    def _on_aes_ack(self, message: bytes) -> list[Eke0Event]:
        self._s = _S.M3
        return []

    def _on_m3(self, message: bytes) -> list[Eke0Event]:
        plain = _crypto.aes_cbc_zero_iv_decrypt(self._key, message)
        # LEG-EKE-7: Ns in the second half is never compared with ours.
        self._na16 = plain[:16]
        self._send(CLIENT_AES_ACK)
        self._s = _S.SEND_NA
        return []

    def _on_send_na(self, message: bytes) -> list[Eke0Event]:
        self._send(_crypto.aes_cbc_zero_iv_encrypt(self._key, self._na16))
        self._send(str(self._file_size).encode("ascii"))
        self._s = _S.LN_ACK
        return []

    def _on_ln_ack(self, message: bytes) -> list[Eke0Event]:
        self._send(OK)
        self._remaining = self._file_size
        self._sha1 = hashlib.sha1(usedforsecurity=False)
        self._s = _S.SENDING if self._file_size else _S.DELIVERED
        return [SendFile(self._file_size)]

    def _on_delivered(self, message: bytes) -> list[Eke0Event]:
        # LEG-EKE-9: SHA-1 in clear, next to the file it "protects".
        self._send(self._sha1.hexdigest().encode("ascii"))
        self.transfers += 1
        self._s = _S.USERNAME
        return []

    def send_file_data(self, data: bytes) -> None:
        """Queue file bytes (the adapter sends them in 1024-byte pieces)."""
        if self._s is not _S.SENDING:
            raise LegacyLocalError(f"cannot send file data in state {self.state}")
        if len(data) > self._remaining:
            raise LegacyLocalError("more file data than the announced length")
        self._sha1.update(data)
        self._send(data)  # LEG-EKE-8: the file travels in clear
        self._remaining -= len(data)
        if self._remaining == 0:
            self._s = _S.DELIVERED

    def _on_close(self) -> list[Eke0Event]:
        self._s = _S.CLOSED
        return []


def _literal(value: bytes, handler: Callable[[Any, bytes], list[Eke0Event]]) -> _Step:
    return _Step(_Framing.LITERAL, len(value), (value,), handler)


_SERVER_STEPS: dict[_S, _Step] = {
    _S.USERNAME: _Step(_Framing.SEGMENT, RECV_SIZE, handler=Eke0Server._on_username),
    _S.SECRET: _Step(_Framing.SEGMENT, RECV_SIZE, handler=Eke0Server._on_secret),
    _S.P: _Step(_Framing.SEGMENT, RECV_SIZE, handler=Eke0Server._on_p),
    _S.G: _Step(_Framing.SEGMENT, RECV_SIZE, handler=Eke0Server._on_g),
    _S.CLIENT_XOR: _Step(_Framing.SEGMENT, RECV_SIZE, handler=Eke0Server._on_client_xor),
    _S.XOR_SERVER_ACK: _literal(XOR_SERVER_ACK, Eke0Server._on_xor_server_ack),
    _S.AES_ACK: _literal(AES_ACK, Eke0Server._on_aes_ack),
    _S.M3: _Step(_Framing.FIXED, len(NONCE_NA) + len(NONCE_NS), handler=Eke0Server._on_m3),
    _S.SEND_NA: _literal(SEND_NA, Eke0Server._on_send_na),
    _S.LN_ACK: _literal(LN_ACK, Eke0Server._on_ln_ack),
    _S.DELIVERED: _literal(FILE_DELIVERED, Eke0Server._on_delivered),
    # SENDING and CLOSED accept nothing from the client.
}


class _C(enum.Enum):
    U_ACK = "await u_ack"
    DECISION = "await Authenticated"
    P_ACK = "await pAck"
    G_ACK = "await gAck"
    XOR_ACK = "await xorAck"
    SERVER_XOR = "await server xor"
    E1 = "await AES(Ns)"
    CLIENT_AES_ACK = "await clientAesAck"
    E3 = "await AES(Na)"
    LENGTH = "await file length"
    OK = "await ok"
    FILE = "receiving the file"
    DIGEST = "await SHA-1"
    DONE = "done"


class Eke0Client(_Core):
    """The seed's client: sends username and password, runs the exchange, gets one file."""

    def __init__(
        self,
        username: bytes,
        password: bytes,
        *,
        exponent: int = SEED_CLIENT_EXPONENT,
        p: int = SEED_P,
        g: int = SEED_G,
        nonce_na: bytes = NONCE_NA,
        max_size: int = 1 << 40,
    ) -> None:
        super().__init__()
        self._password = password
        self._exponent = exponent
        self._p, self._g = p, g
        self._nonce_na = nonce_na
        self._max_size = max_size
        self._key = b""
        self._c = _C.U_ACK
        self._size = 0
        self._remaining = 0
        self._sha1 = hashlib.sha1(usedforsecurity=False)
        self._confirmed = False
        self._send(username)

    @property
    def state(self) -> str:
        return self._c.value

    def _step(self) -> _Step | None:
        return _CLIENT_STEPS.get(self._c)

    def _stream_size(self) -> int:
        return self._remaining

    def _on_u_ack(self, message: bytes) -> list[Eke0Event]:
        if message == WRONG_USERNAME:
            raise LegacyAuthError("the server answered 'Wrong Username'")
        self._send(self._password)  # LEG-EKE-1: in clear
        self._c = _C.DECISION
        return []

    def _on_decision(self, message: bytes) -> list[Eke0Event]:
        if message == NOT_AUTHENTICATED:
            raise LegacyAuthError("the server answered 'Not Authenticated'")
        self._send(str(self._p).encode("ascii"))
        self._c = _C.P_ACK
        return []

    def _on_p_ack(self, message: bytes) -> list[Eke0Event]:
        self._send(str(self._g).encode("ascii"))
        self._c = _C.G_ACK
        return []

    def _on_g_ack(self, message: bytes) -> list[Eke0Event]:
        self._send(hide_public(pow(self._g, self._exponent, self._p), self._password))
        self._c = _C.XOR_ACK
        return []

    def _on_xor_ack(self, message: bytes) -> list[Eke0Event]:
        self._c = _C.SERVER_XOR
        return []

    def _on_server_xor(self, message: bytes) -> list[Eke0Event]:
        server_public = reveal_public(message, self._password)
        self._key = session_key(pow(server_public, self._exponent, self._p))
        self._send(XOR_SERVER_ACK)
        self._c = _C.E1
        return [KeyAgreed(self._p, self._g, self._key)]

    def _on_e1(self, message: bytes) -> list[Eke0Event]:
        nonce_ns = _crypto.aes_cbc_zero_iv_decrypt(self._key, message)
        self._send(AES_ACK)
        self._send(_crypto.aes_cbc_zero_iv_encrypt(self._key, self._nonce_na + nonce_ns))
        self._c = _C.CLIENT_AES_ACK
        return []

    def _on_client_aes_ack(self, message: bytes) -> list[Eke0Event]:
        self._send(SEND_NA)
        self._c = _C.E3
        return []

    def _on_e3(self, message: bytes) -> list[Eke0Event]:
        # LEG-EKE-7: the seed's client prints message 18 and never checks it.
        expected = _crypto.aes_cbc_zero_iv_encrypt(self._key, self._nonce_na[:16])
        self._confirmed = message == expected
        self._c = _C.LENGTH
        return []

    def _on_length(self, message: bytes) -> list[Eke0Event]:
        self._size = _decimal(message, "file length", LENGTH_DIGITS)
        if self._size > self._max_size:
            raise LegacyRemoteError(f"file of {self._size} bytes is over the limit")
        self._send(LN_ACK)
        self._c = _C.OK
        return []

    def _on_ok(self, message: bytes) -> list[Eke0Event]:
        self._remaining = self._size
        self._c = _C.FILE if self._size else _C.DIGEST
        if not self._size:
            self._send(FILE_DELIVERED)
        return []

    def _on_file(self, message: bytes) -> list[Eke0Event]:
        self._sha1.update(message)
        self._remaining -= len(message)
        if self._remaining == 0:
            self._send(FILE_DELIVERED)
            self._c = _C.DIGEST
        return [FileData(message)]

    def _on_digest(self, message: bytes) -> list[Eke0Event]:
        try:
            server_sha1 = message.decode("ascii")
        except UnicodeDecodeError as exc:
            raise LegacyRemoteError("the SHA-1 digest is not ASCII") from exc
        self._c = _C.DONE
        return [TransferDone(self._size, server_sha1, self._sha1.hexdigest(), self._confirmed)]

    def _on_close(self) -> list[Eke0Event]:
        if self._c is not _C.DONE:
            raise LegacyRemoteError(f"the server closed in state {self.state}")
        return []


_CLIENT_STEPS: dict[_C, _Step] = {
    _C.U_ACK: _Step(_Framing.LITERAL, 0, (U_ACK, WRONG_USERNAME), Eke0Client._on_u_ack),
    _C.DECISION: _Step(
        _Framing.LITERAL, 0, (AUTHENTICATED, NOT_AUTHENTICATED), Eke0Client._on_decision
    ),
    _C.P_ACK: _literal(P_ACK, Eke0Client._on_p_ack),
    _C.G_ACK: _literal(G_ACK, Eke0Client._on_g_ack),
    _C.XOR_ACK: _literal(XOR_ACK, Eke0Client._on_xor_ack),
    _C.SERVER_XOR: _Step(_Framing.SEGMENT, RECV_SIZE, handler=Eke0Client._on_server_xor),
    _C.E1: _Step(_Framing.FIXED, 32, handler=Eke0Client._on_e1),
    _C.CLIENT_AES_ACK: _literal(CLIENT_AES_ACK, Eke0Client._on_client_aes_ack),
    _C.E3: _Step(_Framing.FIXED, 16, handler=Eke0Client._on_e3),
    _C.LENGTH: _Step(_Framing.SEGMENT, LENGTH_DIGITS, handler=Eke0Client._on_length),
    _C.OK: _literal(OK, Eke0Client._on_ok),
    _C.FILE: _Step(_Framing.STREAM, handler=Eke0Client._on_file),
    _C.DIGEST: _Step(_Framing.FIXED, _DIGEST_LEN, handler=Eke0Client._on_digest),
    # DONE accepts nothing more.
}
