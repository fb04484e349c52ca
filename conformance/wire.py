"""The conformance toolkit's own frame layer: build any frame, read with deadlines, expect outcomes.

Independent of `reference/` on purpose (the tester and the tested share no code). Three
layers, each usable alone:

* building bytes — `frame_bytes` builds any frame, valid or not: any 4 type bytes (or a
  type of the wrong size), a length that lies, raw JSON text; `control` encodes a JSON
  object the way an honest sender does;
* reading bytes — `FrameReader` is a sans-IO decoder that accepts whatever a target sends
  (so the suite can *report* a sender's malformed frame instead of choking on it) and
  `ReceivedFrame.violations()` lists what such a frame breaks [FRM-14];
* talking — `RawConnection` drives a target over a socket (plain TCP or a TLS socket),
  with split writes, deadlines, `expect(one_of=[...])` returning a typed `Outcome` with
  expected-vs-actual text, and a `Transcript` of every byte sent and received.

`conformance.channel.Channel` is the interface both secure channels implement;
`RawConnection` implements it over a plain or TLS socket.
"""

from __future__ import annotations

import json
import re
import socket
import ssl
import struct
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal

__all__ = [
    "HEADER_SIZE",
    "DEFAULT_MAX_PAYLOAD",
    "MAX_CONTROL_PAYLOAD",
    "MAX_DATA_PAYLOAD",
    "ERROR_CODES",
    "ERROR_NAMES",
    "FATAL_CODES",
    "DEFAULT_TIMEOUT",
    "json_equal",
    "FATAL_CLOSE_WITHIN",
    "set_close_allowance",
    "frame_bytes",
    "header_bytes",
    "control",
    "error_payload",
    "as_type",
    "FrameReader",
    "ReceivedFrame",
    "Closed",
    "TimedOut",
    "Event",
    "Expectation",
    "ExpectFrame",
    "ExpectError",
    "ExpectClose",
    "ExpectSilence",
    "Outcome",
    "ConformanceFailure",
    "TranscriptEntry",
    "Transcript",
    "RawConnection",
    "deadline_after",
    "describe_expectations",
    "expect_on",
]

HEADER_SIZE: Final = 8
MAX_DATA_PAYLOAD: Final = 1024 * 1024  # [FRM-13]
DEFAULT_MAX_PAYLOAD: Final = MAX_DATA_PAYLOAD + 256  # [FRM-3]
MAX_CONTROL_PAYLOAD: Final = 64 * 1024  # [FRM-8]
MAX_INT: Final = 2**63 - 1  # [FRM-11]
DEFAULT_TIMEOUT: Final = 5.0
# ERR-3: the close follows a fatal EROR at once; the suite allows this long (SPEC ERR-3).
# A channel that knows the target's idle timeout waits less (`close_within`), so that a
# close brought only by the idle timeout FAILs, and a target that never closes FAILs fast.
FATAL_CLOSE_WITHIN: Final = 2.0
# The allowance for a receiver without its own `close_within` (a raw connection in a
# handshake): FATAL_CLOSE_WITHIN, or less when the target's timeouts are shorter (set per
# case by the plugin from the target's limits, `set_close_allowance`).
_close_allowance: float = FATAL_CLOSE_WITHIN


def set_close_allowance(seconds: float | None) -> None:
    """ERR-3: how long a fatal EROR may wait for the close when the receiver does not say;
    None restores FATAL_CLOSE_WITHIN."""
    global _close_allowance
    _close_allowance = FATAL_CLOSE_WITHIN if seconds is None else min(seconds, FATAL_CLOSE_WITHIN)


# The reader refuses to buffer more than this from a target: a target that announces
# more is reported (as a violation) rather than allowed to exhaust the suite's memory.
_READER_HARD_LIMIT: Final = 64 * 1024 * 1024

# [ERR-2]: the closed list, as the spec's table gives it.
ERROR_CODES: Final[Mapping[str, int]] = {
    "bad_frame": 1,
    "frame_too_large": 2,
    "unexpected_frame": 3,
    "auth_failed": 4,
    "forbidden": 5,
    "not_found": 6,
    "too_large": 7,
    "integrity_failed": 8,
    "busy": 9,
    "timeout": 10,
    "internal": 11,
    "exists": 12,
    "unsupported": 13,
    "throttled": 14,
}
ERROR_NAMES: Final[Mapping[int, str]] = {code: name for name, code in ERROR_CODES.items()}
FATAL_CODES: Final = frozenset({1, 2, 3, 4, 8, 9, 10, 11, 14})
# Fatal refusals that answer what the peer just sent, at once (not `timeout`, which a
# timer sends, nor `busy`/`throttled`, which may follow an admission wait).
_AT_ONCE_CODES: Final = FATAL_CODES - {9, 10, 14}

