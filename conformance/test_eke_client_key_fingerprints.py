"""No value derived from the session's keys leaves an sft-eke/1 CLIENT in its EROR frames,
not even a short fingerprint (SPEC §5.1 EKE-PW-3, §2 ERR-5, §5.3 EKE-HS-9, §5.7 EKE-SEC-1).

EKE-PW-3: "The client MUST NOT send the password, pw, or any value computed from them other
than the handshake messages". ERR-5: an EROR message MUST NOT contain secrets (keys).
test_eke_client.py looks for the password and pw in every encoding, and for short pieces
of them (a "key id"). A client's error path can quote what it computed one step later
instead — "key confirmation failed (key id 3fa1c2…)", 8 bytes of SHA-256(Kcs) — and that is
worse than it looks: a fake server that sent B = E_pw'(Y) for its own y can derive, for
every guess pw', the Kcs the client would have and compare fingerprints: an offline
dictionary attack from one login (EKE-SEC-1), the flaw of the seed in new clothes.

The suite plays the server with the client's password (so it derives the very keys the
client derives), makes the login or the transfer fail, and collects every EROR the client
sends (in clear before EKE4, as a record after) and any member EKE1 or EKE3 carries beyond
their schema. None of it may hold, of Z, PRK, Kcs, Kcc or the record keys and IVs, nor of
their SHA-256, SHA-1, SHA-512, SHA3-256, BLAKE2b, BLAKE2s or MD5 digests or
HMAC-SHA256(value, ""): the first 4 bytes as 8 hex digits (a key check value), any 5
consecutive bytes as 10 hex digits, any 6 consecutive bytes raw or as 8 base64
characters. (A chance match stays below 1e-5 per run.) Failures:
* `c2-does-not-open`: an honest B, C2 of random bytes (the client's keys are the suite's);
* slow, `eke4-wrong-na`: C4 sealed under Kcs around another Na (the client may close
  without an EROR: then there is nothing to look at);
* slow, `done-digest`: an honest login, then a get whose DONE carries another digest (the
  client's EROR integrity_failed is a record; its message must not quote keys either).
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
from conformance.secret_needles import key_needles
from conformance.target import Target
from conformance.wire import ConformanceFailure, RawConnection, ReceivedFrame

__all__: list[str] = []

pytestmark = [
    pytest.mark.profile("eke"),
    pytest.mark.side("initiator"),
    pytest.mark.xdist_group("eke-client"),
]

_TIMEOUT = 5.0
_NAME = "fingerprints.bin"
_CONTENT = b"key fingerprints\n" * 20
_SCHEMA = {b"EKE1": {"user", "a"}, b"EKE3": {"c"}}


def _said(frame: ReceivedFrame) -> bytes | None:
    """What of `frame` may not hold key material: an EROR's payload, members EKE1/EKE3
    carry beyond their schema."""
    if frame.type == b"EROR":
        return bytes(frame.payload)
    allowed = _SCHEMA.get(bytes(frame.type))
    if allowed is None:
        return None
    obj = frame.json() or {}
    extra = {k: v for k, v in obj.items() if k not in allowed}
    return repr(extra).encode() if extra else None


def _behaviour(
    pw: bytes, failure: str, keys_seen: list[eke.SessionKeys], said: list[tuple[str, bytes]]
) -> Behaviour:
    def note(frame: object, where: str) -> None:
        if isinstance(frame, ReceivedFrame):
            text = _said(frame)
            if text is not None:
                said.append((f"{where} {frame.type_text}", text))

    def behaviour(raw: RawConnection, view: ServerView) -> None:
        event = read_frame(raw, view, _TIMEOUT)
        if not isinstance(event, ReceivedFrame) or event.type != b"EKE1":
            return
        note(event, "in clear:")
        server = eke.ServerHandshake(pw=pw)
        eke2 = server.on_eke1(event.json() or {})
        if server.keys is None:
            return
        keys_seen.append(server.keys)
        if failure == "c2-does-not-open":
            raw.send_frame(b"EKE2", {"b": eke2["b"], "c": secrets.token_hex(48)})
        else:
            raw.send_frame(b"EKE2", eke2)
        event = read_frame(raw, view, _TIMEOUT)
        note(event, "in clear:")
        if not isinstance(event, ReceivedFrame) or event.type != b"EKE3":
            for _ in range(2):  # the close (or a stray frame) after the EROR
                note(read_frame(raw, view, _TIMEOUT), "in clear:")
            return
        keys = server.keys
        try:
            eke4 = server.on_eke3(event.json() or {})
        except eke.EkeError:
            return
        if failure == "eke4-wrong-na":
            c4 = eke.aead_seal(keys.kcs, eke.N4, secrets.token_bytes(32), b"EKE4" + keys.th)
            raw.send_frame(b"EKE4", {"c": c4.hex()})
            for _ in range(3):
                note(read_frame(raw, view, _TIMEOUT), "in clear:")
            return
        raw.send_frame(b"EKE4", eke4)
        sender, receiver = server.record_layer()
        channel = EkeChannel(raw, keys, sender, receiver, role="server")
        event = read_inner(channel, view, _TIMEOUT)
        if not isinstance(event, ReceivedFrame) or event.type != b"RQFL":
            return
        channel.send_frame("RSFL", {"name": _NAME, "size": len(_CONTENT)})
        channel.send_frame("DATA", _CONTENT)
        channel.send_frame(
            "DONE", {"size": len(_CONTENT), "sha256": hashlib.sha256(b"other").hexdigest()}
        )
        for _ in range(4):
            event = read_inner(channel, view, _TIMEOUT)
            if not isinstance(event, ReceivedFrame):
                return
            note(event, "in a record:")

    return behaviour


@pytest.mark.parametrize(
    "failure",
    [
        pytest.param("c2-does-not-open", marks=pytest.mark.req("EKE-PW-3", "ERR-5")),
        pytest.param(
            "eke4-wrong-na", marks=[pytest.mark.req("EKE-PW-3", "ERR-5"), pytest.mark.slow]
        ),
        pytest.param("done-digest", marks=[pytest.mark.req("ERR-5"), pytest.mark.slow]),
    ],
)
def test_client_errors_hold_no_key_fingerprint(
    eke_target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    failure: str,
    request: pytest.FixtureRequest,
) -> None:
    """The client's EROR frames (and extra EKE1/EKE3 members) quote nothing of its keys."""
    skip_slow_variant(request)
    password = fresh_password()
    pw = eke_pw(client_user(eke_target), password)
    keys_seen: list[eke.SessionKeys] = []
    said: list[tuple[str, bytes]] = []
    case = run_case(
        eke_target,
        tmp_path,
        transcripts,
        _behaviour(pw, failure, keys_seen, said),
        name=_NAME,
        password=password,
        timeout=_TIMEOUT,
    )
    if not keys_seen:
        raise RuntimeError(f"the client sent no usable EKE1: {case.describe()}")
    needles = key_needles(keys_seen[0])
    found = []
    for where, text in said:
        low = text.lower()
        hits = sorted({label for needle, label in needles.items() if needle in low})
        if hits:
            found.append(f"{where} {text[:160]!r} holds {', '.join(hits[:3])}")
    if found:
        requirement = "ERR-5" if failure == "done-digest" else "EKE-PW-3"
        raise ConformanceFailure.evidence(
            f"{requirement}: the client's EROR frames after {failure} (the suite derived the "
            "client's own keys)",
            "nothing of Z, PRK, Kcs, Kcc or the record keys, nor of a digest of them",
            "; ".join(found),
            note=case.describe(),
        )
