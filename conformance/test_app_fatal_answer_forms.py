"""How a responder's answers end: the fatal EROR is its last byte, a code keeps its
fatality, a malformed EROR ends a put (both profiles; docs/SPEC.md FRM-1, FRM-3, FRM-15,
ERR-2, ERR-3, ERR-8).

Four families of one mistake — the answer's form follows the code path, not the code:

* FRM-1 / ERR-3: "there is no separator and no padding", and after a fatal `EROR` the
  close follows at once. A fatal-error path written apart from the frame writer (a
  `println`, a log-line habit) appends a line end after the `EROR`; a reader that stops at
  the `EROR` never sees it, so each fatal answer here (`bad_frame`, `unexpected_frame`,
  `frame_too_large`, `integrity_failed`) must be followed by the end of the stream and
  nothing else — not a byte of an unfinished frame, not a frame.
* FRM-1 / FRM-3: the length is an unsigned BIG-endian integer. A header whose big-endian
  length is above the frame limit is `frame_too_large` at once, also where the same four
  bytes read little-endian would be a small length (a "compatibility" reading for an old
  little-endian build, which then waits for a payload that never comes).
* FRM-15 / ERR-2: a name whose `\\u` escapes hold a lone surrogate is answered either
  `bad_frame` — fatal: the close follows and a request sent behind it is not answered —
  or `forbidden` — non-fatal: the connection serves the next request. `bad_frame` sent
  through the refusal path of names, with the connection kept, is neither.
* ERR-8: a malformed `EROR` (not JSON, no `code`, a `code` that is not an integer in
  0…2^63−1) ends the connection in every state, a put in progress included: the put's
  remaining `DATA` and `DONE` are not processed (no `DONE` answers them) and the name is
  not stored — a new `PUTF` of it on another connection is accepted (APP-PUT-1: a name
  nothing holds is never `exists`).

Fixtures (conformance/plugin.py): `target` (each profile under test), `app_channel()`.
"""

from __future__ import annotations

import hashlib
import struct

import pytest

from conformance._wire_fixtures import AppChannel, fresh_name, known_file, require
from conformance.channel import Channel
from conformance.target import Target
from conformance.wire import (
    Closed,
    ConformanceFailure,
    ExpectError,
    ExpectFrame,
    RawConnection,
    ReceivedFrame,
    TimedOut,
    deadline_after,
)

__all__: list[str] = []

_CLOSE_WAIT = 3.0  # seconds for the close after a fatal EROR (ERR-3's 2 s, plus slack)


def _end_after_fatal(channel: Channel, what: str, code_seen: str, requirement: str) -> None:
    """After a fatal EROR: the end of the stream, with no byte after the EROR."""
    event = channel.recv_frame(deadline_after(_CLOSE_WAIT))
    if isinstance(event, Closed) and not event.partial:
        return
    if isinstance(event, Closed):
        got = (
            f"{len(event.partial)} byte(s) after the EROR ({event.partial[:16]!r}), "
            "then the close"
        )
    elif isinstance(event, ReceivedFrame):
        got = f"another frame after the fatal EROR: {event.describe()}"
    else:
        assert isinstance(event, TimedOut)
        tail = f", {len(event.partial)} byte(s) after the EROR" if event.partial else ""
        got = f"the connection still open after {event.waited:.2f} s{tail}"
    failure = ConformanceFailure.evidence(
        f"{requirement}: {what}, answered {code_seen}",
        "the fatal EROR as the last bytes of the stream: then close_notify / the close, "
        "nothing in between (FRM-1: no separator, no padding; ERR-3)",
        got,
    )
    failure.violates = (requirement,)
    raise failure


def _outer(channel: Channel) -> tuple[RawConnection, bytes]:
    """The connection that carries the channel's frames and the frame type it uses there
    (over sft-eke/1 the record header is the outer one, EKE-REC-6)."""
    raw = getattr(channel, "raw", None)
    if isinstance(raw, RawConnection):
        return raw, b"RECD"
    assert isinstance(channel, RawConnection)
    return channel, b"RQFL"


def _fatal(channel: Channel, what: str, *codes: str) -> str:
    outcome = channel.expect([ExpectError(*codes)]).check(what)
    frame = outcome.frame
    assert frame is not None
    return frame.error_name or str(frame.error_code)


# --- FRM-1: the fatal EROR is the last byte ------------------------------------------------


