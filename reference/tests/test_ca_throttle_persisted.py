"""The CA's failure counts survive a restart, bounded per kind (as EKE-THR-8, EKE-THR-9).

`LoginThrottle` with `locks` writes its failure counts through to the SQLite file
that holds its hard locks; a new throttle on the same file (a restarted CA) carries on
where the old one stopped: a running block still blocks, the next failure doubles it,
consecutive failures keep counting towards the hard cap (CA-ENR-19).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from reference.pki.ca_server import LoginThrottle, login_locks_path


def _throttle(path: Path, now: list[float], **settings: object) -> LoginThrottle:
    return LoginThrottle(
        after=2,
        base=10.0,
        cap=80.0,
        clock=lambda: now[0],
        wall_clock=lambda: now[0],  # a restart sees the time that passed
        locks=login_locks_path(path),
        **settings,  # type: ignore[arg-type]
    )


def _fail(throttle: LoginThrottle, *keys: str) -> None:
    assert throttle.admit(*keys) == 0
    throttle.failed(*keys)


@pytest.mark.req("CA-ENR-20")
def test_a_restart_keeps_a_running_block_and_the_count(tmp_path: Path) -> None:
    now = [5000.0]
    keys = ("alias:alice", "addr:10.0.0.5")
    first = _throttle(tmp_path, now)
    _fail(first, *keys)
    _fail(first, *keys)
    assert first.retry_after("alias:alice") == 10
    now[0] += 3
    restarted = _throttle(tmp_path, now)
    assert restarted.retry_after("alias:alice") == 7
    assert restarted.retry_after("addr:10.0.0.5") == 7
    assert restarted.admit(*keys) > 0
    now[0] += 10
    _fail(restarted, *keys)  # the third failure: the block doubles, not restarts
    assert _throttle(tmp_path, now).retry_after("alias:alice") == 20


@pytest.mark.req("CA-ENR-19")
def test_restarts_between_failures_do_not_reset_the_hard_cap(tmp_path: Path) -> None:
    now = [5000.0]
    keys = ("alias:bob", "addr:10.0.0.6")
    for _ in range(4):
        now[0] += 1000
        _fail(_throttle(tmp_path, now, lock_after=4), *keys)
    now[0] += 100_000
    assert _throttle(tmp_path, now, lock_after=4).admit(*keys) == 80  # locked
    assert _throttle(tmp_path, now, lock_after=4).unlock("bob")
    assert _throttle(tmp_path, now, lock_after=4).admit("alias:bob", "addr:10.0.0.7") == 0


@pytest.mark.req("CA-ENR-20")
def test_a_success_is_persisted_too(tmp_path: Path) -> None:
    now = [5000.0]
    keys = ("alias:carol", "addr:10.0.0.8")
    first = _throttle(tmp_path, now)
    _fail(first, *keys)
    now[0] += 100
    assert first.admit(*keys) == 0
    first.success(*keys)
    now[0] += 100
    restarted = _throttle(tmp_path, now)
    _fail(restarted, "alias:carol", "addr:10.0.0.9")
    assert restarted.retry_after("alias:carol") == 0  # one failure since the success
    _fail(restarted, "alias:carol", "addr:10.0.0.9")
    assert restarted.retry_after("alias:carol") == 10


@pytest.mark.req("CA-ENR-20")
def test_addresses_cannot_evict_an_alias_nor_a_running_block(tmp_path: Path) -> None:
    now = [5000.0]
    throttle = _throttle(tmp_path, now, max_keys=3)
    _fail(throttle, "alias:dave", "addr:10.1.0.1")
    _fail(throttle, "alias:dave", "addr:10.1.0.1")  # both blocked for 10 s
    for i in range(2, 40):  # a flood of single failures from other addresses
        throttle.failed(f"addr:10.1.0.{i}")
    assert throttle.retry_after("alias:dave") == 10
    assert throttle.retry_after("addr:10.1.0.1") == 10
    restarted = _throttle(tmp_path, now, max_keys=3)
    assert restarted.retry_after("alias:dave") == 10
    assert restarted.retry_after("addr:10.1.0.1") == 10


@pytest.mark.req("CA-ENR-20", "CA-ENR-19")
def test_hard_locked_aliases_leave_room_for_new_counts(tmp_path: Path) -> None:
    """As EKE-THR-9: hard-locked aliases are never evicted and do not count towards the
    bound, so a table holding `max_keys` of them still keeps a new alias's failures
    (counted, each new partial count would be evicted at once and never throttle)."""
    now = [5000.0]
    throttle = _throttle(tmp_path, now, max_keys=3, lock_after=3)
    for i in range(4):  # one more hard lock than the bound
        _fail(throttle, f"alias:locked{i}")
        _fail(throttle, f"alias:locked{i}")
        now[0] += 11  # the backoff the second failure began has run out
        _fail(throttle, f"alias:locked{i}")
    assert all(throttle.retry_after(f"alias:locked{i}") == 80 for i in range(4))
    now[0] += 100
    _fail(throttle, "alias:victim")
    _fail(throttle, "alias:victim")  # two failures: blocked for 10 s
    assert throttle.retry_after("alias:victim") == 10
    restarted = _throttle(tmp_path, now, max_keys=3, lock_after=3)
    _fail(restarted, "alias:other")
    assert restarted.retry_after("alias:victim") == 10
    assert restarted.retry_after("alias:locked0") == 80
