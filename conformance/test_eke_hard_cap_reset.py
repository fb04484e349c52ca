"""The hard cap counts CONSECUTIVE failures: a success resets it (docs/SPEC.md
EKE-THR-11, "a success resets the count").

Belongs beside conformance/test_eke_throttling.py's hard-cap case
(`test_hard_lock_outlasts_the_backoff`), which makes L consecutive failures and judges the
lock. This one makes more than L failures of one name in all, in short rounds each ended
by an honest login: never L in a row, so the name MUST NOT be hard-locked. A server that
resets the backoff count at a success but not the hard cap's (two counters, one
forgotten) locks an honest user out for good after L failures spread over weeks.

Each round stays below N−1 failures (so no backoff lock either) and is made from fresh
addresses (so no address is throttled). A server may count a failure only just after it
closed that connection, after the next (honest) login began: at most one failure per
round can then outlive a reset, far below L.
"""

from __future__ import annotations

import pytest

from conformance.eke_support import SourceAddresses, Victim, fail_handshake
from conformance.plugin import unsupported
from conformance.target import Target
from conformance.wire import ConformanceFailure, ReceivedFrame

pytestmark = pytest.mark.xdist_group("eke-victim")

_MAX_FAILURES = 12


def _timeout(target: Target) -> float:
    return max(3.0, min(10.0, target.limits.idle_timeout * 2))


def _fail_once(target: Target, user: str, source: str | None) -> ReceivedFrame | None:
    """One failed handshake; the EROR that refused its EKE1 instead, if one came."""
    return fail_handshake(target, user, source, timeout=_timeout(target))


@pytest.mark.req("EKE-THR-11")
def test_a_success_resets_the_hard_cap_count(
    eke_target: Target, eke_victim: Victim, eke_sources: SourceAddresses
) -> None:
    """Rounds of failures of the victim's name, each ended by its honest login, until
    more than L failures were made in all: every EKE1 is answered, none throttled."""
    if not eke_target.has("throttling"):
        unsupported("the target does not declare the 'throttling' feature")
    if not eke_sources.loopback:
        pytest.skip("needs a loopback target to vary the client address")
    limits = eke_target.limits
    n, lock_after = limits.throttle_failures, limits.lock_after
    if lock_after is None:
        pytest.skip("the target declares no hard cap (limits.lock_after, EKE-THR-11)")
    per_round = max(1, n - 2)
    if per_round + 1 >= lock_after:
        pytest.skip(f"lock_after {lock_after} is too close to N = {n} to tell a reset")
    if lock_after + 1 > _MAX_FAILURES:
        pytest.skip(f"lock_after {lock_after}: too many failures for the default run")
    made = 0
    while made <= lock_after:
        for _ in range(per_round):
            refused = _fail_once(eke_target, eke_victim.user, eke_sources.fresh())
            if refused is not None:
                raise ConformanceFailure.evidence(
                    f"EKE-THR-11: EKE1 of {eke_victim.user!r} after {made} failures in all, "
                    f"in rounds of {per_round} each ended by a successful login (N = {n}, "
                    f"L = {lock_after})",
                    "EKE2: never more than one failure in a row, so neither the backoff "
                    "nor the hard cap applies (a success resets the count)",
                    refused.describe(),
                )
            made += 1
        try:
            eke_victim.honest(eke_sources.fresh()).close()
        except ConformanceFailure as exc:
            raise ConformanceFailure(
                f"EKE-THR-11: the honest login of {eke_victim.user!r} after {made} failures "
                f"in all, in rounds of {per_round} each ended by a successful login (N = {n}, "
                f"L = {lock_after}), failed: a success resets the hard cap's count\n{exc}",
                violates=("EKE-THR-11",),
            ) from None
