"""What an sft-eke/1 CLIENT sends after a fatal `EROR` — its own or the server's — and
after a `BYE_` where the server owes an answer: nothing but what the SPEC names (ERR-3,
ERR-4, FRM-6, APP-BYE-1).

- ERR-3: "A fatal `EROR` is the last thing its sender writes before the close: nothing
  follows it". A client whose close path always says goodbye (a `finally: bye()`) writes
  a `BYE_` after its own `EROR integrity_failed` or `unexpected_frame`: "fatal" read as
  closing only for an `EROR` received.
- FRM-6 / APP-BYE-1: a `BYE_` is a request of the initiator; one in place of the answer to
  `RQFL` or `PUTF` is a defined frame not allowed in that state: `unexpected_frame`
  (fatal). A client that takes it for "the server is leaving" closes in silence.
- ERR-4: the code decides "at any point of a connection". Two places the record-phase
  get path does not reach: the answer to `PUTF` (a put path with its own reader that looks
  an unknown code up by its `name`, `{code 99, name exists}` becoming a non-fatal refusal
  after which the client stays and says `BYE_`), and the login (an unknown code skipped as
  informational, the `EKE2` after it answered `EKE3`).

Every wait is bounded (a few frames, 2 s). The client is launched from `--client-cmd`
(and `--client-put-cmd` for puts; embedded run: the reference's `sft eke get/put`).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from conformance import eke
from conformance import test_client_put as puts
from conformance import test_eke_client_transfer as lies
from conformance.eke_hostile import (
    ServerView,
    client_user,
    eke_pw,
    frames_until_close,
    fresh_password,
    read_frame,
    read_inner,
    run_case,
)
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.wire import ConformanceFailure, RawConnection, ReceivedFrame, control

pytestmark = [
    pytest.mark.profile("eke"),
    pytest.mark.side("initiator"),
    pytest.mark.xdist_group("eke-client"),
]

_WATCH = 2.0  # the client's reaction: frames until its close, bounded in time and count
_FRAMES = 8


def _watch(s: lies.LyingServer) -> list[ReceivedFrame]:
    """What the client sends after the lie, until its close or _WATCH seconds."""
    return frames_until_close(lambda left: read_inner(s.channel, s.view, left), _WATCH, _FRAMES)


def _shown(frames: list[ReceivedFrame]) -> str:
    return ", ".join(f.describe(60) for f in frames) or "nothing"


# ---------------------------------------------------------------- its own fatal EROR


def _bad_digest(s: lies.LyingServer) -> None:
    s.rsfl()
    s.data(lies.CONTENT)
    s.done(sha256="0" * 64)  # the bytes' digest is another: integrity_failed


def _undefined_type(s: lies.LyingServer) -> None:
    s.rsfl()
    s.frame("NOOP", control({}))  # an undefined type: unexpected_frame [FRM-5]


_OWN = {
    "integrity_failed": _bad_digest,
    "unexpected_frame": _undefined_type,
}


@pytest.mark.req("ERR-3")
@pytest.mark.parametrize("owed", list(_OWN))
def test_client_writes_nothing_after_its_own_fatal_eror(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook, owed: str
) -> None:
    """A get the client must end with its own EROR {owed}: that EROR is the last frame it
    writes — no BYE_ after it — and the get fails."""
    box: dict[str, list[ReceivedFrame]] = {}

    def lie(s: lies.LyingServer) -> None:
        _OWN[owed](s)
        box["after"] = _watch(s)
        s.close()

    case, server = lies._run_lie(eke_target, tmp_path, transcripts, lie)
    lies._judge_failed_get(case, f"a get the client must end with EROR {owed}", server=server)
    sent = box.get("after", [])
    erors = [i for i, f in enumerate(sent) if f.type == b"EROR"]
    if not erors:
        return  # it closed without its EROR: judged by the files citing that code's rule
    later = sent[erors[0] + 1 :]
    if later:
        raise ConformanceFailure.evidence(
            f"ERR-3: the client ended a get with its own fatal EROR ({owed})",
            "the EROR is the last thing it writes before the close: nothing follows it, "
            "not a BYE_",
            f"after its EROR it sent {_shown(later)}",
            "a close path that always says BYE_: 'fatal' read as closing only for an EROR "
            "received",
        )


# ---------------------------------------------------------------- BYE_ owed an answer


@pytest.mark.req("FRM-6", "APP-BYE-1")
def test_client_answers_bye_in_place_of_rsfl_unexpected_frame(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    """RQFL answered by BYE_ (a request of the initiator, not an answer): the client
    answers EROR unexpected_frame (fatal), sends nothing after it, and the get fails."""
    box: dict[str, list[ReceivedFrame]] = {}

    def lie(s: lies.LyingServer) -> None:
        s.frame("BYE_", control({}))
        box["after"] = _watch(s)
        s.close()

    case, server = lies._run_lie(eke_target, tmp_path, transcripts, lie)
    lies._judge_failed_get(case, "RQFL answered BYE_", server=server, own=("FRM-6",))
    sent = box.get("after", [])
    first = sent[0] if sent else None
    if first is None or first.error_name != "unexpected_frame" or len(sent) > 1:
        raise ConformanceFailure.evidence(
            "FRM-6 / APP-BYE-1: the server answered the client's RQFL with BYE_",
            "BYE_ is not allowed in that state: the client answers EROR unexpected_frame "
            "(fatal) and closes, sending nothing after it",
            f"the client sent {_shown(sent)} before its close",
            "a BYE_ taken for the server leaving: the connection closed in silence",
        )


def _serve_after_putf(payload_type: str, payload: bytes) -> puts.Serve:
    def serve(channel: Any, seen: puts.PutSeen, answer: puts.Answer, name: str) -> None:
        first = puts._next(channel, seen, puts.READ_TIMEOUT)
        if first is None or first.type != b"PUTF":
            seen.ended = seen.ended or "no PUTF"
            return
        seen.putf_raw = first.payload[:200].decode("utf-8", "replace")
        seen.putf = first.json()
        channel.send_frame(payload_type, payload)
        seen.answered = f"{payload_type} {payload[:80]!r}"
        end = time.monotonic() + _WATCH
        for _ in range(_FRAMES):  # like puts._drain, without answering a BYE_
            event = channel.recv_frame(end)
            if not isinstance(event, ReceivedFrame):
                seen.ended = event.describe()
                return
            seen.after.append(event)

    return serve


_PUT_ANSWERS = {
    "bye": ("BYE_", control({})),
    "code-99-named-exists": (
        "EROR",
        control({"code": 99, "name": "exists", "message": "suite: refused"}),
    ),
    "code-1000-named-forbidden": (
        "EROR",
        control({"code": 1000, "name": "forbidden", "message": "suite: refused"}),
    ),
}


@pytest.mark.req("ERR-4", "FRM-6", "APP-BYE-1")
@pytest.mark.parametrize(
    "label",
    [
        pytest.param(label, marks=pytest.mark.slow) if "1000" in label else label
        for label in _PUT_ANSWERS
    ],
)
def test_client_put_answered_by_a_frame_that_ends_it(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook, label: str
) -> None:
    """PUTF answered by BYE_ (the client owes EROR unexpected_frame, then nothing) or by an
    EROR of an unknown code named like a refusal (internal, fatal: nothing after it, no
    BYE_, no DATA); the put fails either way."""
    frame_type, payload = _PUT_ANSWERS[label]
    put = puts._run_put(
        eke_target,
        tmp_path,
        transcripts,
        puts.Answer(),
        puts._content(4096),
        serve=_serve_after_putf(frame_type, payload),
    )
    if not put.seen.answered:
        return  # the client's put never reached its PUTF: judged by test_client_put.py
    sent = put.seen.after
    problems: puts.Problems = []
    if frame_type == "BYE_":
        requirement = "FRM-6"
        first = sent[0] if sent else None
        if first is None or first.error_name != "unexpected_frame" or len(sent) > 1:
            text = (
                f"PUTF answered BYE_: the client sent {_shown(sent)} (owed: EROR "
                "unexpected_frame, then nothing)"
            )
            problems += [(requirement, text), ("APP-BYE-1", "BYE_ is no answer to PUTF")]
    else:
        requirement = "ERR-4"
        if sent:
            problems.append(
                (
                    requirement,
                    f"PUTF answered {label} (not in ERR-2's table: internal, fatal): the "
                    f"client then sent {_shown(sent)} — the code read by its name",
                )
            )
    if put.run.succeeded or put.run.timed_out:
        problems.append(
            (requirement, f"after {label} the client {put.run.success_evidence()}")
        )
    puts._fail(put, problems, f"a PUTF answered {label}")


# ---------------------------------------------------------------- the login's EROR


@pytest.mark.req("ERR-4", "ERR-3")
@pytest.mark.parametrize(
    "code",
    [99, pytest.param(0, marks=pytest.mark.slow), pytest.param(1000, marks=pytest.mark.slow)],
)
def test_client_login_ends_at_an_unknown_code(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook, code: int
) -> None:
    """EKE1 answered EROR {{code: {code}}} (not in the table: internal, fatal), then an honest
    EKE2: the client must not go on with EKE3 — it processes no frame after the EROR."""
    box: dict[str, list[str]] = {"after": []}

    def behaviour(raw: RawConnection, view: ServerView) -> None:
        event = read_frame(raw, view, _WATCH)
        if not isinstance(event, ReceivedFrame) or event.type != b"EKE1":
            return
        box["eke1"] = ["seen"]
        server = eke.ServerHandshake(pw=pw)
        eke2 = server.on_eke1(event.json() or {})
        raw.send_frame(
            b"EROR", control({"code": code, "name": "ok", "message": "suite: status"})
        )
        raw.send_frame(b"EKE2", eke2)
        after = frames_until_close(lambda left: read_frame(raw, view, left), _WATCH, _FRAMES)
        box["after"].extend(f.type_text for f in after)

    password = fresh_password()
    pw = eke_pw(client_user(eke_target), password)
    case = run_case(
        eke_target, tmp_path, transcripts, behaviour, name="login-code.bin", password=password
    )
    if "eke1" not in box:
        raise RuntimeError(f"the client sent no EKE1 (is --client-cmd right?)\n{case.describe()}")
    result = case.result
    problems = []
    if "EKE3" in box["after"]:
        problems.append(f"it answered the EKE2 after it with EKE3 (then sent {box['after']})")
    if result.succeeded or result.kept_file:
        problems.append("the get succeeded")
    if problems:
        failure = ConformanceFailure.evidence(
            f"ERR-4: EKE1 answered EROR code {code} (not in ERR-2's table), then an honest EKE2",
            "the code is internal, fatal: the login ends, the client processes no frame "
            "after it (no EKE3) and the get fails",
            "; ".join(problems) + " (an unknown code skipped as informational)",
            note=case.describe(),
        )
        failure.violates = ("ERR-4",)
        raise failure


@pytest.mark.req("ERR-4", "ERR-3")
def test_client_login_ends_at_an_unknown_code_before_eke4(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    """EKE3 answered EROR {code: 99} (not in the table: internal, fatal), then an honest
    EKE4: the client must not take the login as done — no record (its request) follows."""
    box: dict[str, list[str]] = {"after": []}

    def behaviour(raw: RawConnection, view: ServerView) -> None:
        event = read_frame(raw, view, _WATCH)
        if not isinstance(event, ReceivedFrame) or event.type != b"EKE1":
            return
        server = eke.ServerHandshake(pw=pw)
        raw.send_frame(b"EKE2", server.on_eke1(event.json() or {}))
        event = read_frame(raw, view, _WATCH)
        if not isinstance(event, ReceivedFrame) or event.type != b"EKE3":
            return
        box["eke3"] = ["seen"]
        eke4 = server.on_eke3(event.json() or {})
        raw.send_frame(b"EROR", control({"code": 99, "name": "ok", "message": "suite: status"}))
        raw.send_frame(b"EKE4", eke4)
        after = frames_until_close(lambda left: read_frame(raw, view, left), _WATCH, _FRAMES)
        box["after"].extend(f.type_text for f in after)

    password = fresh_password()
    pw = eke_pw(client_user(eke_target), password)
    case = run_case(
        eke_target, tmp_path, transcripts, behaviour, name="login-code4.bin", password=password
    )
    if "eke3" not in box:
        raise RuntimeError(f"the client sent no EKE3 (is --client-cmd right?)\n{case.describe()}")
    records = [t for t in box["after"] if t == "RECD"]
    if records or case.result.succeeded or case.result.kept_file:
        failure = ConformanceFailure.evidence(
            "ERR-4: EKE3 answered EROR code 99 (not in ERR-2's table), then an honest EKE4",
            "the code is internal, fatal: the login ends, the client processes no frame after "
            "it (the EKE4 opens no record phase) and the get fails",
            f"the client then sent {box['after'] or 'nothing'}; the get "
            f"{'succeeded' if case.result.succeeded else 'failed'}",
            note=case.describe(),
        )
        failure.violates = ("ERR-4",)
        raise failure
