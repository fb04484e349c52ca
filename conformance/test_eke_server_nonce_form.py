"""The server's Ns is 32 random bytes in every handshake, not a counter or a clock (docs/SPEC.md
§5.3: "`Ns`, `Na` are 32 fresh random bytes"; EKE-HS-10).

EKE-HS-10: "Every handshake MUST use fresh x/y, Ns, Na". test_eke_handshake.py checks that
Ns does not repeat across handshakes. A nonce that never repeats can still be no random
value at all: a per-process counter written on 32 bytes ("a nonce is a number used once"),
a timestamp in nanoseconds left-padded with zeros, 16 random bytes zero-padded to 32 (an
AES-block habit), a random prefix drawn once per process followed by a counter. Each is
fresh and each is predictable or short. The suite knows the account's password, so it
opens C2 and reads Ns. Over four honest handshakes it judges the form: 32 random bytes
hold 8 or more zero bytes with a probability below 10^-12, and two of them agree in 8 or
more of their 32 positions with a probability below 10^-12 — every construction above
does one or the other at once.
"""

from __future__ import annotations

import pytest

from conformance.eke_channel import password_key_cached
from conformance.eke_support import start_handshake
from conformance.target import Target
from conformance.wire import ConformanceFailure, ExpectFrame, expect_on

_ROUNDS = 4
_LIMIT = 8  # zero bytes in one Ns, or equal positions of two: 8 is ~10^-12 for random ones


def _timeout(target: Target) -> float:
    return max(3.0, min(10.0, target.limits.idle_timeout * 2))


@pytest.mark.req("EKE-HS-10")
def test_server_ns_looks_like_32_random_bytes(eke_target: Target) -> None:
    if not eke_target.accounts:
        pytest.skip("needs an eke account")
    account = eke_target.accounts[0]
    pw = password_key_cached(account.password, account.user)
    timeout = _timeout(eke_target)
    nonces: list[bytes] = []
    for _ in range(_ROUNDS):
        hs = start_handshake(eke_target, account.user, pw, timeout=timeout)
        try:
            event = hs.receive_eke2(timeout)
            if hs.eke2 is None:
                raise ConformanceFailure(f"no EKE2 for an honest handshake: {event.describe()}")
            hs.send_eke3(hs.client.on_eke2(hs.eke2))
            expect_on(hs.raw, [ExpectFrame("EKE4")], timeout).check("honest handshake")
        finally:
            hs.close()
        nonces.append(bytes(hs.client.ns))
    shown = "\n".join(f"  handshake {i + 1}: Ns = {n.hex()}" for i, n in enumerate(nonces))
    for index, nonce in enumerate(nonces):
        if len(nonce) != 32:
            raise ConformanceFailure(
                f"EKE-HS-10: Ns of handshake {index + 1} is {len(nonce)} bytes, not 32\n{shown}"
            )
        zeros = nonce.count(0)
        if zeros >= _LIMIT:
            raise ConformanceFailure(
                f"EKE-HS-10: Ns of handshake {index + 1} holds {zeros} zero bytes of 32 (random "
                f"bytes hold {_LIMIT} or more with a probability below 1e-12): a counter, a "
                f"clock or a short value padded, not 32 fresh random bytes\n{shown}"
            )
    for first in range(len(nonces)):
        for second in range(first + 1, len(nonces)):
            same = sum(a == b for a, b in zip(nonces[first], nonces[second], strict=True))
            if same >= _LIMIT:
                raise ConformanceFailure(
                    f"EKE-HS-10: the Ns of handshakes {first + 1} and {second + 1} agree in "
                    f"{same} of their 32 byte positions (random ones agree in {_LIMIT} or "
                    f"more with a probability below 1e-12): one value with a small part "
                    f"changing, not 32 fresh random bytes each time\n{shown}"
                )
