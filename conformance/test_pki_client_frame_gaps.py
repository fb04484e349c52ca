"""FRM-1 at an sft-pki/1 INITIATOR: nothing lies between two frames.

FRM-1: a frame is a 4-byte type, a 4-byte length and exactly `length` bytes of payload;
"there is no separator and no padding". So a receiver takes the byte right after a frame
as the first byte of the next header. A compatibility shim that skips line ends, NUL
padding or white space between frames ("a peer that ends each frame with a newline",
"frames aligned to 4 bytes") reads on where a conforming receiver sees a header whose
type bytes are not `A`-`Z`, `0`-`9`, `_` (FRM-2: `bad_frame`; the shifted length is
also far above the frame limit, so FRM-16 allows `frame_too_large` too).

The lying responder answers the initiator's get honestly but for one or more stray bytes
between two of its frames: after RSFL, between two DATA frames, before DONE.
It sends the frames up to the first header after the stray bytes, then waits 2 s for the
initiator's answer; a silent initiator (one that skipped them and waits for the rest of
the data) then gets the rest of the file and a right DONE. The get must fail: EROR
`bad_frame` or `frame_too_large`, non-zero exit, nothing under the final name, no
temporary file left (APP-STORE-3). test_pki_initiator_transfer.py's malformed-frame
cases send whole malformed frames; none puts a byte between two good ones.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance import test_pki_initiator_transfer as lies
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.wire import ReceivedFrame, TimedOut, control, deadline_after, frame_bytes

__all__: list[str] = []

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("initiator")]

_ANSWER_WITHIN = 2.0  # how long the initiator has to answer before the rest follows
_OWED = "bad_frame|frame_too_large"  # FRM-2, or FRM-16 (the shifted length is oversize)


def _frames() -> list[bytes]:
    """The honest answer: RSFL, the file in DATA frames, DONE."""
    rsfl = frame_bytes(
        "RSFL", control({"name": lies.NAME, "size": lies.SIZE, "sha256": lies.DIGEST})
    )
    data = [
        frame_bytes("DATA", lies.CONTENT[o : o + lies.CHUNK])
        for o in range(0, lies.SIZE, lies.CHUNK)
    ]
    done = frame_bytes("DONE", control({"size": lies.SIZE, "sha256": lies.DIGEST}))
    return [rsfl, *data, done]


def _gap(before: int, stray: bytes) -> lies.Lie:
    """The honest answer with `stray` right before frame number `before` (0: RSFL)."""

    def lie(r: lies.LyingResponder) -> None:
        frames = _frames()
        head = b"".join(frames[:before]) + stray + frames[before]
        r.channel.send_raw(head)
        r.answered = before == len(frames) - 1  # DONE went out with the stray bytes
        end = deadline_after(_ANSWER_WITHIN)
        event = r.channel.recv_frame(end)
        for _ in range(4):  # a BYE_ pipelined behind the RQFL (APP-2) is no answer
            if not (isinstance(event, ReceivedFrame) and event.type == b"BYE_"):
                break
            event = r.channel.recv_frame(end)
        if isinstance(event, TimedOut):
            rest = frames[before + 1 :]
            if rest:
                r.channel.send_raw(b"".join(rest))
                r.answered = True
            r.await_reaction()
        else:
            r.reaction = event

    return lie


_DONE = len(_frames()) - 1
_GAPS = {
    "lf-after-rsfl": (1, b"\n"),
    "crlf-between-data": (3, b"\r\n"),
    "nul-before-done": (_DONE, b"\x00"),
    "four-nuls-after-rsfl": (1, b"\x00" * 4),
}


@pytest.mark.req("FRM-1", "FRM-2", "APP-STORE-3")
@pytest.mark.parametrize("gap", list(_GAPS), ids=list(_GAPS))
def test_initiator_refuses_bytes_between_two_frames(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, gap: str
) -> None:
    before, stray = _GAPS[gap]
    got = lies._run_lie(target, tmp_path, transcripts, _gap(before, stray))
    lies._judge_failed_get(
        got,
        f"FRM-1: the responder's honest answer to the get with {stray!r} before its frame "
        f"number {before} (0: RSFL; {_DONE}: DONE)",
        _OWED,
        ("FRM-1",),
    )
