"""An sft-eke/1 CLIENT refuses a get's answer whose members have the wrong JSON type, and
never crashes on it (SPEC §1 FRM-9, FRM-11, FRM-12; §2 ERR-6).

FRM-9: a receiver MUST answer `bad_frame` (fatal) to a control payload "whose members
required by the frame's schema are missing or have the wrong JSON type. An optional member
the schema defines (e.g. `RSFL.sha256`, `PUTF.sha256`) that is present with the wrong JSON
type — `null` included — is malformed too". FRM-11: integer members are JSON integers in
`0 … 2^63−1`. ERR-6: an endpoint MUST NOT answer any input with a stack trace.

The class of bug: a client whose parser parses but never validates — it reads the
authenticated server's `RSFL` as a dictionary (`answer["size"]`, `obj.size`,
`json_object_get`) and trusts the member to be there and to be an integer, because "the
server knows the password". A missing member is then a `KeyError` / `undefined` / NULL, a
string `"5120"` a type error further down (or a size compared as text), `null` a crash or
"no size"; the client dies with a stack trace and no `EROR`, or waits for data it can
never count. The cases of test_eke_client_transfer.py give the size the wrong FORM
(a float, `true`, a negative); these give it the wrong TYPE or take it away, and give the
optional `sha256` the wrong type, where a client that validates only what is present —
or only what it compares — takes `null` for "absent".

The suite completes an honest login (it knows the password it gave the client), reads the
client's `RQFL` and answers it with one malformed frame, sealed in an authentic record:
the `RSFL` (the client must answer `EROR bad_frame`), or, after an honest `RSFL` and the
file's bytes, the `DONE` (`bad_frame` or `integrity_failed`, FRM-16). Either way the get
fails: non-zero exit, nothing under the final name, no temporary file left; and nothing on
the client's output looks like a stack trace (ERR-6).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance import test_eke_client_transfer as lies
from conformance.eke_hostile import ClientCase, skip_slow_variant
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.wire import ConformanceFailure, control, frame_bytes

pytestmark = [
    pytest.mark.profile("eke"),
    pytest.mark.side("initiator"),
    pytest.mark.xdist_group("eke-client"),
]

# What a crashed client leaves on its output (Python, Node.js, Java, Go, a C/C++ runtime).
_TRACE_MARKERS = (
    "Traceback (most recent call last)",
    "    at ",  # a Node.js stack frame
    "\tat ",  # a Java stack frame
    "Exception in thread",
    "goroutine ",
    "panic: ",
    "Segmentation fault",
    "AddressSanitizer",
)


def _trace(stderr: str) -> str | None:
    for marker in _TRACE_MARKERS:
        if marker in stderr:
            return marker
    return None


def _rsfl(members: dict[str, object]) -> lies.Lie:
    """`members` sent where the RSFL belongs (one record)."""

    def lie(s: lies.LyingServer) -> None:
        s.channel.send_raw(frame_bytes("RSFL", control(members)))
        s.await_reaction()

    return lie


def _done(members: dict[str, object]) -> lies.Lie:
    """An honest RSFL and the file's bytes, then `members` as the DONE."""

    def lie(s: lies.LyingServer) -> None:
        s.rsfl(sha256=lies.DIGEST)
        s.data(lies.CONTENT)
        s.frame("DONE", control(members))
        s.await_reaction()

    return lie


_NAME = lies.NAME
_SIZE = lies.SIZE
_DIGEST = lies.DIGEST

