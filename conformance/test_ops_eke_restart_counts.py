"""sft-eke/1: a restart carries every failure count over exactly once (docs/SPEC.md §5.6).

EKE-THR-8: "Failure counts MUST survive a restart of the server ... a restart is not a way
to reset them." The other cases check that counts do not SHRINK across a restart. A
count can also GROW there, and then an honest user is locked out by a restart: a loader
that merges the rows into what memory holds and runs twice (once at start, once after
the listener a restart handed over is adopted), a stop that counts every pending login
"so that none is lost" while the login's own thread counts it again as it ends
(EKE-THR-5: a pending handshake counts as ONE failure the moment it ends). And the hard
cap (EKE-THR-11) counts CONSECUTIVE failures, whatever restarts come between them: a
server that keeps that streak in memory only (persisting the lock once reached) never
locks a name whose L failures span a restart.

The boundary that shows all three is the hard cap L: a name with L − 1 failures must be
answered EKE2 once its backoff has run out; with L it must stay `throttled`. Three fresh
ghost names (EKE-HS-3: counted like accounts), each failure from a fresh loopback
address, so that no address is locked by the case:

- U1: L − 1 failures before the restart (N − 1 plain failed EKE3s, the rest pending
  handshakes abandoned in parallel, within P);
- U2: N − 1 failures, then L − N handshakes held pending ACROSS the restart (ended by
  the stopping server: counted once — L − 1 — or, where EKE-THR-5's SHOULD is not met,
  not at all);
- U3: N − 1 failures before the restart, L − N + 1 abandoned after it: L in a row.

After the backoff of L − 1 failures (and a second of rounding, EKE-THR-9) U1's and
U2's EKE1 must be answered EKE2; after the backoff of L failures U3's must still be
`throttled`.

Second case: user names and addresses are counted apart (EKE-THR-9) — on disk too. A
user name may be spelled like an address (`127.10.3.7` is a valid user name): a store
keyed by the key alone lets a failure of that user name replace the address's row (and
the reverse), and the restart then forgets the count. An address with N − 1 failures
and a user name with N − 1 failures, each followed by one failure of its look-alike of
the other kind; the restart; one more failure each: the next EKE1 must be throttled.

Runs where the target declares a restart command, throttling, a hard cap reachable
through pending handshakes (L − N + 1 ≤ P) and a backoff cap of at most 5 s (the
embedded reference: N = 3, L = 5, P = 4, cap 4 s).
"""

from __future__ import annotations

import time

import pytest

from conformance.eke_support import PartialHandshake, SourceAddresses, ghost_user
from conformance.plugin import inconclusive
from conformance.target import Target
from conformance.test_eke_restart import needs_restart, restart_until_serving
from conformance.test_eke_throttling import (
    _end,
    _fail_once,
    _hold,
    _lock_seconds,
    _needs_throttling,
    _probe,
    _timeout,
)
from conformance.wire import Closed, ConformanceFailure, ReceivedFrame, TimedOut, deadline_after

# A restart disturbs every case running against the same server at that moment.
pytestmark = pytest.mark.xdist_group("eke-victim")

_FAKE_PW = bytes(32)  # a ghost's key never matches: every handshake is a guess
# EKE-THR-9: a failure time MAY be kept in whole seconds, rounded up.
_ROUNDING = 1.2


def _caps(target: Target) -> tuple[int, int, int]:
    """(N, L, P) when the case can run, else SKIP."""
    limits = target.limits
    n, lock_after, p = limits.throttle_failures, limits.lock_after, limits.pending_logins_per_user
    if lock_after is None or p is None:
        pytest.skip("the target declares no hard cap or no per-user pending cap (L, P)")
    if n < 2 or lock_after <= n:
        pytest.skip(f"needs N >= 2 and L > N (N = {n}, L = {lock_after})")
    if lock_after - n + 1 > p:
        pytest.skip(f"L = {lock_after} is not reachable through P = {p} pending handshakes")
    if limits.throttle_cap > 5:
        pytest.skip(f"waiting out a {limits.throttle_cap:g} s backoff cap is too long here")
    return n, lock_after, p


