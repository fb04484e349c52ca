"""An sft-eke/1 CLIENT keeps a get only once DONE verified it, however long DONE takes
(SPEC APP-GET-3, APP-GET-6).

When every announced byte is in, a client has all it needs to write the file — except
the proof that these are the bytes the server meant. A client that stops waiting for
that proof after a short silence ("the DONE is a formality") and commits the file keeps
whatever a server that stalls at the end of a file sent. The suite serves RSFL and every
announced byte, then stays silent for `_STALL` seconds while it watches the client's
output directory, then sends a DONE whose SHA-256 is wrong:

* nothing may appear under the final name while DONE has not come (APP-GET-6: the
  rename only after APP-GET-3 succeeded);
* the DONE that comes is wrong: the get fails (non-zero exit, nothing kept, EROR
  `integrity_failed`).

A client may end the get itself during the stall (its own idle timeout, SPEC LIM-2 is
the responder's): then it must fail it, never keep the file.
"""

from __future__ import annotations

import contextlib
import time
from pathlib import Path

import pytest

from conformance import test_eke_client_transfer as eke_lies
from conformance.eke_hostile import skip_slow_variant
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.wire import ConformanceFailure

pytestmark = [
    pytest.mark.profile("eke"),
    pytest.mark.side("initiator"),
    pytest.mark.xdist_group("eke-client"),
]

_STALL = 3.0  # seconds of silence after the last announced byte
_LOOK_EVERY = 0.05  # how often the output directory is looked at during the stall
_OUTPUT = "received.bin"  # run_case's output name (eke_hostile)


def _stall_then_wrong_done(content: bytes) -> eke_lies.Lie:
    size = len(content)

    def lie(s: eke_lies.LyingServer) -> None:
        s.rsfl(size=size)
        if content:
            s.data(content)
        ended = time.monotonic() + _STALL
        out = s.outdir / _OUTPUT
        while (left := ended - time.monotonic()) > 0:
            if out.exists():
                s.notes.append(f"{_OUTPUT} appeared {_STALL - left:.2f} s after the last byte")
                break
            time.sleep(min(_LOOK_EVERY, left))
        with contextlib.suppress(OSError):
            s.done(size, eke_lies.WRONG)
            s.await_reaction()

    return lie


_SIZES = {"5120-bytes": eke_lies.CONTENT, "0-bytes": b""}
_SLOW = frozenset({"0-bytes"})


@pytest.mark.req("APP-GET-6", "APP-GET-3")
@pytest.mark.parametrize(
    "size", [pytest.param(k, marks=[pytest.mark.slow] if k in _SLOW else []) for k in _SIZES]
)
def test_client_waits_for_done_before_keeping_a_get(
    eke_target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    size: str,
    request: pytest.FixtureRequest,
) -> None:
    """Every announced byte, `_STALL` s of silence, then a DONE with a wrong SHA-256: no
    file under the final name before the DONE, and the get fails."""
    skip_slow_variant(request)
    content = _SIZES[size]
    case, server = eke_lies._run_lie(
        eke_target, tmp_path, transcripts, _stall_then_wrong_done(content)
    )
    if server.notes:
        raise ConformanceFailure.evidence(
            f"APP-GET-6: RSFL and all {len(content)} bytes, then {_STALL:g} s of silence "
            "before a (wrong) DONE",
            "nothing under the final name until DONE has come and verified",
            f"{'; '.join(server.notes)}; {case.result.describe()}",
            note=case.describe(),
        )
    eke_lies._judge_failed_get(
        case,
        f"APP-GET-3: RSFL and all {len(content)} bytes, {_STALL:g} s of silence, then a DONE "
        "whose SHA-256 is wrong",
        owed=None,
        server=server,
        own=("APP-GET-3",),
    )
