"""The sans-IO application core (reference.app): conversations, splits, limits, the table."""

from __future__ import annotations

import hashlib
import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reference.app import (
    _SEND_TRANSITIONS,
    _TRANSITIONS,
    CLOSED,
    INITIATOR,
    NEED_DATA,
    PAUSED,
    RESPONDER,
    AppConfig,
    ApplicationConnection,
    InitiatorState,
    ResponderState,
)
from reference.errors import ErrorCode, LocalProtocolError, RemoteProtocolError, TruncatedStream
from reference.frames import encode_frame, encode_header
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
)

CONTENT = bytes(range(256)) * 40  # 10 KiB
SHA = hashlib.sha256(CONTENT).hexdigest()


def drain(conn: ApplicationConnection) -> list[object]:
    """Every event available now, up to NEED_DATA / PAUSED / CLOSED (bounded)."""
    events: list[object] = []
    for _ in range(100_000):
        event = conn.next_event()
        events.append(event)
        if event in (NEED_DATA, PAUSED, CLOSED):
            return events
    raise AssertionError("no end of events")


def merge_data(events: list[object]) -> list[object]:
    """Joins consecutive Data pieces, so that differently split inputs compare equal."""
    merged: list[object] = []
    for event in events:
        if isinstance(event, Data) and merged and isinstance(merged[-1], Data):
            merged[-1] = Data(bytes(merged[-1].data) + bytes(event.data))
        elif isinstance(event, Data):
            merged.append(Data(bytes(event.data)))
        elif event is not NEED_DATA:
            merged.append(event)
    return merged


def feed(conn: ApplicationConnection, wire: bytes, split: str) -> list[object]:
    events: list[object] = []
    if split == "whole":
        conn.receive_data(wire)
        events += drain(conn)
    elif split == "bytewise":
        for i in range(len(wire)):
            conn.receive_data(wire[i : i + 1])
            events += drain(conn)
    else:  # uneven pieces, header split from payload
        for i in range(0, len(wire), 7):
            conn.receive_data(wire[i : i + 7])
            events += drain(conn)
    return merge_data(events)


def get_response_wire(content: bytes = CONTENT, chunk: int = 4096) -> bytes:
    responder = ApplicationConnection(RESPONDER)
    responder.receive_data(encode_frame(b"RQFL", b'{"name":"f"}'))
    assert isinstance(responder.next_event(), FileRequest)
    out = responder.send(FileResponse("f", len(content)))
    for i in range(0, len(content), chunk):
        out += responder.send(Data(content[i : i + chunk]))
    out += responder.send(responder.outgoing_done())
    return out


@pytest.mark.req("FRM-4", "APP-GET-2", "APP-GET-3")
@pytest.mark.parametrize("split", ["whole", "bytewise", "pieces"])
def test_get_conversation_any_split(split: str) -> None:
    initiator = ApplicationConnection(INITIATOR)
    request = initiator.send(FileRequest("f"))
    assert request == encode_frame(b"RQFL", b'{"name":"f"}')
    events = feed(initiator, get_response_wire(), split)
    assert events == [FileResponse("f", len(CONTENT)), Data(CONTENT), Done(len(CONTENT), SHA)]
    assert initiator.state is InitiatorState.IDLE


@pytest.mark.req("FRM-4")
def test_trailing_data_is_kept_for_the_next_event() -> None:
    initiator = ApplicationConnection(INITIATOR)
    initiator.send(FileRequest("f"))
    # The DONE plus the start of an EROR in the same read: the tail must survive.
    tail = encode_frame(b"EROR", b'{"code":11,"name":"internal","message":"x"}')
    initiator.receive_data(get_response_wire() + tail[:5])
    events = merge_data(drain(initiator))
    assert events[-1] == Done(len(CONTENT), SHA)
    initiator.receive_data(tail[5:])
    assert initiator.next_event() == ErrorFrame(ErrorCode.INTERNAL, "x")
    assert initiator.state is InitiatorState.CLOSED