_TYPE_RE: Final = re.compile(rb"[A-Z0-9_]{4}")
_SHA256_RE: Final = re.compile(r"[0-9a-f]{64}")
_CONTROL_FREE: Final = frozenset({b"DATA", b"RECD"})


# --- building bytes -----------------------------------------------------------------------


def as_type(frame_type: bytes | str) -> bytes:
    """A frame type as bytes; str is encoded as latin-1 so any byte value can be written."""
    return frame_type.encode("latin-1") if isinstance(frame_type, str) else bytes(frame_type)


def header_bytes(frame_type: bytes | str, length: int) -> bytes:
    """An 8-byte header with exactly the given type bytes and length (no validation).

    A type that is not 4 bytes long is written as given, so a test can build a header
    that is shorter or longer than 8 bytes on purpose.
    """
    return as_type(frame_type) + struct.pack("!I", length & 0xFFFFFFFF)


def frame_bytes(
    frame_type: bytes | str,
    payload: bytes | bytearray | memoryview = b"",
    *,
    length: int | None = None,
) -> bytes:
    """A frame, valid or not: `length` overrides the announced length (a lying length)."""
    body = bytes(payload)
    announced = len(body) if length is None else length
    return header_bytes(frame_type, announced) + body


def control(obj: Mapping[str, Any]) -> bytes:
    """A control payload as an honest sender encodes it (compact UTF-8 JSON)."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def error_payload(code: int | str, message: str = "conformance suite") -> bytes:
    """An `EROR` payload [ERR-1] for a code given by number or name."""
    number = ERROR_CODES[code] if isinstance(code, str) else code
    return control(
        {"code": number, "name": ERROR_NAMES.get(number, "internal"), "message": message}
    )


# --- reading bytes ------------------------------------------------------------------------


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key {key!r}")
        result[key] = value
    return result


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


@dataclass(frozen=True, slots=True)
class ReceivedFrame:
    """A frame as a target sent it; `type` may be any 4 bytes."""

    type: bytes
    payload: bytes

    @property
    def type_text(self) -> str:
        return self.type.decode("latin-1")

    @property
    def raw(self) -> bytes:
        return header_bytes(self.type, len(self.payload)) + self.payload

    def json(self) -> dict[str, Any] | None:
        """The control object, parsed strictly; None when it is not a valid one."""
        try:
            value = json.loads(
                self.payload.decode("utf-8"),
                object_pairs_hook=_no_duplicates,
                parse_constant=_reject_constant,
            )
        except (UnicodeDecodeError, ValueError, RecursionError):
            return None
        return value if isinstance(value, dict) else None

    @property
    def error_code(self) -> int | None:
        """For an `EROR`, its integer code; otherwise None."""
        if self.type != b"EROR":
            return None
        obj = self.json()
        code = obj.get("code") if obj else None
        return code if type(code) is int else None

    @property
    def error_name(self) -> str | None:
        code = self.error_code
        return None if code is None else ERROR_NAMES.get(code, f"unknown({code})")

    def violations(self, max_payload: int = DEFAULT_MAX_PAYLOAD) -> list[str]:
        """What this frame breaks in §1/§2 as a *sender's* frame [FRM-14]; empty if fine."""
        problems: list[str] = []
        if not _TYPE_RE.fullmatch(self.type):
            problems.append(f"FRM-2: type bytes {self.type!r} are not A-Z 0-9 _")
        if len(self.payload) > max_payload:
            problems.append(f"FRM-3: payload of {len(self.payload)} bytes > {max_payload}")
        if self.type == b"DATA" and not 1 <= len(self.payload) <= MAX_DATA_PAYLOAD:
            problems.append(f"FRM-13: DATA payload of {len(self.payload)} bytes")
        if self.type in _CONTROL_FREE:
            return problems
        if len(self.payload) > MAX_CONTROL_PAYLOAD:
            problems.append(f"FRM-8: control payload of {len(self.payload)} bytes")
        obj = self.json()
        if obj is None:
            problems.append("FRM-8/9: control payload is not a strict UTF-8 JSON object")
            return problems
        if self.type == b"EROR":
            problems.extend(_error_violations(obj))
        for key in ("size", "code", "retry_after"):
            if key in obj and not (type(obj[key]) is int and 0 <= obj[key] <= MAX_INT):
                problems.append(f"FRM-11: member {key!r} = {obj[key]!r} is not an integer")
        if "sha256" in obj and not (
            isinstance(obj["sha256"], str) and _SHA256_RE.fullmatch(obj["sha256"])
        ):
            problems.append("FRM-12: sha256 is not 64 lowercase hex characters")
        return problems

    def describe(self, limit: int = 120) -> str:
        """One line for a person: `EROR not_found {...}` or `DATA (4096 bytes)`."""
        if self.type in _CONTROL_FREE:
            return f"{self.type_text} ({len(self.payload)} bytes)"
        text = self.payload[:limit].decode("utf-8", "replace")
        more = "…" if len(self.payload) > limit else ""
        name = f" {self.error_name}" if self.type == b"EROR" and self.error_name else ""
        return f"{self.type_text}{name} {text}{more}"


