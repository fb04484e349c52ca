"""Clients of BOTH profiles close AT ONCE after a fatal EROR or a bad record (SPEC §2, §5.5).

Round 15 (B78), lens "one blocks all": a client that, after a fatal `EROR`, waits for
the server before it closes — reads until the server's FIN or close_notify, says BYE_
and waits for the echo, drains "so that the close is clean" without a bound — is held by
a server that goes silent, for as long as its idle timeout (or forever). ERR-3: "the
close follows the EROR at once: the endpoint MUST NOT wait for the peer to close first
or for a timeout" (the suite allows 2 s). The server here sends its lie and then stays
silent: it never closes, never echoes a BYE_.

- a fatal `EROR` answering the request, of every kind of fatal code (framing, auth,
  integrity, internal, an unknown code: ERR-4), some with a message that begins with
  the name of a NON-fatal code (`not_found: ...`): a receiver acts on `code` only
  (ERR-1), and a message is for people;
- a fatal `EROR` in the middle of a get (after RSFL and some DATA);
- sft-eke/1: a record that fails to authenticate in the middle of a get (EKE-REC-4:
  the client closes the connection).

The get fails as every failed get must (non-zero exit, nothing under the final name, no
temporary file); a BYE_ the client sends before its close is not answered.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from conformance import test_eke_client_transfer as eke_lies
from conformance import test_pki_initiator_transfer as pki_lies
from conformance.eke_hostile import read_inner
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.wire import (
    ConformanceFailure,
    Event,
    ReceivedFrame,
    TimedOut,
    control,
    deadline_after,
    frame_bytes,
)

__all__: list[str] = []

pytestmark = [pytest.mark.side("initiator")]

Peer = eke_lies.LyingServer | pki_lies.LyingResponder
Lie = Callable[[Peer], None]

CONTENT = eke_lies.CONTENT
DIGEST = eke_lies.DIGEST
CHUNK = eke_lies.CHUNK
_AT_ONCE = 2.0  # ERR-3: the suite allows 2 s for the close after a fatal EROR
_NAMES = {1: "bad_frame", 2: "frame_too_large", 3: "unexpected_frame", 4: "auth_failed"}
_NAMES |= {8: "integrity_failed", 9: "busy", 10: "timeout", 11: "internal", 14: "throttled"}


def _eror(code: int, message: str) -> bytes:
    obj: dict[str, object] = {"code": code, "name": _NAMES.get(code, "internal")}
    obj["message"] = message
    if code == 14:
        obj["retry_after"] = 60
    return control(obj)


def _watch_close(peer: Peer, started: float) -> None:
    """The client's reaction after the lie, BYE_ frames read but never answered: its close
    (Closed), or silence (TimedOut) once `_AT_ONCE` has passed since `started`."""
    deadline = started + _AT_ONCE
    seen: list[str] = []
    event: Event
    while True:
        left = max(0.0, deadline - time.monotonic())
        if isinstance(peer, eke_lies.LyingServer):
            event = read_inner(peer.channel, peer.view, left)
        else:
            event = peer.channel.recv_frame(deadline_after(left))
        if isinstance(event, ReceivedFrame) and len(seen) < 8:
            seen.append(event.describe(60))
            continue
        break
    peer.notes.append(f"after the lie: {seen or 'no frame'}, then {event.describe()}")
    peer.notes.append(f"closed-in:{time.monotonic() - started:.2f}")
    if isinstance(peer, pki_lies.LyingResponder):
        peer.ended = True
    peer.reaction = event


def _fatal_eror(code: int, message: str, data: int | None) -> Lie:
    def lie(peer: Peer) -> None:
        if data is not None:
            peer.rsfl(sha256=DIGEST)
            peer.data(CONTENT[:data])
        peer.frame("EROR", _eror(code, message))
        _watch_close(peer, time.monotonic())

    return lie


def _bad_record(peer: Peer) -> None:
    assert isinstance(peer, eke_lies.LyingServer)
    peer.rsfl(sha256=DIGEST)
    peer.data(CONTENT[:CHUNK])
    record = bytearray(peer.sealed(frame_bytes("DATA", CONTENT[CHUNK : 2 * CHUNK])))
    record[-1] ^= 0x01  # the tag no longer matches
    peer.raw(bytes(record))
    _watch_close(peer, time.monotonic())


# (id, code, message, DATA bytes before the EROR or None for "answering the request",
#  requirements a late close shows broken)
_NOT_FOUND_TEXT = "not_found: suite, no such file (the code says otherwise)"
_EROR_CASES = [
    ("bad-frame-named-not-found", 1, _NOT_FOUND_TEXT, None, ("ERR-1", "ERR-3")),
    ("unexpected-frame", 3, "suite: unexpected", None, ("ERR-3",)),
    ("auth-failed", 4, "suite: refused", None, ("ERR-3",)),
    (
        "internal-named-exists",
        11,
        "exists: suite (the code says internal)",
        None,
        ("ERR-1", "ERR-3"),
    ),
    ("unknown-code-named-not-found", 99, _NOT_FOUND_TEXT, None, ("ERR-3", "ERR-4")),
    ("mid-get-frame-too-large", 2, "suite: failing mid-get", CHUNK, ("ERR-3",)),
    ("mid-get-integrity", 8, "suite: failing mid-get", CHUNK, ("ERR-3",)),
    ("mid-get-timeout-named-forbidden", 10, "forbidden: suite", 2 * CHUNK, ("ERR-1", "ERR-3")),
]


def _run(target: Target, tmp_path: Path, transcripts: TranscriptBook, lie: Lie) -> object:
    if target.profile == "eke":
        return eke_lies._run_lie(target, tmp_path, transcripts, lie)
    return pki_lies._run_lie(target, tmp_path, transcripts, lie)


def _judge(got: object, what: str, own: tuple[str, ...]) -> None:
    if isinstance(got, tuple):
        case, server = got
        notes, describe = server.notes, case.describe()
        eke_lies._judge_failed_get(case, what, server=server, own=own)
    else:
        assert isinstance(got, pki_lies.GetRun)
        notes, describe = got.responder.notes, got.describe()
        pki_lies._judge_failed_get(got, what, None, own)
    late = not any(note.startswith("closed-in:") for note in notes) or isinstance(
        got[1].reaction if isinstance(got, tuple) else got.responder.reaction, TimedOut
    )
    if late:
        failure = ConformanceFailure.evidence(
            what,
            f"the client closes the connection within {_AT_ONCE:g} s, without waiting for the "
            "server (which stays silent and answers no BYE_)",
            "; ".join(n for n in notes if not n.startswith("closed-in:")) or "no reaction seen",
            note=describe,
        )
        failure.violates = own
        raise failure


@pytest.mark.req("ERR-3", "ERR-1", "ERR-4")
@pytest.mark.parametrize(
    ("code", "message", "data", "own"),
    [pytest.param(*rest, id=name) for name, *rest in _EROR_CASES],
)
def test_client_closes_at_once_after_a_fatal_eror(
    target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    code: int,
    message: str,
    data: int | None,
    own: tuple[str, ...],
) -> None:
    where = "answering the request" if data is None else f"after RSFL and {data} bytes of DATA"
    got = _run(target, tmp_path, transcripts, _fatal_eror(code, message, data))
    _judge(got, f"EROR code {code} (fatal) {where}, message {message!r}", own)


@pytest.mark.req("EKE-REC-4")
@pytest.mark.profile("eke")
def test_eke_client_closes_at_once_after_a_record_that_does_not_open(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    got = eke_lies._run_lie(eke_target, tmp_path, transcripts, _bad_record)
    _judge(
        got,
        f"an honest RSFL and {CHUNK} bytes, then a DATA record whose tag does not match",
        ("EKE-REC-4",),
    )
