"""An sft-eke/1 CLIENT's handshake reader and deadline, against the suite's hostile server.

Three rules of a client's login that no other case exercises on the frames the server
sends before EKE2:

* [EKE-HS-9], [FRM-5] a frame of a type the profile does not define, in place of EKE2:
  the client answers `EROR unexpected_frame` and never gets as far as EKE3. A client
  reading FRM-10's extensibility ("ignore what you do not know") as "skip unknown
  frames" waits for the EKE2 that follows: the suite sends it when nothing came within a
  few seconds, and such a client then logs in.
* [FRM-3] an EKE2 header announcing 2^32 − 1 bytes (beyond any frame limit): the client
  refuses it from the header alone with `EROR frame_too_large`. A client that judges a
  handshake frame's length only once the frame is in waits for 4 GiB.
* [LIM-9] a server that never completes the handshake (silent after EKE1, or trickling
  EKE2 one byte at a time so that every read returns something): the client gives up
  by itself, within its handshake timeout, and fails. A per-read timeout (restarted by
  every byte), or a deadline taken from the idle timeout, keeps it waiting: the case
  bounds the wait at `_GIVE_UP_WITHIN` seconds (the SPEC's default handshake timeout,
  LIM-1, is 10 s).
"""

from __future__ import annotations

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
    TimedOut,
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
# How long the suite waits for an answer to a frame that must be refused from its header
# (or at once): far below any handshake timeout a client may keep.
_ANSWER_WITHIN = 3.0
# A client facing a handshake that never completes must have given up by then: twice the
# SPEC's default handshake timeout (LIM-1: 10 s), plus the start of a client process.
_GIVE_UP_WITHIN = 24.0
# The pace of the trickling server: one byte of EKE2 per interval, so every read of the
# client returns something and the frame never completes within the case.
_TRICKLE_EVERY = 0.25
_PASSWORD = fresh_password()


def _pw(target: Target) -> bytes:
    return eke_pw(client_user(target), _PASSWORD)


def _run(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, behaviour: object
) -> ClientCase:
    return run_case(
        target,
        tmp_path,
        transcripts,
        behaviour,  # type: ignore[arg-type]
        name=NAME,
        password=_PASSWORD,
        timeout=_TIMEOUT,
    )


def _eke1(raw: RawConnection, view: ServerView) -> dict[str, object] | None:
    event = read_frame(raw, view, _TIMEOUT)
    if not isinstance(event, ReceivedFrame) or event.type != b"EKE1":
        return None
    return event.json() or {}


def _gave_up(case: ClientCase, what: str, requirement: str) -> None:
    """The client failed on its own: non-zero exit, no file, no EKE3 and no record."""
    problems = []
    if case.result.returncode is None:
        problems.append("the client did not end (killed by the suite)")
    elif case.result.succeeded:
        problems.append("the client reported success")
    if case.result.kept_file:
        problems.append("the client kept a file")
    if case.view.saw("EKE3") or case.view.saw("RECD") or case.view.inner:
        problems.append(f"the client went on with the login: {case.view.frames}")
    if problems:
        raise ConformanceFailure(
            f"{what}\nExpected: the client refuses and fails (non-zero exit, no file, no "
            f"EKE3)\nActual:   {'; '.join(problems)}\nNote: {case.describe()}",
            violates=(requirement,),
        )