def _error_violations(obj: Mapping[str, Any]) -> list[str]:
    code, name, message = obj.get("code"), obj.get("name"), obj.get("message")
    problems = []
    if type(code) is not int or code not in ERROR_NAMES:
        problems.append(f"ERR-2: EROR code {code!r} is not in the closed list")
    elif name != ERROR_NAMES[code]:
        problems.append(f"ERR-1: EROR name {name!r} does not match code {code}")
    if not isinstance(message, str) or len(message) > 512:
        problems.append("ERR-1: EROR message missing, not a string or over 512 characters")
    if isinstance(message, str) and (
        "Traceback (most recent call last)" in message or 'File "/' in message
    ):
        problems.append("ERR-6: EROR message carries a stack trace")
    if code == 14 and type(obj.get("retry_after")) is not int:
        problems.append("ERR-7: throttled EROR without an integer retry_after")
    return problems


class FrameReader:
    """Incremental, lenient decoder: bytes in, `ReceivedFrame`s out, in any split.

    Lenient because the suite must see what a broken target sends: any type bytes are
    accepted, and lengths up to a hard limit (beyond it `oversize` is set and decoding
    stops, so a hostile target cannot exhaust the suite's memory).
    """

    def __init__(self, hard_limit: int = _READER_HARD_LIMIT) -> None:
        self._buffer = bytearray()
        self._hard_limit = hard_limit
        self.oversize: int | None = None

    @property
    def buffered(self) -> bytes:
        """Bytes received but not yet part of a whole frame (evidence after a close)."""
        return bytes(self._buffer)

    def feed(self, data: bytes | bytearray | memoryview) -> None:
        self._buffer += data

    def next_frame(self) -> ReceivedFrame | None:
        """The next whole frame, or None when more bytes are needed (or oversize is set)."""
        if self.oversize is not None or len(self._buffer) < HEADER_SIZE:
            return None
        frame_type = bytes(self._buffer[:4])
        (length,) = struct.unpack("!I", self._buffer[4:HEADER_SIZE])
        if length > self._hard_limit:
            self.oversize = length
            return None
        if len(self._buffer) < HEADER_SIZE + length:
            return None
        payload = bytes(self._buffer[HEADER_SIZE : HEADER_SIZE + length])
        del self._buffer[: HEADER_SIZE + length]
        return ReceivedFrame(frame_type, payload)

    def frames(self) -> list[ReceivedFrame]:
        """Every whole frame buffered so far."""
        out = []
        while (frame := self.next_frame()) is not None:
            out.append(frame)
        return out


# --- events, expectations, outcomes -------------------------------------------------------

CloseKind = Literal["eof", "reset", "tls_alert", "tls_eof", "local"]


@dataclass(frozen=True, slots=True)
class Closed:
    """The connection ended; `partial` holds bytes of an unfinished frame, if any."""

    kind: CloseKind = "eof"
    detail: str = ""
    partial: bytes = b""

    def describe(self) -> str:
        extra = f" ({self.detail})" if self.detail else ""
        tail = f", {len(self.partial)} bytes of an unfinished frame" if self.partial else ""
        return f"connection closed: {self.kind}{extra}{tail}"


