"""Clients of BOTH profiles against a lying server: errors they receive and send, and when
the final name may appear (SPEC §2, §3.3, §3.6).

Each case runs once against an sft-eke/1 client (the suite as a lying server after an
honest handshake, test_eke_client_transfer.py's LyingServer) and once against an
sft-pki/1 initiator (the suite as a lying responder, test_pki_initiator_transfer.py's
LyingResponder); the lie is the same, only the channel differs.

- ERR-8: a malformed `EROR` answering the get (no `code`, a `code` that is a string, an
  array, not JSON), followed by an honest `RSFL`, the data and `DONE`. A malformed EROR
  still ends the connection: the client may answer `bad_frame` or just close, but it
  must not process the frames behind it — a client that skips it ("not a valid error:
  ignore it") keeps a file from a connection that had failed.
- ERR-6: the `EROR` a client sends when the server breaks the protocol (an RSFL that is
  not JSON, more DATA than announced, an unknown frame type) carries no stack trace or
  debug dump (and is a well-formed EROR: ERR-1, FRM-14).
- APP-STORE-2: every announced byte arrives, then a `DONE` whose digest is wrong. The
  output directory is watched once all the data is written: the final name may appear
  only after `DONE` verified, so it must never appear here; nor may anything remain.
- APP-STORE-3: a fatal `EROR` (`internal`, `timeout`, an unknown code) in the middle of
  the get: the temporary file goes too (a client keeping it "for a resume" leaves a
  `.sft-partial-*` that only a sweep much later removes).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from conformance import test_eke_client_transfer as eke_lies
from conformance import test_pki_initiator_transfer as pki_lies
from conformance._wire_fixtures import leftovers
from conformance.eke_hostile import ClientCase, run_case
from conformance.lying_get import OUT_NAME, USERS_FILE, entries_once_written, look_at
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.test_error_disclosure import stack_trace_in
from conformance.wire import ConformanceFailure, Event, ReceivedFrame, control, error_payload

pytestmark = [pytest.mark.side("initiator")]

_PKI = pytest.mark.profile("pki")
_EKE_GROUP = pytest.mark.xdist_group("eke-client")

# The lying peers' common interface: frame(type, payload), rsfl(), data(), done().
Peer = eke_lies.LyingServer | pki_lies.LyingResponder
PeerLie = Callable[[Peer], None]


def _eke_run(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, lie: PeerLie
) -> tuple[ClientCase, eke_lies.LyingServer]:
    return eke_lies._run_lie(target, tmp_path, transcripts, lie)


def _pki_run(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, lie: PeerLie
) -> pki_lies.GetRun:
    return pki_lies._run_lie(target, tmp_path, transcripts, lie)


def _honest_rest(peer: Peer) -> None:
    peer.rsfl(sha256=eke_lies.DIGEST)
    peer.data(eke_lies.CONTENT)
    peer.done()


# ------------------------------------------------------------------ ERR-8: malformed EROR

_MALFORMED_ERRORS = {
    "missing-code": b'{"name":"internal","message":"suite"}',
    "code-string": b'{"code":"11","name":"internal","message":"suite"}',
    "code-float": b'{"code":11.5,"name":"internal","message":"suite"}',
    "array": b"[11]",
    "not-json": b"internal error",
}


def _malformed_error_then_file(payload: bytes) -> PeerLie:
    def lie(peer: Peer) -> None:
        peer.frame("EROR", payload)
        _honest_rest(peer)

    return lie


def _what_malformed(case: str) -> str:
    return (
        f"ERR-8: EROR {_MALFORMED_ERRORS[case][:50]!r} ({case}) answering the RQFL, then an "
        "honest RSFL, the data and DONE"
    )


@_EKE_GROUP
@pytest.mark.req("ERR-8")
@pytest.mark.parametrize("case", sorted(_MALFORMED_ERRORS))
def test_eke_client_does_not_skip_a_malformed_error(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook, case: str
) -> None:
    lie = _malformed_error_then_file(_MALFORMED_ERRORS[case])
    run, server = _eke_run(eke_target, tmp_path, transcripts, lie)
    eke_lies._judge_failed_get(run, _what_malformed(case), server=server, own=("ERR-8",))


@_PKI
@pytest.mark.req("ERR-8")
@pytest.mark.parametrize("case", sorted(_MALFORMED_ERRORS))
def test_pki_initiator_does_not_skip_a_malformed_error(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, case: str
) -> None:
    got = _pki_run(
        target, tmp_path, transcripts, _malformed_error_then_file(_MALFORMED_ERRORS[case])
    )
    pki_lies._judge_failed_get(got, _what_malformed(case), None, ("ERR-8",))


# ------------------------------------------------------- ERR-6: what the client's EROR says


def _rsfl_not_json(peer: Peer) -> None:
    peer.frame("RSFL", b"{this is not json")
    peer.await_reaction()


def _data_beyond_size(peer: Peer) -> None:
    peer.rsfl()
    peer.data(eke_lies.CONTENT)
    peer.frame("DATA", b"!")
    peer.await_reaction()


def _unknown_type(peer: Peer) -> None:
    peer.frame("ZZZZ", control({}))
    peer.await_reaction()


_PROVOCATIONS: dict[str, PeerLie] = {
    "rsfl-not-json": _rsfl_not_json,
    "data-beyond-size": _data_beyond_size,
    "unknown-frame-type": _unknown_type,
}


def _judge_client_error(reaction: Event | None, what: str, note: str) -> None:
    """The client's EROR, if it sent one, shows no stack trace and is well formed."""
    if not isinstance(reaction, ReceivedFrame) or reaction.type != b"EROR":
        return  # no EROR to judge (what the client owes is the lying-get cases' business)
    obj = reaction.json() or {}
    message = obj.get("message")
    problems: list[tuple[str, str]] = []
    trace = stack_trace_in(message) if isinstance(message, str) else None
    if trace is not None:
        problems.append(("ERR-6", f"its message carries a stack trace ({trace})"))
    for violation in reaction.violations():
        rid = violation.split(":", 1)[0]
        if rid != "ERR-6":
            problems.append((rid if rid in ("ERR-1", "ERR-2") else "FRM-14", violation))
    if problems:
        failure = ConformanceFailure.evidence(
            f"ERR-6: the client's EROR after {what}",
            "a well-formed EROR whose message is a short text for people, no stack trace "
            "or debug dump",
            "; ".join(text for _, text in problems) + f"; the EROR: {reaction.describe(300)}",
            note=note,
        )
        failure.violates = tuple(sorted({rid for rid, _ in problems}))
        raise failure


