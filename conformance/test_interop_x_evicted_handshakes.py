"""sft-eke/1: a pending handshake the server evicts still counts as a failure (docs/SPEC.md
§5.6 EKE-THR-5, §6 LIM-9).

"From then until it ends, the handshake is *pending*; it is forgiven only when its `EKE3`
verifies, and ended any other way (a bad `EKE3`, closed, timed out, anything but a valid
`EKE3`) it MUST count as a failure against the user name and the client address the
moment it ends" [EKE-THR-5]. LIM-9 makes the server end some pending handshakes itself:
when every connection slot is taken, a newcomer is admitted by closing the oldest
connection still in its handshake.

The class of bug: an ending the server chose is taken as "not the client's fault" — the
evicted handshake's pending slot is given back (or dropped with the connection) but no
failure is counted. An attacker then spends guesses for free: hold pending handshakes (a
guess is spent at EKE2), and push them out with silent connections before they would time
out. A suite that ends pending handshakes only by the client's own moves or by the
handshake timeout lets it through (found by planting the mistake blind in eke3, a Node
server).

The case fills the server: max_connections − K honest sessions, then K pending handshakes
of a fresh ghost user name (K = min(P, N + 1), each from its own fresh loopback address),
then K silent newcomers, each of which LIM-9 admits by closing the oldest pending
handshake. Once the K handshakes have been closed (by eviction, or by the handshake
timeout — either is an ending that counts), the name has K ≥ N failures: its next `EKE1`
MUST be answered `throttled` within the lock of K failures. A server that keeps room
otherwise (LIM-9 allows it) never evicts: the handshake timeout then ends them, and the
verdict is the same.
"""

from __future__ import annotations

import contextlib
import math
import time

import pytest

from conformance.eke_channel import EkeChannel, connect_raw, password_key_cached
from conformance.eke_support import PartialHandshake, SourceAddresses, ghost_user, start_handshake
from conformance.plugin import inconclusive, unsupported
from conformance.target import Target
from conformance.wire import Closed, ConformanceFailure, RawConnection, ReceivedFrame, TimedOut

pytestmark = pytest.mark.xdist_group("eke-victim")


def _timeout(target: Target) -> float:
    return max(3.0, min(10.0, target.limits.idle_timeout * 2))


def _lock_seconds(target: Target, failures: int) -> float:
    limits = target.limits
    exponent = failures - limits.throttle_failures
    return float(max(1, math.ceil(min(limits.throttle_cap, limits.throttle_base * 2**exponent))))


def _login(target: Target, source: str | None, what: str) -> EkeChannel:
    account = target.accounts[0]
    try:
        return EkeChannel.connect(
            target.host,
            target.port,
            account.user,
            pw=password_key_cached(account.password, account.user),
            timeout=_timeout(target),
            source=source,
            name=what,
        )
    except ConformanceFailure as exc:
        inconclusive(f"{what} could not be established ({exc}): the server could not be filled")
        raise AssertionError("unreachable") from None


def _ended(raw: RawConnection, deadline: float) -> bool:
    """True once the server closed `raw` (frames before the close, an EROR, are read past)."""
    while True:
        event = raw.recv_frame(deadline)
        if isinstance(event, Closed):
            return True
        if isinstance(event, TimedOut):
            return False


