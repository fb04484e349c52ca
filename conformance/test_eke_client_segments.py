"""An sft-eke/1 CLIENT reassembles frames and records however TCP splits them (SPEC FRM-4).

FRM-4 binds every receiver, the client too: a frame delivered in pieces (its header
split, its payload split), several records in one segment, a record header split from
its body, must all be processed as if they came whole. The suite plays an honest server
and shapes only its segments: the handshake frames in small pieces, the whole answer to
the get (RSFL, DATA, DONE records) in one write, every record header in pieces. The get
must complete with the file, byte for byte. A client that takes one read for one frame
or one record fails it (or hangs until the run's deadline).

The pieces leave with TCP_NODELAY and a short pause between them so that they reach the
client as separate segments; a client that reads them together anyway still passes.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from conformance import eke
from conformance.eke_channel import EkeChannel
from conformance.eke_hostile import (
    ServerView,
    client_user,
    eke_pw,
    fresh_password,
    read_frame,
    read_inner,
    run_case,
)
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.wire import (
    ConformanceFailure,
    RawConnection,
    ReceivedFrame,
    control,
    frame_bytes,
)

pytestmark = [pytest.mark.side("initiator"), pytest.mark.xdist_group("eke-client")]

NAME = "offered.bin"
CONTENT = bytes(range(251)) * 24  # 6024 bytes: a few DATA records
CHUNK = 2000
_TIMEOUT = 5.0
_PAUSE = 0.05  # between pieces: each reaches the client as a segment of its own


def _paced(raw: RawConnection, data: bytes, pieces: list[int]) -> None:
    """`data` in pieces of the given sizes (the rest in one), a short pause between them."""
    offset = 0
    for size in [*pieces, len(data)]:
        if offset >= len(data):
            return
        raw.send_raw(data[offset : offset + size])
        offset += size
        time.sleep(_PAUSE)


Shape = Callable[[RawConnection, bytes], None]


def _whole(raw: RawConnection, data: bytes) -> None:
    raw.send_raw(data)


def _frame_in_pieces(raw: RawConnection, data: bytes) -> None:
    # Inside the type, inside the length, the header's end, inside the payload.
    _paced(raw, data, [2, 3, 3, 20])


def _header_byte_by_byte(raw: RawConnection, data: bytes) -> None:
    _paced(raw, data, [1] * 8)


_SHAPES: dict[str, tuple[Shape, Shape, bool]] = {
    # name: (handshake frames, records, all records of the answer in one write)
    "handshake-frames-in-pieces": (_frame_in_pieces, _whole, False),
    "answer-records-in-one-write": (_whole, _whole, True),
    "record-headers-byte-by-byte": (_whole, _header_byte_by_byte, False),
}


@pytest.mark.req("FRM-4", "EKE-REC-1")
@pytest.mark.parametrize("shape", list(_SHAPES))
def test_client_reassembles_frames_and_records_however_split(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook, shape: str
) -> None:
    """An honest server whose bytes come in unlucky segments (see the module docstring):
    the client must complete the get and keep the file, byte for byte."""
    handshake_shape, record_shape, coalesce = _SHAPES[shape]
    password = fresh_password()
    pw = eke_pw(client_user(eke_target), password)
    digest = hashlib.sha256(CONTENT).hexdigest()

    def behaviour(raw: RawConnection, view: ServerView) -> None:
        event = read_frame(raw, view, _TIMEOUT)
        if not isinstance(event, ReceivedFrame) or event.type != b"EKE1":
            return
        server = eke.ServerHandshake(pw=pw)
        handshake_shape(raw, frame_bytes("EKE2", control(server.on_eke1(event.json() or {}))))
        event = read_frame(raw, view, _TIMEOUT)
        if not isinstance(event, ReceivedFrame) or event.type != b"EKE3":
            return
        try:
            eke4 = server.on_eke3(event.json() or {})
        except eke.EkeError:
            return
        handshake_shape(raw, frame_bytes("EKE4", control(eke4)))
        assert server.keys is not None
        sender, receiver = server.record_layer()
        channel = EkeChannel(raw, server.keys, sender, receiver, role="server")
        request = read_inner(channel, view, _TIMEOUT)
        if not isinstance(request, ReceivedFrame) or request.type != b"RQFL":
            return
        inner = [frame_bytes("RSFL", control({"name": NAME, "size": len(CONTENT)}))]
        inner += [
            frame_bytes("DATA", CONTENT[o : o + CHUNK]) for o in range(0, len(CONTENT), CHUNK)
        ]
        inner.append(frame_bytes("DONE", control({"size": len(CONTENT), "sha256": digest})))
        records = [channel.seal(frame) for frame in inner]
        if coalesce:
            raw.send_raw(b"".join(records))
        else:
            for record in records:
                record_shape(raw, record)
        read_inner(channel, view, _TIMEOUT)  # the client's BYE_ or its close

    case = run_case(
        eke_target,
        tmp_path,
        transcripts,
        behaviour,
        name=NAME,
        password=password,
        timeout=_TIMEOUT,
    )
    result = case.result
    if not result.succeeded or not result.kept_file or result.out.read_bytes() != CONTENT:
        raise ConformanceFailure.evidence(
            f"FRM-4: an honest get whose bytes come as {shape}",
            "the get completes, the file kept byte for byte: segments do not matter",
            result.describe(),
            note=case.describe(),
        )
