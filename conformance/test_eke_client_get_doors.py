"""An sft-eke/1 CLIENT's get, at the doors the other lying-server cases leave open.

test_eke_client_transfer.py lies about the file one way per rule; a client can check a
rule at that way in and still be open at the next one. Each case here is the same rule
looked at from another side (the suite is the server; it knows the password):

* [EKE-KS-4] the whole answer (RSFL, DATA, DONE) sealed with the client->server key and
  IV from sequence number 0: records made for the other direction. (The other file seals
  one DATA record so, at its sequence number; a client that, when a record fails under
  the s2c key, tries its own c2s key from that key's own counter still takes this one.)
* [EKE-KS-1] C2 sealed under keys derived from a transcript hash that leaves out the
  user name (and its length), or the length prefix alone, or takes B before A: the
  client must not answer with EKE3 (it answers `EROR auth_failed`, EKE-HS-4). A client
  that retries C2 under a "compatible" transcript accepts a session bound to nothing.
* [EKE-REC-5] after EKE4, a plaintext EKE4 or EKE2 (a "repeated" handshake frame), then
  an honest get in records: any plaintext frame after EKE4 fails the connection.
* [FRM-13] a DATA frame of 1 MiB + 1 bytes, and one of the record's whole room
  (1 048 808 bytes), with an RSFL and a DONE that agree with them: above 1 MiB a DATA
  frame is malformed (FRM-16: `bad_frame` or `frame_too_large`) whatever the frame limit.
* [FRM-8] an RSFL, or a DONE, of 70 000 bytes (its members right, plus a padding member
  FRM-10 would ignore): a control payload above 64 KiB is refused `frame_too_large`,
  DONE included.
* [EKE-REC-6] after an honest RSFL record, a RECD header announcing 2^32 - 1 bytes: the
  record limit holds for every record, not only the connection's first; refused
  `frame_too_large` from the header alone.
* [APP-GET-6] an EMPTY file appears at the output name before DONE: it is the user's (or
  another get's) and is left as it is; a client that takes an empty file there for its
  own placeholder replaces it.
* [APP-STORE-3] a fresh EMPTY `.sft-partial-*` of another initiator (just created, no
  data yet) is in the output directory: it is live and stays.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from conformance import eke
from conformance import test_eke_client_transfer as eke_lies
from conformance.eke_hostile import (
    ServerView,
    client_user,
    eke_pw,
    fresh_password,
    read_frame,
    run_case,
)
from conformance.lying_get import PARTIAL_PREFIX, existing_file_state, sweep_skip_reason
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.wire import (
    ConformanceFailure,
    RawConnection,
    ReceivedFrame,
    TimedOut,
    control,
    frame_bytes,
    header_bytes,
)

__all__: list[str] = []

pytestmark = [
    pytest.mark.profile("eke"),
    pytest.mark.side("initiator"),
    pytest.mark.xdist_group("eke-client"),
]

NAME = eke_lies.NAME
CONTENT = eke_lies.CONTENT
SIZE = eke_lies.SIZE
DIGEST = eke_lies.DIGEST
_TIMEOUT = 5.0
_MIB = 1 << 20
_PAD = 70_000  # a control payload above FRM-8's 64 KiB, far below the frame limit


# ---------------------------------------------------------------- records and frames


def _whole_answer_c2s(s: eke_lies.LyingServer) -> None:
    keys = s.channel.keys
    sender = eke.RecordSender(keys.key_c2s, keys.iv_c2s)  # the client's direction, seq 0
    inner = [
        frame_bytes("RSFL", control({"name": NAME, "size": SIZE, "sha256": DIGEST})),
        frame_bytes("DATA", CONTENT),
        frame_bytes("DONE", control({"size": SIZE, "sha256": DIGEST})),
    ]
    s.raw(b"".join(sender.seal(frame) for frame in inner))
    s.await_reaction()


def _clear_then_honest(frame_type: str) -> Callable[[eke_lies.LyingServer], None]:
    def lie(s: eke_lies.LyingServer) -> None:
        if frame_type == "EKE4":
            payload = control({"c": secrets.token_hex(48)})
        else:
            payload = control({"b": secrets.token_hex(384), "c": secrets.token_hex(48)})
        s.raw(frame_bytes(frame_type, payload))  # in clear, after EKE4
        s.honest()
        s.await_reaction()

    return lie


def _data_of(size: int) -> Callable[[eke_lies.LyingServer], None]:
    body = (CONTENT * (size // SIZE + 1))[:size]
    digest = hashlib.sha256(body).hexdigest()

    def lie(s: eke_lies.LyingServer) -> None:
        s.frame("RSFL", control({"name": NAME, "size": size, "sha256": digest}))
        s.frame("DATA", body)
        if isinstance(s.await_reaction(2.0), TimedOut):
            # No reaction: finish the get consistently, as a liar would.
            s.frame("DONE", control({"size": size, "sha256": digest}))
            s.await_reaction()

    return lie


def _padded(which: str) -> Callable[[eke_lies.LyingServer], None]:
    def payload(obj: dict[str, object]) -> bytes:
        plain = control({**obj, "pad": ""})
        return control({**obj, "pad": "x" * (_PAD - len(plain))})

    def lie(s: eke_lies.LyingServer) -> None:
        rsfl: dict[str, object] = {"name": NAME, "size": SIZE, "sha256": DIGEST}
        s.frame("RSFL", payload(rsfl) if which == "RSFL" else control(rsfl))
        s.data(CONTENT)
        done: dict[str, object] = {"size": SIZE, "sha256": DIGEST}
        s.frame("DONE", payload(done) if which == "DONE" else control(done))
        s.await_reaction()

    return lie


def _huge_second_record(s: eke_lies.LyingServer) -> None:
    s.frame("RSFL", control({"name": NAME, "size": SIZE, "sha256": DIGEST}))
    s.raw(header_bytes("RECD", 0xFFFFFFFF))  # the body never comes
    s.await_reaction(3.0)


_LIES: dict[str, tuple[Callable[[eke_lies.LyingServer], None], str | None, str]] = {
    # label: (lie, the EROR owed if the client answers at all, requirement)
    "whole-answer-sealed-c2s": (_whole_answer_c2s, None, "EKE-KS-4"),
    "clear-eke4-after-handshake": (_clear_then_honest("EKE4"), None, "EKE-REC-5"),
    "clear-eke2-after-handshake": (_clear_then_honest("EKE2"), None, "EKE-REC-5"),
    "data-1mib-plus-1": (_data_of(_MIB + 1), "bad_frame|frame_too_large", "FRM-13"),
    "data-record-room": (_data_of(1_048_808), "bad_frame|frame_too_large", "FRM-13"),
    "rsfl-70000-bytes": (_padded("RSFL"), "frame_too_large", "FRM-8"),
    "done-70000-bytes": (_padded("DONE"), "frame_too_large", "FRM-8"),
    "recd-header-4gib-second": (_huge_second_record, "frame_too_large", "EKE-REC-6"),
}


@pytest.mark.parametrize(
    "label",
    [
        pytest.param(label, marks=pytest.mark.req(requirement), id=label)
        for label, (_lie, _owed, requirement) in sorted(_LIES.items())
    ],
)
def test_client_fails_a_get_at_the_other_door(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook, label: str
) -> None:
    """The lie of `label` (module docstring): the get fails (non-zero exit, nothing under
    the final name, no temporary file), and an EROR, if the client sends one before it
    closes, is the one the rule names (sealed, in a record)."""
    lie, owed, requirement = _LIES[label]
    case, server = eke_lies._run_lie(eke_target, tmp_path, transcripts, lie)
    got = server.reaction
    # A client may close without an EROR where the rule says "fail" or "close"; where it
    # names a code (FRM-3/8/13) the EROR it sends must carry it, and a silence that lasts
    # until the suite gives up is no refusal "from the header alone".
    if owed is not None and not isinstance(got, ReceivedFrame):
        owed_now = owed if label == "recd-header-4gib-second" else None
    else:
        owed_now = owed
    eke_lies._judge_failed_get(
        case,
        f"{requirement}: {label.replace('-', ' ')}",
        owed=owed_now,
        server=server,
        own=(requirement,),
    )


# ---------------------------------------------------------------- the transcript


def _th_variants(user: str, a: bytes, b: bytes) -> dict[str, bytes]:
    label = b"sft-eke/1 transcript"
    raw = user.encode("utf-8")
    return {
        "without-user": hashlib.sha256(label + a + b).digest(),
        "without-length": hashlib.sha256(label + raw + a + b).digest(),
        "b-before-a": hashlib.sha256(label + len(raw).to_bytes(2, "big") + raw + b + a).digest(),
    }


@pytest.mark.req("EKE-KS-1", "EKE-HS-4")
@pytest.mark.parametrize("variant", ["without-user", "without-length", "b-before-a"])
def test_client_refuses_a_c2_over_another_transcript(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook, variant: str
) -> None:
    """[EKE-KS-1] The suite answers EKE1 with a B of its own and a C2 sealed under keys
    from the right Z but a transcript hash of another form (`variant`). The client's th
    is the SPEC's, so C2 does not open: no EKE3, the login fails [EKE-HS-4]."""
    password = fresh_password()
    user = client_user(eke_target)
    pw = eke_pw(user, password)
    seen: dict[str, object] = {}

    def behaviour(raw: RawConnection, view: ServerView) -> None:
        event = read_frame(raw, view, _TIMEOUT)
        if not isinstance(event, ReceivedFrame) or event.type != b"EKE1":
            return
        eke1 = event.json() or {}
        server = eke.ServerHandshake(pw=pw)
        honest = server.on_eke1(eke1)
        if server.keys is None:
            seen["bad_a"] = True
            return
        a = bytes.fromhex(str(eke1["a"]))
        b = bytes.fromhex(str(honest["b"]))
        th = _th_variants(str(eke1.get("user")), a, b)[variant]
        keys = eke.derive_keys(server.keys.z, th)
        c2 = eke.aead_seal(keys.kcs, eke.N2, server.ns, b"EKE2" + th)
        raw.send_frame(b"EKE2", {"b": honest["b"], "c": c2.hex()})
        answer = read_frame(raw, view, _TIMEOUT)
        seen["answer"] = answer
        raw.recv_frame(time.monotonic() + _TIMEOUT)  # its close (bounded)

    case = run_case(
        eke_target, tmp_path, transcripts, behaviour, name=NAME, password=password, user=user
    )
    if "answer" not in seen:
        raise RuntimeError(f"the client under test sent no usable EKE1 ({seen})\n{case.describe()}")
    answer = seen["answer"]
    problems = []
    if isinstance(answer, ReceivedFrame) and answer.type == b"EKE3":
        problems.append("it answered with EKE3 (C2 accepted)")
    if case.result.returncode is None:
        problems.append("the client did not end")
    elif case.result.succeeded:
        problems.append("it reported success")
    if case.result.kept_file:
        problems.append("it kept a file")
    if problems:
        raise ConformanceFailure.evidence(
            f"EKE-KS-1: C2 sealed under keys from a transcript hash {variant.replace('-', ' ')}",
            "C2 does not open under the SPEC's th: EROR auth_failed (or the close), no EKE3, "
            "the get fails",
            "; ".join(problems),
            note=case.describe(),
        )


