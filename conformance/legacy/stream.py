"""A socket with deadlines and a transcript, for the legacy formats (no frames assumed)."""

from __future__ import annotations

__all__ = ["Closed", "TimedOut", "LegacyStream", "hexdump"]

import socket
import time
from dataclasses import dataclass, field

DEFAULT_TIMEOUT = 10.0


class Closed(Exception):
    """The target closed the connection (or reset it) before the expected bytes."""


class TimedOut(Exception):
    """The target sent nothing within the deadline."""


def hexdump(data: bytes, limit: int = 48) -> str:
    shown = data[:limit].hex(" ")
    return shown + (f" … (+{len(data) - limit} bytes)" if len(data) > limit else "")


@dataclass
class LegacyStream:
    """One TCP connection. `received`/`sent` keep every byte for evidence."""

    host: str
    port: int
    timeout: float = DEFAULT_TIMEOUT
    sent: bytearray = field(default_factory=bytearray)
    received: bytearray = field(default_factory=bytearray)
    writes: list[bytes] = field(default_factory=list)
    reads: list[bytes] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._sock = socket.create_connection((self.host, self.port), timeout=self.timeout)
        self._buffer = bytearray()
        self.closed_by_peer = False

    def __enter__(self) -> LegacyStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._sock.close()

    def send(self, data: bytes) -> None:
        self._sock.sendall(data)
        self.sent += data
        self.writes.append(data)

    def _recv_once(self, deadline: float) -> bytes:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimedOut
        self._sock.settimeout(remaining)
        try:
            data = self._sock.recv(65536)
        except TimeoutError as exc:
            raise TimedOut from exc
        except ConnectionResetError:
            data = b""
        if not data:
            self.closed_by_peer = True
            raise Closed
        self.received += data
        self.reads.append(data)
        return data

    def read_exact(self, n: int, timeout: float | None = None) -> bytes:
        deadline = time.monotonic() + (timeout if timeout is not None else self.timeout)
        while len(self._buffer) < n:
            self._buffer += self._recv_once(deadline)
        out = bytes(self._buffer[:n])
        del self._buffer[:n]
        return out

    def read_segment(self, minimum: int = 1, timeout: float | None = None) -> bytes:
        """What is buffered, or the next read: for messages with no length (eke/0).

        Reads on until `minimum` bytes are in, so a message that TCP split is rejoined.
        """
        deadline = time.monotonic() + (timeout if timeout is not None else self.timeout)
        while len(self._buffer) < minimum:
            self._buffer += self._recv_once(deadline)
        out = bytes(self._buffer)
        self._buffer.clear()
        return out

    def read_until_close(self, limit: int = 1 << 26, timeout: float | None = None) -> bytes:
        """Everything until the target closes; TimedOut if it keeps the connection open."""
        deadline = time.monotonic() + (timeout if timeout is not None else self.timeout)
        while len(self._buffer) <= limit:
            try:
                self._buffer += self._recv_once(deadline)
            except Closed:
                break
        out = bytes(self._buffer)
        self._buffer.clear()
        return out

    def expect_close(self, timeout: float | None = None) -> bool:
        """True if the target closes without sending anything more."""
        deadline = time.monotonic() + (timeout if timeout is not None else self.timeout)
        try:
            self._buffer += self._recv_once(deadline)
        except Closed:
            return not self._buffer
        return False
