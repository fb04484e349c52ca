"""Wire error codes (docs/SPEC.md §2) and the exceptions that carry them.

`RemoteProtocolError` means the peer misbehaved: the adapter answers with an
`EROR` frame carrying `.code` (when a channel to send it exists) and, for a fatal
code, closes. `LocalProtocolError` means our own caller misused the API — a bug
on our side, never the peer's fault.
"""

from __future__ import annotations

import enum
from typing import Self

__all__ = [
    "AuthenticationFailed",
    "ErrorCode",
    "LocalProtocolError",
    "ProtocolError",
    "RemoteProtocolError",
    "TruncatedStream",
    "peer_text",
]


def peer_text(text: str, limit: int = 200) -> str:
    """What a peer wrote (an EROR's message), made safe to show a person: at most `limit`
    characters, and every control character — C0, DEL, C1, the bidirectional overrides and
    isolates — written as an escape, so that a hostile peer cannot move the cursor, clear
    the terminal or reorder what the user reads."""
    shown = []
    for char in text[:limit]:
        point = ord(char)
        if point < 0x20 or 0x7F <= point < 0xA0 or 0x202A <= point <= 0x202E or (
            0x2066 <= point <= 0x2069
        ):
            shown.append(f"\\x{point:02x}" if point < 0x100 else f"\\u{point:04x}")
        else:
            shown.append(char)
    return "".join(shown) + ("..." if len(text) > limit else "")


class ErrorCode(enum.IntEnum):
    """The closed list of error codes [ERR-2]; values are on the wire."""

    BAD_FRAME = 1
    FRAME_TOO_LARGE = 2
    UNEXPECTED_FRAME = 3
    AUTH_FAILED = 4
    FORBIDDEN = 5
    NOT_FOUND = 6
    TOO_LARGE = 7
    INTEGRITY_FAILED = 8
    BUSY = 9
    TIMEOUT = 10
    INTERNAL = 11
    EXISTS = 12
    UNSUPPORTED = 13
    THROTTLED = 14

    @property
    def wire_name(self) -> str:
        """The `name` member of an EROR frame, e.g. ``"not_found"``."""
        return self.name.lower()

    @property
    def fatal(self) -> bool:
        """Whether the connection closes after this error [ERR-3]."""
        return self not in _NON_FATAL

    @classmethod
    def from_wire(cls, value: int) -> ErrorCode:
        """Maps a received code; unknown codes are treated as INTERNAL [ERR-4]."""
        try:
            return cls(value)
        except ValueError:
            return cls.INTERNAL


_NON_FATAL = frozenset(
    {
        ErrorCode.FORBIDDEN,
        ErrorCode.NOT_FOUND,
        ErrorCode.TOO_LARGE,
        ErrorCode.EXISTS,
        ErrorCode.UNSUPPORTED,
    }
)


class ProtocolError(Exception):
    """Base of every protocol error; carries the wire code to answer with."""

    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def __str__(self) -> str:
        return f"{self.code.wire_name}: {self.message}"

    def detached(self) -> Self:
        """The same error without a traceback, for an object that keeps it to raise again.

        A sans-IO object that refuses further use after an error keeps the error; kept
        with its traceback, it would hold the frames of whoever called it (an adapter's
        loop, whose locals hold the object and its buffers) in a reference cycle that
        only the cyclic GC frees: megabytes per failed connection (LIM-6).
        """
        clone = type(self).__new__(type(self), *self.args)
        clone.__dict__.update(self.__dict__)
        return clone


class LocalProtocolError(ProtocolError):
    """Our caller tried to do something the protocol does not allow."""


class RemoteProtocolError(ProtocolError):
    """The peer sent something the protocol does not allow."""


class TruncatedStream(RemoteProtocolError):
    """The stream ended inside a frame [FRM-7]: nothing can be answered."""

    def __init__(self, message: str = "connection closed inside a frame") -> None:
        super().__init__(ErrorCode.BAD_FRAME, message)


class AuthenticationFailed(RemoteProtocolError):
    """Every authentication failure, whatever its cause, looks like this one.

    Like Fernet's `InvalidToken`: one exception, one code, one message, so that
    the cause (unknown user, wrong password, bad MAC, bad group element) cannot
    be told apart from outside [EKE-HS-8], [ERR-6].
    """

    MESSAGE = "authentication failed"

    def __init__(self) -> None:
        super().__init__(ErrorCode.AUTH_FAILED, self.MESSAGE)
