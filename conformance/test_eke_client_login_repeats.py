"""An sft-eke/1 CLIENT takes each login frame once, in order, and in the one spelling §1
gives it (SPEC EKE-HS-9, FRM-12).

The suite plays a server that knows the password and answers the client's login with one
twist, the rest honest:

* [EKE-HS-9] after the client's EKE3, a second copy of the honest EKE2 and then the
  honest EKE4 (one write). EKE2 is a frame of the login, but not in the state "awaiting
  EKE4": `unexpected_frame`. A client that skips it as a retransmission ("the server
  resent it, nothing new") completes the login on the EKE4 behind it. Also EKE4 twice
  (slow variant): the first completes the login, the second is a frame outside the
  record protocol and comes in clear after EKE4.
* [FRM-12] the honest EKE2 (or EKE4) with its hex members in upper case. The byte
  strings of the login are lowercase hex: a reader that decodes with a lenient hex
  decoder (`bytes.fromhex`, `Buffer.from(s, "hex")`, `hex.DecodeString` ...) without the
  format check reads the same bytes and goes on with the login.

A conforming client refuses the frame: it says `EROR` (`unexpected_frame`, `bad_frame` or
`auth_failed` — the failed login of EKE-HS-4 — as FRM-16 allows) or closes, never goes a
step further in the login (no EKE3 after a bad EKE2, no record after a bad EKE4), and its
get fails (non-zero exit, nothing under the final name).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from conformance import eke
from conformance.eke_hostile import (
    ServerView,
    client_user,
    eke_pw,
    fresh_password,
    read_frame,
    run_case,
    skip_slow_variant,
)
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.wire import (
    ConformanceFailure,
    Event,
    RawConnection,
    ReceivedFrame,
    TimedOut,
    control,
    deadline_after,
    frame_bytes,
)

pytestmark = [
    pytest.mark.profile("eke"),
    pytest.mark.side("initiator"),
    pytest.mark.xdist_group("eke-client"),
]

_NAME = "offered.txt"
_TIMEOUT = 5.0
_ANSWER_WITHIN = 3.0  # how long the suite reads what the client does after the twist
_PASSWORD = fresh_password()


def _upper(obj: dict[str, str]) -> dict[str, str]:
    return {key: value.upper() for key, value in obj.items()}


# label: (the step the twist replaces, what is sent in its place from (eke2, eke4) — eke4
# is None at the EKE2 step —, the codes a refusing client may send, requirement, slow)
Twist = Callable[[dict[str, str], dict[str, str] | None], bytes]
_CASES: dict[str, tuple[str, Twist, tuple[str, ...], str, bool]] = {
    "eke2-again-then-eke4": (
        "EKE4",
        lambda eke2, eke4: (
            frame_bytes("EKE2", control(eke2)) + frame_bytes("EKE4", control(eke4 or {}))
        ),
        ("unexpected_frame", "bad_frame"),
        "EKE-HS-9",
        False,
    ),
    "eke2-upper-case-hex": (
        "EKE2",
        lambda eke2, _eke4: frame_bytes("EKE2", control(_upper(eke2))),
        ("bad_frame", "auth_failed"),
        "FRM-12",
        False,
    ),
    "eke2-c-only-upper-case-hex": (
        "EKE2",
        lambda eke2, _eke4: frame_bytes("EKE2", control({**eke2, "c": eke2["c"].upper()})),
        ("bad_frame", "auth_failed"),
        "FRM-12",
        True,
    ),
    "eke4-upper-case-hex": (
        "EKE4",
        lambda _eke2, eke4: frame_bytes("EKE4", control(_upper(eke4 or {}))),
        ("bad_frame", "auth_failed"),
        "FRM-12",
        True,
    ),
}


def _answer(raw: RawConnection, view: ServerView, seconds: float) -> Event:
    event = raw.recv_frame(deadline_after(seconds))
    if isinstance(event, ReceivedFrame):
        view.frames.append(event.describe(80))
    elif not isinstance(event, TimedOut):
        view.ended = event.describe()
    return event


@pytest.mark.parametrize(
    "label",
    [
        pytest.param(
            label,
            marks=[pytest.mark.req(spec[3]), *([pytest.mark.slow] if spec[4] else [])],
            id=label,
        )
        for label, spec in _CASES.items()
    ],
)
def test_client_refuses_a_repeated_or_respelled_login_frame(
    eke_target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    label: str,
    request: pytest.FixtureRequest,
) -> None:
    """The twist of `label` (module docstring) in the login: the client refuses it (EROR
    of an allowed code, or the close), goes no step further, and its get fails."""
    skip_slow_variant(request)
    step, twist, codes, requirement, _slow = _CASES[label]
    pw = eke_pw(client_user(eke_target), _PASSWORD)
    seen: dict[str, object] = {}

    def behaviour(raw: RawConnection, view: ServerView) -> None:
        event = read_frame(raw, view, _TIMEOUT)
        if not isinstance(event, ReceivedFrame) or event.type != b"EKE1":
            return
        server = eke.ServerHandshake(pw=pw)
        eke2 = {k: str(v) for k, v in server.on_eke1(event.json() or {}).items()}
        eke4: dict[str, str] | None = None
        if step == "EKE4":
            raw.send_frame(b"EKE2", eke2)
            event = read_frame(raw, view, _TIMEOUT)
            if not isinstance(event, ReceivedFrame) or event.type != b"EKE3":
                seen["no_eke3"] = event.describe()
                return
            try:
                eke4 = {k: str(v) for k, v in server.on_eke3(event.json() or {}).items()}
            except eke.EkeError as exc:
                seen["no_eke3"] = f"an EKE3 that does not verify ({exc})"
                return
        seen["sent"] = True
        raw.send_raw(twist(eke2, eke4))
        answer = _answer(raw, view, _ANSWER_WITHIN)
        seen["answer"] = answer
        # What the client sends next, up to its close (bounded): a further login step.
        end = time.monotonic() + _ANSWER_WITHIN
        for _ in range(4):
            if not isinstance(answer, ReceivedFrame):
                break
            answer = _answer(raw, view, max(0.0, end - time.monotonic()))

    case = run_case(
        eke_target,
        tmp_path,
        transcripts,
        behaviour,
        name=_NAME,
        password=_PASSWORD,
        timeout=_TIMEOUT,
    )
    if "sent" not in seen:
        raise RuntimeError(
            f"the client under test did not log in up to {step} "
            f"({seen.get('no_eke3', 'no EKE1')})\n{case.describe()}"
        )
    answer = seen["answer"]
    problems = []
    went_on = "EKE3" if step == "EKE2" else "RECD"
    if case.view.saw(went_on) or (step == "EKE2" and case.view.saw("RECD")):
        problems.append(f"it went on with the login (sent {went_on})")
    if isinstance(answer, ReceivedFrame) and answer.type == b"EROR":
        if answer.error_name not in codes:
            problems.append(f"it answered {answer.describe(80)}, not {' or '.join(codes)}")
    elif isinstance(answer, ReceivedFrame):
        problems.append(f"it answered {answer.describe(80)}")
    if case.result.returncode is None:
        problems.append("the client did not end")
    elif case.result.succeeded:
        problems.append("it reported success")
    if case.result.kept_file:
        problems.append("it kept a file")
    if problems:
        raise ConformanceFailure.evidence(
            f"{requirement}: in the login, {label.replace('-', ' ')}",
            f"EROR {' or '.join(codes)} or the close, no step further, the get failed",
            "; ".join(problems),
            note=case.describe(),
        )
