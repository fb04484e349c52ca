"""Clients of BOTH profiles judge a get's frames by the state and the schema (SPEC §1, §3).

Round 15 (B78), lenses "the default branch", "reflection" and "compound conditions":

- an `RSFL.sha256` that is not exactly 64 lowercase hexadecimal characters — upper
  case, 63 or 65 digits, 64 characters that are not hex, a short hex string — is
  malformed (FRM-12) and answered `bad_frame` at once, whichever of the two conditions
  (length, alphabet) it breaks: a check written `len == 64 or hex` passes half of them;
- an `RSFL` answering a get that carries, besides `name` and `size`, the members of a
  put's acceptance (`"accept": true`) is still a get's RSFL: members the schema does not
  define are ignored (FRM-10), and the state — not the members present — says which
  RSFL it is;
- a `BYE_` from the server in place of the answer, or in the middle of the get, is a
  frame its state does not allow (R->I BYE_ only echoes the initiator's): answered
  `unexpected_frame` (FRM-6), not taken for "the server leaving".
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from conformance import test_eke_client_transfer as eke_lies
from conformance import test_pki_initiator_transfer as pki_lies
from conformance._wire_fixtures import leftovers
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.wire import ConformanceFailure, TimedOut, control

__all__: list[str] = []

pytestmark = [pytest.mark.side("initiator")]

Peer = eke_lies.LyingServer | pki_lies.LyingResponder
Lie = Callable[[Peer], None]

NAME = eke_lies.NAME
CONTENT = eke_lies.CONTENT
SIZE = eke_lies.SIZE
DIGEST = eke_lies.DIGEST
CHUNK = eke_lies.CHUNK


def _run(target: Target, tmp_path: Path, transcripts: TranscriptBook, lie: Lie) -> object:
    if target.profile == "eke":
        return eke_lies._run_lie(target, tmp_path, transcripts, lie)
    return pki_lies._run_lie(target, tmp_path, transcripts, lie)


def _judge_failed(got: object, what: str, owed: str, own: tuple[str, ...]) -> None:
    if isinstance(got, tuple):
        case, server = got
        eke_lies._judge_failed_get(case, what, owed=owed, server=server, own=own)
    else:
        assert isinstance(got, pki_lies.GetRun)
        pki_lies._judge_failed_get(got, what, owed, own)


def _rsfl(peer: Peer, **members: object) -> None:
    peer.frame("RSFL", control({"name": NAME, "size": SIZE, **members}))


# ------------------------------------------------------------ RSFL.sha256 of a bad form


_BAD_DIGESTS = {
    "upper-case": DIGEST.upper(),
    "63-digits": DIGEST[:-1],
    "65-digits": DIGEST + "0",
    "64-non-hex": "g" + DIGEST[1:],
    "short-hex": DIGEST[:8],
}


def _bad_rsfl_digest(digest: str) -> Lie:
    def lie(peer: Peer) -> None:
        _rsfl(peer, sha256=digest)
        peer.await_reaction()
        if isinstance(peer.reaction, TimedOut):
            # The client took the RSFL: finish the get honestly, as a liar would.
            peer.data(CONTENT)
            peer.done()
            peer.await_reaction()

    return lie


@pytest.mark.req("FRM-12", "FRM-9")
@pytest.mark.parametrize("form", list(_BAD_DIGESTS))
def test_client_refuses_an_rsfl_digest_of_a_bad_form(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, form: str
) -> None:
    digest = _BAD_DIGESTS[form]
    got = _run(target, tmp_path, transcripts, _bad_rsfl_digest(digest))
    _judge_failed(
        got,
        f"an RSFL whose sha256 is {digest!r} ({form}: not 64 lowercase hex digits)",
        "bad_frame",
        ("FRM-12",),
    )


# ------------------------------------------------ a get's RSFL with a put's members


def _rsfl_with_accept(peer: Peer) -> None:
    _rsfl(peer, sha256=DIGEST, accept=True)
    peer.data(CONTENT)
    peer.done()
    peer.await_reaction()


@pytest.mark.req("FRM-10")
def test_client_takes_a_get_rsfl_carrying_an_accept_member(
    target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    got = _run(target, tmp_path, transcripts, _rsfl_with_accept)
    if isinstance(got, tuple):
        case, _server = got
        code, out, describe = case.result.returncode, case.result.out, case.describe()
        left = case.leftovers
    else:
        assert isinstance(got, pki_lies.GetRun)
        code, out, describe = got.run.returncode, got.run.out, got.describe()
        left = leftovers(got.run)
    kept = out.is_file() and out.read_bytes() == CONTENT
    if code != 0 or not kept:
        raise ConformanceFailure.evidence(
            'an honest get whose RSFL also carries "accept": true (a member a get\'s RSFL '
            "does not define)",
            "the member is ignored: exit 0, the file kept under the final name",
            f"exit {code}; output {'kept' if kept else 'missing or different'}; left {left}",
            note=describe,
        )


# ------------------------------------------------------------ BYE_ from the server


def _bye_after(data: int | None) -> Lie:
    def lie(peer: Peer) -> None:
        if data is not None:
            _rsfl(peer, sha256=DIGEST)
            peer.data(CONTENT[:data])
        peer.frame("BYE_", control({}))
        peer.await_reaction()

    return lie


_BYE_AT = {"instead-of-rsfl": None, "mid-get": CHUNK}


@pytest.mark.req("FRM-6")
@pytest.mark.parametrize("at", list(_BYE_AT))
def test_client_answers_a_bye_from_the_server_unexpected_frame(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, at: str
) -> None:
    data = _BYE_AT[at]
    where = "in place of RSFL" if data is None else f"after RSFL and {data} bytes"
    got = _run(target, tmp_path, transcripts, _bye_after(data))
    _judge_failed(got, f"BYE_ from the server {where}", "unexpected_frame", ("FRM-6",))