@pytest.mark.req("EKE-THR-5")
def test_a_pending_handshake_evicted_for_a_newcomer_counts_as_a_failure(
    eke_target: Target, eke_sources: SourceAddresses
) -> None:
    target = eke_target
    limits = target.limits
    if not target.has("throttling"):
        unsupported("the target does not declare the 'throttling' feature")
    if not eke_sources.loopback:
        pytest.skip("needs a loopback target to vary the client address")
    if not target.accounts:
        pytest.skip("needs an eke account")
    p = limits.pending_logins_per_user
    k = min(p if p is not None else limits.throttle_failures + 1, limits.throttle_failures + 1)
    if k < limits.throttle_failures:
        pytest.skip(f"P = {p} pending handshakes cannot reach N = {limits.throttle_failures}")
    if limits.max_connections - k < 1 or limits.max_connections > 16:
        pytest.skip(f"max_connections = {limits.max_connections}: cannot fill it here")
    lock = _lock_seconds(target, k)
    if lock > 30:
        pytest.skip("the lock after K failures is too long for the default run")
    timeout = _timeout(target)
    ghost = ghost_user()
    sessions: list[EkeChannel] = []
    pending: list[PartialHandshake] = []
    newcomers: list[RawConnection] = []
    try:
        for i in range(limits.max_connections - k):
            sessions.append(_login(target, eke_sources.fresh(), f"honest session {i + 1}"))
        for i in range(k):
            hs = start_handshake(
                target, ghost, bytes(32), source=eke_sources.fresh(), timeout=timeout
            )
            pending.append(hs)
            event = hs.receive_eke2(timeout)
            if hs.eke2 is None:
                inconclusive(
                    f"pending handshake {i + 1} of {k} of the fresh ghost {ghost!r} was not "
                    f"answered EKE2 ({event.describe()}) with the server full of the case's "
                    "own sessions: another client may hold slots"
                )
        for i in range(k):
            newcomers.append(
                connect_raw(
                    target.host,
                    target.port,
                    timeout=timeout,
                    name=f"newcomer {i + 1}",
                    source=eke_sources.fresh(),
                )
            )
        # Every pending handshake ends: evicted now, or at the latest at the handshake
        # timeout (both count). Bounded by the handshake timeout and a margin.
        deadline = time.monotonic() + limits.handshake_timeout + timeout
        for i, hs in enumerate(pending):
            if not _ended(hs.raw, deadline):
                inconclusive(
                    f"pending handshake {i + 1} of {k} was still open after the handshake "
                    "timeout and a margin (LIM-1 is another case's verdict)"
                )
        last_end = time.monotonic()
        # Room for the probe: the case's own connections go (a server that keeps room
        # otherwise than by eviction may still answer `busy` until it has read their end).
        for raw in newcomers:
            raw.close()
        for session in sessions:
            with contextlib.suppress(Exception):
                session.close()
        # The server closes an evicted connection first (the suite sees its FIN) and its
        # own thread counts the failure a moment later (on a loaded machine, later still):
        # an EKE2 answered that soon is asked again, up to N - 1 times. Each re-asked probe
        # is itself a closed pending handshake, one failure: after N - 1 of them a server
        # that never counts evictions still has fewer than N.
        asks_left = limits.throttle_failures - 1
        while True:
            probe = start_handshake(
                target, ghost, bytes(32), source=eke_sources.fresh(), timeout=timeout
            )
            try:
                answer = probe.receive_eke2(timeout)
            finally:
                probe.close()
            elapsed = time.monotonic() - last_end
            busy = isinstance(answer, ReceivedFrame) and answer.error_name == "busy"
            if asks_left > 0 and probe.eke2 is not None and elapsed < min(1.0, lock - 0.8):
                asks_left -= 1
                time.sleep(0.3)  # bounded: the server's thread counts the eviction
                continue
            if not busy or elapsed >= lock - 0.3:
                break
            time.sleep(0.1)  # bounded polling: the server reads the closes first
        if isinstance(answer, ReceivedFrame) and answer.error_name == "throttled":
            return
        if elapsed >= lock - 0.2:
            inconclusive(
                f"the probe was answered {elapsed:.2f} s after the last pending handshake "
                f"ended, about the whole lock of {lock:g} s: too slow a run to tell"
            )
        raise ConformanceFailure(
            f"Expected: EROR throttled for {ghost!r}: {k} of its pending handshakes (each "
            f"past EKE2, a guess spent) were ended by the server — the server full, {k} "
            f"newcomers admitted (LIM-9) — which is {k} failures, N = "
            f"{limits.throttle_failures}, a lock of {lock:g} s\n"
            f"Actual:   {answer.describe()}, {elapsed:.2f} s after the last of them ended\n"
            "EKE-THR-5: a pending handshake ended any way but a valid EKE3 counts as a "
            "failure, also when the server ended it to make room.",
            violates=("EKE-THR-5",),
        )
    finally:
        for raw in newcomers:
            raw.close()
        for hs in pending:
            hs.close()
        for session in sessions:
            with contextlib.suppress(Exception):
                session.close()
