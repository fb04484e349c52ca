"""sft-eke/1: guesses pending when the server restarts are counted (SPEC §5.6 EKE-THR-5,
a SHOULD; EKE-THR-8).

"A pending handshake that the server itself abandons because it stops or restarts SHOULD
be counted too (the reference counts it before it re-executes)". A server whose failure
path says "we are stopping: not the user's doing" — or that counts only in a handler the
shutdown never reaches — forgets every guess whose EKE2 went out before the restart: the
client has C2 and checks its guess offline all the same. Only a recommendation (a peer
cannot choose when a restart happens), so an unmet one is NON-STRICT, FAIL with --strict.

A fresh ghost user name (EKE-HS-3: counted like an account) fails N − 1 handshakes, then
holds k pending (EKE2 received, each from its own fresh address; k ≤ P, enough for the
lock they bring to outlast a restart); the declared restart runs; then the name's `EKE1`
MUST be refused `throttled`: N − 1 + k failures. If the restart took longer than the lock
those failures earn, the case cannot tell and says so (inconclusive).
"""

from __future__ import annotations

import math
import time

import pytest

from conformance.eke_support import (
    PartialHandshake,
    SourceAddresses,
    fail_handshake,
    ghost_user,
    start_handshake,
)
from conformance.plugin import inconclusive
from conformance.target import Target
from conformance.test_eke_restart import needs_restart, restart_and_wait
from conformance.wire import Closed, ConformanceFailure, ReceivedFrame, deadline_after

# A restart disturbs every case running against the same server at that moment.
pytestmark = pytest.mark.xdist_group("eke-victim")

_FAKE_PW = bytes(32)  # a ghost user's key never matches: every handshake is a guess


def _timeout(target: Target) -> float:
    return max(3.0, min(10.0, target.limits.handshake_timeout * 2))


def _lock(target: Target, failures: int) -> float:
    limits = target.limits
    if failures < limits.throttle_failures:
        return 0.0
    extra = failures - limits.throttle_failures
    return max(1, math.ceil(min(limits.throttle_cap, limits.throttle_base * 2.0**extra)))


@pytest.mark.req("EKE-THR-5", level="SHOULD")
def test_guesses_pending_at_a_restart_are_counted(
    eke_target: Target, eke_sources: SourceAddresses
) -> None:
    needs_restart(eke_target)
    if not eke_sources.loopback:
        pytest.skip("needs fresh loopback source addresses (the target is not on 127.x)")
    limits = eke_target.limits
    n = limits.throttle_failures
    p = limits.pending_logins_per_user or 4
    # k pending guesses: as many as the lock needs to reach the cap, within P.
    k = 1
    while k < p and _lock(eke_target, n - 1 + k) < limits.throttle_cap:
        k += 1
    lock = _lock(eke_target, n - 1 + k)
    timeout = _timeout(eke_target)
    user = ghost_user()
    for i in range(n - 1):
        refused = fail_handshake(eke_target, user, eke_sources.fresh(), timeout=timeout)
        if refused is not None:
            raise ConformanceFailure(
                f"EKE-THR-1: failure {i + 1} of fresh ghost user {user!r} (N = {n}) was "
                f"refused before EKE2: {refused.describe()}"
            )
    pending: list[PartialHandshake] = []
    try:
        for _ in range(k):
            hs = start_handshake(
                eke_target, user, _FAKE_PW, source=eke_sources.fresh(), timeout=timeout
            )
            pending.append(hs)
            event = hs.receive_eke2(timeout)
            if hs.eke2 is None:
                raise ConformanceFailure(
                    f"EKE-THR-7: {len(pending)} pending handshake(s) of {user!r} (P = {p}, "
                    f"{n - 1} failures < N = {n}) not answered EKE2: {event.describe()}"
                )
        started = time.monotonic()
        assert eke_target.restart_cmd is not None
        restart_and_wait(eke_target.restart_cmd, eke_target.host, eke_target.port)
        # A kept listening socket accepts (its backlog) before the old process has even
        # seen the restart: the pending handshakes stay open until the SERVER ends them
        # (closing them first would make them ordinary abandoned guesses, counted anyway).
        # (An EROR before the close is the stopping server's choice; `timeout` would say
        # the handshake deadline, not the restart, ended it.)
        for hs in pending:
            deadline = deadline_after(timeout)
            end = hs.raw.recv_frame(deadline)
            if isinstance(end, ReceivedFrame) and end.error_name not in (None, "timeout"):
                end = hs.raw.recv_frame(deadline)
            if not isinstance(end, Closed):
                inconclusive(
                    f"a pending handshake was not ended by the restart alone but by "
                    f"{end.describe()}: what the restart counts cannot be told apart"
                )
    finally:
        for hs in pending:
            hs.close()
    probe = start_handshake(eke_target, user, _FAKE_PW, source=eke_sources.fresh(), timeout=timeout)
    try:
        event = probe.raw.recv_frame(deadline_after(timeout))
    finally:
        probe.close()
    took = time.monotonic() - started
    if isinstance(event, ReceivedFrame) and event.error_name == "throttled":
        return
    if took >= lock - 0.3:
        inconclusive(
            f"the restart and the probe took {took:.1f} s, not clearly within the {lock:g} s "
            f"lock that {n - 1 + k} failures earn: the answer ({event.describe()}) says nothing"
        )
    raise ConformanceFailure.evidence(
        f"EKE-THR-5 (SHOULD): ghost user {user!r} failed {n - 1} handshakes, then held {k} "
        f"pending (EKE2 received) across the declared restart; its EKE1 {took:.1f} s after "
        "the restart began",
        f"EROR throttled: {n - 1 + k} failures (N = {n}), a {lock:g} s lock at least",
        event.describe(),
        "the guesses pending when the server stopped were not counted",
    )
