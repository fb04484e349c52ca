"""An INITIATOR's put answered with a frame only an initiator sends: its own `PUTF`
reflected, an `RQFL`, a `BYE_` (docs/SPEC.md APP-PUT-9, FRM-6, APP-1).

APP-PUT-9: after its `PUTF` an initiator MUST take only `RSFL` with `"accept": true` as
the acceptance, and MUST NOT send `DATA` otherwise. APP-1: only the initiator sends
requests (`RQFL`, `PUTF`, `BYE_`); FRM-6: a frame not allowed in the receiver's state is
answered `unexpected_frame` (fatal). The suite's other cases answer the `PUTF` with
`RSFL` payloads that are no acceptance (test_client_put.py) and with `EROR`s; none
answers with a frame of the initiator's own direction. The class of bug is role
confusion: a peer implementation that shares one frame handler between its roles takes
the responder's copy of its own offer ("PUTF {name, size}": the same name, the same size)
for a confirmation, or a request frame for an answer, and sends the file.

The suite's responder (both profiles, test_client_put.py's machinery) reads the client's
`PUTF` and answers it with:

- `putf-echo`: the client's own `PUTF` frame, byte for byte (the default run);
- `rqfl` (slow): `RQFL {"name": <the offered name>}`;
- `bye`: `BYE_ {}` in place of an answer (slow).

The client MUST NOT send `DATA` or `DONE`, MUST answer `EROR unexpected_frame` and MUST
report the put failed (non-zero exit); the local file stays as it was.

Fixtures (conformance/plugin.py): `target`, `transcripts`, `tmp_path`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance import test_client_put as puts
from conformance.channel import Channel
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.wire import control

__all__: list[str] = []

pytestmark = [pytest.mark.side("initiator")]

_UNEXPECTED_FRAME = 3  # ERR-2


def _reflect(kind: str) -> puts.Serve:
    def serve(channel: Channel, seen: puts.PutSeen, answer: puts.Answer, name: str) -> None:
        first = puts._next(channel, seen, puts.READ_TIMEOUT)
        if first is None or first.type != b"PUTF":
            seen.ended = (
                seen.ended or f"the client's first frame was {first and first.describe(60)}"
            )
            return
        seen.putf_raw = first.payload[:200].decode("utf-8", "replace")
        seen.putf = first.json()
        puts._drain(channel, seen, seen.early, puts.EARLY_WAIT)
        if seen.ended:
            return
        offered = str((seen.putf or {}).get("name", name))
        if kind == "putf-echo":
            channel.send_frame("PUTF", bytes(first.payload))
        elif kind == "rqfl":
            channel.send_frame("RQFL", control({"name": offered}))
        else:
            channel.send_frame("BYE_", control({}))
        seen.answered = f"{kind} in place of RSFL {{accept}}"
        puts._drain(channel, seen, seen.after, puts.AFTER_WAIT)

    return serve


_KINDS = [
    "putf-echo",
    pytest.param("rqfl", marks=pytest.mark.slow),
    pytest.param("bye", marks=pytest.mark.slow),
]


@pytest.mark.req("APP-PUT-9", "FRM-6")
@pytest.mark.parametrize("kind", _KINDS)
def test_initiator_put_takes_no_reflected_request_as_acceptance(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, kind: str
) -> None:
    content = puts._content(3000)
    put = puts._run_put(target, tmp_path, transcripts, puts.Answer(), content, serve=_reflect(kind))
    problems: puts.Problems = []
    puts._judge_common(put, problems)
    sent = puts._data_bytes(put.seen.after)
    if sent:
        problems.append(
            (
                "APP-PUT-9",
                f"took {kind} for the acceptance: sent {len(sent)} DATA/DONE frames "
                f"({[f.describe(40) for f in sent[:3]]})",
            )
        )
    errors = [f for f in put.seen.after if f.type == b"EROR"]
    if not sent and not any(f.error_code == _UNEXPECTED_FRAME for f in errors):
        problems.append(
            (
                "FRM-6",
                f"no EROR unexpected_frame (code 3) for {kind} after its PUTF; the client sent "
                f"{[f.describe(60) for f in put.seen.after] or 'nothing'}",
            )
        )
    if put.run.succeeded or put.run.timed_out:
        problems.append(
            (
                "APP-PUT-9",
                f"the put was never accepted ({kind}), yet the client {put.run.success_evidence()}",
            )
        )
    puts._fail(put, problems, f"a put whose PUTF the responder answered with {kind}")
