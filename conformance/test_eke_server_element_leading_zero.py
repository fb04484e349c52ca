"""EKE-GRP-1: the server's own element is encoded as I2OSP(n, 384) — leading zero bytes
included — before it is hidden (B = E_pw(I2OSP(±Y, 384)), EKE-X-2).

A server that writes X' = ±Y as its shortest big-endian string (Java's
`BigInteger.toByteArray`, Go's `big.Int.Bytes()`, `n.to_bytes((n.bit_length() + 7) // 8)`)
and copies it into the 384-byte block at offset 0 instead of right-aligning it (or pads
it with whatever the reused buffer held) hides another value whenever X' < 2^3064: once
in 256 handshakes an honest client decrypts a wrong Y, and its login fails for no
visible reason. Every other case passes against it. test_eke_shared_secret.py stops at
the first Z with a zero first byte, which is independent of X', so it sees this only by
luck.

The suite decrypts B with the account's password, so it sees X' (= D_pw(B)) itself: it
runs honest handshakes (each completed, EKE3 and EKE4, so nothing counts as a failure)
until one has an X' whose first byte is 0 and checks that its C2 verifies; within a
budget of handshakes and seconds, else INCONCLUSIVE. Any honest handshake whose C2 does
not verify FAILs, with the note whether a left-aligned X' explains it — except one that
a Z shortened of its leading zero bytes explains (EKE-KS-2's, test_eke_shared_secret.py).
An EKE2 whose `b` is not 768 hexadecimal digits is not 384 bytes: FAIL too.

Fixtures (conformance/plugin.py): `eke_target`, `eke_victim`, `eke_sources`.
"""

from __future__ import annotations

import time

import pytest

from conformance import eke
from conformance.eke_support import SourceAddresses, Victim, start_handshake
from conformance.plugin import inconclusive
from conformance.target import Target
from conformance.wire import ConformanceFailure, ExpectFrame, expect_on

__all__: list[str] = []

pytestmark = pytest.mark.xdist_group("eke-victim")

# A miss when the server is wrong: (255/256)^1200 < 1 %. A correct server needs 256
# handshakes on average (about 20 ms each on loopback).
_MAX_HANDSHAKES = 1200
_BUDGET_SECONDS = 60.0
_K = 384


def _opens(z: bytes, client: eke.ClientHandshake, b: bytes, c2: bytes) -> bool:
    keys = eke.derive_keys(z, eke.transcript_hash(client.user, client.a, b))
    try:
        eke.aead_open(keys.kcs, eke.N2, c2, b"EKE2" + keys.th)
    except eke.EkeError:
        return False
    return True


def _z_of(block: bytes, client: eke.ClientHandshake) -> bytes | None:
    try:
        y = eke.pm_decode(int.from_bytes(block, "big"))
        return eke.shared_secret(y, client.exponent)
    except (ValueError, eke.EkeError):
        return None


def _left_aligned_explains(x_block: bytes, client: eke.ClientHandshake, b: bytes, c2: bytes) -> int:
    """The number of trailing bytes which, moved to the front as zeros, make C2 verify
    (the server copied a shorter X' to offset 0); 0 when no such shift does."""
    for shift in range(1, 9):
        z = _z_of(bytes(shift) + x_block[: _K - shift], client)
        if z is not None and _opens(z, client, b, c2):
            return shift
    return 0


@pytest.mark.req("EKE-GRP-1")
def test_server_element_with_leading_zero_bytes_is_384_bytes(
    eke_target: Target, eke_victim: Victim, eke_sources: SourceAddresses
) -> None:
    """Honest handshakes until the server's X' has a zero first byte: its C2 verifies."""
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
            b_hex, c_hex = eke2.get("b"), eke2.get("c")
            if not isinstance(b_hex, str) or not isinstance(c_hex, str):
                inconclusive(f"EKE2 of honest handshake {done} is malformed: other cases")
                return
            if len(b_hex) != 2 * _K:
                raise ConformanceFailure.evidence(
                    f"EKE-GRP-1: EKE2 of honest handshake {done} of {eke_victim.user!r}",
                    f"b of {2 * _K} hexadecimal digits (an element is I2OSP(n, {_K}))",
                    f"b of {len(b_hex)} characters",
                    f"{done - 1} handshakes before it completed",
                )
            try:
                b, c2 = bytes.fromhex(b_hex), bytes.fromhex(c_hex)
            except ValueError:
                inconclusive(f"EKE2 of honest handshake {done} is not hexadecimal: other cases")
                return
            x_block = eke.feistel_decrypt(eke_victim.pw, b)
            z = _z_of(x_block, hs.client)
            if z is not None and _opens(z, hs.client, b, c2):
                hs.send_eke3(hs.client.on_eke2(eke2))
                expect_on(hs.raw, [ExpectFrame("EKE4")], timeout).check(f"honest handshake {done}")
                if x_block[0] == 0:
                    return  # an X' with a leading zero byte, hidden as 384 bytes
                continue
            if z is not None and z[0] == 0 and _opens(z.lstrip(b"\x00"), hs.client, b, c2):
                inconclusive(
                    f"honest handshake {done}: C2 verifies with Z stripped of its leading zero"
                    " bytes: EKE-KS-2's failure (test_eke_shared_secret.py), not this case's"
                )
                return
            shift = _left_aligned_explains(x_block, hs.client, b, c2)
            raise ConformanceFailure.evidence(
                f"EKE-GRP-1: honest handshake {done} of {eke_victim.user!r}: its C2 does not"
                " verify with Y recovered from D_pw(B) as 384 bytes",
                "B = E_pw(I2OSP(±Y, 384)) and C2 sealed with the keys of Z = Y^x mod p",
                (
                    f"C2 verifies once D_pw(B)'s last {shift} byte(s) are taken as {shift}"
                    " leading zero byte(s): the server copied a shorter X' to the start of"
                    " the block"
                    if shift
                    else "C2 verifies with no reading of B the suite tries"
                ),
                f"{done - 1} handshakes before it completed; X' first bytes"
                f" {x_block[:4].hex()}, last bytes {x_block[-4:].hex()}",
            )
        finally:
            hs.close()
    inconclusive(
        f"{done} honest handshakes in {time.monotonic() - started:.1f} s, none with the"
        " server's X' below 2^3064 (1 in 256 each): nothing to judge"
    )
