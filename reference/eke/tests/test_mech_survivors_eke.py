"""Survivors of the mechanical mutation run (conformance/selftest/mutation.py, group `eke`)
that the wire cannot show: an in-memory throttle's hard lock (the embedded target runs
with a database), the operator's warning of a full failure table, and the degenerate-Z
refusal behind the element range check.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from reference.eke import crypto
from reference.eke.throttle import Throttle, ThrottleConfig
from reference.errors import AuthenticationFailed


class _Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.req("EKE-THR-11")
@pytest.mark.parametrize("persisted", [False, True], ids=["memory", "database"])
def test_hard_lock_holds_with_or_without_a_database(tmp_path: Path, persisted: bool) -> None:
    # "No database, so nobody can have unlocked it": a `return True` there dropped every
    # hard lock of a memory-only throttle at its next look-up.
    clock = _Clock()
    config = ThrottleConfig(failures=2, base=1.0, cap=4.0, forget_after=60.0, lock_after=3)
    throttle = Throttle(config, clock, path=tmp_path / "throttle.db" if persisted else None)
    try:
        for i in range(config.lock_after):
            throttle.failed("alice", f"10.0.0.{i + 1}")
        assert throttle.locked("alice")
        for later in (0.0, config.cap + 1, config.forget_after * 10):
            clock.now += later
            assert throttle.locked("alice"), f"unlocked {later} s later"
            assert throttle.retry_after("alice", "10.9.9.9") == config.cap
            assert throttle.failures(user="alice") == config.lock_after
        assert throttle.unlock("alice") and not throttle.locked("alice")
    finally:
        throttle.close()


def test_full_failure_table_is_reported_once(caplog: pytest.LogCaptureFixture) -> None:
    # Every entry's lock running and the table over its bound [EKE-THR-9]: the operator
    # is told once (an inverted flag told never; a dropped flag would tell every failure).
    config = ThrottleConfig(failures=1, base=100.0, cap=100.0, max_entries=1)
    throttle = Throttle(config, _Clock())
    users = ("alice", "bob", "carol", "dave")
    with caplog.at_level(logging.WARNING, logger="sft.eke.throttle"):
        for user in users:
            throttle.failed(user, "10.0.0.1")
    warnings = [r for r in caplog.records if "over its bound" in r.getMessage()]
    assert len(warnings) == 1, [r.getMessage() for r in caplog.records]
    assert all(throttle.retry_after(user, "10.0.0.9") for user in users)


@pytest.mark.req("EKE-THR-9", "EKE-THR-11")
def test_hard_locks_do_not_count_towards_the_bound(caplog: pytest.LogCaptureFixture) -> None:
    # A table holding its bound's worth of hard locks must still count a new name to its
    # throttle: counted towards the bound, each new partial count was evicted at the next
    # failure (per-name throttling off for every other name), and nobody was told.
    config = ThrottleConfig(failures=3, base=1.0, cap=4.0, lock_after=3, max_entries=2)
    clock = _Clock()
    throttle = Throttle(config, clock)
    locked = ("alice", "bob", "carol")
    for user in locked:
        for _ in range(config.lock_after):
            throttle.failed(user, "10.0.0.1")
        clock.now += 10.0
    with caplog.at_level(logging.WARNING, logger="sft.eke.throttle"):
        for i in range(config.failures):
            throttle.failed("victim", f"10.0.1.{i}")
            clock.now += 0.1
    assert throttle.failures(user="victim") == config.failures
    assert throttle.retry_after("victim", "10.0.2.1") is not None
    assert all(throttle.locked(user) for user in locked)
    assert not [r for r in caplog.records if "over its bound" in r.getMessage()]


@pytest.mark.req("EKE-KS-2")
@pytest.mark.parametrize("z", [0, 1, crypto.P - 1], ids=["z=0", "z=1", "z=p-1"])
def test_shared_secret_refuses_a_degenerate_z(monkeypatch: pytest.MonkeyPatch, z: int) -> None:
    # Unreachable from a valid exponent (1 < x < q) and a peer element in range, so the
    # group operation is stubbed: the check on Z is the last line of defence (a `p - 1`
    # mistyped `p | 1` there survived every wire case).
    monkeypatch.setattr(crypto, "_modexp", lambda base, exponent: z)
    with pytest.raises(AuthenticationFailed):
        crypto.shared_secret(crypto.new_ephemeral(), crypto.G)


def test_shared_secret_accepts_the_nearest_values(monkeypatch: pytest.MonkeyPatch) -> None:
    for z in (2, crypto.P - 2):
        monkeypatch.setattr(crypto, "_modexp", lambda base, exponent, z=z: z)
        assert crypto.shared_secret(crypto.new_ephemeral(), crypto.G) == z.to_bytes(
            crypto.ELEMENT_LEN, "big"
        )


@pytest.mark.parametrize(
    "fields",
    [
        {"base": 0.0},
        {"base": -1.0},
        {"base": 5.0, "cap": 4.0},
        {"failures": 0},
        {"max_entries": 0},
        {"forget_after": 0.0},
        {"pending_per_user": 0},
        {"pending_per_address": 0},
        {"busy_retry_after": 0},
        {"failures": 5, "lock_after": 4},
    ],
    ids=lambda fields: ",".join(f"{k}={v}" for k, v in fields.items()),
)
def test_throttle_config_refuses_out_of_range(fields: dict[str, float]) -> None:
    # A base of 0 makes every lockout 0 s (then clamped to 1 s whatever the failures).
    with pytest.raises(ValueError):
        ThrottleConfig(**fields)  # type: ignore[arg-type]


def test_throttle_config_accepts_the_boundaries() -> None:
    config = ThrottleConfig(failures=1, base=4.0, cap=4.0, lock_after=1, max_entries=1)
    assert (config.base, config.cap, config.lock_after) == (4.0, 4.0, 1)
