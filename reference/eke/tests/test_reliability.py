"""The EKE server under hostile clients and faults: lock-out, shutdown, leftovers, one-line errors.

In-process servers for the admission rule (LIM-8, LIM-9); `python -m reference eke ...`
subprocesses where a signal or a SIGKILL is the point. Every wait is bounded.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from reference.eke import crypto
from reference.eke.client import ClientConfig, ClientError, EkeClient
from reference.eke.tests.test_server import PASSWORDS, client, running_server
from reference.share import PARTIAL_PREFIX

TIMEOUT = 20.0


@pytest.fixture(scope="module")
def pw() -> Callable[[str, str], bytes]:
    """scrypt costs ~0.1 s: each (user, password) is derived once."""
    cache: dict[tuple[str, str], bytes] = {}

    def key(user: str, password: str) -> bytes:
        if (user, password) not in cache:
            cache[(user, password)] = crypto.password_key(user, password)
        return cache[(user, password)]

    return key


def _silent(host: str, port: int, source: str) -> socket.socket:
    sock = socket.create_connection((host, port), timeout=5, source_address=(source, 0))
    return sock


def _closed_soon(sock: socket.socket, within: float = 3.0) -> bytes | None:
    """What the server sent before closing `sock` (None: still open after `within`)."""
    sock.settimeout(within)
    data = b""
    try:
        while chunk := sock.recv(4096):
            data += chunk
    except TimeoutError:
        return None
    except ConnectionResetError:
        pass
    return data


def _wait_until(predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    tick = threading.Event()
    while time.monotonic() < deadline:
        if predicate():
            return True
        tick.wait(0.02)
    return predicate()


@pytest.mark.req("LIM-8", "LIM-9")
def test_silent_sockets_cannot_lock_out_an_honest_client(
    tmp_path: Path, pw: Callable[[str, str], bytes]
) -> None:
    options = {"max_connections": 3, "max_pending_per_address": 2, "handshake_timeout": 10.0}
    with running_server(tmp_path, pw, **options) as r:
        (r.share / "f.txt").write_bytes(b"hello")
        flood = [_silent(r.host, r.port, "127.0.0.2") for _ in range(2)]
        # The third from the same address: refused at once with EROR busy [LIM-8].
        third = _silent(r.host, r.port, "127.0.0.2")
        answer = _closed_soon(third)
        assert answer is not None and answer[:4] == b"EROR" and b'"busy"' in answer
        third.close()
        flood.append(_silent(r.host, r.port, "127.0.0.3"))  # every slot is taken now
        assert _wait_until(lambda: r.server.active_connections == 3)
        # An honest client still gets in: the oldest silent socket makes room [LIM-9].
        with client(r, pw, source="127.0.0.4") as c:
            c.get("f.txt", tmp_path / "got-1")
            assert _closed_soon(flood[0]) == b""
            # More silent sockets arrive: the established connection is never evicted.
            more = [_silent(r.host, r.port, f"127.0.0.{5 + i}") for i in range(3)]
            c.get("f.txt", tmp_path / "got-2")
            for sock in more:
                sock.close()
        for sock in flood:
            sock.close()
        assert (tmp_path / "got-2").read_bytes() == b"hello"


# -- the command line, as an operator runs it ---------------------------------------------


def _cli(*args: str, stdin: str = "", timeout: float = TIMEOUT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "reference", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("store") / "users.db"
    for user in ("alice", "bob"):
        done = _cli(
            "eke", "user", "add", user, "--store", str(path), "--password-stdin",
            stdin=PASSWORDS[user] + "\n",
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
    return path


class _Server:
    """`sft eke serve` in a subprocess; `port` from its readiness line."""

    def __init__(self, store: Path, share: Path, inbox: Path, *extra: str) -> None:
        self.proc = subprocess.Popen(
            [
                sys.executable, "-m", "reference", "eke", "serve", "--store", str(store),
                "--listen", "127.0.0.1:0", "--share", str(share), "--inbox", str(inbox), *extra,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()  # bounded: the server prints it or exits
        assert line.startswith("listening on "), line + self._stderr()
        self.port = int(line.rsplit(":", 1)[1])

    def _stderr(self) -> str:
        if self.proc.poll() is None:
            return ""
        assert self.proc.stderr is not None
        return self.proc.stderr.read()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(TIMEOUT)
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()


@pytest.fixture
def dirs(tmp_path: Path) -> tuple[Path, Path]:
    share, inbox = tmp_path / "share", tmp_path / "inbox"
    share.mkdir()
    inbox.mkdir()
    return share, inbox


@pytest.fixture
def servers() -> Iterator[list[_Server]]:
    started: list[_Server] = []
    yield started
    for server in started:
        server.stop()


def _client(port: int, pw: Callable[[str, str], bytes]) -> EkeClient:
    config = ClientConfig("127.0.0.1", port, "alice", idle_timeout=10)
    return EkeClient(config, pw("alice", PASSWORDS["alice"]))


def _partials(directory: Path) -> list[str]:
    return [p.name for p in directory.iterdir() if p.name.startswith(PARTIAL_PREFIX)]


@pytest.mark.req("APP-STORE-3", "APP-STORE-5")
def test_a_server_killed_mid_put_leaves_no_partial_after_restart(
    store: Path,
    dirs: tuple[Path, Path],
    servers: list[_Server],
    pw: Callable[[str, str], bytes],
    tmp_path: Path,
) -> None:
    share, inbox = dirs
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(1024 * 1024) * 48)
    first = _Server(store, share, inbox, "--max-file-size", str(64 * 1024 * 1024))
    servers.append(first)
    errors: list[BaseException] = []

    def put() -> None:
        try:
            with _client(first.port, pw) as c:
                c.put(big)
        except (ClientError, OSError) as exc:
            errors.append(exc)

    sender = threading.Thread(target=put, daemon=True)
    sender.start()
    assert _wait_until(lambda: bool(_partials(inbox)), TIMEOUT), "the put never started"
    first.proc.send_signal(signal.SIGKILL)  # cannot clean up: the temporary stays
    first.stop()
    sender.join(TIMEOUT)
    assert errors, "the put cannot have succeeded"
    assert not (inbox / "big.bin").exists()  # [APP-STORE-5]
    servers.append(_Server(store, share, inbox))
    assert _partials(inbox) == [], "a restarted server must sweep its inbox [APP-STORE-3]"


@pytest.mark.req("LIM-5")
def test_sigterm_stops_accepting_at_once_and_the_server_exits(
    store: Path, dirs: tuple[Path, Path], servers: list[_Server], pw: Callable[[str, str], bytes]
) -> None:
    share, inbox = dirs
    (share / "f.txt").write_bytes(b"data")
    server = _Server(store, share, inbox)
    servers.append(server)
    # An idle, established client: the shutdown must not wait for it forever.
    with _client(server.port, pw) as c:
        c.get("f.txt", inbox.parent / "got")
        started = time.monotonic()
        server.proc.send_signal(signal.SIGTERM)

        def refused() -> bool:
            try:
                socket.create_connection(("127.0.0.1", server.port), timeout=1).close()
            except OSError:
                return True
            return False

        assert _wait_until(refused, 3.0), "still accepting after SIGTERM"
        assert server.proc.wait(TIMEOUT) == 0
    # The 5 s grace for transfers, then the reading side ends: bounded.
    assert time.monotonic() - started < 12.0


@pytest.mark.req("APP-STORE-3")
def test_a_stale_partial_is_swept_at_start_but_a_final_file_is_not(
    store: Path, dirs: tuple[Path, Path], servers: list[_Server]
) -> None:
    share, inbox = dirs
    (inbox / f"{PARTIAL_PREFIX}0123abcd").write_bytes(b"half")
    (inbox / "kept.txt").write_bytes(b"whole")
    os.symlink(share, inbox / f"{PARTIAL_PREFIX}link")  # never followed, never removed
    servers.append(_Server(store, share, inbox))
    assert sorted(p.name for p in inbox.iterdir()) == [f"{PARTIAL_PREFIX}link", "kept.txt"]


def test_user_list_into_a_closed_pipe_is_quiet(store: Path) -> None:
    """`sft eke user list | head -1`: no BrokenPipeError traceback, exit 0."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "reference", "eke", "user", "list", "--store", str(store)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    proc.stdout.close()  # the reader is gone before the first line
    _, err = proc.communicate(timeout=TIMEOUT)
    assert proc.returncode == 0 and "Traceback" not in err, err


