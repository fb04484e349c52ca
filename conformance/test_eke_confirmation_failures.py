"""sft-eke/1: an EKE3 that opens but proves nothing is a failed guess (SPEC §5.6 EKE-THR-5,
§5.3 EKE-HS-6).

"[A pending handshake] is forgiven only when its EKE3 verifies". EKE3 verifies when C3
opens under Kcc AND its plaintext ends with the server's own Ns (EKE-HS-6). A server that
books the outcome in two steps — "C3 opened: the client knows the password, forgive it",
then the Ns comparison — forgives handshakes that failed: a C3 sealed with the right keys
but carrying a wrong Ns, or the nonces in the wrong order. Such an EKE3 is answered
`auth_failed` all the same (the failure the client sees is right), so only the count shows
it: it must go up, not be reset.

The case needs the password of the account it fails as (the victim account, whose count an
honest handshake resets afterwards, EKE-THR-4): N − 1 wrong-password failures, then the
N-th handshake with the right keys and a wrong C3 content; the user name must then be
throttled. Every handshake comes from a fresh loopback address, so only the user name's
count decides.
"""

from __future__ import annotations

import math
import time

import pytest

from conformance import eke
from conformance.eke_support import SourceAddresses, Victim, fail_handshake, start_handshake
from conformance.plugin import inconclusive, unsupported
from conformance.target import Target
from conformance.wire import ConformanceFailure, ExpectError, ReceivedFrame, expect_on

pytestmark = pytest.mark.xdist_group("eke-victim")


def _timeout(target: Target) -> float:
    return max(3.0, min(10.0, target.limits.idle_timeout * 2))


def _flip_last(data: bytes) -> bytes:
    return data[:-1] + bytes([data[-1] ^ 0x01])


# The plaintexts of C3 that open under Kcc but do not end with the server's Ns.
_CONTENTS = {
    "ns-last-byte-flipped": lambda na, ns: na + _flip_last(ns),
    "nonces-swapped": lambda na, ns: ns + na,
}


@pytest.mark.req("EKE-THR-5", "EKE-HS-6")
@pytest.mark.parametrize("content", sorted(_CONTENTS))
def test_an_eke3_that_opens_with_a_wrong_ns_counts_as_a_failure(
    eke_target: Target, eke_sources: SourceAddresses, eke_victim: Victim, content: str
) -> None:
    if not eke_target.has("throttling"):
        unsupported("the target does not declare the 'throttling' feature")
    if not eke_sources.loopback:
        pytest.skip("needs a loopback target to vary the client address")
    n = eke_target.limits.throttle_failures
    timeout = _timeout(eke_target)
    user = eke_victim.user
    # Start from a clean count (an earlier case may have left failures behind).
    start = eke_victim.reset(eke_sources)
    if not start.startswith("reset"):
        inconclusive(f"the victim account could not log in first: {start}")
    for i in range(n - 1):
        early = fail_handshake(eke_target, user, eke_sources.fresh(), timeout=timeout)
        if early is not None:
            raise ConformanceFailure(
                f"{user!r} refused after {i} of {n} failures: {early.describe()}",
                violates=("EKE-THR-1",),
            )
    hs = start_handshake(
        eke_target, user, eke_victim.pw, source=eke_sources.fresh(), timeout=timeout
    )
    try:
        event = hs.receive_eke2(timeout)
        if hs.eke2 is None:
            raise ConformanceFailure(
                f"Expected: EKE2 for {user!r} after {n - 1} failures (N = {n})\n"
                f"Actual:   {event.describe()}",
                violates=("EKE-THR-1",),
            )
        hs.client.on_eke2(hs.eke2)  # verifies C2: the keys are right
        keys = hs.client.keys
        assert keys is not None
        plain = _CONTENTS[content](hs.client.na, hs.client.ns)
        c3 = eke.aead_seal(keys.kcc, eke.N3, plain, b"EKE3" + keys.th)
        hs.send_eke3({"c": c3.hex()})
        expect_on(hs.raw, [ExpectError("auth_failed", then_close=True)], timeout).check(
            f"EKE3 sealed with the right keys, plaintext {content} (EKE-HS-6)"
        )
    finally:
        hs.close()
    failed_at = time.monotonic()
    probe = start_handshake(
        eke_target, user, bytes(32), source=eke_sources.fresh(), timeout=timeout
    )
    try:
        answer = probe.receive_eke2(timeout)
    finally:
        probe.close()
    if isinstance(answer, ReceivedFrame) and answer.error_name == "throttled":
        return
    limits = eke_target.limits
    lock = max(1, math.ceil(min(limits.throttle_cap, limits.throttle_base)))
    if time.monotonic() - failed_at > lock - 0.1:
        inconclusive(f"the probe came too late to find the first lock ({lock} s) still running")
    raise ConformanceFailure(
        f"{n - 1} wrong-password failures of {user!r}, then an EKE3 sealed with the right keys "
        f"whose plaintext is {content} (answered auth_failed)\n"
        f"Expected: EROR throttled for the next EKE1 of {user!r} ({n} failures, N = {n})\n"
        f"Actual:   {answer.describe()}\n"
        "EKE-THR-5: a handshake is forgiven only when its EKE3 verifies — C3 opening is not "
        "enough, its plaintext must end with the server's Ns (EKE-HS-6); this one failed "
        "and counts.",
        violates=("EKE-THR-5",),
    )
