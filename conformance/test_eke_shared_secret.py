"""EKE-KS-2: Z is I2OSP(Y^x mod p, 384) — 384 bytes, leading zero bytes included.

A server that encodes Z as the shortest big-endian string (Go's `big.Int.Bytes()`,
pycryptodome's `long_to_bytes`, `n.to_bytes((n.bit_length() + 7) // 8)`) derives other
keys whenever Z < 2^3064, once in 256 handshakes: the classic TLS-DHE leading-zero bug.
Every honest test passes against it, and one login in 256 fails for no visible reason.

The client commits to x (in A) before it sees Y, so it cannot choose Z; it runs honest
handshakes until one has Z with a zero first byte (1 in 256 each), within a budget of
handshakes and seconds. That handshake's C2 must verify with the 384-byte Z; when it
does not and it does with Z stripped of its zero bytes, the server broke EKE-KS-2.
Every handshake is completed (EKE3, EKE4): nothing is counted as a failure, except the
one that shows the bug.
"""

from __future__ import annotations

import time

import pytest

from conformance import eke
from conformance.eke_support import SourceAddresses, Victim, start_handshake
from conformance.plugin import inconclusive
from conformance.target import Target
from conformance.wire import ConformanceFailure, ExpectFrame, expect_on

pytestmark = pytest.mark.xdist_group("eke-victim")

# A miss when the server is wrong: (255/256)^1200 < 1 %. A correct server needs 256
# handshakes on average (about 20 ms each on loopback).
_MAX_HANDSHAKES = 1200
_BUDGET_SECONDS = 60.0


def _opens(z: bytes, client: eke.ClientHandshake, b: bytes, c2: bytes) -> bool:
    keys = eke.derive_keys(z, eke.transcript_hash(client.user, client.a, b))
    try:
        eke.aead_open(keys.kcs, eke.N2, c2, b"EKE2" + keys.th)
    except eke.EkeError:
        return False
    return True


@pytest.mark.req("EKE-KS-2")
def test_z_with_leading_zero_bytes_keeps_384_bytes(
    eke_target: Target, eke_victim: Victim, eke_sources: SourceAddresses
) -> None:
    """Honest handshakes of the victim account until one has Z < 2^3064 (first byte 0):
    its C2 must verify with Z as 384 bytes."""
    timeout = max(3.0, min(10.0, eke_target.limits.idle_timeout * 2))
    source = eke_sources.fresh()
    started = time.monotonic()
    done = 0
    while done < _MAX_HANDSHAKES and time.monotonic() - started < _BUDGET_SECONDS:
        done += 1
        hs = start_handshake(
            eke_target, eke_victim.user, eke_victim.pw, timeout=timeout, source=source
        )
        try:
            event = hs.receive_eke2(timeout)
            eke2 = hs.eke2
            if eke2 is None:
                inconclusive(f"honest handshake {done} got no EKE2: {event.describe()}")
                return
            try:
                b = bytes.fromhex(str(eke2.get("b", "")))
                c2 = bytes.fromhex(str(eke2.get("c", "")))
                y = eke.pm_decode(int.from_bytes(eke.feistel_decrypt(eke_victim.pw, b), "big"))
                z = eke.shared_secret(y, hs.client.exponent)
            except (ValueError, eke.EkeError) as exc:
                inconclusive(f"EKE2 of honest handshake {done} is malformed ({exc}): other cases")
                return
            if _opens(z, hs.client, b, c2):
                hs.send_eke3(hs.client.on_eke2(eke2))
                expect_on(hs.raw, [ExpectFrame("EKE4")], timeout).check(f"honest handshake {done}")
                if z[0] == 0:
                    return  # a Z with a leading zero byte, handled as 384 bytes
                continue
            leading = len(z) - len(z.lstrip(b"\x00"))
            stripped = leading > 0 and _opens(z.lstrip(b"\x00"), hs.client, b, c2)
            raise ConformanceFailure(
                f"Context:  honest handshake {done} of {eke_victim.user!r}: its C2 does not "
                f"verify; Z = Y^x mod p has {leading} leading zero byte(s)\n"
                "Expected: C2 sealed with keys from Z = I2OSP(Y^x mod p, 384)\n"
                "Actual:   "
                + (
                    f"C2 verifies with Z stripped of its {leading} zero byte(s): the server "
                    "encodes Z in fewer than 384 bytes (a shortest big-endian integer)"
                    if stripped
                    else "C2 verifies with neither Z nor Z without its leading zero bytes"
                )
                + f"\nNote:     {done - 1} handshakes before it completed",
                violates=("EKE-KS-2",) if leading else (),
            )
        finally:
            hs.close()
    inconclusive(
        f"{done} honest handshakes in {time.monotonic() - started:.1f} s, none with a Z "
        "below 2^3064 (1 in 256 each): nothing to judge"
    )
