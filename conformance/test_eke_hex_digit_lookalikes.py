"""Hex members hold ASCII hex digits only: other scripts' decimal digits are not hex
(docs/SPEC.md §1 FRM-12, FRM-9; §5.3 EKE-HS-1, EKE-HS-6).

FRM-12: "`sha256` members MUST be exactly 64 lowercase hexadecimal characters; byte-string
members of the EKE handshake are lowercase hexadecimal of the exact length given in §5".
Runtimes have a wider idea of a digit than RFC 8259's text: Python's `re` `\\d` on a `str`
is every Unicode decimal digit, and `int(text, 16)` decodes them (`int("٣", 16) == 3`);
Java's `Character.digit(c, 16)` and .NET's `char.IsDigit` take them too. A receiver that
checks a hex member with such a class and decodes it with such a function reads the
Arabic-Indic `٣` (U+0663), the full-width `３` (U+FF13) or the mathematical `𝟑` (U+1D7D1)
as the digit 3 — so a member that is not hex text decodes to the very bytes the honest
peer meant, and the frame is taken.

The cases below send the honest values with one ASCII digit replaced by its twin of
another script (same length in characters, 768, 160 or 64): the EKE1 `a` of a handshake
(an unknown name: the form is judged before anything else), the victim's VALID C3 in EKE3
(a receiver that decodes the twin completes the handshake: EKE4), and a put's
`PUTF.sha256` (the digest of the bytes that follow). Each must be refused as malformed:
`bad_frame` (or `auth_failed` in the handshake, as test_eke_handshake.py accepts for a
malformed EKE1/EKE3), never EKE2, EKE4 or an acceptance. test_eke_handshake.py's
malformed-member variants (upper case, white space, `0x`) keep ASCII.
"""

from __future__ import annotations

import hashlib

import pytest

from conformance import eke
from conformance._wire_fixtures import AppChannel, fresh_name, require
from conformance.eke_channel import connect_raw
from conformance.eke_support import (
    SourceAddresses,
    Victim,
    ghost_user,
    start_handshake,
)
from conformance.target import Target
from conformance.wire import (
    ConformanceFailure,
    ExpectError,
    ReceivedFrame,
    control,
    expect_on,
)

pytestmark = pytest.mark.xdist_group("eke-victim")

# A decimal digit of another script for each ASCII digit: its zero, plus the digit value.
_SCRIPTS = {
    "arabic-indic": 0x0660,
    "fullwidth": 0xFF10,
    "mathematical-bold": 0x1D7CE,
}


def _twin(text: str, script: str) -> tuple[str, str]:
    """`text` with its first ASCII digit replaced by the same digit of `script`, and a
    description of the replacement."""
    for index, char in enumerate(text):
        if "0" <= char <= "9":
            twin = chr(_SCRIPTS[script] + int(char))
            where = f"{char!r} at {index} written U+{ord(twin):04X}"
            return text[:index] + twin + text[index + 1 :], where
    raise AssertionError(f"no decimal digit in {text[:40]!r}")


def _timeout(target: Target) -> float:
    return max(3.0, min(10.0, target.limits.idle_timeout * 2))


def _has_digit(text: str) -> bool:
    return any("0" <= char <= "9" for char in text)


@pytest.mark.req("FRM-12", "EKE-HS-1")
@pytest.mark.parametrize("script", sorted(_SCRIPTS))
def test_eke1_a_with_a_digit_of_another_script_is_refused(
    eke_target: Target, eke_sources: SourceAddresses, script: str
) -> None:
    timeout = _timeout(eke_target)
    user = ghost_user()
    good = ""
    while not _has_digit(good):
        good = str(eke.ClientHandshake(user=user, pw=bytes(32)).eke1()["a"])
    bad, where = _twin(good, script)
    raw = connect_raw(eke_target.host, eke_target.port, timeout=timeout, source=eke_sources.fresh())
    try:
        raw.send_frame("EKE1", control({"user": user, "a": bad}))
        outcome = expect_on(
            raw, [ExpectError("bad_frame", "auth_failed", then_close=True)], timeout
        )
        if isinstance(outcome.actual, ReceivedFrame) and outcome.actual.type == b"EKE2":
            raise ConformanceFailure.evidence(
                f"FRM-12: EKE1 whose `a` (768 characters) holds one {script} digit in place "
                f"of an ASCII one ({where})",
                "bad_frame (or auth_failed) and the close: `a` is not lowercase ASCII hex",
                f"EKE2: the digit was taken as hex\n{outcome.describe()}",
            )
        outcome.check(f"EKE1 whose `a` holds a {script} digit")
    finally:
        raw.close()


