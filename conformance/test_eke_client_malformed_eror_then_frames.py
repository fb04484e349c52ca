"""ERR-8 for an sft-eke/1 CLIENT: a malformed `EROR` still ends the connection, and the
client "MUST NOT process any further frame of that connection (a malformed `EROR` is never
ignored as if it had not come)".

A client's record reader that parses an `EROR` inside a `try` and, when the payload does
not parse (not JSON, not an object, a `code` that is not an integer of FRM-11's range),
logs it and reads the next record ("a garbled error from the server is noise") passes every
case that only watches what the client sends after the `EROR` and then closes: the get
fails anyway when the connection ends. Here the lying server goes on after the malformed
`EROR` as an honest one would — the rest of the get (`RSFL`, every `DATA`, `DONE`) — so a
client that skipped the `EROR` completes the get. The malformed `EROR` comes where the
`RSFL` belongs, among the `DATA` and just before the `DONE`; its malformations are those of
ERR-8 and FRM-11 (not JSON, an array, no `code`, a string, a fraction, `true`, one past
2^63 − 1, a negative code). The login has the same rule and a reader of its own: a clear
malformed `EROR` where the `EKE2` or the `EKE4` belongs, then the honest frame — a client
that skipped it answers the `EKE2` with `EKE3`, or sends its request after the `EKE4`.

Verdict: the get fails, no file is kept, and the client sends nothing after the `EROR`
but at most its own `EROR bad_frame` (ERR-8: it MAY answer, or close without answering);
never a `BYE_`, never an answer to the frames behind the `EROR`. Every wait is bounded
(2 s of watching, a few frames). The client is launched from `--client-cmd`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path

import pytest

from conformance import eke
from conformance import test_eke_client_transfer as lies
from conformance.eke_hostile import (
    ServerView,
    client_user,
    eke_pw,
    frames_until_close,
    fresh_password,
    read_frame,
    run_case,
)
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.test_eke_client_farewell_frames import _shown, _watch
from conformance.wire import ConformanceFailure, RawConnection, ReceivedFrame, control

__all__: list[str] = []

pytestmark = [
    pytest.mark.profile("eke"),
    pytest.mark.side("initiator"),
    pytest.mark.xdist_group("eke-client"),
]

_HALF = lies.SIZE // 2
_WATCH = 2.0  # how long the login cases watch what the client sends after the EROR
_FRAMES = 8

# ERR-8's and FRM-11's malformed EROR payloads (each breaks FRM-9 or FRM-11).
_MALFORMED: dict[str, bytes] = {
    "not-json": b'{"code": 6, "name": "not_found", "message": "suite',
    "array": b'[6, "not_found", "suite: none"]',
    "no-code": control({"name": "not_found", "message": "suite: none"}),
    "code-string": control({"code": "6", "name": "not_found", "message": "suite: none"}),
    "code-fraction": b'{"code": 6.0, "name": "not_found", "message": "suite: none"}',
    "code-true": control({"code": True, "name": "not_found", "message": "suite: none"}),
    "code-2^63": control({"code": 2**63, "name": "not_found", "message": "suite: none"}),
    "code-negative": control({"code": -6, "name": "not_found", "message": "suite: none"}),
}


def _answer(s: lies.LyingServer, eror: bytes) -> None:
    s.frame("EROR", eror)
    s.rsfl(sha256=lies.DIGEST)
    s.data(lies.CONTENT)
    s.done()


def _mid_data(s: lies.LyingServer, eror: bytes) -> None:
    s.rsfl(sha256=lies.DIGEST)
    s.data(lies.CONTENT[:_HALF])
    s.frame("EROR", eror)
    s.data(lies.CONTENT[_HALF:])
    s.done()


def _before_done(s: lies.LyingServer, eror: bytes) -> None:
    s.rsfl(sha256=lies.DIGEST)
    s.data(lies.CONTENT)
    s.frame("EROR", eror)
    s.done()


_POINTS: dict[str, Callable[[lies.LyingServer, bytes], None]] = {
    "instead-of-rsfl": _answer,
    "among-data": _mid_data,
    "before-done": _before_done,
}

# A default tier of four (syntax, range and a missing code; where the RSFL belongs,
# among the DATA and before the DONE: a client's data loop reads EROR apart from its
# answer reader; the login cases below add a type one); the rest is slow.
_DEFAULT = {
    ("instead-of-rsfl", "not-json"),
    ("among-data", "no-code"),
    ("before-done", "not-json"),
    ("before-done", "code-2^63"),
}
_CASES = [
    pytest.param(
        point,
        kind,
        id=f"{point}-{kind}",
        marks=() if (point, kind) in _DEFAULT else pytest.mark.slow,
    )
    for point in _POINTS
    for kind in _MALFORMED
]


@pytest.mark.req("ERR-8")
@pytest.mark.parametrize(("point", "kind"), _CASES)
def test_client_processes_nothing_after_a_malformed_eror(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook, point: str, kind: str
) -> None:
    """A malformed EROR ({kind}, {point}) followed by the honest rest of the get: the get
    fails, and the client sends at most EROR bad_frame after it."""
    box: dict[str, list[ReceivedFrame]] = {}

    def serve(s: lies.LyingServer) -> None:
        # The frames behind the EROR are sent whatever the client does meanwhile: one that
        # closed at the EROR makes these sends fail, which is its right.
        with contextlib.suppress(OSError):
            _POINTS[point](s, _MALFORMED[kind])
        box["after"] = _watch(s)
        s.close()

    case, _server = lies._run_lie(eke_target, tmp_path, transcripts, serve)
    sent = box.get("after", [])
    allowed = 1 if sent and sent[0].type == b"EROR" and sent[0].error_name == "bad_frame" else 0
    problems = []
    if case.result.succeeded or case.result.kept_file:
        problems.append(
            "the get succeeded: the frames behind the malformed EROR were processed"
            f" ({case.result.describe()})"
        )
    if sent[allowed:]:
        problems.append(f"after the EROR it sent {_shown(sent)}")
    if problems:
        failure = ConformanceFailure.evidence(
            f"ERR-8: a malformed EROR ({kind}) {point.replace('-', ' ')} ends the connection",
            "the client processes no further frame (the honest rest of the get that follows"
            " it), the get fails, and it sends at most EROR bad_frame",
            "; ".join(problems) + " (the malformed EROR was skipped as if it had not come)",
            note=case.describe(),
        )
        failure.violates = ("ERR-8",)
        raise failure


# ---------------------------------------------------------------- in the login


_LOGIN_CASES = [
    pytest.param("EKE2", "not-json", id="before-eke2-not-json"),
    pytest.param("EKE4", "code-string", id="before-eke4-code-string"),
    pytest.param("EKE2", "code-fraction", id="before-eke2-code-fraction", marks=pytest.mark.slow),
    pytest.param("EKE2", "no-code", id="before-eke2-no-code", marks=pytest.mark.slow),
    pytest.param("EKE4", "code-2^63", id="before-eke4-code-2^63", marks=pytest.mark.slow),
    pytest.param("EKE4", "array", id="before-eke4-array", marks=pytest.mark.slow),
]


@pytest.mark.req("ERR-8")
@pytest.mark.parametrize(("before", "kind"), _LOGIN_CASES)
def test_client_login_goes_no_further_after_a_malformed_eror(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook, before: str, kind: str
) -> None:
    """A clear malformed EROR ({kind}) right before an honest {before}: the client goes no
    further (no EKE3 for that EKE2, no record after that EKE4), sends at most EROR
    bad_frame, and the get fails."""
    box: dict[str, list[ReceivedFrame]] = {}
    eror = _MALFORMED[kind]

    def behaviour(raw: RawConnection, view: ServerView) -> None:
        event = read_frame(raw, view, _WATCH)
        if not isinstance(event, ReceivedFrame) or event.type != b"EKE1":
            return
        server = eke.ServerHandshake(pw=pw)
        eke2 = server.on_eke1(event.json() or {})
        with contextlib.suppress(OSError):
            if before == "EKE2":
                raw.send_frame(b"EROR", eror)
                raw.send_frame(b"EKE2", eke2)
            else:
                raw.send_frame(b"EKE2", eke2)
                event = read_frame(raw, view, _WATCH)
                if not isinstance(event, ReceivedFrame) or event.type != b"EKE3":
                    return
                eke4 = server.on_eke3(event.json() or {})
                raw.send_frame(b"EROR", eror)
                raw.send_frame(b"EKE4", eke4)
        box["after"] = frames_until_close(lambda left: read_frame(raw, view, left), _WATCH, _FRAMES)

    password = fresh_password()
    pw = eke_pw(client_user(eke_target), password)
    case = run_case(
        eke_target, tmp_path, transcripts, behaviour, name="garbled.bin", password=password
    )
    if "after" not in box:
        raise RuntimeError(
            f"the client never reached the {before} of this case (is --client-cmd right?)\n"
            f"{case.describe()}"
        )
    sent = box["after"]
    allowed = 1 if sent and sent[0].type == b"EROR" and sent[0].error_name == "bad_frame" else 0
    problems = []
    if sent[allowed:]:
        problems.append(f"after the EROR it sent {_shown(sent)}")
    if case.result.succeeded or case.result.kept_file:
        problems.append(f"the get succeeded ({case.result.describe()})")
    if problems:
        failure = ConformanceFailure.evidence(
            f"ERR-8: a clear malformed EROR ({kind}) right before an honest {before}",
            "a malformed EROR ends the connection in the login too: the client processes no"
            f" further frame (no answer to that {before}), sends at most EROR bad_frame, and"
            " the get fails",
            "; ".join(problems) + " (the malformed EROR was skipped as if it had not come)",
            note=case.describe(),
        )
        failure.violates = ("ERR-8",)
        raise failure
