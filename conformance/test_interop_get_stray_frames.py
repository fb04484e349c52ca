"""An INITIATOR's get with a stray frame in the middle of it (SPEC §1, §3.2, §3.3), both
profiles.

A frame of a type the profile does not define must be answered `unexpected_frame`
[FRM-5], and so must a defined frame that is not allowed while a get's `DATA` flows
[FRM-6] (an initiator receiving a get expects `DATA`* then `DONE`, or `EROR`). The
earlier client cases send the stray frame where the `RSFL` belongs; a client that checks
the type only while it waits for `RSFL` and, in its `DATA` loop, skips whatever is
neither `DATA` nor `DONE` nor `EROR` ("a newer server's frame: not ours to judge") passes
them. Here the lying server sends an honest `RSFL`, part of the file, the stray frame,
the rest of the file and the right `DONE` — every byte and both digests right — in one
burst: only the frame check can fail the get. The stray frame comes at each place of the
`DATA` phase (right after `RSFL`, between two `DATA`, right before `DONE`).

The client must fail the get: non-zero exit, nothing under the final name, no temporary
file left [APP-STORE-3], and answer the stray frame with `EROR unexpected_frame`, sealed
(`bad_frame` also for a defined type whose `{}` payload lacks its schema's members:
FRM-16 lets a receiver name either rule).

The client is launched from `--client-cmd` (embedded run: the reference's `sft eke get`
/ `sft get`); over sft-pki/1 the suite's responder is conformance/pki_channel.py's
HostileResponder with a certificate for the responder alias minted in lab mode.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from conformance._wire_fixtures import (
    lab_pki,
    leftovers,
    responder_alias,
    run_initiator_watched,
)
from conformance.eke_channel import EkeChannel
from conformance.eke_hostile import (
    Behaviour,
    ServerView,
    client_user,
    eke_pw,
    establish,
    fresh_password,
    read_inner,
    run_case,
)
from conformance.pki_channel import PkiChannel
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

pytestmark = [pytest.mark.side("initiator")]

NAME = "offered.bin"
CONTENT = bytes(range(256)) * 12  # 3072 bytes: three DATA frames
SIZE = len(CONTENT)
DIGEST = hashlib.sha256(CONTENT).hexdigest()
CHUNK = 1024
_TIMEOUT = 5.0
_REACTION = 5.0  # how long the client has to answer (only a silent client waits it out)
_PIPELINED_BYES = 4  # BYE_ frames a client MAY have pipelined behind its RQFL (APP-2)
_PASSWORD = fresh_password()  # one per worker: the client's scrypt is paid once


def _stray_frames(where: int, stray: bytes) -> list[bytes]:
    """RSFL, the file in CHUNK frames with `stray` inserted before DATA frame #`where`
    (`where` = the number of frames: right before DONE), then the right DONE."""
    chunks = [CONTENT[o : o + CHUNK] for o in range(0, SIZE, CHUNK)]
    frames = [frame_bytes("RSFL", control({"name": NAME, "size": SIZE, "sha256": DIGEST}))]
    for index, chunk in enumerate(chunks):
        if index == where:
            frames.append(stray)
        frames.append(frame_bytes("DATA", chunk))
    if where >= len(chunks):
        frames.append(stray)
    frames.append(frame_bytes("DONE", control({"size": SIZE, "sha256": DIGEST})))
    return frames


def _serve(pw: bytes, frames: list[bytes], box: dict[str, object]) -> Behaviour:
    def behaviour(raw: RawConnection, view: ServerView) -> None:
        channel = establish(raw, view, pw, _TIMEOUT)
        if channel is None:
            return
        request = read_inner(channel, view, _TIMEOUT)
        if not isinstance(request, ReceivedFrame) or request.type != b"RQFL":
            return
        box["channel"] = channel
        for inner in frames:  # one record each, in one burst
            if not channel.send_raw(inner):
                break
        box["reaction"] = _reaction(channel, view)

    return behaviour


def _reaction(channel: EkeChannel, view: ServerView) -> Event:
    """The client's answer: a sealed EROR, a close, or silence. A pipelined BYE_ is a
    request (APP-2), not an answer: the answer is what follows it (bounded)."""
    deadline = time.monotonic() + _REACTION
    event = read_inner(channel, view, _REACTION)
    for _ in range(_PIPELINED_BYES):
        if not (isinstance(event, ReceivedFrame) and event.type == b"BYE_"):
            break
        event = read_inner(channel, view, max(0.0, deadline - time.monotonic()))
    return event


_UNKNOWN = frame_bytes("ZZZZ", b"{}")
_PLAUSIBLE = frame_bytes("SIGN", control({"sha256": DIGEST}))  # a type a later revision might add


_STRAYS = [
        pytest.param(
            "FRM-5", 1, _UNKNOWN, "unexpected_frame", id="undefined-type-between-data",
            marks=pytest.mark.req("FRM-5", "APP-STORE-3"),
        ),
        pytest.param(
            "FRM-5", 3, _PLAUSIBLE, "unexpected_frame", id="undefined-type-before-done",
            marks=pytest.mark.req("FRM-5", "APP-STORE-3"),
        ),
        pytest.param(
            "FRM-5", 0, _UNKNOWN, "unexpected_frame", id="undefined-type-after-rsfl",
            marks=[pytest.mark.req("FRM-5", "APP-STORE-3"), pytest.mark.slow],
        ),
        pytest.param(
            "FRM-6", 2, frame_bytes("RSFL", control({"name": NAME, "size": SIZE})),
            "unexpected_frame|bad_frame", id="second-rsfl-between-data",
            marks=pytest.mark.req("FRM-6", "APP-STORE-3"),
        ),
        pytest.param(
            "FRM-6", 1, frame_bytes("PUTF", control({"name": NAME, "size": 1})),
            "unexpected_frame|bad_frame", id="putf-between-data",
            marks=[pytest.mark.req("FRM-6", "APP-STORE-3"), pytest.mark.slow],
        ),
        pytest.param(
            "FRM-6", 3, frame_bytes("BYE_", b"{}"),
            "unexpected_frame|bad_frame", id="bye-before-done",
            marks=[pytest.mark.req("FRM-6", "APP-STORE-3"), pytest.mark.slow],
        ),
    ]  # fmt: skip


@pytest.mark.profile("eke")
@pytest.mark.xdist_group("eke-client")
@pytest.mark.parametrize(("req", "where", "stray", "owed"), _STRAYS)
def test_client_fails_a_get_with_a_stray_frame_amid_its_data(
    eke_target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    req: str,
    where: int,
    stray: bytes,
    owed: str,
) -> None:
    """Honest RSFL, DATA and DONE, with one frame the get does not allow among them: the
    client must fail the get and answer that frame with the EROR §1 names, sealed."""
    box: dict[str, object] = {}
    outdir = tmp_path / "out"
    outdir.mkdir()
    pw = eke_pw(client_user(eke_target), _PASSWORD)
    case = run_case(
        eke_target,
        tmp_path,
        transcripts,
        _serve(pw, _stray_frames(where, stray), box),
        name=NAME,
        password=_PASSWORD,
        outdir=outdir,
    )
    channel = box.get("channel")
    if not isinstance(channel, EkeChannel):
        # The client never asked for the file: nothing was exercised (ERROR, not a verdict).
        raise RuntimeError(
            "the client under test never sent its request after an honest handshake "
            f"(is --client-cmd right?)\n{case.describe()}"
        )
    problems = _problems(
        req,
        stray,
        owed,
        returncode=case.result.returncode,
        succeeded=case.result.succeeded,
        kept=case.result.kept_file,
        reaction=box.get("reaction"),
        left=case.leftovers,
    )
    if channel.violations:
        problems.append((req, f"sent in clear or unauthenticated: {channel.violations}"))
    _fail(req, stray, owed, problems, case.describe())


def _problems(
    req: str,
    stray: bytes,
    owed: str,
    *,
    returncode: int | None,
    succeeded: bool,
    kept: bool,
    reaction: object,
    left: list[str],
) -> list[tuple[str, str]]:
    """What the initiator did wrong with the get and with its answer to the stray frame."""
    stray_type = stray[:4].decode()
    problems: list[tuple[str, str]] = []
    if returncode is None:
        problems.append((req, "the client did not end (killed after the run's deadline)"))
    elif succeeded:
        problems.append((req, "the client reported success"))
    if kept:
        problems.append((req, "it kept the file under the final name"))
    if not (isinstance(reaction, ReceivedFrame) and reaction.error_name in owed.split("|")):
        shown = (
            reaction.describe()
            if isinstance(reaction, (ReceivedFrame, TimedOut))
            else str(reaction or "nothing")
        )
        problems.append((req, f"its answer to the {stray_type} frame was {shown}, not EROR {owed}"))
    if left:
        problems.append(("APP-STORE-3", f"left files {left} in the output directory"))
    return problems


def _fail(req: str, stray: bytes, owed: str, problems: list[tuple[str, str]], note: str) -> None:
    if problems:
        failure = ConformanceFailure.evidence(
            f"{req}: a {stray[:4].decode()} frame among the DATA of an otherwise honest get",
            f"the client fails the get (non-zero exit, nothing under the final name, no "
            f"temporary file) and answers EROR {owed}",
            "; ".join(text for _, text in problems),
            note=note,
        )
        failure.violates = tuple(sorted({r for r, _ in problems}))
        raise failure


def _pki_script(frames: list[bytes], box: dict[str, object]) -> Callable[[PkiChannel], None]:
    def script(channel: PkiChannel) -> None:
        request = channel.recv_frame()
        if not isinstance(request, ReceivedFrame) or request.type != b"RQFL":
            return
        box["asked"] = True
        for wire in frames:
            if not channel.send_raw(wire):
                break
        deadline = deadline_after(_REACTION)
        event = channel.recv_frame(deadline)
        for _ in range(_PIPELINED_BYES):
            if not (isinstance(event, ReceivedFrame) and event.type == b"BYE_"):
                break
            event = channel.recv_frame(deadline)
        box["reaction"] = event

    return script


@pytest.mark.profile("pki")
@pytest.mark.parametrize(("req", "where", "stray", "owed"), _STRAYS)
def test_pki_initiator_fails_a_get_with_a_stray_frame_amid_its_data(
    target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    req: str,
    where: int,
    stray: bytes,
    owed: str,
) -> None:
    """The same gets from the suite's sft-pki/1 responder: honest RSFL, DATA and DONE in
    one burst with one frame the get does not allow among them."""
    lab = lab_pki(target)
    outdir = tmp_path / "out"
    outdir.mkdir()
    box: dict[str, object] = {}
    run, hostile = run_initiator_watched(
        target,
        tmp_path,
        transcripts,
        cert=lab.employee(responder_alias(target)),
        script=_pki_script(_stray_frames(where, stray), box),
        out=outdir / "received.bin",
        name=NAME,
    )
    if hostile.script_errors:
        raise RuntimeError(f"harness fault in the hostile responder: {hostile.script_errors}")
    if "asked" not in box:
        raise RuntimeError(
            "the initiator under test never sent its request (is --client-cmd right?): "
            + run.describe()
        )
    problems = _problems(
        req,
        stray,
        owed,
        returncode=run.returncode,
        succeeded=run.succeeded and run.success == "exit",
        kept=run.kept_file,
        reaction=box.get("reaction"),
        left=leftovers(run),
    )
    _fail(req, stray, owed, problems, run.describe())
