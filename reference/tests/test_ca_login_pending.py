"""The CA's login throttle keeps pending attempts apart from failures [CA-ENR-14]."""

from __future__ import annotations

from pathlib import Path

import pytest

from reference.pki.ca_server import BUSY, LoginThrottle


def _throttle(after: int = 3, cap: int = 4) -> tuple[LoginThrottle, list[float]]:
    now = [1000.0]
    return LoginThrottle(after=after, base=1.0, cap=8.0, clock=lambda: now[0], pending_cap=cap), now


@pytest.mark.req("CA-ENR-14")
def test_an_honest_burst_is_busy_never_throttled() -> None:
    throttle, _ = _throttle(after=3)
    keys = ("alias:alice", "addr:10.0.0.1")
    assert [throttle.admit(*keys) for _ in range(4)] == [0, 0, 0, BUSY]
    for _ in range(3):
        throttle.success(*keys)
    assert throttle.retry_after(*keys) == 0
    assert throttle.admit(*keys) == 0  # every slot was given back


@pytest.mark.req("CA-ENR-14")
def test_concurrent_guesses_get_no_more_verifications_than_sequential() -> None:
    throttle, _ = _throttle(after=3, cap=10)
    keys = ("alias:ghost", "addr:10.0.0.2")
    admitted = [throttle.admit(*keys) for _ in range(6)]
    assert admitted.count(0) == 3 and admitted.count(BUSY) == 3
    for _ in range(3):
        throttle.failed(*keys)
    assert throttle.admit(*keys) > 0  # three failures: throttled (429), not busy


@pytest.mark.req("CA-ENR-14")
def test_the_pending_cap_is_per_key() -> None:
    throttle, _ = _throttle(after=10, cap=2)
    assert throttle.admit("alias:a", "addr:1") == 0
    assert throttle.admit("alias:b", "addr:1") == 0
    assert throttle.admit("alias:c", "addr:1") == BUSY  # the address's cap
    assert throttle.admit("alias:c", "addr:2") == 0


@pytest.mark.req("CA-ENR-14")
def test_a_busy_answer_counts_nothing() -> None:
    throttle, _ = _throttle(after=2, cap=1)
    assert throttle.admit("alias:x", "addr:1") == 0
    for _ in range(5):
        assert throttle.admit("alias:y", "addr:1") == BUSY
    throttle.success("alias:x", "addr:1")
    assert throttle.admit("alias:y", "addr:1") == 0


@pytest.mark.req("CA-ENR-14")
def test_failed_counts_only_what_was_admitted() -> None:
    throttle, _ = _throttle(after=1)
    throttle.failed("alias:never-admitted")
    assert throttle.retry_after("alias:never-admitted") == 0


@pytest.mark.req("CA-ENR-7")
def test_after_the_lock_one_attempt_at_a_time() -> None:
    throttle, now = _throttle(after=2, cap=4)
    keys = ("alias:ghost", "addr:10.0.0.3")
    for _ in range(2):
        assert throttle.admit(*keys) == 0
        throttle.failed(*keys)
    assert throttle.admit(*keys) > 0  # locked
    now[0] += 60
    assert throttle.admit(*keys) == 0  # the lock ran out: answered again (CA-ENR-7)
    assert throttle.admit(*keys) == BUSY  # its outcome decides the next one
    throttle.failed(*keys)
    assert throttle.admit(*keys) > 0  # locked again, longer


@pytest.mark.req("CA-ENR-19")
def test_an_alias_is_locked_after_consecutive_failures_until_unlocked(tmp_path: Path) -> None:
    now = [1000.0]
    locks = tmp_path / "login-locks.sqlite"

    def make() -> LoginThrottle:
        return LoginThrottle(
            after=2, base=1.0, cap=8.0, clock=lambda: now[0], lock_after=3, locks=locks
        )

    throttle = make()
    keys = ("alias:ghost", "addr:10.0.0.4")
    for _ in range(3):
        now[0] += 60  # each backoff ran out
        assert throttle.admit(*keys) == 0
        throttle.failed(*keys)
    now[0] += 10_000
    assert throttle.admit("alias:ghost", "addr:10.9.9.9") == 8  # the cap, for ever
    assert make().admit("alias:ghost", "addr:10.9.9.8") == 8  # a restart keeps it
    assert make().unlock("ghost")  # `sft ca user unlock`, another process
    assert throttle.admit("alias:ghost", "addr:10.9.9.7") == 0  # the running CA sees it
    assert not make().unlock("ghost")


@pytest.mark.req("CA-ENR-19")
def test_a_success_before_the_hard_cap_resets_it() -> None:
    now = [1000.0]
    throttle = LoginThrottle(after=2, base=1.0, cap=8.0, clock=lambda: now[0], lock_after=3)
    keys = ("alias:alice", "addr:10.0.0.5")
    for _ in range(2):
        now[0] += 60
        assert throttle.admit(*keys) == 0
        throttle.failed(*keys)
    now[0] += 60
    assert throttle.admit(*keys) == 0
    throttle.success(*keys)
    now[0] += 60
    assert throttle.admit("alias:alice", "addr:10.0.0.6") == 0
    throttle.failed("alias:alice", "addr:10.0.0.6")
    assert throttle.retry_after("alias:alice") == 0  # one failure since the success
