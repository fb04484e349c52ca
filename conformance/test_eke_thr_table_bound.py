"""sft-eke/1: a failure table over its bound evicts, and by last FAILURE (§5.6 EKE-THR-9).

EKE-THR-9: "User names and addresses MUST be counted in separate tables with separate
bounds ... A table over its bound MUST evict only as many entries as bring it back to
the bound, the least recently failed first among those whose lock is not running".
test_eke_tables.py checks what must NOT be evicted (a running lock, the other table);
test_ops_eke_table_order.py that a later failure keeps an entry. This case checks the
other two halves:

- the bound holds: a table that never evicts (a bound parsed and not applied, a
  declared E the server does not use) keeps every count for ever;
- "least recently FAILED" is about failures only, and EKE-THR-1 says that "a refused
  `EKE1` is not a failure: nothing of it needs recording". A table kept as an LRU cache
  whose read refreshes recency (most LRU libraries' `get` does) lets every EKE1 that is
  looked up — refused ones included — keep its address alive, so that an attacker's
  refused attempts keep the partial count of an address from being evicted, and its
  survival depends on traffic no tester sees.

Case (bound E <= 64, N >= 2, loopback): address X fails N - 1 times; once a second has
passed (failure times MAY be whole seconds, EKE-THR-9: no tie with X), about half the
bound of fresh addresses fail once each; then (where the target declares P, the
per-user pending cap) an EKE1 from X of a ghost name that holds P pending handshakes is
refused `busy` (EKE-THR-7: not a failure); the rest of E + 1 fresh addresses fail. The
address table has then had E + 1 entries fail after X's last failure: X is the least
recently failed unlocked one and MUST have been evicted. X fails once more: its next
EKE1 MUST be answered EKE2 (a count of 1 < N). A server that still holds X's N - 1
earlier failures throttles it.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from conformance.eke_support import PartialHandshake, SourceAddresses, ghost_user
from conformance.plugin import inconclusive
from conformance.target import Target
from conformance.test_eke_throttling import _end, _fail_once, _hold, _needs_throttling, _probe
from conformance.wire import ConformanceFailure

pytestmark = pytest.mark.xdist_group("eke-victim")

_FILL_THREADS = 4
_MAX_FILLABLE = 64  # a larger bound takes too many handshakes for the default run
_TIE = 1.1  # EKE-THR-9: failures less than a second apart MAY be taken as simultaneous


def _fill(target: Target, sources: SourceAddresses, count: int) -> None:
    """`count` failures, each from a new address with a new ghost name."""
    per_thread = [
        count // _FILL_THREADS + (i < count % _FILL_THREADS) for i in range(_FILL_THREADS)
    ]

    def run(failures: int) -> None:
        for _ in range(failures):
            early = _fail_once(target, ghost_user(), sources.fresh())
            if early is not None:
                raise ConformanceFailure(
                    f"a fill failure from a fresh address with a fresh name was refused: "
                    f"{early.describe()}",
                    violates=("EKE-THR-1",),
                )

    with ThreadPoolExecutor(max_workers=_FILL_THREADS) as pool:
        for future in [pool.submit(run, k) for k in per_thread if k]:
            future.result()


def _refused_attempt(target: Target, sources: SourceAddresses, x: str | None) -> str:
    """An EKE1 from `x` refused `busy` at a ghost name's pending cap P (no failure);
    returns how it went, for the report ("" where P is not declared or not reachable)."""
    p = target.limits.pending_logins_per_user
    if p is None or p + 2 > target.limits.max_connections:
        return ""
    user = ghost_user()
    held: list[PartialHandshake] = []
    try:
        for i in range(p):
            held.append(_hold(target, user, bytes(32), sources.fresh(), f"{user!r} {i + 1}"))
        frame, _ = _probe(target, user, bytes(32), x)
    finally:
        for hs in held:
            _end(target, hs)
    if frame is None or frame.error_name != "busy":
        inconclusive(
            f"the EKE1 from {x} of {user!r}, which held P = {p} pending handshakes, was not "
            f"refused busy: {frame.describe() if frame is not None else 'no frame'}"
        )
    return f", with one EKE1 from {x} refused busy (P = {p}) among them"


@pytest.mark.req("EKE-THR-9")
def test_an_address_is_evicted_by_its_last_failure_not_its_last_attempt(
    eke_target: Target, eke_sources: SourceAddresses
) -> None:
    _needs_throttling(eke_target, eke_sources)
    bound = eke_target.limits.throttle_table_entries
    if bound is None:
        pytest.skip("the target declares no failure-table bound ([limits] throttle_table_entries)")
    if bound > _MAX_FILLABLE:
        pytest.skip(f"a table of {bound} entries takes too many handshakes to fill here")
    n = eke_target.limits.throttle_failures
    if n < 2:
        pytest.skip("with N = 1 every failure locks: no count below the lock to lose")
    x = eke_sources.fresh()
    for i in range(n - 1):
        early = _fail_once(eke_target, ghost_user(), x)
        if early is not None:
            raise ConformanceFailure(
                f"failure {i + 1} of {n - 1} from the fresh address {x} was refused: "
                f"{early.describe()}",
                violates=("EKE-THR-1",),
            )
    x_failed = time.monotonic()
    time.sleep(max(0.0, x_failed + _TIE - time.monotonic()))  # no tie with the fill
    first = bound // 2
    _fill(eke_target, eke_sources, first)
    touched = _refused_attempt(eke_target, eke_sources, x)
    _fill(eke_target, eke_sources, bound + 1 - first)
    filled = time.monotonic() - x_failed
    early = _fail_once(eke_target, ghost_user(), x)
    if early is None:
        frame, _ = _probe(eke_target, ghost_user(), bytes(32), x)
        if frame is None or frame.error_name != "throttled":
            return  # X had been evicted: its count started again
        early = frame
    if early.error_name != "throttled":
        inconclusive(f"the probe from {x} was answered {early.describe()}")
    raise ConformanceFailure(
        f"Expected: EKE2 for an EKE1 from the address {x}: it failed {n - 1} times, then "
        f"(after {_TIE:g} s) {bound + 1} fresh addresses failed once each over "
        f"{filled:.2f} s{touched}, then {x} failed once more; the declared address-table "
        f"bound is E = "
        f"{bound}, N = {n}\n"
        f"Actual:   {early.describe()}: the server still counts {x}'s earlier failures\n"
        "EKE-THR-9: a table over its bound MUST evict the least recently FAILED entries "
        "whose lock is not running — here the address, which failed before every entry "
        "that came after it. Kept, the bound is not applied, or the refused EKE1 (a "
        "look-up, not a failure: EKE-THR-1, EKE-THR-7) moved the address to the recent end",
        violates=("EKE-THR-9",),
    )