@_EKE_GROUP
@pytest.mark.req("ERR-6", "ERR-1", "FRM-14")
@pytest.mark.parametrize("provocation", sorted(_PROVOCATIONS))
def test_eke_client_error_carries_no_stack_trace(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook, provocation: str
) -> None:
    run, server = _eke_run(eke_target, tmp_path, transcripts, _PROVOCATIONS[provocation])
    _judge_client_error(server.reaction, provocation, run.describe())


@_PKI
@pytest.mark.req("ERR-6", "ERR-1", "FRM-14")
@pytest.mark.parametrize("provocation", sorted(_PROVOCATIONS))
def test_pki_initiator_error_carries_no_stack_trace(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, provocation: str
) -> None:
    got = _pki_run(target, tmp_path, transcripts, _PROVOCATIONS[provocation])
    _judge_client_error(got.responder.reaction, provocation, got.describe())


# ------------------------------------------- APP-STORE-2: the rename waits for DONE's check

_WRONG_DONE = eke_lies.DIGEST_LAST_WRONG


def _all_bytes_then_wrong_done(peer: Peer) -> None:
    peer.rsfl()
    peer.data(eke_lies.CONTENT)
    # Every byte is in: a client that renames once the size is complete (before DONE is
    # verified) shows the final name now; a conforming one never does.
    look_at(
        peer.notes,
        entries_once_written(peer.outdir, eke_lies.SIZE, peer.notes),
        "after every byte, before DONE",
    )
    peer.done(eke_lies.SIZE, _WRONG_DONE)
    peer.await_reaction()


