"""The sans-IO frame layer and application messages (docs/SPEC.md §1–3.1)."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reference.errors import ErrorCode, RemoteProtocolError, TruncatedStream
from reference.frames import (
    CLOSED,
    DEFAULT_MAX_PAYLOAD,
    NEED_DATA,
    Frame,
    FrameDecoder,
    encode_frame,
    encode_header,
    loads_control,
)
from reference.messages import (
    Bye,
    Data,
    Done,
    ErrorFrame,
    FileRequest,
    FileResponse,
    Message,
    PutAccepted,
    PutRequest,
    decode_message,
    encode_message,
)

SHA = hashlib.sha256(b"hello").hexdigest()
MESSAGES: list[Message] = [
    FileRequest("docs/report.pdf"),
    FileResponse("docs/report.pdf", 5, SHA),
    FileResponse("a", 0),
    PutRequest("x.bin", 2**40, None),
    Data(b"hello"),
    Done(5, SHA),
    ErrorFrame(ErrorCode.NOT_FOUND, "no such file"),
    Bye(),
]


def drain(decoder: FrameDecoder) -> list[Frame]:
    frames = []
    while True:
        item = decoder.next_frame()
        if not isinstance(item, Frame):
            return frames
        frames.append(item)


def stream() -> bytes:
    return b"".join(encode_message(m) for m in MESSAGES)


@pytest.mark.parametrize("chunk", [None, 1, 3, 7, 8, 9, 4096])
def test_decoder_any_split(chunk: int | None) -> None:
    """[FRM-4] whole, one byte at a time, and odd splits decode identically."""
    data = stream()
    decoder = FrameDecoder()
    frames: list[Frame] = []
    step = chunk or len(data)
    for i in range(0, len(data), step):
        decoder.receive_data(data[i : i + step])
        frames += drain(decoder)
    decoder.receive_data(b"")
    assert decoder.next_frame() is CLOSED
    decoded = [decode_message(f) for f in frames]
    assert decoded == MESSAGES


def test_decoder_trailing_partial_frame_is_truncation() -> None:
    """[FRM-7] EOF inside a frame is a failure, never a frame."""
    decoder = FrameDecoder()
    data = encode_message(Bye()) + encode_message(Data(b"abcdef"))[:-2]
    decoder.receive_data(data)
    assert [f.type for f in drain(decoder)] == [b"BYE_"]
    assert decoder.next_frame() is NEED_DATA
    decoder.receive_data(b"")
    with pytest.raises(TruncatedStream):
        decoder.next_frame()


def test_decoder_partial_header_at_eof() -> None:
    decoder = FrameDecoder()
    decoder.receive_data(b"DAT")
    decoder.receive_data(b"")
    with pytest.raises(TruncatedStream):
        decoder.next_frame()


def test_oversize_rejected_on_header_alone() -> None:
    """[FRM-3] the limit is checked as soon as 8 bytes arrived, payload never awaited."""
    decoder = FrameDecoder()
    decoder.receive_data(encode_header(b"DATA", DEFAULT_MAX_PAYLOAD + 1))
    with pytest.raises(RemoteProtocolError) as info:
        decoder.next_frame()
    assert info.value.code is ErrorCode.FRAME_TOO_LARGE
    # and the decoder refuses further use
    with pytest.raises(RemoteProtocolError):
        decoder.next_frame()


def test_limit_is_configurable_and_inclusive() -> None:
    decoder = FrameDecoder(max_payload=4)
    decoder.receive_data(encode_frame(b"DATA", b"1234"))
    assert drain(decoder) == [Frame(b"DATA", b"1234")]
    decoder.receive_data(encode_header(b"DATA", 5))
    with pytest.raises(RemoteProtocolError):
        decoder.next_frame()


@pytest.mark.parametrize("bad_type", [b"rqfl", b"RQ L", b"\x00\x00\x00\x00", b"R\xc3\xa9Q"])
def test_bad_type_bytes(bad_type: bytes) -> None:
    """[FRM-2]"""
    decoder = FrameDecoder()
    decoder.receive_data(bad_type + b"\x00\x00\x00\x00")
    with pytest.raises(RemoteProtocolError) as info:
        decoder.next_frame()
    assert info.value.code is ErrorCode.BAD_FRAME


def test_unknown_type_is_unexpected() -> None:
    """[FRM-5]"""
    with pytest.raises(RemoteProtocolError) as info:
        decode_message(Frame(b"ZZZZ", b"{}"))
    assert info.value.code is ErrorCode.UNEXPECTED_FRAME


@pytest.mark.parametrize(
    "payload",
    [
        b'{"name":"a","name":"b"}',  # duplicate key
        b'{"name":1}',  # wrong type
        b"[1,2]",  # not an object
        b'{"name":"\xff"}',  # not UTF-8
        b'{"name":NaN}',
        b'{"name":"a"',  # truncated JSON
        b'{"name":"\\ud800"}',  # lone surrogate
        b"{}",  # missing member
    ],
)
def test_json_abuse_is_bad_frame(payload: bytes) -> None:
    """[FRM-9] [FRM-12]"""
    with pytest.raises(RemoteProtocolError) as info:
        decode_message(Frame(b"RQFL", payload))
    assert info.value.code is ErrorCode.BAD_FRAME


@pytest.mark.parametrize("size", [b"true", b"-1", b"1.0", b"1e3", b"9223372036854775808", b'"5"'])
def test_integer_members(size: bytes) -> None:
    """[FRM-11]"""
    with pytest.raises(RemoteProtocolError) as info:
        decode_message(Frame(b"PUTF", b'{"name":"a","size":' + size + b"}"))
    assert info.value.code is ErrorCode.BAD_FRAME


def test_unknown_members_ignored() -> None:
    """[FRM-10]"""
    msg = decode_message(Frame(b"RQFL", b'{"name":"a","future":{"x":[1]}}'))
    assert msg == FileRequest("a")


def test_control_payload_limit() -> None:
    """[FRM-8]"""
    with pytest.raises(RemoteProtocolError) as info:
        loads_control(b'{"name":"' + b"a" * 70000 + b'"}')
    assert info.value.code is ErrorCode.FRAME_TOO_LARGE


def test_empty_data_is_bad_frame() -> None:
    """[FRM-13]"""
    with pytest.raises(RemoteProtocolError) as info:
        decode_message(Frame(b"DATA", b""))
    assert info.value.code is ErrorCode.BAD_FRAME
    with pytest.raises(ValueError):
        encode_message(Data(b""))


def test_rsfl_two_schemas() -> None:
    frame = Frame(b"RSFL", b'{"accept":true,"name":"x"}')
    assert decode_message(frame, rsfl_for_put=True) == PutAccepted("x")
    with pytest.raises(RemoteProtocolError):
        decode_message(frame)  # as an answer to a get it lacks size
    # [APP-PUT-9] only "accept": true accepts a put: false, 1, missing or a get's shape
    # are bad_frame, never an acceptance.
    for payload in (
        b'{"accept":1,"name":"x"}',
        b'{"accept":false,"name":"x"}',
        b'{"name":"x"}',
        b'{"name":"x","size":1}',
    ):
        with pytest.raises(RemoteProtocolError) as info:
            decode_message(Frame(b"RSFL", payload), rsfl_for_put=True)
        assert info.value.code is ErrorCode.BAD_FRAME, payload


def test_error_codes_unknown_is_internal_and_fatal() -> None:
    """[ERR-2] [ERR-4]"""
    msg = decode_message(Frame(b"EROR", b'{"code":999,"name":"x","message":"m"}'))
    assert isinstance(msg, ErrorFrame)
    assert msg.code is ErrorCode.INTERNAL and msg.fatal
    assert not ErrorCode.NOT_FOUND.fatal and ErrorCode.BAD_FRAME.fatal
    assert [c.value for c in ErrorCode] == list(range(1, 15))


@given(st.lists(st.binary(min_size=1, max_size=300), max_size=8), st.integers(1, 50))
def test_data_roundtrip_property(chunks: list[bytes], split: int) -> None:
    data = b"".join(encode_frame(b"DATA", c) for c in chunks)
    decoder = FrameDecoder()
    out: list[Frame] = []
    for i in range(0, len(data), split):
        decoder.receive_data(data[i : i + split])
        out += drain(decoder)
    assert [f.payload for f in out] == chunks


def test_throttled_carries_retry_after() -> None:
    """[ERR-7]"""
    wire = encode_message(ErrorFrame(ErrorCode.THROTTLED, "slow down", 8))
    msg = decode_message(Frame(wire[:4], wire[8:]))
    assert msg == ErrorFrame(ErrorCode.THROTTLED, "slow down", 8)
    with pytest.raises(RemoteProtocolError):
        decode_message(Frame(b"EROR", b'{"code":14,"retry_after":"8"}'))


def test_a_failed_decoder_keeps_its_error_without_the_callers_frames() -> None:
    """[LIM-6] The sticky error holds no traceback: it would keep the adapter's loop
    (and its buffers) alive in a reference cycle after the connection ended."""
    decoder = FrameDecoder(max_payload=4)
    decoder.receive_data(b"DATA\x00\x00\x00\x05")
    with pytest.raises(RemoteProtocolError) as first:
        decoder.next_frame()
    with pytest.raises(RemoteProtocolError) as again:
        decoder.next_frame()  # refuses further use, with the same error
    assert again.value.code is first.value.code and again.value.message == first.value.message
    assert decoder._failed is not None and decoder._failed.__traceback__ is None


def test_detached_errors_keep_type_code_and_message() -> None:
    from reference.errors import AuthenticationFailed

    for exc in (AuthenticationFailed(), TruncatedStream("cut"),
                RemoteProtocolError(ErrorCode.BAD_FRAME, "x")):
        try:
            raise exc
        except RemoteProtocolError as caught:
            copy = caught.detached()
        assert type(copy) is type(exc) and copy.__traceback__ is None
        assert (copy.code, copy.message, str(copy)) == (exc.code, exc.message, str(exc))
