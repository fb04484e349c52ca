"""The sft frame layer, sans-IO (docs/SPEC.md §1).

A frame is ``type (4 ASCII bytes) | length (uint32 big-endian) | payload``.
`FrameDecoder` takes bytes in any split and hands out whole frames; it checks the
announced length as soon as the 8-byte header has arrived, before a byte of the
payload is buffered [FRM-3]. `loads_control` is the one strict JSON parser for
control payloads [FRM-8..12]; `check_schema` validates members by declared type.
"""

from __future__ import annotations

import json
import re
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from reference.errors import ErrorCode, RemoteProtocolError, TruncatedStream

__all__ = [
    "CLOSED",
    "DEFAULT_MAX_PAYLOAD",
    "HEADER",
    "HEADER_SIZE",
    "MAX_CONTROL_PAYLOAD",
    "MAX_DATA_PAYLOAD",
    "MAX_INT",
    "NEED_DATA",
    "Frame",
    "FrameDecoder",
    "Sentinel",
    "check_schema",
    "dumps_control",
    "encode_frame",
    "encode_header",
    "loads_control",
    "parse_header",
]

HEADER: Final = struct.Struct("!4sI")
HEADER_SIZE: Final = HEADER.size  # 8
MAX_DATA_PAYLOAD: Final = 1024 * 1024  # [FRM-13]
DEFAULT_MAX_PAYLOAD: Final = MAX_DATA_PAYLOAD + 256  # [FRM-3]
MAX_CONTROL_PAYLOAD: Final = 64 * 1024  # [FRM-8]
MAX_INT: Final = 2**63 - 1  # [FRM-11]

_TYPE_RE: Final = re.compile(rb"[A-Z0-9_]{4}")
_SHA256_RE: Final = re.compile(r"[0-9a-f]{64}")
_HEX_RE: Final = re.compile(r"[0-9a-f]*")


class Sentinel:
    """A named singleton, like h11's NEED_DATA."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __repr__(self) -> str:
        return self._name


NEED_DATA: Final = Sentinel("NEED_DATA")
CLOSED: Final = Sentinel("CLOSED")


@dataclass(frozen=True, slots=True)
class Frame:
    """One frame as it travels: `type` is 4 bytes, `payload` the raw payload."""

    type: bytes
    payload: bytes

    def encode(self) -> bytes:
        return encode_frame(self.type, self.payload)


def encode_header(frame_type: bytes, length: int) -> bytes:
    """The 8-byte header; raises ValueError for what a sender must never emit."""
    if not _TYPE_RE.fullmatch(frame_type):
        raise ValueError(f"invalid frame type {frame_type!r}")
    if not 0 <= length <= 0xFFFFFFFF:
        raise ValueError(f"frame length {length} out of range")
    return HEADER.pack(frame_type, length)


def encode_frame(frame_type: bytes, payload: bytes | bytearray | memoryview) -> bytes:
    return encode_header(frame_type, len(payload)) + bytes(payload)


def parse_header(header: bytes | bytearray | memoryview, max_payload: int) -> tuple[bytes, int]:
    """Checks an 8-byte header: type syntax [FRM-2] and length limit [FRM-3]."""
    frame_type, length = HEADER.unpack(header)
    if not _TYPE_RE.fullmatch(frame_type):
        raise RemoteProtocolError(ErrorCode.BAD_FRAME, "frame type is not 4 bytes of A-Z 0-9 _")
    if length > max_payload:
        raise RemoteProtocolError(
            ErrorCode.FRAME_TOO_LARGE,
            f"frame announces {length} bytes, limit is {max_payload}",
        )
    return frame_type, length


class FrameDecoder:
    """Incremental frame decoder: bytes in, `Frame`s out.

    `receive_data(b"")` signals end of stream; `next_frame()` then returns
    CLOSED, or raises `TruncatedStream` if the stream ended inside a frame
    [FRM-7]. After an error the decoder refuses further use.
    """

    def __init__(self, max_payload: int = DEFAULT_MAX_PAYLOAD) -> None:
        if max_payload < 0:
            raise ValueError("max_payload must be >= 0")
        self.max_payload = max_payload
        # bytearray: deleting from the front is O(1) amortised in CPython.
        self._buffer = bytearray()
        self._header: tuple[bytes, int] | None = None
        self._eof = False
        self._failed: RemoteProtocolError | None = None

    @property
    def buffered(self) -> int:
        return len(self._buffer)

    def receive_data(self, data: bytes | bytearray | memoryview) -> None:
        if self._eof and data:
            raise RuntimeError("data received after end of stream")
        if not data:
            self._eof = True
            return
        self._buffer += data

    def next_frame(self) -> Frame | Sentinel:
        if self._failed is not None:
            raise self._failed.detached()
        try:
            return self._next_frame()
        except RemoteProtocolError as exc:
            self._failed = exc.detached()
            raise

    def _next_frame(self) -> Frame | Sentinel:
        buf = self._buffer
        if self._header is None:
            if len(buf) < HEADER_SIZE:
                return self._need_more()
            self._header = parse_header(buf[:HEADER_SIZE], self.max_payload)
            del buf[:HEADER_SIZE]
        frame_type, length = self._header
        if len(buf) < length:
            return self._need_more()
        payload = bytes(buf[:length])
        del buf[:length]
        self._header = None
        return Frame(frame_type, payload)

    def _need_more(self) -> Sentinel:
        if not self._eof:
            return NEED_DATA
        if self._buffer or self._header is not None:
            raise TruncatedStream()
        return CLOSED


# --- strict JSON for control payloads -------------------------------------------------


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key {key[:64]!r}")
        result[key] = value
    return result


def loads_control(payload: bytes | bytearray | memoryview) -> dict[str, Any]:
    """Parses a control payload strictly [FRM-8], [FRM-9]."""
    if len(payload) > MAX_CONTROL_PAYLOAD:
        raise RemoteProtocolError(
            ErrorCode.FRAME_TOO_LARGE,
            f"control payload of {len(payload)} bytes, limit is {MAX_CONTROL_PAYLOAD}",
        )
    try:
        text = bytes(payload).decode("utf-8")
        value = json.loads(
            text, object_pairs_hook=_no_duplicates, parse_constant=_reject_constant
        )
    except UnicodeDecodeError:
        raise RemoteProtocolError(ErrorCode.BAD_FRAME, "payload is not UTF-8") from None
    except (ValueError, RecursionError) as exc:
        raise RemoteProtocolError(
            ErrorCode.BAD_FRAME, f"payload is not valid JSON: {exc}"
        ) from None
    if not isinstance(value, dict):
        raise RemoteProtocolError(ErrorCode.BAD_FRAME, "payload is not a JSON object")
    return value


def dumps_control(obj: Mapping[str, Any]) -> bytes:
    """Compact, deterministic JSON encoding used by every sender of the reference."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False, sort_keys=False).encode()


