"""Application-protocol events and their frames (docs/SPEC.md §3.1).

One frozen dataclass per message, used in both directions (h11 style).
`encode_message` turns an event into frame bytes; `decode_message` turns a
received `Frame` into an event, validating its schema. `RSFL` has two schemas
(answer to a get, answer to a put): the caller says which it expects.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from reference.errors import ErrorCode, RemoteProtocolError
from reference.frames import (
    MAX_DATA_PAYLOAD,
    Frame,
    Schema,
    check_schema,
    dumps_control,
    encode_frame,
    encode_header,
    loads_control,
)

__all__ = [
    "Bye",
    "Data",
    "Done",
    "ErrorFrame",
    "FileRequest",
    "FileResponse",
    "Message",
    "PutAccepted",
    "PutRequest",
    "T_BYE",
    "T_DATA",
    "T_DONE",
    "T_EROR",
    "T_PUTF",
    "T_RQFL",
    "T_RSFL",
    "decode_message",
    "encode_message",
]

T_RQFL: Final = b"RQFL"
T_RSFL: Final = b"RSFL"
T_PUTF: Final = b"PUTF"
T_DATA: Final = b"DATA"
T_DONE: Final = b"DONE"
T_EROR: Final = b"EROR"
T_BYE: Final = b"BYE_"

MAX_MESSAGE_CHARS: Final = 512  # [ERR-1]


@dataclass(frozen=True, slots=True)
class FileRequest:
    """RQFL: the initiator asks for `name` from the responder's share."""

    name: str


@dataclass(frozen=True, slots=True)
class FileResponse:
    """RSFL answering a get."""

    name: str
    size: int
    sha256: str | None = None


@dataclass(frozen=True, slots=True)
class PutRequest:
    """PUTF: the initiator offers a file."""

    name: str
    size: int
    sha256: str | None = None


@dataclass(frozen=True, slots=True)
class PutAccepted:
    """RSFL answering a put; `name` is the name it will be stored under."""

    name: str


@dataclass(frozen=True, slots=True)
class Data:
    """DATA: raw file bytes (1 .. 1 MiB)."""

    data: bytes | bytearray | memoryview


@dataclass(frozen=True, slots=True)
class Done:
    """DONE: the end of a transfer, or the receiver's acknowledgement of a put."""

    size: int
    sha256: str


@dataclass(frozen=True, slots=True)
class ErrorFrame:
    """EROR."""

    code: ErrorCode
    message: str
    retry_after: int | None = None  # seconds, with THROTTLED [ERR-7]

    @property
    def fatal(self) -> bool:
        return self.code.fatal


@dataclass(frozen=True, slots=True)
class Bye:
    """BYE_: the initiator ends the connection."""


Message = FileRequest | FileResponse | PutRequest | PutAccepted | Data | Done | ErrorFrame | Bye

_SCHEMAS: Final[dict[str, Schema]] = {
    "RQFL": {"name": ("str", True)},
    "RSFL-get": {"name": ("str", True), "size": ("int", True), "sha256": ("sha256", False)},
    "RSFL-put": {"accept": ("true", True), "name": ("str", True)},
    "PUTF": {"name": ("str", True), "size": ("int", True), "sha256": ("sha256", False)},
    "DONE": {"size": ("int", True), "sha256": ("sha256", True)},
    "EROR": {
        "code": ("int", True),
        "name": ("str", False),
        "message": ("str", False),
        "retry_after": ("int", False),
    },
    "BYE_": {},
}


def encode_message(message: Message) -> bytes:
    """The frame bytes for `message`."""
    if isinstance(message, Data):
        if not 1 <= len(message.data) <= MAX_DATA_PAYLOAD:
            raise ValueError(f"DATA payload must be 1..{MAX_DATA_PAYLOAD} bytes")
        return encode_header(T_DATA, len(message.data)) + bytes(message.data)
    if isinstance(message, FileRequest):
        return _control(T_RQFL, {"name": message.name})
    if isinstance(message, FileResponse):
        obj: dict[str, object] = {"name": message.name, "size": message.size}
        if message.sha256 is not None:
            obj["sha256"] = message.sha256
        return _control(T_RSFL, obj)
    if isinstance(message, PutRequest):
        obj = {"name": message.name, "size": message.size}
        if message.sha256 is not None:
            obj["sha256"] = message.sha256
        return _control(T_PUTF, obj)
    if isinstance(message, PutAccepted):
        return _control(T_RSFL, {"accept": True, "name": message.name})
    if isinstance(message, Done):
        return _control(T_DONE, {"size": message.size, "sha256": message.sha256})
    if isinstance(message, ErrorFrame):
        obj = {
            "code": int(message.code),
            "name": message.code.wire_name,
            "message": message.message[:MAX_MESSAGE_CHARS],
        }
        if message.retry_after is not None:
            obj["retry_after"] = message.retry_after
        return _control(T_EROR, obj)
    if isinstance(message, Bye):
        return _control(T_BYE, {})
    raise TypeError(f"not a message: {message!r}")


def _control(frame_type: bytes, obj: dict[str, object]) -> bytes:
    return encode_frame(frame_type, dumps_control(obj))


def decode_message(frame: Frame, *, rsfl_for_put: bool = False) -> Message:
    """Decodes an application frame; unknown types are `unexpected_frame` [FRM-5]."""
    t = frame.type
    if t == T_DATA:
        if not frame.payload:
            raise RemoteProtocolError(ErrorCode.BAD_FRAME, "empty DATA frame")
        return Data(frame.payload)
    key = t.decode("ascii")
    if t == T_RSFL:
        key = "RSFL-put" if rsfl_for_put else "RSFL-get"
    schema = _SCHEMAS.get(key)
    if schema is None:
        raise RemoteProtocolError(ErrorCode.UNEXPECTED_FRAME, f"unknown frame type {key}")
    obj = loads_control(frame.payload)
    check_schema(t, obj, schema)
    if t == T_RQFL:
        return FileRequest(obj["name"])
    if t == T_RSFL:
        if rsfl_for_put:
            return PutAccepted(obj["name"])
        return FileResponse(obj["name"], obj["size"], obj.get("sha256"))
    if t == T_PUTF:
        return PutRequest(obj["name"], obj["size"], obj.get("sha256"))
    if t == T_DONE:
        return Done(obj["size"], obj["sha256"])
    if t == T_EROR:
        message = obj.get("message", "")
        return ErrorFrame(
            ErrorCode.from_wire(obj["code"]),
            str(message)[:MAX_MESSAGE_CHARS],
            obj.get("retry_after"),
        )
    return Bye()
