"""sft-eke/1: the server completes a handshake whatever legal JSON spelling the client's
EKE1 and EKE3 use (SPEC §5.3 EKE-HS-2, EKE-HS-6; §1 FRM-9, RFC 8259).

A control payload is "a UTF-8 encoded JSON object (RFC 8259)" (FRM-8); what makes one
malformed is listed in FRM-9, and nothing there pins its spelling. JSON lets the sender
choose the order of an object's members (RFC 8259 §4: "unordered"), white space around
every token (§2: `ws`, also before and after the top-level value), and, in a string, an
escape for any character (§7: `\\u0061` is `a`; upper- or lower-case hex digits; a
surrogate pair for a character beyond the BMP). The reference's client writes compact
JSON in one order; another client (a Python `json.dumps` with its defaults, a pretty
printer, a map with its own order, a JSON library that escapes everything non-ASCII)
writes another. A server that reads the handshake with a template (`{"user":"` first, a
prefix or suffix compared as bytes, a streaming reader that needs `user` before `a`, the
hex checked on the raw text) refuses such a client, which did nothing wrong: the server
MUST answer its EKE1 with EKE2 (EKE-HS-2) and its valid EKE3 with EKE4 (EKE-HS-6).

Each spelling is one honest handshake of an account (the first; the escaped user name for
every account: a non-ASCII name gets its escapes too), with EKE1 and EKE3 written that way;
EKE4 must verify (the client's own check, EKE-HS-7's), and the connection ends with BYE_.
A compact handshake first is the control. Honest logins only: nothing is counted
against the accounts.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

import pytest

from conformance import eke
from conformance.eke_channel import (
    EkeChannel,
    connect_raw,
    honest_client_handshake,
    password_key_cached,
)
from conformance.plugin import TranscriptBook, inconclusive
from conformance.target import Account, Target
from conformance.wire import ConformanceFailure, deadline_after, frame_bytes

Spelling = Callable[[bytes, Mapping[str, Any]], bytes]


def _compact(_frame_type: bytes, obj: Mapping[str, Any]) -> bytes:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()


def _reversed(_frame_type: bytes, obj: Mapping[str, Any]) -> bytes:
    """Members in the other order: `a` before `user` (EKE3 has one member)."""
    return json.dumps(dict(reversed(list(obj.items()))), separators=(",", ":")).encode()


def _pretty(_frame_type: bytes, obj: Mapping[str, Any]) -> bytes:
    """Indented, CRLF line ends, white space before and after the object."""
    text = json.dumps(obj, indent=2, ensure_ascii=False).replace("\n", "\r\n")
    return f" \t\r\n{text}\r\n \t".encode()


def _spaced(_frame_type: bytes, obj: Mapping[str, Any]) -> bytes:
    """White space around every separator (Python's json.dumps default and more)."""
    members = (f"{json.dumps(k)} : {json.dumps(v, ensure_ascii=False)}" for k, v in obj.items())
    return ("{ " + " , ".join(members) + " }").encode()


def _escape_all(text: str, *, upper: bool = False) -> str:
    """Every character as a \\u escape (a surrogate pair beyond the BMP)."""
    out = []
    for char in text:
        code = ord(char)
        units = (
            [code]
            if code < 0x10000
            else [0xD800 + ((code - 0x10000) >> 10), 0xDC00 + ((code - 0x10000) & 0x3FF)]
        )
        for unit in units:
            out.append(f"\\u{unit:04X}" if upper else f"\\u{unit:04x}")
    return "".join(out)


def _escaped_user(_frame_type: bytes, obj: Mapping[str, Any]) -> bytes:
    """The user name with every character escaped (lower-case hex digits)."""
    parts = []
    for key, value in obj.items():
        if key == "user" and isinstance(value, str):
            parts.append(f'"user":"{_escape_all(value)}"')
        else:
            parts.append(f"{json.dumps(key)}:{json.dumps(value, ensure_ascii=False)}")
    return ("{" + ",".join(parts) + "}").encode()


def _escaped_hex(_frame_type: bytes, obj: Mapping[str, Any]) -> bytes:
    """The hex members' first and last characters escaped (upper-case hex digits), the
    user name as Python's json.dumps writes it (non-ASCII escaped)."""
    parts = []
    for key, value in obj.items():
        if key in ("a", "c") and isinstance(value, str) and len(value) > 2:
            spelled = _escape_all(value[0], upper=True) + value[1:-1]
            spelled += _escape_all(value[-1], upper=True)
            parts.append(f'"{key}":"{spelled}"')
        else:
            parts.append(f"{json.dumps(key)}:{json.dumps(value)}")
    return ("{" + ",".join(parts) + "}").encode()


_SPELLINGS: dict[str, Spelling] = {
    "members-reversed": _reversed,
    "white-space": _pretty,
    "spaced-separators": _spaced,
    "escaped-hex-digits": _escaped_hex,
}


def _timeout(target: Target) -> float:
    return max(3.0, min(10.0, target.limits.idle_timeout * 2))


def _login(
    target: Target, account: Account, spelling: Spelling, label: str, transcripts: TranscriptBook
) -> str | None:
    """One handshake with EKE1 and EKE3 spelled by `spelling`; None when EKE4 verified,
    else what happened (with the step it failed at)."""
    timeout = _timeout(target)
    client = eke.ClientHandshake(
        user=account.user, pw=password_key_cached(account.password, account.user)
    )
    first = client.eke1()  # before connecting: the handshake clock starts at accept
    raw = connect_raw(target.host, target.port, timeout=timeout, name=f"eke {label}")
    transcripts.add(raw)
    try:

        def send(frame_type: bytes, obj: Mapping[str, Any]) -> bool:
            return raw.send_raw(frame_bytes(frame_type, spelling(frame_type, obj)))

        result = honest_client_handshake(
            send, raw.recv_frame, client, deadline_after(timeout), eke1=first
        )
        if not result.ok or client.keys is None:
            return result.describe()
        sender, receiver = client.record_layer()
        EkeChannel(raw, client.keys, sender, receiver, role="client").settle(timeout)
        return None
    finally:
        raw.close()


def _fail(label: str, account: Account, example: bytes, outcome: str) -> ConformanceFailure:
    step = "EKE-HS-6" if "at EKE4" in outcome else "EKE-HS-2"
    failure = ConformanceFailure.evidence(
        f"{step}: an honest handshake of {account.user!r} whose EKE1 and EKE3 are spelled "
        f"'{label}' (legal JSON, RFC 8259), e.g. EKE1 {example[:120]!r}…",
        "EKE2, then EKE4 for the valid EKE3: a control payload is judged by its JSON value, "
        "not by its spelling (member order, white space and escapes are the sender's)",
        outcome,
    )
    failure.violates = (step,)
    return failure


def _example(spelling: Spelling, account: Account) -> bytes:
    return spelling(b"EKE1", {"user": account.user, "a": "00" * 384})


@pytest.mark.req("EKE-HS-2", "EKE-HS-6")
@pytest.mark.parametrize("label", sorted(_SPELLINGS))
def test_handshake_in_any_json_spelling(
    eke_target: Target, transcripts: TranscriptBook, label: str
) -> None:
    if not eke_target.accounts:
        pytest.skip("needs an eke account")
    account = eke_target.accounts[0]
    control = _login(eke_target, account, _compact, "compact control", transcripts)
    if control is not None:
        inconclusive(f"the compact control handshake of {account.user!r} failed: {control}")
    spelling = _SPELLINGS[label]
    outcome = _login(eke_target, account, spelling, label, transcripts)
    if outcome is not None:
        raise _fail(label, account, _example(spelling, account), outcome)


@pytest.mark.req("EKE-HS-2", "EKE-HS-6")
def test_handshake_with_the_user_name_escaped(
    eke_target: Target, transcripts: TranscriptBook
) -> None:
    """Every account, its name written with a \\u escape for each character."""
    if not eke_target.accounts:
        pytest.skip("needs an eke account")
    for account in eke_target.accounts:
        outcome = _login(eke_target, account, _escaped_user, "escaped user name", transcripts)
        if outcome is not None:
            raise _fail(
                "every character of the user name \\u-escaped",
                account,
                _example(_escaped_user, account),
                outcome,
            )
