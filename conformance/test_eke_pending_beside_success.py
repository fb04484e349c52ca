"""sft-eke/1: a guess pending beside a successful login still counts when it fails after
it (SPEC §5.6 EKE-THR-5, EKE-THR-4, EKE-THR-1).

EKE-THR-4: "A successful handshake resets the user's failure count" — the failures that
have ended by then. EKE-THR-5: a pending handshake "ended any other way (a bad EKE3, ...)
MUST count as a failure against the user name and the client address the moment it ends".
An implementation that lets a success forgive the whole user name — the handshakes still
pending at that moment too (a "reset at" time that failures begun before it are compared
with, a generation number, the pending slots cleared with the count) — does not count the
guesses that were held open beside the honest login and fail after it: whoever guesses
while the account's owner logs in guesses for free.

The victim account, each connection from its own fresh loopback address (only the user
name's count can throttle): H = min(P − 1, N) handshakes (one when P is undeclared)
are held pending after EKE2, the owner's honest login completes, then the H guesses fail
(a bad EKE3, `auth_failed`), then N − H plain failures: N failures since the success, the
next EKE1 MUST be `throttled`.
"""

from __future__ import annotations

import secrets

import pytest

from conformance.eke_support import (
    PartialHandshake,
    SourceAddresses,
    Victim,
    fail_handshake,
    start_handshake,
)
from conformance.plugin import inconclusive
from conformance.target import Target
from conformance.wire import (
    ConformanceFailure,
    ExpectError,
    ReceivedFrame,
    deadline_after,
    expect_on,
)

pytestmark = pytest.mark.xdist_group("eke-victim")


def _timeout(target: Target) -> float:
    return max(3.0, min(10.0, target.limits.handshake_timeout * 2))


@pytest.mark.req("EKE-THR-5", "EKE-THR-4", "EKE-THR-1", "EKE-THR-7")
def test_guesses_pending_beside_a_success_count_when_they_fail(
    eke_target: Target, eke_victim: Victim, eke_sources: SourceAddresses
) -> None:
    limits = eke_target.limits
    n = limits.throttle_failures
    declared = limits.pending_logins_per_user
    # Undeclared P: one held guess (any P >= 2 takes it beside the honest login; a P of 1
    # makes the case INCONCLUSIVE, never FAIL).
    p = 2 if declared is None else declared
    if p < 2:
        pytest.skip(f"P = {p}: no room for a pending guess beside the honest login")
    if not eke_sources.loopback:
        pytest.skip("needs fresh loopback source addresses (the target is not on 127.x)")
    timeout = _timeout(eke_target)
    reset = eke_victim.reset(eke_sources)
    if not reset.startswith("reset"):
        pytest.skip(f"the victim could not be reset first: {reset}")
    held_count = max(1, min(p - 1, n))
    held: list[PartialHandshake] = []
    try:
        for i in range(held_count):
            hs = start_handshake(
                eke_target,
                eke_victim.user,
                bytes(32),
                source=eke_sources.fresh(),
                timeout=timeout,
            )
            held.append(hs)
            event = hs.receive_eke2(timeout)
            if hs.eke2 is None:
                raise ConformanceFailure(
                    f"EKE-THR-7: held guess {i + 1} of {held_count} of {eke_victim.user!r} (P ="
                    f" {p}, no failure yet) was not answered EKE2: {event.describe()}",
                    violates=("EKE-THR-7",),
                )
        try:
            # Settled: the success is on record before the first held guess fails (its
            # EKE3 alone says nothing of when the server books it).
            eke_victim.login(eke_sources.fresh())
        except ConformanceFailure as exc:
            if declared is None:
                inconclusive(
                    f"P undeclared and the honest login beside one held guess failed: {exc}"
                )
            raise
        for i, hs in enumerate(held):
            hs.send_eke3({"c": secrets.token_bytes(80).hex()})
            expect_on(hs.raw, [ExpectError("auth_failed", then_close=True)], timeout).check(
                f"held guess {i + 1}'s bad EKE3 after the honest login"
            )
    finally:
        for hs in held:
            hs.close()
    for i in range(n - held_count):
        refused = fail_handshake(eke_target, eke_victim.user, eke_sources.fresh(), timeout=timeout)
        if refused is not None:
            raise ConformanceFailure(
                f"EKE-THR-1: plain failure {i + 1} after the held guesses ({held_count + i}"
                f" failures since the success, N = {n}) was refused before EKE2:"
                f" {refused.describe()}"
            )
    probe = start_handshake(
        eke_target, eke_victim.user, bytes(32), source=eke_sources.fresh(), timeout=timeout
    )
    try:
        event = probe.raw.recv_frame(deadline_after(timeout))
        if isinstance(event, ReceivedFrame) and event.error_name == "throttled":
            return
        raise ConformanceFailure.evidence(
            f"EKE-THR-5: {eke_victim.user!r}: {held_count} guess(es) held pending (EKE2) while"
            f" the owner's honest login completed, then failed (auth_failed), then"
            f" {n - held_count} plain failure(s): N = {n} failures since the success, every"
            " connection from its own address",
            "EROR throttled: a guess pending beside the success counts when it fails",
            event.describe(),
            "the success forgave the guesses pending beside it: whoever guesses while the"
            " owner logs in guesses for free",
        )
    finally:
        probe.close()