@pytest.mark.req("FRM-12", "EKE-HS-6")
@pytest.mark.parametrize("script", sorted(_SCRIPTS))
def test_valid_c3_with_a_digit_of_another_script_is_refused(
    eke_target: Target, eke_victim: Victim, eke_sources: SourceAddresses, script: str
) -> None:
    """The victim's valid C3 with one digit written in another script: a receiver that
    decodes the twin as that digit opens the right C3 and completes the handshake."""
    timeout = _timeout(eke_target)
    for _ in range(8):  # a C3 without any decimal digit: 1 in ~10^32; bounded anyway
        hs = start_handshake(
            eke_target, eke_victim.user, eke_victim.pw, timeout=timeout, source=eke_sources.fresh()
        )
        try:
            event = hs.receive_eke2(timeout)
            if hs.eke2 is None:
                raise ConformanceFailure(f"no EKE2 for the victim's handshake: {event.describe()}")
            good = str(hs.client.on_eke2(hs.eke2)["c"])
            if not _has_digit(good):
                continue
            bad, where = _twin(good, script)
            hs.raw.send_frame("EKE3", control({"c": bad}))
            outcome = expect_on(hs.raw, [ExpectError("bad_frame", "auth_failed")], timeout)
            if isinstance(outcome.actual, ReceivedFrame) and outcome.actual.type == b"EKE4":
                raise ConformanceFailure.evidence(
                    f"FRM-12: the victim's valid C3 sent as `c` with one {script} digit in "
                    f"place of the same ASCII digit ({where}; 160 characters)",
                    "bad_frame (or auth_failed) and no EKE4: `c` is not lowercase ASCII hex",
                    f"EKE4: the digit was decoded as hex and the handshake completed\n"
                    f"{outcome.describe()}",
                )
            outcome.check(f"EKE3 whose `c` holds a {script} digit")
            return
        finally:
            hs.close()
    pytest.fail("no C3 with a decimal digit in 8 handshakes")


@pytest.mark.req("FRM-12", "FRM-9")
@pytest.mark.parametrize("script", sorted(_SCRIPTS))
def test_putf_sha256_with_a_digit_of_another_script_is_bad_frame(
    target: Target, app_channel: AppChannel, script: str
) -> None:
    """PUTF.sha256 is the digest of the bytes that follow, one digit in another script:
    a malformed optional member (FRM-9, FRM-12) is `bad_frame`, not an acceptance."""
    require(target, "put")
    data = b"sft hex digit lookalikes 0\n"
    counter = 0
    while not _has_digit(hashlib.sha256(data).hexdigest()):
        counter += 1
        data = b"sft hex digit lookalikes %d\n" % counter
    digest, where = _twin(hashlib.sha256(data).hexdigest(), script)
    channel = app_channel()
    try:
        channel.send_frame(
            "PUTF", {"name": fresh_name("sft-hex-lookalike"), "size": len(data), "sha256": digest}
        )
        outcome = channel.expect([ExpectError("bad_frame")])
        if isinstance(outcome.actual, ReceivedFrame) and outcome.actual.type == b"RSFL":
            raise ConformanceFailure.evidence(
                f"FRM-12/FRM-9: PUTF whose sha256 (64 characters) holds one {script} digit "
                f"in place of an ASCII one ({where})",
                "bad_frame: a sha256 member is exactly 64 lowercase ASCII hex digits",
                f"the put was accepted: {outcome.describe()}",
            )
        outcome.check(f"PUTF whose sha256 holds a {script} digit")
    finally:
        channel.close()