@pytest.mark.req("APP-PUT-1", "APP-PUT-4", "APP-PUT-5")
@pytest.mark.parametrize("split", ["whole", "bytewise", "pieces"])
def test_put_conversation_any_split(split: str) -> None:
    initiator = ApplicationConnection(INITIATOR)
    responder = ApplicationConnection(RESPONDER)
    wire = initiator.send(PutRequest("dir/x.bin", len(CONTENT), SHA))
    assert feed(responder, wire, split) == [PutRequest("dir/x.bin", len(CONTENT), SHA)]
    assert responder.state is ResponderState.PUT_REQUESTED
    back = responder.send(PutAccepted("x.bin"))
    assert feed(initiator, back, split) == [PutAccepted("x.bin")]
    wire = b"".join(
        initiator.send(Data(CONTENT[i : i + 1000])) for i in range(0, len(CONTENT), 1000)
    )
    wire += initiator.send(initiator.outgoing_done())
    events = feed(responder, wire, split)
    assert events == [Data(CONTENT), Done(len(CONTENT), SHA)]
    assert responder.state is ResponderState.STORING
    ack = responder.send(responder.stored_done())
    assert feed(initiator, ack, split) == [Done(len(CONTENT), SHA)]
    assert responder.state is ResponderState.IDLE and initiator.state is InitiatorState.IDLE


@pytest.mark.req("APP-2")
def test_several_transfers_and_pipelined_requests() -> None:
    responder = ApplicationConnection(RESPONDER)
    wire = encode_frame(b"RQFL", b'{"name":"a"}') + encode_frame(b"RQFL", b'{"name":"b"}')
    wire += encode_frame(b"BYE_", b"{}")
    responder.receive_data(wire)
    assert responder.next_event() == FileRequest("a")
    assert responder.next_event() is PAUSED  # must answer "a" first
    responder.send(ErrorFrame(ErrorCode.NOT_FOUND, "no"))
    assert responder.next_event() == FileRequest("b")
    responder.send(FileResponse("b", 1))
    assert responder.next_event() is PAUSED
    responder.send(Data(b"z"))
    responder.send(responder.outgoing_done())
    assert responder.next_event() == Bye()
    assert responder.send(Bye()) == encode_frame(b"BYE_", b"{}")
    assert responder.next_event() is CLOSED


@pytest.mark.req("FRM-3")
def test_oversize_frame_refused_at_the_header() -> None:
    responder = ApplicationConnection(RESPONDER, AppConfig(max_frame_payload=4096))
    responder.receive_data(encode_header(b"PUTF", 5000))  # header only, no payload
    with pytest.raises(RemoteProtocolError) as info:
        responder.next_event()
    assert info.value.code is ErrorCode.FRAME_TOO_LARGE
    with pytest.raises(RemoteProtocolError):  # refuses further use
        responder.next_event()
    assert responder.send(ErrorFrame(ErrorCode.FRAME_TOO_LARGE, "x")).startswith(b"EROR")


@pytest.mark.req("FRM-8")
def test_control_payload_above_64k_refused_at_the_header() -> None:
    responder = ApplicationConnection(RESPONDER)
    responder.receive_data(encode_header(b"RQFL", 65537))
    with pytest.raises(RemoteProtocolError) as info:
        responder.next_event()
    assert info.value.code is ErrorCode.FRAME_TOO_LARGE


@pytest.mark.req("FRM-5", "FRM-13", "APP-1")
@pytest.mark.parametrize(
    ("wire", "code"),
    [
        (encode_frame(b"ZZZZ", b"{}"), ErrorCode.UNEXPECTED_FRAME),
        (b"rqfl\x00\x00\x00\x02{}", ErrorCode.BAD_FRAME),
        (encode_frame(b"RSFL", b'{"name":"a","size":1}'), ErrorCode.UNEXPECTED_FRAME),
        (
            encode_frame(b"DONE", b'{"size":1,"sha256":"' + b"0" * 64 + b'"}'),
            ErrorCode.UNEXPECTED_FRAME,
        ),
        (encode_frame(b"DATA", b"x"), ErrorCode.UNEXPECTED_FRAME),
        (encode_frame(b"RQFL", b'{"name":1}'), ErrorCode.BAD_FRAME),
        (encode_frame(b"PUTF", b'{"name":"a","size":true}'), ErrorCode.BAD_FRAME),
        (encode_frame(b"PUTF", b'{"name":"a","size":-1}'), ErrorCode.BAD_FRAME),
    ],
)
def test_responder_refuses(wire: bytes, code: ErrorCode) -> None:
    responder = ApplicationConnection(RESPONDER)
    responder.receive_data(wire)
    with pytest.raises(RemoteProtocolError) as info:
        responder.next_event()
    assert info.value.code is code


