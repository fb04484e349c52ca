"""Start the embedded legacy reference (`python -m reference legacy ...`) for the suite.

Used when `--profile pki-legacy|eke-legacy` is given without `--target`. It runs as
subprocesses (the suite never imports `reference`), binds 127.0.0.1 port 0, and is
ready when it prints `listening on HOST:PORT` (started, awaited and stopped by the kit's
one launcher, sftkit.launch). Secrets are random per run and passed through files or
stdin, never argv.
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
import string
import sys
from dataclasses import dataclass, field
from pathlib import Path

from sftkit.launch import LaunchedProcess, LaunchError, launch_server, run_command

READY_TIMEOUT = 30.0


class LegacyProcess:
    """One `python -m reference legacy ...` server; `port` once it is ready."""

    def __init__(
        self, args: list[str], stdin: bytes = b"", program: list[str] | None = None
    ) -> None:
        """`program` replaces `python -m reference` (self-tests run mutants this way)."""
        self.args = args
        prefix = program if program is not None else [sys.executable, "-m", "reference"]
        try:
            self.process: LaunchedProcess = launch_server(
                [*prefix, "legacy", *args],
                name=f"legacy-{args[0]}",
                stdin=stdin,
                ready_timeout=READY_TIMEOUT,
            )
        except LaunchError as exc:  # LaunchError is a RuntimeError, as this always raised
            raise LaunchError(f"legacy {args[0]} did not start: {exc}") from None
        self.port = self.process.port

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self) -> str:
        """Stop it (SIGTERM, then SIGKILL after 10 s); returns everything it wrote."""
        return self.process.stop(deadline=10)


def _cli(args: list[str], stdin: bytes = b"") -> None:
    done = run_command(
        [sys.executable, "-m", "reference", "legacy", *args], stdin=stdin, timeout=60
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
    empty_file: str | None = None  # the name of a file of 0 bytes in the share, if known
    client_cmd: list[str] | None = None  # argv template of a legacy requester, if any
    # An interactive requester: what to type at its prompts (sftkit client_launch), and
    # when a run succeeded ("exit": code 0, "file": the {out} file is there).
    client_stdin: str | None = None
    client_success: str = "exit"
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
    client_stdin: str | None = None  # as LegacyPkiTarget's
    client_success: str = "exit"
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
        (share / "empty.bin").write_bytes(b"")
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
        target.empty_file = "empty.bin"
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
