"""Framing, as an attacker delivers it (docs/SPEC.md §1, §2): runs over both profiles.

Fixtures (conformance/plugin.py): `target` (parametrized over the profiles under test),
`app_channel()` (a fresh authenticated channel), `transcripts`. Inside sft-pki the frames
travel in the TLS stream; inside sft-eke every frame is one record, so the *outer*
framing of sft-eke (the `RECD` frames and the clear handshake frames) is attacked on the
raw TCP connection, and malformed inner frames are delivered as record plaintexts.
"""

from __future__ import annotations

import hashlib
import socket
import time

import pytest

from conformance._wire_fixtures import (
    AppChannel,
    TranscriptBook,
    check_well_formed,
    fresh_name,
    get_file,
    known_file,
    require,
)
from conformance.channel import Channel
from conformance.scenario import Expect, Scenario, Send, expect_fatal, send_split_frames
from conformance.target import Target
from conformance.wire import (
    MAX_CONTROL_PAYLOAD,
    MAX_DATA_PAYLOAD,
    Closed,
    ConformanceFailure,
    ExpectClose,
    ExpectError,
    ExpectFrame,
    RawConnection,
    ReceivedFrame,
    control,
    deadline_after,
    frame_bytes,
    header_bytes,
)


def _outer(channel: Channel) -> tuple[RawConnection, bytes]:
    """The connection that carries the channel's frames and the frame type it uses there."""
    raw = getattr(channel, "raw", None)
    if isinstance(raw, RawConnection):
        return raw, b"RECD"
    assert isinstance(channel, RawConnection)
    return channel, b"RQFL"


# --- length -------------------------------------------------------------------------------


@pytest.mark.req("FRM-3", "ERR-3", "EKE-REC-6")
def test_oversize_length_refused_after_header_only(target: Target, app_channel: AppChannel) -> None:
    """Only the 8-byte header is sent: the answer must come without waiting for the payload."""
    channel = app_channel()
    conn, frame_type = _outer(channel)
    conn.send_raw(header_bytes(frame_type, target.limits.frame_limit + 1))
    expect_fatal(
        channel,
        "frame_too_large",
        context=f"FRM-3: header announcing {target.limits.frame_limit + 1} bytes, no payload sent",
        # No refusal (or another): the length check (on the RECD header over sft-eke/1);
        # ERR-3 only if the close after a right refusal is late.
        violates=("FRM-3", "EKE-REC-6") if frame_type == b"RECD" else ("FRM-3",),
    )


@pytest.mark.req("FRM-3")
def test_maximum_length_header_is_refused(target: Target, app_channel: AppChannel) -> None:
    channel = app_channel()
    conn, frame_type = _outer(channel)
    conn.send_raw(header_bytes(frame_type, 0xFFFFFFFF))
    channel.expect([ExpectError("frame_too_large")]).check("FRM-3: length 2^32-1")


@pytest.mark.req("FRM-3", "EKE-HS-9")
@pytest.mark.profile("eke")
def test_oversize_handshake_frame_refused_in_clear(
    target: Target, transcripts: TranscriptBook
) -> None:
    """Before the handshake, sft-eke frames are in clear: the same limit applies to EKE1."""
    with RawConnection.connect(target.host, target.port, timeout=5.0) as conn:
        transcripts.add(conn)
        conn.send_raw(header_bytes("EKE1", target.limits.frame_limit + 1))
        conn.expect([ExpectError("frame_too_large")]).check("FRM-3 on EKE1")


@pytest.mark.req("FRM-8")
def test_control_payload_over_64_kib_is_refused(target: Target, app_channel: AppChannel) -> None:
    channel = app_channel()
    name = "a" * (MAX_CONTROL_PAYLOAD + 16)
    channel.send_frame("RQFL", {"name": name})
    channel.expect([ExpectError("frame_too_large")]).check("FRM-8: 64 KiB + 28 byte RQFL")


# --- types --------------------------------------------------------------------------------


@pytest.mark.req("FRM-2", "ERR-3")
@pytest.mark.parametrize("bad_type", [b"rqfl", b"RQ L", b"\x00\x00\x00\x00", b"RQ\xc3\xa9"])
def test_bad_type_bytes_are_bad_frame(
    target: Target, app_channel: AppChannel, bad_type: bytes
) -> None:
    channel = app_channel()
    channel.send_raw(frame_bytes(bad_type, control({"name": "x"})))
    expect_fatal(channel, "bad_frame", context=f"FRM-2: type {bad_type!r}")


# Bytes outside A-Z 0-9 _ that a too-narrow check lets through: lower case, space, NUL,
# a byte above 0x7F, punctuation next to the allowed ranges, and a Latin-1 capital (0xC9,
# É), which a check by the runtime's idea of a capital letter lets through (Java's
# Character.isUpperCase((char) b): the independent pki4's planted fault).
_BAD_TYPE_BYTES = (b"a", b" ", b"\x00", b"\xff", b"-", b"\xc9")


@pytest.mark.req("FRM-2", "ERR-3")
@pytest.mark.parametrize("position", [0, 1, 2, 3])
def test_bad_type_byte_in_each_position_is_bad_frame(
    target: Target, app_channel: AppChannel, position: int
) -> None:
    """One bad byte at `position` of an otherwise valid type (RQFL, BYE_): bad_frame."""
    for base in (b"RQFL", b"BYE_"):
        for bad in _BAD_TYPE_BYTES[: 2 if base == b"BYE_" else None]:
            bad_type = base[:position] + bad + base[position + 1 :]
            channel = app_channel()
            channel.send_raw(frame_bytes(bad_type, control({"name": "x"})))
            expect_fatal(channel, "bad_frame", context=f"FRM-2: type {bad_type!r}")
            channel.close()


@pytest.mark.req("FRM-5", "ERR-3")
@pytest.mark.parametrize("unknown", ["ZZZZ", "RQF_", "DAT4", "GET_", "RECD"])
def test_unknown_type_is_unexpected_frame(
    target: Target, app_channel: AppChannel, unknown: str
) -> None:
    """Well-formed types the profile does not define (RECD only frames the EKE records,
    it is no application frame)."""
    channel = app_channel()
    channel.send_frame(unknown, {})
    expect_fatal(channel, "unexpected_frame", context=f"FRM-5: type {unknown}")


@pytest.mark.req("FRM-6", "APP-1", "APP-3")
@pytest.mark.parametrize(
    ("frame_type", "payload"),
    [
        ("DATA", b"abc"),
        (
            "DONE",
            control(
                {
                    "size": 0,
                    "sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
                }
            ),
        ),
        ("RSFL", control({"name": "x", "size": 0})),
    ],
)
def test_frame_not_allowed_in_idle_is_unexpected(
    target: Target, app_channel: AppChannel, frame_type: str, payload: bytes
) -> None:
    channel = app_channel()
    channel.send_frame(frame_type, payload)
    channel.expect([ExpectError("unexpected_frame")]).check(f"FRM-6: {frame_type} in IDLE")


# --- truncation ---------------------------------------------------------------------------


@pytest.mark.req("FRM-7", "EKE-REC-1")
@pytest.mark.parametrize("cut", [3, 8, 12])
def test_truncated_frame_is_never_processed(
    target: Target, app_channel: AppChannel, cut: int
) -> None:
    """A frame cut short (header or payload) and then the end of the stream: never a frame."""
    file = known_file(target)
    channel = app_channel()
    whole = frame_bytes("RQFL", control({"name": file.name}))
    if getattr(channel, "raw", None) is not None:
        # sft-eke: a record holding a partial frame must be refused (EKE-REC-1).
        channel.send_raw(whole[:cut])
        channel.expect([ExpectError("bad_frame"), ExpectClose()]).check(
            f"FRM-7/EKE-REC-1: record with the first {cut} bytes of a frame"
        )
        return
    channel.send_raw(whole[:cut])
    assert isinstance(channel, RawConnection)
    # FIN without close_notify: the responder must see a failed connection, not a request.
    # socket.socket.shutdown, not SSLSocket.shutdown (which drops the TLS state and so
    # could not read the answer): a TCP FIN without close_notify.
    socket.socket.shutdown(channel.sock, socket.SHUT_WR)
    channel.expect([ExpectClose(), ExpectError("bad_frame")]).check(
        f"FRM-7: {cut} of {len(whole)} bytes then EOF"
    )


