"""EKE-THR-9's eviction order: the least recently FAILED first, not the first inserted.

test_eke_tables.py fills one table and checks that a locked entry and the other table
survive. This case checks the order among unlocked entries of the address table: an
implementation that keeps each table in insertion order (an OrderedDict whose entry is
moved to the recent end on one table's path only, a copy-paste of the user table's code
without its `move_to_end`, or a list appended once per key) evicts an address that
failed a moment ago because it first failed long ago.

Case (bound E, threshold N ≥ 3, loopback): address A fails once; E − 1 − s fresh
addresses fail once each; A fails N − 2 more times (one failure short of its lock); s
more fresh addresses fail once (the table now holds A and the E − 1 fill addresses, A
the first inserted); one more fresh address fails: the table is over its bound and MUST
evict the least recently failed unlocked entries — the first of the fill, never A, which
failed after them. Then A fails once more: N failures, so its next EKE1 MUST be
throttled. A server that evicted A counts that failure as its first. (s, a quarter of
the bound, absorbs new addresses other cases fail from meanwhile.)

Before it starts, the case waits out the throttle cap once (every address lock of earlier
cases then has ended, so nothing older than A is kept for its lock).
"""

from __future__ import annotations

import time

import pytest

from conformance.eke_support import SourceAddresses, ghost_user
from conformance.target import Target
from conformance.test_eke_throttling import (
    _assert_throttled,
    _fail_once,
    _needs_throttling,
    _plain_failures_throttle,
    _probe,
)
from conformance.wire import ConformanceFailure

pytestmark = pytest.mark.xdist_group("eke-victim")

# A bound beyond this takes too many handshakes in the default run.
_MAX_FILLABLE = 64
# The longest wait for earlier cases' address locks to end.
_MAX_CAP_WAIT = 10.0
# The coarsest clock a server may date failures with (whole seconds), and a margin.
_RESOLUTION = 1.1


def _fail(target: Target, source: str | None, what: str) -> None:
    early = _fail_once(target, ghost_user(), source)
    if early is not None:
        raise ConformanceFailure(
            f"a failure of {what} ({source}) was refused before its threshold: {early.describe()}"
        )


@pytest.mark.req("EKE-THR-9", "EKE-THR-1")
def test_address_table_evicts_least_recently_failed(
    eke_target: Target, eke_sources: SourceAddresses
) -> None:
    """An address that failed first but also most recently survives one eviction; the
    oldest failure of the fill goes instead (EKE-THR-9's order)."""
    _needs_throttling(eke_target, eke_sources)
    limits = eke_target.limits
    bound, n = limits.throttle_table_entries, limits.throttle_failures
    if bound is None:
        pytest.skip("the target declares no table bound (limits.throttle_table_entries)")
    if bound > _MAX_FILLABLE:
        pytest.skip(f"a table of {bound} entries takes too many handshakes to fill")
    if n < 3:
        pytest.skip("needs a threshold N of at least 3 (one entry unlocked at N − 1)")
    if limits.throttle_cap > _MAX_CAP_WAIT:
        pytest.skip(f"waiting out a throttle cap of {limits.throttle_cap:g} s takes too long")
    # Every address lock of earlier cases ends within the cap (EKE-THR-6).
    time.sleep(limits.throttle_cap + 0.2)
    victim = eke_sources.fresh()
    _fail(eke_target, victim, "the victim address")
    # The victim's re-failures come `slack` fill entries before the table is full: failures
    # of other cases' new addresses meanwhile (up to `slack` of them) evict older entries,
    # never the victim, from a server that follows EKE-THR-9's order.
    slack = max(1, (bound - 1) // 4)
    fill = [eke_sources.fresh() for _ in range(bound - 1)]
    for source in fill[: bound - 1 - slack]:
        _fail(eke_target, source, "a fill address")
    # EKE-THR-9 gives "least recently failed" no clock resolution: a server may keep each
    # last failure in whole seconds (an INTEGER wall-time column, EKE-THR-8) and cannot
    # order failures within one second. The victim's re-failures come more than a second
    # after the fill's, so it failed more recently at any resolution down to the second.
    time.sleep(_RESOLUTION)  # the order under test, not a synchronisation
    for _ in range(n - 2):
        _fail(eke_target, victim, "the victim address")
    for source in fill[bound - 1 - slack :]:
        _fail(eke_target, source, "a fill address")
    _fail(eke_target, eke_sources.fresh(), "the address that overflows the table")
    _fail(eke_target, victim, "the victim address")  # its N-th failure
    frame, _ = _probe(eke_target, ghost_user(), bytes(32), victim)
    _assert_throttled(
        frame,
        f"EKE1 from address {victim} after its {n}-th failure. It failed first, then "
        f"{bound - 1 - slack} other addresses failed once, then it failed {n - 2} more "
        f"time(s), then {slack} more addresses failed once, and one new address overflowed "
        f"the table (bound {bound}): the least recently failed unlocked entries (from "
        f"{fill[0]} on) go, not this one, which failed more recently (EKE-THR-9)",
        broken="EKE-THR-9",
        control=lambda: _plain_failures_throttle(eke_target, eke_sources, "address"),
    )
