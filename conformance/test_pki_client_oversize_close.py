"""FRM-3 at an sft-pki/1 INITIATOR: an oversize header is refused, and THEN the close.

FRM-3: a receiver MUST reject a frame whose announced length exceeds its limit with
`frame_too_large` as soon as the 8-byte header has arrived, without waiting for, buffering
or allocating the payload, "and then close the connection" — at once (ERR-3: the suite
allows 2 s; a lingering close that reads and drops what the peer still sends is at
once only when the FIN goes first). The second half is the one an implementer drops:
having answered, it reads and discards the announced payload "so that the close is not
a reset", or waits for the peer to close first, and a responder that sends nothing more
holds it until its idle timeout. test_pki_initiator_transfer.py's oversize cases judge the
EROR and then close the suite's side themselves, which ends such a drain at once.

The suite's hostile responder sends one oversize header and nothing more, holding its
side open: an RSFL of 2^31 bytes in place of the answer; a DATA of 2^32-1 bytes after
RSFL and one DATA frame; an EROR of 2^32-1 bytes (an error is no exemption). The get
must fail with the owed EROR (`frame_too_large`; for the DATA frame, which also breaks
FRM-13, `bad_frame` too, FRM-16), non-zero exit, nothing kept, no temporary left, and
the initiator must end its side of the connection within `_END_WAIT` seconds of its
EROR (close_notify, FIN or reset: PKI-TLS-7 judges the manner elsewhere).

Fixtures (conformance/plugin.py): `target` (pki, lab mode), `transcripts`, `tmp_path`.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from conformance import test_pki_initiator_transfer as lies
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.wire import (
    ConformanceFailure,
    Event,
    ReceivedFrame,
    TimedOut,
    deadline_after,
    header_bytes,
)

__all__: list[str] = []

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("initiator")]

_END_WAIT = 2.5  # ERR-3: 2 s, and a little for the suite's own reading


def _oversize(before: int, header: bytes, ends: list[tuple[Event, float]]) -> lies.Lie:
    """`before` DATA frames after an honest RSFL (-1: no RSFL either), then `header`."""

    def lie(r: lies.LyingResponder) -> None:
        if before >= 0:
            r.rsfl(sha256=lies.DIGEST)
            r.data(lies.CONTENT[: before * lies.CHUNK])
        r.channel.send_raw(header)
        event = r.await_reaction()
        answered = time.monotonic()
        end = deadline_after(_END_WAIT)
        for _ in range(8):  # bounded: the end, after at most a few stray frames
            if not isinstance(event, ReceivedFrame):
                break
            event = r.channel.recv_frame(end)
        ends.append((event, time.monotonic() - answered))

    return lie


_CASES = {
    "rsfl-2gib": (-1, header_bytes("RSFL", 1 << 31), "frame_too_large"),
    "data-4gib-mid-get": (1, header_bytes("DATA", 0xFFFFFFFF), "frame_too_large|bad_frame"),
    "eror-4gib": (-1, header_bytes("EROR", 0xFFFFFFFF), "frame_too_large"),
}


@pytest.mark.req("FRM-3", "ERR-3", "APP-STORE-3")
@pytest.mark.parametrize("case", list(_CASES))
def test_initiator_refuses_an_oversize_header_and_closes_at_once(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, case: str
) -> None:
    before, header, owed = _CASES[case]
    ends: list[tuple[Event, float]] = []
    got = lies._run_lie(target, tmp_path, transcripts, _oversize(before, header, ends))
    what = (
        f"FRM-3: {case}: an oversize header ({header!r}) and nothing more, the suite's "
        "side held open"
    )
    lies._judge_failed_get(got, what, owed, ("FRM-3",))
    end, waited = ends[0] if ends else (None, 0.0)
    if end is None or isinstance(end, (TimedOut, ReceivedFrame)):
        shown = end.describe() if end is not None else "nothing (the suite had closed)"
        failure = ConformanceFailure.evidence(
            what,
            f"EROR {owed}, then the initiator's close within {_END_WAIT:g} s (ERR-3: at "
            "once), without waiting for the announced payload or for the responder",
            f"after its EROR, {shown} ({waited:.1f} s)",
            note=got.describe(),
        )
        failure.violates = ("FRM-3", "ERR-3")
        raise failure
