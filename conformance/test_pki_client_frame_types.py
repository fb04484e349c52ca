"""FRM-2 and FRM-5 at an sft-pki/1 INITIATOR: every type byte checked, no type skipped.

FRM-2: "the type MUST consist of four bytes from `A`-`Z`, `0`-`9` and `_`. A receiver MUST
treat any other type bytes as `bad_frame`" — all four of them. A check that looks at the
first byte only (an unanchored `re.match("[A-Z0-9_]+")`, a `isupper()` of the first
character, a C `strspn` compared with 0 instead of 4) lets `RSF `, `DON\\n` or `R-FL`
through to the type table, where they are unknown: `unexpected_frame`, or worse, taken
for the type they resemble. test_pki_initiator_transfer.py's `bad-type-bytes` has its bad
byte first (`rs\\0l`); here each position 1-3 holds one, of several classes (space, LF,
NUL, `-`, a byte above 0x7F, a lower-case letter).

FRM-5: a well-formed frame of an undefined type MUST be answered `unexpected_frame`, and
"any development or keep-alive type (`NOOP`, `PING`) [is an] undefined type of the
current profiles: never answered the legacy way, never skipped"; nor are the legacy
types (`SECE`, `RSCV`, `RSCI`). A client that skips keep-alives ("the server pings while
it reads the disk") answers test_pki_initiator_transfer.py's `ZZZZ` right and waits out
a `NOOP`. Sent in place of RSFL, and between two DATA frames of a get; one `NOOP` with
an empty payload (a client that skips the empty frames of unknown types).

Each frame is sent where the honest answer has its next frame; the suite then waits
`_ANSWER_WITHIN` seconds for the initiator's answer, and a silent initiator (one that
skipped the frame) gets the rest of the honest answer, so that it ends. The get must
fail with the EROR owed (`bad_frame` for FRM-2 — the length is small, so FRM-16 leaves
no other code —, `unexpected_frame` for FRM-5), a non-zero exit, nothing under the final
name and no temporary file left (APP-STORE-3).

Fixtures (conformance/plugin.py): `target` (pki, lab mode), `transcripts`, `tmp_path`.
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


def _honest_frames() -> list[bytes]:
    rsfl = frame_bytes(
        "RSFL", control({"name": lies.NAME, "size": lies.SIZE, "sha256": lies.DIGEST})
    )
    data = [
        frame_bytes("DATA", lies.CONTENT[o : o + lies.CHUNK])
        for o in range(0, lies.SIZE, lies.CHUNK)
    ]
    done = frame_bytes("DONE", control({"size": lies.SIZE, "sha256": lies.DIGEST}))
    return [rsfl, *data, done]


def _stray(before: int, wire: bytes) -> lies.Lie:
    """The honest answer with the frame `wire` right before honest frame `before`."""

    def lie(r: lies.LyingResponder) -> None:
        frames = _honest_frames()
        r.channel.send_raw(b"".join(frames[:before]) + wire)
        end = deadline_after(_ANSWER_WITHIN)
        event = r.channel.recv_frame(end)
        for _ in range(4):  # a BYE_ pipelined behind the RQFL (APP-2) is no answer
            if not (isinstance(event, ReceivedFrame) and event.type == b"BYE_"):
                break
            event = r.channel.recv_frame(end)
        if isinstance(event, TimedOut):
            r.channel.send_raw(b"".join(frames[before:]))
            r.answered = True
            r.await_reaction()
        else:
            r.reaction = event

    return lie


_PAYLOAD = b"{}"
_MID = 2  # before the second DATA frame: RSFL and one DATA are in
_CASES = {
    # FRM-2: one bad byte after a good first one.
    "space-last": ("FRM-2", 0, b"RSF ", "bad_frame"),
    "lf-last": ("FRM-2", 0, b"DON\n", "bad_frame"),
    "dash-third": ("FRM-2", 0, b"R-FL", "bad_frame"),
    "nul-second": ("FRM-2", 0, b"R\x00FL", "bad_frame"),
    "high-byte-last-mid-get": ("FRM-2", _MID, b"DAT\xc1", "bad_frame"),
    "lower-last-mid-get": ("FRM-2", _MID, b"DATa", "bad_frame"),
    # FRM-5: keep-alive and legacy types, never skipped.
    "noop": ("FRM-5", 0, b"NOOP", "unexpected_frame"),
    "ping-mid-get": ("FRM-5", _MID, b"PING", "unexpected_frame"),
    "sece-legacy": ("FRM-5", 0, b"SECE", "unexpected_frame"),
    # An empty payload: "nothing to answer" is no reason either.
    "noop-empty-mid-get": ("FRM-5", _MID, b"NOOP", "unexpected_frame"),
}
_EMPTY = {"noop-empty-mid-get"}


@pytest.mark.parametrize(
    "case",
    [
        pytest.param(name, id=name, marks=pytest.mark.req(spec[0], "APP-STORE-3"))
        for name, spec in _CASES.items()
    ],
)
def test_initiator_judges_every_type_byte_and_skips_no_type(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, case: str
) -> None:
    req, before, frame_type, owed = _CASES[case]
    payload = b"" if case in _EMPTY else _PAYLOAD
    wire = frame_bytes(frame_type, payload)
    got = lies._run_lie(target, tmp_path, transcripts, _stray(before, wire))
    where = "in place of RSFL" if before == 0 else "between two DATA frames of the get"
    lies._judge_failed_get(
        got,
        f"{req}: a frame of type {frame_type!r} with payload {payload!r}, {where}",
        owed,
        (req,),
    )
