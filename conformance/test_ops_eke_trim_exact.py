"""EKE-THR-9's trim: a table over its bound loses only as many entries as bring it back.

EKE-THR-9: "A table over its bound MUST evict only as many entries as bring it back to the
bound, the least recently failed first among those whose lock is not running: flushing
every unlocked entry would let one new name or address wipe every partial count at once."
test_ops_eke_table_order.py checks WHICH entry goes (with a quarter of the bound of slack
for other cases' addresses); test_eke_tables.py that a locked entry and the other table
survive. Neither sees HOW MANY go: a trim that runs in batches ("evict a quarter, or down to
90 %, so that the trim runs rarely"), or one that flushes every unlocked entry, passes both,
and lets one new address wash several partial counts — an attacker's guesses from a few
addresses among them.

Case (address table, bound E ≤ 64, threshold N ≥ 2, cap ≤ 10 s, loopback): wait out the cap
once (every earlier address lock has ended: nothing older is kept for its lock); k = E // 8
fresh addresses fail once each (the oldest group); more than a second later (failures less
than a second apart MAY be taken as simultaneous) address X fails N − 1 times; then E − k − 1 fresh
addresses fail once each. The table now holds E entries (the
older ones were evicted first as the fill went in). One more fresh address overflows it:
one entry must go, from the oldest group (k − 1 more may go to make room for other cases'
failures meanwhile). X then fails once more — N failures — and its next EKE1 MUST be
throttled. A server that evicted X with the oldest group counts that failure as its first.
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

__all__: list[str] = []

# One worker runs the cases that fill the throttle's tables or restart the server.
pytestmark = [pytest.mark.profile("eke"), pytest.mark.xdist_group("eke-victim")]

_MAX_FILLABLE = 64  # a bound beyond this takes too many handshakes in the default run
_MAX_CAP_WAIT = 10.0  # the longest wait for earlier cases' address locks to end
_RESOLUTION = 1.1  # failures a second apart are ordered at any resolution down to 1 s


def _fail(target: Target, source: str | None, what: str) -> None:
    early = _fail_once(target, ghost_user(), source)
    if early is not None:
        raise ConformanceFailure(
            f"a failure of {what} ({source}) was refused before its threshold: {early.describe()}"
        )


@pytest.mark.req("EKE-THR-9")
def test_one_new_address_evicts_one_entry_not_a_batch(
    eke_target: Target, eke_sources: SourceAddresses
) -> None:
    _needs_throttling(eke_target, eke_sources)
    limits = eke_target.limits
    bound, n = limits.throttle_table_entries, limits.throttle_failures
    if bound is None:
        pytest.skip("the target declares no table bound (limits.throttle_table_entries)")
    if bound > _MAX_FILLABLE:
        pytest.skip(f"a table of {bound} entries takes too many handshakes to fill")
    if bound < 16:
        pytest.skip(f"a bound of {bound} leaves no room for an oldest group of two or more")
    if n < 2:
        pytest.skip("needs a threshold N of at least 2 (one entry unlocked at N − 1)")
    if limits.throttle_cap > _MAX_CAP_WAIT:
        pytest.skip(f"waiting out a throttle cap of {limits.throttle_cap:g} s takes too long")
    # Every address lock of earlier cases ends within the cap (EKE-THR-6).
    time.sleep(limits.throttle_cap + 0.2)
    oldest = max(2, bound // 8)
    for _ in range(oldest):
        _fail(eke_target, eke_sources.fresh(), "an address of the oldest group")
    time.sleep(_RESOLUTION)  # the order under test, not a synchronisation
    sentinel = eke_sources.fresh()
    for _ in range(n - 1):
        _fail(eke_target, sentinel, "the sentinel address")
    for _ in range(bound - oldest - 1):
        _fail(eke_target, eke_sources.fresh(), "a fill address")
    _fail(eke_target, eke_sources.fresh(), "the address that overflows the table")
    _fail(eke_target, sentinel, "the sentinel address")  # its N-th failure
    frame, _ = _probe(eke_target, ghost_user(), bytes(32), sentinel)
    _assert_throttled(
        frame,
        f"EKE1 from address {sentinel} after its {n}-th failure. The cap waited out, "
        f"{oldest} fresh addresses failed once; {_RESOLUTION:g} s later this address failed "
        f"{n - 1} times; then {bound - oldest - 1} fresh addresses failed once (the table, "
        f"bound {bound}, full of this case's entries); one more fresh "
        "address overflowed it, then this address failed once more. One entry had to go, "
        f"from the {oldest} that failed before this address ({oldest - 1} more at most for "
        "other cases' failures meanwhile): not this one, whose N - 1 failures a trim in "
        "batches (or a flush of every unlocked entry) wipes (EKE-THR-9)",
        broken="EKE-THR-9",
        control=lambda: _plain_failures_throttle(eke_target, eke_sources, "address"),
    )
