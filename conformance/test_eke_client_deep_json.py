"""An sft-eke/1 CLIENT takes valid JSON nested deeply in stride (SPEC FRM-9).

FRM-9: "Valid JSON nested deeply (arrays or objects thousands of levels deep) is not
malformed: a receiver MAY limit the nesting depth (RFC 8259 §9) and answer a deeper
payload `bad_frame`, or parse it and ignore the members its schema does not define
(FRM-10); both are conforming, a crash or an `internal` answer is not." A client is a
receiver of every control payload the server sends it. Recursive-descent parsers run out
of stack at a depth the language picks (CPython's json at about 1 000 levels, a
RecursionError; Node's JSON.parse in the thousands, a RangeError; a hand-written
recursive walk for duplicate keys wherever it recurses), and the error that comes out is
not the parser's usual syntax error: a handler written for that one lets it through (a
traceback, a close without EROR), a catch-all answers `internal`, a handler that takes
depth for size answers `frame_too_large`.

The suite (an honest server that knows the password) puts an unknown member holding
arrays or objects nested N deep (N = 1 500, just past CPython's limit; the slow variants
go to 30 000, within FRM-8's 64 KiB) into one control payload the client must parse:

* `EKE2` (the login's parser), then completes the login and serves the get honestly;
* `RSFL` answering the get, followed by the file's bytes and an honest `DONE`;
* the get's `DONE` (slow), after an honest `RSFL` and the bytes.

Either reading passes: the client refuses the payload with `EROR bad_frame` (sealed in a
record after the login; in clear during it), its get fails and nothing is kept; or it
parses the payload, ignores the member, and the get succeeds with the file byte for byte.
Anything else fails FRM-9: a close without EROR, another code (`internal`,
`frame_too_large`, `auth_failed`), or a stack trace on the client's output.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance import eke
from conformance import test_eke_client_transfer as lies
from conformance.eke_channel import EkeChannel
from conformance.eke_hostile import (
    Behaviour,
    ClientCase,
    ServerView,
    client_user,
    eke_pw,
    read_frame,
    run_case,
    serve_records,
    skip_slow_variant,
)
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.wire import (
    ConformanceFailure,
    Event,
    RawConnection,
    ReceivedFrame,
    control,
    frame_bytes,
)

pytestmark = [
    pytest.mark.profile("eke"),
    pytest.mark.side("initiator"),
    pytest.mark.xdist_group("eke-client"),
]

_TIMEOUT = 5.0
_CONTROL_LIMIT = 65_536  # FRM-8: the payloads stay within it (depth, not size, is the point)
# What a crashed client leaves on its output (Python, Node.js, Java, Go, a C++ runtime).
_TRACE_MARKERS = (
    "Traceback (most recent call last)",
    "RecursionError",
    "Maximum call stack size exceeded",
    "StackOverflowError",
    "Exception in thread",
    "goroutine ",
    "panic: ",
    "stack overflow",
)


def _nested(depth: int, kind: str) -> bytes:
    """Valid JSON nested `depth` levels: arrays `[[...]]` or objects `{"a":{"a":...1}}`."""
    if kind == "arrays":
        return b"[" * depth + b"]" * depth
    return b'{"a":' * depth + b"1" + b"}" * depth


def _with_deep_member(payload: bytes, depth: int, kind: str) -> bytes:
    """`payload` (a JSON object) with one more member, unknown to every schema (FRM-10),
    holding the nested value."""
    assert payload.endswith(b"}") and len(payload) > 2
    out = payload[:-1] + b',"x-deep":' + _nested(depth, kind) + b"}"
    assert len(out) <= _CONTROL_LIMIT, "suite: a deep payload must stay within FRM-8"
    return out


def _trace(stderr: str) -> str | None:
    for marker in _TRACE_MARKERS:
        if marker in stderr:
            return marker
    return None


def _judge(
    case: ClientCase,
    reaction: Event | None,
    what: str,
    *,
    violations: list[str] | None = None,
) -> None:
    """bad_frame and a failed get with nothing kept, or a completed get: nothing else."""
    result = case.result
    refused = isinstance(reaction, ReceivedFrame) and reaction.type == b"EROR"
    kept_right = result.kept_file and result.out.read_bytes() == lies.CONTENT
    if refused:
        assert isinstance(reaction, ReceivedFrame)
        ok = (
            reaction.error_name == "bad_frame"
            and not result.succeeded
            and not result.kept_file
            and not case.leftovers
        )
    else:
        ok = result.succeeded and kept_right and not case.leftovers
    problems: list[str] = []
    if not ok:
        shown = reaction.describe() if reaction is not None else "nothing"
        problems.append(
            f"its answer was {shown}; {result.describe()}; other files {case.leftovers}"
        )
    marker = _trace(result.stderr)
    if marker is not None:
        tail = result.stderr.strip().splitlines()[-3:]
        problems.append(f"a stack trace on the client's output ({marker!r}): {tail}")
    if violations:
        problems.append(f"sent in clear or unauthenticated: {violations}")
    if problems:
        raise ConformanceFailure.evidence(
            what,
            "EROR bad_frame and a failed get (nothing kept), or the member ignored and the "
            "get completed byte for byte — no crash, no `internal`, no other code",
            "; ".join(problems),
            note=case.describe(),
        )


# -------------------------------------------------------------- in the record phase


def _deep_rsfl(depth: int, kind: str) -> lies.Lie:
    def lie(s: lies.LyingServer) -> None:
        rsfl = control({"name": lies.NAME, "size": lies.SIZE, "sha256": lies.DIGEST})
        s.frame("RSFL", _with_deep_member(rsfl, depth, kind))
        s.data(lies.CONTENT)
        s.done()
        s.await_reaction()

    return lie


def _deep_done(depth: int, kind: str) -> lies.Lie:
    def lie(s: lies.LyingServer) -> None:
        s.rsfl(sha256=lies.DIGEST)
        s.data(lies.CONTENT)
        done = control({"size": lies.SIZE, "sha256": lies.DIGEST})
        s.frame("DONE", _with_deep_member(done, depth, kind))
        s.await_reaction()

    return lie


_RECORD_CASES = [
    pytest.param(_deep_rsfl(1_500, "arrays"), id="rsfl-arrays-1500"),
    pytest.param(_deep_rsfl(10_000, "objects"), id="rsfl-objects-10000", marks=pytest.mark.slow),
    pytest.param(_deep_rsfl(30_000, "arrays"), id="rsfl-arrays-30000", marks=pytest.mark.slow),
    pytest.param(_deep_done(1_500, "arrays"), id="done-arrays-1500", marks=pytest.mark.slow),
]


@pytest.mark.req("FRM-9")
@pytest.mark.parametrize("lie", _RECORD_CASES)
def test_client_survives_deep_json_in_a_record(
    eke_target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    lie: lies.Lie,
    request: pytest.FixtureRequest,
) -> None:
    """An RSFL (or DONE) of the get carries an unknown member nested deeply: the client
    refuses it `bad_frame` or ignores it, and never crashes."""
    skip_slow_variant(request)
    case, server = lies._run_lie(eke_target, tmp_path, transcripts, lie)
    _judge(
        case,
        server.reaction,
        f"FRM-9: {request.node.callspec.id}: valid JSON nested deeply in an unknown member",
        violations=server.channel.violations,
    )


# -------------------------------------------------------------- in the login


def _deep_eke2(pw: bytes, depth: int, kind: str, box: dict[str, Event]) -> Behaviour:
    def behaviour(raw: RawConnection, view: ServerView) -> None:
        event = read_frame(raw, view, _TIMEOUT)
        if not isinstance(event, ReceivedFrame) or event.type != b"EKE1":
            return
        server = eke.ServerHandshake(pw=pw)
        eke2 = server.on_eke1(event.json() or {})
        raw.send_raw(frame_bytes("EKE2", _with_deep_member(control(eke2), depth, kind)))
        event = read_frame(raw, view, _TIMEOUT)
        box["reaction"] = event
        if not isinstance(event, ReceivedFrame) or event.type != b"EKE3":
            return
        try:
            eke4 = server.on_eke3(event.json() or {})
        except eke.EkeError:
            return
        raw.send_frame(b"EKE4", eke4)
        assert server.keys is not None
        sender, receiver = server.record_layer()
        channel = EkeChannel(raw, server.keys, sender, receiver, role="server")
        serve_records(channel, view, {lies.NAME: lies.CONTENT}, _TIMEOUT)

    return behaviour


@pytest.mark.req("FRM-9")
@pytest.mark.parametrize(
    ("depth", "kind"),
    [
        pytest.param(1_500, "arrays", id="eke2-arrays-1500"),
        pytest.param(30_000, "arrays", id="eke2-arrays-30000", marks=pytest.mark.slow),
    ],
)
def test_client_survives_deep_json_in_the_login(
    eke_target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    depth: int,
    kind: str,
    request: pytest.FixtureRequest,
) -> None:
    """EKE2 carries an unknown member nested deeply: the client answers `EROR bad_frame`
    (in clear) and fails, or ignores it, sends EKE3 and completes the get."""
    skip_slow_variant(request)
    password = lies._PASSWORD
    pw = eke_pw(client_user(eke_target), password)
    box: dict[str, Event] = {}
    case = run_case(
        eke_target,
        tmp_path,
        transcripts,
        _deep_eke2(pw, depth, kind, box),
        name=lies.NAME,
        password=password,
    )
    reaction = box.get("reaction")
    if isinstance(reaction, ReceivedFrame) and reaction.type == b"EKE3":
        reaction = None  # parsed: the get's outcome decides
    _judge(
        case,
        reaction,
        f"FRM-9: {request.node.callspec.id}: EKE2 with valid JSON nested deeply in an "
        "unknown member",
    )
