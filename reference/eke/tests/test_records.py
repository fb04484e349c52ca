"""The sans-IO record layer: round trips in any split; every attack closes."""

from __future__ import annotations

import pytest

from reference.eke import crypto
from reference.eke.records import InnerFrame, RecordChannel, RecordReader
from reference.errors import AuthenticationFailed, ErrorCode, RemoteProtocolError, TruncatedStream
from reference.frames import CLOSED, NEED_DATA, encode_frame

KEYS = crypto.derive_keys(b"\x05" * 384, b"\x07" * 32)


def pair(max_record: int = 1_048_832) -> tuple[RecordChannel, RecordChannel]:
    return (
        RecordChannel(KEYS, is_client=True, max_record=max_record),
        RecordChannel(KEYS, is_client=False, max_record=max_record),
    )


def frames_of(reader: RecordReader) -> list[bytes]:
    out = []
    while True:
        frame = reader.next_frame()
        if frame is NEED_DATA or frame is CLOSED:
            return out
        assert isinstance(frame, InnerFrame)
        out.append(frame.to_frame().encode())


INNER = [
    encode_frame(b"RQFL", b'{"name":"a.txt"}'),
    encode_frame(b"DATA", b"x" * 5000),
    encode_frame(b"DONE", b'{"size":1,"sha256":"' + b"0" * 64 + b'"}'),
]


@pytest.mark.req("EKE-REC-1", "FRM-4")
@pytest.mark.parametrize("split", ["whole", "bytewise", "buffer"])
def test_round_trip_in_any_split(split: str) -> None:
    client, server = pair()
    wire = b"".join(bytes(client.seal(f)) for f in INNER)
    reader = server.reader
    if split == "whole":
        reader.receive_data(wire)
        assert frames_of(reader) == INNER
        return
    got: list[bytes] = []
    if split == "bytewise":
        for i in range(len(wire)):
            reader.receive_data(wire[i : i + 1])
            got += frames_of(reader)
    else:  # the recv_into path: exactly what get_buffer asks for, 7 bytes at most
        pos = 0
        while pos < len(wire):
            got += frames_of(reader)
            room = reader.get_buffer()
            n = min(len(room), 7, len(wire) - pos)
            room[:n] = wire[pos : pos + n]
            reader.buffer_updated(n)
            pos += n
        got += frames_of(reader)
    assert got == INNER
    reader.receive_data(b"")
    assert reader.next_frame() is CLOSED


def test_seal_payload_in_place_equals_seal() -> None:
    a, _ = pair()
    b, _ = pair()
    a.payload_buffer()[:3] = b"abc"
    assert bytes(a.seal_payload(b"DATA", 3)) == bytes(b.seal(encode_frame(b"DATA", b"abc")))


def _records(n: int) -> tuple[list[bytes], RecordChannel]:
    client, server = pair()
    return [bytes(client.seal(encode_frame(b"DATA", bytes([i]) * 10))) for i in range(n)], server


@pytest.mark.req("EKE-REC-4")
@pytest.mark.parametrize("attack", ["tampered", "replayed", "reordered", "dropped", "foreign"])
def test_attacked_record_stream_fails_and_delivers_nothing_of_it(attack: str) -> None:
    records, server = _records(3)
    if attack == "tampered":
        bad = bytearray(records[1])
        bad[12] ^= 0x80
        stream = [records[0], bytes(bad), records[2]]
    elif attack == "replayed":
        stream = [records[0], records[0], records[1]]
    elif attack == "reordered":
        stream = [records[0], records[2], records[1]]
    elif attack == "dropped":
        stream = [records[0], records[2]]
    else:  # sealed with the other direction's key (a reflection)
        stream = [records[0], bytes(server.seal(encode_frame(b"DATA", b"y")))]
    reader = server.reader
    reader.receive_data(b"".join(stream))
    first = reader.next_frame()
    assert isinstance(first, InnerFrame) and bytes(first.payload) == b"\0" * 10
    with pytest.raises(AuthenticationFailed):
        reader.next_frame()
    with pytest.raises(AuthenticationFailed):
        reader.next_frame()


@pytest.mark.req("EKE-REC-5")
def test_plaintext_frame_after_handshake_fails() -> None:
    _, server = pair()
    server.reader.receive_data(encode_frame(b"RQFL", b'{"name":"a"}'))
    with pytest.raises(RemoteProtocolError) as info:
        server.reader.next_frame()
    assert info.value.code is ErrorCode.UNEXPECTED_FRAME


@pytest.mark.req("EKE-REC-6", "FRM-3")
def test_oversized_record_refused_on_its_header_alone() -> None:
    _, server = pair(max_record=100_000)
    reader = server.reader
    room = reader.get_buffer()
    assert len(room) == 8  # only the header is asked for
    room[:8] = b"RECD" + (100_001).to_bytes(4, "big")
    with pytest.raises(RemoteProtocolError) as info:
        reader.buffer_updated(8)
    assert info.value.code is ErrorCode.FRAME_TOO_LARGE


@pytest.mark.req("EKE-REC-1")
@pytest.mark.parametrize(
    "inner", [b"", b"DATA\0\0", encode_frame(b"DATA", b"a") + b"x", b"data\0\0\0\x01a"]
)
def test_record_plaintext_must_be_one_frame(inner: bytes) -> None:
    client, server = pair()
    server.reader.receive_data(bytes(client.seal(inner)))
    with pytest.raises(RemoteProtocolError) as info:
        server.reader.next_frame()
    assert info.value.code is ErrorCode.BAD_FRAME


@pytest.mark.req("FRM-7")
def test_eof_inside_a_record_is_truncation() -> None:
    records, server = _records(1)
    server.reader.receive_data(records[0][:-1])
    server.reader.receive_data(b"")
    with pytest.raises(TruncatedStream):
        server.reader.next_frame()


@pytest.mark.req("EKE-REC-2")
def test_sequence_numbers_never_wrap() -> None:
    client, _ = pair()
    client.sealer.sequence = crypto.MAX_SEQUENCE
    client.seal(b"BYE_\0\0\0\x02{}")
    with pytest.raises(Exception, match="exhausted"):
        client.seal(b"BYE_\0\0\0\x02{}")
