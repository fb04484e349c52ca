"""No piece of the handshake's nonces leaves an sft-eke/1 CLIENT in its EROR frames, not even
as a "session id" (SPEC §2 ERR-5).

ERR-5: "In sft-eke/1 the secrets include `pw`, the nonces Ns and Na, Z, PRK and every key
and IV of EKE-KS-3, and any part or digest of them (a "key id" or fingerprint included)."
The nonces are the tempting ones: random, unique per login, at hand — an implementer who
wants to correlate a client's error with the server's log line quotes the first bytes of
Na (or Ns, or a digest of both) as a session id. test_eke_client_key_fingerprints.py looks
for the keys; this file looks for the nonces.

The suite plays an honest server with the client's password — it chooses Ns and learns Na
from C3 — and then makes the transfer fail so that the client sends an EROR inside the
channel: a DONE carrying another digest (`integrity_failed`); slow: an RSFL without `size`
(`bad_frame`), and an EKE4 sealed under Kcs around another Na (the client may close
without an EROR: then there is nothing to look at). Every EROR the client sends, in clear
or in a record, may hold none of Ns, Na or their digests (SHA-256, SHA-1, SHA-512,
SHA3-256, BLAKE2b, BLAKE2s, MD5, HMAC-SHA256(value, "")): whole, their first 4 bytes as 8
hex digits, any 5 consecutive bytes as 10 hex digits, any 6 raw or in base64.
"""

from __future__ import annotations

import hashlib
import secrets
from pathlib import Path

import pytest

from conformance import eke
from conformance.eke_channel import EkeChannel
from conformance.eke_hostile import (
    Behaviour,
    ServerView,
    client_user,
    eke_pw,
    fresh_password,
    read_frame,
    read_inner,
    run_case,
    skip_slow_variant,
)
from conformance.plugin import TranscriptBook
from conformance.secret_needles import found_in, value_needles
from conformance.target import Target
from conformance.wire import ConformanceFailure, RawConnection, ReceivedFrame

__all__: list[str] = []

pytestmark = [
    pytest.mark.profile("eke"),
    pytest.mark.side("initiator"),
    pytest.mark.xdist_group("eke-client"),
]

_TIMEOUT = 5.0
_NAME = "nonces.bin"
_CONTENT = b"nonces are secrets too\n" * 20


class _Seen:
    def __init__(self) -> None:
        self.ns = secrets.token_bytes(eke.NONCE_LEN)
        self.na = b""
        self.erors: list[tuple[str, bytes]] = []


def _behaviour(pw: bytes, failure: str, seen: _Seen) -> Behaviour:
    def note(event: object, where: str) -> bool:
        if isinstance(event, ReceivedFrame):
            if event.type == b"EROR":
                seen.erors.append((where, bytes(event.payload)))
            return True
        return False

    def behaviour(raw: RawConnection, view: ServerView) -> None:
        event = read_frame(raw, view, _TIMEOUT)
        if not isinstance(event, ReceivedFrame) or event.type != b"EKE1":
            return
        server = eke.ServerHandshake(pw=pw, ns=seen.ns)
        raw.send_frame(b"EKE2", server.on_eke1(event.json() or {}))
        event = read_frame(raw, view, _TIMEOUT)
        if not isinstance(event, ReceivedFrame) or event.type != b"EKE3":
            note(event, "in clear:")
            return
        try:
            eke4 = server.on_eke3(event.json() or {})
        except eke.EkeError:
            return
        seen.na = server.na
        keys = server.keys
        assert keys is not None
        if failure == "eke4-wrong-na":
            c4 = eke.aead_seal(keys.kcs, eke.N4, secrets.token_bytes(32), b"EKE4" + keys.th)
            raw.send_frame(b"EKE4", {"c": c4.hex()})
            for _ in range(3):
                if not note(read_frame(raw, view, _TIMEOUT), "in clear:"):
                    return
            return
        raw.send_frame(b"EKE4", eke4)
        sender, receiver = server.record_layer()
        channel = EkeChannel(raw, keys, sender, receiver, role="server")
        event = read_inner(channel, view, _TIMEOUT)
        if not isinstance(event, ReceivedFrame) or event.type != b"RQFL":
            return
        if failure == "rsfl-without-size":
            channel.send_frame("RSFL", {"name": _NAME})
        else:
            channel.send_frame("RSFL", {"name": _NAME, "size": len(_CONTENT)})
            channel.send_frame("DATA", _CONTENT)
            channel.send_frame(
                "DONE", {"size": len(_CONTENT), "sha256": hashlib.sha256(b"other").hexdigest()}
            )
        for _ in range(4):
            if not note(read_inner(channel, view, _TIMEOUT), "in a record:"):
                return

    return behaviour


@pytest.mark.req("ERR-5")
@pytest.mark.parametrize(
    "failure",
    [
        "done-digest",
        pytest.param("rsfl-without-size", marks=pytest.mark.slow),
        pytest.param("eke4-wrong-na", marks=pytest.mark.slow),
    ],
)
def test_client_errors_hold_no_piece_of_the_nonces(
    eke_target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    failure: str,
    request: pytest.FixtureRequest,
) -> None:
    """The client's EROR frames after `failure` quote nothing of Ns or Na."""
    skip_slow_variant(request)
    password = fresh_password()
    pw = eke_pw(client_user(eke_target), password)
    seen = _Seen()
    case = run_case(
        eke_target,
        tmp_path,
        transcripts,
        _behaviour(pw, failure, seen),
        name=_NAME,
        password=password,
        timeout=_TIMEOUT,
    )
    if not seen.na:
        raise RuntimeError(f"no honest login completed: {case.describe()}")
    needles = {**value_needles("Ns", seen.ns), **value_needles("Na", seen.na)}
    found = []
    for where, text in seen.erors:
        hits = found_in(text, needles)
        if hits:
            found.append(f"{where} {text[:160]!r} holds {', '.join(hits[:3])}")
    if found:
        raise ConformanceFailure.evidence(
            f"ERR-5: the client's EROR frames after {failure} (Ns {seen.ns.hex()[:16]}…, "
            f"Na {seen.na.hex()[:16]}…)",
            "nothing of the nonces Ns and Na, nor of a digest of them",
            "; ".join(found),
            note=case.describe(),
        )
