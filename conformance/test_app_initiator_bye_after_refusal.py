"""An INITIATOR whose request was refused (a non-fatal `EROR`) ends the connection with
`BYE_` as from IDLE: the responder's echo of that `BYE_` ends it, with nothing more from
the initiator (docs/SPEC.md APP-BYE-1, ERR-3, §3.2).

ERR-3: after a non-fatal `EROR` of the responder the connection returns to the idle
state. APP-BYE-1: `BYE_` ends the connection, the responder MAY answer `BYE_` and then
closes. The class of bug is residue of the refused request: the refusal returns the
initiator's state to IDLE but leaves something of the request behind (an "answer
outstanding" flag, the request's expected frame, its transfer object), and the next
frame is judged against it: the responder's legitimate echo of the `BYE_` is taken for
an answer out of place and answered `EROR unexpected_frame`, or the initiator waits for
the refused request's answer. The suite's other refusal cases read the initiator's
`BYE_`, echo it and stop listening, so what the initiator does next is never seen.

The suite plays the responder: a get (sft-pki/1) refused `not_found` (slow: `forbidden`,
`too_large`, `unsupported`) and a put (both profiles) refused `exists` (slow: `too_large`
on pki, `forbidden` on eke). When the initiator then says `BYE_`, the responder answers
`BYE_` and reads on (bounded): the initiator MUST send nothing after its `BYE_` — no
`EROR`, no request — and end the connection. (An initiator that closes without `BYE_`
after the refusal is conforming too, APP-BYE-2: nothing to judge then.)

Fixtures (conformance/plugin.py): `target`, `transcripts`, `tmp_path`.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest

from conformance import test_client_put as puts
from conformance import test_pki_initiator_transfer as pki_lies
from conformance.channel import Channel
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.wire import (
    ConformanceFailure,
    ReceivedFrame,
    control,
    deadline_after,
    error_payload,
)

__all__: list[str] = []

pytestmark = [pytest.mark.side("initiator")]

_WATCH = 3.0  # how long the responder reads after its echo (a conforming client closes)
_MAX_FRAMES = 16  # frames read at most after the refusal


class _AfterBye:
    """What the initiator sent after its BYE_ was echoed."""

    def __init__(self) -> None:
        self.said_bye = False
        self.after: list[str] = []
        self.ended = ""


def _watch(channel: Channel, seen: _AfterBye) -> None:
    end = deadline_after(_WATCH)
    for _ in range(_MAX_FRAMES):
        event = channel.recv_frame(end)
        if not isinstance(event, ReceivedFrame):
            seen.ended = event.describe()
            return
        if seen.said_bye:
            seen.after.append(event.describe(80))
            continue
        if event.type == b"BYE_":
            seen.said_bye = True
            with contextlib.suppress(OSError):  # the initiator may be gone already
                channel.send_frame("BYE_", control({}))
            end = deadline_after(_WATCH)
            continue
        # A frame before any BYE_ (another request, say) is not this case's matter.
        seen.ended = f"the initiator sent {event.describe(60)} instead of BYE_"
        return


def _judge(seen: _AfterBye, what: str, note: str) -> None:
    if seen.said_bye and seen.after:
        raise ConformanceFailure.evidence(
            what,
            "after the refusal the connection is idle (ERR-3): the initiator's BYE_ and the "
            "responder's echo end it, and the initiator sends nothing after its BYE_ "
            "(APP-BYE-1)",
            f"after its BYE_ was echoed it sent {seen.after}",
            note=note,
        )


# ----------------------------------------------------------------- a refused get (pki)

_GET_CODES = ["not_found"] + [
    pytest.param(c, marks=pytest.mark.slow) for c in ("forbidden", "too_large", "unsupported")
]


@pytest.mark.profile("pki")
@pytest.mark.req("APP-BYE-1")
@pytest.mark.parametrize("code", _GET_CODES)
def test_pki_initiator_ends_cleanly_after_a_refused_get(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, code: str
) -> None:
    seen = _AfterBye()

    def lie(r: pki_lies.LyingResponder) -> None:
        r.frame("EROR", error_payload(code, "suite: refused"))
        _watch(r.channel, seen)
        r.ended = True  # the responder has read all it will (no second await)

    got = pki_lies._run_lie(target, tmp_path, transcripts, lie)
    _judge(
        seen,
        f"APP-BYE-1: a get refused EROR {code} (non-fatal), then the initiator's BYE_ echoed",
        got.describe(),
    )


# ------------------------------------------------------------ a refused put (both)

_PUT_CODES = ["exists", pytest.param("other", marks=pytest.mark.slow)]


@pytest.mark.req("APP-BYE-1")
@pytest.mark.parametrize("code", _PUT_CODES)
def test_initiator_ends_cleanly_after_a_refused_put(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, code: str
) -> None:
    if code == "other":
        code = "too_large" if target.profile == "pki" else "forbidden"
    seen = _AfterBye()

    def serve(channel: Channel, put_seen: puts.PutSeen, answer: puts.Answer, name: str) -> None:
        first = puts._next(channel, put_seen, puts.READ_TIMEOUT)
        if first is None or first.type != b"PUTF":
            put_seen.ended = f"the client's first frame was {first and first.describe(60)}"
            return
        put_seen.putf_raw = first.payload[:200].decode("utf-8", "replace")
        put_seen.putf = first.json()
        channel.send_frame("EROR", error_payload(code, "suite: refused"))
        put_seen.answered = f"EROR {code}"
        _watch(channel, seen)

    put = puts._run_put(
        target, tmp_path, transcripts, puts.Answer(), puts._content(3000), serve=serve
    )
    _judge(
        seen,
        f"APP-BYE-1: a put refused EROR {code} (non-fatal), then the initiator's BYE_ echoed",
        put.describe(),
    )