@dataclass(frozen=True, slots=True)
class TimedOut:
    """Nothing (or no whole frame) arrived before the deadline."""

    waited: float
    partial: bytes = b""

    def describe(self) -> str:
        tail = f", {len(self.partial)} bytes of an unfinished frame" if self.partial else ""
        return f"nothing within {self.waited:.2f} s{tail}"


Event = ReceivedFrame | Closed | TimedOut


class Expectation:
    """One acceptable reaction of the target; subclasses say what matches."""

    def matches(self, event: Event) -> bool:
        raise NotImplementedError

    def describe(self) -> str:
        raise NotImplementedError

    # After a match, whether the connection must then close (checked by `expect`).
    then_close: bool = False

    # `ExpectError("x") | ExpectClose() | ...` builds the list of acceptable reactions.
    def __or__(self, other: Expectation) -> list[Expectation]:
        return [self, other]

    def __ror__(self, other: list[Expectation]) -> list[Expectation]:
        return [*other, self]


def json_equal(got: Any, expected: Any) -> bool:
    """`got == expected` as JSON values: of the same JSON type too. Python's `==` says
    `True == 1` and `1 == 1.0`, so an `"accept": 1` would pass for `"accept": true` and a
    `"size": 2.0` for `2`; a peer that sends the wrong type breaks §3.1's payloads."""
    if isinstance(expected, bool) or isinstance(got, bool):
        return type(got) is type(expected) and got == expected
    if isinstance(expected, int):
        return type(got) is int and got == expected
    if isinstance(expected, Mapping):
        return (
            isinstance(got, Mapping)
            and got.keys() == expected.keys()
            and all(json_equal(got[k], expected[k]) for k in expected)
        )
    if isinstance(expected, (list, tuple)):
        return (
            isinstance(got, list)
            and len(got) == len(expected)
            and all(json_equal(a, b) for a, b in zip(got, expected, strict=True))
        )
    return type(got) is type(expected) and got == expected


@dataclass(frozen=True)
class ExpectFrame(Expectation):
    """A frame of the given type; `where` optionally checks the parsed control object."""

    type: bytes | str
    members: Mapping[str, Any] | None = None

    def matches(self, event: Event) -> bool:
        if not isinstance(event, ReceivedFrame) or event.type != as_type(self.type):
            return False
        if self.members is None:
            return True
        obj = event.json()
        return obj is not None and all(
            k in obj and json_equal(obj[k], v) for k, v in self.members.items()
        )

    def describe(self) -> str:
        label = as_type(self.type).decode("latin-1")
        return f"{label} {dict(self.members)}" if self.members else label


@dataclass(frozen=True)
class ExpectError(Expectation):
    """An `EROR` whose code is one of `codes` (names or numbers; empty: any code).

    For a fatal code the connection must then close [ERR-3]; `then_close` defaults to
    that, so `ExpectError("bad_frame")` means "EROR bad_frame, then the connection ends".
    """

    codes: tuple[int | str, ...] = ()
    close_after: bool | None = None

    def __init__(self, *codes: int | str, then_close: bool | None = None) -> None:
        object.__setattr__(self, "codes", codes)
        object.__setattr__(self, "close_after", then_close)

    @property
    def numbers(self) -> frozenset[int]:
        return frozenset(ERROR_CODES[c] if isinstance(c, str) else c for c in self.codes)

    @property
    def then_close(self) -> bool:  # type: ignore[override]
        if self.close_after is not None:
            return self.close_after
        return bool(self.numbers) and self.numbers <= FATAL_CODES

    def matches(self, event: Event) -> bool:
        if not isinstance(event, ReceivedFrame) or event.type != b"EROR":
            return False
        code = event.error_code
        return code is not None and (not self.codes or code in self.numbers)

    def describe(self) -> str:
        names = "|".join(ERROR_NAMES.get(n, str(n)) for n in sorted(self.numbers)) or "any code"
        return f"EROR {names}" + (" then close" if self.then_close else "")


@dataclass(frozen=True)
class ExpectClose(Expectation):
    """The connection ends (EOF, reset or a TLS alert) without a further frame."""

    def matches(self, event: Event) -> bool:
        return isinstance(event, Closed)

    def describe(self) -> str:
        return "close"


@dataclass(frozen=True)
class ExpectSilence(Expectation):
    """Nothing arrives before the deadline (the target is waiting for more bytes)."""

    def matches(self, event: Event) -> bool:
        return isinstance(event, TimedOut) and not event.partial

    def describe(self) -> str:
        return "no answer yet (the target waits)"


