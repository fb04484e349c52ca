"""Legacy fixtures: keys and certificates generated per session, never committed."""

from __future__ import annotations

import datetime
import os
import selectors
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa

from reference.legacy import _crypto


@dataclass(frozen=True)
class Identity:
    alias: str
    key: rsa.RSAPrivateKey
    certificate: x509.Certificate


@dataclass(frozen=True)
class Org:
    root_key: rsa.RSAPrivateKey
    root: x509.Certificate
    alice: Identity
    bob: Identity

    def issue(self, alias: str, **kwargs: object) -> Identity:
        key = _crypto.generate_rsa_key()
        cert = _crypto.issue_certificate(
            self.root_key,
            self.root,
            alias,
            key.public_key(),
            **kwargs,  # type: ignore[arg-type]
        )
        return Identity(alias, key, cert)


@pytest.fixture(scope="session")
def org() -> Org:
    root_key, root = _crypto.make_root("legacy test root")

    def issue(alias: str) -> Identity:
        key = _crypto.generate_rsa_key()
        return Identity(
            alias, key, _crypto.issue_certificate(root_key, root, alias, key.public_key())
        )

    return Org(root_key, root, issue("alice"), issue("bob"))


@pytest.fixture
def share(tmp_path: Path) -> Path:
    """tmp/share (served) and tmp/secret.txt (outside it: reachable via '../')."""
    directory = tmp_path / "share"
    directory.mkdir()
    (directory / "hello.txt").write_bytes(b"hello from the share\n")
    (tmp_path / "secret.txt").write_bytes(b"outside the share: secret\n")
    return directory


def past(days: int) -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=days)


class ServerThread:
    """Runs a socketserver in a thread; stops it (bounded) at teardown."""

    def __init__(self, server: object) -> None:
        self.server = server
        self.thread = threading.Thread(target=server.serve_forever, daemon=True)  # type: ignore[attr-defined]
        self.thread.start()

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])  # type: ignore[attr-defined]

    def stop(self) -> None:
        self.server.shutdown()  # type: ignore[attr-defined]
        self.server.server_close()  # type: ignore[attr-defined]
        self.thread.join(timeout=10)


@pytest.fixture
def serve() -> Iterator[object]:
    started: list[ServerThread] = []

    def start(server: object) -> ServerThread:
        handle = ServerThread(server)
        started.append(handle)
        return handle

    yield start
    for handle in started:
        handle.stop()


class Process:
    """A `python -m reference legacy ...` server, ready once it printed its line."""

    def __init__(self, args: list[str], stdin: bytes | None = None) -> None:
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "reference", "legacy", *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
        )
        assert self.proc.stdin is not None
        if stdin is not None:
            self.proc.stdin.write(stdin)
        self.proc.stdin.close()
        self.port = self._wait_ready(timeout=30.0)

    def _wait_ready(self, timeout: float) -> int:
        assert self.proc.stdout is not None
        deadline = time.monotonic() + timeout
        with selectors.DefaultSelector() as sel:
            sel.register(self.proc.stdout, selectors.EVENT_READ)
            while time.monotonic() < deadline:
                if not sel.select(timeout=deadline - time.monotonic()):
                    break
                line = self.proc.stdout.readline().decode()
                if not line:
                    break
                if line.startswith("listening on "):
                    return int(line.rsplit(":", 1)[1])
        self.stop()
        raise AssertionError(f"no readiness line; stderr: {self.stderr()!r}")

    def stderr(self) -> str:
        assert self.proc.stderr is not None
        if self.proc.poll() is None:
            return ""
        return self.proc.stderr.read().decode()

    def stop(self) -> str:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        return self.stderr()


@pytest.fixture
def processes() -> Iterator[list[Process]]:
    started: list[Process] = []
    yield started
    for proc in started:
        proc.stop()


def run_cli(
    args: list[str], stdin: bytes = b"", timeout: float = 60.0
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "reference", "legacy", *args],
        input=stdin,
        capture_output=True,
        timeout=timeout,
        check=False,
    )
