"""sft-eke/1: a handshake whose A decrypts to an invalid value is a failure like any
other (SPEC §5.6 EKE-THR-5, EKE-THR-1; §5.2 EKE-X-3).

EKE-X-3: a rejection of X' (0, 1, p − 1, X' ≥ p) "is reported as auth_failed — by the
server only at the point where EKE-HS-8 would fail, so that it reveals nothing more than a
wrong password does". EKE-THR-5: "A password guess is spent when the server sends EKE2
... ended any other way (a bad EKE3, ...) it MUST count as a failure against the user
name and the client address". A server that counts only the failures of handshakes whose
X' was valid ("an invalid value is protocol garbage, not a guess") lets a client find out
which of its A's decrypt to invalid values under the account's key — a partition test on
the password — for free: an attacker who crafts A so that it decrypts to X' ≥ p under the
guessed key learns from the throttle's silence whether the guess is the password.

The victim account (the suite knows its key): N handshakes from fresh loopback addresses,
each with A = E_pw(I2OSP(X', 384)) for an invalid X' under the right key, EKE2, then an
EKE3 the server refuses with auth_failed. The victim's next EKE1 MUST then be `throttled`,
as after N wrong passwords. When it is not, a control run of N plain failures of another
name tells a missing count (EKE-THR-1) from this case's own (EKE-THR-5).
"""

from __future__ import annotations

import secrets

import pytest

from conformance import eke
from conformance.eke_support import SourceAddresses, Victim, start_handshake
from conformance.target import Target
from conformance.test_eke_throttling import (
    _assert_throttled,
    _needs_throttling,
    _no_eke2,
    _plain_failures_throttle,
    _probe,
    _timeout,
)
from conformance.wire import ExpectError, expect_on

pytestmark = pytest.mark.xdist_group("eke-victim")

_INVALID = {
    "zero": 0,
    "one": 1,
    "p-1": eke.P - 1,
    "p": eke.P,
    "2^3072-1": (1 << 3072) - 1,
}


@pytest.mark.req("EKE-THR-5", "EKE-X-3", "EKE-THR-1")
def test_failures_after_invalid_values_are_counted(
    eke_target: Target, eke_victim: Victim, eke_sources: SourceAddresses
) -> None:
    _needs_throttling(eke_target, eke_sources)
    n = eke_target.limits.throttle_failures
    timeout = _timeout(eke_target)
    reset = eke_victim.reset(eke_sources)  # the victim's count starts at 0
    if not reset.startswith("reset"):
        pytest.skip(f"the victim could not be reset first: {reset}")
    labels = list(_INVALID)
    used: list[str] = []
    for i in range(n):
        label = labels[i % len(labels)]
        a = eke.feistel_encrypt(eke_victim.pw, eke.element_to_bytes(_INVALID[label]))
        hs = start_handshake(
            eke_target,
            eke_victim.user,
            eke_victim.pw,
            timeout=timeout,
            source=eke_sources.fresh(),
            a_override=a,
        )
        try:
            event = hs.receive_eke2(timeout)
            if hs.eke2 is None:
                raise _no_eke2(event, f"the victim's handshake {i + 1} of {n} (X' = {label})")
            hs.send_eke3({"c": secrets.token_bytes(80).hex()})
            expect_on(hs.raw, [ExpectError("auth_failed", then_close=True)], timeout).check(
                f"EKE3 after an invalid X' ({label})"
            )
        finally:
            hs.close()
        used.append(label)
    frame, _ = _probe(eke_target, eke_victim.user, eke_victim.pw, eke_sources.fresh())
    _assert_throttled(
        frame,
        f"EKE1 of {eke_victim.user!r} after {n} failed handshakes whose A decrypted to an "
        f"invalid X' under the account's key ({', '.join(used)}), each from a fresh address: "
        "they are failures like wrong passwords",
        broken="EKE-THR-5",
        control=lambda: _plain_failures_throttle(eke_target, eke_sources, "user"),
    )
