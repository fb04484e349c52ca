"""A handshake byte string is its exact hex text, not a number written in hex (docs/SPEC.md
§1 FRM-12; §5.3 EKE-HS-1, EKE-HS-6).

FRM-12: "byte-string members of the EKE handshake are lowercase hexadecimal of the exact
length given in §5" — `a` is 768 characters, EKE3's `c` 160. A receiver that reads such a
member as a NUMBER (`int(text, 16)`, a bignum's `new BigInteger(text, 16)`, `strtol`-style
parsers, `SetString(text, 16)`) and re-encodes it on its 384 (or 80) bytes accepts every
spelling of the same value: leading zero digits (770 or 800 characters), a `0x` prefix, a
`+` sign, `_` between digits (Python's int() takes all of these). The member is then not
the bytes the peer meant by its text, and a malformed frame is taken for a good one.
test_eke_handshake.py's malformed-member variants cut or extend the member at its END
(`short`, `odd-long`, `long`): a number parser refuses those as too large or takes them
as another value that fails later — the spellings below keep the value and change only
the text.

Cases: EKE1 of an unknown name whose `a` is an honest A spelled as a number (answered
EKE2 by a number-reading server: the form is judged before anything else), and the
victim's VALID C3 spelled with two leading zero digits or `0x` (a number-reading server
completes the handshake: EKE4). Each must be refused as malformed: `bad_frame`, or
`auth_failed` in the handshake (FRM-16), with the close — never EKE2 or EKE4.
"""

from __future__ import annotations

import pytest

from conformance import eke
from conformance.eke_channel import connect_raw
from conformance.eke_support import SourceAddresses, Victim, ghost_user, start_handshake
from conformance.target import Target
from conformance.wire import ConformanceFailure, ExpectError, ReceivedFrame, control, expect_on

pytestmark = pytest.mark.xdist_group("eke-victim")

# Spellings of the same number: each keeps the value of the honest hex text.
_SPELLINGS = (
    "two-leading-zeros",
    "thirty-two-leading-zeros",
    "0x-prefix",
    "plus-sign",
    "underscore-grouped",
)
_C3_SPELLINGS = ("two-leading-zeros", "0x-prefix")


def _spell(text: str, spelling: str) -> str:
    """`text` (lowercase hex) written another way that keeps its value as a number."""
    if spelling == "two-leading-zeros":
        return "00" + text
    if spelling == "thirty-two-leading-zeros":
        return "0" * 32 + text
    if spelling == "0x-prefix":
        return "0x" + text
    if spelling == "plus-sign":
        return "+" + text
    if spelling == "underscore-grouped":
        return "_".join(text[i : i + 8] for i in range(0, len(text), 8))
    raise AssertionError(spelling)


def _timeout(target: Target) -> float:
    return max(3.0, min(10.0, target.limits.idle_timeout * 2))


@pytest.mark.req("FRM-12", "EKE-HS-1")
@pytest.mark.parametrize("spelling", _SPELLINGS)
def test_eke1_a_spelled_as_a_number_is_refused(
    eke_target: Target, eke_sources: SourceAddresses, spelling: str
) -> None:
    timeout = _timeout(eke_target)
    user = ghost_user()
    good = str(eke.ClientHandshake(user=user, pw=bytes(32)).eke1()["a"])
    bad = _spell(good, spelling)
    raw = connect_raw(eke_target.host, eke_target.port, timeout=timeout, source=eke_sources.fresh())
    try:
        raw.send_frame("EKE1", control({"user": user, "a": bad}))
        outcome = expect_on(
            raw, [ExpectError("bad_frame", "auth_failed", then_close=True)], timeout
        )
        if isinstance(outcome.actual, ReceivedFrame) and outcome.actual.type == b"EKE2":
            raise ConformanceFailure.evidence(
                f"FRM-12: EKE1 whose `a` is an honest A written as a number ({spelling}: "
                f"{len(bad)} characters, starts {bad[:12]!r})",
                "bad_frame (or auth_failed) and the close: `a` is exactly 768 lowercase hex "
                "characters",
                f"EKE2: the member was read as a number and re-encoded\n{outcome.describe()}",
            )
        outcome.check(f"EKE1 whose `a` is spelled as a number ({spelling})")
    finally:
        raw.close()


@pytest.mark.req("FRM-12", "EKE-HS-6")
@pytest.mark.parametrize("spelling", _C3_SPELLINGS)
def test_valid_c3_spelled_as_a_number_is_refused(
    eke_target: Target, eke_victim: Victim, eke_sources: SourceAddresses, spelling: str
) -> None:
    """The victim's valid C3 with the same value spelled otherwise: a receiver that reads
    `c` as a number opens the right C3 and completes the handshake."""
    timeout = _timeout(eke_target)
    hs = start_handshake(
        eke_target, eke_victim.user, eke_victim.pw, timeout=timeout, source=eke_sources.fresh()
    )
    try:
        event = hs.receive_eke2(timeout)
        if hs.eke2 is None:
            raise ConformanceFailure(f"no EKE2 for the victim's handshake: {event.describe()}")
        good = str(hs.client.on_eke2(hs.eke2)["c"])
        bad = _spell(good, spelling)
        hs.raw.send_frame("EKE3", control({"c": bad}))
        outcome = expect_on(hs.raw, [ExpectError("bad_frame", "auth_failed")], timeout)
        if isinstance(outcome.actual, ReceivedFrame) and outcome.actual.type == b"EKE4":
            raise ConformanceFailure.evidence(
                f"FRM-12: the victim's valid C3 sent as `c` spelled as a number ({spelling}: "
                f"{len(bad)} characters)",
                "bad_frame (or auth_failed) and no EKE4: `c` is exactly 160 lowercase hex "
                "characters",
                f"EKE4: the member was read as a number and the handshake completed\n"
                f"{outcome.describe()}",
            )
        outcome.check(f"EKE3 whose `c` is spelled as a number ({spelling})")
    finally:
        hs.close()
