"""An sft-eke/1 CLIENT judges each answer of the server by the rule, not by a list.

The suite plays a server that completes an honest handshake and then answers the
client's RQFL with one frame a client written from a list of known cases lets through:

* [FRM-6] a `DONE` (or a `DATA`) in place of `RSFL`: DONE is defined but not allowed
  before RSFL. A client that allows DONE "while a get is in progress" saves an empty file.
* [FRM-11] an `RSFL` whose `size` is negative: integers are `0 … 2^63−1`; a check of the
  upper bound only waits for the data of a file of −1 bytes.
* [FRM-9] an `RSFL` carrying `Infinity` or `-Infinity` (in a member the schema does not
  define: FRM-10 ignores the member, not the malformed JSON). A constant check that
  refuses `NaN` only lets them through.
* [ERR-1] an `RSFL` whose `size` is a string of 2 000 characters: the client answers
  `bad_frame`, and its EROR `message` is at most 512 characters (a client that quotes
  the offending value in full sends more).
* [FRM-13] a file sent as one `DATA` frame of exactly 1 048 576 bytes and a 5-byte one: a
  client that keeps the handshake's 64 KiB control limit in the record phase refuses it.

And before the record phase:

* [EKE-HS-9] in place of EKE2, a well-formed frame of a type the profile defines but the
  server never sends (`EKE1`, `EKE3`, `EKE4`): `EROR unexpected_frame`, no EKE3. A client
  that skips "its own" frame types as echoes logs in once the honest EKE2 follows.
* [ERR-6] the client's `EROR auth_failed` for a B that decodes to an invalid element
  (X' = 1) and for a C2 that does not open: one message for both causes.

And when stopped:

* [APP-BYE-1] a client stopped (SIGTERM) in the middle of a get does not send `BYE_`:
  BYE_ during a transfer is `unexpected_frame`. It may close, or send a fatal EROR.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
import signal
import subprocess
import time
from pathlib import Path

import pytest

from conformance import eke
from conformance import test_eke_client_transfer as lies
from conformance.eke_hostile import (
    ClientCase,
    ServerView,
    client_user,
    eke_pw,
    fresh_password,
    honest_eke2,
    read_frame,
    read_inner,
    run_case,
)
from conformance.lying_get import entries_while_transferring
from conformance.plugin import TranscriptBook
from conformance.scenario import PROMPT_CLOSE
from conformance.target import Target
from conformance.wire import (
    ConformanceFailure,
    Event,
    RawConnection,
    ReceivedFrame,
    TimedOut,
    control,
    deadline_after,
)

__all__: list[str] = []

pytestmark = [
    pytest.mark.profile("eke"),
    pytest.mark.side("initiator"),
    pytest.mark.xdist_group("eke-client"),
]

_TIMEOUT = 5.0
_ANSWER_WITHIN = 3.0  # how long the suite waits for the answer to a frame refused at once
_MAX_MESSAGE = 512  # ERR-1
_PASSWORD = fresh_password()


def _pw(target: Target) -> bytes:
    return eke_pw(client_user(target), _PASSWORD)


# ------------------------------------------------------------ answers to the RQFL


def _in_place_of_rsfl(kind: str) -> lies.Lie:
    def lie(s: lies.LyingServer) -> None:
        if kind == "DONE":
            s.frame("DONE", control({"size": 0, "sha256": hashlib.sha256(b"").hexdigest()}))
        else:
            s.frame("DATA", lies.CONTENT[:100])
        if isinstance(s.await_reaction(), TimedOut) and kind == "DATA":
            s.data(lies.CONTENT[100:])  # finish as a liar would
            s.done()
            s.await_reaction()
            s.reaction = TimedOut(lies._REACTION, b"")

    return lie


@pytest.mark.req("FRM-6", "APP-STORE-3")
@pytest.mark.parametrize("kind", ["DONE", "DATA"])
def test_client_refuses_a_transfer_frame_in_place_of_rsfl(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook, kind: str
) -> None:
    """[FRM-6] The RQFL is answered with a `DONE {0, sha256("")}` (or a DATA frame) instead
    of RSFL: defined, but not allowed before RSFL. The client answers `unexpected_frame`,
    fails the get and keeps nothing (a client that allows DONE "during a get" keeps an
    empty file)."""
    case, server = lies._run_lie(eke_target, tmp_path, transcripts, _in_place_of_rsfl(kind))
    lies._judge_failed_get(
        case,
        f"FRM-6: a {kind} frame in place of the RSFL answering the client's RQFL",
        owed="unexpected_frame",
        server=server,
        own=("FRM-6",),
    )


def _rsfl_raw(payload: bytes) -> lies.Lie:
    def lie(s: lies.LyingServer) -> None:
        s.frame("RSFL", payload)
        if isinstance(s.await_reaction(), TimedOut):
            s.data(lies.CONTENT)  # a client that took the RSFL waits for data: give it
            s.done()
            s.await_reaction()
            s.reaction = TimedOut(lies._REACTION, b"")

    return lie


_NAME = lies.NAME
_DIGEST = lies.DIGEST
_MALFORMED_RSFL = {
    "size-minus-1": f'{{"name":"{_NAME}","size":-1}}'.encode(),
    "size-minus-size": f'{{"name":"{_NAME}","size":-{lies.SIZE},"sha256":"{_DIGEST}"}}'.encode(),
    "member-infinity": (
        f'{{"name":"{_NAME}","size":{lies.SIZE},"sha256":"{_DIGEST}","note":Infinity}}'.encode()
    ),
    "member-minus-infinity": (
        f'{{"name":"{_NAME}","size":{lies.SIZE},"sha256":"{_DIGEST}","x":[-Infinity]}}'.encode()
    ),
}
_MALFORMED_REQ = {
    "size-minus-1": "FRM-11",
    "size-minus-size": "FRM-11",
    "member-infinity": "FRM-9",
    "member-minus-infinity": "FRM-9",
}


@pytest.mark.req("FRM-11", "FRM-9", "APP-STORE-3")
@pytest.mark.parametrize("kind", list(_MALFORMED_RSFL))
def test_client_refuses_an_rsfl_with_an_out_of_range_or_non_json_number(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook, kind: str
) -> None:
    """[FRM-11] a negative `size`; [FRM-9] `Infinity` / `-Infinity` in a member the schema
    does not define (the member is ignored, the malformed payload is not): the client
    answers `bad_frame` at once and fails the get. If it does not answer within a few
    seconds the suite sends the file's bytes and an honest DONE: a client that took the
    RSFL then shows it by keeping the file."""
    requirement = _MALFORMED_REQ[kind]
    payload = _MALFORMED_RSFL[kind]
    case, server = lies._run_lie(eke_target, tmp_path, transcripts, _rsfl_raw(payload))
    lies._judge_failed_get(
        case,
        f"{requirement}: the RSFL answering the client's RQFL is {payload.decode()}",
        owed="bad_frame",
        server=server,
        own=(requirement,),
    )


@pytest.mark.req("ERR-1")
def test_client_error_message_stays_within_512_characters(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    """[ERR-1] The RSFL's `size` is a string of 2 000 characters (malformed: FRM-9/FRM-11).
    The client owes `bad_frame`; the EROR it sends, if any, carries `code`, the table's
    `name` for it and a `message` of at most 512 characters: a client that quotes the
    offending member in full sends four times that."""
    long_value = "7" * 1000 + "x" * 1000
    payload = control({"name": _NAME, "size": long_value})
    case, server = lies._run_lie(eke_target, tmp_path, transcripts, _rsfl_raw(payload))
    got = server.reaction
    if not (isinstance(got, ReceivedFrame) and got.type == b"EROR"):
        pytest.skip(
            "the client sent no EROR to judge (its answer to the malformed RSFL is judged "
            f"by test_client_lies.py): {got.describe() if got is not None else 'nothing'}"
        )
    obj = got.json() or {}
    message = obj.get("message")
    problems = []
    if not isinstance(message, str):
        problems.append(f"`message` is {message!r}, not a string")
    elif len(message) > _MAX_MESSAGE:
        problems.append(
            f"`message` has {len(message)} characters (at most {_MAX_MESSAGE}): {message[:80]!r}…"
        )
    if problems:
        failure = ConformanceFailure.evidence(
            "ERR-1: the client's EROR answering an RSFL whose size is a 2 000-character string",
            f"code, name and a message of at most {_MAX_MESSAGE} characters",
            "; ".join(problems),
            note=case.describe(),
        )
        failure.violates = ("ERR-1",)
        raise failure


@functools.cache
def _full() -> bytes:
    """The file of 1 048 581 bytes; made when a case needs it, not at every collection."""
    return bytes((i * 31 + i // 977) % 256 for i in range(1024 * 1024 + 5))


def _full_size_frame(s: lies.LyingServer) -> None:
    full = _full()
    digest = hashlib.sha256(full).hexdigest()
    s.frame("RSFL", control({"name": _NAME, "size": len(full), "sha256": digest}))
    s.frame("DATA", full[: 1024 * 1024])
    s.frame("DATA", full[1024 * 1024 :])
    s.frame("DONE", control({"size": len(full), "sha256": digest}))


@pytest.mark.req("FRM-13", "FRM-3")
def test_client_takes_a_data_frame_of_exactly_one_mebibyte(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    """[FRM-13] DATA payloads are 1 to 1 048 576 bytes, and a record of such a frame is
    within the default frame limit (FRM-3, EKE-REC-6): a file of 1 048 581 bytes sent as
    one DATA of 1 MiB and one of 5 bytes must be received whole. A client that keeps a
    smaller limit after the handshake (the 64 KiB of control frames) refuses it."""
    case, server = lies._run_lie(eke_target, tmp_path, transcripts, _full_size_frame)
    result = case.result
    kept = result.out.read_bytes() if result.kept_file else None
    if result.succeeded and kept == _full():
        return
    shown = server.reaction.describe() if server.reaction is not None else "nothing"
    failure = ConformanceFailure.evidence(
        "FRM-13: a file of 1 048 581 bytes as DATA frames of 1 048 576 and 5 bytes",
        "the client receives it whole and reports success",
        f"{result.describe()}; kept {len(kept) if kept is not None else 'no'} bytes; its "
        f"answer: {shown}",
        note=case.describe(),
    )
    failure.violates = ("FRM-13",)
    raise failure


# ------------------------------------------------------------ before the record phase


def _eke1(raw: RawConnection, view: ServerView) -> dict[str, object] | None:
    event = read_frame(raw, view, _TIMEOUT)
    if not isinstance(event, ReceivedFrame) or event.type != b"EKE1":
        return None
    return event.json() or {}


_OWN_TYPES = ("EKE1", "EKE3", "EKE4")


def _out_of_order(frame_type: str, eke1: dict[str, object]) -> dict[str, object]:
    """A well-formed payload of `frame_type`: EKE1 is the client's own, echoed."""
    if frame_type == "EKE1":
        return {"user": eke1.get("user"), "a": eke1.get("a")}
    return {"c": secrets.token_hex(80 if frame_type == "EKE3" else 48)}


