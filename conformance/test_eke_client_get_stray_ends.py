"""An sft-eke/1 CLIENT ends a get only at its DONE: a frame of another kind where DONE is
owed is `unexpected_frame`, never the end of the file (SPEC FRM-6, APP-BYE-1, APP-GET-6).

Once every announced byte is in, a client holds the whole file and is tempted to read
whatever comes next as "the server is done": a `BYE_` (the server saying goodbye), or
any frame at all. But only DONE proves the bytes (APP-GET-3), and in the state RECEIVING
of §3.2 the only frames allowed are DATA, DONE and EROR: a `BYE_` during a transfer is
`unexpected_frame` (APP-BYE-1), as is a request the responder has no business sending
(`RQFL`, `PUTF`: FRM-6). The suite serves RSFL and every announced byte, then the stray
frame, then (in the `-then-done` variants) the honest DONE in the same write:

* a client that takes the stray for the end commits an unverified file (APP-GET-6: the
  rename only after APP-GET-3 succeeded);
* a client that skips it and waits for DONE keeps the file after a frame it had to refuse
  (FRM-6).

A conforming client answers `EROR unexpected_frame`, its get fails (non-zero exit), and
nothing is kept under the final name or as a temporary.
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

_STRAYS: dict[str, tuple[str, bytes]] = {
    "bye": ("BYE_", control({})),
    "rqfl": ("RQFL", control({"name": lies.NAME})),
    "putf": ("PUTF", control({"name": lies.NAME, "size": lies.SIZE})),
}


def _stray_at_the_end(stray: str, *, then_done: bool, after: int = lies.SIZE) -> lies.Lie:
    frame_type, payload = _STRAYS[stray]

    def lie(s: lies.LyingServer) -> None:
        s.rsfl(sha256=lies.DIGEST)
        if after:
            s.data(lies.CONTENT[:after])
        s.frame(frame_type, payload)
        if then_done:
            if after < lies.SIZE:
                s.data(lies.CONTENT[after:])
            s.done()
        s.await_reaction()

    return lie


def _case(
    name: str, reqs: tuple[str, ...], lie: Callable[[lies.LyingServer], None], *, slow: bool
) -> object:
    marks = [pytest.mark.req(*reqs, "APP-STORE-3")]
    if slow:
        marks.append(pytest.mark.slow)
    return pytest.param(lie, id=name, marks=marks)


_CASES = [
    # The boundary: every byte in, then BYE_ and nothing more (a client that takes BYE_
    # for the end keeps the file), and BYE_ with the honest DONE behind it (a client that
    # skips BYE_ keeps it too).
    _case(
        "bye-after-every-byte",
        ("APP-GET-6", "APP-BYE-1", "FRM-6"),
        _stray_at_the_end("bye", then_done=False),
        slow=False,
    ),
    _case(
        "bye-after-every-byte-then-done",
        ("APP-BYE-1", "FRM-6"),
        _stray_at_the_end("bye", then_done=True),
        slow=False,
    ),
    _case(
        "bye-after-1-byte-then-rest-and-done",
        ("APP-BYE-1", "FRM-6"),
        _stray_at_the_end("bye", then_done=True, after=1),
        slow=True,
    ),
    _case(
        "bye-before-any-byte-then-rest-and-done",
        ("APP-BYE-1", "FRM-6"),
        _stray_at_the_end("bye", then_done=True, after=0),
        slow=True,
    ),
    _case(
        "rqfl-after-every-byte-then-done",
        ("FRM-6",),
        _stray_at_the_end("rqfl", then_done=True),
        slow=True,
    ),
    _case(
        "putf-after-every-byte-then-done",
        ("FRM-6",),
        _stray_at_the_end("putf", then_done=True),
        slow=True,
    ),
]


@pytest.mark.parametrize("lie", _CASES)
def test_client_refuses_a_stray_frame_where_done_is_owed(
    eke_target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    lie: lies.Lie,
    request: pytest.FixtureRequest,
) -> None:
    """RSFL and the file's bytes, then a frame other than DATA/DONE/EROR: the get fails
    with `unexpected_frame` and nothing is kept."""
    skip_slow_variant(request)
    case, server = lies._run_lie(eke_target, tmp_path, transcripts, lie)
    lies._judge_failed_get(
        case,
        f"{request.node.callspec.id}: a stray frame where the get's DONE is owed",
        owed="unexpected_frame",
        server=server,
        own=lies._lie_requirements(request),
    )