def _judge_rename(notes: list[str], kept: bool, left: list[str], note: str) -> None:
    shown = [n for n in notes if n.startswith("APP-GET-6: the final name exists")]
    problems = [n.replace("APP-GET-6: ", "") for n in shown]
    if kept:
        problems.append("the final name exists after the client ended")
    if left:
        problems.append(f"files left in the output directory: {left}")
    if problems:
        failure = ConformanceFailure.evidence(
            "APP-STORE-2: every announced byte, then DONE with a wrong SHA-256 (the output "
            "directory watched once the data was written)",
            "the final name appears only through the rename after DONE is verified: never "
            "here, and nothing remains",
            "; ".join(problems),
            note=note,
        )
        failure.violates = ("APP-STORE-2",) if shown or kept else ("APP-STORE-3",)
        raise failure


@_EKE_GROUP
@pytest.mark.req("APP-STORE-2", "APP-STORE-3")
def test_eke_client_renames_only_after_done_is_verified(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    run, server = _eke_run(eke_target, tmp_path, transcripts, _all_bytes_then_wrong_done)
    _judge_rename(server.notes, run.result.kept_file, run.leftovers, run.describe())


@_PKI
@pytest.mark.req("APP-STORE-2", "APP-STORE-3")
def test_pki_initiator_renames_only_after_done_is_verified(
    target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    got = _pki_run(target, tmp_path, transcripts, _all_bytes_then_wrong_done)
    _judge_rename(got.responder.notes, got.run.kept_file, leftovers(got.run), got.describe())


# -------------------------------------- APP-STORE-3: a fatal EROR in the middle of the get

_MID_ERRORS = {"internal": 11, "timeout": 10, "unknown-99": 99}


def _fatal_error_mid_get(code: int) -> PeerLie:
    def lie(peer: Peer) -> None:
        peer.rsfl(sha256=eke_lies.DIGEST)
        peer.data(eke_lies.CONTENT[: 2 * eke_lies.CHUNK])
        peer.frame("EROR", error_payload(code, "suite: failing mid-transfer"))
        peer.await_reaction()

    return lie


def _what_mid(label: str) -> str:
    return f"EROR {label} after {2 * eke_lies.CHUNK} of {eke_lies.SIZE} bytes of the get"


@_EKE_GROUP
@pytest.mark.req("APP-STORE-3", "APP-GET-5")
@pytest.mark.parametrize("label", sorted(_MID_ERRORS))
def test_eke_client_removes_its_temporary_after_a_fatal_error(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook, label: str
) -> None:
    lie = _fatal_error_mid_get(_MID_ERRORS[label])
    run, server = _eke_run(eke_target, tmp_path, transcripts, lie)
    eke_lies._judge_failed_get(run, _what_mid(label), server=server, own=("APP-GET-5",))


@_PKI
@pytest.mark.req("APP-STORE-3", "APP-GET-5")
@pytest.mark.parametrize("label", sorted(_MID_ERRORS))
def test_pki_initiator_removes_its_temporary_after_a_fatal_error(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, label: str
) -> None:
    got = _pki_run(target, tmp_path, transcripts, _fatal_error_mid_get(_MID_ERRORS[label]))
    pki_lies._judge_failed_get(got, _what_mid(label), None, ("APP-GET-5",))


# ------------------------------------------ FRM-6: a frame the get's state does not allow

_OUT_OF_STATE: dict[str, tuple[str, bytes]] = {
    # A second RSFL: a client that takes it for a restart (a "resume") starts the file
    # again and keeps what follows, here the honest file.
    "rsfl-again": ("RSFL", control({"name": eke_lies.NAME, "size": eke_lies.SIZE})),
    "rqfl-mid-get": ("RQFL", control({"name": eke_lies.NAME})),
    "putf-mid-get": ("PUTF", control({"name": eke_lies.NAME, "size": 1})),
    "bye-mid-get": ("BYE_", control({})),
}


def _out_of_state_mid_get(frame_type: str, payload: bytes) -> PeerLie:
    def lie(peer: Peer) -> None:
        peer.rsfl()
        peer.data(eke_lies.CONTENT[: 2 * eke_lies.CHUNK])
        peer.frame(frame_type, payload)
        # What a client that went on would take: the whole file, then a right DONE.
        peer.data(eke_lies.CONTENT)
        peer.done()
        peer.await_reaction()

    return lie


def _what_out_of_state(case: str) -> str:
    return f"FRM-6: {_OUT_OF_STATE[case][0]} after 2000 bytes of the get's DATA ({case})"


@_EKE_GROUP
@pytest.mark.req("FRM-6", "APP-STORE-3")
@pytest.mark.parametrize("case", sorted(_OUT_OF_STATE))
def test_eke_client_refuses_a_frame_out_of_state_mid_get(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook, case: str
) -> None:
    lie = _out_of_state_mid_get(*_OUT_OF_STATE[case])
    run, server = _eke_run(eke_target, tmp_path, transcripts, lie)
    eke_lies._judge_failed_get(
        run, _what_out_of_state(case), owed="unexpected_frame", server=server, own=("FRM-6",)
    )


@_PKI
@pytest.mark.req("FRM-6", "APP-STORE-3")
@pytest.mark.parametrize("case", sorted(_OUT_OF_STATE))
def test_pki_initiator_refuses_a_frame_out_of_state_mid_get(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, case: str
) -> None:
    got = _pki_run(target, tmp_path, transcripts, _out_of_state_mid_get(*_OUT_OF_STATE[case]))
    pki_lies._judge_failed_get(got, _what_out_of_state(case), "unexpected_frame", ("FRM-6",))


# ------------------------------------------------- APP-GET-6: a symbolic link at the output

_ELSEWHERE = "elsewhere"  # beside the output directory: where a symlink at the output points


def _plant_symlink(outdir: Path, target_exists: bool) -> Path:
    """A symlink at the output name to a file beside the output directory (dangling, or
    to a file of the user's); returns the link's target."""
    elsewhere = outdir.parent / _ELSEWHERE
    elsewhere.mkdir(exist_ok=True)
    pointed = elsewhere / "users-file.txt"
    if target_exists:
        pointed.write_bytes(USERS_FILE)
    (outdir / OUT_NAME).symlink_to(pointed)
    return pointed


def _judge_symlink(outdir: Path, pointed: Path, target_existed: bool, note: str) -> None:
    link = outdir / OUT_NAME
    problems = []
    if not link.is_symlink():
        problems.append(f"the symlink at {OUT_NAME} was replaced")
    elif os.readlink(link) != str(pointed):
        problems.append(f"the symlink at {OUT_NAME} now points to {os.readlink(link)!r}")
    if target_existed:
        if not pointed.exists() or pointed.read_bytes() != USERS_FILE:
            problems.append(f"the file the symlink points to ({pointed.name}) was overwritten")
    elif pointed.exists():
        problems.append(
            f"a file was created where the symlink points ({pointed.name}, outside the output "
            f"directory, {pointed.stat().st_size} bytes)"
        )
    if problems:
        raise ConformanceFailure.evidence(
            f"APP-GET-6: an honest get whose output name is a symbolic link to "
            f"{'a file of the user' if target_existed else 'a missing file'} beside the "
            "output directory",
            "the get does not write through the link nor replace it (the final rename never "
            "replaces an existing name, APP-STORE-2): it fails, link and target untouched",
            "; ".join(problems),
            note=note,
        )


def _symlink_run(
    profile: str, target: Target, tmp_path: Path, transcripts: TranscriptBook, exists: bool
) -> None:
    """Runs an honest get with a symlink planted at the output; a client that refuses
    before it asks (it saw the name exists) is fine here: only the files are judged."""
    outdir = tmp_path / "out"
    box: dict[str, Path] = {}

    def plant(directory: Path) -> None:
        box["pointed"] = _plant_symlink(directory, exists)

    try:
        if profile == "eke":
            outdir.mkdir()
            plant(outdir)
            served: dict[str, eke_lies.LyingServer] = {}
            pw = eke_lies._user_pw(target)
            run = run_case(
                target,
                tmp_path,
                transcripts,
                eke_lies._serve(pw, outdir, _honest_rest, served),
                name=eke_lies.NAME,
                password=eke_lies._PASSWORD,
                outdir=outdir,
            )
            note = run.describe() + ("" if served else "; the client did not ask for the file")
        else:
            got = pki_lies._run_lie(target, tmp_path, transcripts, _honest_rest, prepare=plant)
            note = got.describe()
    except RuntimeError as exc:
        if "never sent its request" not in str(exc):
            raise
        note = f"the client did not ask for the file ({str(exc)[:200]})"
    _judge_symlink(outdir, box["pointed"], exists, note)


@_EKE_GROUP
@pytest.mark.req("APP-GET-6")
@pytest.mark.parametrize("exists", [False, True], ids=["dangling", "to-a-users-file"])
def test_eke_client_never_writes_through_a_symlink_at_the_output(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook, exists: bool
) -> None:
    _symlink_run("eke", eke_target, tmp_path, transcripts, exists)


@_PKI
@pytest.mark.req("APP-GET-6")
@pytest.mark.parametrize("exists", [False, True], ids=["dangling", "to-a-users-file"])
def test_pki_initiator_never_writes_through_a_symlink_at_the_output(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, exists: bool
) -> None:
    _symlink_run("pki", target, tmp_path, transcripts, exists)


# ------------------------------------------- FRM-9/10/11: the client's JSON, member by member

_RSFL_HEAD = b'{"name":"' + eke_lies.NAME.encode("ascii") + b'",'
# RSFL payloads breaking one JSON rule each, every other member right, followed by the
# whole file and a right DONE: a client lenient about that rule keeps the file.
_BAD_RSFL: dict[str, tuple[str, bytes]] = {
    "size-string": ("FRM-11", _RSFL_HEAD + b'"size":"%d"}' % eke_lies.SIZE),
    "size-exponent": ("FRM-11", _RSFL_HEAD + b'"size":5.12e3}'),
    "size-2-63": ("FRM-11", _RSFL_HEAD + b'"size":9223372036854775808}'),
    "size-null": ("FRM-11", _RSFL_HEAD + b'"size":null}'),
    "nested-duplicate": ("FRM-9", _RSFL_HEAD + b'"size":%d,"x":{"k":1,"k":2}}' % eke_lies.SIZE),
    "nan-in-unknown": ("FRM-9", _RSFL_HEAD + b'"size":%d,"x":NaN}' % eke_lies.SIZE),
}
# What a receiver may answer: bad_frame (FRM-9, FRM-11); for a size above 2^63 - 1 also
# too_large, the code of the other rule such a size breaks, the receiver's limit (FRM-16).
_BAD_RSFL_CODES = {"size-2-63": ("bad_frame", "too_large")}


def _bad_rsfl_then_file(payload: bytes) -> PeerLie:
    def lie(peer: Peer) -> None:
        peer.frame("RSFL", payload)
        peer.data(eke_lies.CONTENT)
        peer.done()
        peer.await_reaction()

    return lie


def _judge_owed(reaction: Event | None, codes: tuple[str, ...], what: str, rid: str) -> None:
    if isinstance(reaction, ReceivedFrame) and reaction.error_name in codes:
        return
    shown = reaction.describe() if reaction is not None else "nothing"
    failure = ConformanceFailure.evidence(
        what, f"EROR {' or '.join(codes)}, then the close", f"the client's answer was {shown}"
    )
    failure.violates = (rid,)
    raise failure


def _bad_rsfl_params() -> list[object]:
    return [
        pytest.param(case, marks=pytest.mark.req(rid), id=case)
        for case, (rid, _payload) in sorted(_BAD_RSFL.items())
    ]


@_EKE_GROUP
@pytest.mark.parametrize("case", _bad_rsfl_params())
def test_eke_client_refuses_an_rsfl_that_breaks_the_json_rules(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook, case: str
) -> None:
    rid, payload = _BAD_RSFL[case]
    what = f"{rid}: RSFL {payload[:90]!r} ({case}), then the file and a right DONE"
    run, server = _eke_run(eke_target, tmp_path, transcripts, _bad_rsfl_then_file(payload))
    eke_lies._judge_failed_get(run, what, server=server, own=(rid,))
    _judge_owed(server.reaction, _BAD_RSFL_CODES.get(case, ("bad_frame",)), what, rid)


@_PKI
@pytest.mark.parametrize("case", _bad_rsfl_params())
def test_pki_initiator_refuses_an_rsfl_that_breaks_the_json_rules(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, case: str
) -> None:
    rid, payload = _BAD_RSFL[case]
    what = f"{rid}: RSFL {payload[:90]!r} ({case}), then the file and a right DONE"
    got = _pki_run(target, tmp_path, transcripts, _bad_rsfl_then_file(payload))
    pki_lies._judge_failed_get(got, what, None, (rid,))
    _judge_owed(got.responder.reaction, _BAD_RSFL_CODES.get(case, ("bad_frame",)), what, rid)


# Members a later version may add, holding an object and an array (FRM-10: ignored): a
# decoder into flat key/value pairs, or one that refuses non-scalar values, fails here.
_NESTED = {"x-ext": {"a": [1, {"b": None}], "c": "d"}, "x-list": [1, "two", {}]}


def _nested_unknown_members(peer: Peer) -> None:
    rsfl = {"name": eke_lies.NAME, "size": eke_lies.SIZE, "sha256": eke_lies.DIGEST, **_NESTED}
    peer.frame("RSFL", control(rsfl))
    peer.data(eke_lies.CONTENT)
    peer.frame("DONE", control({"size": eke_lies.SIZE, "sha256": eke_lies.DIGEST, **_NESTED}))


def _judge_kept(succeeded: bool, kept: bytes | None, note: str) -> None:
    if not succeeded or kept != eke_lies.CONTENT:
        shown = "no file" if kept is None else f"{len(kept)} bytes"
        raise ConformanceFailure.evidence(
            "FRM-10: an honest get whose RSFL and DONE carry unknown members holding an "
            "object and an array",
            "the members are ignored: exit code 0, the file kept byte for byte",
            f"success: {succeeded}; kept: {shown}",
            note=note,
        )


@_EKE_GROUP
@pytest.mark.req("FRM-10")
def test_eke_client_ignores_nested_unknown_members(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    run, _server = _eke_run(eke_target, tmp_path, transcripts, _nested_unknown_members)
    result = run.result
    kept = result.out.read_bytes() if result.kept_file else None
    _judge_kept(result.succeeded, kept, run.describe())


@_PKI
@pytest.mark.req("FRM-10")
def test_pki_initiator_ignores_nested_unknown_members(
    target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    got = _pki_run(target, tmp_path, transcripts, _nested_unknown_members)
    kept = got.run.out.read_bytes() if got.run.kept_file else None
    _judge_kept(got.run.succeeded, kept, got.describe())


# ----------------------------------------------- FRM-12: a sha256 member that is not 64 hex

# Longer than 64 characters, the first 64 the right digest: a check that matches a prefix
# (`re.match` without an end anchor, `startswith`) takes the member for well formed.
_BAD_SHA = {
    "rsfl-sha256-trailing-chars": ("RSFL", eke_lies.DIGEST + "zz"),
    "rsfl-sha256-65-hex": ("RSFL", eke_lies.DIGEST + "0"),
    "done-sha256-65-hex": ("DONE", eke_lies.DIGEST + "0"),
}


def _bad_sha_lie(where: str, sha: str) -> PeerLie:
    def lie(peer: Peer) -> None:
        rsfl = {"name": eke_lies.NAME, "size": eke_lies.SIZE}
        if where == "RSFL":
            rsfl["sha256"] = sha
        peer.frame("RSFL", control(rsfl))
        peer.data(eke_lies.CONTENT)
        peer.done(eke_lies.SIZE, sha if where == "DONE" else eke_lies.DIGEST)
        peer.await_reaction()

    return lie


def _what_sha(case: str) -> str:
    where, sha = _BAD_SHA[case]
    return f"FRM-12: {where}.sha256 of {len(sha)} characters, the right digest then {sha[64:]!r}"


@_EKE_GROUP
@pytest.mark.req("FRM-12")
@pytest.mark.parametrize("case", sorted(_BAD_SHA))
def test_eke_client_refuses_a_sha256_member_longer_than_64_hex(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook, case: str
) -> None:
    run, server = _eke_run(eke_target, tmp_path, transcripts, _bad_sha_lie(*_BAD_SHA[case]))
    eke_lies._judge_failed_get(
        run, _what_sha(case), owed="bad_frame", server=server, own=("FRM-12",)
    )


@_PKI
@pytest.mark.req("FRM-12")
@pytest.mark.parametrize("case", sorted(_BAD_SHA))
def test_pki_initiator_refuses_a_sha256_member_longer_than_64_hex(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, case: str
) -> None:
    got = _pki_run(target, tmp_path, transcripts, _bad_sha_lie(*_BAD_SHA[case]))
    pki_lies._judge_failed_get(got, _what_sha(case), "bad_frame", ("FRM-12",))


# ------------------------------------ FRM-8, FRM-13: frames exactly at the limits are taken

_MIB = 1024 * 1024
_BIG = bytes(range(256)) * (_MIB // 256) + b"!"  # 1 MiB + 1: a full DATA frame, then one byte
_BIG_DIGEST = hashlib.sha256(_BIG).hexdigest()


def _padded(obj: dict[str, object], total: int) -> bytes:
    """`obj` with an unknown member "pad" making the payload exactly `total` bytes."""
    bare = len(control({**obj, "pad": ""}))
    payload = control({**obj, "pad": "x" * (total - bare)})
    assert len(payload) == total
    return payload


def _control_at_the_limit(peer: Peer) -> None:
    rsfl = {"name": eke_lies.NAME, "size": len(_BIG), "sha256": _BIG_DIGEST}
    peer.frame("RSFL", _padded(rsfl, 65536))  # FRM-8: at most 65 536 bytes: this one is fine
    peer.data(_BIG, chunk=64 * 1024)
    peer.frame("DONE", _padded({"size": len(_BIG), "sha256": _BIG_DIGEST}, 65536))


def _data_at_the_limit(peer: Peer) -> None:
    peer.rsfl(len(_BIG), _BIG_DIGEST)
    peer.frame("DATA", _BIG[:_MIB])  # FRM-13: 1 to 1 048 576 bytes: the largest there is
    peer.frame("DATA", _BIG[_MIB:])
    peer.done(len(_BIG), _BIG_DIGEST)


_LIMITS: dict[str, tuple[str, PeerLie, str]] = {
    "control-65536": (
        "FRM-8",
        _control_at_the_limit,
        "RSFL and DONE payloads of exactly 65 536 bytes (an unknown member pads them)",
    ),
    "data-1mib": ("FRM-13", _data_at_the_limit, "a first DATA frame of exactly 1 048 576 bytes"),
}


def _judge_at_the_limit(case: str, succeeded: bool, kept: bytes | None, note: str) -> None:
    rid, _lie, what = _LIMITS[case]
    if not succeeded or kept != _BIG:
        shown = "no file" if kept is None else f"{len(kept)} bytes"
        raise ConformanceFailure.evidence(
            f"{rid}: an honest get of 1 MiB + 1 byte with {what}",
            "a frame at the limit is within it: exit code 0, the file kept",
            f"success: {succeeded}; kept: {shown}",
            note=note,
        )


def _limit_params() -> list[object]:
    return [
        pytest.param(case, marks=pytest.mark.req(rid), id=case)
        for case, (rid, _lie, _what) in sorted(_LIMITS.items())
    ]


@_EKE_GROUP
@pytest.mark.parametrize("case", _limit_params())
def test_eke_client_takes_frames_exactly_at_the_limits(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook, case: str
) -> None:
    run, _server = _eke_run(eke_target, tmp_path, transcripts, _LIMITS[case][1])
    result = run.result
    kept = result.out.read_bytes() if result.kept_file else None
    _judge_at_the_limit(case, result.succeeded, kept, run.describe())


@_PKI
@pytest.mark.parametrize("case", _limit_params())
def test_pki_initiator_takes_frames_exactly_at_the_limits(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, case: str
) -> None:
    got = _pki_run(target, tmp_path, transcripts, _LIMITS[case][1])
    kept = got.run.out.read_bytes() if got.run.kept_file else None
    _judge_at_the_limit(case, got.run.succeeded, kept, got.describe())