@pytest.mark.req("EKE-HS-9", "FRM-5")
def test_client_answers_an_unknown_frame_before_eke2_with_unexpected_frame(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    """[EKE-HS-9], [FRM-5] In place of EKE2 a well-formed frame of an undefined type
    (`XTRA {}`): `EROR unexpected_frame`, and no EKE3. If nothing comes within
    `_ANSWER_WITHIN` seconds the honest EKE2 follows: a client that skipped the frame then
    logs in, which is the bug."""
    pw = _pw(eke_target)
    seen: dict[str, object] = {}

    def behaviour(raw: RawConnection, view: ServerView) -> None:
        eke1 = _eke1(raw, view)
        if eke1 is None:
            return
        server = eke.ServerHandshake(pw=pw)
        eke2 = server.on_eke1(eke1)
        raw.send_frame(b"XTRA", control({}))
        answer = raw.recv_frame(deadline_after(_ANSWER_WITHIN))
        if isinstance(answer, TimedOut):
            raw.send_frame(b"EKE2", eke2)
            seen["skipped"] = True
            answer = read_frame(raw, view, _TIMEOUT)
        elif isinstance(answer, ReceivedFrame):
            view.frames.append(answer.describe(80))
        seen["answer"] = answer

    case = _run(eke_target, tmp_path, transcripts, behaviour)
    if "answer" not in seen:
        raise RuntimeError(f"the client under test sent no EKE1\n{case.describe()}")
    answer = seen["answer"]
    if seen.get("skipped") or not (
        isinstance(answer, ReceivedFrame) and answer.error_name == "unexpected_frame"
    ):
        shown = answer.describe() if hasattr(answer, "describe") else repr(answer)
        raise ConformanceFailure(
            "EKE-HS-9: in place of EKE2, a frame of the undefined type XTRA (payload {})\n"
            "Expected: EROR unexpected_frame at once, then the close; no EKE3\n"
            f"Actual:   {shown}"
            + (
                f" (nothing within {_ANSWER_WITHIN:g} s: the honest EKE2 was then sent)"
                if seen.get("skipped")
                else ""
            )
            + f"\nNote: {case.describe()}",
            violates=("EKE-HS-9", "FRM-5"),
        )
    _gave_up(case, "EKE-HS-9: an undefined frame type in place of EKE2", "EKE-HS-9")


@pytest.mark.req("FRM-3")
def test_client_refuses_an_eke2_header_beyond_any_frame_limit(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    """[FRM-3] In place of EKE2, only a header announcing 2^32 − 1 bytes: beyond the frame
    limit of every receiver (default 1 048 832 bytes), so `EROR frame_too_large` is owed
    from the header alone, at once. The payload never comes."""
    seen: dict[str, object] = {}

    def behaviour(raw: RawConnection, view: ServerView) -> None:
        if _eke1(raw, view) is None:
            return
        started = time.monotonic()
        raw.send_raw(header_bytes("EKE2", 0xFFFFFFFF))
        answer = raw.recv_frame(deadline_after(_ANSWER_WITHIN))
        seen["after"] = time.monotonic() - started
        seen["answer"] = answer
        if isinstance(answer, ReceivedFrame):
            view.frames.append(answer.describe(80))
        else:
            view.ended = answer.describe()

    case = _run(eke_target, tmp_path, transcripts, behaviour)
    if "answer" not in seen:
        raise RuntimeError(f"the client under test sent no EKE1\n{case.describe()}")
    answer = seen["answer"]
    if not (isinstance(answer, ReceivedFrame) and answer.error_name == "frame_too_large"):
        shown = answer.describe() if hasattr(answer, "describe") else repr(answer)
        raise ConformanceFailure(
            "FRM-3: in place of EKE2, a header announcing 4 294 967 295 bytes (no payload)\n"
            f"Expected: EROR frame_too_large from the header alone, within "
            f"{_ANSWER_WITHIN:g} s, then the close\n"
            f"Actual:   {shown} after {seen.get('after', 0.0):.1f} s\nNote: {case.describe()}",
            violates=("FRM-3",),
        )
    _gave_up(case, "FRM-3: an EKE2 header beyond any frame limit", "FRM-3")


@pytest.mark.req("LIM-9")
@pytest.mark.parametrize("server", ["silent", "trickling"])
def test_client_gives_up_a_login_that_never_completes(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook, server: str
) -> None:
    """[LIM-9] After the client's EKE1 the server stays silent, or sends an honest EKE2
    header and then its payload one byte every `_TRICKLE_EVERY` s (every read of the
    client returns a byte; the frame never completes): the client's handshake deadline,
    counted from the start and not restarted by bytes trickling in, must end its login,
    a failure it reports, within `_GIVE_UP_WITHIN` seconds."""
    pw = _pw(eke_target)
    seen: dict[str, float] = {}

    def behaviour(raw: RawConnection, view: ServerView) -> None:
        eke1 = _eke1(raw, view)
        if eke1 is None:
            return
        seen["eke1"] = time.monotonic()
        end = seen["eke1"] + _GIVE_UP_WITHIN
        if server == "silent":
            event = raw.recv_frame(end)
        else:
            payload = control(eke.ServerHandshake(pw=pw).on_eke1(eke1))
            raw.send_raw(header_bytes("EKE2", len(payload)))
            event = TimedOut(0.0)
            for byte in payload[:-1]:  # the last byte never goes: the frame stays open
                if time.monotonic() >= end or not raw.send_raw(bytes([byte])):
                    break
                event = raw.recv_frame(min(end, time.monotonic() + _TRICKLE_EVERY))
                if not isinstance(event, TimedOut):
                    break
        seen["end"] = time.monotonic()
        if isinstance(event, ReceivedFrame):
            view.frames.append(event.describe(80))
            raw.recv_frame(end)  # the close that follows (bounded)
            seen["end"] = time.monotonic()
        else:
            view.ended = event.describe()

    case = run_case(
        eke_target,
        tmp_path,
        transcripts,
        behaviour,
        name=NAME,
        password=_PASSWORD,
        timeout=_GIVE_UP_WITHIN / 4,  # the client's run is bounded at 6x: 36 s
    )
    if "eke1" not in seen:
        raise RuntimeError(f"the client under test sent no EKE1\n{case.describe()}")
    waited = seen.get("end", seen["eke1"]) - seen["eke1"]
    if case.result.returncode is None or waited >= _GIVE_UP_WITHIN:
        raise ConformanceFailure(
            f"LIM-9: after EKE1 the server is {server}"
            + (f" (one byte of EKE2 every {_TRICKLE_EVERY:g} s)" if server == "trickling" else "")
            + f"\nExpected: the client's handshake timeout ends the login (a failure it "
            f"reports) within {_GIVE_UP_WITHIN:g} s\n"
            f"Actual:   the connection was still open after {waited:.1f} s; "
            f"{case.result.describe()}\nNote: {case.describe()}",
            violates=("LIM-9",),
        )
    _gave_up(case, f"LIM-9: a {server} server after EKE1", "LIM-9")


@pytest.mark.req("LIM-9", "EKE-HS-9")
def test_client_sends_nothing_before_eke4_and_gives_up_without_it(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    """The server answers EKE1 with an honest EKE2, reads the client's EKE3 and then never
    sends EKE4.

    [EKE-HS-9] Until EKE4 has verified, the client is in its handshake: nothing but the
    handshake's own frames may come from it. A client that sends its request sealed with
    the keys it has just derived, before the server has proven it knows the password (a
    "0-RTT" RQFL), sends a RECD here. [LIM-9] Its handshake deadline runs until EKE4, not
    only until the server's first answer: the login ends, a failure the client reports,
    within `_GIVE_UP_WITHIN` seconds of EKE1 (a client that stops its login timer once
    EKE2 came waits for its idle timeout or for ever)."""
    pw = _pw(eke_target)
    seen: dict[str, object] = {}
    early: list[tuple[str, float]] = []

    def behaviour(raw: RawConnection, view: ServerView) -> None:
        eke1 = _eke1(raw, view)
        if eke1 is None:
            return
        start = time.monotonic()
        seen["eke1"] = start
        end = start + _GIVE_UP_WITHIN
        server = eke.ServerHandshake(pw=pw)
        raw.send_frame(b"EKE2", server.on_eke1(eke1))
        event = read_frame(raw, view, _TIMEOUT)
        if not isinstance(event, ReceivedFrame) or event.type != b"EKE3":
            seen["no_eke3"] = (
                event.describe(80) if isinstance(event, ReceivedFrame) else event.describe()
            )
            return
        event = raw.recv_frame(end)  # EKE4 never comes: what the client does meanwhile
        seen["end"] = time.monotonic()
        if isinstance(event, ReceivedFrame):
            view.frames.append(event.describe(80))
            if event.type != b"EROR":
                early.append((event.describe(80), time.monotonic() - start))
            raw.recv_frame(end)  # the close that follows (bounded)
            seen["end"] = time.monotonic()
        else:
            view.ended = event.describe()

    case = run_case(
        eke_target,
        tmp_path,
        transcripts,
        behaviour,
        name=NAME,
        password=_PASSWORD,
        timeout=_GIVE_UP_WITHIN / 4,  # the client's run is bounded at 6x: 36 s
    )
    if "eke1" not in seen or "no_eke3" in seen:
        raise RuntimeError(
            "the client under test did not answer an honest EKE2 with EKE3 "
            f"({seen.get('no_eke3', 'no EKE1')})\n{case.describe()}"
        )
    if early:
        frame, after = early[0]
        raise ConformanceFailure(
            "EKE-HS-9: the server sent an honest EKE2, read EKE3 and held EKE4 back\n"
            "Expected: nothing from the client before EKE4 but its handshake frames (an "
            "EROR, or its close)\n"
            f"Actual:   it sent {frame} {after:.2f} s after EKE1, before any EKE4\n"
            f"Note: {case.describe()}",
            violates=("EKE-HS-9",),
        )
    waited = float(str(seen.get("end", seen["eke1"]))) - float(str(seen["eke1"]))
    if case.result.returncode is None or waited >= _GIVE_UP_WITHIN or case.result.succeeded:
        raise ConformanceFailure(
            "LIM-9: the server never sends EKE4 (honest EKE2, EKE3 read)\n"
            f"Expected: the client's handshake timeout ends the login (a failure it reports) "
            f"within {_GIVE_UP_WITHIN:g} s of EKE1\n"
            f"Actual:   the connection ended after {waited:.1f} s; {case.result.describe()}\n"
            f"Note: {case.describe()}",
            violates=("LIM-9",),
        )
