"""The password store (SQLite, 0600) and the failure throttle (injected clock)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from reference.eke import crypto
from reference.eke.store import PasswordStore, StoreError
from reference.eke.throttle import Throttle, ThrottleConfig

PW = bytes(range(32))


@pytest.mark.req("EKE-PW-2")
def test_store_is_created_0600_and_keeps_no_password(tmp_path: Path) -> None:
    path = tmp_path / "users.db"
    with PasswordStore(path, create=True) as store:
        store.add_user("alice", PW)
        assert store.key_for("alice") == PW
        assert [u.name for u in store.users()] == ["alice"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    for extra in tmp_path.iterdir():  # journal/WAL files inherit the mode
        assert stat.S_IMODE(extra.stat().st_mode) & 0o077 == 0


def test_store_refuses_a_readable_file(tmp_path: Path) -> None:
    path = tmp_path / "users.db"
    PasswordStore(path, create=True).close()
    os.chmod(path, 0o644)
    with pytest.raises(StoreError, match="chmod 600"):
        PasswordStore(path)


def test_missing_store_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no password store"):
        PasswordStore(tmp_path / "none.db")


@pytest.mark.req("EKE-HS-3")
def test_fake_keys_are_stable_across_restarts(tmp_path: Path) -> None:
    path = tmp_path / "users.db"
    with PasswordStore(path, create=True) as store:
        first = store.key_for("mallory")
        assert first == crypto.fake_password_key(store._server_secret, "mallory")
    with PasswordStore(path) as store:
        assert store.key_for("mallory") == first
        assert store.key_for("trudy") != first


def test_users_add_delete_and_counters(tmp_path: Path) -> None:
    with PasswordStore(tmp_path / "u.db", create=True) as store:
        store.add_user("alice", PW, now=100.0)
        with pytest.raises(StoreError, match="exists"):
            store.add_user("alice", PW)
        store.record_login("alice", success=False, now=101.0)
        store.record_login("alice", success=False, now=102.0)
        (rec,) = store.users()
        assert (rec.failures, rec.total_failures, rec.last_failure) == (2, 2, 102.0)
        store.record_login("alice", success=True, now=103.0)
        (rec,) = store.users()
        assert (rec.failures, rec.total_failures, rec.last_login) == (0, 2, 103.0)
        store.record_login("nobody", success=False)  # unknown: nothing stored
        store.delete_user("alice")
        assert store.users() == []
        with pytest.raises(StoreError):
            store.delete_user("alice")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.req("EKE-THR-1")
def test_backoff_starts_after_the_threshold_and_doubles() -> None:
    clock = Clock()
    throttle = Throttle(ThrottleConfig(failures=3, base=1.0, cap=8.0), clock)
    for _ in range(2):
        throttle.failed("alice", "10.0.0.1")
        assert throttle.retry_after("alice", "10.0.0.1") is None
    waits = []
    for _ in range(6):
        throttle.failed("alice", "10.0.0.1")
        waits.append(throttle.retry_after("alice", "10.0.0.1"))
    assert waits == [1.0, 2.0, 4.0, 8.0, 8.0, 8.0]  # doubling, then the cap
    clock.now += 8.0
    assert throttle.retry_after("alice", "10.0.0.1") is None


@pytest.mark.req("EKE-THR-1", "EKE-THR-2")
def test_users_and_addresses_are_counted_apart() -> None:
    clock = Clock()
    throttle = Throttle(ThrottleConfig(failures=2), clock)
    throttle.failed("alice", "10.0.0.1")
    throttle.failed("bob", "10.0.0.1")
    assert throttle.retry_after("carol", "10.0.0.1") is not None  # the address
    assert throttle.retry_after("carol", "10.0.0.2") is None  # others unaffected
    throttle.failed("alice", "10.0.0.3")
    assert throttle.retry_after("alice", "10.0.0.4") is not None  # the user
    assert throttle.failures(user="mallory") == 0


@pytest.mark.req("EKE-THR-4")
def test_success_resets_the_user() -> None:
    clock = Clock()
    throttle = Throttle(ThrottleConfig(failures=2), clock)
    throttle.failed("alice", "10.0.0.1")
    throttle.succeeded("alice", "10.0.0.1")
    assert throttle.failures(user="alice") == 0
    # [EKE-THR-6]: the address keeps the failure (a success forgives only itself, and a
    # pending handshake was never counted [EKE-THR-5]).
    assert throttle.failures(address="10.0.0.1") == 1


def test_throttle_memory_is_bounded() -> None:
    clock = Clock()
    throttle = Throttle(ThrottleConfig(max_entries=10, forget_after=60), clock)
    for i in range(100):
        throttle.failed(f"user{i}", "10.0.0.1")
    assert len(throttle._entries.table("user")) <= 10
    clock.now += 61
    throttle.failed("x", "10.0.0.9")
    assert len(throttle._entries) == 2


def test_throttle_config_is_validated() -> None:
    for bad in ({"failures": 0}, {"base": 0}, {"base": 10, "cap": 5}):
        with pytest.raises(ValueError):
            ThrottleConfig(**bad)


@pytest.mark.req("EKE-HS-3")
def test_a_configured_server_secret_replaces_the_stored_one(tmp_path: Path) -> None:
    secret = bytes(range(32))
    with PasswordStore(tmp_path / "u.db", create=True) as store:
        store.use_server_secret(secret)
        assert store.key_for("mallory") == crypto.fake_password_key(secret, "mallory")
        with pytest.raises(ValueError):
            store.use_server_secret(b"short")
