"""The server's Ns comes from a generator nobody can predict (docs/SPEC.md EKE-HS-10, §5.3).

§5.3: "`Ns`, `Na` are 32 fresh random bytes", and EKE-HS-10: every handshake MUST use a
fresh Ns. A nonce drawn from a general-purpose PRNG is fresh in no useful sense: it looks
uniform and never repeats (test_eke_server_nonce_form.py judges its form), yet whoever
sees enough outputs knows every later one. Implementers reach for the wrong call
because it sits beside the right one — Python's `random.randbytes` beside
`secrets.token_bytes`, C++'s `std::mt19937`, PHP's `mt_rand`, Java's `java.util.Random`
beside `SecureRandom`.

The case, a client that knows an account's password, runs honest handshakes (each
completed: EKE3 verified, EKE4 read, so nothing counts as a failure) and opens each C2 to
read the server's Ns. It then checks the two generators whose state its outputs give away
at once, reading Ns as 32-bit words in the order those generators fill a byte buffer
(little-endian, first word first):

- java.util.Random (a 48-bit LCG; `nextBytes`): one Ns is enough — the 16 hidden bits of
  the state behind its first word are searched, and the rest of the Ns is predicted;
- MT19937 (`random.randbytes`, `getrandbits`): 624 words, i.e. 78 consecutive Ns,
  untempered into the generator's state, predict the 79th Ns.

A prediction that comes true is the evidence (a CSPRNG's chance: 2^-256). Other
predictable generators (a counter, a clock) are test_eke_server_nonce_form.py's.

Fixtures (conformance/plugin.py): `eke_target`, `eke_sources`.
"""

from __future__ import annotations

import random

import pytest

from conformance.eke_channel import password_key_cached
from conformance.eke_support import SourceAddresses, start_handshake
from conformance.target import Target
from conformance.wire import ConformanceFailure, ReceivedFrame

pytestmark = pytest.mark.xdist_group("eke-victim")

_MT_WORDS = 624
_WORDS_PER_NS = 8
_MT_SESSIONS = _MT_WORDS // _WORDS_PER_NS + 1  # 78 to learn the state, 1 to check
_MASK48 = (1 << 48) - 1


def _words(ns: bytes) -> list[int]:
    return [int.from_bytes(ns[i : i + 4], "little") for i in range(0, len(ns), 4)]


def _java_predicts(ns: bytes) -> bool:
    """True when java.util.Random, seeded behind word 0, yields the rest of `ns`."""
    words = _words(ns)
    high = words[0] << 16
    for low in range(1 << 16):
        seed = high | low
        seed = (seed * 0x5DEECE66D + 0xB) & _MASK48
        if seed >> 16 != words[1]:
            continue
        for expected in words[2:]:
            seed = (seed * 0x5DEECE66D + 0xB) & _MASK48
            if seed >> 16 != expected:
                break
        else:
            return True
    return False


def _untemper(y: int) -> int:
    y ^= y >> 18
    y ^= (y << 15) & 0xEFC60000
    x = y
    for _ in range(5):
        x = y ^ ((x << 7) & 0x9D2C5680)
    y = x & 0xFFFFFFFF
    x = y
    for _ in range(3):
        x = y ^ (x >> 11)
    return x & 0xFFFFFFFF


def _mt_next(outputs: list[int], count: int) -> list[int]:
    """The `count` MT19937 outputs that follow 624 consecutive `outputs`."""
    state = (*(_untemper(w) for w in outputs[-_MT_WORDS:]), _MT_WORDS)
    clone = random.Random()
    clone.setstate((3, state, None))
    return [clone.getrandbits(32) for _ in range(count)]


def _honest_ns(target: Target, user: str, pw: bytes, sources: SourceAddresses) -> bytes:
    timeout = max(3.0, min(10.0, target.limits.handshake_timeout))
    hs = start_handshake(target, user, pw, timeout=timeout, source=sources.fresh())
    try:
        event = hs.receive_eke2(timeout)
        if hs.eke2 is None:
            pytest.skip(f"no EKE2 for an honest login: {event.describe()}")
        hs.send_eke3(hs.client.on_eke2(hs.eke2))
        # Completed (EKE4 read), so the login is forgiven and counts as no failure.
        eke4 = hs.raw.recv_frame()
        if not (isinstance(eke4, ReceivedFrame) and eke4.type == b"EKE4"):
            pytest.skip(f"the honest login was not completed: {eke4.describe()}")
        payload = eke4.json()
        if payload is not None:
            hs.client.on_eke4(payload)
        return bytes(hs.client.ns)
    finally:
        hs.close()


@pytest.mark.req("EKE-HS-10")
def test_the_server_nonce_is_not_a_general_purpose_prng_output(
    eke_target: Target, eke_sources: SourceAddresses
) -> None:
    if not eke_target.accounts:
        pytest.skip("needs an eke account")
    account = eke_target.accounts[0]
    pw = password_key_cached(account.password, account.user)
    first = _honest_ns(eke_target, account.user, pw, eke_sources)
    if _java_predicts(first):
        raise ConformanceFailure.evidence(
            "EKE-HS-10: the server's Ns of an honest login, read as 32-bit little-endian words",
            "32 fresh random bytes (no generator state behind them)",
            f"Ns {first.hex()}: java.util.Random seeded behind its first word yields the "
            "other seven words — the next Ns are predictable from this one",
        )
    seen = [first]
    for _ in range(_MT_SESSIONS - 1):
        seen.append(_honest_ns(eke_target, account.user, pw, eke_sources))
    outputs = [w for ns in seen[:-1] for w in _words(ns)]
    predicted = _mt_next(outputs, _WORDS_PER_NS)
    if predicted == _words(seen[-1]):
        raise ConformanceFailure.evidence(
            f"EKE-HS-10: the server's Ns of {len(seen)} consecutive honest logins, read as "
            "32-bit little-endian words",
            "32 fresh random bytes (no generator state behind them)",
            f"the MT19937 state untempered from the first {len(seen) - 1} Ns predicts the "
            f"last one exactly ({seen[-1].hex()}): Ns comes from a Mersenne Twister "
            "(random.randbytes, mt19937, mt_rand), and every later Ns is known",
        )