def describe_expectations(one_of: Sequence[Expectation]) -> str:
    return " | ".join(e.describe() for e in one_of)


def _describe_event(event: Event) -> str:
    return event.describe()


class ConformanceFailure(AssertionError):
    """A target's reaction that the spec does not allow; the message is the evidence.

    `violates` narrows the verdict: a case that cites several requirements and fails one
    of them names it here, and only that one is FAILed by the case (the others it cites are
    then not judged by this case, neither PASS nor FAIL). Empty: every cited requirement.
    """

    def __init__(self, *args: object, violates: tuple[str, ...] | list[str] = ()) -> None:
        super().__init__(*args)
        self.violates: tuple[str, ...] = tuple(violates)

    @classmethod
    def evidence(
        cls, context: str, expected: str, actual: str, note: str = ""
    ) -> ConformanceFailure:
        """A failure laid out like `Outcome.describe` (Expected / Actual / Note lines)."""
        text = f"{context}\nExpected: {expected}\nActual:   {actual}"
        if note:
            text += f"\nNote:     {note}"
        return cls(text)


@dataclass
class Outcome:
    """The result of one `expect`: which expectation matched (if any) and what happened."""

    expected: Sequence[Expectation]
    events: list[Event]
    matched: Expectation | None
    elapsed: float
    note: str = ""
    transcript: Transcript | None = None
    # The requirements a failure breaks when it is narrower than the case's citations:
    # the right fatal EROR came but no close followed, which is ERR-3's alone.
    violates: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.matched is not None

    @property
    def actual(self) -> Event:
        return self.events[0]

    @property
    def frame(self) -> ReceivedFrame | None:
        first = self.events[0]
        return first if isinstance(first, ReceivedFrame) else None

    def describe(self) -> str:
        actual = " then ".join(_describe_event(e) for e in self.events)
        text = (
            f"Expected: {describe_expectations(self.expected)}\n"
            f"Actual:   {actual} (after {self.elapsed:.3f} s)"
        )
        first = self.events[0]
        if isinstance(first, ReceivedFrame):
            text += f"\nHex:      {first.raw[:64].hex(' ')}{' …' if len(first.raw) > 64 else ''}"
        if self.note:
            text += f"\nNote:     {self.note}"
        return text

    def check(self, context: str = "") -> Outcome:
        """Returns self when an expectation matched; raises `ConformanceFailure` otherwise."""
        if not self.ok:
            prefix = f"{context}\n" if context else ""
            tail = (
                f"\nTranscript (last entries):\n{self.transcript.tail()}" if self.transcript else ""
            )
            raise ConformanceFailure(prefix + self.describe() + tail, violates=self.violates)
        return self


# --- transcript ---------------------------------------------------------------------------

Direction = Literal["send", "recv", "event"]


@dataclass(frozen=True, slots=True)
class TranscriptEntry:
    """One line of a transcript: seconds since the connection began, direction, bytes."""

    t: float
    direction: Direction
    data: bytes = b""
    note: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "t": round(self.t, 6),
            "dir": self.direction,
            "hex": self.data.hex(),
            "note": self.note,
        }

    def to_text(self, hex_limit: int = 48) -> str:
        arrow = {"send": "->", "recv": "<-", "event": "=="}[self.direction]
        hexed = self.data[:hex_limit].hex(" ")
        more = f" … ({len(self.data)} bytes)" if len(self.data) > hex_limit else ""
        note = f"  {self.note}" if self.note else ""
        return f"{self.t:9.4f} {arrow} {hexed}{more}{note}".rstrip()


@dataclass
class Transcript:
    """Every byte a connection sent and received, with timestamps (kept bounded)."""

    name: str = ""
    entries: list[TranscriptEntry] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)
    # A transcript keeps the first bytes of each entry only: evidence, not a capture.
    max_bytes_per_entry: int = 4096
    max_entries: int = 10_000
    key_log: list[str] = field(default_factory=list)

    def add(self, direction: Direction, data: bytes = b"", note: str = "") -> None:
        if len(self.entries) >= self.max_entries:
            return
        self.entries.append(
            TranscriptEntry(
                time.monotonic() - self.started,
                direction,
                bytes(data[: self.max_bytes_per_entry]),
                note,
            )
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "entries": [e.to_json() for e in self.entries],
            "key_log": list(self.key_log),
        }

    def to_text(self) -> str:
        head = f"# transcript {self.name}".rstrip()
        return "\n".join([head, *(e.to_text() for e in self.entries)])

    def tail(self, count: int = 12) -> str:
        return "\n".join(e.to_text() for e in self.entries[-count:])


