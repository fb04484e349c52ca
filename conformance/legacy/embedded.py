"""Start the embedded legacy reference (`python -m reference legacy ...`) for the suite.

Used when `--profile pki-legacy|eke-legacy` is given without `--target`. It runs as
subprocesses (the suite never imports `reference`), binds 127.0.0.1 port 0, and is
ready when it prints `listening on HOST:PORT`. Secrets are random per run and passed
through files or stdin, never argv.
"""

from __future__ import annotations

__all__ = [
    "KnownContent",
    "LegacyProcess",
    "LegacyPkiTarget",
    "LegacyEkeTarget",
    "start_pki_legacy",
    "start_eke_legacy",
]

import hashlib
import os
import secrets
import selectors
import string
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

READY_TIMEOUT = 30.0


class LegacyProcess:
    """One `python -m reference legacy ...` server; `port` once it is ready."""

    def __init__(
        self, args: list[str], stdin: bytes = b"", program: list[str] | None = None
    ) -> None:
        """`program` replaces `python -m reference` (self-tests run mutants this way)."""
        self.args = args
        prefix = program if program is not None else [sys.executable, "-m", "reference"]
        self.proc = subprocess.Popen(
            [*prefix, "legacy", *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=dict(os.environ, PYTHONUNBUFFERED="1"),
        )
        assert self.proc.stdin is not None
        self.proc.stdin.write(stdin)
        self.proc.stdin.close()
        self.port = self._wait_ready()

    def _wait_ready(self) -> int:
        assert self.proc.stdout is not None
        deadline = time.monotonic() + READY_TIMEOUT
        with selectors.DefaultSelector() as sel:
            sel.register(self.proc.stdout, selectors.EVENT_READ)
            while (left := deadline - time.monotonic()) > 0 and sel.select(timeout=left):
                line = self.proc.stdout.readline().decode("utf-8", "replace")
                if not line:
                    break
                if line.startswith("listening on "):
                    return int(line.strip().rsplit(":", 1)[1])
        err = self.stop()
        raise RuntimeError(f"legacy {self.args[0]} did not start: {err.strip()[-500:]}")

    def stop(self) -> str:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        assert self.proc.stderr is not None
        return self.proc.stderr.read().decode("utf-8", "replace")


def _cli(args: list[str], stdin: bytes = b"") -> None:
    done = subprocess.run(
        [sys.executable, "-m", "reference", "legacy", *args],
        input=stdin,
        capture_output=True,
        timeout=60,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"legacy {args[0]} failed: {done.stderr.decode()[-500:]}")


@dataclass(frozen=True)
class KnownContent:
    """A file the suite knows by name, size and SHA-256 (its bytes are not needed)."""

    name: str
    size: int
    sha256: str

    @classmethod
    def of(cls, name: str, data: bytes) -> KnownContent:
        return cls(name, len(data), hashlib.sha256(data).hexdigest())

    def matches(self, data: bytes) -> bool:
        return len(data) == self.size and hashlib.sha256(data).hexdigest() == self.sha256


@dataclass
class LegacyPkiTarget:
    host: str
    port: int
    ca_url: str | None
    root: Path | None
    ca_key: Path | None = None  # lab mode: the suite may mint certificates
    enroll: tuple[str, str] | None = None  # (alias, password) the suite may enrol with
    traversal: tuple[str, KnownContent | None] | None = None  # a name outside the share
    known_file: KnownContent | None = None  # a file in the share
    responder_alias: str | None = None
    client_cmd: list[str] | None = None  # argv template of a legacy requester, if any
    embedded: bool = False
    processes: list[LegacyProcess] = field(default_factory=list)

    def stop(self) -> None:
        for proc in self.processes:
            proc.stop()


@dataclass
class LegacyEkeTarget:
    host: str
    port: int
    user: str
    password: str
    known_file: KnownContent | None = None  # the one file the server sends
    # argv template of a legacy client: {host} {port} {user} {password_file} {out}
    client_cmd: list[str] | None = None
    embedded: bool = False
    processes: list[LegacyProcess] = field(default_factory=list)

    def stop(self) -> None:
        for proc in self.processes:
            proc.stop()


def start_pki_legacy(workdir: Path) -> LegacyPkiTarget:
    """CA + one enrolled responder ('bob') serving workdir/share; workdir/secret.txt outside."""
    suite_pw, bob_pw = secrets.token_urlsafe(12), secrets.token_urlsafe(12)
    accounts = workdir / "accounts.txt"
    accounts.write_text(f"suite:{suite_pw}\nbob:{bob_pw}\n")
    accounts.chmod(0o600)
    ca = LegacyProcess(["pki-ca", "--dir", str(workdir / "ca"), "--accounts", str(accounts)])
    target = LegacyPkiTarget("127.0.0.1", 0, f"http://127.0.0.1:{ca.port}", None, embedded=True)
    target.processes.append(ca)
    try:
        target.root = workdir / "ca" / "root.pem"
        target.ca_key = workdir / "ca" / "root.key"
        ids = workdir / "ids"
        _cli(
            [
                "pki-enrol",
                "--ca-url",
                target.ca_url or "",
                "--root",
                str(target.root),
                "--alias",
                "bob",
                "--password-stdin",
                "--out-dir",
                str(ids),
            ],
            stdin=bob_pw.encode() + b"\n",
        )
        share = workdir / "share"
        share.mkdir()
        known = os.urandom(1234)
        (share / "report.bin").write_bytes(known)
        secret = b"this file is outside the share: " + secrets.token_hex(8).encode() + b"\n"
        (workdir / "secret.txt").write_bytes(secret)
        peer = LegacyProcess(
            [
                "pki-peer",
                "--key",
                str(ids / "bob.key"),
                "--cert",
                str(ids / "bob.pem"),
                "--root",
                str(target.root),
                "--share",
                str(share),
                "--idle-timeout",
                "10",
            ]
        )
        target.processes.append(peer)
        target.port = peer.port
        target.enroll = ("suite", suite_pw)
        target.traversal = ("../secret.txt", KnownContent.of("../secret.txt", secret))
        target.known_file = KnownContent.of("report.bin", known)
        target.responder_alias = "bob"
        target.client_cmd = [
            sys.executable,
            "-m",
            "reference",
            "legacy",
            "pki-get",
            "--key",
            "{key}",
            "--cert",
            "{cert}",
            "--peer",
            "{host}:{port}",
            "--name",
            "{name}",
            "--out",
            "{out}",
            "--timeout",
            "10",
        ]
    except BaseException:
        target.stop()
        raise
    return target


def start_eke_legacy(workdir: Path) -> LegacyEkeTarget:
    # Letters only: the evidence of LEG-EKE-5 (the visible length) is then exact.
    password = "".join(secrets.choice(string.ascii_letters) for _ in range(12))
    pwfile = workdir / "eke.pw"
    pwfile.write_text(password + "\n")
    pwfile.chmod(0o600)
    content = os.urandom(3000)
    served = workdir / "testfile1.pdf"
    served.write_bytes(content)
    server = LegacyProcess(
        ["eke-server", "--file", str(served), "--password-file", str(pwfile), "--idle-timeout", "5"]
    )
    target = LegacyEkeTarget(
        "127.0.0.1",
        server.port,
        "yash101",
        password,
        KnownContent.of("testfile1.pdf", content),
        client_cmd=[
            sys.executable,
            "-m",
            "reference",
            "legacy",
            "eke-get",
            "--server",
            "{host}:{port}",
            "--user",
            "{user}",
            "--password-file",
            "{password_file}",
            "--out",
            "{out}",
            "--timeout",
            "5",
        ],
        embedded=True,
        processes=[server],
    )
    return target
