"""The hard cap's refusal (SPEC §5.6 EKE-THR-11), continued. Could move into
test_eke_throttling.py.

EKE-THR-11: a user name locked by L consecutive failures is refused "with `EROR
throttled` (`retry_after` the backoff cap)". test_eke_throttling.py shows that the lock
outlasts the backoff and that `retry_after` is an integer; here its value is judged once
the backoff has run out, when only the hard lock refuses the name: a client told "retry
after 1 s" of a lock that never ends retries for ever. Probes come from fresh source
addresses, so that no address count adds a lock of its own.
"""

from __future__ import annotations

import math
import time

import pytest

from conformance.eke_support import PartialHandshake, SourceAddresses, ghost_user
from conformance.plugin import inconclusive
from conformance.target import Target
from conformance.test_eke_throttling import (
    _assert_throttled,
    _end,
    _fail_once,
    _hold,
    _lock_seconds,
    _needs_throttling,
    _pending_caps,
    _probe,
)
from conformance.wire import ConformanceFailure


@pytest.mark.req("EKE-THR-11")
def test_hard_locked_name_is_told_the_backoff_cap(
    eke_target: Target, eke_sources: SourceAddresses
) -> None:
    _needs_throttling(eke_target, eke_sources)
    limits = eke_target.limits
    if limits.lock_after is None:
        pytest.skip("the target declares no hard cap (limits.lock_after, EKE-THR-11)")
    p, _ = _pending_caps(eke_target)
    n, lock_after = limits.throttle_failures, limits.lock_after
    if lock_after - (n - 1) > p:
        pytest.skip(f"lock_after {lock_after} is not reachable without waiting out locks")
    if limits.throttle_cap > 5:
        pytest.skip(f"waiting out a {limits.throttle_cap:g} s backoff cap is too long here")
    user = ghost_user()
    for i in range(n - 1):
        early = _fail_once(eke_target, user, eke_sources.fresh())
        if early is not None:
            inconclusive(f"throttled after {i} failures of {n}: {early.describe()}")
    held: list[PartialHandshake] = []
    try:
        for i in range(lock_after - (n - 1)):
            what = f"guess {n + i} of {lock_after}"
            held.append(_hold(eke_target, user, bytes(32), eke_sources.fresh(), what))
    except ConformanceFailure as exc:
        inconclusive(f"cannot judge the hard cap: {lock_after} failures could not be made\n{exc}")
    finally:
        for hs in held:
            _end(eke_target, hs)
    frame, _ = _probe(eke_target, user, bytes(32), eke_sources.fresh())
    if frame is None or frame.error_name != "throttled":
        inconclusive(
            f"{user!r} is not throttled after {lock_after} failures "
            f"({frame.describe() if frame is not None else 'no frame'}): other cases judge"
        )
    first = _assert_throttled(frame, f"EKE1 after {lock_after} consecutive failures")
    # Bounded by the declared cap (at most 5 s here): a server that announces a lock of
    # hours is judged on the next probe, not waited for.
    wait = max(min(first, math.ceil(limits.throttle_cap)), _lock_seconds(eke_target, lock_after))
    wait_s = wait + 0.5
    time.sleep(wait_s)  # the backoff runs out on the server's clock; only the lock is left
    frame, _ = _probe(eke_target, user, bytes(32), eke_sources.fresh())
    if frame is None or frame.error_name != "throttled":
        inconclusive(
            f"{user!r} not throttled once its backoff ran out "
            f"({frame.describe() if frame is not None else 'no frame'}): "
            "test_eke_throttling.py judges the lock itself"
        )
    assert frame is not None
    retry = _assert_throttled(frame, f"EKE1 of the locked name {user!r}, {wait_s:.1f} s later")
    cap = limits.throttle_cap
    allowed = {max(1, math.floor(cap)), max(1, math.ceil(cap))}
    if retry not in allowed:
        raise ConformanceFailure.evidence(
            f"EKE-THR-11: {user!r} had {lock_after} consecutive failures (the declared "
            f"lock_after) and its backoff has run out ({wait_s:.1f} s after the first "
            "refusal): only the hard lock refuses it now",
            f"EROR throttled with retry_after the backoff cap ({cap:g} s)",
            f"retry_after {retry} ({frame.describe()})",
        )
