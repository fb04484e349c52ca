"""sft-eke/1: the transcript hash takes A as the 384-byte string sent, whatever its first
bytes (SPEC §5.4 EKE-KS-1).

EKE-KS-1: `th = SHA-256("sft-eke/1 transcript" ‖ u16be(len(U)) ‖ U ‖ A ‖ B)`, "with A, B
the 384-byte encrypted values". A server that keeps A as the big integer it parsed and
writes it back for th as an integer's bytes — Python's `n.to_bytes((n.bit_length() + 7) //
8)`, Java's `BigInteger.toByteArray()` (which also adds a sign byte when the top bit is
set), OpenSSL's `BN_bn2bin` — hashes another string than the client for 1 handshake in 256
(A beginning with 0x00), or for every other one (a sign byte): the honest client's C2 then
does not verify and the login fails, for no fault of the client's.

The client here is honest: it chooses its exponent so that A begins with the byte of each
case (a few hundred Feistel encryptions, no exponentiation per try: x + k gives X·g^k), logs
in as the suite's account and must get a C2 that verifies and an EKE4 carrying its Na.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from conformance import eke
from conformance.eke_support import SourceAddresses, Victim, start_handshake
from conformance.target import Target
from conformance.wire import ConformanceFailure, ExpectFrame, expect_on

pytestmark = pytest.mark.xdist_group("eke-victim")

# Each case: what A's first bytes must be, and why a server could hash it wrongly.
_SHAPES: dict[str, tuple[Callable[[bytes], bool], str]] = {
    "zero-first-byte": (
        lambda a: a[0] == 0x00,
        "A begins with 0x00 (an integer's minimal bytes drop it)",
    ),
    "zero-then-top-bit": (
        lambda a: a[0] == 0x00 and a[1] >= 0x80,
        "A begins 0x00 then a byte >= 0x80 (a minimal two's-complement form keeps one zero"
        " byte, an unsigned one none)",
    ),
    "top-bit-set": (
        lambda a: a[0] >= 0x80,
        "A begins with a byte >= 0x80 (a signed big integer's bytes gain a 0x00 sign byte)",
    ),
}
_MAX_TRIES = 1 << 14  # zero-then-top-bit: 1 in 512; a miss in 2^14 tries is ~1e-14


def _timeout(target: Target) -> float:
    return max(3.0, min(10.0, target.limits.idle_timeout * 2))


def _exponent_for(pw: bytes, wanted: Callable[[bytes], bool], sign_bit: int) -> tuple[int, bytes]:
    """An exponent x (1 < x < q) whose A = E_pw(I2OSP(±g^x, 384)) satisfies `wanted`."""
    base = eke.random_exponent()
    element = eke.modexp(eke.G, base)
    for k in range(_MAX_TRIES):
        encoded = eke.pm_encode(element, sign_bit)
        a = eke.feistel_encrypt(pw, eke.element_to_bytes(encoded))
        if wanted(a):
            return base + k, a
        element = element * eke.G % eke.P
    raise AssertionError(f"no A of the wanted shape in {_MAX_TRIES} tries (cannot happen)")


@pytest.mark.req("EKE-KS-1")
@pytest.mark.parametrize("shape", list(_SHAPES))
def test_login_with_a_of_any_first_bytes(
    eke_target: Target, eke_victim: Victim, eke_sources: SourceAddresses, shape: str
) -> None:
    wanted, why = _SHAPES[shape]
    timeout = _timeout(eke_target)
    sign_bit = 0
    exponent, a = _exponent_for(eke_victim.pw, wanted, sign_bit)
    hs = start_handshake(
        eke_target,
        eke_victim.user,
        eke_victim.pw,
        timeout=timeout,
        source=eke_sources.fresh(),
        exponent=exponent,
        sign_bit=sign_bit,
    )
    try:
        assert hs.client.a == a, "the suite's own A differs from the one it chose"
        event = hs.receive_eke2(timeout)
        if hs.eke2 is None:
            raise ConformanceFailure(
                f"the honest login with {why} got no EKE2\n"
                f"Actual: {event.describe()}\n"
                f"A starts: {a[:4].hex()}\n"
                f"Transcript (last entries):\n{hs.raw.transcript.tail()}"
            )
        try:
            eke3: dict[str, Any] = hs.client.on_eke2(hs.eke2)
        except eke.EkeError as exc:
            raise ConformanceFailure(
                f"EKE-KS-1: the honest login with {why} failed: the server's C2 does not"
                f" verify ({exc.detail}); th must hash A as the 384-byte string sent, its"
                f" leading bytes included.\nA starts: {a[:4].hex()}"
            ) from exc
        hs.send_eke3(eke3)
        outcome = expect_on(hs.raw, [ExpectFrame("EKE4")], timeout).check(
            f"EKE4 after the honest EKE3 ({why})"
        )
        assert outcome.frame is not None
        obj = outcome.frame.json()
        assert obj is not None, "EKE4 is not JSON"
        try:
            hs.client.on_eke4(obj)
        except eke.EkeError as exc:
            raise ConformanceFailure(
                f"EKE-KS-1: with {why}, EKE4 does not carry our Na under the keys of th"
                f" ({exc.detail})"
            ) from exc
    finally:
        hs.close()
