"""What BOTH clients report when a get ends badly at its very end (SPEC §3.3, §2).

APP-GET-5: a connection that closes before `DONE` MUST fail the transfer and nothing is
kept under the final name. The lying-get cases end a get early (an `EROR` after the
first DATA frame, a close at every boundary). A client can still keep a file it has all
the bytes of when the server's last word is an `EROR` in place of `DONE` — "every byte
announced is here; the server timed out / failed after sending": the size matches, only
the digest check is missing, and the file is kept. The suite, as the server (sft-eke/1)
or the responder (sft-pki/1), sends `RSFL` with the right SHA-256 and every byte, then an
`EROR` instead of `DONE`: `internal`, `timeout`, a code the table does not list (99:
`internal`, ERR-4) and `not_found` (a non-fatal code: in the middle of a transfer any
`EROR` ends it, §3.2, last row). The client must fail the get: non-zero exit, nothing
under the final name, no temporary file.

ERR-1: an `EROR` the client sends carries `code`, the table's `name` for it and a
`message` of at most 512 characters. The place a client is tempted to break the bound is
its `bad_frame` answer, quoting the frame that was malformed. The suite sends a malformed
`RSFL` of a few kilobytes (a `size` given as a string beside a long member; JSON cut off
in a long string); if the client answers with an `EROR`, its form is judged. (A client
that only closes is not judged here: what it owes is the lying-get cases' business.)
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from conformance import test_eke_client_transfer as eke_lies
from conformance import test_pki_initiator_transfer as pki_lies
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.wire import ConformanceFailure, Event, ReceivedFrame, control, error_payload

pytestmark = [pytest.mark.side("initiator")]

_PKI = pytest.mark.profile("pki")
_EKE_GROUP = pytest.mark.xdist_group("eke-client")

Peer = Any  # eke_lies.LyingServer | pki_lies.LyingResponder: .frame(), .await_reaction()
PeerLie = Callable[[Peer], None]

# The EROR in place of DONE, by label: (code, name) as sent.
_LATE = {
    "internal": error_payload("internal", "suite: failed after sending"),
    "timeout": error_payload("timeout", "suite: idle timeout after sending"),
    "unknown-99": control({"code": 99, "name": "internal", "message": "suite: code 99"}),
    "not_found": error_payload("not_found", "suite: a non-fatal code in place of DONE"),
}


def _all_bytes_then(payload: bytes, content: bytes, digest: str, size: int) -> PeerLie:
    def lie(peer: Peer) -> None:
        peer.frame("RSFL", control({"name": eke_lies.NAME, "size": size, "sha256": digest}))
        peer.data(content)
        peer.frame("EROR", payload)
        peer.await_reaction()

    return lie


@_EKE_GROUP
@pytest.mark.req("APP-GET-5", "APP-STORE-3")
@pytest.mark.parametrize("label", sorted(_LATE))
def test_eke_client_fails_a_get_ended_by_an_eror_after_its_last_byte(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook, label: str
) -> None:
    lie = _all_bytes_then(_LATE[label], eke_lies.CONTENT, eke_lies.DIGEST, eke_lies.SIZE)
    case, server = eke_lies._run_lie(eke_target, tmp_path, transcripts, lie)
    eke_lies._judge_failed_get(
        case,
        f"APP-GET-5: RSFL (with the right SHA-256) and all {eke_lies.SIZE} bytes, then "
        f"EROR {label} in place of DONE",
        server=server,
        own=("APP-GET-5",),
    )


@_PKI
@pytest.mark.req("APP-GET-5", "APP-STORE-3")
@pytest.mark.parametrize("label", sorted(_LATE))
def test_pki_initiator_fails_a_get_ended_by_an_eror_after_its_last_byte(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, label: str
) -> None:
    lie = _all_bytes_then(_LATE[label], pki_lies.CONTENT, pki_lies.DIGEST, pki_lies.SIZE)
    got = pki_lies._run_lie(target, tmp_path, transcripts, lie)
    pki_lies._judge_failed_get(
        got,
        f"APP-GET-5: RSFL (with the right SHA-256) and all {pki_lies.SIZE} bytes, then "
        f"EROR {label} in place of DONE",
        None,
        own=("APP-GET-5",),
    )


# ---------------------------------------------------------------- the client's own EROR

_LONG = "x" * 3000
_MALFORMED = {
    # `size` a string of digits: FRM-11 (bad_frame), beside a member the schema ignores.
    "size-as-string-long-member": control(
        {"name": eke_lies.NAME, "size": str(eke_lies.SIZE), "note": _LONG}
    ),
    # JSON cut off inside a long string: FRM-9.
    "json-cut-in-a-long-string": b'{"name": "' + _LONG.encode() + b"",
}


def _malformed(payload: bytes) -> PeerLie:
    def lie(peer: Peer) -> None:
        peer.frame("RSFL", payload)
        peer.await_reaction()

    return lie


def _judge_eror_form(reaction: Event | None, label: str, note: str) -> None:
    if not isinstance(reaction, ReceivedFrame) or reaction.type != b"EROR":
        return  # no EROR: nothing of its form to judge here
    problems = reaction.violations()
    if problems:
        failure = ConformanceFailure.evidence(
            f"ERR-1: the client's EROR after a malformed RSFL of {len(_MALFORMED[label])} "
            f"bytes ({label})",
            "an EROR with an integer code of the table, that code's name and a message of "
            "at most 512 characters (it need not quote the frame)",
            f"{reaction.describe(200)}: {problems}",
            note=note,
        )
        failure.violates = ("ERR-1",)
        raise failure


@_EKE_GROUP
@pytest.mark.req("ERR-1")
@pytest.mark.parametrize("label", sorted(_MALFORMED))
def test_eke_client_error_after_a_long_malformed_frame_is_well_formed(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook, label: str
) -> None:
    case, server = eke_lies._run_lie(
        eke_target, tmp_path, transcripts, _malformed(_MALFORMED[label])
    )
    _judge_eror_form(server.reaction, label, case.describe())


@_PKI
@pytest.mark.req("ERR-1")
@pytest.mark.parametrize("label", sorted(_MALFORMED))
def test_pki_initiator_error_after_a_long_malformed_frame_is_well_formed(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, label: str
) -> None:
    got = pki_lies._run_lie(target, tmp_path, transcripts, _malformed(_MALFORMED[label]))
    _judge_eror_form(got.responder.reaction, label, got.describe())
