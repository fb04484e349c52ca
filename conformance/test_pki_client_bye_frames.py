"""sft-pki/1 INITIATOR: a `BYE_` where the initiator's state does not allow one, and the
frame that answers its own `BYE_` (docs/SPEC.md APP-BYE-1, FRM-6, FRM-3, FRM-8).

"`BYE_` ... ends the connection: the responder MAY answer `BYE_` and MUST then close"
(APP-BYE-1) — the initiator's request, and the responder's echo of it. Anywhere else it
is a defined frame not allowed in the receiver's state: "MUST be answered with
`unexpected_frame` (fatal)" (FRM-6). An initiator that reads any `BYE_` from the responder
as "it is leaving" closes quietly instead (the test of a `BYE_` in the middle of a get's
DATA does not see a reader that handles it only while awaiting an answer):

- `bye-instead-of-rsfl`: the answer to RQFL is a `BYE_ {}`;
- `bye-after-rsfl`: RSFL, then a `BYE_ {}` before any DATA.

The initiator MUST answer `EROR unexpected_frame` (code 3) and fail the get, nothing kept.

And the answer to the initiator's own `BYE_` is a frame like any other: "a receiver MUST
reject a frame whose announced length exceeds its limit with `frame_too_large` as soon as
the 8-byte header has arrived ... and then close" (FRM-3; FRM-8: "FRM-3 and this limit
hold for every frame whatever its type and the state it comes in"). An initiator that
reads the echo with a small reader of its own ("only the echo can come now") skips the
limit and waits for the announced bytes until its idle timeout. After a complete get the
suite reads the initiator's `BYE_` and answers it with a header of `BYE_`, `EROR` or
`DONE` announcing 0xFFFFFFF0 bytes and nothing else: the initiator MUST then, within
2 s, answer `frame_too_large` (code 2) or close (an initiator that closes without
reading what follows its `BYE_` has nothing to reject); and the completed get stands
(APP-BYE-2): exit 0, the file kept. An initiator that closes right after its DONE without
a `BYE_` is not judged here (skip).

Fixtures (conformance/plugin.py): `target` (pki, lab mode), `transcripts`, `tmp_path`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance import test_pki_initiator_transfer as pki_lies
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.wire import (
    Closed,
    ConformanceFailure,
    ReceivedFrame,
    TimedOut,
    control,
    deadline_after,
    header_bytes,
)

__all__: list[str] = []

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("initiator")]

_BYE_WAIT = 3.0  # for the initiator's BYE_ after its verified get
_PROMPT = 2.0  # for its answer to an oversize header (ERR-3's 2 s)
_HUGE = 0xFFFF_FFF0
_MAX_FRAMES = 4


def _describe(event: object) -> str:
    describe = getattr(event, "describe", None)
    return describe() if callable(describe) else repr(event)


def _code(event: object) -> int | None:
    if isinstance(event, ReceivedFrame) and event.type == b"EROR":
        obj = event.json()
        if obj is not None and isinstance(obj.get("code"), int):
            return int(obj["code"])
    return None


def _bye_instead_of_rsfl(r: pki_lies.LyingResponder) -> None:
    r.frame("BYE_", control({}))


def _bye_after_rsfl(r: pki_lies.LyingResponder) -> None:
    r.rsfl(sha256=pki_lies.DIGEST)
    r.frame("BYE_", control({}))


_MISPLACED = {
    "bye-instead-of-rsfl": (_bye_instead_of_rsfl, "a BYE_ {} in answer to its RQFL"),
    "bye-after-rsfl": (_bye_after_rsfl, "RSFL, then a BYE_ {} before any DATA"),
}


@pytest.mark.req("APP-BYE-1", "FRM-6")
@pytest.mark.parametrize("where", sorted(_MISPLACED))
def test_pki_initiator_refuses_a_bye_out_of_state(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, where: str
) -> None:
    lie, how = _MISPLACED[where]
    got = pki_lies._run_lie(target, tmp_path, transcripts, lie)
    reaction = got.responder.reaction
    kept = got.run.kept_file
    if _code(reaction) == 3 and not got.run.succeeded and not kept:
        return
    failure = ConformanceFailure.evidence(
        f"a get answered with {how}: a defined frame not allowed in the initiator's state",
        "EROR unexpected_frame (code 3, fatal; FRM-6, APP-BYE-1: BYE_ only ends the "
        "connection as the echo of the initiator's own BYE_), the get failed, nothing kept",
        f"reaction {_describe(reaction)}; exit code {got.run.returncode}, "
        f"{'a file kept' if kept else 'no file kept'}",
        note=got.describe(),
    )
    failure.violates = ("FRM-6", "APP-BYE-1")
    raise failure


def _answer_bye_with(frame_type: str) -> pki_lies.Lie:
    def lie(r: pki_lies.LyingResponder) -> None:
        r.rsfl(sha256=pki_lies.DIGEST)
        r.data(pki_lies.CONTENT)
        r.done()
        end = deadline_after(_BYE_WAIT)
        event: object = None
        for _ in range(_MAX_FRAMES):
            event = r.channel.recv_frame(end)
            if not isinstance(event, ReceivedFrame) or event.type == b"BYE_":
                break
        if not (isinstance(event, ReceivedFrame) and event.type == b"BYE_"):
            r.notes.append(f"no BYE_ after the get: {_describe(event)}")
            r.reaction = event if isinstance(event, Closed | TimedOut) else None
            r.ended = True
            return
        r.notes.append("BYE_ read")
        r.channel.send_raw(header_bytes(frame_type, _HUGE))
        r.reaction = r.channel.recv_frame(deadline_after(_PROMPT))
        r.ended = True

    return lie


@pytest.mark.req("FRM-3", "FRM-8", "APP-BYE-1")
@pytest.mark.parametrize("frame_type", ["BYE_", "DONE", "EROR"])
def test_pki_initiator_judges_the_answer_to_its_bye(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, frame_type: str
) -> None:
    got = pki_lies._run_lie(target, tmp_path, transcripts, _answer_bye_with(frame_type))
    notes = got.responder.notes
    if "BYE_ read" not in notes:
        pytest.skip(f"the initiator sent no BYE_ after its get ({'; '.join(notes)})")
    reaction = got.responder.reaction
    prompt = isinstance(reaction, Closed) or _code(reaction) == 2
    kept = got.run.kept_file and got.run.out.read_bytes() == pki_lies.CONTENT
    if prompt and got.run.succeeded and kept:
        return
    failure = ConformanceFailure.evidence(
        f"a complete, verified get; the initiator's BYE_ answered by a {frame_type} header "
        f"announcing {_HUGE} bytes (above every frame limit), nothing after it",
        f"within {_PROMPT:g} s: EROR frame_too_large (code 2) or the close (FRM-3, FRM-8: "
        "every frame, whatever its type and state); the completed get kept, exit 0 "
        "(APP-BYE-2)",
        f"reaction {_describe(reaction)}; exit code {got.run.returncode}, "
        f"{'file kept' if kept else 'file not kept intact'}",
        note=got.describe(),
    )
    failure.violates = ("FRM-3",) if not prompt else ("APP-BYE-2",)
    raise failure
