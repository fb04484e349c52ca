"""Clients of BOTH profiles: the EROR a client sends never quotes the file (SPEC §2 ERR-5).

An `EROR` message MUST NOT contain secrets — passwords, keys, file content. The place a
client is most tempted is its integrity failure: "expected sha256 X, got Y; last bytes
received: b'...'", a dump of the buffer it was checking, the partial file's head. The
password and keys are looked for by test_eke_client.py; here the suite, as a lying server
after an honest handshake, sends a file of printable, random text (so that any quotation
of it — raw, `repr`, an escaped string — shows as text) and then a wrong `DONE` (digest,
or size), or one byte more than announced; if the client answers with an `EROR`, its
message must hold no run of 16 characters of the file, as text or as hex. A client that
only closes is not judged here (what it owes is test_eke_client_transfer.py's and
test_pki_initiator_transfer.py's business).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from pathlib import Path

import pytest

from conformance import test_eke_client_transfer as eke_lies
from conformance import test_pki_initiator_transfer as pki_lies
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.wire import ConformanceFailure, Event, ReceivedFrame

pytestmark = [pytest.mark.side("initiator")]

_PKI = pytest.mark.profile("pki")
_EKE_GROUP = pytest.mark.xdist_group("eke-client")

Peer = eke_lies.LyingServer | pki_lies.LyingResponder
PeerLie = Callable[[Peer], None]

# Printable and unique to this run: no message text a client writes by itself contains
# 16 characters of it. 16 KiB in 1000-byte DATA frames, as the other lying gets send.
_LINE = 64
CONTENT = b"".join(
    b"confidential " + secrets.token_urlsafe(_LINE).encode()[: _LINE - 14] + b"\n"
    for _ in range(16 * 1024 // _LINE)
)
DIGEST = hashlib.sha256(CONTENT).hexdigest()
WRONG = hashlib.sha256(b"not the content").hexdigest()
_WINDOW = 16


def _wrong_digest(peer: Peer) -> None:
    peer.rsfl(len(CONTENT))
    peer.data(CONTENT)
    peer.done(len(CONTENT), WRONG)
    peer.await_reaction()


def _short_done(peer: Peer) -> None:
    peer.rsfl(len(CONTENT))
    peer.data(CONTENT)
    peer.done(len(CONTENT) - 1, DIGEST)
    peer.await_reaction()


def _one_byte_more(peer: Peer) -> None:
    peer.rsfl(len(CONTENT) - 1)
    peer.data(CONTENT)
    peer.await_reaction()


_LIES: dict[str, PeerLie] = {
    "done-sha256-wrong": _wrong_digest,
    "done-size-short": _short_done,
    "data-beyond-size": _one_byte_more,
}


def _quoted(message: str) -> str | None:
    """A run of _WINDOW characters of CONTENT found in `message` (as text or hex)."""
    text = CONTENT.decode("ascii")
    folded = message.lower()
    for start in range(0, len(text) - _WINDOW + 1):
        piece = text[start : start + _WINDOW]
        if piece.strip() and piece in message:
            return piece
        raw = CONTENT[start : start + _WINDOW // 2].hex()
        if raw in folded:
            return f"hex {raw}"
    return None


def _judge(reaction: Event | None, what: str, note: str) -> None:
    if not isinstance(reaction, ReceivedFrame) or reaction.type != b"EROR":
        return  # no EROR, nothing it could have quoted
    obj = reaction.json() or {}
    message = obj.get("message")
    if not isinstance(message, str):
        return  # a malformed EROR is ERR-1's business (test_client_lies.py)
    found = _quoted(message)
    if found is not None:
        raise ConformanceFailure.evidence(
            f"ERR-5: the client's EROR after {what} (the file: {len(CONTENT)} bytes of "
            "printable random text)",
            "an EROR message that holds no file content",
            f"the message quotes the file ({found!r}): {message[:300]!r}",
            note=note,
        )


@_EKE_GROUP
@pytest.mark.req("ERR-5")
@pytest.mark.parametrize("lie", sorted(_LIES))
def test_eke_client_error_does_not_quote_the_file(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook, lie: str
) -> None:
    run, server = eke_lies._run_lie(eke_target, tmp_path, transcripts, _LIES[lie])
    _judge(server.reaction, lie, run.describe())


@_PKI
@pytest.mark.req("ERR-5")
@pytest.mark.parametrize("lie", sorted(_LIES))
def test_pki_initiator_error_does_not_quote_the_file(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, lie: str
) -> None:
    got = pki_lies._run_lie(target, tmp_path, transcripts, _LIES[lie])
    _judge(got.responder.reaction, lie, got.describe())