def _put_in_progress(size: int) -> ApplicationConnection:
    responder = ApplicationConnection(RESPONDER)
    responder.receive_data(encode_frame(b"PUTF", b'{"name":"a","size":%d}' % size))
    assert isinstance(responder.next_event(), PutRequest)
    responder.send(PutAccepted("a"))
    return responder


@pytest.mark.req("FRM-13")
def test_empty_data_frame_is_bad_frame() -> None:
    responder = _put_in_progress(10)
    responder.receive_data(encode_header(b"DATA", 0))
    with pytest.raises(RemoteProtocolError) as info:
        responder.next_event()
    assert info.value.code is ErrorCode.BAD_FRAME


@pytest.mark.req("APP-PUT-6", "APP-STORE-4")
def test_more_data_than_announced_refused_before_the_payload() -> None:
    responder = _put_in_progress(10)
    responder.receive_data(encode_frame(b"DATA", b"x" * 8))
    assert merge_data(drain(responder)) == [Data(b"x" * 8)]
    responder.receive_data(encode_header(b"DATA", 3))  # 8 + 3 > 10
    with pytest.raises(RemoteProtocolError) as info:
        responder.next_event()
    assert info.value.code is ErrorCode.INTEGRITY_FAILED


@pytest.mark.req("APP-PUT-5")
@pytest.mark.parametrize(
    "done",
    [Done(3, hashlib.sha256(b"abd").hexdigest()), Done(2, hashlib.sha256(b"abc").hexdigest())],
)
def test_put_integrity_mismatch(done: Done) -> None:
    responder = _put_in_progress(3)
    initiator_wire = encode_frame(b"DATA", b"abc")
    initiator_wire += encode_frame(
        b"DONE", b'{"size":%d,"sha256":"%s"}' % (done.size, done.sha256.encode())
    )
    responder.receive_data(initiator_wire)
    with pytest.raises(RemoteProtocolError) as info:
        drain(responder)
    assert info.value.code is ErrorCode.INTEGRITY_FAILED


@pytest.mark.req("APP-GET-3")
def test_get_checks_the_announced_sha256() -> None:
    initiator = ApplicationConnection(INITIATOR)
    initiator.send(FileRequest("f"))
    wrong = hashlib.sha256(b"other").hexdigest().encode()
    wire = encode_frame(b"RSFL", b'{"name":"f","size":3,"sha256":"%s"}' % wrong)
    wire += encode_frame(b"DATA", b"abc")
    wire += encode_frame(
        b"DONE", b'{"size":3,"sha256":"%s"}' % hashlib.sha256(b"abc").hexdigest().encode()
    )
    initiator.receive_data(wire)
    with pytest.raises(RemoteProtocolError) as info:
        drain(initiator)
    assert info.value.code is ErrorCode.INTEGRITY_FAILED


@pytest.mark.req("FRM-7", "APP-GET-5")
def test_eof_inside_a_transfer_is_truncation_and_between_transfers_is_clean() -> None:
    initiator = ApplicationConnection(INITIATOR)
    initiator.send(FileRequest("f"))
    wire = get_response_wire()
    initiator.receive_data(wire[:-10])
    drain(initiator)
    initiator.receive_data(b"")
    with pytest.raises(TruncatedStream):
        initiator.next_event()
    clean = ApplicationConnection(INITIATOR)
    clean.send(FileRequest("f"))
    clean.receive_data(wire)
    drain(clean)
    clean.receive_data(b"")
    assert clean.next_event() is CLOSED


