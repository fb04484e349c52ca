"""Clients of BOTH profiles: the EROR a client sends never quotes the file (SPEC §2 ERR-5).

An `EROR` message MUST NOT contain secrets — passwords, keys, file content. The place a
client is most tempted is its integrity failure: "expected sha256 X, got Y; last bytes
received: b'...'", a dump of the buffer it was checking, the partial file's head. The
password and keys are looked for by test_eke_client.py; here the suite, as a lying server
after an honest handshake, sends a file of printable, random text (so that any quotation
of it — raw, `repr`, an escaped string — shows as text) and then a wrong `DONE` (digest,
or size), or one byte more than announced; if the client answers with an `EROR`, its
message (any string in it) must quote no 8 bytes of the file in any form a library
prints bytes in: text (16 characters), hex (contiguous, or a dump with spaces, `0x`, `\\x`
or `%` between bytes), standard or URL-safe Base64 at any alignment. A client that
only closes is not judged here (what it owes is test_eke_client_transfer.py's and
test_pki_initiator_transfer.py's business).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

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
_WINDOW = 16  # characters of the file's text that make a quotation
_MIN = 8  # bytes of the file that make a quotation in an encoded form
_B64_TOKEN = re.compile(r"[A-Za-z0-9+/_-]{11,}")
# Separators a hex dump puts between its bytes, and the prefixes it writes before them.
_HEX_NOISE = re.compile(r"\\x|0x|%|[\s:,;.'\"\[\]()-]")


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


def _strings(value: Any) -> list[str]:
    """Every string inside a decoded JSON value (members and array items, nested)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (*_strings(k), *_strings(v))]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def _as_text(message: str) -> str | None:
    text = CONTENT.decode("ascii")
    for start in range(0, len(text) - _WINDOW + 1):
        piece = text[start : start + _WINDOW]
        if piece.strip() and piece in message:
            return f"text {piece!r}"
    return None


def _as_hex(message: str) -> str | None:
    compact = _HEX_NOISE.sub("", message.lower())
    hexed = CONTENT.hex()
    for start in range(0, len(CONTENT) - _MIN + 1):
        window = hexed[2 * start : 2 * (start + _MIN)]
        if window in compact:
            return f"hex {window}"
    return None


def _as_base64(message: str) -> str | None:
    for token in _B64_TOKEN.findall(message):
        for drop in range(4):
            body = token[drop:]
            body = body[: len(body) // 4 * 4]
            if len(body) < 12:
                continue
            std = body.replace("-", "+").replace("_", "/")
            try:
                raw = base64.b64decode(std, validate=True)
            except (binascii.Error, ValueError):
                continue
            for cut in range(0, max(1, len(raw) - _MIN + 1)):
                piece = raw[cut : cut + _MIN]
                if len(piece) == _MIN and piece in CONTENT:
                    return f"base64 {token[:40]!r} ({piece!r})"
    return None


def _quoted(message: str) -> str | None:
    return _as_text(message) or _as_hex(message) or _as_base64(message)


def _judge(reaction: Event | None, what: str, note: str) -> None:
    if not isinstance(reaction, ReceivedFrame) or reaction.type != b"EROR":
        return  # no EROR, nothing it could have quoted
    for text in _strings(reaction.json()):
        found = _quoted(text)
        if found is not None:
            raise ConformanceFailure.evidence(
                f"ERR-5: the client's EROR after {what} (the file: {len(CONTENT)} bytes of "
                "printable random text)",
                "an EROR that holds no file content, in no encoding (text, hex, hex dump, "
                "Base64)",
                f"it quotes the file as {found}: {text[:300]!r}",
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


def test_quotation_finder_sees_every_form() -> None:
    """The finder itself: each encoding of a piece of the file is seen, a plain message not."""
    piece = CONTENT[100:148]
    spaced = " ".join(f"{b:02x}" for b in piece)
    forms = {
        "text": "mismatch; received " + piece.decode("ascii"),
        "hex": "mismatch; head " + piece.hex().upper(),
        "spaced hex": "mismatch; head " + spaced,
        "0x hex": "head " + ", ".join(f"0x{b:02X}" for b in piece),
        "escaped": "head b'" + "".join(f"\\x{b:02x}" for b in piece) + "'",
        "percent": "head " + "".join(f"%{b:02X}" for b in piece),
        "base64": "head " + base64.b64encode(piece).decode(),
        "base64 offset": "head " + base64.b64encode(CONTENT[101:150]).decode(),
        "urlsafe": "head " + base64.urlsafe_b64encode(CONTENT[102:151]).decode().rstrip("="),
    }
    for name, message in forms.items():
        assert _quoted(message) is not None, name
    plain = (
        "integrity_failed: size or SHA-256 mismatch (expected "
        f"{WRONG}, got {DIGEST}); received 16384 bytes"
    )
    assert _quoted(plain) is None
