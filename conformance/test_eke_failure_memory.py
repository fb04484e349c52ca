"""sft-eke/1: failure counts are kept while nothing happens (docs/SPEC.md EKE-THR-1,
EKE-THR-6).

EKE-THR-1: after N failures of a user name (or an address) its next EKE1 is throttled;
EKE-THR-6: n counts every failure. Nothing in the SPEC lets a count fade while its
principal is quiet (only a success forgives, EKE-THR-4, and only a full table evicts,
EKE-THR-9). An implementation whose idle-entry expiry is read in the wrong unit (an
hour taken as 3 600 ms), or that drops an entry whose lock ran out, forgets the first
N − 1 failures during a pause of a few seconds, and guesses spaced by that pause are
never throttled. Here N − 1 failures, a pause of a few seconds, then one more
failure: the next EKE1 MUST be throttled.

Fixtures (conformance/plugin.py): `eke_target`, `eke_sources`.
"""

from __future__ import annotations

import time

import pytest

from conformance.eke_support import SourceAddresses, fail_handshake, ghost_user, start_handshake
from conformance.plugin import unsupported
from conformance.target import Target
from conformance.wire import ConformanceFailure, ReceivedFrame

pytestmark = pytest.mark.xdist_group("eke-victim")

_PAUSE_FLOOR = 5.0  # seconds: longer than a misread "3 600 ms" expiry


def _timeout(target: Target) -> float:
    return max(3.0, min(10.0, target.limits.idle_timeout * 2))


def _pause(target: Target) -> float:
    """Longer than a misread "3 600 ms" expiry; N − 1 failures start no lock, so the
    backoff cap plays no part."""
    del target
    return _PAUSE_FLOOR


def _fail(target: Target, user: str, source: str | None, step: str) -> None:
    early = fail_handshake(target, user, source, timeout=_timeout(target))
    if early is not None:
        raise ConformanceFailure(
            f"{step}: the EKE1 was refused before N failures: {early.describe()}",
            violates=("EKE-THR-1",),
        )


@pytest.mark.req("EKE-THR-1", "EKE-THR-6")
@pytest.mark.parametrize("counter", ["user", "address"])
def test_failures_are_remembered_across_a_pause(
    eke_target: Target, eke_sources: SourceAddresses, counter: str
) -> None:
    """N − 1 failures of one user name (each from a fresh address) — or of one address
    (each with a fresh ghost name) —, a pause of 5 s with nothing from
    them, one more failure: the next EKE1 of that name (or from that address) MUST be
    answered `throttled`."""
    if not eke_target.has("throttling"):
        unsupported("the target does not declare the 'throttling' feature")
    if not eke_sources.loopback:
        pytest.skip("needs a loopback target to vary the client address")
    n = eke_target.limits.throttle_failures
    pause = _pause(eke_target)
    user = ghost_user()
    address = eke_sources.fresh()

    def one() -> tuple[str, str | None]:
        if counter == "user":
            return user, eke_sources.fresh()
        return ghost_user(), address

    for i in range(n - 1):
        _fail(eke_target, *one(), f"failure {i + 1} of {n - 1} before the pause")
    time.sleep(pause)  # the point of the case: time passes, nothing is sent
    _fail(eke_target, *one(), f"failure {n} after a pause of {pause:g} s")
    probe_user, probe_source = (
        (user, eke_sources.fresh())
        if counter == "user"
        else (
            ghost_user(),
            address,
        )
    )
    hs = start_handshake(
        eke_target, probe_user, bytes(32), source=probe_source, timeout=_timeout(eke_target)
    )
    try:
        event = hs.receive_eke2(_timeout(eke_target))
    finally:
        hs.close()
    if isinstance(event, ReceivedFrame) and event.error_name == "throttled":
        return
    what = f"user name {user!r}" if counter == "user" else f"address {address}"
    failure = ConformanceFailure.evidence(
        f"EKE-THR-1: EKE1 after {n - 1} failures of the {what}, a pause of {pause:g} s, and "
        "one more failure",
        f"EROR throttled: {n} failures (the pause forgives nothing)",
        event.describe(),
    )
    failure.violates = ("EKE-THR-1",)
    raise failure
