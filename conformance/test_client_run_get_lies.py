"""Clients of BOTH profiles against lies at the edges of a get (SPEC §3.3, §3.6).

Round 15 (B78): the lying-server families of test_eke_client_transfer.py and
test_pki_initiator_transfer.py look at one door each; a client can pass them and still:

- take a NON-FATAL `EROR` (not_found, forbidden, exists) that comes in the middle of a
  get, after RSFL and some DATA, for the end of the file and rename what it has
  (APP-GET-6: the rename comes only after DONE verified the bytes);
- compare `RSFL.sha256` only when bytes came: a 0-byte (or 1-byte) get whose RSFL
  announced another digest is kept (APP-GET-3: "and RSFL.sha256 when present");
- replace an output that appeared during the get when it has the announced size ("another
  run of the same download"): the file of that name is not the client's (APP-GET-6).

Every lie runs against an sft-eke/1 client (the suite as a lying server after an honest
handshake) and an sft-pki/1 initiator (the suite as a lying responder).
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
from conformance.lying_get import OUT_NAME, existing_file_state
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.wire import ConformanceFailure, error_payload

__all__: list[str] = []

pytestmark = [pytest.mark.side("initiator")]

Peer = eke_lies.LyingServer | pki_lies.LyingResponder
Lie = Callable[[Peer], None]

CONTENT = eke_lies.CONTENT
DIGEST = eke_lies.DIGEST
CHUNK = eke_lies.CHUNK


def _run(
    profile: str, target: Target, tmp_path: Path, transcripts: TranscriptBook, lie: Lie
) -> object:
    if profile == "eke":
        return eke_lies._run_lie(target, tmp_path, transcripts, lie)
    return pki_lies._run_lie(target, tmp_path, transcripts, lie)


def _judge_failed(
    profile: str, got: object, what: str, owed: str | None, own: tuple[str, ...]
) -> None:
    if profile == "eke":
        assert isinstance(got, tuple)
        case, server = got
        eke_lies._judge_failed_get(case, what, owed=owed, server=server, own=own)
    else:
        assert isinstance(got, pki_lies.GetRun)
        pki_lies._judge_failed_get(got, what, owed, own)


# ------------------------------------------------------- a non-fatal EROR in the middle


_MID_CODES = ("not_found", "forbidden", "exists")
_MID_AFTER = {"rsfl": 0, "some-data": CHUNK, "all-but-one": len(CONTENT) - 1}
# Every code at one position, every position with one code (cost: one run each).
_MID_CASES = [
    ("not_found", "rsfl"),
    ("forbidden", "some-data"),
    ("exists", "some-data"),
    ("exists", "all-but-one"),
]


def _eror_mid_get(code: str, sent: int) -> Lie:
    def lie(peer: Peer) -> None:
        peer.rsfl(sha256=DIGEST)
        if sent:
            peer.data(CONTENT[:sent])
        peer.frame("EROR", error_payload(code, f"suite: {code} in the middle of the get"))
        peer.await_reaction()

    return lie


@pytest.mark.req("APP-GET-6", "APP-STORE-3")
@pytest.mark.parametrize(("code", "after"), _MID_CASES)
def test_client_keeps_nothing_after_a_non_fatal_eror_mid_get(
    target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    code: str,
    after: str,
) -> None:
    """A non-fatal code where none is allowed (a get in progress answers nothing): the get
    did not end with a verified DONE, so nothing is renamed to the final name; the client
    fails (non-zero exit). Which answer it sends, if any, is not judged here."""
    profile = target.profile
    got = _run(profile, target, tmp_path, transcripts, _eror_mid_get(code, _MID_AFTER[after]))
    _judge_failed(
        profile,
        got,
        f"an honest RSFL ({len(CONTENT)} bytes), {_MID_AFTER[after]} bytes of DATA, then "
        f"EROR {code} (non-fatal) instead of the rest and DONE",
        None,
        ("APP-GET-6",),
    )


# ------------------------------------------------ RSFL.sha256 wrong on tiny files


_TINY = {"empty": b"", "one-byte": b"\x00"}


def _rsfl_digest_wrong(body: bytes) -> Lie:
    def lie(peer: Peer) -> None:
        wrong = hashlib.sha256(body + b"other").hexdigest()
        peer.rsfl(size=len(body), sha256=wrong)
        if body:
            peer.data(body)
        peer.done(len(body), hashlib.sha256(body).hexdigest())
        peer.await_reaction()

    return lie


@pytest.mark.req("APP-GET-3", "APP-STORE-3")
@pytest.mark.parametrize("size", list(_TINY))
def test_client_checks_the_rsfl_digest_of_a_tiny_file(
    target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    size: str,
) -> None:
    """RSFL announces a digest, the bytes and DONE agree with each other but not with it:
    APP-GET-3 compares RSFL.sha256 too, whatever the size (0 bytes: nothing to hash is no
    reason to skip the comparison)."""
    profile = target.profile
    body = _TINY[size]
    got = _run(profile, target, tmp_path, transcripts, _rsfl_digest_wrong(body))
    _judge_failed(
        profile,
        got,
        f"a {len(body)}-byte file whose RSFL.sha256 is not the digest of its bytes (DONE's is)",
        "integrity_failed",
        ("APP-GET-3",),
    )


# ------------------------------------- an output of the announced size appears meanwhile


def _appears_with_size(size: int) -> Lie:
    def lie(peer: Peer) -> None:
        peer.rsfl(sha256=DIGEST)
        peer.data(CONTENT)
        foreign = (b"the user's own file " * (size // 20 + 1))[:size]
        try:
            fd = os.open(peer.outdir / OUT_NAME, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            peer.notes.append("APP-GET-6: the client created the final name before DONE")
        else:
            with os.fdopen(fd, "wb") as file:
                file.write(foreign)
        peer.notes.append(f"foreign:{size}")
        peer.done()
        peer.await_reaction()

    return lie


_SIZES = {"announced-size": len(CONTENT), "empty": 0}


@pytest.mark.req("APP-GET-6")
@pytest.mark.parametrize("size", list(_SIZES))
def test_client_does_not_replace_a_same_size_file_that_appears(
    target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    size: str,
) -> None:
    """Someone makes the output name during the get, with as many bytes as the get
    announced (or none): it is still not the client's file; the client's rename fails."""
    profile = target.profile
    n = _SIZES[size]
    got = _run(profile, target, tmp_path, transcripts, _appears_with_size(n))
    if isinstance(got, tuple):
        case, server = got
        out, notes, describe, left = case.result.out, server.notes, case.describe(), case.leftovers
    else:
        assert isinstance(got, pki_lies.GetRun)
        out, notes, describe, left = (
            got.run.out,
            got.responder.notes,
            got.describe(),
            leftovers(got.run),
        )
    expected = (b"the user's own file " * (n // 20 + 1))[:n]
    state = existing_file_state(out, expected)
    problems = [note for note in notes if note.startswith("APP-GET-6")]
    if state != "intact" or problems:
        raise ConformanceFailure.evidence(
            f"APP-GET-6: a file of {n} bytes (the get announced {len(CONTENT)}) appeared under "
            "the output name before DONE",
            "the client leaves it as it is (its no-replace rename fails)",
            f"the file was {state}; {problems or ''} other files: {left}",
            note=describe,
        )