def _provoke(kind: str, target: Target, channel: Channel) -> tuple[str, tuple[str, ...]]:
    if kind == "not-json":
        channel.send_frame("RQFL", b"{not json")
        return "RQFL with a payload that is not JSON", ("bad_frame",)
    if kind == "done-in-idle":
        channel.send_frame("DONE", {"size": 0, "sha256": hashlib.sha256(b"").hexdigest()})
        return "DONE in IDLE", ("unexpected_frame",)
    if kind == "undefined-type":
        channel.send_frame("NOOP", {})
        return "an undefined frame type NOOP", ("unexpected_frame",)
    if kind == "oversize":
        conn, frame_type = _outer(channel)
        conn.send_raw(struct.pack("!4sI", frame_type, 0xFFFFFFF0))
        return f"a {frame_type.decode()} header announcing 4 294 967 280 bytes", (
            "frame_too_large",
        )
    require(target, "put")
    name = fresh_name("sft-fatal-form")
    channel.send_frame("PUTF", {"name": name, "size": 4})
    channel.expect([ExpectFrame("RSFL", {"accept": True})]).check(f"PUTF {name!r} (4 bytes)")
    if kind == "empty-data":
        channel.send_frame("DATA", b"")
        return "an empty DATA frame in a put", ("bad_frame",)
    channel.send_frame("DATA", b"abcd")
    channel.send_frame("DONE", {"size": 4, "sha256": hashlib.sha256(b"abce").hexdigest()})
    return "a put whose DONE carries another SHA-256", ("integrity_failed",)


@pytest.mark.req("FRM-1", "ERR-3")
@pytest.mark.parametrize(
    "kind",
    ["not-json", "done-in-idle", "undefined-type", "oversize", "empty-data", "bad-digest"],
)
def test_a_fatal_eror_is_the_last_byte_before_the_close(
    target: Target, app_channel: AppChannel, kind: str
) -> None:
    channel = app_channel()
    what, codes = _provoke(kind, target, channel)
    seen = _fatal(channel, f"FRM-1: {what}", *codes)
    _end_after_fatal(channel, what, seen, "FRM-1")


# --- FRM-1 / FRM-3: the length is big-endian ------------------------------------------------


@pytest.mark.req("FRM-1", "FRM-3")
@pytest.mark.parametrize(
    "length",
    [0x01000000, 0x10000000, 0x7F000000, 0xFF000000, 0x40000000, 0x00200000],
    ids=["le-1", "le-16", "le-127", "le-255", "le-64", "le-8192"],
)
def test_an_oversize_big_endian_length_is_refused_however_it_reads_little_endian(
    target: Target, app_channel: AppChannel, length: int
) -> None:
    limit = target.limits.frame_limit
    if length <= limit or int.from_bytes(length.to_bytes(4, "big"), "little") > limit:
        pytest.skip(f"{length:#010x} is not above this target's frame limit ({limit}) as BE only")
    channel = app_channel()
    conn, frame_type = _outer(channel)
    conn.send_raw(struct.pack("!4sI", frame_type, length))
    outcome = channel.expect([ExpectError("frame_too_large")])
    if not outcome.ok:
        little = int.from_bytes(length.to_bytes(4, "big"), "little")
        failure = ConformanceFailure.evidence(
            f"FRM-1: a {frame_type.decode()} header with the length bytes "
            f"{length.to_bytes(4, 'big').hex()} "
            f"({length} big-endian, above the frame limit {limit}; {little} if read "
            "little-endian), no payload",
            "EROR frame_too_large as soon as the header arrived (FRM-3), then the close",
            outcome.describe(),
            note="the length is an unsigned big-endian integer, never read the other way",
        )
        failure.violates = ("FRM-1", "FRM-3")
        raise failure
    what = f"an oversize {frame_type.decode()} header"
    _end_after_fatal(channel, what, "frame_too_large", "FRM-3")


# --- FRM-15: a lone surrogate keeps the fatality of its code --------------------------------

_SURROGATE_NAMES = {
    "high": r"sft-surrogate-\ud800.txt",
    "low": r"sft-surrogate-\udfff.txt",
    "reversed-pair": r"sft-surrogate-\ude00\ud83d.txt",
    "in-directory": r"sft-\udc80-dir/sft-surrogate.txt",
}


