"""An sft-eke/1 CLIENT answers a REQUEST frame from the server with `unexpected_frame`,
never with a refusal of its own (SPEC FRM-6, ERR-2, APP-1).

Only the initiator sends requests (`RQFL`, `PUTF`, `BYE_`: APP-1). A client written beside
a peer that serves files — or one that wants to say politely "I serve nothing" — answers
a server's `RQFL` or `PUTF` as a responder would refuse a request: `EROR unsupported`
("the operation is disabled", non-fatal) or `forbidden`, and may even stay in its state
waiting for the answer it is owed. But the frame is defined and not allowed in the
client's state (awaiting `RSFL|EROR`, or receiving `DATA`* `DONE`): FRM-6 asks
`unexpected_frame`, fatal (ERR-2), and the get fails. The payloads here are well-formed,
so FRM-16 leaves no other code.

Default run: an `RQFL` and a `PUTF` in place of the `RSFL` that answers the client's
`RQFL` (the first frame of the answer, the boundary). Slow: an `RQFL` after the RSFL and
one byte of DATA (mid-get; test_eke_client_get_stray_ends.py covers the frames after the
last byte).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from conformance import test_eke_client_transfer as lies
from conformance.eke_hostile import skip_slow_variant
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.wire import control

pytestmark = [
    pytest.mark.profile("eke"),
    pytest.mark.side("initiator"),
    pytest.mark.xdist_group("eke-client"),
]

_REQUESTS: dict[str, tuple[str, bytes]] = {
    "rqfl": ("RQFL", control({"name": lies.NAME})),
    "putf": ("PUTF", control({"name": lies.NAME, "size": lies.SIZE})),
}


def _request_from_server(kind: str, *, after: int | None) -> lies.Lie:
    """`after` None: the request in place of RSFL; else after RSFL and `after` bytes."""
    frame_type, payload = _REQUESTS[kind]

    def lie(s: lies.LyingServer) -> None:
        if after is not None:
            s.rsfl(sha256=lies.DIGEST)
            s.data(lies.CONTENT[:after])
        s.frame(frame_type, payload)
        s.await_reaction()

    return lie


def _case(name: str, lie: Callable[[lies.LyingServer], None], *, slow: bool) -> object:
    marks = [pytest.mark.req("FRM-6", "APP-STORE-3")]
    if slow:
        marks.append(pytest.mark.slow)
    return pytest.param(lie, id=name, marks=marks)


_CASES = [
    _case("rqfl-in-place-of-rsfl", _request_from_server("rqfl", after=None), slow=False),
    _case("putf-in-place-of-rsfl", _request_from_server("putf", after=None), slow=False),
    _case("rqfl-after-rsfl-and-1-byte", _request_from_server("rqfl", after=1), slow=True),
]


@pytest.mark.parametrize("lie", _CASES)
def test_client_answers_a_server_request_unexpected_frame(
    eke_target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    lie: lies.Lie,
    request: pytest.FixtureRequest,
) -> None:
    """The server answers the client's RQFL with a request frame of its own: the client
    answers EROR unexpected_frame (not unsupported, forbidden or any other code), the get
    fails and nothing is kept."""
    skip_slow_variant(request)
    case, server = lies._run_lie(eke_target, tmp_path, transcripts, lie)
    lies._judge_failed_get(
        case,
        f"FRM-6: {request.node.callspec.id}: a request frame (only the initiator sends "
        "requests, APP-1) where the client awaits its answer",
        owed="unexpected_frame",
        server=server,
        own=lies._lie_requirements(request),
    )