# A schema maps member name -> (kind, required). Kinds: "int", "str", "bool",
# "sha256", "true" (must be the literal true), "hex:N" (exactly N hex characters).
Schema = Mapping[str, tuple[str, bool]]


def check_schema(frame_type: bytes, obj: Mapping[str, Any], schema: Schema) -> None:
    """Checks required members and JSON types; unknown members are ignored [FRM-10]."""
    label = frame_type.decode("ascii", "replace")
    for name, (kind, required) in schema.items():
        if name not in obj:
            if required:
                raise RemoteProtocolError(ErrorCode.BAD_FRAME, f"{label}: missing member {name!r}")
            continue
        if not _has_kind(obj[name], kind):
            raise RemoteProtocolError(
                ErrorCode.BAD_FRAME, f"{label}: member {name!r} must be {_describe(kind)}"
            )


def _has_kind(value: Any, kind: str) -> bool:
    if kind == "int":
        # bool is a subclass of int in Python; JSON true/false are not integers [FRM-11].
        return type(value) is int and 0 <= value <= MAX_INT
    if kind == "bool":
        return type(value) is bool
    if kind == "true":
        return value is True
    if not isinstance(value, str) or not _is_encodable(value):
        return False
    if kind == "str":
        return True
    if kind == "sha256":
        return _SHA256_RE.fullmatch(value) is not None
    if kind.startswith("hex:"):
        return len(value) == int(kind[4:]) and _HEX_RE.fullmatch(value) is not None
    raise ValueError(f"unknown schema kind {kind!r}")


def _is_encodable(value: str) -> bool:
    # JSON escapes can smuggle lone surrogates, which are not UTF-8 text.
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _describe(kind: str) -> str:
    return {
        "int": f"an integer in 0..{MAX_INT}",
        "bool": "true or false",
        "true": "true",
        "str": "a string",
        "sha256": "64 lowercase hex characters",
    }.get(kind, f"{kind[4:]} lowercase hex characters")
