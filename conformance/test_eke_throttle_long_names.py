"""sft-eke/1: two user names that differ in any one byte have two failure counts, up to the
64-byte limit (SPEC §5.6 EKE-THR-1, EKE-THR-2; §5.1 EKE-PW-1, EKE-PW-4).

Failures are counted "per user name"; a user name is 1–64 bytes of UTF-8, and one that
differs from another "in any byte is another user". Throttling "MUST NOT stop other
addresses' honest clients of other users". Other cases vary a name's case, white space and
Unicode form. Here the names are long: a failure table whose key column is narrower than
the name (a `VARCHAR(32)` that a database truncates silently, a fixed 32-byte key buffer, a
key made of the name's first or last bytes, a short hash prefix) files every name sharing
that part under one count, so an attacker's guesses at one name throttle another user
logging in from elsewhere.

Each variant takes two ghost user names of exactly 64 ASCII bytes that differ in a single
byte (the last, the first, or the 33rd), fails the first N times (each connection from its
own fresh address: only the name counts), checks that its next EKE1 is `throttled`, then
sends an EKE1 of the second name from another fresh address: it has no failure, and MUST
be answered `EKE2`.
"""

from __future__ import annotations

import math
import secrets
import string
import time

import pytest

from conformance.eke_support import SourceAddresses, fail_handshake, start_handshake
from conformance.plugin import inconclusive, unsupported
from conformance.target import Target
from conformance.wire import ConformanceFailure, Event, ReceivedFrame

pytestmark = pytest.mark.xdist_group("eke-victim")

_FAKE_PW = bytes(32)
_ALPHABET = string.ascii_lowercase + string.digits


def _timeout(target: Target) -> float:
    return max(3.0, min(10.0, target.limits.handshake_timeout * 2))


def _twins(position: int) -> tuple[str, str]:
    base = list("ghost-" + "".join(secrets.choice(_ALPHABET) for _ in range(58)))
    assert len(base) == 64
    first, second = list(base), list(base)
    first[position], second[position] = "A", "B"
    return "".join(first), "".join(second)


def _answer(target: Target, user: str, source: str | None, timeout: float) -> Event:
    hs = start_handshake(target, user, _FAKE_PW, source=source, timeout=timeout)
    try:
        return hs.receive_eke2(timeout)
    finally:
        hs.close()


@pytest.mark.req("EKE-THR-2", "EKE-THR-1")
@pytest.mark.parametrize("position", [63, 0, 32], ids=["last byte", "first byte", "33rd byte"])
def test_64_byte_names_one_byte_apart_are_counted_apart(
    eke_target: Target, eke_sources: SourceAddresses, position: int
) -> None:
    if not eke_target.has("throttling"):
        unsupported("the target does not declare the 'throttling' feature")
    if not eke_sources.loopback:
        pytest.skip("needs fresh loopback source addresses (the target is not on 127.x)")
    limits = eke_target.limits
    n = limits.throttle_failures
    timeout = _timeout(eke_target)
    guessed, other = _twins(position)
    for i in range(n):
        source = eke_sources.fresh()
        refused = fail_handshake(eke_target, guessed, source, timeout=timeout)
        if refused is not None:
            raise ConformanceFailure(
                f"failure {i + 1} of {n}: the EKE1 of the 64-byte name {guessed!r} from "
                f"{source} was refused {refused.describe()} after {i} failures",
                violates=("EKE-THR-1",),
            )
    failed_at = time.monotonic()
    again = _answer(eke_target, guessed, eke_sources.fresh(), timeout)
    lock = max(1, math.ceil(min(limits.throttle_cap, limits.throttle_base)))
    if not (isinstance(again, ReceivedFrame) and again.error_name == "throttled"):
        if time.monotonic() - failed_at > lock - 0.1:
            inconclusive(f"the probe came too late to find the first lock ({lock} s) running")
        raise ConformanceFailure(
            f"{n} failed handshakes of the 64-byte user name {guessed!r} (each from its own "
            f"address); its next EKE1\nExpected: EROR throttled\nActual:   {again.describe()}",
            violates=("EKE-THR-1",),
        )
    source = eke_sources.fresh()
    answer = _answer(eke_target, other, source, timeout)
    if isinstance(answer, ReceivedFrame) and answer.type == b"EKE2":
        return
    raise ConformanceFailure(
        f"{n} failed handshakes of the 64-byte user name\n  {guessed!r}\nthrottled it; then an "
        f"EKE1 of\n  {other!r}\n(the same but for byte {position + 1}; no failure of its own) "
        f"from {source}, an address that never failed\n"
        f"Expected: EKE2\nActual:   {answer.describe()}\n"
        "EKE-THR-2: throttling MUST NOT stop other users' clients at other addresses; a name "
        "that differs in any byte is another user (EKE-PW-4), its count its own, all 64 bytes "
        "of it.",
        violates=("EKE-THR-2",),
    )
