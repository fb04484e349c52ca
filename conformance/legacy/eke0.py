"""The suite's own client side of sft-eke/0 (docs/SPEC.md §7.3), with pycryptodome.

`EkeClient` sends each numbered message of the table of docs/SPEC.md §7.3 itself and
keeps what the server answered under the same numbers, so a test can stop, tamper or
replay at any step. Reading follows the table: literals and fixed lengths are read exactly,
messages without a length (11, 19) are "what is buffered, or the next read".
"""

from __future__ import annotations

__all__ = [
    "P",
    "G",
    "CLIENT_EXPONENT",
    "NA",
    "WRONG_USERNAME",
    "pad39",
    "xor",
    "hide",
    "reveal",
    "aes_cbc_zero_iv",
    "aes_cbc_zero_iv_decrypt",
    "EkeClient",
    "EkeLink",
]

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field

from Crypto.Cipher import AES

from conformance.legacy.stream import LegacyStream, TimedOut

P = 197221152031991558322935568090317202983
G = 2
CLIENT_EXPONENT = 4597
NA = b"11000110001100011000000000000000"
WRONG_USERNAME = b"Wrong Username"  # message 2 of a server that checks the name


def pad39(password: bytes) -> bytes:
    return password.ljust(39, b"0")


def xor(a: bytes, b: bytes) -> bytes:
    return bytes(x ^ y for x, y in zip(a, b, strict=False))


def hide(value: int, password: bytes) -> bytes:
    return xor(str(value).encode(), pad39(password))


def reveal(hidden: bytes, password: bytes) -> int | None:
    digits = xor(hidden, pad39(password))
    return int(digits) if digits and digits.isdigit() else None


def aes_cbc_zero_iv(key: bytes, data: bytes) -> bytes:
    return AES.new(key, AES.MODE_CBC, iv=bytes(16)).encrypt(data)


def aes_cbc_zero_iv_decrypt(key: bytes, data: bytes) -> bytes:
    return AES.new(key, AES.MODE_CBC, iv=bytes(16)).decrypt(data)