@pytest.mark.req("EKE-HS-9", "FRM-6")
@pytest.mark.parametrize("frame_type", _OWN_TYPES)
def test_client_answers_a_handshake_frame_out_of_order_with_unexpected_frame(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook, frame_type: str
) -> None:
    """[EKE-HS-9] In place of EKE2, a well-formed frame of a type the profile defines but
    that is not allowed now (EKE1 — the client's own, echoed —, EKE3, EKE4): `EROR
    unexpected_frame` at once, and no EKE3. If nothing comes within a few seconds, the
    honest EKE2 follows: a client that skipped the frame then logs in."""
    pw = _pw(eke_target)
    seen: dict[str, object] = {}

    def behaviour(raw: RawConnection, view: ServerView) -> None:
        eke1 = _eke1(raw, view)
        if eke1 is None:
            return
        server = eke.ServerHandshake(pw=pw)
        eke2 = server.on_eke1(eke1)
        raw.send_frame(frame_type.encode(), control(_out_of_order(frame_type, eke1)))
        answer = raw.recv_frame(deadline_after(_ANSWER_WITHIN))
        if isinstance(answer, TimedOut):
            raw.send_frame(b"EKE2", eke2)
            seen["skipped"] = True
            answer = read_frame(raw, view, _TIMEOUT)
        elif isinstance(answer, ReceivedFrame):
            view.frames.append(answer.describe(80))
        seen["answer"] = answer

    case = run_case(
        eke_target,
        tmp_path,
        transcripts,
        behaviour,
        name=_NAME,
        password=_PASSWORD,
        timeout=_TIMEOUT,
    )
    if "answer" not in seen:
        raise RuntimeError(f"the client under test sent no EKE1\n{case.describe()}")
    answer = seen["answer"]
    good = isinstance(answer, ReceivedFrame) and answer.error_name == "unexpected_frame"
    if good and not seen.get("skipped") and not case.view.saw("EKE3"):
        if case.result.succeeded or case.result.kept_file:
            raise ConformanceFailure.evidence(
                f"EKE-HS-9: a {frame_type} frame in place of EKE2",
                "the client fails (no file, non-zero exit)",
                case.result.describe(),
            )
        return
    shown = answer.describe() if hasattr(answer, "describe") else repr(answer)
    skipped = (
        f" (nothing within {_ANSWER_WITHIN:g} s: the honest EKE2 was then sent)"
        if seen.get("skipped")
        else ""
    )
    failure = ConformanceFailure.evidence(
        f"EKE-HS-9: in place of EKE2, a {frame_type} frame (well-formed, not allowed now)",
        "EROR unexpected_frame at once, then the close; no EKE3",
        f"{shown}{skipped}",
        note=case.describe(),
    )
    failure.violates = ("EKE-HS-9",)
    raise failure


