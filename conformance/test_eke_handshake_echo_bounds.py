"""A refusal of the sft-eke/1 handshake quotes at most 64 characters of what the client sent
(docs/SPEC.md §2 ERR-5, a SHOULD: NON-STRICT unless run with --strict; §5.3 EKE-HS-9).

ERR-5: an EROR message "SHOULD NOT echo attacker-controlled bytes beyond 64 characters".
test_framing.py and test_app_eror_echo_bounds.py check it for requests inside the secure
channel. The handshake has error paths of its own, written apart from the record phase's
and answered in clear before any key exists (EKE-HS-9): the refusal of an invalid user name
(`f"bad user name {user}"`), of an `a` that is not hex (quoting the member), of an EKE1
that is not JSON (quoting the document the parser could not read). Each case sends a
300-character run of attacker text that occurs nowhere else (random letters outside a–f,
so no escaping or hex reading changes it) and fails if any 65 consecutive characters of it
come back in the EROR's message. An input the SPEC lets the server accept (an invalid user
name handled as an unknown user, EKE-PW-5: EKE2) has nothing to judge and passes.
"""

from __future__ import annotations

import pytest

from conformance import eke
from conformance.disclosure import attacker_text, quoted_run
from conformance.eke_channel import connect_raw
from conformance.eke_support import SourceAddresses, ghost_user
from conformance.target import Target
from conformance.wire import (
    ConformanceFailure,
    ExpectError,
    ExpectFrame,
    Outcome,
    ReceivedFrame,
    control,
    expect_on,
)


def _judge(outcome: Outcome, marker: str, what: str) -> None:
    frame = outcome.frame
    if not isinstance(frame, ReceivedFrame) or frame.type != b"EROR":
        return  # accepted (a form the SPEC allows): no message to judge
    message = str((frame.json() or {}).get("message", ""))
    run = quoted_run(marker, message)
    if run:
        raise ConformanceFailure.evidence(
            f"ERR-5: {what}, holding {len(marker)} characters of attacker text",
            "an EROR message quoting at most 64 of them (it may quote the first 64)",
            f"EROR {frame.error_name} whose message quotes {run} consecutive characters of "
            f"it: {message[:160]!r}…",
        )


def _timeout(target: Target) -> float:
    return max(3.0, min(10.0, target.limits.idle_timeout * 2))


def _eke1_payload(kind: str, marker: str) -> bytes:
    user = ghost_user()
    good = str(eke.ClientHandshake(user=user, pw=bytes(32)).eke1()["a"])
    if kind == "user-with-control":
        return control({"user": marker + "\u0007", "a": good})
    if kind == "user-too-long":
        return control({"user": marker, "a": good})
    if kind == "a-not-hex":
        return control({"user": user, "a": (marker * 4)[:768]})
    if kind == "not-json":
        return f'{{"user":"{marker}","a":"{good}"'.encode()  # no closing brace
    raise AssertionError(kind)


@pytest.mark.req("ERR-5", level="SHOULD")
@pytest.mark.parametrize("kind", ["user-with-control", "user-too-long", "a-not-hex", "not-json"])
def test_handshake_refusal_does_not_echo_long_input(
    eke_target: Target, eke_sources: SourceAddresses, kind: str
) -> None:
    """An EKE1 the server refuses (or, for an invalid user name, MAY handle as an unknown
    user): its EROR, sent in clear, quotes at most 64 characters of the input."""
    timeout = _timeout(eke_target)
    marker = attacker_text(300)
    raw = connect_raw(eke_target.host, eke_target.port, timeout=timeout, source=eke_sources.fresh())
    try:
        raw.send_frame("EKE1", _eke1_payload(kind, marker))
        outcome = expect_on(
            raw, [ExpectError("bad_frame", "auth_failed"), ExpectFrame("EKE2")], timeout
        ).check(f"EKE1 ({kind})")
        _judge(outcome, marker, f"EKE1 ({kind})")
    finally:
        raw.close()
