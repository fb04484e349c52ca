"""Failed handshakes counted against their own user name while other logins interleave
(docs/SPEC.md EKE-THR-5, EKE-THR-1, EKE-THR-2).

A server that keeps "the user whose EKE2 went out" on the server object (a field of
the listener, a module variable) instead of on the connection counts each failure
against whichever user its latest EKE2 named. Sequential test handshakes never see it:
the latest EKE2 is always the failing one's. A server that runs for weeks interleaves
them all the time: an attacker's guesses are then charged to the honest users who log
in meanwhile (they get locked out, EKE-THR-2) and the attacked name is never throttled
(EKE-THR-1, EKE-THR-5: a pending handshake that ends "MUST count as a failure against
the user name ... exactly like a failed EKE3").

Here each of N guesses against one ghost name is left pending at EKE2 while an honest
login of another account (from another address) completes; then the guess's EKE3
fails. After N such guesses the ghost name is throttled and the honest account still
logs in.
"""

from __future__ import annotations

import functools

import pytest

from conformance.eke_support import PartialHandshake, SourceAddresses, Victim, ghost_user
from conformance.plugin import inconclusive
from conformance.target import Target
from conformance.test_eke_throttling import (
    _assert_throttled,
    _hold,
    _needs_throttling,
    _plain_failures_throttle,
    _probe,
    _sequential_login,
    _timeout,
)
from conformance.wire import ConformanceFailure, ExpectError, expect_on

pytestmark = pytest.mark.xdist_group("eke-victim")


def _fail_held(target: Target, hs: PartialHandshake, what: str) -> None:
    """A bogus EKE3 for a handshake held at EKE2: `auth_failed`, then the close."""
    assert hs.eke2 is not None
    try:
        hs.send_eke3(hs.client.on_eke2(hs.eke2, verify=False))
        expect_on(hs.raw, [ExpectError("auth_failed", then_close=True)], _timeout(target)).check(
            what
        )
    finally:
        hs.close()


@pytest.mark.req("EKE-THR-5", "EKE-THR-1", "EKE-THR-2")
def test_failures_count_against_their_own_name_while_other_logins_interleave(
    eke_target: Target, eke_victim: Victim, eke_sources: SourceAddresses
) -> None:
    _needs_throttling(eke_target, eke_sources)
    n = eke_target.limits.throttle_failures
    if n + 1 > 12:
        pytest.skip(f"N = {n}: too many interleaved logins for this case")
    ghost = ghost_user()
    for i in range(n):
        what = f"guess {i + 1} of {n} against {ghost!r}"
        held = _hold(eke_target, ghost, bytes(32), eke_sources.fresh(), what)
        try:
            # The honest login completes while the guess is pending.
            _sequential_login(lambda: eke_victim.login(eke_sources.fresh()))
        except ConformanceFailure as exc:
            held.close()
            if i == 0:
                inconclusive(f"the honest account could not log in at all: {exc}")
            raise ConformanceFailure(
                f"EKE-THR-2: honest login {i + 1} of {eke_victim.user!r} (from a fresh "
                f"address) while guess {i + 1} against {ghost!r} was pending; "
                f"{i} failed guesses of {ghost!r} before it\n"
                "Expected: a completed handshake (the failures are the ghost name's)\n"
                f"Actual:   {str(exc).splitlines()[0]}",
                violates=("EKE-THR-2",),
            ) from None
        _fail_held(eke_target, held, f"the bogus EKE3 of {what}")
    frame, _ = _probe(eke_target, ghost, bytes(32), eke_sources.fresh())
    _assert_throttled(
        frame,
        f"EKE1 of {ghost!r} from a fresh address after {n} failed guesses against it (N = "
        f"{n}), each left pending at EKE2 while an honest login of {eke_victim.user!r} "
        "completed, then failed: each failure counts against the ghost name",
        broken="EKE-THR-5",
        control=functools.partial(_plain_failures_throttle, eke_target, eke_sources, "user"),
    )
    # The honest account was never the one failing: it still logs in.
    try:
        _sequential_login(lambda: eke_victim.login(eke_sources.fresh()))
    except ConformanceFailure as exc:
        raise ConformanceFailure(
            f"EKE-THR-2: an honest login of {eke_victim.user!r} after {n} failed guesses "
            f"against {ghost!r} interleaved with its own successful logins\n"
            "Expected: a completed handshake\n"
            f"Actual:   {str(exc).splitlines()[0]}",
            violates=("EKE-THR-2",),
        ) from None
