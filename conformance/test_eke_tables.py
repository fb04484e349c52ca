"""EKE-THR-9: user names and addresses in separate, bounded tables; no locked entry evicted.

Once "not observable: needs more addresses than loopback" — but a client socket can
bind any of the 16 M addresses of 127.0.0.0/8, and a target may declare the bound of
its tables (`[limits] throttle_table_entries`, E). Per direction, one case:

- two victims: an entry LOCKED in the table about to be filled (EKE-THR-9's "an entry
  MUST NOT be evicted while its lock runs") and an entry one failure short of the lock
  in the OTHER table ("filling one MUST NOT evict an entry of the other");
- the fill: E + 1 failures, each with a new key of the filled kind, whose other key
  comes from a small pool used N - 1 times each (so the other table grows by about
  (E + 1) / (N - 1) entries, well inside its bound, and no pool key locks);
- then the locked victim's EKE1 must still be throttled (while its lock runs: the fill
  runs in parallel and is timed; past the lock the check is INCONCLUSIVE), and one more
  failure of the other victim must throttle it (N failures, as if nothing had come in
  between).

Which wrong servers fail it: one table for both kinds (a flood of addresses pushes user
names out), eviction that ignores the lock (oldest first, locked or not), the lock
looked up in the wrong table when choosing what to evict.

The other table's victim is judged unlocked, so it relies on EKE-THR-9's eviction order
(the least recently failed first, only the excess): the pool keys the fill adds to the
other table, and what earlier cases left there, are all more recent or older than the
victim in a known way. Under a random order or a flush of every unlocked entry the
victim's survival would depend on what else the table holds, which no peer can know.
"""

from __future__ import annotations

import functools
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest

from conformance.eke_support import SourceAddresses, ghost_user, start_handshake
from conformance.plugin import inconclusive
from conformance.target import Target
from conformance.test_eke_throttling import (
    _assert_throttled,
    _fail_once,
    _lock_seconds,
    _needs_throttling,
    _plain_failures_throttle,
    _probe,
    _timeout,
)
from conformance.wire import ConformanceFailure, ExpectError, ReceivedFrame, expect_on

pytestmark = pytest.mark.xdist_group("eke-victim")

_FILL_THREADS = 4
# A bound beyond this takes too many handshakes to fill in the default run.
_MAX_FILLABLE = 64
# The locked victim's check needs this much of its lock left when the fill is done.
_MARGIN = 0.3


@dataclass(frozen=True)
class _Key:
    """A user name or an address, and how to make a failure with it."""

    kind: str  # "user" | "addr"
    value: str | None  # an address is None when the target is not on loopback

    def pair(self, sources: SourceAddresses) -> tuple[str, str | None]:
        """(user, source) for one failure counted against this key and a fresh other."""
        if self.kind == "user":
            assert self.value is not None
            return self.value, sources.fresh()
        return ghost_user(), self.value


def _new_key(kind: str, sources: SourceAddresses) -> _Key:
    return _Key(kind, ghost_user() if kind == "user" else sources.fresh())


def _check_not_throttled(frame: ReceivedFrame | None, what: str) -> None:
    if frame is not None:
        raise ConformanceFailure(
            f"throttled early ({what}): {frame.describe()}", violates=("EKE-THR-1",)
        )


def _lock(target: Target, key: _Key, sources: SourceAddresses) -> int:
    """Lock `key` with as many failures as the caps allow below the hard lock (a longer
    backoff leaves the fill more time): N - 1 one by one, the rest as parallel pending
    handshakes, each then failed. Returns the failures counted."""
    limits = target.limits
    n = limits.throttle_failures
    parallel_cap = (
        limits.pending_logins_per_user if key.kind == "user" else limits.pending_logins_per_address
    ) or 1
    wanted = n + 1
    if key.kind == "user" and limits.lock_after is not None:
        wanted = min(wanted, limits.lock_after - 1)
    wanted = max(n, wanted)
    serial = n - 1
    parallel = min(parallel_cap, wanted - serial)
    for i in range(serial):
        _check_not_throttled(_fail_once(target, *key.pair(sources)), f"failure {i + 1} of {n}")
    timeout = _timeout(target)
    handshakes = [
        start_handshake(target, user, bytes(32), source=source, timeout=timeout)
        for user, source in (key.pair(sources) for _ in range(parallel))
    ]
    try:
        for hs in handshakes:
            event = hs.receive_eke2(timeout)
            if hs.eke2 is None:
                inconclusive(
                    f"cannot lock a {key.kind} for the case: {parallel} parallel handshakes "
                    f"after {serial} failures, one got {event.describe()} instead of EKE2"
                )
        for hs in handshakes:
            hs.send_eke3(hs.client.on_eke2(hs.eke2, verify=False))  # type: ignore[arg-type]
        for hs in handshakes:
            expect_on(hs.raw, [ExpectError("auth_failed", then_close=True)], timeout).check(
                "a failed handshake"
            )
    finally:
        for hs in handshakes:
            hs.close()
    return serial + parallel


