"""The throttle's pending caps, persistence, tables, IPv6 prefixes and hard lock
[EKE-THR-5, EKE-THR-7..11]: pure unit tests with an injected clock."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from reference.eke.client import ClientConfig, EkeClient, ServerBusy
from reference.eke.handshake import encode_error
from reference.eke.throttle import Throttle, ThrottleConfig, address_key, throttle_path_for
from reference.errors import ErrorCode


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.req("EKE-THR-7", "EKE-THR-5")
def test_pending_caps_per_user_and_per_address() -> None:
    throttle = Throttle(ThrottleConfig(pending_per_user=2, pending_per_address=3), Clock())
    assert throttle.begin("alice", "10.0.0.1")
    assert throttle.begin("alice", "10.0.0.2")
    assert not throttle.begin("alice", "10.0.0.3")  # the user's cap
    assert throttle.begin("bob", "10.0.0.1")
    assert throttle.begin("carol", "10.0.0.1")
    assert throttle.pending(address="10.0.0.1") == 3
    assert not throttle.begin("dave", "10.0.0.1")  # the address's cap
    # Pending is not failure: nothing is throttled, nothing counted.
    assert throttle.retry_after("alice", "10.0.0.1") is None
    assert throttle.failures(user="alice") == 0
    throttle.end("alice", "10.0.0.1")
    assert throttle.begin("alice", "10.0.0.3")


@pytest.mark.req("EKE-THR-5", "EKE-THR-6")
def test_success_forgives_the_user_not_the_address() -> None:
    throttle = Throttle(ThrottleConfig(failures=2), Clock())
    throttle.failed("mallory", "10.0.0.1")
    throttle.failed("alice", "10.0.0.1")
    throttle.succeeded("alice", "10.0.0.1")
    assert throttle.failures(user="alice") == 0
    assert throttle.failures(address="10.0.0.1") == 2
    assert throttle.retry_after("bob", "10.0.0.1") is not None


@pytest.mark.req("EKE-THR-8")
def test_failures_survive_a_restart(tmp_path: Path) -> None:
    clock = Clock()
    path = tmp_path / "users.db.throttle"
    first = Throttle(ThrottleConfig(failures=2), clock, path=path)
    for _ in range(2):
        first.failed("alice", "10.0.0.1")
    first.succeeded("bob", "10.0.0.2")
    first.close()
    second = Throttle(ThrottleConfig(failures=2), clock, path=path)
    assert second.failures(user="alice") == 2
    assert second.failures(address="10.0.0.1") == 2
    assert second.retry_after("alice", "10.0.0.9") is not None
    second.succeeded("alice", "10.0.0.1")
    second.close()
    third = Throttle(ThrottleConfig(failures=2), clock, path=path)
    assert third.failures(user="alice") == 0  # the success was persisted too
    third.close()
    assert throttle_path_for(tmp_path / "users.db") == path


@pytest.mark.req("EKE-THR-9")
def test_address_churn_never_evicts_a_user() -> None:
    clock = Clock()
    throttle = Throttle(ThrottleConfig(failures=3, max_entries=8, forget_after=600), clock)
    throttle.failed("alice", "10.0.0.1")
    throttle.failed("alice", "10.0.0.1")
    for i in range(100):  # one guess each from many addresses, against other names
        clock.now += 0.01
        throttle.failed(f"ghost{i % 4}", f"10.1.{i // 250}.{i % 250}")
    assert throttle.failures(user="alice") == 2


@pytest.mark.req("EKE-THR-9")
def test_only_expired_locks_are_evicted() -> None:
    clock = Clock()
    throttle = Throttle(ThrottleConfig(failures=1, base=100, cap=100, max_entries=2), clock)
    throttle.failed("alice", "10.0.0.1")  # alice locked for 100 s
    clock.now += 1
    for name in ("bob", "carol", "dave"):
        throttle.failed(name, "10.0.0.2")
    assert throttle.retry_after("alice", "10.0.0.9") is not None
    clock.now += 200  # every lock ran out: now the table may shrink to its bound
    throttle.failed("erin", "10.0.0.3")
    assert len(throttle._entries.table("user")) <= 2


@pytest.mark.req("EKE-THR-10")
@pytest.mark.parametrize(
    ("one", "other", "same"),
    [
        ("2001:db8:1:2::1", "2001:db8:1:2:ffff:ffff:ffff:ffff", True),
        ("2001:db8:1:2::1", "2001:db8:1:3::1", False),
        ("::ffff:10.0.0.1", "10.0.0.1", True),
        ("10.0.0.1", "10.0.0.2", False),
        ("fe80::1%eth0", "fe80::2", True),
    ],
)
def test_ipv6_is_counted_per_64(one: str, other: str, same: bool) -> None:
    assert (address_key(one) == address_key(other)) is same
    throttle = Throttle(ThrottleConfig(failures=1), Clock())
    throttle.failed("x", one)
    assert (throttle.retry_after("y", other) is not None) is same


@pytest.mark.req("EKE-THR-11")
def test_hard_lock_until_unlocked(tmp_path: Path) -> None:
    clock = Clock()
    config = ThrottleConfig(failures=2, base=1, cap=4, lock_after=6, forget_after=60)
    path = tmp_path / "t.throttle"
    throttle = Throttle(config, clock, path=path)
    for _ in range(6):
        clock.now += 10  # each lock runs out before the next failure
        throttle.failed("alice", f"10.0.0.{clock.now % 200:.0f}")
    assert throttle.locked("alice")
    clock.now += 10_000  # neither the backoff nor forget_after ends it
    assert throttle.retry_after("alice", "10.9.9.9") == 4.0
    # An administrator unlocks it from another process (the CLI) while it serves.
    admin = Throttle(config, clock, path=path)
    assert admin.unlock("alice")
    admin.close()
    assert throttle.retry_after("alice", "10.9.9.9") is None
    assert not throttle.locked("alice")
    throttle.close()


@pytest.mark.req("EKE-THR-11")
def test_success_before_the_hard_cap_resets_it() -> None:
    clock = Clock()
    throttle = Throttle(ThrottleConfig(failures=2, lock_after=3), clock)
    for _ in range(2):
        throttle.failed("alice", "10.0.0.1")
    throttle.succeeded("alice", "10.0.0.1")
    for _ in range(2):
        throttle.failed("alice", "10.0.0.1")
    assert not throttle.locked("alice")


def test_new_settings_are_validated() -> None:
    for bad in (
        {"pending_per_user": 0},
        {"pending_per_address": 0},
        {"busy_retry_after": 0},
        {"lock_after": 2, "failures": 5},
    ):
        with pytest.raises(ValueError):
            ThrottleConfig(**bad)


@pytest.mark.req("EKE-THR-7")
def test_the_client_retries_busy_a_bounded_number_of_times(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A server that always answers `busy` (retry_after 2): the client tries 1 + N times,
    waits about retry_after between tries (jittered), then says it gave up."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(10)
    port = listener.getsockname()[1]
    accepted: list[int] = []

    def serve() -> None:
        with contextlib.suppress(OSError):
            for _ in range(4):  # 1 + busy_retries connections are expected
                conn, _ = listener.accept()
                accepted.append(1)
                with conn:
                    conn.recv(65536)  # the EKE1
                    conn.sendall(encode_error(ErrorCode.BUSY, "busy", 2))

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    waits: list[float] = []
    monkeypatch.setattr("reference.eke.client.time.sleep", waits.append)
    config = ClientConfig("127.0.0.1", port, "alice", busy_retries=3)
    try:
        with pytest.raises(ServerBusy, match="gave up after 4 tries") as caught:
            EkeClient(config, bytes(32)).connect()
    finally:
        listener.close()
        thread.join(5)
    assert caught.value.code is ErrorCode.BUSY
    assert len(accepted) == 4 and len(waits) == 3
    assert all(1.0 <= w <= 3.0 for w in waits), waits


@pytest.mark.req("EKE-THR-11")
def test_sft_eke_user_unlock(tmp_path: Path) -> None:
    """`sft eke user unlock NAME --store F` clears the hard lock kept beside the store."""
    store = tmp_path / "users.db"
    added = subprocess.run(
        [
            sys.executable,
            "-m",
            "reference",
            "eke",
            "user",
            "add",
            "alice",
            "--store",
            str(store),
            "--password-stdin",
        ],
        input="a long enough password\n",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert added.returncode == 0, added.stderr
    config = ThrottleConfig(failures=2, lock_after=2)
    throttle = Throttle(config, path=throttle_path_for(store))
    for _ in range(2):
        throttle.failed("alice", "10.0.0.1")
    assert throttle.locked("alice")
    unlock = [sys.executable, "-m", "reference", "eke", "user", "unlock", "alice"]
    done = subprocess.run(
        [*unlock, "--store", str(store)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0 and "unlocked user 'alice'" in done.stderr, done.stderr
    assert not throttle.locked("alice")  # the running server sees it
    assert throttle.retry_after("alice", "10.0.0.9") is None
    throttle.close()
    again = subprocess.run(
        [*unlock, "--store", str(store)], capture_output=True, text=True, timeout=120
    )
    assert again.returncode == 0 and "nothing to unlock" in again.stderr, again.stderr
