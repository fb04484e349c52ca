"""sft-eke/1: the server's handshake members have their exact hex form in every
handshake, not only in most (SPEC §5.3 EKE-HS-2, EKE-HS-6; FRM-12).

`b` is the 384-byte E_pw(Y') and `c` a 48-byte AEAD output: uniformly random bytes. An
encoder that goes through an integer (`format(int(B), "x")`, a bignum's `toString(16)`)
drops the leading zero digits, which happens in one handshake in 16 for `b` (a first
byte below 0x10) and never shows in the one handshake a case usually looks at. This
case runs enough honest handshakes to see such a value with near certainty (64: the
chance to meet no short `b` is 1.6 %) and checks every member of every EKE2 and EKE4.
"""

from __future__ import annotations

import re

import pytest

from conformance.eke_channel import password_key_cached
from conformance.eke_support import start_handshake
from conformance.target import Target
from conformance.wire import ConformanceFailure, ReceivedFrame, deadline_after

_ROUNDS = 64
_FORMS = {
    ("EKE2", "b"): (768, "EKE-HS-2"),
    ("EKE2", "c"): (96, "EKE-HS-2"),
    ("EKE4", "c"): (96, "EKE-HS-6"),
}
_HEX = re.compile(r"[0-9a-f]*")


def _check(frame_type: str, obj: dict[str, object], round_number: int) -> list[tuple[str, str]]:
    problems = []
    for (kind, member), (length, requirement) in _FORMS.items():
        if kind != frame_type:
            continue
        value = obj.get(member)
        if not (isinstance(value, str) and len(value) == length and _HEX.fullmatch(value)):
            shown = f"{len(value)} characters" if isinstance(value, str) else repr(value)
            problems.append(
                (
                    requirement,
                    f"handshake {round_number}: {frame_type}.{member} is {shown}, not "
                    f"{length} lowercase hex characters"
                    + (f" (starts {value[:16]!r})" if isinstance(value, str) else ""),
                )
            )
    return problems


@pytest.mark.req("EKE-HS-2", "EKE-HS-6", "FRM-12")
def test_handshake_members_have_their_exact_length_every_time(eke_target: Target) -> None:
    """64 honest handshakes of the first account: in each, EKE2's `b` is 768 and `c` 96
    lowercase hex characters, EKE4's `c` 96."""
    if not eke_target.accounts:
        pytest.skip("needs an eke account")
    account = eke_target.accounts[0]
    pw = password_key_cached(account.password, account.user)
    timeout = max(3.0, min(10.0, eke_target.limits.idle_timeout * 2))
    problems: list[tuple[str, str]] = []
    for i in range(1, _ROUNDS + 1):
        hs = start_handshake(eke_target, account.user, pw, timeout=timeout)
        try:
            event = hs.receive_eke2(timeout)
            if hs.eke2 is None:
                raise ConformanceFailure(f"handshake {i}: no EKE2: {event.describe()}")
            problems += _check("EKE2", hs.eke2, i)
            if problems:
                break  # the client cannot go on with a malformed B
            hs.send_eke3(hs.client.on_eke2(hs.eke2))
            reply = hs.raw.recv_frame(deadline_after(timeout))
            if not (isinstance(reply, ReceivedFrame) and reply.type == b"EKE4"):
                raise ConformanceFailure(f"handshake {i}: no EKE4: {reply.describe()}")
            problems += _check("EKE4", reply.json() or {}, i)
            if problems:
                break
        finally:
            hs.close()
    if problems:
        raise ConformanceFailure(
            "Expected: every EKE2 `b` of 768, `c` of 96 and EKE4 `c` of 96 lowercase hex "
            "characters (FRM-12: byte strings of the handshake are lowercase hex of the exact "
            "length given in §5)\nActual:\n" + "\n".join(f"  - {text}" for _, text in problems),
            violates=tuple(sorted({requirement for requirement, _ in problems})),
        )
