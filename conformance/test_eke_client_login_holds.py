"""An sft-eke/1 CLIENT facing a server that holds its login half-way, and then holds on.

test_eke_client_login_rules.py judges a server silent after EKE1, one that trickles EKE2
byte after byte, one that withholds EKE4, and an EKE2 header of 4 GiB. Each of these
looks in at one door; a client can still wait for ever at the others:

* [LIM-9] a frame that stops half-way and then nothing: part of EKE2 (its header and half
  its payload), or, after EKE3, part of EKE4. A client that reads "the rest of a frame"
  with a blocking read-exactly, and applies its handshake deadline only while waiting
  for the next frame, waits for ever here (the trickling server of the other file sends
  a byte now and then, so the deadline is still looked at).
* [LIM-9] after the client's own timeout the server keeps its side of the connection
  open and silent: the client must still end by itself. A client that closes "politely"
  (its FIN, then a read until the server's FIN, without a bound) never ends; the other
  file's server closes as soon as the client's FIN comes, and hides it.
* [FRM-3] after EKE3, an EKE4 header announcing 2^32 - 1 bytes: `EROR frame_too_large`
  from the header alone, at once. A client that checks the 64 KiB handshake limit while
  awaiting EKE2 only waits for 4 GiB.

Every run ends within `_GIVE_UP_WITHIN` seconds of EKE1 (twice the SPEC's default
handshake timeout, LIM-1, plus a process start); the hostile server never closes first.
"""

from __future__ import annotations

import contextlib
import subprocess
import time
from pathlib import Path

import pytest

from conformance import eke
from conformance.eke_hostile import (
    ClientCase,
    ServerView,
    client_user,
    eke_pw,
    fresh_password,
    read_frame,
    run_case,
)
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.wire import (
    ConformanceFailure,
    RawConnection,
    ReceivedFrame,
    control,
    deadline_after,
    header_bytes,
)

__all__: list[str] = []

pytestmark = [
    pytest.mark.profile("eke"),
    pytest.mark.side("initiator"),
    pytest.mark.xdist_group("eke-client"),
]

NAME = "offered.txt"
_TIMEOUT = 5.0
# A client facing a login that never completes must have ended by then (LIM-1's default
# handshake timeout is 10 s; twice that, plus the start of a client process).
_GIVE_UP_WITHIN = 24.0
# How long the suite waits for the answer to a header that must be refused at once.
_ANSWER_WITHIN = 3.0
_PASSWORD = fresh_password()


def _pw(target: Target) -> bytes:
    return eke_pw(client_user(target), _PASSWORD)


def _hold_until_the_client_ends(
    raw: RawConnection, proc: list[subprocess.Popen[bytes]], end: float, seen: dict[str, object]
) -> None:
    """Never close first: read what the client sends (its EROR, its FIN) and keep our
    side open until its process has ended, or until `end`."""
    event = raw.recv_frame(end)
    if isinstance(event, ReceivedFrame):
        seen["answer"] = event.describe(80)
        if event.type not in (b"EROR",):
            seen["went_on"] = event.describe(80)
    seen["client_closed"] = time.monotonic()
    if proc:
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc[0].wait(timeout=max(0.0, end - time.monotonic()))
    seen["ended"] = time.monotonic()