# --- talking ------------------------------------------------------------------------------


def deadline_after(seconds: float) -> float:
    """An absolute deadline on the `time.monotonic()` clock."""
    return time.monotonic() + seconds


def _describe_sent(data: bytes) -> str:
    if len(data) >= HEADER_SIZE:
        (length,) = struct.unpack("!I", data[4:8])
        return f"{data[:4].decode('latin-1')!r} len={length}"
    return "partial header"


def _oversize_failure(reader: FrameReader, transcript: Transcript) -> ConformanceFailure:
    """FRM-14: the peer announced a frame longer than any the protocol allows.

    No frame may be that long: a DATA payload is at most 1 MiB (FRM-13), a control payload
    64 KiB (FRM-8), a record one such frame sealed (EKE-REC-6, the frame limit of FRM-3).
    The reader stops there (the suite's memory), and the local close that follows is the
    suite's, never the close a case may accept: the peer's header is its violation,
    whatever the case was checking — often a length written in another byte order or
    width (FRM-1: a 4-byte big-endian length, read in that one order only).
    """
    head = reader.buffered[:HEADER_SIZE]
    specific = {b"DATA": "FRM-13", b"RECD": "EKE-REC-6"}.get(head[:4], "FRM-8")
    violates: tuple[str, ...] = ("FRM-14", specific)
    swapped = int.from_bytes(head[4:HEADER_SIZE], "little")
    order = ""
    if swapped <= DEFAULT_MAX_PAYLOAD:
        violates += ("FRM-1",)
        order = f"; read little-endian it would be {swapped}: the length is not big-endian"
    return ConformanceFailure(
        f"FRM-14: the peer sent a frame header announcing {reader.oversize} bytes "
        f"({head.hex(' ')}{order}), more than any frame may carry (a DATA payload at most "
        "1 MiB, a control payload 64 KiB, a record one of those sealed)\n"
        "Expected: whole frames within the limits of FRM-3, FRM-8 and FRM-13, each with a "
        "4-byte big-endian length (FRM-1)\n"
        f"Transcript (last entries):\n{transcript.tail()}",
        violates=violates,
    )


