"""An sft-pki/1 INITIATOR whose put's DONE is answered with an `EROR` of a code ERR-2 does
not list: the code is `internal` (fatal) whatever its range or `name`, so the initiator
sends nothing after it — not the polite `BYE_` that follows a refusal (docs/SPEC.md ERR-4,
ERR-3, APP-PUT-10).

ERR-4: an unknown code is `internal` (fatal), "whatever its range ... and whatever the
`EROR`'s `name` says". ERR-3: "A fatal `EROR` in place of the responder's `DONE` receipt
ends the connection like any other: the initiator sends nothing after it, not a `BYE_`."
The wrong initiators this catches: one that decides fatality from a list of the FATAL
codes (so every code outside the list is a "refusal": back to idle, `BYE_`, close), one
that reads a range as informational (HTTP's 1xx habit: 100, 1000), one that takes code 0
as "no error" (errno style), one that trusts a `name` of a non-fatal code (`exists`,
`not_found`), one that wraps a code above 2^31 into a small one.

The suite's responder accepts the put, reads its DATA and DONE, answers that DONE with the
`EROR`, then watches what the client sends for `_END_WAIT` seconds (at most 8 frames),
holding its side open. Judged: no frame at all after the `EROR`, the client's close
within `_END_WAIT` s, and the put reported failed (non-zero exit).

Fixtures (conformance/plugin.py): `target` (pki, lab mode), `transcripts`, `tmp_path`.
"""

from __future__ import annotations

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

SIZE = 20_000
_END_WAIT = 2.5  # ERR-3: 2 s, and a little for the suite's own reading

# label -> (code, the name the EROR carries): every code here is unknown (ERR-2 lists 1-14)
_UNKNOWN = {
    "code-0": (0, "internal"),
    "code-15-named-exists": (15, "exists"),
    "code-100": (100, "internal"),
    "code-2p63-1-named-not_found": (2**63 - 1, "not_found"),
}


@pytest.mark.req("ERR-4", "ERR-3", "APP-PUT-10")
@pytest.mark.parametrize("label", list(_UNKNOWN))
def test_pki_initiator_takes_an_unknown_receipt_code_as_fatal(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, label: str
) -> None:
    if target.profile != "pki":
        pytest.skip("an sft-pki/1 initiator case")
    number, name = _UNKNOWN[label]
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
            frame_bytes("EROR", control({"code": number, "name": name, "message": "suite: status"}))
        )
        seen.answered = f"RSFL {{accept}}; EROR code {number} ({name}) in place of the DONE receipt"
        end = deadline_after(_END_WAIT)
        event: Event = channel.recv_frame(end)
        for _ in range(8):  # bounded: a few stray frames at most, then the end
            if not isinstance(event, ReceivedFrame):
                break
            after.append(event)
            event = channel.recv_frame(end)
        state["end"] = event

    put = _run_put(target, tmp_path, transcripts, Answer(), _content(SIZE), serve=serve)
    if not state["done"]:
        raise RuntimeError(f"harness: the client sent no DONE for its put: {put.describe()}")
    problems: list[tuple[str, str]] = []
    if after:
        shown = ", ".join(f.describe(60) for f in after)
        problems.append(("ERR-4", f"it sent {shown} after the EROR (taken as a non-fatal refusal)"))
    if isinstance(state.get("end"), TimedOut):
        problems.append(("ERR-4", f"the connection still open {_END_WAIT:g} s after the EROR"))
    if put.run.succeeded:
        problems.append(("APP-PUT-10", "exit 0 (reported stored)"))
    if problems:
        failure = ConformanceFailure.evidence(
            f"ERR-4: the put's DONE answered EROR code {number} named {name!r} ({label}): a "
            "code ERR-2 does not list is `internal`, fatal, whatever its range or name",
            f"nothing sent after the EROR (no BYE_), the client's close within {_END_WAIT:g} s, "
            "the put reported failed",
            "; ".join(text for _, text in problems),
            note=put.describe(),
        )
        failure.violates = tuple(sorted({req for req, _ in problems}))
        raise failure
