"""What an initiator sends once its get is answered is judged too [FRM-14].

The client cases judge what a client does with the suite's answers, and its requests as
it sends them; the frames a client sends AFTER an honest get — its `BYE_` (APP-BYE-1),
an `EROR`, a next request — were read by the suite's server and thrown away unjudged. A
client that ends with `BYE_` and an empty payload ("BYE_ carries nothing"), a `BYE_`
of `null` or `[]`, or any other malformed frame, breaks FRM-14 (a sender MUST NOT emit a
frame that violates FRM-1…FRM-13; FRM-8/9: a control payload is a JSON object, `{}` for
`BYE_`), and a conforming responder answers it `bad_frame`.

Here the suite, as the server (sft-eke/1) or the responder (sft-pki/1), answers one get
honestly (RSFL with `sha256`, six DATA frames, DONE), then reads whatever the client
sends until it closes or says `BYE_` (bounded: a few frames, a few seconds; over
sft-pki/1 a `BYE_` is echoed, as a responder MAY do; then the suite closes), and judges
every one of those frames as a sender's frame (`ReceivedFrame.violations()`: type
bytes, lengths, strict UTF-8 JSON object, integer and digest members, EROR form). A
client that sends nothing after the get and just closes passes: `BYE_` is not owed. No
timing is judged.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from conformance import test_eke_client_transfer as eke_lies
from conformance import test_pki_initiator_transfer as pki_lies
from conformance.eke_hostile import read_inner
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.wire import (
    ConformanceFailure,
    Event,
    ReceivedFrame,
    control,
    deadline_after,
)

_AFTER = 4  # frames read after the answer (a BYE_, perhaps an EROR: a handful at most)
_WAIT = 5.0  # seconds the client has, in all, to send them or close

_WHAT = (
    "FRM-14: the frames the initiator sends after an honest get (its BYE_, or anything "
    "else before it closes), judged as a sender's frames"
)
_EXPECTED = (
    "every frame well-formed: a control payload is a strict UTF-8 JSON object ({} for "
    "BYE_), integers and digests as FRM-11/12 say; or no frame at all"
)


def _judge(sent: list[ReceivedFrame], outcome: str, note: str) -> None:
    bad = [(f, v) for f in sent for v in f.violations()]
    if bad:
        failure = ConformanceFailure.evidence(
            _WHAT,
            _EXPECTED,
            "; ".join(f"{f.describe(60)}: {v}" for f, v in bad) + f" (then: {outcome})",
            note=note,
        )
        # A malformed BYE_ also breaks APP-BYE-1 (its payload is `{}`).
        bye = any(f.type == b"BYE_" for f, _ in bad)
        failure.violates = ("APP-BYE-1", "FRM-14") if bye else ("FRM-14",)
        raise failure


@pytest.mark.side("initiator")
@pytest.mark.xdist_group("eke-client")
@pytest.mark.req("FRM-14", "APP-BYE-1")
def test_eke_client_frames_after_an_honest_get_are_well_formed(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    sent: list[ReceivedFrame] = []
    ends: list[Event] = []

    def lie(s: eke_lies.LyingServer) -> None:
        s.honest()
        deadline = deadline_after(_WAIT)
        for _ in range(_AFTER):
            event = read_inner(s.channel, s.view, max(0.0, deadline - time.monotonic()))
            if not isinstance(event, ReceivedFrame):
                ends.append(event)
                break
            sent.append(event)
            if event.type == b"BYE_":
                break  # the server then closes (APP-BYE-1): the client need not wait
        s.reaction = ends[0] if ends else (sent[-1] if sent else None)

    case, server = eke_lies._run_lie(eke_target, tmp_path, transcripts, lie)
    if server.reaction is None:  # nothing read at all: the loop always notes an event
        raise RuntimeError(f"the suite read nothing after its answer\n{case.describe()}")
    outcome = ends[0].describe() if ends else f"still open after {len(sent)} frames"
    _judge(sent, outcome, case.describe())


@pytest.mark.profile("pki")
@pytest.mark.side("initiator")
@pytest.mark.req("FRM-14", "APP-BYE-1")
def test_pki_initiator_frames_after_an_honest_get_are_well_formed(
    target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    sent: list[ReceivedFrame] = []
    ends: list[Event] = []

    def lie(r: pki_lies.LyingResponder) -> None:
        r.rsfl(sha256=pki_lies.DIGEST)
        r.data(pki_lies.CONTENT)
        r.done()
        deadline = deadline_after(_WAIT)
        for _ in range(_AFTER):
            event = r.channel.recv_frame(deadline)
            if not isinstance(event, ReceivedFrame):
                ends.append(event)
                break
            sent.append(event)
            if event.type == b"BYE_" and not r.ended:
                try:  # the echo a responder MAY send (APP-BYE-1): the initiator may wait for it
                    r.frame("BYE_", control({}))
                except OSError:
                    pass
                break  # and the responder closes (APP-BYE-1)
        r.reaction = ends[0] if ends else (sent[-1] if sent else None)

    got = pki_lies._run_lie(target, tmp_path, transcripts, lie)
    if got.responder.reaction is None:
        raise RuntimeError(f"the suite read nothing after its answer: {got.describe()}")
    outcome = ends[0].describe() if ends else f"still open after {len(sent)} frames"
    _judge(sent, outcome, got.describe())
