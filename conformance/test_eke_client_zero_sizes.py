"""An sft-eke/1 CLIENT takes a size of 0 as a size, never as "not known" (SPEC APP-GET-3,
APP-GET-4).

A size member is an integer (FRM-11) and 0 is one of its values: the file of 0 bytes. A
client written with 0 standing for "the sender did not say" (a streamed body of unknown
length, a `Content-Length` that is absent) lets the other announcement decide: an RSFL of
size 0 then admits any DATA, and a DONE of size 0 lets the bytes counted stand in for it.
The spec has no such default: the initiator checks at DONE that the bytes received equal
BOTH announced sizes (APP-GET-3), and a DATA frame that goes beyond the size announced —
0 included — fails the transfer with `integrity_failed` at once (APP-GET-4).

The suite completes an honest handshake, reads the client's RQFL and answers:

* RSFL {size: 0}, then 1 byte of DATA and a DONE that describes that byte truthfully
  (slow: the whole file instead of 1 byte; no DATA and a DONE of size 1);
* RSFL {size: N}, the N bytes, then DONE {size: 0} with the bytes' true digest (slow: no
  DATA at all and DONE {size: 0} with the empty file's digest, for N = 1 and N = 5120).

Every lie must fail the get with EROR `integrity_failed` (sealed), a non-zero exit, nothing
under the final name and no temporary file left (APP-STORE-3).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import pytest

from conformance import test_eke_client_transfer as lies
from conformance.eke_hostile import skip_slow_variant
from conformance.plugin import TranscriptBook
from conformance.target import Target

pytestmark = [
    pytest.mark.profile("eke"),
    pytest.mark.side("initiator"),
    pytest.mark.xdist_group("eke-client"),
]

_EMPTY = hashlib.sha256(b"").hexdigest()


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _announced(rsfl_size: int, data: bytes, done_size: int, done_sha256: str) -> lies.Lie:
    def lie(s: lies.LyingServer) -> None:
        s.rsfl(size=rsfl_size)
        if data:
            s.data(data)
        s.done(size=done_size, sha256=done_sha256)
        s.await_reaction()

    return lie


def _case(name: str, req: str, lie: lies.Lie, *, slow: bool) -> object:
    marks = [pytest.mark.req(req, "APP-STORE-3")]
    if slow:
        marks.append(pytest.mark.slow)
    return pytest.param(lie, id=name, marks=marks)


_ONE = lies.CONTENT[:1]

_CASES = [
    # RSFL says 0 bytes: the first DATA byte goes beyond it [APP-GET-4].
    _case(
        "rsfl-size-0-then-1-byte-and-its-done",
        "APP-GET-4",
        _announced(0, _ONE, 1, _sha(_ONE)),
        slow=False,
    ),
    _case(
        "rsfl-size-0-then-the-whole-file-and-its-done",
        "APP-GET-4",
        _announced(0, lies.CONTENT, lies.SIZE, lies.DIGEST),
        slow=True,
    ),
    # RSFL says 0 bytes, DONE says 1 (no DATA): the sizes disagree [APP-GET-3].
    _case(
        "rsfl-size-0-no-data-done-size-1",
        "APP-GET-3",
        _announced(0, b"", 1, _sha(_ONE)),
        slow=True,
    ),
    # Every byte RSFL announced, then DONE says 0 (with the bytes' true digest) [APP-GET-3].
    _case(
        "done-size-0-after-every-byte",
        "APP-GET-3",
        _announced(lies.SIZE, lies.CONTENT, 0, lies.DIGEST),
        slow=False,
    ),
    _case(
        "done-size-0-after-the-1-byte-announced",
        "APP-GET-3",
        _announced(1, _ONE, 0, _sha(_ONE)),
        slow=True,
    ),
    # No byte at all, DONE {0, digest of nothing}: the file RSFL announced never came.
    _case(
        "done-size-0-no-data-rsfl-size-1",
        "APP-GET-3",
        _announced(1, b"", 0, _EMPTY),
        slow=True,
    ),
    _case(
        "done-size-0-no-data-rsfl-size-5120",
        "APP-GET-3",
        _announced(lies.SIZE, b"", 0, _EMPTY),
        slow=True,
    ),
]


@pytest.mark.parametrize("lie", _CASES)
def test_client_takes_a_size_of_0_as_a_size(
    eke_target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    lie: Callable[[lies.LyingServer], None],
    request: pytest.FixtureRequest,
) -> None:
    """An announcement of 0 bytes (RSFL's or DONE's) that the other announcement or the
    bytes contradict: the get fails with `integrity_failed` and nothing is kept."""
    skip_slow_variant(request)
    case, server = lies._run_lie(eke_target, tmp_path, transcripts, lie)
    lies._judge_failed_get(
        case,
        f"{request.node.callspec.id}: a size of 0 the other announcement or the bytes contradict",
        owed="integrity_failed",
        server=server,
        own=lies._lie_requirements(request),
    )
