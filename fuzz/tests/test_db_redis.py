"""--fuzz-db: hypothesis' RedisExampleDatabase against a real redis-server on loopback.

The test starts its own redis-server on 127.0.0.1 (an ephemeral port the kernel gave
us), and stops it at the end; skipped with the reason when redis-server is not
installed (./sft installs it for the test run).
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
import unittest
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st
from hypothesis.database import ExampleDatabase

from fuzz.db import FuzzDbError, open_example_db

_READY = 20.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed (./sft installs it: apt redis-server)")
    port = _free_port()
    proc = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(tmp_path),
            "--logfile",
            str(tmp_path / "redis.log"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/3"
    try:
        deadline = time.monotonic() + _READY
        while True:
            # Readiness = the server accepts a connection (bounded in time).
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(
                        f"redis-server did not start: {(tmp_path / 'redis.log').read_text()}"
                    )
                time.sleep(0.05)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _make_test(db: ExampleDatabase, phases: tuple[Phase, ...]) -> Callable[[], None]:
    # Built by one factory: the same source and name give the same database key, as for
    # one fuzz test run on two machines.
    @settings(database=db, max_examples=300, phases=phases, deadline=None)
    @given(st.integers(0, 10_000))
    def fuzz_like_test(n: int) -> None:
        assert n <= 500

    return fuzz_like_test


def test_failures_are_shared_through_redis(redis_url: str) -> None:
    first = open_example_db(redis_url)
    with pytest.raises(AssertionError):
        _make_test(first, (Phase.generate, Phase.shrink))()
    # "Another machine": a fresh connection, and only the reuse phase (no generation):
    # it can fail only by replaying what the first one stored in Redis.
    second = open_example_db(redis_url)
    with pytest.raises(AssertionError):
        _make_test(second, (Phase.reuse,))()
    # A database on another Redis db number shares nothing: there is nothing to replay
    # (hypothesis reports that it ran no test case at all).
    other = open_example_db(redis_url.rsplit("/", 1)[0] + "/4")
    with pytest.raises(unittest.SkipTest):
        _make_test(other, (Phase.reuse,))()


def test_a_bad_url_is_one_clear_line() -> None:
    with pytest.raises(FuzzDbError, match="redis://HOST:PORT/N"):
        open_example_db("http://127.0.0.1:1/0")
    with pytest.raises(FuzzDbError, match="cannot reach"):
        open_example_db(f"redis://127.0.0.1:{_free_port()}/0")