def _auth_failure_answer(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, cause: str
) -> tuple[Event | None, ClientCase]:
    pw = _pw(target)
    seen: dict[str, Event] = {}

    def behaviour(raw: RawConnection, view: ServerView) -> None:
        if cause == "invalid-element":
            if honest_eke2(raw, view, pw, _TIMEOUT, element_override=1) is None:
                return
        else:
            eke1 = _eke1(raw, view)
            if eke1 is None:
                return
            server = eke.ServerHandshake(pw=pw)
            eke2 = server.on_eke1(eke1)
            raw.send_frame(b"EKE2", {"b": eke2["b"], "c": secrets.token_hex(48)})
        answer = read_frame(raw, view, _ANSWER_WITHIN)
        seen["answer"] = answer

    sub = tmp_path / cause
    sub.mkdir()
    case = run_case(
        target, sub, transcripts, behaviour, name=_NAME, password=_PASSWORD, timeout=_TIMEOUT
    )
    return seen.get("answer"), case


def _same_but_per_connection(first: str, other: str, again: str | None) -> bool:
    """`first` and `other` (answers to two causes) are the same text, but for the words
    in which `first` and `again` (the first cause once more) differ: a part that changes
    from one connection to the next (a log reference, a time), not with the cause."""
    if first == other:
        return True
    if again is None or again == first:
        return False
    a, b, c = first.split(" "), other.split(" "), again.split(" ")
    if not len(a) == len(b) == len(c):
        return False
    return all(x == y or x != z for x, y, z in zip(a, b, c, strict=True))


