"""EKE-THR-9 / EKE-THR-8: the failure table's eviction order survives a restart.

EKE-THR-9: a table over its bound evicts "the least recently failed first among those
whose lock is not running"; EKE-THR-8: a restart is not a way to reset the counts.
test_ops_eke_table_order.py and test_eke_tables.py judge the order on a server that has
been running; a server reloads its table at start, and a loader that reads the rows
newest first ("the recent ones matter", `ORDER BY last DESC`, a reversed scan) or in
an order of its own (by name, by row id of the first failure) into an
insertion-ordered table evicts, after a restart, the most recently failed entries first.

The case, with the declared bound E (`[limits] throttle_table_entries`) and a restart
command: E - 1 user names fail once each (fresh addresses: no address locks), then, more
than a second later (EKE-THR-9 lets failures less than a second apart be simultaneous),
a witness user name fails N - 1 times: it is the most recently failed entry of a full
table. Restart. One new user name fails once: the table is over its bound by one, and
the witness — the most recent entry, and not locked — must not be the one evicted. Its
N-th failure must then throttle its next EKE1.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from conformance.eke_support import SourceAddresses, ghost_user
from conformance.target import Target
from conformance.test_eke_restart import needs_restart, restart_until_serving
from conformance.test_eke_throttling import _fail_once, _needs_throttling, _probe
from conformance.wire import ConformanceFailure

__all__: list[str] = []

# A restart disturbs every case running against the same server at that moment: these
# run in the group of the other restarting and throttling cases.
pytestmark = pytest.mark.xdist_group("eke-victim")

_FILL_THREADS = 4
_MAX_FILLABLE = 64  # a bound beyond this takes too many handshakes in the default run
_APART = 1.1  # seconds between the fill and the witness: never simultaneous (EKE-THR-9)


@pytest.mark.req("EKE-THR-9", "EKE-THR-8")
def test_a_restart_keeps_the_least_recently_failed_first(
    eke_target: Target, eke_sources: SourceAddresses
) -> None:
    _needs_throttling(eke_target, eke_sources)
    needs_restart(eke_target)
    bound = eke_target.limits.throttle_table_entries
    if bound is None:
        pytest.skip("the target declares no failure-table bound ([limits] throttle_table_entries)")
    if bound > _MAX_FILLABLE:
        pytest.skip(f"a table of {bound} entries takes too many handshakes to fill here")
    n = eke_target.limits.throttle_failures
    if n < 2:
        pytest.skip("with N = 1 every failure locks: the witness cannot stay below the lock")

    def fail(user: str) -> None:
        throttled = _fail_once(eke_target, user, eke_sources.fresh())
        if throttled is not None:
            raise ConformanceFailure(
                f"a failure of {user!r} from a fresh address was refused: {throttled.describe()}"
            )

    fillers = [ghost_user() for _ in range(bound - 1)]
    with ThreadPoolExecutor(max_workers=_FILL_THREADS) as pool:
        list(pool.map(fail, fillers))
    time.sleep(_APART)  # the stimulus: the witness fails strictly later than the fill
    witness = ghost_user()
    for _ in range(n - 1):
        fail(witness)
    restart_until_serving(eke_target, eke_sources)
    fail(ghost_user())  # one entry more than the bound: one entry is evicted
    fail(witness)  # its N-th failure, if its count survived
    frame, _ = _probe(eke_target, witness, bytes(32), eke_sources.fresh())
    if frame is None or frame.error_name != "throttled":
        raise ConformanceFailure.evidence(
            f"EKE-THR-9: {bound - 1} user names failed once each, then (>{_APART:g} s later) "
            f"{witness!r} failed {n - 1} times: the most recently failed entry of a table "
            f"of {bound} (declared bound); then a restart of the server, one new name's "
            f"failure (one entry over the bound), and {witness!r}'s N-th failure (N = {n})",
            f"EROR throttled for {witness!r}: the entry evicted is the least recently "
            "failed, never the most recent one, after a restart as before it",
            frame.describe() if frame is not None else "no frame",
            note="after the restart the table was reloaded in another order (newest "
            "first?) and evicted its most recently failed entry",
        )
