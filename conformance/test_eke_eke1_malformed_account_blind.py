"""A malformed EKE1 is answered the same for an account and for a made-up name (docs/SPEC.md
§5.3 EKE-HS-3; §1 FRM-9, FRM-12, FRM-16).

EKE-HS-3: "For an unknown user the server MUST proceed exactly as for a known one ... The
server's messages, their sizes and timing MUST NOT depend on whether U exists". FRM-16 lets
a server answer an EKE1 whose payload is malformed with `bad_frame` or `auth_failed`; it
does not let the choice depend on the account.

Two faults at once: a real user name and a malformed `a`. A server that looks the account
up first and validates `a` on one path only — the account's path decodes `a` for the
Feistel step and refuses what it cannot decode, the made-up name's path runs the fake key
on whatever came (or the reverse: a lenient hex decoder such as `bytes.fromhex`,
`hex.DecodeString` or `strtoul` on the account's path, the strict schema on the other) —
answers one of the pair `bad_frame` and the other `EKE2`: an account oracle for one
malformed frame per name, no password guess spent, nothing counted.

Each malformed `a` is sent once with an account's name and once with a made-up one, each
from a fresh loopback address; the two answers must be of one kind (the same EROR code, or
both EKE2, or both a close). The account is the tests' victim account, reset after.
"""

from __future__ import annotations

import json

import pytest

from conformance.eke_channel import connect_raw
from conformance.eke_support import SourceAddresses, Victim, ghost_user
from conformance.target import Target
from conformance.wire import Closed, ConformanceFailure, Event, ReceivedFrame, deadline_after

_GOOD = "5a" * 384  # 768 lower-case hex digits: well formed (its value is never used)

# label -> the `a` member's value as JSON text (None: the member is left out).
_MALFORMED_A: dict[str, str | None] = {
    "one byte short (766 digits)": json.dumps(_GOOD[:-2]),
    "one byte long (770 digits)": json.dumps(_GOOD + "5a"),
    "odd length (767 digits)": json.dumps(_GOOD[:-1]),
    "upper-case hex": json.dumps(_GOOD.upper()),
    "a non-hex digit": json.dumps("g" + _GOOD[1:]),
    "spaces between bytes": json.dumps(" ".join([_GOOD[i : i + 2] for i in range(0, 766, 2)])),
    "empty string": '""',
    "a number": "12345",
    "null": "null",
    "absent": None,
}


def _eke1(user: str, a_json: str | None) -> bytes:
    text = '{"user":' + json.dumps(user, ensure_ascii=False)
    if a_json is not None:
        text += ',"a":' + a_json
    return (text + "}").encode("utf-8")


def _kind(event: Event) -> str:
    if isinstance(event, ReceivedFrame):
        if event.type == b"EROR":
            return f"EROR {event.error_name or 'malformed'}"
        return event.type.decode("latin-1")
    if isinstance(event, Closed):
        return "close"
    return "no answer"


def _answer(target: Target, user: str, payload: bytes, source: str | None, timeout: float) -> Event:
    raw = connect_raw(target.host, target.port, timeout=timeout, name="eke1 " + user,
                      source=source)
    try:
        raw.send_frame(b"EKE1", payload)
        return raw.recv_frame(deadline_after(timeout))
    finally:
        raw.close()


@pytest.mark.req("EKE-HS-3")
def test_malformed_eke1_answer_does_not_depend_on_the_account(
    eke_target: Target, eke_victim: Victim, eke_sources: SourceAddresses
) -> None:
    timeout = max(3.0, min(10.0, eke_target.limits.idle_timeout * 2))
    account = eke_victim.user
    ghost = ghost_user()
    differ: list[str] = []
    for label, a_json in _MALFORMED_A.items():
        known = _answer(eke_target, account, _eke1(account, a_json), eke_sources.fresh(), timeout)
        unknown = _answer(eke_target, ghost, _eke1(ghost, a_json), eke_sources.fresh(), timeout)
        if _kind(known) != _kind(unknown):
            differ.append(
                f"a {label}: account {account!r} -> {_kind(known)}; made-up {ghost!r} -> "
                f"{_kind(unknown)}"
            )
    if differ:
        raise ConformanceFailure.evidence(
            "EKE-HS-3: EKE1s whose `a` is malformed (wrong length, upper case, non-hex, "
            "spaces, another JSON type, absent), each sent with an account's user name and "
            "with a made-up one, from fresh addresses",
            "one kind of answer per pair (bad_frame or auth_failed for both, FRM-16): the "
            "answer must not depend on whether the user exists",
            "\n".join(differ),
            "the difference tells an attacker which names are accounts, for one frame each",
        )