class RawConnection:
    """A connection to a target that sends exactly the bytes it is given.

    It works over a plain TCP socket (the EKE handshake runs in clear) or a TLS socket
    (`conformance.pki_channel` wraps one); `send_raw` writes bytes *inside* whatever the
    socket is. It implements `conformance.channel.Channel`.
    """

    def __init__(
        self,
        sock: socket.socket,
        *,
        name: str = "",
        timeout: float = DEFAULT_TIMEOUT,
        transcript: Transcript | None = None,
    ) -> None:
        self.sock = sock
        self.timeout = timeout
        # How long a fatal EROR may wait for the close (ERR-3); None: FATAL_CLOSE_WITHIN.
        self.close_within: float | None = None
        self.transcript = transcript if transcript is not None else Transcript(name=name)
        self._reader = FrameReader()
        self._closed: Closed | None = None

    @classmethod
    def connect(
        cls, host: str, port: int, *, timeout: float = DEFAULT_TIMEOUT, name: str = ""
    ) -> RawConnection:
        sock = socket.create_connection((host, port), timeout=timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        conn = cls(sock, name=name or f"{host}:{port}", timeout=timeout)
        conn.transcript.add("event", note=f"connected to {host}:{port}")
        return conn

    # -- sending --

    def send_raw(self, data: bytes) -> bool:
        """Writes bytes as given; False (and a transcript note) if the target already closed."""
        try:
            self.sock.sendall(data)
        except (OSError, ssl.SSLError) as exc:
            self.transcript.add("send", data, f"send failed: {type(exc).__name__}")
            return False
        self.transcript.add("send", data, _describe_sent(data))
        return True

    def send_frame(self, frame_type: bytes | str, payload: bytes | Mapping[str, Any] = b"") -> bool:
        """Sends one frame; a mapping payload is encoded as a control object."""
        body = control(payload) if isinstance(payload, Mapping) else payload
        return self.send_raw(frame_bytes(frame_type, body))

    def send_split(self, data: bytes, chunks: Iterable[int] | None = None) -> bool:
        """Writes `data` in pieces: `chunks` sizes (the rest in one piece), or byte by byte.

        TCP_NODELAY is set, so each piece leaves in its own segment as far as the kernel
        allows; the frame layer under test must not depend on segment boundaries [FRM-4].
        """
        sizes = list(chunks) if chunks is not None else [1] * len(data)
        offset = 0
        for size in sizes:
            if offset >= len(data):
                break
            if not self.send_raw(data[offset : offset + size]):
                return False
            offset += size
        return offset >= len(data) or self.send_raw(data[offset:])

    # -- receiving --

    def _recv_some(self, deadline: float) -> bytes | Closed | None:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return None
        self.sock.settimeout(remaining)
        try:
            data = self.sock.recv(65536)
        except TimeoutError:
            return None
        except ssl.SSLZeroReturnError:
            return Closed("tls_eof", "close_notify")
        except ssl.SSLEOFError:
            return Closed("eof", "TCP closed without close_notify")
        except ssl.SSLError as exc:
            return Closed("tls_alert", exc.reason or str(exc))
        except ConnectionResetError:
            return Closed("reset")
        except OSError as exc:
            return Closed("reset", type(exc).__name__)
        if not data:
            return Closed("eof")
        return data

    def recv_frame(self, deadline: float | None = None) -> Event:
        """The next frame, or `Closed`, or `TimedOut` at `deadline` (absolute, monotonic)."""
        if deadline is None:
            deadline = deadline_after(self.timeout)
        started = time.monotonic()
        while True:
            frame = self._reader.next_frame()
            if frame is not None:
                self.transcript.add("recv", frame.raw, frame.describe(60))
                return frame
            if self._reader.oversize is not None:
                closed = Closed("local", f"target announced {self._reader.oversize} bytes")
                self.transcript.add("event", note=closed.describe())
                raise _oversize_failure(self._reader, self.transcript)
            if self._closed is not None:
                return Closed(self._closed.kind, self._closed.detail, self._reader.buffered)
            got = self._recv_some(deadline)
            if got is None:
                waited = time.monotonic() - started
                self.transcript.add("event", note=f"timed out after {waited:.3f} s")
                return TimedOut(waited, self._reader.buffered)
            if isinstance(got, Closed):
                self._closed = got
                self.transcript.add("event", self._reader.buffered, got.describe())
                continue
            self._reader.feed(got)

    def expect(
        self,
        one_of: Sequence[Expectation] | Expectation,
        timeout: float | None = None,
        *,
        skip: Sequence[bytes | str] = (),
    ) -> Outcome:
        """Reads until an event, and says whether it is one of the acceptable reactions.

        `skip` lists frame types that are read past (e.g. `DATA` when only `DONE` matters).
        If the matched expectation requires a close afterwards (a fatal `EROR`), the
        close must also arrive before the deadline.
        """
        return expect_on(self, one_of, timeout, skip=skip)

    @property
    def closed(self) -> bool:
        return self._closed is not None

    def close(self) -> None:
        if self._closed is None:
            self._closed = Closed("local")
            self.transcript.add("event", note="closed by the suite")
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self) -> RawConnection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# The largest record a control frame can need (header, the frame's own header and 64 KiB
# of payload, the GCM tag): an unfinished record announcing more may be a DATA frame's.
_CONTROL_RECORD_MAX: Final = HEADER_SIZE + HEADER_SIZE + MAX_CONTROL_PAYLOAD + 16