def _fill(target: Target, kind: str, count: int, sources: SourceAddresses) -> None:
    """`count` failures, each with a new key of `kind`; the other key from a pool whose
    members are used N - 1 times each, by one thread each (no pending cap is reached)."""
    n = target.limits.throttle_failures
    other = "addr" if kind == "user" else "user"
    per_thread = [
        count // _FILL_THREADS + (i < count % _FILL_THREADS) for i in range(_FILL_THREADS)
    ]

    def run(failures: int) -> None:
        pool_key = _new_key(other, sources)
        for i in range(failures):
            if i and i % (n - 1) == 0:
                pool_key = _new_key(other, sources)
            filler = _new_key(kind, sources).value
            user, source = (filler, pool_key.value) if kind == "user" else (pool_key.value, filler)
            assert user is not None
            _check_not_throttled(_fail_once(target, user, source), f"a fill failure of {kind}")

    with ThreadPoolExecutor(max_workers=_FILL_THREADS) as pool:
        for future in [pool.submit(run, k) for k in per_thread if k]:
            future.result()


@pytest.mark.req("EKE-THR-9")
@pytest.mark.parametrize("filled", ["user", "addr"], ids=["fill-user-names", "fill-addresses"])
def test_filling_one_table_keeps_locks_and_the_other_table(
    filled: str, eke_target: Target, eke_sources: SourceAddresses
) -> None:
    _needs_throttling(eke_target, eke_sources)
    bound = eke_target.limits.throttle_table_entries
    if bound is None:
        pytest.skip("the target declares no failure-table bound ([limits] throttle_table_entries)")
    if bound > _MAX_FILLABLE:
        pytest.skip(f"a table of {bound} entries takes too many handshakes to fill here")
    n = eke_target.limits.throttle_failures
    if n < 2:
        pytest.skip("with N = 1 every failure locks: no pool key can stay below the lock")
    other = "addr" if filled == "user" else "user"
    kinds = {"user": "user name", "addr": "address"}

    locked = _new_key(filled, eke_sources)
    failures = _lock(eke_target, locked, eke_sources)
    locked_at = time.monotonic()
    lock = _lock_seconds(eke_target, failures)
    short = _new_key(other, eke_sources)
    for i in range(n - 1):
        _check_not_throttled(_fail_once(eke_target, *short.pair(eke_sources)), f"short {i + 1}")
    _fill(eke_target, filled, bound + 1, eke_sources)
    elapsed = time.monotonic() - locked_at

    # The other table's entry: its N-th failure must throttle it.
    last = _fail_once(eke_target, *short.pair(eke_sources))
    if last is None:
        user, source = short.pair(eke_sources)
        frame, _ = _probe(eke_target, user, bytes(32), source)
        _assert_throttled(
            frame,
            f"EKE1 counted against the {kinds[other]} {short.value!r}: {n - 1} failures, then "
            f"{bound + 1} failures each with a new {kinds[filled]} (the declared table bound "
            f"is {bound}), then one more: N = {n} failures (EKE-THR-9: filling the "
            f"{kinds[filled]} table MUST NOT evict an entry of the {kinds[other]} table)",
            broken="EKE-THR-9",
            control=functools.partial(_plain_failures_throttle, eke_target, eke_sources, other),
        )
    if elapsed > lock - _MARGIN:
        inconclusive(
            f"the fill of {bound + 1} failures took {elapsed:.2f} s, past the {lock} s lock of "
            f"the {kinds[filled]} {locked.value!r}: whether a locked entry survives cannot be "
            "judged (the other table's entry did)"
        )
    user, source = locked.pair(eke_sources)
    frame, _ = _probe(eke_target, user, bytes(32), source)
    if time.monotonic() - locked_at > lock - 0.05:
        inconclusive(f"the probe of the locked {kinds[filled]} came after its {lock} s lock")
    _assert_throttled(
        frame,
        f"EKE1 counted against the {kinds[filled]} {locked.value!r}, locked for {lock} s by "
        f"{failures} failures {elapsed:.2f} s earlier, after {bound + 1} failures each with a "
        f"new {kinds[filled]} (the declared table bound is {bound}; EKE-THR-9: an entry MUST "
        "NOT be evicted while its lock runs)",
        broken="EKE-THR-9",
        control=functools.partial(_plain_failures_throttle, eke_target, eke_sources, filled),
    )
