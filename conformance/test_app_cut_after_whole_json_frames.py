"""Every control frame a responder acts on, cut by the end of the stream AFTER a whole JSON
object (SPEC FRM-7: "A connection that ends (EOF) inside a frame ... MUST be treated as a
failed connection, never as a complete frame").

The suite sends one frame whose header announces its JSON object followed by white space,
a valid payload (RFC 8259 allows white space around a value). It sends the object and
not the white space, then ends its sending side: a TLS close_notify, or a bare TCP FIN,
keeping its reading side open to see the answer. What arrived parses. A reader whose
"read exactly n bytes" returns short at the end of the stream therefore acts on a frame
that never came. Cases that cut inside the JSON (test_framing.py, test_app_put.py) do not
see this, because the parse fails anyway. The frames and what acting on them shows:

- `RQFL` (a file of the share): served. An RSFL, DATA or DONE after the cut [FRM-7].
- `PUTF` (a fresh name): accepted. An RSFL {accept} after the cut [FRM-7], or a
  `.sft-partial-*` temporary left in a declared inbox [APP-STORE-3].
- `BYE_` (`{}`): answered. A BYE_ after the cut (the answer APP-BYE-1 allows to a BYE_
  that came) [FRM-7].
- `DONE` of a complete put: stored. A DONE receipt after the cut, the name in a declared
  inbox, or the name not free for a new put [FRM-7, APP-STORE-3].

An EROR the responder receives ends the request or the connection either way, and so does
the end of the stream: nothing shows whether it was acted on, so it is not judged here.
A fatal `bad_frame` EROR, the close, or silence are the conforming answers.

sft-pki/1 only. Over sft-eke/1 a frame travels in one authenticated record: an end inside
the record is a truncated record (EKE-REC-4, test_eke_records.py), and a record whose frame
announces more than the record holds is EKE-REC-1 (test_eke_records.py, length-over-by-1).
The clear handshake frames are in test_eke_handshake_frame_edges.py.
Fixtures (conformance/plugin.py): `target`, `app_channel()`.
"""

from __future__ import annotations

import hashlib
import os
import ssl
import time
from pathlib import Path
from typing import Any

import pytest

from conformance._wire_fixtures import AppChannel, fresh_name, known_file, require
from conformance.channel import Channel
from conformance.pki_channel import end_sending
from conformance.target import Target
from conformance.test_app_put import _assert_name_free
from conformance.wire import (
    ConformanceFailure,
    Event,
    ExpectFrame,
    ReceivedFrame,
    control,
    deadline_after,
    header_bytes,
)

__all__: list[str] = []

pytestmark = [pytest.mark.profile("pki")]

# How long the suite reads after its cut frame. A responder that acts on the frame answers
# at once; one that sees the failed connection closes at once (the watch then ends early).
_WATCH = 2.0
_MAX_FRAMES = 64  # bounded: the first frame of the acted-on answer is enough
_LINGER = 2.0  # seconds a temporary of the failed connection may take to go
PAYLOAD = os.urandom(2500)

# (white space announced after the JSON, how the suite ends its sending side)
_CUTS = [
    pytest.param(1, "close_notify", id="1-space-close-notify"),
    pytest.param(64, "close_notify", id="64-spaces-close-notify"),
    pytest.param(1, "fin", id="1-space-tcp-fin"),
]


def _cut_frame(frame_type: str, obj: dict[str, Any], padding: int) -> bytes:
    """The header announces the JSON plus `padding` spaces; only the JSON follows."""
    body = control(obj)
    return header_bytes(frame_type, len(body) + padding) + body


def _end_sending(channel: Channel, how: str) -> None:
    sock = getattr(channel, "sock", None)
    if not isinstance(sock, ssl.SSLSocket):
        raise RuntimeError("harness: the sft-pki/1 channel has no TLS socket to half-close")
    end_sending(sock, how)


def _watch(channel: Channel, acted: tuple[bytes, ...]) -> tuple[ReceivedFrame | None, Event]:
    """What the responder sends after the cut (bounded): the first frame of a type in
    `acted` (the frame was acted on), else None with the last event seen."""
    end = deadline_after(_WATCH)
    event: Event = channel.recv_frame(end)
    for _ in range(_MAX_FRAMES):
        if not isinstance(event, ReceivedFrame):
            return None, event
        if event.type in acted:
            return event, event
        event = channel.recv_frame(end)
    return None, event


def _send_cut(channel: Channel, frame: bytes, how: str) -> None:
    channel.send_raw(frame)
    _end_sending(channel, how)


def _what(frame_type: str, padding: int, how: str) -> str:
    return (
        f"a {frame_type} whose header announced {padding} byte(s) of white space after its "
        f"JSON; the stream ended ({how}) after the JSON"
    )


def _fail_acted(
    what: str, frame: ReceivedFrame, acted: str, violates: tuple[str, ...]
) -> ConformanceFailure:
    failure = ConformanceFailure.evidence(
        f"FRM-7: {what}",
        "a frame cut by the end of the stream is no frame: a failed connection (the close, "
        "or a fatal bad_frame EROR), never " + acted,
        frame.describe(120),
    )
    failure.violates = violates
    return failure