_CASES = [
    # RSFL: a required member missing, or of another JSON type [FRM-9, FRM-11]
    pytest.param(_rsfl({"name": _NAME, "sha256": _DIGEST}), "bad_frame", id="rsfl-size-missing"),
    pytest.param(
        _rsfl({"name": _NAME, "size": str(_SIZE), "sha256": _DIGEST}),
        "bad_frame",
        id="rsfl-size-string",
    ),
    pytest.param(
        _rsfl({"name": _NAME, "size": None, "sha256": _DIGEST}), "bad_frame", id="rsfl-size-null"
    ),
    pytest.param(
        _rsfl({"name": _NAME, "size": [_SIZE], "sha256": _DIGEST}),
        "bad_frame",
        id="rsfl-size-array",
        marks=pytest.mark.slow,
    ),
    pytest.param(
        _rsfl({"name": _NAME, "size": 2**64 + _SIZE, "sha256": _DIGEST}),
        "bad_frame",
        id="rsfl-size-above-2^63",
        marks=pytest.mark.slow,
    ),
    pytest.param(_rsfl({"size": _SIZE, "sha256": _DIGEST}), "bad_frame", id="rsfl-name-missing"),
    pytest.param(
        _rsfl({"name": 7, "size": _SIZE, "sha256": _DIGEST}),
        "bad_frame",
        id="rsfl-name-number",
        marks=pytest.mark.slow,
    ),
    # RSFL: the optional sha256 present with another JSON type — `null` is not "absent"
    pytest.param(
        _rsfl({"name": _NAME, "size": _SIZE, "sha256": None}), "bad_frame", id="rsfl-sha256-null"
    ),
    pytest.param(
        _rsfl({"name": _NAME, "size": _SIZE, "sha256": 0}),
        "bad_frame",
        id="rsfl-sha256-number",
        marks=pytest.mark.slow,
    ),
    # DONE after the bytes: FRM-16 allows bad_frame or integrity_failed
    pytest.param(
        _done({"size": str(_SIZE), "sha256": _DIGEST}),
        "bad_frame|integrity_failed",
        id="done-size-string",
    ),
    pytest.param(
        _done({"sha256": _DIGEST}),
        "bad_frame|integrity_failed",
        id="done-size-missing",
        marks=pytest.mark.slow,
    ),
    pytest.param(
        _done({"size": _SIZE, "sha256": None}),
        "bad_frame|integrity_failed",
        id="done-sha256-null",
        marks=pytest.mark.slow,
    ),
]


def _judge(case: ClientCase, server: lies.LyingServer, owed: str, what: str) -> None:
    problems: list[str] = []
    violates: set[str] = set()
    try:
        lies._judge_failed_get(case, what, owed=owed, server=server, own=("FRM-9",))
    except ConformanceFailure as judged:
        problems.append(str(judged))
        violates.update(judged.violates or ("FRM-9",))
    marker = _trace(case.result.stderr)
    if marker is not None:
        tail = case.result.stderr.strip().splitlines()[-3:]
        problems.append(f"ERR-6: a stack trace on the client's output ({marker!r}): {tail}")
        violates.add("ERR-6")
    if problems:
        failure = ConformanceFailure.evidence(
            what,
            f"EROR {owed} sealed in a record, a failed get (non-zero exit, nothing kept, no "
            "temporary file) and no stack trace on the client's output",
            " | ".join(problems),
            note=case.describe(),
        )
        failure.violates = tuple(sorted(violates))
        raise failure


@pytest.mark.req("FRM-9", "ERR-6", "APP-STORE-3", "FRM-14", "ERR-1")
@pytest.mark.parametrize(("lie", "owed"), _CASES)
def test_client_refuses_an_answer_with_members_of_the_wrong_type(
    eke_target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    lie: lies.Lie,
    owed: str,
    request: pytest.FixtureRequest,
) -> None:
    """A get's RSFL (or DONE) with a member missing or of another JSON type: the client
    answers the EROR FRM-9 names, fails the get, and prints no stack trace."""
    skip_slow_variant(request)
    case, server = lies._run_lie(eke_target, tmp_path, transcripts, lie)
    _judge(
        case,
        server,
        owed,
        f"FRM-9: {request.node.callspec.id}: the server's answer has a member missing or of "
        "another JSON type",
    )