# --- splitting and pipelining -------------------------------------------------------------


@pytest.mark.req("FRM-4")
@pytest.mark.parametrize("split", ["bytewise", "header-then-payload", "odd-chunks"])
def test_frame_split_any_way_is_processed_identically(
    target: Target, app_channel: AppChannel, split: str
) -> None:
    file = known_file(target)
    channel = app_channel()
    frame = frame_bytes("RQFL", control({"name": file.name}))
    if split == "bytewise":
        sizes = None
    elif split == "header-then-payload":
        sizes = [8]
    else:
        sizes = [1, 2, 3, 5, 7, 11, 13]
    send_split_frames(channel, [frame], sizes)
    first = channel.expect([ExpectFrame("RSFL")]).check(f"FRM-4: RQFL delivered {split}")
    _finish_get(channel, first.frame, file.sha256, file.size)


def _finish_get(channel: Channel, rsfl: ReceivedFrame | None, sha: str, size: int) -> None:
    assert rsfl is not None
    received = bytearray()
    deadline = deadline_after(channel.timeout)
    while True:
        event = channel.recv_frame(deadline)
        if not isinstance(event, ReceivedFrame):
            raise ConformanceFailure(f"get interrupted: {event.describe()}")
        if event.type == b"DATA":
            received += event.payload
            if len(received) > size:
                raise ConformanceFailure(f"APP-GET-4: more than {size} bytes")
            continue
        done = event.json() or {}
        if event.type != b"DONE" or done.get("sha256") != sha or len(received) != size:
            raise ConformanceFailure(f"expected DONE sha256={sha}, got {event.describe()}")
        return


@pytest.mark.req("FRM-4", "APP-2")
def test_pipelined_requests_in_one_write_are_answered_in_order(
    target: Target, app_channel: AppChannel
) -> None:
    file = known_file(target)
    channel = app_channel()
    missing = "sft-conformance-no-such-file.txt"
    frames = [
        frame_bytes("RQFL", control({"name": file.name})),
        frame_bytes("RQFL", control({"name": missing})),
        frame_bytes("RQFL", control({"name": file.name})),
    ]
    send_split_frames(channel, frames, [sum(len(f) for f in frames)])
    first = channel.expect([ExpectFrame("RSFL")]).check("APP-2: first of three pipelined")
    _finish_get(channel, first.frame, file.sha256, file.size)
    channel.expect([ExpectError("not_found")]).check("APP-2: second (missing file)")
    third = channel.expect([ExpectFrame("RSFL")]).check("APP-2: third after a non-fatal error")
    _finish_get(channel, third.frame, file.sha256, file.size)


@pytest.mark.req("APP-2")
def test_requests_before_the_initiators_end_of_stream_are_answered(
    target: Target, app_channel: AppChannel
) -> None:
    """sft-eke: the initiator sends a get and `BYE_`, then ends its side of the TCP stream
    (a half-close, as `nc -N` or a scripted client does) while the answer is coming.
    Requests received in full before that FIN are still answered, in order: a responder
    that ends the connection at the peer's FIN (Node's `net` default, `allowHalfOpen:
    false`) cuts the answer."""
    channel = app_channel()
    raw = getattr(channel, "raw", None)
    if not isinstance(raw, RawConnection):
        pytest.skip("sft-pki: a TCP FIN without close_notify is a truncation, not an end")
    # The largest known file up to 4 MiB: its answer outlasts the FIN's arrival, so an
    # answer cut at the FIN shows (a small one may be written out before the FIN is read).
    sized = [f for f in target.files if f.size <= 4 * 1024 * 1024]
    file = max(sized, key=lambda f: f.size) if sized else known_file(target)
    frames = [frame_bytes("RQFL", control({"name": file.name})), frame_bytes("BYE_", control({}))]
    send_split_frames(channel, frames, [sum(len(f) for f in frames)])
    first = channel.expect([ExpectFrame("RSFL")]).check("APP-2: a get, then BYE_")
    # The FIN comes while the answer is on its way: it must not cut it.
    raw.sock.shutdown(socket.SHUT_WR)
    _finish_get(channel, first.frame, file.sha256, file.size)
    channel.expect([ExpectFrame("BYE_"), ExpectClose()]).check("APP-2: BYE_ after that get")


# --- JSON abuse ---------------------------------------------------------------------------

_JSON_ABUSE = {
    "not-utf8": b'{"name":"\xff\xfe"}',
    "overlong-utf8": b'{"name":"\xc0\xaf"}',
    "lone-surrogate-escape": b'{"name":"\\ud800"}',
    # Low surrogates U+DC80..U+DCFF are what Python's `surrogateescape` turns into raw
    # bytes 0x80..0xFF: a receiver that encodes names that way opens a file whose name
    # is not UTF-8 instead of refusing the name (FRM-15).
    "lone-low-surrogate-escape": b'{"name":"sft-\\udcff-x.txt"}',
    "lone-low-surrogate-pair-like": b'{"name":"sft-\\udcc3\\udca9.txt"}',
    # A high surrogate with nothing after it: an emoji cut in half.
    "lone-high-surrogate-at-end": b'{"name":"sft-x\\ud83d"}',
    "not-json": b"{name: hello}",
    "truncated-json": b'{"name":"hel',
    "trailing-garbage": b'{"name":"x"} x',
    "array": b'["name"]',
    "string": b'"name"',
    "null": b"null",
    "empty": b"",
    "duplicate-key": b'{"name":"a","name":"b"}',
    "nested-duplicate": b'{"name":"a","x":{"k":1,"k":2}}',
    "nan": b'{"name":"a","x":NaN}',
    "infinity": b'{"name":"a","x":Infinity}',
    "minus-infinity": b'{"name":"a","x":-Infinity}',
    # numbers outside RFC 8259's grammar that a lenient number scanner (digits and signs
    # handed to the runtime's number parser) accepts
    "number-plus-sign": b'{"name":"a","x":+1}',
    "number-leading-zero": b'{"name":"a","x":01}',
    # what lenient parsers accept (JSON5, Jackson's ALLOW_* features, a JavaScript or
    # Python literal parser, json.loads(strict=False)); each in an unknown member, so a
    # receiver that parses it answers the request (not_found) instead of bad_frame
    "trailing-comma-object": b'{"name":"a","x":1,}',
    "trailing-comma-array": b'{"name":"a","x":[1,2,]}',
    "single-quoted-string": b'{"name":"a","x":\'y\'}',
    "block-comment": b'{"name":"a"/* a comment */,"x":1}',
    "number-hex": b'{"name":"a","x":0x10}',
    "number-leading-dot": b'{"name":"a","x":.5}',
    "number-trailing-dot": b'{"name":"a","x":1.}',
    "python-literal": b'{"name":"a","x":True}',
    "raw-control-in-string": b'{"name":"a","x":"tab\there"}',
    "missing-member": b"{}",
    # the member's key in another case: JSON keys are case-sensitive, so `name` is
    # missing (and `NAME` an unknown member, FRM-10); Go's encoding/json, decoding into
    # a struct, matches field names case-insensitively and would take it as the name
    "member-key-upper": b'{"NAME":"sft-conformance-no-such-file.txt"}',
    "member-key-title": b'{"Name":"sft-conformance-no-such-file.txt"}',
    "name-number": b'{"name":5}',
    "name-null": b'{"name":null}',
    "name-array": b'{"name":["a"]}',
    # valid JSON 5000 levels deep, for a name no share holds: see the case below
    "deep-nesting": b'{"name":"sft-conformance-no-such-file.txt","x":'
    + b"[" * 5000
    + b"]" * 5000
    + b"}",
}


