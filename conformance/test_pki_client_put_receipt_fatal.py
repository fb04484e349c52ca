"""An sft-pki/1 INITIATOR whose put's DONE is answered with a FATAL `EROR`: it closes at
once and sends nothing after it (docs/SPEC.md ERR-3, ERR-4, APP-PUT-10).

ERR-3: after receiving an `EROR` whose code is fatal an endpoint MUST close the
connection and MUST NOT process further frames, at once (the suite allows 2 s). The
answer to a request's first frame (RQFL, PUTF) is judged elsewhere; the answer to the
put's DONE is another read in most initiators — the place where "the responder refused
my put" is handled like a refusal of the PUTF (non-fatal: back to idle, then the polite
`BYE_`), whatever the code. `integrity_failed` is the code a responder sends there (APP-PUT-5);
`internal` a full disk (APP-STORE-1); an unknown code is `internal` (ERR-4).

The suite's responder accepts the put, reads its DATA and DONE, answers that DONE with
`EROR integrity_failed`, `internal`, or code 99, then reads for `_WATCH` seconds holding
its side open. Judged: the put reported failed (non-zero exit, APP-PUT-10), no frame at
all after the `EROR` (a `BYE_` included), and the client's end of the connection within
2.5 s.

Fixtures (conformance/plugin.py): `target` (pki, lab mode), `transcripts`, `tmp_path`.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from conformance.channel import Channel
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.test_client_pki_put_receipt_retry import _until_done
from conformance.test_client_put import (
    READ_TIMEOUT,
    Answer,
    PutSeen,
    _accept,
    _content,
    _next,
    _run_put,
)
from conformance.wire import (
    ERROR_NAMES,
    ConformanceFailure,
    Event,
    ReceivedFrame,
    TimedOut,
    control,
    deadline_after,
    frame_bytes,
)

__all__: list[str] = []

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("initiator")]

SIZE = 30_000
_END_WAIT = 2.5  # ERR-3: 2 s, and a little for the suite's own reading
# label -> (code, the name the EROR carries). Codes ERR-2 does not list are `internal`
# (ERR-4), whatever their range or name: 0 (not "ok"), 15 named like a refusal, 100 (not
# "informational"), 2^63-1 named not_found (no wrap to a small code).
_CODES = {
    "integrity_failed": (8, "integrity_failed"),
    "internal": (11, "internal"),
    "unknown-99": (99, "internal"),
    "unknown-0": (0, "internal"),
    "unknown-15-named-exists": (15, "exists"),
    "unknown-100": (100, "internal"),
    "unknown-2p63-1-named-not_found": (2**63 - 1, "not_found"),
}


@pytest.mark.req("ERR-3", "ERR-4", "APP-PUT-10")
@pytest.mark.parametrize("code", list(_CODES))
def test_initiator_closes_at_once_on_a_fatal_answer_to_its_done(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, code: str
) -> None:
    if target.profile != "pki":
        pytest.skip("an sft-pki/1 initiator case")
    number, name = _CODES[code]
    after: list[ReceivedFrame] = []
    state: dict[str, object] = {"done": False}

    def serve(channel: Channel, seen: PutSeen, answer: Answer, put_name: str) -> None:
        first = _next(channel, seen, READ_TIMEOUT)
        if first is None or first.type != b"PUTF":
            seen.ended = seen.ended or f"the first frame was {first and first.describe(60)}"
            return
        seen.putf = first.json()
        channel.send_frame("RSFL", _accept(str((seen.putf or {}).get("name", put_name))))
        if not _until_done(channel, seen):
            return
        state["done"] = True
        channel.send_raw(
            frame_bytes(
                "EROR",
                control({"code": number, "name": name, "message": "not stored"}),
            )
        )
        sent = time.monotonic()
        seen.answered = f"RSFL {{accept}}; EROR {number} in place of the DONE receipt"
        end = deadline_after(_END_WAIT)
        event: Event = channel.recv_frame(end)
        for _ in range(8):  # bounded: a few stray frames at most, then the end
            if not isinstance(event, ReceivedFrame):
                break
            after.append(event)
            event = channel.recv_frame(end)
        state["end"] = event
        state["waited"] = time.monotonic() - sent

    put = _run_put(target, tmp_path, transcripts, Answer(), _content(SIZE), serve=serve)
    if not state["done"]:
        raise RuntimeError(f"harness: the client sent no DONE for its put: {put.describe()}")
    problems: list[tuple[str, str]] = []
    # An unknown code is fatal only by ERR-4: a client that treats it as non-fatal breaks
    # ERR-4 (the ending it then gets wrong is ERR-3's).
    fatality = "ERR-4" if number not in ERROR_NAMES else "ERR-3"
    if after:
        shown = ", ".join(f.describe(60) for f in after)
        problems.append((fatality, f"it sent {shown} after the fatal EROR"))
    end = state.get("end")
    if isinstance(end, TimedOut):
        problems.append((fatality, f"the connection still open {_END_WAIT:g} s after the EROR"))
    if put.run.succeeded:
        problems.append(("APP-PUT-10", "exit 0 (reported stored)"))
    if problems:
        failure = ConformanceFailure.evidence(
            f"ERR-3: the put's DONE answered EROR {number} ({code}: fatal), the suite's "
            "side held open",
            "the put reported failed, nothing sent after the EROR, and the client's close "
            f"within {_END_WAIT:g} s",
            "; ".join(text for _, text in problems),
            note=put.describe(),
        )
        failure.violates = tuple(sorted({req for req, _ in problems}))
        raise failure