def test_non_fatal_error_returns_the_initiator_to_idle() -> None:
    initiator = ApplicationConnection(INITIATOR)
    initiator.send(FileRequest("f"))
    initiator.receive_data(encode_frame(b"EROR", b'{"code":6,"name":"not_found","message":"no"}'))
    assert initiator.next_event() == ErrorFrame(ErrorCode.NOT_FOUND, "no")
    assert initiator.state is InitiatorState.IDLE
    initiator.send(FileRequest("g"))  # the connection goes on


@pytest.mark.req("ERR-4")
def test_unknown_error_code_is_internal_and_fatal() -> None:
    initiator = ApplicationConnection(INITIATOR)
    initiator.send(FileRequest("f"))
    initiator.receive_data(encode_frame(b"EROR", b'{"code":99,"name":"x","message":"?"}'))
    event = initiator.next_event()
    assert isinstance(event, ErrorFrame) and event.code is ErrorCode.INTERNAL
    assert initiator.state is InitiatorState.CLOSED


def test_local_misuse_raises_local_errors() -> None:
    initiator = ApplicationConnection(INITIATOR)
    with pytest.raises(LocalProtocolError):
        initiator.send(Data(b"x"))  # no transfer
    initiator.send(PutRequest("a", 2))
    with pytest.raises(LocalProtocolError):
        initiator.send(FileRequest("b"))  # one request at a time here
    responder = ApplicationConnection(RESPONDER)
    with pytest.raises(LocalProtocolError):
        responder.send(FileResponse("x", 1))  # nobody asked


def test_sender_cannot_lie_about_size_or_hash() -> None:
    responder = ApplicationConnection(RESPONDER)
    responder.receive_data(encode_frame(b"RQFL", b'{"name":"f"}'))
    responder.next_event()
    responder.send(FileResponse("f", 2))
    responder.send(Data(b"a"))
    with pytest.raises(LocalProtocolError):
        responder.send(Data(b"bc"))  # beyond the announced size
    with pytest.raises(LocalProtocolError):
        responder.send(Done(1, hashlib.sha256(b"a").hexdigest()))  # short


@pytest.mark.req("FRM-4")
def test_fast_path_reads_payload_into_the_callers_buffer() -> None:
    initiator = ApplicationConnection(INITIATOR)
    initiator.send(FileRequest("f"))
    wire = get_response_wire(chunk=len(CONTENT))
    header_end = wire.index(b"DATA") + 8
    initiator.receive_data(wire[:header_end])
    assert initiator.next_event() == FileResponse("f", len(CONTENT))
    assert initiator.next_event() is NEED_DATA
    assert initiator.payload_wanted() == len(CONTENT)
    buffer = bytearray(len(CONTENT))
    view = memoryview(buffer)
    view[:] = wire[header_end : header_end + len(CONTENT)]
    event = initiator.receive_payload(view)
    assert event.data is view  # no copy
    assert initiator.payload_wanted() == 0
    initiator.receive_data(wire[header_end + len(CONTENT) :])
    assert initiator.next_event() == Done(len(CONTENT), SHA)
    with pytest.raises(LocalProtocolError):
        initiator.receive_payload(b"x")


def test_send_data_header_matches_full_encoding() -> None:
    a = _sending_responder()
    b = _sending_responder()
    payload = memoryview(bytearray(b"hello"))
    assert a.send_data_header(payload) + bytes(payload) == b.send(Data(b"hello"))
    assert a.outgoing_done() == b.outgoing_done()


def _sending_responder() -> ApplicationConnection:
    responder = ApplicationConnection(RESPONDER)
    responder.receive_data(encode_frame(b"RQFL", b'{"name":"f"}'))
    responder.next_event()
    responder.send(FileResponse("f", 5))
    return responder


# --- the table ---------------------------------------------------------------------------