@pytest.mark.req("ERR-6", "EKE-HS-4")
def test_client_auth_failure_message_does_not_tell_the_cause(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    """[ERR-6] Two logins fail at EKE2 for different causes: B decodes to X' = 1 (an
    invalid element, EKE-X-3), and a C2 that does not open (a wrong password). The client
    answers each with `EROR auth_failed`; the two messages are the same (a message that
    names the cause tells the server which of its probes hit)."""
    answers: dict[str, str] = {}
    notes = []
    for cause in ("invalid-element", "bad-c2", "invalid-element-again"):
        if cause == "invalid-element-again" and (
            len(answers) < 2 or answers["invalid-element"] == answers["bad-c2"]
        ):
            break  # one cause run again only to tell a per-connection part from the cause
        base = tmp_path / "again" if cause.endswith("-again") else tmp_path
        base.mkdir(exist_ok=True)
        answer, case = _auth_failure_answer(
            eke_target, base, transcripts, cause.removesuffix("-again")
        )
        notes.append(f"{cause}: {case.describe()}")
        if isinstance(answer, ReceivedFrame) and answer.type == b"EROR":
            obj = answer.json() or {}
            answers[cause] = f"code {obj.get('code')!r}, message {obj.get('message')!r}"
    if len(answers) < 2:
        pytest.skip(
            "the client did not answer both failures with an EROR (EKE-HS-4 is judged by "
            f"test_eke_client.py): {answers}"
        )
    if not _same_but_per_connection(
        answers["invalid-element"], answers["bad-c2"], answers.get("invalid-element-again")
    ):
        failure = ConformanceFailure.evidence(
            "ERR-6: the client's EROR for two authentication failures at EKE2",
            "the same code and message for an invalid element and for a C2 that does not open",
            f"invalid element: {answers['invalid-element']}; bad C2: {answers['bad-c2']}"
            + (
                f"; invalid element again: {answers['invalid-element-again']}"
                if "invalid-element-again" in answers
                else ""
            ),
            note=" | ".join(notes),
        )
        failure.violates = ("ERR-6",)
        raise failure


# ------------------------------------------------------------ stopped mid-transfer


def _stop_mid_get(process: list[subprocess.Popen[bytes]], box: dict[str, list[str]]) -> lies.Lie:
    def lie(s: lies.LyingServer) -> None:
        s.rsfl(sha256=lies.DIGEST)
        s.data(lies.CONTENT[: lies.SIZE // 2])
        entries_while_transferring(s.outdir, s.notes)  # the client is receiving
        process[0].send_signal(signal.SIGTERM)
        frames: list[str] = []
        deadline = time.monotonic() + PROMPT_CLOSE + _TIMEOUT
        for _ in range(16):
            event = read_inner(s.channel, s.view, max(0.0, deadline - time.monotonic()))
            if not isinstance(event, ReceivedFrame):
                break
            frames.append(event.describe(60))
        box["frames"] = frames
        s.reaction = TimedOut(0.0, b"")  # judged here, not by await_reaction
        s.close()

    return lie


@pytest.mark.req("APP-BYE-1")
def test_client_stopped_mid_get_does_not_say_bye(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    """[APP-BYE-1] Half the file has come when the client gets SIGTERM: `BYE_` during a
    transfer is `unexpected_frame`, so the client may close, or end with a fatal EROR,
    but not say BYE_ as if it were idle."""
    process: list[subprocess.Popen[bytes]] = []
    box: dict[str, list[str]] = {}
    case, _server = lies._run_lie(
        eke_target, tmp_path, transcripts, _stop_mid_get(process, box), started=process.append
    )
    frames = box.get("frames", [])
    byes = [f for f in frames if f.startswith("BYE_")]
    if byes:
        failure = ConformanceFailure.evidence(
            "APP-BYE-1: SIGTERM to the client in the middle of a get (half the file received)",
            "the client closes (or sends a fatal EROR and closes); no BYE_ during a transfer",
            f"after the signal it sent {frames}",
            note=case.describe(),
        )
        failure.violates = ("APP-BYE-1",)
        raise failure