@pytest.mark.req("FRM-9", "FRM-12", "FRM-15", "ERR-3")
@pytest.mark.parametrize("case", sorted(_JSON_ABUSE))
def test_malformed_control_payload_is_bad_frame(
    target: Target, app_channel: AppChannel, case: str
) -> None:
    if case.startswith("lone-"):
        # FRM-15: both readings conform — bad_frame (fatal) or the name forbidden.
        channel = app_channel()
        channel.send_raw(frame_bytes("RQFL", _JSON_ABUSE[case]))
        outcome = channel.expect([ExpectError("bad_frame"), ExpectError("forbidden")])
        outcome.check(f"FRM-15: RQFL whose name holds a lone surrogate ({case})")
        return
    if case == "deep-nesting":
        # RFC 8259 §9 lets a parser limit the nesting depth (Python's json stops near 1000:
        # bad_frame) or not (Go's encoding/json reads 10000 levels: the unknown member is
        # ignored, FRM-10, and the missing file is not_found). Either is conforming; a
        # crash, a silent close or `internal` is not.
        channel = app_channel()
        channel.send_raw(frame_bytes("RQFL", _JSON_ABUSE[case]))
        outcome = channel.expect([ExpectError("bad_frame"), ExpectError("not_found")])
        outcome.check("FRM-9: RQFL with JSON nested 5000 levels deep")
        return
    scenario = Scenario(
        f"RQFL with {case} payload",
        (
            Send(frame_bytes("RQFL", _JSON_ABUSE[case]), note=f"RQFL {case}"),
            Expect(ExpectError("bad_frame")),
        ),
        ("FRM-9",),
    )
    scenario.run(app_channel()).check()


_INT_ABUSE = {
    "float": b"1.0",
    "exponent": b"1e3",
    "string": b'"5"',
    "true": b"true",
    "negative": b"-1",
    "too-big": str(2**63).encode(),
    "huge": b"9" * 400,
    "null": b"null",
    "plus-sign": b"+5",  # not JSON at all (FRM-9), so not a JSON integer either
    "leading-zero": b"05",
}


@pytest.mark.req("FRM-11")
@pytest.mark.parametrize("case", sorted(_INT_ABUSE))
def test_integer_member_must_be_a_json_integer(
    target: Target, app_channel: AppChannel, case: str
) -> None:
    require(target, "put")
    channel = app_channel()
    payload = b'{"name":"sft-conformance-int.bin","size":' + _INT_ABUSE[case] + b"}"
    channel.send_raw(frame_bytes("PUTF", payload))
    channel.expect([ExpectError("bad_frame")]).check(f"FRM-11: PUTF size = {case}")


@pytest.mark.req("FRM-12")
@pytest.mark.parametrize("sha", ["A" * 64, "0" * 63, "0" * 65, "g" * 64])
def test_sha256_member_must_be_64_lowercase_hex(
    target: Target, app_channel: AppChannel, sha: str
) -> None:
    require(target, "put")
    channel = app_channel()
    channel.send_frame("PUTF", {"name": "sft-conformance-sha.bin", "size": 1, "sha256": sha})
    channel.expect([ExpectError("bad_frame")]).check(f"FRM-12: PUTF sha256 = {sha!r}")


@pytest.mark.req("FRM-10")
def test_unknown_members_are_ignored(target: Target, app_channel: AppChannel) -> None:
    file = known_file(target)
    channel = app_channel()
    channel.send_frame("RQFL", {"name": file.name, "x-extension": {"nested": [1, 2.5, None]}})
    first = channel.expect([ExpectFrame("RSFL")]).check("FRM-10: RQFL with an extra member")
    _finish_get(channel, first.frame, file.sha256, file.size)


@pytest.mark.req("FRM-13", "ERR-3")
def test_empty_data_frame_is_bad_frame(target: Target, app_channel: AppChannel) -> None:
    require(target, "put")
    channel = app_channel()
    channel.send_frame("PUTF", {"name": fresh_name(), "size": 4})
    channel.expect([ExpectFrame("RSFL", {"accept": True})]).check("PUTF before an empty DATA")
    channel.send_frame("DATA", b"")
    expect_fatal(channel, "bad_frame", context="FRM-13: empty DATA")


# Malformed payloads of every control frame type the responder receives, not only RQFL's:
# a parser (or schema check) applied to some types only — "BYE_ ends the connection
# anyway", "DONE is checked against the data, not parsed" — lets these through.
# (type, state it is sent in, payload); each is answered EROR bad_frame, then the close —
# a DONE may be answered integrity_failed as well (FRM-16, as in the DONE member cases
# below): what fails is keeping the put, or carrying on. A malformed EROR: ERR-8, below.
_DONE_SHA = hashlib.sha256(b"abcd").hexdigest()
_MALFORMED_BY_TYPE = {
    "BYE_-array": ("BYE_", "idle", b"[]"),
    "BYE_-null": ("BYE_", "idle", b"null"),
    "BYE_-not-json": ("BYE_", "idle", b"bye"),
    "BYE_-duplicate-key": ("BYE_", "idle", b'{"x":1,"x":2}'),
    "PUTF-missing-size": ("PUTF", "idle", b'{"name":"sft-conformance-schema.bin"}'),
    "PUTF-missing-name": ("PUTF", "idle", b'{"size":4}'),
    "DONE-missing-sha256": ("DONE", "receiving", b'{"size":4}'),
    "DONE-missing-size": ("DONE", "receiving", b'{"sha256":"' + _DONE_SHA.encode() + b'"}'),
    "DONE-size-string": (
        "DONE",
        "receiving",
        b'{"size":"4","sha256":"' + _DONE_SHA.encode() + b'"}',
    ),
    "DONE-array": ("DONE", "receiving", b"[4]"),
}


@pytest.mark.parametrize(
    "case",
    [
        pytest.param(
            k,
            marks=pytest.mark.req("FRM-9", *(("FRM-11",) if "size-" in k else ())),
            id=k,
        )
        for k in sorted(_MALFORMED_BY_TYPE)
    ],
)
def test_malformed_payload_of_every_frame_type_is_bad_frame(
    target: Target, app_channel: AppChannel, case: str
) -> None:
    """FRM-9/FRM-11 hold for every control frame a responder receives: a BYE_ or a PUTF
    that is not a well-formed object of its schema is `bad_frame` like a malformed RQFL,
    and so is a DONE ending a put."""
    frame_type, state, payload = _MALFORMED_BY_TYPE[case]
    if state == "receiving":
        require(target, "put")
    channel = app_channel()
    if state == "receiving":
        channel.send_frame("PUTF", {"name": fresh_name(), "size": 4})
        channel.expect([ExpectFrame("RSFL", {"accept": True})]).check(f"PUTF before {case}")
        channel.send_frame("DATA", b"abcd")
    channel.send_raw(frame_bytes(frame_type, payload))
    codes = ("bad_frame", "integrity_failed") if frame_type == "DONE" else ("bad_frame",)
    expect_fatal(
        channel,
        *codes,
        context=f"FRM-9: {frame_type} with the payload {payload[:80]!r} ({state})",
        violates=("FRM-9",),
    )


_MALFORMED_ERRORS = {
    "missing-code": b'{"name":"internal","message":"suite"}',
    "code-string": b'{"code":"11","name":"internal","message":"suite"}',
    "code-true": b'{"code":true,"name":"bad_frame","message":"suite"}',
    "code-float": b'{"code":11.0,"name":"internal","message":"suite"}',
    "code-negative": b'{"code":-1,"name":"internal","message":"suite"}',
    "code-too-big": b'{"code":9223372036854775808,"name":"internal","message":"suite"}',
    "array": b"[11]",
    "not-json": b"internal error",
}


