"""sft-eke/1: a failed handshake is counted against its own connection's address, whatever
else the server accepts meanwhile (SPEC §5.6 EKE-THR-1, EKE-THR-2).

The server counts failures "per client address". Sequential probes (fail from A, then
probe from A) cannot tell the address of the failing connection from "the address the
server saw last": a server that keeps the current peer in one shared variable (set when
it accepts a connection, read when a handshake fails) passes them. Here, while A's
handshake is pending (EKE2 out), a client from B logs in honestly (accepted, and a
success: nothing of B is ever a failure); then A's handshake fails. After N such rounds A
must be throttled, and so must the user name A guessed at (from a fresh address: the same
slip with a shared "current user" charges B's user name instead), and B — which never
failed a handshake — must not be (EKE-THR-2: throttling must not stop other addresses'
honest clients).
"""

from __future__ import annotations

import math
import time

import pytest

from conformance.eke_channel import EkeChannel, password_key_cached
from conformance.eke_support import SourceAddresses, ghost_user, start_handshake
from conformance.plugin import inconclusive, unsupported
from conformance.target import Target
from conformance.wire import (
    ConformanceFailure,
    ExpectError,
    ReceivedFrame,
    expect_on,
)

pytestmark = pytest.mark.xdist_group("eke-victim")


def _timeout(target: Target) -> float:
    return max(3.0, min(10.0, target.limits.idle_timeout * 2))


def _probe(
    target: Target, source: str | None, timeout: float, user: str | None = None
) -> ReceivedFrame | None:
    """EKE1 of `user` (default: a fresh unknown name) from `source`; the frame that answers
    it."""
    hs = start_handshake(target, user or ghost_user(), bytes(32), source=source, timeout=timeout)
    try:
        event = hs.receive_eke2(timeout)
        return event if isinstance(event, ReceivedFrame) else None
    finally:
        hs.close()


@pytest.mark.req("EKE-THR-1", "EKE-THR-2")
def test_a_failure_is_counted_against_its_own_address(
    eke_target: Target, eke_sources: SourceAddresses
) -> None:
    if not eke_target.has("throttling"):
        unsupported("the target does not declare the 'throttling' feature")
    if not eke_sources.loopback:
        pytest.skip("needs a loopback target to vary the client address")
    if not eke_target.accounts:
        pytest.skip("needs an eke account")
    account = eke_target.accounts[0]
    n = eke_target.limits.throttle_failures
    timeout = _timeout(eke_target)
    a, b, c = eke_sources.fresh(), eke_sources.fresh(), eke_sources.fresh()
    guessed = ghost_user()  # the one user name A's handshakes guess at
    for i in range(n):
        hs = start_handshake(eke_target, guessed, bytes(32), source=a, timeout=timeout)
        try:
            event = hs.receive_eke2(timeout)
            if hs.eke2 is None:
                raise ConformanceFailure(
                    f"round {i + 1}: Expected EKE2 for a fresh name from {a} after {i} "
                    f"failures of that address (N = {n})\nActual: {event.describe()}",
                    violates=("EKE-THR-1",),
                )
            # B connects while A is pending and logs in honestly: accepted, never a
            # failure (a success of its own user name, EKE-THR-4).
            try:
                login = EkeChannel.connect(
                    eke_target.host,
                    eke_target.port,
                    account.user,
                    pw=password_key_cached(account.password, account.user),
                    timeout=timeout,
                    source=b,
                    name="B",
                )
                try:
                    login.settle()  # its success booked, its pending slot back (EKE-THR-7)
                finally:
                    login.close()
            except ConformanceFailure as exc:
                inconclusive(f"round {i + 1}: the honest login from {b} failed: {exc}")
            hs.send_eke3(hs.client.on_eke2(hs.eke2, verify=False))
            expect_on(hs.raw, [ExpectError("auth_failed", then_close=True)], timeout).check(
                f"round {i + 1}: a failed handshake from {a}"
            )
        finally:
            hs.close()
    failed_at = time.monotonic()
    at_a = _probe(eke_target, a, timeout)
    of_guessed = _probe(eke_target, c, timeout, guessed)
    at_b = _probe(eke_target, b, timeout)
    limits = eke_target.limits
    lock = max(1, math.ceil(min(limits.throttle_cap, limits.throttle_base)))
    problems = []
    if at_a is None or at_a.error_name != "throttled":
        if time.monotonic() - failed_at > lock - 0.1:
            inconclusive(f"the probes came too late to find the first lock ({lock} s) running")
        problems.append(
            f"EKE1 from {a} (the address of the {n} failures): "
            f"{at_a.describe() if at_a is not None else 'no frame'}, not EROR throttled"
        )
    if of_guessed is None or of_guessed.error_name != "throttled":
        problems.append(
            f"EKE1 of {guessed!r} (the user name of the {n} failures) from a fresh address "
            f"{c}: {of_guessed.describe() if of_guessed is not None else 'no frame'}, "
            "not EROR throttled"
        )
    if at_b is None or at_b.type != b"EKE2":
        problems.append(
            f"EKE1 from {b} (no failed handshake, only honest logins): "
            f"{at_b.describe() if at_b is not None else 'no frame'}, not EKE2"
        )
    if problems:
        raise ConformanceFailure(
            f"{n} handshakes from {a} failed, each while a client from {b} logged in "
            "honestly\n"
            + "\n".join(problems)
            + "\nEKE-THR-1: a failure counts against the user name and the address of the "
            "connection that failed, whatever other logins happen meanwhile; EKE-THR-2: "
            "another address's clients are not stopped.",
            violates=("EKE-THR-1",),
        )