def _plain_failures(target: Target, sources: SourceAddresses, user: str, count: int) -> None:
    for i in range(count):
        early = _fail_once(target, user, sources.fresh())
        if early is not None:
            raise ConformanceFailure(
                f"failure {i + 1} of {count} of the fresh name {user!r} (N = "
                f"{target.limits.throttle_failures}) was refused: {early.describe()}",
                violates=("EKE-THR-1",),
            )


def _hold_many(
    target: Target, sources: SourceAddresses, user: str, count: int, what: str
) -> list[PartialHandshake]:
    held: list[PartialHandshake] = []
    try:
        for i in range(count):
            held.append(_hold(target, user, _FAKE_PW, sources.fresh(), f"{what} {i + 1}"))
    except BaseException:
        for hs in held:
            hs.close()
        raise
    return held


def _abandon(target: Target, held: list[PartialHandshake]) -> None:
    for hs in held:
        _end(target, hs)


def _await_server_end(target: Target, held: list[PartialHandshake]) -> None:
    """The restart ends the held handshakes (the server closes them); anything else (our
    own deadline) would make them ordinary abandoned guesses: INCONCLUSIVE."""
    try:
        for hs in held:
            deadline = deadline_after(_timeout(target))
            end = hs.raw.recv_frame(deadline)
            if isinstance(end, ReceivedFrame) and end.type == b"EROR":
                end = hs.raw.recv_frame(deadline)
            if isinstance(end, TimedOut) or not isinstance(end, Closed):
                inconclusive(
                    f"a handshake pending across the restart was not ended by the server: "
                    f"{end.describe()}"
                )
    finally:
        for hs in held:
            hs.close()


def _failure(
    context: str, expected: str, actual: str, note: str, violates: tuple[str, ...]
) -> ConformanceFailure:
    text = str(ConformanceFailure.evidence(context, expected, actual, note))
    return ConformanceFailure(text, violates=violates)


def _describe(frame: ReceivedFrame | None) -> str:
    return frame.describe() if frame is not None else "no frame (closed or timed out)"


@pytest.mark.req("EKE-THR-8", "EKE-THR-5", "EKE-THR-11")
def test_a_restart_carries_each_failure_over_once(
    eke_target: Target, eke_sources: SourceAddresses
) -> None:
    _needs_throttling(eke_target, eke_sources)
    needs_restart(eke_target)
    n, lock_after, _ = _caps(eke_target)
    u1, u2, u3 = ghost_user(), ghost_user(), ghost_user()
    # U1: L - 1 failures, all before the restart.
    _plain_failures(eke_target, eke_sources, u1, n - 1)
    _abandon(eke_target, _hold_many(eke_target, eke_sources, u1, lock_after - n, f"{u1!r}"))
    # U3: the first N - 1 of its L failures.
    _plain_failures(eke_target, eke_sources, u3, n - 1)
    # U2: N - 1 failures, then L - N handshakes pending while the server restarts.
    _plain_failures(eke_target, eke_sources, u2, n - 1)
    held = _hold_many(eke_target, eke_sources, u2, lock_after - n, f"{u2!r} pending")
    try:
        restart_until_serving(eke_target, eke_sources)
    except BaseException:
        for hs in held:
            hs.close()
        raise
    _await_server_end(eke_target, held)
    # EKE-THR-5: counted the moment they end; a server may end them after it serves again
    # (a graceful handover lets the old process finish its connections).
    ended = time.monotonic()
    # U3: the rest of its L consecutive failures, after the restart.
    _abandon(
        eke_target, _hold_many(eke_target, eke_sources, u3, lock_after - n + 1, f"{u3!r} after")
    )
    u3_done = time.monotonic()
    below = _lock_seconds(eke_target, lock_after - 1)
    at = _lock_seconds(eke_target, lock_after)
    time.sleep(max(0.0, ended + below + _ROUNDING - time.monotonic()))  # the backoff runs
    for user, story, requirement in (
        (u1, f"{lock_after - 1} failures, all before the restart", "EKE-THR-8"),
        (
            u2,
            f"{n - 1} failures, then {lock_after - n} handshakes pending when the server "
            f"restarted (counted once at most: {lock_after - 1} failures or fewer)",
            "EKE-THR-5",
        ),
    ):
        frame, _ = _probe(eke_target, user, _FAKE_PW, eke_sources.fresh())
        if frame is None or frame.type != b"EKE2":
            raise _failure(
                f"{requirement}: EKE1 of ghost name {user!r}: {story}; then the declared "
                f"restart; the EKE1 came {time.monotonic() - ended:.1f} s after the server "
                f"had ended the pending handshakes (the backoff of {lock_after - 1} failures "
                f"is {below} s, N = {n}, the hard cap L = {lock_after})",
                "EKE2: below the hard cap, and its backoff has run out",
                _describe(frame),
                "the restart counted failures more than once (a reload that adds the stored "
                "counts to memory, a pending login counted by the stop and by its own end), "
                "or the hard lock came before L consecutive failures (EKE-THR-11)",
                violates=(requirement, "EKE-THR-11"),
            )
    time.sleep(max(0.0, u3_done + at + _ROUNDING - time.monotonic()))  # past its backoff
    frame, _ = _probe(eke_target, u3, _FAKE_PW, eke_sources.fresh())
    if frame is None or frame.error_name != "throttled":
        raise _failure(
            f"EKE-THR-11: EKE1 of ghost name {u3!r} after {lock_after} consecutive failures "
            f"(L = {lock_after}): {n - 1} before the declared restart, {lock_after - n + 1} "
            f"after it; {time.monotonic() - u3_done:.1f} s after the last (its backoff: {at} s)",
            "EROR throttled: the hard lock counts consecutive failures whatever restart "
            "comes between them, and does not expire",
            _describe(frame),
            "the consecutive-failure count restarted with the server",
            violates=("EKE-THR-11", "EKE-THR-8"),
        )


