"""A `DONE` that breaks its schema, as an initiator receives it at the end of a get
(docs/SPEC.md §1 FRM-9, FRM-11, FRM-12; §3.3 APP-GET-3).

The initiator's last frame of a get is the responder's `DONE {size, sha256}`; both members
are required, `size` a JSON integer, `sha256` 64 lowercase hex characters. A `DONE` whose
member is missing, `null`, of another JSON type, or given twice is malformed: the get
fails with `EROR bad_frame` [FRM-9], nothing is kept under the final name.

The class of bug: an initiator that parses `RSFL` strictly but the `DONE` loosely, because
by then every byte has arrived and matches `RSFL.size` — a parse error of the `DONE`
caught and taken as "an old responder's short DONE: the sizes decide", a missing digest
read as "nothing to compare", `null` read as absent (`== null`, `??`, a nullable field),
the last of two keys winning. Such an initiator keeps a file no `DONE` vouched for. The
suite's other `DONE` lies are well-formed (wrong digests, wrong sizes) or upper-case /
fractional members; this file gives the missing and wrongly typed ones, on both profiles
(found by planting the mistake blind in pki6, a Node initiator: `getSha(done)` in a
`try` whose `catch` took the computed digest).

The suite plays the responder (test_eke_client_transfer.py's lying server, and
test_pki_initiator_transfer.py's lying responder) and runs the target's client command:
an honest `RSFL` (with the right `sha256`), every byte of the file, then the malformed
`DONE`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from conformance import test_eke_client_transfer as eke_lies
from conformance import test_pki_initiator_transfer as pki_lies
from conformance.plugin import TranscriptBook
from conformance.target import Target

pytestmark = [pytest.mark.side("initiator")]

_PKI = pytest.mark.profile("pki")
_EKE_GROUP = pytest.mark.xdist_group("eke-client")

Peer = eke_lies.LyingServer | pki_lies.LyingResponder
PeerLie = Callable[[Peer], None]

# `%d`: the file's size; `%s`: its SHA-256 (lowercase, right). Each payload is malformed
# only by the member it names; with the schema's members as they should be the get
# would be good.
_DONES: dict[str, tuple[bytes, tuple[str, ...]]] = {
    "sha256-missing": (b'{"size":%d}', ("FRM-9",)),
    "sha256-null": (b'{"size":%d,"sha256":null}', ("FRM-9", "FRM-12")),
    "sha256-number": (b'{"size":%d,"sha256":0}', ("FRM-9", "FRM-12")),
    "sha256-in-an-array": (b'{"size":%d,"sha256":["%s"]}', ("FRM-9", "FRM-12")),
    "sha256-twice-last-right": (
        b'{"size":%d,"sha256":"' + b"0" * 64 + b'","sha256":"%s"}',
        ("FRM-9",),
    ),
    "size-missing": (b'{"sha256":"%s"}', ("FRM-9",)),
    "size-null": (b'{"size":null,"sha256":"%s"}', ("FRM-9", "FRM-11")),
    "size-string": (b'{"size":"%d","sha256":"%s"}', ("FRM-9", "FRM-11")),
    "not-an-object": (b'[%d,"%s"]', ("FRM-9",)),
}


# A DONE object whose `size` or `sha256` is missing or of another JSON type also fails
# APP-GET-3's check (the bytes received cannot equal an absent size or digest): FRM-16
# lets the initiator answer `integrity_failed` as well as `bad_frame` (as a responder may
# for a put's DONE, APP-PUT-5). A duplicate key or a payload that is no object breaks
# FRM-9 alone.
_BAD_FRAME_ONLY = ("sha256-twice-last-right", "not-an-object")


def _owed(case: str) -> str:
    return "bad_frame" if case in _BAD_FRAME_ONLY else "bad_frame|integrity_failed"


def _payload(case: str, size: int, digest: str) -> bytes:
    template = _DONES[case][0]
    return template.replace(b"%d", str(size).encode()).replace(b"%s", digest.encode())


def _honest_then_done(content: bytes, digest: str, payload: bytes) -> PeerLie:
    def lie(peer: Peer) -> None:
        peer.rsfl(sha256=digest)
        peer.data(content)
        peer.frame("DONE", payload)
        peer.await_reaction()

    return lie


def _what(case: str, payload: bytes) -> str:
    return (
        f"FRM-9: an honest RSFL and every byte of the file, then DONE {payload.decode()} "
        f"({case})"
    )


@_EKE_GROUP
@pytest.mark.req("FRM-9", "FRM-11", "FRM-12")
@pytest.mark.parametrize("case", sorted(_DONES))
def test_eke_client_refuses_a_done_that_breaks_its_schema(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook, case: str
) -> None:
    """The get fails: non-zero exit, nothing under the final name, no temporary file, and
    `EROR bad_frame` (or, for a member missing or mistyped, `integrity_failed`: FRM-16)
    sealed in a record."""
    payload = _payload(case, eke_lies.SIZE, eke_lies.DIGEST)
    lie = _honest_then_done(eke_lies.CONTENT, eke_lies.DIGEST, payload)
    client, server = eke_lies._run_lie(eke_target, tmp_path, transcripts, lie)
    eke_lies._judge_failed_get(
        client, _what(case, payload), owed=_owed(case), server=server, own=_DONES[case][1]
    )


@_PKI
@pytest.mark.req("FRM-9", "FRM-11", "FRM-12")
@pytest.mark.parametrize("case", sorted(_DONES))
def test_pki_initiator_refuses_a_done_that_breaks_its_schema(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, case: str
) -> None:
    """The get fails: non-zero exit, nothing under the final name, no temporary file, and
    `EROR bad_frame` (or, for a member missing or mistyped, `integrity_failed`: FRM-16)."""
    payload = _payload(case, pki_lies.SIZE, pki_lies.DIGEST)
    lie = _honest_then_done(pki_lies.CONTENT, pki_lies.DIGEST, payload)
    got = pki_lies._run_lie(target, tmp_path, transcripts, lie)
    pki_lies._judge_failed_get(got, _what(case, payload), _owed(case), _DONES[case][1])