@pytest.mark.req("APP-STORE-3")
def test_sigterm_of_a_get_removes_its_temporary(
    store: Path, dirs: tuple[Path, Path], servers: list[_Server], tmp_path: Path
) -> None:
    share, inbox = dirs
    (share / "big.bin").write_bytes(os.urandom(1024 * 1024) * 64)
    server = _Server(store, share, inbox, "--max-file-size", str(128 * 1024 * 1024))
    servers.append(server)
    out = tmp_path / "out"
    out.mkdir()
    password_file = tmp_path / "alice.pw"
    password_file.write_text(PASSWORDS["alice"] + "\n")
    password_file.chmod(0o600)
    getter = subprocess.Popen(
        [
            sys.executable, "-m", "reference", "eke", "get", f"127.0.0.1:{server.port}",
            "big.bin", "-o", str(out / "big.bin"), "--user", "alice",
            "--password-file", str(password_file), "--quiet",
        ],
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    assert _wait_until(lambda: bool(_partials(out)), TIMEOUT), "the get never started"
    getter.send_signal(signal.SIGTERM)
    _, err = getter.communicate(timeout=TIMEOUT)
    assert getter.returncode in (0, 130), err  # 0: it finished just before the signal
    assert "Traceback" not in err, err
    assert _partials(out) == [], "a get stopped by SIGTERM must remove its temporary"


def _limit_file_size() -> None:  # in the server's child process, before exec
    import resource

    resource.setrlimit(resource.RLIMIT_FSIZE, (4 * 1024 * 1024, 4 * 1024 * 1024))
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past it fails with EFBIG


def test_a_full_disk_is_one_line_on_both_sides(
    store: Path, dirs: tuple[Path, Path], tmp_path: Path, pw: Callable[[str, str], bytes]
) -> None:
    """The receiver's disk refuses the write (EFBIG standing in for ENOSPC): the server
    logs one line, the client learns why; no traceback, no temporary left."""
    share, inbox = dirs
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(1024 * 1024) * 8)
    proc = subprocess.Popen(
        [
            sys.executable, "-m", "reference", "eke", "serve", "--store", str(store),
            "--listen", "127.0.0.1:0", "--share", str(share), "--inbox", str(inbox),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_limit_file_size,  # a test's own child: no threads to worry about
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("listening on "), line
        port = int(line.rsplit(":", 1)[1])
        with pytest.raises(ClientError) as failure:
            with _client(port, pw) as c:
                c.put(big)
        assert "cannot store" in str(failure.value), failure.value
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=TIMEOUT)
    assert "Traceback" not in err, err
    assert "cannot store" in err, err
    assert _partials(inbox) == [] and not (inbox / "big.bin").exists()