def _run(
    target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    step: str,
) -> tuple[ClientCase, dict[str, object]]:
    pw = _pw(target)
    seen: dict[str, object] = {}
    proc: list[subprocess.Popen[bytes]] = []

    def behaviour(raw: RawConnection, view: ServerView) -> None:
        event = read_frame(raw, view, _TIMEOUT)
        if not isinstance(event, ReceivedFrame) or event.type != b"EKE1":
            return
        start = time.monotonic()
        seen["eke1"] = start
        end = start + _GIVE_UP_WITHIN
        server = eke.ServerHandshake(pw=pw)
        eke2 = control(server.on_eke1(event.json() or {}))
        if step == "half-eke2":
            raw.send_raw(header_bytes("EKE2", len(eke2)) + eke2[: len(eke2) // 2])
            _hold_until_the_client_ends(raw, proc, end, seen)
            return
        raw.send_raw(header_bytes("EKE2", len(eke2)) + eke2)
        event = read_frame(raw, view, _TIMEOUT)
        if not isinstance(event, ReceivedFrame) or event.type != b"EKE3":
            seen["no_eke3"] = (
                event.describe(80) if isinstance(event, ReceivedFrame) else event.describe()
            )
            return
        try:
            eke4 = control(server.on_eke3(event.json() or {}))
        except eke.EkeError as exc:
            seen["no_eke3"] = f"an EKE3 that does not verify ({exc})"
            return
        if step == "half-eke4":
            raw.send_raw(header_bytes("EKE4", len(eke4)) + eke4[: len(eke4) // 2])
            _hold_until_the_client_ends(raw, proc, end, seen)
            return
        # step == "eke4-header-4gib": refused from its header alone, at once
        sent = time.monotonic()
        raw.send_raw(header_bytes("EKE4", 0xFFFFFFFF))
        answer = raw.recv_frame(deadline_after(_ANSWER_WITHIN))
        seen["after"] = time.monotonic() - sent
        seen["answer_event"] = answer
        if isinstance(answer, ReceivedFrame):
            view.frames.append(answer.describe(80))
        _hold_until_the_client_ends(raw, proc, end, seen)

    case = run_case(
        target,
        tmp_path,
        transcripts,
        behaviour,
        name=NAME,
        password=_PASSWORD,
        timeout=_GIVE_UP_WITHIN / 4,  # the client's run is bounded at 6x: 36 s
        started=proc.append,
    )
    if "eke1" not in seen or "no_eke3" in seen:
        raise RuntimeError(
            "the client under test did not log in up to the step under test "
            f"({seen.get('no_eke3', 'no EKE1')})\n{case.describe()}"
        )
    return case, seen


def _judge_gave_up(case: ClientCase, seen: dict[str, object], what: str, req: str) -> None:
    problems = []
    waited = float(str(seen.get("ended", seen["eke1"]))) - float(str(seen["eke1"]))
    if case.result.returncode is None or waited >= _GIVE_UP_WITHIN:
        problems.append(
            f"the client had not ended {waited:.1f} s after EKE1 (the server kept its side "
            "open and silent)"
        )
    elif case.result.succeeded:
        problems.append("the client reported success")
    if case.result.kept_file:
        problems.append("the client kept a file")
    if "went_on" in seen or case.view.saw("RECD") or case.view.inner:
        problems.append(f"the client went on with the login: {seen.get('went_on', '')}")
    if problems:
        raise ConformanceFailure(
            f"{what}\nExpected: the client's own handshake deadline ends the login, and the "
            f"client (a failure it reports) within {_GIVE_UP_WITHIN:g} s of EKE1, whether or "
            f"not the server ever closes\nActual:   {'; '.join(problems)}\n"
            f"Note: {case.describe()}",
            violates=(req,),
        )


@pytest.mark.req("LIM-9")
@pytest.mark.parametrize("step", ["half-eke2", "half-eke4"])
def test_client_gives_up_a_login_held_half_way_and_held_open(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook, step: str
) -> None:
    """[LIM-9] The server stops in the middle of a handshake frame (EKE2, or EKE4 after
    the client's EKE3) and never closes its side: the
    client's handshake deadline, counted from the start, must end its login and the
    client itself within `_GIVE_UP_WITHIN` seconds, without a file and without a record."""
    case, seen = _run(eke_target, tmp_path, transcripts, step)
    shown = {
        "half-eke2": "sent the EKE2 header and half its payload, then nothing",
        "half-eke4": "answered EKE3 with the EKE4 header and half its payload, then nothing",
    }[step]
    _judge_gave_up(case, seen, f"LIM-9: the server {shown}, and never closed", "LIM-9")


@pytest.mark.req("FRM-3")
def test_client_refuses_an_eke4_header_beyond_any_frame_limit(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    """[FRM-3] After an honest EKE2 and the client's EKE3, an EKE4 header announcing
    2^32 - 1 bytes (beyond every receiver's frame limit; the payload never comes):
    `EROR frame_too_large` from the header alone, within `_ANSWER_WITHIN` seconds."""
    case, seen = _run(eke_target, tmp_path, transcripts, "eke4-header-4gib")
    answer = seen.get("answer_event")
    if not (isinstance(answer, ReceivedFrame) and answer.error_name == "frame_too_large"):
        shown = answer.describe() if hasattr(answer, "describe") else repr(answer)
        raise ConformanceFailure(
            "FRM-3: in place of EKE4, a header announcing 4 294 967 295 bytes (no payload)\n"
            f"Expected: EROR frame_too_large from the header alone, within "
            f"{_ANSWER_WITHIN:g} s, then the close\n"
            f"Actual:   {shown} after {float(str(seen.get('after', 0.0))):.1f} s\n"
            f"Note: {case.describe()}",
            violates=("FRM-3",),
        )
    _judge_gave_up(case, seen, "FRM-3: an EKE4 header beyond any frame limit", "FRM-3")
