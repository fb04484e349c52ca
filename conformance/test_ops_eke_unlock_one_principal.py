"""sft-eke/1: an administrator's unlock forgives the user name given, and no address
(docs/SPEC.md §5.6: EKE-THR-11, EKE-THR-8, EKE-THR-9).

EKE-THR-11: a hard-locked user name is refused "until an administrator unlocks it" — the
unlock is of a user name. User names and addresses are counted apart (EKE-THR-9), and an
address's count survives a restart (EKE-THR-8). test_eke_unlock_exact_name.py checks that an
unlock reaches no other user NAME; the unlock can also reach an ADDRESS:
- a user name may be spelled like an address (`127.10.3.7` is a valid user name): a failure
  database whose delete matches the key alone, not its kind, deletes that address's row with
  the name's — the running server still holds the count in memory, and the next restart
  forgets it;
- an unlock that "forgives the lock-out" also clears the addresses that failed against the
  name (a table of (user, address) pairs, or a delete of every row the name's failures
  touched): the address that made the guesses is washed clean by the administrator.
The case hard-locks a fresh user name U spelled as a fresh loopback address A, its first
failure made from a second fresh address B. B and A then fail N − 1 times in all each (with
fresh ghost names). The declared unlock command unlocks U; one more failure from B must lock
B (N failures: the next EKE1 from B throttled, EKE-THR-11 judged while the server serves).
Then the declared restart; one more failure from A must lock A (its N − 1 failures survived
the unlock and the restart: EKE-THR-8).

Runs where the target declares an unlock command, a restart command, throttling, a hard cap
reachable through pending handshakes (L − N + 1 ≤ P) and N ≥ 2, on loopback (the embedded
reference: N = 3, L = 5, P = 4).
"""

from __future__ import annotations

import pytest

from conformance.eke_support import PartialHandshake, SourceAddresses, ghost_user
from conformance.plugin import inconclusive
from conformance.target import Target
from conformance.test_eke_restart import needs_restart, restart_until_serving
from conformance.test_eke_throttling import _end, _fail_once, _hold, _needs_throttling, _probe
from conformance.test_eke_unlock_while_serving import _describe, _unlock
from conformance.wire import ConformanceFailure

__all__: list[str] = []

# A restart disturbs every case running against the same server at that moment.
pytestmark = [pytest.mark.profile("eke"), pytest.mark.xdist_group("eke-victim")]

_FAKE_PW = bytes(32)  # a ghost's key never matches: every handshake is a guess


def _caps(target: Target) -> tuple[int, int]:
    """(N, L) when the case can run, else SKIP."""
    limits = target.limits
    n, lock_after, p = limits.throttle_failures, limits.lock_after, limits.pending_logins_per_user
    if lock_after is None or p is None:
        pytest.skip("the target declares no hard cap or no per-user pending cap (L, P)")
    if n < 2:
        pytest.skip("with N = 1 there is no count below the lock")
    if lock_after - n + 1 > p:
        pytest.skip(f"L = {lock_after} is not reachable through P = {p} pending handshakes")
    return n, lock_after


def _failures(target: Target, source: str, count: int, what: str) -> None:
    """`count` failed handshakes from `source`, each with a fresh ghost name."""
    for i in range(count):
        early = _fail_once(target, ghost_user(), source)
        if early is not None:
            inconclusive(f"failure {i + 1} of {count} {what} was refused: {early.describe()}")


def _hard_lock(target: Target, sources: SourceAddresses, user: str, first: str) -> None:
    """L failures of `user`: the first from `first`, N - 2 more plain ones and the rest as
    pending handshakes abandoned, each from a fresh address."""
    n, lock_after = _caps(target)
    if (early := _fail_once(target, user, first)) is not None:
        inconclusive(f"the first failure of {user!r} was refused: {early.describe()}")
    for i in range(n - 2):
        if (early := _fail_once(target, user, sources.fresh())) is not None:
            inconclusive(f"{user!r} throttled after {i + 1} failures of {n}: {early.describe()}")
    held: list[PartialHandshake] = []
    try:
        for i in range(lock_after - (n - 1)):
            held.append(_hold(target, user, _FAKE_PW, sources.fresh(), f"guess {n + i}"))
    except ConformanceFailure as exc:
        inconclusive(f"cannot judge the hard cap: {lock_after} failures could not be made\n{exc}")
    finally:
        for hs in held:
            _end(target, hs)


