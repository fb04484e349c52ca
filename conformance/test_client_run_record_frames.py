"""An sft-eke/1 CLIENT given records that are not one frame each (SPEC §5.5, EKE-REC-1).

"After EKE4, each endpoint MUST send every frame as a RECD whose plaintext is exactly one
complete application frame; a receiver MUST reject a record whose plaintext is not exactly
one well-formed frame." A client that appends each record's plaintext to its frame parser
as a byte stream (the record layer checked per record, the frames parsed from the
concatenation) takes records that split a frame or carry several. The suite, after an
honest handshake, answers the client's RQFL with an honest file whose frames are packed
into records the wrong way:

- `split-rsfl`: the RSFL's bytes in two records (cut inside its payload);
- `split-header`: a DATA frame's 8-byte header in one record, its payload in the next;
- `all-in-one`: RSFL, every DATA frame and DONE in one record;
- `data-and-done`: the last DATA frame and DONE in one record;
- `empty-record`: a record whose plaintext is empty between RSFL and the first DATA (no
  frame at all: not a keep-alive).

Each record authenticates (right key, right sequence number): only their contents break
the rule. The client must fail the get -- no file under the final name, no temporary
left, a non-zero exit -- and must not report success.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from conformance import test_eke_client_transfer as eke_lies
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.wire import control, frame_bytes

__all__: list[str] = []

pytestmark = [
    pytest.mark.profile("eke"),
    pytest.mark.side("initiator"),
    pytest.mark.xdist_group("eke-client"),
]


def _frames() -> list[bytes]:
    """The honest get's frames: RSFL, DATA of CHUNK bytes, DONE."""
    rsfl = frame_bytes(
        "RSFL",
        control({"name": eke_lies.NAME, "size": eke_lies.SIZE, "sha256": eke_lies.DIGEST}),
    )
    body = eke_lies.CONTENT
    data = [
        frame_bytes("DATA", body[offset : offset + eke_lies.CHUNK])
        for offset in range(0, len(body), eke_lies.CHUNK)
    ]
    done = frame_bytes("DONE", control({"size": eke_lies.SIZE, "sha256": eke_lies.DIGEST}))
    return [rsfl, *data, done]


def _records(packing: str) -> list[bytes]:
    """The plaintexts of the records the suite sends, in order."""
    rsfl, *data, done = _frames()
    if packing == "split-rsfl":
        cut = len(rsfl) // 2
        return [rsfl[:cut], rsfl[cut:], *data, done]
    if packing == "split-header":
        first = data[0]
        return [rsfl, first[:8], first[8:], *data[1:], done]
    if packing == "all-in-one":
        return [b"".join([rsfl, *data, done])]
    if packing == "data-and-done":
        return [rsfl, *data[:-1], data[-1] + done]
    if packing == "empty-record":
        return [rsfl, b"", *data, done]
    raise ValueError(packing)


_PACKINGS = ("split-rsfl", "split-header", "all-in-one", "data-and-done", "empty-record")


def _lie(packing: str) -> Callable[[eke_lies.LyingServer], None]:
    def lie(server: eke_lies.LyingServer) -> None:
        server.raw(b"".join(server.sealed(inner) for inner in _records(packing)))
        server.await_reaction()

    return lie


@pytest.mark.req("EKE-REC-1", "APP-STORE-3")
@pytest.mark.parametrize("packing", _PACKINGS)
def test_client_refuses_records_that_are_not_one_frame_each(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook, packing: str
) -> None:
    """[EKE-REC-1] The honest file's frames packed into records the wrong way ({packing}):
    every record authenticates, but a record holding part of a frame or several frames
    is rejected: the get fails (non-zero exit, nothing kept, no temporary left)."""
    run, server = eke_lies._run_lie(eke_target, tmp_path, transcripts, _lie(packing))
    eke_lies._judge_failed_get(
        run,
        f"records packed {packing} (each authenticates; not one frame each)",
        server=server,
        own=("EKE-REC-1",),
    )
