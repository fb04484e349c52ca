"""An sft-eke/1 CLIENT reads an `EROR` by its `code`, never by its `name`: an unknown code
under the name of a non-fatal one is `internal`, fatal — the client sends nothing more
(SPEC ERR-4, ERR-1, ERR-3).

ERR-4: unknown means any code the table does not list, "whatever the `EROR`'s `name`
says". A client that looks an unknown code up by its name (a newer server's code:
"trust the name") takes `{"code": 99, "name": "not_found"}` for a refusal it can continue
from: its connection returns to IDLE and it ends it politely with `BYE_`. Read as ERR-4
says, the code is `internal`: fatal, the connection ends, and the initiator sends nothing
after it (ERR-3: a fatal `EROR` "ends the connection like any other: the initiator sends
nothing after it, not a `BYE_`").

test_client_fatal_errors.py checks that the client closes promptly after such an `EROR`
(and tolerates a `BYE_` on the way out); here the `BYE_` is the evidence. A `BYE_` the
client pipelined behind its RQFL before any answer (APP-2) is not one: what the client
sent before the `EROR` left (a bounded 0.3 s window) is set apart.

The client is launched from `--client-cmd` (embedded run: the reference's `sft eke get`).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from conformance import test_eke_client_transfer as lies
from conformance.eke_hostile import read_inner, skip_slow_variant
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.wire import ConformanceFailure, ReceivedFrame, TimedOut, control

pytestmark = [
    pytest.mark.profile("eke"),
    pytest.mark.side("initiator"),
    pytest.mark.xdist_group("eke-client"),
]

_PIPELINED = 0.3  # what the client sent before the EROR left (not a reaction to it)
_WATCH = 2.0  # its reaction: frames until its close, bounded in time and count


@pytest.mark.req("ERR-4")
@pytest.mark.parametrize(
    ("code", "name"),
    [
        (99, "not_found"),
        pytest.param(15, "exists", marks=pytest.mark.slow),
        pytest.param(1000, "forbidden", marks=pytest.mark.slow),
    ],
)
def test_client_sends_nothing_after_an_unknown_code_named_like_a_refusal(
    eke_target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    code: int,
    name: str,
    request: pytest.FixtureRequest,
) -> None:
    """RQFL answered `EROR {{code: {code}, name: {name}}}`: an unknown code, so `internal`
    (fatal): the get fails and the client sends nothing more — no BYE_ — before its close."""
    skip_slow_variant(request)
    box: dict[str, list[str]] = {"before": [], "after": []}

    def lie(s: lies.LyingServer) -> None:
        deadline = time.monotonic() + _PIPELINED
        for _ in range(4):  # bounded: a pipelined BYE_ or two
            left = deadline - time.monotonic()
            if left <= 0:
                break
            event = read_inner(s.channel, s.view, left)
            if isinstance(event, ReceivedFrame):
                box["before"].append(event.type_text)
                continue
            if not isinstance(event, TimedOut):
                s.closed = True
                return
            break
        s.frame("EROR", control({"code": code, "name": name, "message": "suite: refused"}))
        deadline = time.monotonic() + _WATCH
        for _ in range(8):
            left = deadline - time.monotonic()
            if left <= 0:
                break
            event = read_inner(s.channel, s.view, left)
            if not isinstance(event, ReceivedFrame):
                break
            box["after"].append(event.type_text)
        s.close()

    case, server = lies._run_lie(eke_target, tmp_path, transcripts, lie)
    lies._judge_failed_get(
        case, f"EROR code {code} named {name} answering RQFL", server=server, own=("ERR-4",)
    )
    if box["after"]:
        failure = ConformanceFailure.evidence(
            f"ERR-4: RQFL answered EROR code {code} (not in ERR-2's table) named {name!r}",
            "the code decides: `internal`, fatal; the client sends nothing after it (no BYE_) "
            "and closes",
            f"the client then sent {box['after']} (before the EROR: {box['before'] or 'nothing'})",
            "a BYE_ after it: the code was read by its name as a non-fatal refusal",
        )
        failure.violates = ("ERR-4",)
        raise failure