@pytest.mark.req("FRM-7")
@pytest.mark.parametrize(("padding", "how"), _CUTS)
def test_rqfl_cut_after_its_json_is_not_served(
    target: Target, app_channel: AppChannel, padding: int, how: str
) -> None:
    file = known_file(target)
    channel = app_channel()
    try:
        _send_cut(channel, _cut_frame("RQFL", {"name": file.name}, padding), how)
        frame, _ = _watch(channel, (b"RSFL", b"DATA", b"DONE"))
    finally:
        channel.close()
    if frame is not None:
        raise _fail_acted(
            _what("RQFL", padding, how) + f" (a get of {file.name!r}, a file of the share)",
            frame,
            "the file served",
            ("FRM-7",),
        )


def _temporaries(inbox: Path) -> set[str]:
    return {p.name for p in inbox.glob(".sft-partial-*")}


def _new_temporaries(inbox: Path, before: set[str]) -> set[str]:
    """The `.sft-partial-*` files not in `before`, once they had `_LINGER` s to go."""
    end = time.monotonic() + _LINGER
    left = _temporaries(inbox) - before
    for _ in range(100):  # bounded: 100 looks of at most 20 ms each, within _LINGER
        if not left or time.monotonic() >= end:
            break
        time.sleep(0.02)  # polling the file system for a removal, not synchronising
        left = _temporaries(inbox) - before
    return left


@pytest.mark.req("FRM-7", "APP-STORE-3")
@pytest.mark.parametrize(("padding", "how"), _CUTS)
def test_putf_cut_after_its_json_is_not_accepted(
    target: Target, app_channel: AppChannel, padding: int, how: str
) -> None:
    require(target, "put")
    name = fresh_name()
    before = _temporaries(target.inbox) if target.inbox is not None else set()
    channel = app_channel()
    try:
        _send_cut(channel, _cut_frame("PUTF", {"name": name, "size": len(PAYLOAD)}, padding), how)
        frame, _ = _watch(channel, (b"RSFL",))
    finally:
        channel.close()
    what = _what("PUTF", padding, how) + f" (a put of the fresh name {name!r})"
    if frame is not None:
        raise _fail_acted(what, frame, "a put accepted", ("FRM-7",))
    if target.inbox is not None:
        left = _new_temporaries(target.inbox, before)
        if left:
            raise ConformanceFailure.evidence(
                f"APP-STORE-3: {what}",
                "no temporary file left once the connection failed",
                f"left in {target.inbox}: {sorted(left)}",
            )


@pytest.mark.req("FRM-7")
@pytest.mark.parametrize(("padding", "how"), _CUTS)
def test_bye_cut_after_its_json_is_not_answered(
    target: Target, app_channel: AppChannel, padding: int, how: str
) -> None:
    channel = app_channel()
    try:
        _send_cut(channel, _cut_frame("BYE_", {}, padding), how)
        frame, _ = _watch(channel, (b"BYE_",))
    finally:
        channel.close()
    if frame is not None:
        raise _fail_acted(
            _what("BYE_", padding, how), frame, "a BYE_ answered as if it had come", ("FRM-7",)
        )


@pytest.mark.req("FRM-7", "APP-STORE-3")
@pytest.mark.parametrize(("padding", "how"), _CUTS)
def test_put_done_cut_after_its_json_is_not_stored(
    target: Target, app_channel: AppChannel, padding: int, how: str
) -> None:
    require(target, "put")
    name = fresh_name()
    channel = app_channel()
    try:
        channel.send_frame("PUTF", {"name": name, "size": len(PAYLOAD)})
        channel.expect([ExpectFrame("RSFL", {"accept": True})]).check("PUTF")
        for offset in range(0, len(PAYLOAD), 1000):
            channel.send_frame("DATA", PAYLOAD[offset : offset + 1000])
        done = {"size": len(PAYLOAD), "sha256": hashlib.sha256(PAYLOAD).hexdigest()}
        _send_cut(channel, _cut_frame("DONE", done, padding), how)
        frame, _ = _watch(channel, (b"DONE",))
    finally:
        channel.close()
    what = _what("DONE", padding, how) + f" (a complete put of {name!r} otherwise)"
    if frame is not None:
        raise _fail_acted(what, frame, "a put stored and confirmed", ("FRM-7", "APP-STORE-3"))
    if target.inbox is not None and (target.inbox / name).exists():
        raise ConformanceFailure.evidence(
            f"FRM-7: {what}",
            "a partial frame is no frame: the put fails, nothing under the final name",
            f"{name!r} was stored in {target.inbox}",
        )
    try:
        _assert_name_free(app_channel, target, name, PAYLOAD)
    except ConformanceFailure as exc:
        raise ConformanceFailure(f"FRM-7: {what}: {exc}") from None