def _failure(
    context: str, expected: str, actual: str, *, note: str, violates: tuple[str, ...]
) -> ConformanceFailure:
    exc = ConformanceFailure.evidence(context, expected, actual, note)
    exc.violates = violates
    return exc


def _locked_after_one_more(target: Target, source: str) -> tuple[bool, str]:
    """One more failure from `source`, then an EKE1 of a fresh ghost name from it: (refused
    throttled, what answered)."""
    early = _fail_once(target, ghost_user(), source)
    if early is not None:
        return early.error_name == "throttled", f"the failure itself: {early.describe()}"
    frame, _ = _probe(target, ghost_user(), _FAKE_PW, source)
    return frame is not None and frame.error_name == "throttled", _describe(frame)


@pytest.mark.req("EKE-THR-11", "EKE-THR-8", "EKE-THR-9")
def test_an_unlock_forgives_the_user_name_and_no_address(
    eke_target: Target, eke_sources: SourceAddresses
) -> None:
    template = eke_target.eke_unlock_cmd
    if not template:
        pytest.skip("the target declares no unlock command ([eke] unlock_cmd)")
    _needs_throttling(eke_target, eke_sources)
    needs_restart(eke_target)
    n, lock_after = _caps(eke_target)
    address, guesser = eke_sources.fresh(), eke_sources.fresh()
    assert address is not None and guesser is not None  # loopback: _needs_throttling
    user = address  # a valid user name (EKE-PW-1), spelled as the address
    _hard_lock(eke_target, eke_sources, user, guesser)
    locked, _ = _probe(eke_target, user, _FAKE_PW, eke_sources.fresh())
    if locked is None or locked.error_name != "throttled":
        inconclusive(
            f"{user!r} is not refused after {lock_after} failures ({_describe(locked)}): "
            "test_eke_throttling.py judges the hard lock"
        )
    _failures(eke_target, guesser, n - 2, f"from {guesser}")
    _failures(eke_target, address, n - 1, f"from {address}")
    status, said = _unlock(template, user)
    if status is None:
        raise ConformanceFailure.evidence(
            f"EKE-THR-11: {user!r} is hard-locked; the declared unlock command runs while the "
            "server serves",
            "the command completes (exit 0)",
            said,
        )
    if status != 0:
        inconclusive(
            f"the declared unlock command refused the name {user!r}, which has no account "
            f"(the SPEC does not say unknown names can be unlocked): {said}"
        )
    story = (
        f"the user name {user!r} was hard-locked ({lock_after} failures, its first from "
        f"{guesser}); {guesser} made {n - 1} failures in all, {address} (the address "
        f"spelled as the name) {n - 1} with fresh ghost names; the declared command "
        f"unlocked {user!r} ({said})"
    )
    throttled, answer = _locked_after_one_more(eke_target, guesser)
    if not throttled:
        raise _failure(
            f"EKE-THR-11: {story}; then one more failure from {guesser} (its N-th, N = {n}) "
            "and an EKE1 of a fresh ghost name from it",
            "EROR throttled: the unlock forgives the user name given, not the addresses its "
            "failures came from (an address's count is not the administrator's to wash)",
            answer,
            note="the unlock cleared the count of an address that failed against the name",
            violates=("EKE-THR-11",),
        )
    restart_until_serving(eke_target, eke_sources)
    throttled, answer = _locked_after_one_more(eke_target, address)
    if not throttled:
        raise _failure(
            f"EKE-THR-8: {story}; then the declared restart; then one more failure from "
            f"{address} (its N-th, N = {n}) and an EKE1 of a fresh ghost name from it",
            "EROR throttled: the address's N - 1 failures survived the unlock of a user name "
            "and the restart (user names and addresses are counted apart, EKE-THR-9)",
            answer,
            note="the unlock deleted the address's stored count with the user name's (a "
            "delete by key without its kind), and the restart lost it",
            violates=("EKE-THR-8", "EKE-THR-9"),
        )
