"""sft-eke/1: each failure table is held to its bound, the address table as well as the
user-name table (SPEC §5.6 EKE-THR-9).

EKE-THR-9: "User names and addresses MUST be counted in separate tables with separate
bounds ... A table over its bound MUST evict only as many entries as bring it back to the
bound, the least recently failed first among those whose lock is not running". Each table
is trimmed on its own: a trim loop that stops at the first table within its bound (a
`return` where a `continue` was meant) never trims the second one, which then grows
without bound and never forgets its oldest partial counts; a bound applied to one kind
only does the same. test_eke_tables.py fills each table and checks what must SURVIVE
(locks, the other table); here what must GO.

Per kind, with E the declared bound (`[limits] throttle_table_entries`) and N the
threshold: an old key K fails N − 1 times (not locked); then, at least a second later
(EKE-THR-9 lets failure times be whole seconds and ties go in any order), E new keys of
the same kind fail once each, so that E keys are more recent than K and K, unlocked, is
among the excess whatever earlier cases left; the other key of each failure comes from a
small pool used at most N − 1 times, so the other table stays small and nothing locks.
K then fails once more: evicted, its count restarted at 1, so its next EKE1 MUST be
answered EKE2 (EKE-THR-7: fewer than N failures); kept, it has N failures and is
throttled.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from typing import TypeVar

import pytest

from conformance.eke_support import SourceAddresses, ghost_user
from conformance.target import Target
from conformance.test_eke_throttling import _fail_once, _needs_throttling, _probe
from conformance.wire import ConformanceFailure

pytestmark = pytest.mark.xdist_group("eke-victim")  # the tables are shared: one worker

_MAX_BOUND = 64  # beyond it the fill is too slow for the default run
_WHOLE_SECOND = 1.05  # failure times may be whole seconds (EKE-THR-9): K strictly older
_K = TypeVar("_K")
_PLURAL = {"address": "addresses", "user name": "user names"}


def _pool(make: Iterator[_K], uses: int) -> Iterator[_K]:
    """Keys of the other kind, each handed out `uses` times."""
    for key in make:
        for _ in range(uses):
            yield key


@pytest.mark.req("EKE-THR-9")
@pytest.mark.parametrize("kind", ["address", "user name"])
def test_a_full_table_forgets_its_least_recent_entry(
    eke_target: Target, eke_sources: SourceAddresses, kind: str
) -> None:
    _needs_throttling(eke_target, eke_sources)
    bound = eke_target.limits.throttle_table_entries
    if bound is None:
        pytest.skip("the target declares no failure-table bound (throttle_table_entries)")
    if bound > _MAX_BOUND:
        pytest.skip(f"the declared table bound {bound} is too large for this case")
    n = eke_target.limits.throttle_failures
    if n < 2:
        pytest.skip("needs a throttle threshold of at least 2")
    names = _pool((ghost_user() for _ in itertools.count()), n - 1)
    addresses = _pool((eke_sources.fresh() for _ in itertools.count()), n - 1)

    def failure(key: str | None) -> tuple[str, str | None]:
        """(user, source) of one failure of `key` (of `kind`) with a pool key beside it."""
        return (next(names), key) if kind == "address" else (str(key), next(addresses))

    old = eke_sources.fresh() if kind == "address" else ghost_user()
    for i in range(n - 1):
        early = _fail_once(eke_target, *failure(old))
        if early is not None:
            raise ConformanceFailure(f"throttled after {i} failures of {old!r}: {early.describe()}")
    time.sleep(_WHOLE_SECOND)
    for _ in range(bound):
        new = eke_sources.fresh() if kind == "address" else ghost_user()
        early = _fail_once(eke_target, *failure(new))
        if early is not None:
            raise ConformanceFailure(
                f"a first failure of {new!r} was throttled: {early.describe()}"
            )
    again = _fail_once(eke_target, *failure(old))
    if again is None:
        user, source = failure(old)
        frame, _ = _probe(
            eke_target, ghost_user() if kind == "address" else user, bytes(32), source
        )
        if frame is not None and frame.type == b"EKE2":
            return
        answer = frame.describe() if frame is not None else "nothing"
    else:
        answer = f"(its N-th failure itself was refused) {again.describe()}"
    raise ConformanceFailure.evidence(
        f"EKE-THR-9: the {kind} {old!r} failed {n - 1} times (unlocked); over a second later "
        f"{bound} new {_PLURAL[kind]} failed once each (the declared bound E = {bound}), so "
        f"E entries of the {kind} table are more recent than it; then it failed once more "
        "and sent EKE1",
        f"EKE2: the {kind} table over its bound evicted its least recently failed unlocked "
        f"entries, {old!r} among them, so its count restarted (1 < N = {n})",
        f"{answer}: {old!r} kept its {n - 1} earlier failures — the {kind} table was not "
        "trimmed to its bound",
    )