def _judge_unfinished(receiver: Any, event: Event, where: str, *, any_bytes: bool = False) -> None:
    """FRM-1: a close that a case accepts must not hide bytes of an unfinished frame.

    Only a clean end is judged (a FIN or close_notify: every byte the target sent has
    arrived, so the bytes held are all it wrote); after a reset data may be lost. The
    close that ends a fatal EROR must follow it with no byte in between (`any_bytes`,
    FRM-1: "the last one (a fatal EROR) included"). An unfinished DATA frame (or a record
    too long for a control frame) is not judged here: a transfer cut by the peer's
    fatal EROR may end mid-frame as ERR-3's close at once.
    """
    if not isinstance(event, Closed) or not event.partial or event.kind not in ("eof", "tls_eof"):
        return
    partial = event.partial
    if not any_bytes:
        if partial[:4] == b"DATA":
            return
        if partial[:4] == b"RECD" and (
            len(partial) < HEADER_SIZE
            or int.from_bytes(partial[4:HEADER_SIZE], "big") > _CONTROL_RECORD_MAX
        ):
            return
    announced = (
        f"its header announcing {int.from_bytes(partial[4:HEADER_SIZE], 'big')} bytes"
        if len(partial) >= HEADER_SIZE
        else "not even a whole header"
    )
    transcript = getattr(receiver, "transcript", None)
    tail = f"\nTranscript (last entries):\n{transcript.tail()}" if transcript else ""
    raise ConformanceFailure(
        f"FRM-1: {len(partial)} byte(s) of an unfinished frame {where} "
        f"({announced}): {partial[:32].hex(' ')}\n"
        "Expected: whole frames only, exactly `length` payload bytes each, and nothing after "
        "the last one (a fatal EROR included) before the connection ends\n"
        f"Actual:   {event.describe()}{tail}",
        violates=("FRM-1",),
    )


def expect_on(
    receiver: Any,
    one_of: Sequence[Expectation] | Expectation,
    timeout: float | None = None,
    *,
    skip: Sequence[bytes | str] = (),
) -> Outcome:
    """`expect` for anything with `recv_frame(deadline)`, `timeout` and `transcript`.

    Shared by every Channel implementation so that all judge reactions the same way.
    """
    options = [one_of] if isinstance(one_of, Expectation) else list(one_of)
    budget = receiver.timeout if timeout is None else timeout
    deadline = deadline_after(budget)
    started = time.monotonic()
    skipped = {as_type(t) for t in skip}
    events: list[Event] = []
    # Bounded: a target streaming skipped frames forever still meets the deadline.
    while True:
        event = receiver.recv_frame(deadline)
        if isinstance(event, ReceivedFrame) and event.type in skipped:
            if time.monotonic() < deadline:
                continue
            event = TimedOut(time.monotonic() - started)
        events.append(event)
        break
    matched = next((o for o in options if o.matches(events[0])), None)
    judge_close = getattr(receiver, "judge_close", None)
    if isinstance(matched, ExpectClose):
        _judge_unfinished(receiver, events[0], "before the close")
        if judge_close is not None:  # a close the channel knows to be its own, after a fault
            judge_close(events[0])
    note = ""
    violates: tuple[str, ...] = ()
    refusals = [o for o in options if isinstance(o, ExpectError) and o.numbers]
    if (
        isinstance(matched, ExpectClose)
        and refusals
        and all(o.numbers <= _AT_ONCE_CODES for o in refusals)
    ):
        # The case wants a fatal refusal (or a bare close in its place): both come at
        # once [ERR-3]. A close that only the target's idle or handshake timer brings
        # is not a refusal, however long the case was willing to wait for one.
        took = time.monotonic() - started
        at_once = getattr(receiver, "close_within", None) or _close_allowance
        if took > at_once:
            note = (
                f"ERR-3: no refusal, and the close came only after {took:.2f} s (a timer's "
                f"close, not a refusal at once: allowed {at_once:.2f} s)"
            )
            matched = None
    if matched is not None and matched.then_close:
        close_within = getattr(receiver, "close_within", None)
        wait = close_within or min(max(budget, 0.5), _close_allowance)
        after = receiver.recv_frame(deadline_after(wait))
        events.append(after)
        _judge_unfinished(receiver, after, "after the fatal EROR", any_bytes=True)
        if judge_close is not None:
            judge_close(after)
        if not isinstance(after, Closed):
            note = (
                "ERR-3: a fatal EROR must be followed by closing the connection at once "
                f"(waited {wait:.2f} s)"
            )
            # The answer was right; only the close is missing. When every accepted code
            # is fatal that is ERR-3 alone, not the requirement the answer was about (a
            # non-fatal code the case wants closed, e.g. PKI-ID-3's, keeps its citations).
            codes: frozenset[int] = getattr(matched, "numbers", frozenset())
            if codes and codes <= FATAL_CODES:
                violates = ("ERR-3",)
            matched = None
    outcome = Outcome(
        expected=options,
        events=events,
        matched=matched,
        elapsed=time.monotonic() - started,
        note=note,
        transcript=receiver.transcript,
        violates=violates,
    )
    receiver.transcript.add(
        "event",
        note=f"expect {describe_expectations(options)}: {'ok' if outcome.ok else 'MISMATCH'}",
    )
    return outcome
