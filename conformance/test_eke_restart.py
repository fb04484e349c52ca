"""EKE-THR-8: failure counts survive a restart of the server — below the lock too.

test_eke_throttling.py's restart case locks a name, restarts, and checks that the lock
holds. An implementation that writes only LOCKS to disk (a "lockout list"), or that
persists the user table and not the address table, passes it. Here every count stops
one short of the throttle: N - 1 failures of one user name (from fresh addresses) and
N - 1 failures from one address (each with a fresh name), then the declared restart
(`[eke] restart_cmd`), then one failure more of each: the N-th failure must lock both,
as it would have without the restart. Without a restart command the case SKIPs.
"""

from __future__ import annotations

import functools
import shlex
import socket
import subprocess
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

_RESTART_TIMEOUT = 60.0
_ACCEPT_WITHIN = 30.0


def restart_and_wait(command: str, host: str, port: int) -> None:
    """Runs a declared restart command (no shell), then waits, bounded, until the server
    accepts connections again at host:port."""
    done = subprocess.run(
        shlex.split(command), capture_output=True, timeout=_RESTART_TIMEOUT, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(
            f"the restart command {command!r} exited {done.returncode}: {done.stderr[-500:]!r}"
        )
    deadline = time.monotonic() + _ACCEPT_WITHIN
    while True:
        try:
            socket.create_connection((host, port), timeout=2).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"{host}:{port} did not accept connections {_ACCEPT_WITHIN:g} s after "
                    "its restart"
                ) from None
            time.sleep(0.1)  # polling a port: the restart is the target's own process


def needs_restart(target: Target) -> None:
    if not target.restart_cmd:
        pytest.skip(
            "the target declares no restart command ([eke] restart_cmd): survival across "
            "a restart cannot be observed"
        )


@pytest.mark.req("EKE-THR-8")
def test_counts_below_the_lock_survive_a_restart(
    eke_target: Target, eke_sources: SourceAddresses
) -> None:
    _needs_throttling(eke_target, eke_sources)
    needs_restart(eke_target)
    n = eke_target.limits.throttle_failures
    if n < 2:
        pytest.skip("with N = 1 there is no count below the lock")
    user, address = ghost_user(), eke_sources.fresh()
    for i in range(n - 1):
        for name, source in ((user, eke_sources.fresh()), (ghost_user(), address)):
            early = _fail_once(eke_target, name, source)
            if early is not None:
                raise ConformanceFailure(
                    f"throttled after {i} failures of {n - 1}: {early.describe()}",
                    violates=("EKE-THR-1",),
                )
    assert eke_target.restart_cmd is not None
    restart_and_wait(eke_target.restart_cmd, eke_target.host, eke_target.port)
    # The N-th failure of each, after the restart; then the next EKE1 must be throttled.
    for name, source in ((user, eke_sources.fresh()), (ghost_user(), address)):
        if _fail_once(eke_target, name, source) is not None:
            return  # throttled already: the count survived and more
    for what, counter, name, source in (
        (f"user name {user!r}", "user", user, eke_sources.fresh()),
        (f"address {address}", "addr", ghost_user(), address),
    ):
        frame, _ = _probe(eke_target, name, bytes(32), source)
        _assert_throttled(
            frame,
            f"EKE1 for the {what}: {n - 1} failures before a restart of the server and one "
            f"after it, N = {n} (EKE-THR-8: counts below the lock survive the restart too)",
            broken="EKE-THR-8",
            control=functools.partial(_plain_failures_throttle, eke_target, eke_sources, counter),
        )