@pytest.mark.req("FRM-15", "ERR-2", "ERR-3")
@pytest.mark.parametrize("request_type", ["RQFL", "PUTF"])
@pytest.mark.parametrize("where", sorted(_SURROGATE_NAMES))
def test_a_lone_surrogate_name_answer_keeps_its_fatality(
    target: Target, app_channel: AppChannel, request_type: str, where: str
) -> None:
    require(target, "get" if request_type == "RQFL" else "put")
    escaped = _SURROGATE_NAMES[where]
    tail = ',"size":1}' if request_type == "PUTF" else "}"
    payload = ('{"name":"' + escaped + '"' + tail).encode("ascii")
    what = f"{request_type} whose name {escaped!r} holds a lone surrogate ({where})"
    channel = app_channel()
    channel.send_frame(request_type, payload)
    outcome = channel.expect([ExpectError("bad_frame", "forbidden")]).check(f"FRM-15: {what}")
    frame = outcome.frame
    assert frame is not None
    # A request sent right behind the answer tells a kept connection from a closed one.
    file = known_file(target) if target.files else None
    follow = file.name if file is not None else "hello.txt"
    sent = channel.send_frame("RQFL", {"name": follow})
    after = channel.recv_frame(deadline_after(_CLOSE_WAIT))
    if frame.error_name == "bad_frame" or frame.error_code == 1:
        if isinstance(after, Closed):
            return
        failure = ConformanceFailure.evidence(
            f"FRM-15: {what}, answered EROR bad_frame; then RQFL {follow!r}",
            "bad_frame is fatal (ERR-2): the close at once, the next request not answered "
            "(ERR-3)",
            f"{after.describe()}: the connection kept after a fatal code",
            note="FRM-15 allows bad_frame (fatal) or forbidden (non-fatal), never a "
            "non-fatal bad_frame",
        )
        failure.violates = ("FRM-15", "ERR-3")
        raise failure
    # forbidden: non-fatal, the connection serves the next request.
    if sent and isinstance(after, ReceivedFrame) and after.type in (b"RSFL", b"EROR"):
        if after.type == b"RSFL" or after.error_code in (5, 6, 13):
            return
    failure = ConformanceFailure.evidence(
        f"FRM-15: {what}, answered EROR forbidden; then RQFL {follow!r}",
        "forbidden is non-fatal (ERR-2): the next request answered on the same connection",
        after.describe(),
    )
    failure.violates = ("FRM-15", "ERR-3")
    raise failure


# --- ERR-8: a malformed EROR ends a put -----------------------------------------------------

_MALFORMED_ERORS = {
    "not-json": b"{code: 8}",
    "no-code": b'{"name":"integrity_failed","message":"conformance suite"}',
    "code-string": b'{"code":"8","name":"integrity_failed","message":"conformance suite"}',
    "code-negative": b'{"code":-1,"name":"x","message":"conformance suite"}',
    "code-fraction": b'{"code":8.5,"name":"x","message":"conformance suite"}',
    "code-true": b'{"code":true,"name":"x","message":"conformance suite"}',
}


@pytest.mark.req("ERR-8", "ERR-3")
@pytest.mark.parametrize("at", ["before-data", "mid-data"])
@pytest.mark.parametrize("form", sorted(_MALFORMED_ERORS))
def test_a_malformed_eror_during_a_put_ends_it(
    target: Target, app_channel: AppChannel, form: str, at: str
) -> None:
    require(target, "put")
    data = b"the put a malformed EROR interrupts\n" * 4
    name = fresh_name("sft-malformed-eror")
    channel = app_channel()
    channel.send_frame("PUTF", {"name": name, "size": len(data)})
    channel.expect([ExpectFrame("RSFL", {"accept": True})]).check(f"PUTF {name!r}")
    half = len(data) // 2
    if at == "mid-data":
        channel.send_frame("DATA", data[:half])
    channel.send_frame("EROR", _MALFORMED_ERORS[form])
    rest = data[half:] if at == "mid-data" else data
    channel.send_frame("DATA", rest)
    channel.send_frame("DONE", {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()})
    what = f"a put, then a malformed EROR ({form}: {_MALFORMED_ERORS[form]!r}) {at}, then the rest"
    event = channel.recv_frame(deadline_after(_CLOSE_WAIT))
    if isinstance(event, ReceivedFrame) and event.type == b"EROR" and event.error_code == 1:
        event = channel.recv_frame(deadline_after(_CLOSE_WAIT))
    if not isinstance(event, Closed):
        failure = ConformanceFailure.evidence(
            f"ERR-8: {what}",
            "the close (optionally after EROR bad_frame): no further frame of the connection "
            "processed, the put's DATA and DONE included",
            event.describe(),
        )
        failure.violates = ("ERR-8",)
        raise failure
    # The put must not have been stored: the name is free for a new offer.
    again = app_channel()
    again.send_frame("PUTF", {"name": name, "size": 1})
    answer = again.expect([ExpectFrame("RSFL", {"accept": True}), ExpectError("exists")])
    if answer.frame is not None and answer.frame.type == b"EROR":
        failure = ConformanceFailure.evidence(
            f"ERR-8: {what}; then PUTF {name!r} on a new connection",
            "RSFL accept: the interrupted put was not stored",
            f"{answer.describe()}: the put's bytes were stored after the malformed EROR",
        )
        failure.violates = ("ERR-8",)
        raise failure
    answer.check(f"PUTF {name!r} again")