_SAMPLE_FRAMES = {
    b"RQFL": encode_frame(b"RQFL", b'{"name":"a"}'),
    b"PUTF": encode_frame(b"PUTF", b'{"name":"a","size":1}'),
    b"RSFL": encode_frame(b"RSFL", b'{"name":"a","size":1,"accept":true}'),
    b"DATA": encode_frame(b"DATA", b"x"),
    b"DONE": encode_frame(
        b"DONE", b'{"size":1,"sha256":"%s"}' % hashlib.sha256(b"x").hexdigest().encode()
    ),
    b"EROR": encode_frame(b"EROR", b'{"code":6,"name":"not_found","message":""}'),
    b"BYE_": encode_frame(b"BYE_", b"{}"),
}

# Events that bring a fresh connection into each state.
_ROUTES: dict[object, list[tuple[str, Message | bytes]]] = {
    ResponderState.IDLE: [],
    ResponderState.RECEIVING: [("recv", _SAMPLE_FRAMES[b"PUTF"]), ("send", PutAccepted("a"))],
    InitiatorState.IDLE: [],
    InitiatorState.GET_SENT: [("send", FileRequest("a"))],
    InitiatorState.RECEIVING: [("send", FileRequest("a")), ("recv", _SAMPLE_FRAMES[b"RSFL"])],
    InitiatorState.PUT_SENT: [("send", PutRequest("a", 1))],
    InitiatorState.SENDING: [("send", PutRequest("a", 1)), ("recv", _SAMPLE_FRAMES[b"RSFL"])],
    InitiatorState.BYE_SENT: [("send", Bye())],
}


def _reach(state: object) -> ApplicationConnection:
    conn = ApplicationConnection(RESPONDER if isinstance(state, ResponderState) else INITIATOR)
    for action, item in _ROUTES[state]:
        if action == "send":
            assert not isinstance(item, bytes)
            conn.send(item)
        else:
            assert isinstance(item, bytes)
            conn.receive_data(item)
            conn.next_event()
    assert conn.state is state
    return conn


@pytest.mark.req("FRM-6", "APP-3")
@pytest.mark.parametrize(
    ("state", "frame_type"), list(itertools.product(_ROUTES, _SAMPLE_FRAMES)), ids=str
)
def test_every_pair_outside_the_table_is_unexpected(state: object, frame_type: bytes) -> None:
    conn = _reach(state)
    conn.receive_data(_SAMPLE_FRAMES[frame_type])
    if (state, frame_type) in _TRANSITIONS:
        try:
            event = conn.next_event()
        except RemoteProtocolError as exc:  # allowed here, but e.g. DONE before any DATA
            assert exc.code is ErrorCode.INTEGRITY_FAILED
            return
        assert event is not NEED_DATA
        assert conn.state is _TRANSITIONS[(state, frame_type)] or frame_type == b"EROR"
    else:
        with pytest.raises(RemoteProtocolError) as info:
            conn.next_event()
        assert info.value.code is ErrorCode.UNEXPECTED_FRAME


def test_tables_only_name_states_of_one_role_per_entry() -> None:
    for (state, _), nxt in _TRANSITIONS.items():
        assert type(state) is type(nxt)
    for (state, _), nxt in _SEND_TRANSITIONS.items():
        assert type(state) is type(nxt)


@pytest.mark.req("FRM-4")
@given(cuts=st.lists(st.integers(min_value=0, max_value=12_000), max_size=40))
@settings(max_examples=60, deadline=None)
def test_any_split_gives_the_same_events(cuts: list[int]) -> None:
    wire = get_response_wire(chunk=3000)
    points = sorted({c % (len(wire) + 1) for c in cuts} | {0, len(wire)})
    initiator = ApplicationConnection(INITIATOR)
    initiator.send(FileRequest("f"))
    events: list[object] = []
    for start, end in itertools.pairwise(points):
        initiator.receive_data(wire[start:end])
        events += drain(initiator)
    assert merge_data(events) == [
        FileResponse("f", len(CONTENT)),
        Data(CONTENT),
        Done(len(CONTENT), SHA),
    ]