@pytest.mark.req("EKE-THR-8", "EKE-THR-9")
def test_names_spelled_as_addresses_keep_their_own_counts(
    eke_target: Target, eke_sources: SourceAddresses
) -> None:
    _needs_throttling(eke_target, eke_sources)
    needs_restart(eke_target)
    n = eke_target.limits.throttle_failures
    if n < 2:
        pytest.skip("with N = 1 there is no count below the lock")
    address, spelled = eke_sources.fresh(), eke_sources.fresh()
    assert address is not None and spelled is not None  # loopback: _needs_throttling
    # The address: N - 1 failures (fresh names), then the user name spelled as it fails.
    for i in range(n - 1):
        if (early := _fail_once(eke_target, ghost_user(), address)) is not None:
            raise ConformanceFailure(
                f"failure {i + 1} of {n - 1} from {address} refused: {early.describe()}",
                violates=("EKE-THR-1",),
            )
    if (early := _fail_once(eke_target, address, eke_sources.fresh())) is not None:
        raise ConformanceFailure(
            f"the first failure of user name {address!r} refused: {early.describe()}",
            violates=("EKE-THR-1",),
        )
    # The user name `spelled`: N - 1 failures (fresh addresses), then its address fails.
    _plain_failures(eke_target, eke_sources, spelled, n - 1)
    if (early := _fail_once(eke_target, ghost_user(), spelled)) is not None:
        raise ConformanceFailure(
            f"the first failure from {spelled} refused: {early.describe()}",
            violates=("EKE-THR-1",),
        )
    restart_until_serving(eke_target, eke_sources)
    for what, user, source, other in (
        (f"address {address}", ghost_user(), address, f"the user name {address!r}"),
        (f"user name {spelled!r}", spelled, eke_sources.fresh(), f"the address {spelled}"),
    ):
        if _fail_once(eke_target, user, source) is not None:
            continue  # throttled already: the count survived, and more (judged elsewhere)
        frame, _ = _probe(
            eke_target, ghost_user() if user != spelled else spelled, _FAKE_PW, source
        )
        if frame is None or frame.error_name != "throttled":
            raise ConformanceFailure.evidence(
                f"EKE-THR-8: EKE1 of the {what}: {n - 1} failures before the declared "
                f"restart, one failure of {other} (the same spelling, the other kind) after "
                f"them, one failure of the {what} after the restart (N = {n})",
                "EROR throttled: N failures of the " + what,
                _describe(frame),
                "the look-alike key of the other kind replaced this one's stored count, and "
                "the restart forgot it (user names and addresses are counted apart, "
                "EKE-THR-9)",
            )