@dataclass
class EkeClient:
    """A step-by-step sft-eke/0 client; `got[n]` is server message n of the table."""

    stream: LegacyStream
    password: bytes
    exponent: int = CLIENT_EXPONENT
    p: int = P
    g: int = G
    got: dict[int, bytes] = field(default_factory=dict)
    sent: dict[int, bytes] = field(default_factory=dict)  # client message n of the table
    key: bytes = b""
    # True while the server waits for message 1 (a fresh connection, after message 24
    # or after 'Not Authenticated'): the connection can carry the next session.
    at_rest: bool = True
    # > 0: before each client message the server must wait for (12, 17, 20, 23), wait
    # this long for bytes it must not have sent yet (a message merged with the next one,
    # LEG-EKE-FMT-1); an AssertionError names them.
    order_wait: float = 0.0

    def __post_init__(self) -> None:
        self.sent_from = len(self.stream.sent)  # this session's bytes in the transcript
        self.received_from = len(self.stream.received)

    def _send(self, number: int, data: bytes) -> None:
        if self.order_wait and number in (12, 17, 20, 23):
            self._nothing_before(number)
        self.at_rest = False
        self.sent[number] = data
        self.stream.send(data)

    def _nothing_before(self, number: int) -> None:
        early = self.stream.pending()
        if not early:
            try:
                early = self.stream.read_segment(timeout=self.order_wait)
            except TimedOut:
                return
        raise AssertionError(
            f"the server sent {early[:24]!r} ({len(early)} bytes) before the client's "
            f"message {number}, which it must wait for (docs/SPEC.md §7.3.3)"
        )

    @property
    def session_sent(self) -> bytes:
        return bytes(self.stream.sent[self.sent_from :])

    @property
    def session_received(self) -> bytes:
        return bytes(self.stream.received[self.received_from :])

    def login(self, user: bytes, password: bytes | None = None) -> bytes:
        """Messages 1-4; returns message 4 ('Authenticated' or 'Not Authenticated'), or
        message 2 when it is 'Wrong Username' (then no password is sent)."""
        self._send(1, user)
        self.got[2] = self.stream.read_exact(5)
        if self.got[2] == b"Wrong":  # the seed's unreachable 'Wrong Username': a server
            # that does check the name waits for message 1 again, not for a password
            self.got[2] += self.stream.read_exact(9)
            self.at_rest = self.got[2] == WRONG_USERNAME and not self.stream.pending()
            self.got[4] = b""
            return self.got[2]
        self._send(3, password if password is not None else self.password)
        first = self.stream.read_exact(13)
        if first == b"Not Authentic":
            first += self.stream.read_exact(4)
            # More in the same write ('Not Authenticated: ...') is not message 4 and
            # would be misread as the next session's message 2.
            first += self.stream.pending()
            self.stream.read_exact(len(first) - 17)
            self.at_rest = first == b"Not Authenticated"
        self.got[4] = first
        return first

    def finish(self) -> bytes:
        """Messages 5-24 after an 'Authenticated': the connection back at rest."""
        self.group()
        self.exchange()
        self.confirm()
        return self.transfer()

    def group(self) -> None:
        """Messages 5-8."""
        self._send(5, str(self.p).encode())
        self.got[6] = self.stream.read_exact(4)
        self._send(7, str(self.g).encode())
        self.got[8] = self.stream.read_exact(4)

    def exchange(self, hidden: bytes | None = None) -> None:
        """Messages 9-13: sends g^Xa hidden, reads xorAck, the server's hidden value, E(Ns)."""
        if hidden is None:
            hidden = hide(pow(self.g, self.exponent, self.p), self.password)
        self._send(9, hidden)
        self.got[10] = self.stream.read_exact(6)
        # Message 11 has no length: ASCII(g^Xs mod p), 38 or 39 digits for 95% of the
        # exponents (the seed's 5516: 38), fewer for the rest. A split read is rejoined,
        # but a short value must not wait for bytes it does not have: the server would
        # only close at its idle timeout (a --random-exponent target, 1 session in 20).
        segment = self.stream.read_segment()
        while len(segment) < min(38, len(str(self.p))):
            try:
                segment += self.stream.read_segment(timeout=0.5)
            except TimedOut:
                break
        self.got[11] = segment
        server_public = reveal(self.got[11], self.password)
        if server_public is not None:
            kas = pow(server_public, self.exponent, self.p)
            self.key = str(kas).encode()[:32]
        if len(self.key) != 32:  # the target's deviation (a FAIL), not the harness's
            raise AssertionError(
                f"message 11 ({self.got[11][:48]!r}) is not ASCII(g^Xs mod p) XOR the padded "
                f"password with a 32-digit key (docs/SPEC.md §7.3.2): key {self.key!r}"
            )
        self._send(12, b"xorServerAck")
        self.got[13] = self.stream.read_exact(32)

    def confirm(self, message_15: bytes | None = None) -> None:
        """Messages 14-19: aesAck + E(Na||Ns'), clientAesAck, send_aes_nonceNa, E(Na), length."""
        if message_15 is None:
            ns = aes_cbc_zero_iv_decrypt(self.key, self.got[13])
            message_15 = aes_cbc_zero_iv(self.key, NA + ns)
        self._send(14, b"aesAck")
        self._send(15, message_15)
        self.got[16] = self.stream.read_exact(12)
        self._send(17, b"send_aes_nonceNa")
        self.got[18] = self.stream.read_exact(16)
        self.got[19] = self.stream.read_segment()

    def transfer(self) -> bytes:
        """Messages 20-24; returns the file."""
        # ASCII(n): digits, no sign, no leading zero, no terminator (docs/SPEC.md §7).
        if not self.got[19].isdigit() or self.got[19] != str(int(self.got[19])).encode():
            raise AssertionError(
                f"message 19 is not ASCII(file length) (digits without leading zeros or "
                f"terminator): {self.got[19]!r}"
            )
        size = int(self.got[19])
        self._send(20, b"LnACK")
        self.got[21] = self.stream.read_exact(2)
        self.got[22] = self.stream.read_exact(size)
        self._send(23, b"File delivered")
        self.got[24] = self.stream.read_exact(40)
        # More bytes already there are not the next session's: the link is not at rest.
        self.at_rest = not self.stream.pending()
        return self.got[22]

    def run(self, user: bytes) -> bytes:
        if self.login(user) != b"Authenticated":
            raise AssertionError(f"login refused: {self.got[4]!r}")
        self.group()
        self.exchange()
        self.confirm()
        return self.transfer()


class EkeLink:
    """The connection the eke/0 server cases share, one session after another.

    The seed's server serves one connection and exits, but on that connection it takes
    login after login (after message 24, and after 'Not Authenticated', it waits for
    message 1 again). So the cases run their sessions on one connection while it is at
    rest, and open a new one only when a case left it elsewhere or the target closed it:
    a one-shot target is audited whole, a multi-connection one loses nothing.
    """

    def __init__(self, host: str, port: int, password: bytes, timeout: float = 10.0) -> None:
        self.host, self.port, self.password, self.timeout = host, port, password, timeout
        self._stream: LegacyStream | None = None
        self.connections = 0

    def _open(self) -> LegacyStream:
        if self._stream is not None and not self._stream.peer_closed():
            return self._stream
        self.release()
        self._stream = LegacyStream(self.host, self.port, self.timeout)
        self.connections += 1
        return self._stream

    @contextlib.contextmanager
    def session(self) -> Iterator[EkeClient]:
        """A client on the shared connection; kept for the next case only if the session
        ended at rest (whatever happened, including a failed assertion)."""
        client = EkeClient(self._open(), self.password)
        try:
            yield client
        finally:
            if not client.at_rest:
                self.release()

    @contextlib.contextmanager
    def idle(self) -> Iterator[LegacyStream]:
        """The shared connection, open and at rest (a first client holding its session)."""
        yield self._open()

    def release(self) -> None:
        if self._stream is not None:
            self._stream.close()
            self._stream = None