# ---------------------------------------------------------------- the output directory


def _empty_file_appears_before_done(s: eke_lies.LyingServer) -> None:
    s.rsfl(sha256=DIGEST)
    s.data(CONTENT)
    out = s.outdir / "received.bin"  # another get of the same name just made it
    os.close(os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    s.done()
    s.await_reaction()


@pytest.mark.req("APP-GET-6")
def test_client_does_not_replace_an_empty_file_that_appears_during_the_get(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    """[APP-GET-6] An empty file is created at the output name before DONE: an existing
    name however small; the client's rename must not replace it."""
    case, _server = eke_lies._run_lie(
        eke_target, tmp_path, transcripts, _empty_file_appears_before_done
    )
    state = existing_file_state(case.result.out, b"")
    if state != "intact":
        raise ConformanceFailure.evidence(
            "APP-GET-6: an empty file was created at the output name before DONE",
            "the client leaves it as it is (its rename fails; the get is reported failed)",
            f"the file was {state}",
            note=case.describe(),
        )


@pytest.mark.req("APP-STORE-3")
def test_client_sweep_keeps_a_fresh_empty_temporary(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    """[APP-STORE-3] Another initiator has just created its temporary in the output
    directory and not written to it yet (empty, modified now), and a second one holds
    data: both are live, and an honest get must leave both."""
    reason = sweep_skip_reason(eke_target.limits.idle_timeout)
    if reason:
        pytest.skip(reason)
    outdir = tmp_path / "out"
    outdir.mkdir()
    empty, written = (f"{PARTIAL_PREFIX}{secrets.token_hex(12)}" for _ in range(2))
    live = {empty: b"", written: b"being written by another client"}
    ahead = time.time() + 120.0  # still "just written" however late the client starts
    for name, content in live.items():
        (outdir / name).write_bytes(content)
        os.utime(outdir / name, (ahead, ahead))
    box: dict[str, eke_lies.LyingServer] = {}
    case = run_case(
        eke_target,
        tmp_path,
        transcripts,
        eke_lies._serve(eke_lies._user_pw(eke_target), outdir, eke_lies._honest, box),
        name=NAME,
        password=eke_lies._PASSWORD,
        outdir=outdir,
    )
    gone = [
        f"{name} ({'empty' if not content else f'{len(content)} bytes'})"
        for name, content in live.items()
        if not (outdir / name).exists()
    ]
    if gone:
        raise ConformanceFailure.evidence(
            "APP-STORE-3: a get into a directory holding other initiators' live temporaries",
            "temporaries written to just now (one still empty) are kept",
            f"removed: {', '.join(gone)}",
            note=case.describe(),
        )