@pytest.mark.req("ERR-8", "ERR-3")
@pytest.mark.parametrize("case", sorted(_MALFORMED_ERRORS))
def test_malformed_error_from_the_initiator_still_ends_the_connection(
    target: Target, app_channel: AppChannel, case: str
) -> None:
    """A malformed EROR, then a get pipelined behind it: the responder answers `bad_frame`
    or nothing, and closes; it never serves the get. A responder that does not take a
    payload with no integer `code` for an EROR ("not a valid error: ignore it") serves
    requests its initiator has given up on."""
    file = known_file(target)
    channel = app_channel()
    payload = _MALFORMED_ERRORS[case]
    frames = [frame_bytes("EROR", payload), frame_bytes("RQFL", control({"name": file.name}))]
    send_split_frames(channel, frames, [sum(len(f) for f in frames)])
    outcome = channel.expect([ExpectClose(), ExpectError("bad_frame", then_close=True)])
    try:
        outcome.check(f"ERR-8: EROR {payload[:60]!r}, then RQFL {file.name!r} in the same write")
    except ConformanceFailure as exc:
        exc.violates = exc.violates or ("ERR-8",)
        raise


@pytest.mark.req("APP-2", "FRM-4")
@pytest.mark.parametrize("writes", ["one-write", "done-with-requests"])
def test_requests_pipelined_behind_a_put_are_answered(
    target: Target, app_channel: AppChannel, writes: str
) -> None:
    """A put's DATA and DONE followed, in the same write, by a get, a get of a missing file
    and BYE_: the put is stored, then each request is answered in order. A responder that
    resets its read buffer or its connection state after a put (or after any transfer)
    loses the requests that came with the DONE. `done-with-requests`: the DATA comes first,
    the DONE and the requests in one later write."""
    require(target, "put")
    file = known_file(target)
    channel = app_channel()
    data = b"a put with requests pipelined behind it\n" * 50
    channel.send_frame("PUTF", {"name": fresh_name(), "size": len(data)})
    channel.expect([ExpectFrame("RSFL", {"accept": True})]).check("APP-2: PUTF")
    done = {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    missing = "sft-conformance-no-such-file.txt"
    requests = [
        frame_bytes("DONE", control(done)),
        frame_bytes("RQFL", control({"name": file.name})),
        frame_bytes("RQFL", control({"name": missing})),
        frame_bytes("BYE_", control({})),
    ]
    if writes == "one-write":
        frames = [frame_bytes("DATA", data), *requests]
        send_split_frames(channel, frames, [sum(len(f) for f in frames)])
    else:
        channel.send_frame("DATA", data)
        send_split_frames(channel, requests, [sum(len(f) for f in requests)])
    where = f"pipelined behind a put's DONE ({writes})"
    channel.expect([ExpectFrame("DONE", done)]).check(f"APP-PUT-5: the put's DONE, {where}")
    first = channel.expect([ExpectFrame("RSFL")]).check(f"APP-2: RQFL {file.name!r} {where}")
    _finish_get(channel, first.frame, file.sha256, file.size)
    channel.expect([ExpectError("not_found")]).check(f"APP-2: RQFL of a missing file {where}")
    channel.expect([ExpectFrame("BYE_"), ExpectClose()]).check(f"APP-2: BYE_ {where}")


# How a put's DATA and DONE frames are cut into writes (sizes; the rest in one last write):
# the header of the first DATA frame alone, its payload in pieces, the last piece together
# with the next frames. Over sft-pki every write is one TLS record (or several of 16 KiB):
# a receiver that reads a DATA payload straight into its buffer must stop at the payload's
# end, however the records fall, and must not take one read for the whole payload.
_PUT_SPLITS = {
    "header-alone-then-rest": [8],
    "payload-in-pieces": [8, 1000, 5000, 3],
    "pieces-across-frames": [8, 20_000, 30_000],
    "bytewise-header-then-rest": [1] * 8,
}


@pytest.mark.req("FRM-4", "APP-PUT-4", "APP-PUT-5")
@pytest.mark.parametrize("split", sorted(_PUT_SPLITS))
def test_put_frames_split_and_coalesced_any_way(
    target: Target, app_channel: AppChannel, split: str
) -> None:
    """Two DATA frames (40 000 and 25 000 bytes) and the DONE of a put, sent as one stream
    cut as `_PUT_SPLITS` says, the last write carrying the end of the data and the DONE:
    the put is stored and acknowledged with its DONE. Catches a receiver that takes what
    one read returned for a whole DATA payload, and one that reads a payload into a
    buffer past its end, losing the DONE (or the next frame) that came with it."""
    require(target, "put")
    data = bytes((i * 31 + 7) % 251 for i in range(65_000))
    name = fresh_name()
    channel = app_channel()
    channel.send_frame("PUTF", {"name": name, "size": len(data)})
    channel.expect([ExpectFrame("RSFL", {"accept": True})]).check(f"PUTF {name!r}")
    want = {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    frames = [
        frame_bytes("DATA", data[:40_000]),
        frame_bytes("DATA", data[40_000:]),
        frame_bytes("DONE", control(want)),
    ]
    sizes = _PUT_SPLITS[split]
    total = sum(len(f) for f in frames)
    send_split_frames(channel, frames, [*sizes, total - sum(sizes)])
    channel.expect([ExpectFrame("DONE", want)]).check(
        f"FRM-4: a put's DATA, DATA, DONE written as {sizes} + the rest"
    )
    channel.send_frame("PUTF", {"name": name, "size": 1})
    channel.expect([ExpectError("exists")]).check(
        f"APP-PUT-5: PUTF {name!r} again, after its put (written as {split}) was acknowledged"
    )
    if target.inbox is not None and (target.inbox / name).read_bytes() != data:
        raise ConformanceFailure(
            f"FRM-4: {target.inbox / name} differs from the bytes sent (written as {split})"
        )


# --- errors -------------------------------------------------------------------------------


@pytest.mark.req("ERR-4", "ERR-3")
def test_error_with_unknown_code_ends_the_connection(
    target: Target, app_channel: AppChannel
) -> None:
    """An EROR from the initiator (any code, here unknown) ends the connection (§3.2)."""
    channel = app_channel()
    channel.send_frame("EROR", {"code": 999, "name": "nonsense", "message": "suite"})
    channel.expect([ExpectClose(), ExpectError(then_close=True)]).check("ERR-4: EROR code 999")


@pytest.mark.req("ERR-4", "ERR-3")
@pytest.mark.parametrize("code", [0, 15, 99, 65536])
def test_error_with_unknown_code_then_a_request_is_not_served(
    target: Target, app_channel: AppChannel, code: int
) -> None:
    """An EROR of a code ERR-2 does not list is `internal` (fatal) [ERR-4]; a get
    pipelined behind it, in the same write, is never served: the answer is a close or an
    EROR then the close. A responder that takes an unknown code for a warning (or for a
    non-fatal refusal) goes on and answers the get; only the idle timeout would end it,
    which the lone-EROR case above cannot tell from a close."""
    file = known_file(target)
    channel = app_channel()
    frames = [
        frame_bytes("EROR", control({"code": code, "name": "internal", "message": "suite"})),
        frame_bytes("RQFL", control({"name": file.name})),
    ]
    send_split_frames(channel, frames, [sum(len(f) for f in frames)])
    outcome = channel.expect([ExpectClose(), ExpectError(then_close=True)])
    answer = outcome.frame
    if answer is not None and answer.type != b"EROR":
        failure = ConformanceFailure.evidence(
            f"ERR-4: EROR code {code} (not in ERR-2's list), then RQFL {file.name!r} in the "
            "same write",
            "the close, or an EROR then the close: the unknown code is `internal` (fatal), "
            "the get behind it is never served",
            answer.describe(),
        )
        failure.violates = ("ERR-4",)
        raise failure
    outcome.check(f"ERR-4: EROR code {code}, then RQFL {file.name!r} in the same write")
    if answer is not None and answer.error_name == "timeout":
        failure = ConformanceFailure.evidence(
            f"ERR-4: EROR code {code}, then RQFL {file.name!r} in the same write",
            "the close at once (ERR-3): the unknown code is `internal` (fatal)",
            f"the responder waited for more and ended on its idle timeout: {answer.describe()}",
        )
        failure.violates = ("ERR-4",)
        raise failure


@pytest.mark.req("FRM-15")
@pytest.mark.parametrize(
    "name",
    ["sft-\\ud800-x.bin", "sft-\\udcff-x.bin", "sft-\\udcc3\\udca9.bin", "sft-x\\ud83d"],
    ids=["high", "low-ff", "low-pair-like", "high-at-end"],
)
def test_put_of_a_lone_surrogate_name_is_refused(
    target: Target, app_channel: AppChannel, name: str
) -> None:
    """FRM-15 for a put: a PUTF whose name holds a lone surrogate (written as a JSON
    escape) is `bad_frame` or `forbidden`, never accepted: no such name can be stored."""
    require(target, "put")
    channel = app_channel()
    payload = b'{"name":"' + name.encode("ascii") + b'","size":1}'
    channel.send_raw(frame_bytes("PUTF", payload))
    outcome = channel.expect([ExpectError("bad_frame"), ExpectError("forbidden")])
    outcome.check(f"FRM-15: PUTF {payload.decode('ascii')}")


@pytest.mark.req("FRM-1", "FRM-14", "ERR-1", "ERR-2", "ERR-6", "ERR-7")
def test_target_frames_are_well_formed(target: Target, app_channel: AppChannel) -> None:
    """Everything the target sends in an ordinary session obeys §1 and §2."""
    channel = app_channel()
    seen: list[ReceivedFrame] = []
    if target.files:
        seen += get_file(channel, known_file(target).name).frames
    # An empty file: a sender that always writes "at least one DATA" emits an empty one.
    empty = next((f for f in target.files if f.size == 0), None)
    if empty is not None:
        seen += get_file(channel, empty.name).frames
    seen += get_file(
        channel, "sft-conformance-no-such-file", also=[ExpectError("not_found")], served=False
    ).frames
    seen += get_file(channel, "../outside", also=[ExpectError("forbidden")], served=False).frames
    channel.send_frame("ZZZZ", {})
    outcome = channel.expect([ExpectError("unexpected_frame")]).check("unknown type")
    seen += [e for e in outcome.events if isinstance(e, ReceivedFrame)]
    check_well_formed(seen, "FRM-14")


# Names whose UTF-8 is longer than their count of characters (2-, 3- and 4-byte
# characters): a sender that announces len(str) instead of len(bytes) cuts its frame short.
_WIDE_NAMES = ("sft-caf\u00e9-\u00f1and\u00fa", "sft-\u20ac-\u4e2d\u6587", "sft-\U0001f642-x")


@pytest.mark.req("FRM-1", "FRM-14")
def test_frame_lengths_count_utf8_bytes(target: Target, app_channel: AppChannel) -> None:
    """Every frame that carries a non-ASCII name (an RSFL naming a known file, an EROR
    that may echo a missing one, the RSFL accepting a put) announces its payload's length
    in bytes: the payload is whole JSON and the next frame starts where it should."""
    channel = app_channel()
    seen: list[ReceivedFrame] = []
    wide_files = [f for f in target.files if not f.name.isascii()]
    for file in wide_files[:2]:
        seen += get_file(channel, file.name).frames
    for base in _WIDE_NAMES:
        seen += get_file(
            channel,
            f"{base}-missing",
            also=[ExpectError("not_found", "forbidden")],
            served=False,
        ).frames
    if target.has("put"):
        data = b"a put with a wide name\n"
        name = fresh_name(_WIDE_NAMES[1])
        channel.send_frame("PUTF", {"name": name, "size": len(data)})
        outcome = channel.expect(
            [ExpectFrame("RSFL", {"accept": True}), ExpectError("forbidden", "exists")]
        ).check(f"FRM-1: PUTF {name!r}")
        seen += [e for e in outcome.events if isinstance(e, ReceivedFrame)]
        if outcome.frame is not None and outcome.frame.type == b"RSFL":
            channel.send_frame("DATA", data)
            channel.send_frame(
                "DONE", {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
            )
            outcome = channel.expect([ExpectFrame("DONE")]).check(f"FRM-1: DONE of {name!r}")
            seen += [e for e in outcome.events if isinstance(e, ReceivedFrame)]
    # The stream is still aligned: an ordinary request is answered as such.
    seen += get_file(
        channel, "sft-conformance-no-such-file", also=[ExpectError("not_found")], served=False
    ).frames
    check_well_formed(seen, "FRM-1")


@pytest.mark.req("ERR-5", level="SHOULD")
def test_error_message_does_not_echo_long_attacker_input(
    target: Target, app_channel: AppChannel
) -> None:
    channel = app_channel()
    marker = "Q" * 300
    channel.send_frame("RQFL", {"name": f"../{marker}"})
    outcome = channel.expect([ExpectError("forbidden", "not_found")]).check("refused name")
    assert outcome.frame is not None
    message = str((outcome.frame.json() or {}).get("message", ""))
    if "Q" * 65 in message:
        raise ConformanceFailure(
            f"ERR-5: the EROR message echoes {message.count('Q')} attacker characters: "
            f"{message[:120]!r}…"
        )


@pytest.mark.req("ERR-3", "FRM-4")
def test_no_frame_is_processed_after_a_fatal_error(target: Target, app_channel: AppChannel) -> None:
    """A malformed frame and a valid request in one write: the request must not be served."""
    file = known_file(target)
    channel = app_channel()
    frames = [
        frame_bytes("RQFL", b'{"name":"a","name":"b"}'),
        frame_bytes("RQFL", control({"name": file.name})),
    ]
    send_split_frames(channel, frames, [len(frames[0]) + len(frames[1])])
    channel.expect([ExpectError("bad_frame")]).check(
        "ERR-3: duplicate-key RQFL pipelined with a valid RQFL (only EROR, then close)"
    )


# --- boundaries and states ----------------------------------------------------------------


@pytest.mark.req("FRM-4", "APP-2")
def test_frame_split_at_every_offset(target: Target, app_channel: AppChannel) -> None:
    """The same RQFL split in two writes at every offset (inside the header, at the
    header/payload boundary, inside the payload), one after another on one connection."""
    file = known_file(target)
    channel = app_channel()
    frame = frame_bytes("RQFL", control({"name": file.name}))
    wire = _wire_size(channel, frame)
    for cut in range(1, wire):
        send_split_frames(channel, [frame], [cut])
        first = channel.expect([ExpectFrame("RSFL")]).check(
            f"FRM-4: RQFL split after byte {cut} of {wire} on the wire"
        )
        _finish_get(channel, first.frame, file.sha256, file.size)


def _wire_size(channel: Channel, frame: bytes) -> int:
    """How many bytes one frame takes on the wire (sft-eke: its RECD record)."""
    if getattr(channel, "raw", None) is not None:
        return len(frame) + 8 + 16  # RECD header + AES-GCM tag (EKE-REC-1)
    return len(frame)


@pytest.mark.req("FRM-8", "ERR-3")
def test_control_payload_limit_is_exact(target: Target, app_channel: AppChannel) -> None:
    """A control payload of exactly 65 536 bytes is within the limit (this RQFL's name is
    too long, so: forbidden, non-fatal); 65 537 bytes is frame_too_large."""
    channel = app_channel()
    overhead = len(control({"name": ""}))
    at_limit = control({"name": "a" * (MAX_CONTROL_PAYLOAD - overhead)})
    assert len(at_limit) == MAX_CONTROL_PAYLOAD
    channel.send_raw(frame_bytes("RQFL", at_limit))
    channel.expect([ExpectError("forbidden")]).check(
        "FRM-8: a control payload of exactly 65536 bytes (a 65525-byte name: forbidden)"
    )
    over = control({"name": "a" * (MAX_CONTROL_PAYLOAD - overhead + 1)})
    channel.send_raw(frame_bytes("RQFL", over))
    expect_fatal(channel, "frame_too_large", context="FRM-8: a 65537-byte control payload")


@pytest.mark.req("FRM-13", "FRM-16", "ERR-3")
def test_data_payload_limit_is_exact(target: Target, app_channel: AppChannel) -> None:
    """DATA of exactly 1 MiB is a frame (a put of 1 MiB + 1 in two frames is stored);
    DATA of 1 MiB + 1 is refused: `bad_frame` (FRM-13) or, by a receiver that checks
    DATA lengths at the header, `frame_too_large` (FRM-16 allows either)."""
    require(target, "put")
    size = MAX_DATA_PAYLOAD + 1
    if size > target.limits.max_file_size or target.limits.frame_limit < size + 8 + 16:
        pytest.skip("the target's max file size or frame limit is below 1 MiB + 1")
    data = bytes(range(256)) * (size // 256) + b"!"
    channel = app_channel()
    channel.send_frame("PUTF", {"name": fresh_name(), "size": size})
    channel.expect([ExpectFrame("RSFL", {"accept": True})]).check("PUTF 1 MiB + 1")
    channel.send_frame("DATA", data[:MAX_DATA_PAYLOAD])
    channel.send_frame("DATA", data[MAX_DATA_PAYLOAD:])
    channel.send_frame("DONE", {"size": size, "sha256": hashlib.sha256(data).hexdigest()})
    channel.expect([ExpectFrame("DONE")]).check("FRM-13: DATA of exactly 1 MiB, then 1 byte")
    channel.send_frame("PUTF", {"name": fresh_name(), "size": size})
    channel.expect([ExpectFrame("RSFL", {"accept": True})]).check("PUTF 1 MiB + 1")
    channel.send_frame("DATA", data)
    expect_fatal(
        channel, "bad_frame", "frame_too_large", context="FRM-13: one DATA frame of 1 MiB + 1 bytes"
    )


# DATA frame sizes of a put: tiny ones (1 byte) first, then a mix; FRM-13 allows any size
# from 1 byte to 1 MiB and says nothing of how a sender cuts its file.
_SMALL_FRAME_SIZES = (1, 1, 1, 2, 3, 7, 100, 1, 1000, 4096, 1, 65536, 5)


@pytest.mark.req("FRM-13", "APP-PUT-4", "APP-PUT-5")
def test_put_in_data_frames_of_any_size(target: Target, app_channel: AppChannel) -> None:
    """A put whose DATA frames are 1, 2, 3, 7, 100, 1000, 4096 and 65 536 bytes (and 200
    frames of 1 byte) is stored: DONE with its size and SHA-256, then `exists`. Catches a
    receiver that places a frame's bytes by frame number (as if every frame but the last
    were full), limits the number of frames of a put, or refuses small frames as a
    slow-sender defence."""
    require(target, "put")
    sizes = [1] * 200 + list(_SMALL_FRAME_SIZES) * 3
    data = bytes((i * 7 + 3) % 256 for i in range(sum(sizes)))
    name = fresh_name()
    channel = app_channel()
    channel.send_frame("PUTF", {"name": name, "size": len(data)})
    channel.expect([ExpectFrame("RSFL", {"accept": True})]).check("PUTF")
    offset = 0
    for size in sizes:
        if not channel.send_frame("DATA", data[offset : offset + size]):
            break
        offset += size
    want = {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    channel.send_frame("DONE", want)
    answer = channel.expect([ExpectFrame("DONE", want)])
    answer.check(f"FRM-13: a put of {len(data)} bytes in {len(sizes)} DATA frames of 1 to 65536 B")
    channel.send_frame("PUTF", {"name": name, "size": 1})
    channel.expect([ExpectError("exists")]).check(
        f"APP-PUT-5: PUTF {name!r} again, after a put in small DATA frames was acknowledged"
    )
    if target.inbox is not None and (target.inbox / name).read_bytes() != data:
        raise ConformanceFailure(
            f"APP-PUT-5: {target.inbox / name} differs from the bytes sent in small DATA frames"
        )


# --- one frame, several rules broken (FRM-16): any applicable code, and only those -------


@pytest.mark.req("FRM-16", "FRM-5", "FRM-8", "ERR-3")
@pytest.mark.parametrize("extra", [1, 4096], ids=["65537", "69632"])
def test_undefined_type_above_the_control_limit(
    target: Target, app_channel: AppChannel, extra: int
) -> None:
    """An undefined type whose length is above 65 536 but within the frame limit breaks
    FRM-5 and (read as a control frame) FRM-8: `unexpected_frame` or `frame_too_large`,
    then the close. Not `bad_frame`: its type bytes are valid (FRM-2) and its payload is
    judged by no schema. Catches a receiver that takes "unknown and large" for garbage."""
    length = MAX_CONTROL_PAYLOAD + extra
    if target.limits.frame_limit < length + 64:
        pytest.skip(f"the frame limit ({target.limits.frame_limit} B) is below {length} B")
    pad = length - len(control({"pad": ""}))
    payload = control({"pad": "a" * pad})
    assert len(payload) == length
    channel = app_channel()
    channel.send_raw(frame_bytes("ZZZZ", payload))
    expect_fatal(
        channel,
        "unexpected_frame",
        "frame_too_large",
        context=f"FRM-16: undefined type ZZZZ with a {length}-byte payload",
        violates=("FRM-16",),
    )


@pytest.mark.req("FRM-16", "FRM-6", "FRM-9", "ERR-3")
@pytest.mark.parametrize(
    ("frame_type", "payload"),
    [("DONE", b"not json"), ("DONE", b'{"size":0,"size":0}'), ("RSFL", b"[]")],
    ids=["done-not-json", "done-duplicate-key", "rsfl-array"],
)
def test_frame_not_allowed_in_idle_with_a_malformed_payload(
    target: Target, app_channel: AppChannel, frame_type: str, payload: bytes
) -> None:
    """A frame not allowed in IDLE whose payload is also malformed: `unexpected_frame` or
    `bad_frame`, then the close — no other code (e.g. `integrity_failed` for a DONE with
    no transfer, `internal`)."""
    channel = app_channel()
    channel.send_raw(frame_bytes(frame_type, payload))
    expect_fatal(
        channel,
        "unexpected_frame",
        "bad_frame",
        context=f"FRM-16: {frame_type} in IDLE with payload {payload!r}",
        violates=("FRM-16",),
    )


@pytest.mark.req("FRM-16", "APP-NAME-2", "APP-PUT-7", "ERR-3")
def test_put_with_a_refused_name_and_too_large_a_size(
    target: Target, app_channel: AppChannel
) -> None:
    """A PUTF whose name APP-NAME-2 refuses and whose size is above the max file size:
    `forbidden` or `too_large`, both non-fatal — the connection stays usable (a get, or
    a put, on it is then answered)."""
    require(target, "put")
    channel = app_channel()
    size = target.limits.max_file_size + 1
    channel.send_frame("PUTF", {"name": "../sft-frm16.bin", "size": size})
    answer = channel.expect([ExpectError("forbidden", "too_large", then_close=False)])
    try:
        answer.check(f"FRM-16: PUTF '../sft-frm16.bin' of {size} bytes")
    except ConformanceFailure as exc:
        exc.violates = exc.violates or ("FRM-16",)
        raise
    if target.has("get"):
        get_file(channel, known_file(target).name)
    else:
        data = b"after a refused put"
        channel.send_frame("PUTF", {"name": fresh_name(), "size": len(data)})
        channel.expect([ExpectFrame("RSFL", {"accept": True})]).check(
            "ERR-3: a PUTF after a non-fatal refusal, on the same connection"
        )


@pytest.mark.req("FRM-6", "APP-3", "ERR-3")
@pytest.mark.parametrize("frame_type", ["PUTF", "RSFL", "RQFL"])
def test_frame_not_allowed_while_receiving_a_put(
    target: Target, app_channel: AppChannel, frame_type: str
) -> None:
    require(target, "put")
    channel = app_channel()
    channel.send_frame("PUTF", {"name": fresh_name(), "size": 10})
    channel.expect([ExpectFrame("RSFL", {"accept": True})]).check("PUTF")
    channel.send_frame("DATA", b"12345")
    channel.send_frame(frame_type, {"name": "x", "size": 1, "accept": True})
    expect_fatal(channel, "unexpected_frame", context=f"FRM-6: {frame_type} inside a put")


# --- families from the blind red-team round (brief R5) ------------------------------------
# Each case below attacks a whole family of one mistake: the same rule checked on every
# frame type that carries it, every encoding of the same length, every path to a fatal
# error. The unknown members, keys and values are chosen so that a parser that
# normalises (case-folds keys, counts characters, strips whitespace) or that checks one
# frame type more strictly than another gives itself away.

_UNKNOWN_MEMBERS = {
    "x-ext": {"nested": [1, 2.5, None, "s", True, {"k": []}]},
    "NAME": 5,  # a defined member's name in another case is another member (JSON is exact)
    "Size": "five",
    "sha-256": -1,
    "": "empty key",
}


@pytest.mark.req("FRM-10")
def test_unknown_members_are_ignored_in_every_frame(
    target: Target, app_channel: AppChannel
) -> None:
    """Undefined members in RQFL, PUTF, DONE and BYE_ (one connection): each is processed
    as if they were absent. A schema made strict for one frame type fails here."""
    file = known_file(target)
    channel = app_channel()
    channel.send_frame("RQFL", {"name": file.name, **_UNKNOWN_MEMBERS})
    first = channel.expect([ExpectFrame("RSFL")]).check("FRM-10: RQFL with undefined members")
    _finish_get(channel, first.frame, file.sha256, file.size)
    if target.has("put"):
        data = b"sft"
        sha = hashlib.sha256(data).hexdigest()
        channel.send_frame("PUTF", {"name": fresh_name(), "size": 3, **_UNKNOWN_MEMBERS})
        channel.expect([ExpectFrame("RSFL", {"accept": True})]).check(
            "FRM-10: PUTF with undefined members"
        )
        channel.send_frame("DATA", data)
        channel.send_frame("DONE", {"size": 3, "sha256": sha, **_UNKNOWN_MEMBERS})
        channel.expect([ExpectFrame("DONE", {"size": 3, "sha256": sha})]).check(
            "FRM-10: DONE with undefined members"
        )
    channel.send_frame("BYE_", dict(_UNKNOWN_MEMBERS))
    channel.expect([ExpectFrame("BYE_"), ExpectClose()]).check(
        "FRM-10: BYE_ with undefined members (an echo or a close, never an EROR)"
    )


# Payloads that are no JSON object, for the frames whose schema needs no member (BYE_)
# or that arrive inside a put (DONE): a receiver that skips parsing them ("BYE_ has no
# content") or parses them leniently passes every RQFL case and fails these.
_BYE_ABUSE = {
    "empty": b"",
    "array": b"[]",
    "not-json": b"bye",
    "trailing-garbage": b"{} x",
    "duplicate-key": b'{"a":1,"a":2}',
    "nan": b'{"a":NaN}',
    "not-utf8": b'{"a":"\xff"}',
}
_DONE_ABUSE = {
    "empty": b"",
    "array": b"[]",
    "trailing-garbage": b'{"size":3,"sha256":"%s"} x',
    "duplicate-key": b'{"size":3,"size":3,"sha256":"%s"}',
}


# In the default run the cases that tell the families apart (not parsed at all, empty as
# {}, a lenient or second parser); the rest go with `-m slow`.
_ABUSE_DEFAULT = {"empty", "array", "trailing-garbage", "duplicate-key"}


def _abuse_params() -> list[object]:
    params: list[object] = []
    for frame_type, cases in (("BYE_", _BYE_ABUSE), ("DONE", _DONE_ABUSE)):
        for case in sorted(cases):
            marks = () if case in _ABUSE_DEFAULT else (pytest.mark.slow,)
            params.append(pytest.param(frame_type, case, marks=marks))
    return params


@pytest.mark.req("FRM-9", "ERR-3")
@pytest.mark.parametrize(("frame_type", "case"), _abuse_params())
def test_malformed_bye_and_done_payloads_are_bad_frame(
    target: Target, app_channel: AppChannel, frame_type: str, case: str
) -> None:
    channel = app_channel()
    if frame_type == "BYE_":
        payload = _BYE_ABUSE[case]
    else:
        require(target, "put")
        data = b"sft"
        sha = hashlib.sha256(data).hexdigest().encode()
        payload = _DONE_ABUSE[case].replace(b"%s", sha)
        channel.send_frame("PUTF", {"name": fresh_name(), "size": 3})
        channel.expect([ExpectFrame("RSFL", {"accept": True})]).check("PUTF before the DONE")
        channel.send_frame("DATA", data)
    channel.send_raw(frame_bytes(frame_type, payload))
    expect_fatal(channel, "bad_frame", context=f"FRM-9: {frame_type} payload {payload[:40]!r}")


def _padded(frame_type: str, form: str, size: int, name: str) -> bytes:
    """A control payload of exactly `size` bytes in one of several encodings.

    `whitespace`: insignificant spaces around the object; `unknown-member`: an undefined
    member's value; `multibyte`: a name of two-byte characters (half as many characters
    as bytes); `escapes`: a name of `\\u0061` escapes (a sixth as many characters once
    decoded). A receiver must count the payload's bytes as they arrived.
    """
    base: dict[str, object] = {"name": name} if frame_type in ("RQFL", "PUTF") else {}
    if frame_type == "PUTF":
        base["size"] = 1
    if form == "whitespace":
        body = control(base)
        pad = size - len(body)
        return b" " * (pad // 2) + body + b" " * (pad - pad // 2)
    if form == "unknown-member":
        body = control({**base, "x-pad": ""})
        return body[:-2] + b"z" * (size - len(body)) + body[-2:]
    unit, filler = {"multibyte": (2, "é"), "escapes": (6, "\\u0061")}[form]
    body = control({"name": ""})
    room = size - len(body)
    text = filler * (room // unit) + "a" * (room % unit)
    return body[:-2] + text.encode("utf-8") + body[-2:]


@pytest.mark.req("FRM-8", "ERR-3")
@pytest.mark.parametrize(
    ("frame_type", "form"),
    [
        ("RQFL", "multibyte"),
        ("RQFL", "escapes"),
        pytest.param("RQFL", "whitespace", marks=pytest.mark.slow),
        pytest.param("RQFL", "unknown-member", marks=pytest.mark.slow),
        ("PUTF", "unknown-member"),
        ("BYE_", "whitespace"),
    ],
)
def test_control_payload_over_the_limit_in_any_encoding(
    target: Target, app_channel: AppChannel, frame_type: str, form: str
) -> None:
    """65 537 bytes of control payload, whatever they encode (fewer characters, fewer
    decoded bytes, whitespace, an undefined member) and whatever the frame type."""
    if frame_type == "PUTF":
        require(target, "put")
    payload = _padded(frame_type, form, MAX_CONTROL_PAYLOAD + 1, "x")
    assert len(payload) == MAX_CONTROL_PAYLOAD + 1
    channel = app_channel()
    channel.send_raw(frame_bytes(frame_type, payload))
    expect_fatal(
        channel,
        "frame_too_large",
        context=f"FRM-8: {frame_type} with a 65537-byte payload ({form})",
    )


@pytest.mark.req("FRM-8")
def test_control_payload_at_the_limit_in_any_encoding(
    target: Target, app_channel: AppChannel
) -> None:
    """Exactly 65 536 bytes, in each encoding, on one connection: never frame_too_large.
    Names this long are refused `forbidden` (APP-NAME-1), a padded request is served."""
    file = known_file(target)
    channel = app_channel()
    for form in ("whitespace", "unknown-member"):
        payload = _padded("RQFL", form, MAX_CONTROL_PAYLOAD, file.name)
        assert len(payload) == MAX_CONTROL_PAYLOAD
        channel.send_raw(frame_bytes("RQFL", payload))
        first = channel.expect([ExpectFrame("RSFL")]).check(
            f"FRM-8: RQFL of {file.name!r} padded to exactly 65536 bytes ({form})"
        )
        _finish_get(channel, first.frame, file.sha256, file.size)
    for form in ("multibyte", "escapes"):
        payload = _padded("RQFL", form, MAX_CONTROL_PAYLOAD, "x")
        assert len(payload) == MAX_CONTROL_PAYLOAD
        channel.send_raw(frame_bytes("RQFL", payload))
        channel.expect([ExpectError("forbidden")]).check(
            f"FRM-8: a 65536-byte RQFL whose name is too long ({form}): forbidden"
        )


# Ways to reach a fatal error inside a channel: the close must follow at once even when
# the initiator goes on sending (a responder that "lets the peer finish" or drains until
# its idle timeout passes a silent test when the timeout is short).
_FATAL_TRIGGERS = {
    "bad-type": frame_bytes(b"rq\x00\x00", b"{}"),
    "unexpected": frame_bytes("DONE", control({"size": 0, "sha256": "0" * 64})),
    "bad-json": frame_bytes("RQFL", b'{"name":"a","name":"b"}'),
    "too-large": frame_bytes("RQFL", b" " * (MAX_CONTROL_PAYLOAD + 1)),
}


@pytest.mark.req("ERR-3")
@pytest.mark.parametrize(
    "trigger",
    [
        pytest.param(t, marks=pytest.mark.slow) if t == "bad-json" else t
        for t in sorted(_FATAL_TRIGGERS)
    ],
)
def test_fatal_error_closes_while_the_initiator_keeps_sending(
    target: Target, app_channel: AppChannel, trigger: str
) -> None:
    file = known_file(target)
    channel = app_channel()
    channel.send_raw(_FATAL_TRIGGERS[trigger])
    error = channel.expect([ExpectError(then_close=False)]).check(f"ERR-3: {trigger}")
    assert error.frame is not None
    if error.frame.error_name not in ("bad_frame", "unexpected_frame", "frame_too_large"):
        raise ConformanceFailure(f"ERR-2: {trigger} answered {error.frame.describe()}")
    hard = deadline_after(2.0)  # scenario.PROMPT_CLOSE
    sent = 0
    # Bounded: one request per 0.1 s until the close, or 2 s (about 20 rounds).
    while time.monotonic() < hard:
        if channel.send_frame("RQFL", {"name": file.name}):
            sent += 1
        event = channel.recv_frame(min(deadline_after(0.1), hard))
        if isinstance(event, Closed):
            return
        if isinstance(event, ReceivedFrame):
            raise ConformanceFailure(
                f"ERR-3: after {error.frame.describe(80)} the target still answered "
                f"({sent} requests sent after it): {event.describe()}"
            )
    raise ConformanceFailure(
        f"ERR-3: after {error.frame.describe(80)} the connection was still open 2 s later "
        f"while the initiator kept sending ({sent} requests); a fatal EROR must be "
        "followed by the close at once"
    )


# DONE's members, for a put of one byte (so that `true` would be its size): a receiver
# that compares them as numbers or normalises the digest stores the file. FRM-16: the
# answer may be `bad_frame` (the member is malformed) or `integrity_failed`.
_ONE_BYTE_SHA = hashlib.sha256(b"x").hexdigest()
_DONE_MEMBERS = {
    "size-float": b'{"size":1.0,"sha256":"%s"}' % _ONE_BYTE_SHA.encode(),
    "size-true": b'{"size":true,"sha256":"%s"}' % _ONE_BYTE_SHA.encode(),
    "size-string": b'{"size":"1","sha256":"%s"}' % _ONE_BYTE_SHA.encode(),
    "size-exponent": b'{"size":1e0,"sha256":"%s"}' % _ONE_BYTE_SHA.encode(),
    "sha-upper": b'{"size":1,"sha256":"%s"}' % _ONE_BYTE_SHA.upper().encode(),
    "sha-space": b'{"size":1,"sha256":"%s "}' % _ONE_BYTE_SHA.encode(),
}


@pytest.mark.req("FRM-11", "FRM-12", "ERR-3")
@pytest.mark.parametrize(
    "case",
    [
        pytest.param(c, marks=pytest.mark.slow) if c in ("size-exponent", "sha-space") else c
        for c in sorted(_DONE_MEMBERS)
    ],
)
def test_done_members_are_checked_strictly(
    target: Target, app_channel: AppChannel, case: str
) -> None:
    require(target, "put")
    channel = app_channel()
    channel.send_frame("PUTF", {"name": fresh_name(), "size": 1})
    channel.expect([ExpectFrame("RSFL", {"accept": True})]).check("PUTF of one byte")
    channel.send_frame("DATA", b"x")
    channel.send_raw(frame_bytes("DONE", _DONE_MEMBERS[case]))
    expect_fatal(
        channel,
        "bad_frame",
        "integrity_failed",
        context=f"FRM-11/FRM-12: DONE {_DONE_MEMBERS[case].decode()} after one byte ({case})",
    )


@pytest.mark.req("FRM-3", "EKE-REC-6")
@pytest.mark.profile("eke")
def test_record_of_exactly_the_frame_limit_is_not_too_large(
    target: Target, app_channel: AppChannel
) -> None:
    """A `RECD` announcing exactly the frame limit is within it ("exceeds" is `>`): its
    garbage then fails to authenticate (a close, EKE-REC-4), never `frame_too_large`."""
    limit = target.limits.frame_limit
    if limit > 8 * 1024 * 1024:
        pytest.skip(f"the frame limit {limit} is too large to send here")
    channel = app_channel()
    conn, frame_type = _outer(channel)
    conn.send_raw(header_bytes(frame_type, limit))
    conn.send_raw(b"\x00" * limit)
    outcome = channel.expect([ExpectClose(), ExpectError("bad_frame")])
    outcome.check(f"FRM-3: a RECD of exactly {limit} bytes (the limit) of garbage")


# --------------------------------------------------------------------------------------
# The clear framing of the sft-eke/1 handshake, at the lengths a signed 32-bit reader
# mistakes (docs/SPEC.md §1 FRM-3, §5.3).
#
# The cases above send the largest length, 2^32 − 1, only in a `RECD` header (the
# application channel) and the frame limit + 1 in a clear `EKE1` header. An implementation
# whose handshake reader decodes the length as a signed 32-bit integer (Java's
# `DataInputStream.readInt`, a C `int32_t`) — a reader of its own, apart from the record
# layer's — sees 2^31 and above as negative, passes its `length > limit` check and then
# fails on a negative allocation (an `internal` answer, a crash, or a wait for bytes that
# never come). FRM-3 asks `frame_too_large` for any length above the limit, judged on the
# 8-byte header alone, before the handshake as after it.
# --------------------------------------------------------------------------------------


@pytest.mark.profile("eke")
@pytest.mark.req("FRM-3")
@pytest.mark.parametrize("length", [2**31, 2**32 - 1], ids=["2^31", "2^32-1"])
def test_clear_handshake_header_of_a_huge_length_is_frame_too_large(
    target: Target, transcripts: TranscriptBook, length: int
) -> None:
    """An `EKE1` header announcing `length` bytes, above the target's frame limit, and no
    payload: `frame_too_large`, then the close."""
    if length <= target.limits.frame_limit:
        pytest.skip(f"the target's frame limit {target.limits.frame_limit} admits {length}")
    with RawConnection.connect(target.host, target.port, timeout=5.0) as conn:
        transcripts.add(conn)
        conn.send_raw(header_bytes("EKE1", length))
        conn.expect([ExpectError("frame_too_large")]).check(
            f"FRM-3: an EKE1 header announcing {length} bytes in clear, no payload sent"
        )
