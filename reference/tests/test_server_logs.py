"""The servers' logs under load: every line one timestamped event, each transfer logged.

`sft eke serve` and `sft peer serve` run as the user runs them (subprocesses); clients
run concurrent gets and puts against them; then every line of the server's stderr must
parse as one log record (reference/cli/logs.py: ISO 8601 UTC, level, logger, message;
no partial or interleaved line), each transfer must be there with its user or alias,
name, size and outcome, and the password must be nowhere [EKE-THR-3].
"""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from reference.cli.logs import LOG_LINE
from reference.eke import crypto
from reference.eke.client import ClientConfig as EkeClientConfig
from reference.eke.client import EkeClient
from reference.pki.client import ClientConfig as PkiClientConfig
from reference.pki.client import PkiSession
from reference.tests import test_pki

org = test_pki.org
TIMEOUT = 60.0
CLIENTS = 8  # gets and as many puts, all at once
# The peer admits at most 8 TLS handshakes in progress from one address (LIM-8: the
# oldest is then reset); on a loaded machine 16 at once from 127.0.0.1 exceed it. This
# test is about the log, not admission: it stays within the cap.
PKI_CLIENTS = 3
PASSWORD = "log-test password ünï"


def _serve(argv: list[str], cwd: Path) -> tuple[subprocess.Popen[str], str, int]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "reference", *argv],
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line.startswith("listening on "):
        proc.kill()
        _, err = proc.communicate(timeout=TIMEOUT)
        raise AssertionError(f"no readiness line: {line!r}\n{err}")
    host, _, port = line.removeprefix("listening on ").strip().rpartition(":")
    return proc, host, int(port)


def _stop(proc: subprocess.Popen[str]) -> list[str]:
    proc.send_signal(signal.SIGTERM)
    try:
        _, err = proc.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, err = proc.communicate()
        raise AssertionError(f"the server ignored SIGTERM:\n{err}") from None
    return err.splitlines()


def _all_at_once(jobs: list[Callable[[], None]]) -> list[BaseException]:
    errors: list[BaseException] = []
    start = threading.Barrier(len(jobs))

    def run(job: Callable[[], None]) -> None:
        try:
            start.wait(TIMEOUT)
            job()
        except BaseException as exc:  # collected and reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(job,), daemon=True) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(TIMEOUT)
    assert not any(t.is_alive() for t in threads), "a transfer did not end"
    return errors


def _check_lines(lines: list[str]) -> None:
    assert lines, "the server logged nothing"
    bad = [line for line in lines if not LOG_LINE.fullmatch(line)]
    assert not bad, "lines that are not one log record each:\n" + "\n".join(bad[:20])
    assert not any(PASSWORD in line for line in lines), "the password is in the log"


def _files(tmp_path: Path, clients: int = CLIENTS) -> tuple[Path, Path, list[Path]]:
    share, inbox, outbox = tmp_path / "share", tmp_path / "inbox", tmp_path / "outbox"
    for d in (share, inbox, outbox):
        d.mkdir()
    sources = []
    for i in range(clients):
        (share / f"g{i}.bin").write_bytes(bytes([i]) * (1000 + i))
        source = outbox / f"p{i}.bin"
        source.write_bytes(bytes([i]) * (2000 + i))
        sources.append(source)
    return share, inbox, sources


@pytest.mark.req("EKE-THR-3")
def test_eke_server_logs_every_transfer_one_line_each(tmp_path: Path) -> None:
    _share, _inbox, sources = _files(tmp_path)
    (tmp_path / "pw").write_text(PASSWORD + "\n", encoding="utf-8")
    added = subprocess.run(
        [sys.executable, "-m", "reference", "eke", "user", "add", "alice", "--store", "s.db",
         "--password-file", "pw"],
        cwd=tmp_path, capture_output=True, text=True, timeout=TIMEOUT, check=False,
    )
    assert added.returncode == 0, added.stderr
    proc, host, port = _serve(
        ["eke", "serve", "--store", "s.db", "--listen", "127.0.0.1:0", "--share", "share",
         "--inbox", "inbox"],
        tmp_path,
    )
    try:
        pw = crypto.password_key("alice", PASSWORD)
        got = tmp_path / "got"
        got.mkdir()

        def get(i: int) -> Callable[[], None]:
            def job() -> None:
                client = EkeClient(EkeClientConfig(host, port, "alice"), pw)
                with client.connect():
                    client.get(f"g{i}.bin", got / f"g{i}.bin")
            return job

        def put(i: int) -> Callable[[], None]:
            def job() -> None:
                client = EkeClient(EkeClientConfig(host, port, "alice"), pw)
                with client.connect():
                    client.put(sources[i])
            return job

        errors = _all_at_once([get(i) for i in range(CLIENTS)] + [put(i) for i in range(CLIENTS)])
    finally:
        lines = _stop(proc)
    assert not errors, errors
    _check_lines(lines)
    for i in range(CLIENTS):
        assert any(
            f"get user='alice' name='g{i}.bin' size={1000 + i} sent" in line for line in lines
        ), f"no log line for the get of g{i}.bin:\n" + "\n".join(lines)
        assert any(
            f"put user='alice' name='p{i}.bin' size={2000 + i} stored" in line for line in lines
        ), f"no log line for the put of p{i}.bin:\n" + "\n".join(lines)


def test_pki_peer_logs_every_transfer_one_line_each(
    org: test_pki.Org, tmp_path: Path
) -> None:
    share, inbox, sources = _files(tmp_path, PKI_CLIENTS)
    proc, host, port = _serve(
        ["peer", "serve", "--id", str(org.ids["bob"].directory), "--ca", org.url,
         "--listen", "127.0.0.1:0", "--share", str(share), "--inbox", str(inbox)],
        tmp_path,
    )
    target = f"bob@{host}:{port}"
    try:
        got = tmp_path / "got"
        got.mkdir()

        def get(i: int) -> Callable[[], None]:
            def job() -> None:
                with PkiSession(org.ids["alice"], target, PkiClientConfig()) as s:
                    s.get(f"g{i}.bin", got / f"g{i}.bin")
            return job

        def put(i: int) -> Callable[[], None]:
            def job() -> None:
                with PkiSession(org.ids["alice"], target, PkiClientConfig()) as s:
                    s.put(sources[i])
            return job

        errors = _all_at_once(
            [get(i) for i in range(PKI_CLIENTS)] + [put(i) for i in range(PKI_CLIENTS)]
        )
    finally:
        lines = _stop(proc)
    assert not errors, errors
    _check_lines(lines)
    for i in range(PKI_CLIENTS):
        assert any(
            "alice@" in line and f"get 'g{i}.bin': {1000 + i} bytes sent" in line
            for line in lines
        ), f"no log line for the get of g{i}.bin:\n" + "\n".join(lines)
        assert any(
            "alice@" in line and f"put 'p{i}.bin': {2000 + i} bytes stored" in line
            for line in lines
        ), f"no log line for the put of p{i}.bin:\n" + "\n".join(lines)


def test_ca_logs_one_line_per_event(tmp_path: Path) -> None:
    """Enrolments, a failed login among them, at once: every line one record."""
    (tmp_path / "pw").write_text(PASSWORD + "\n", encoding="utf-8")

    def reference(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "reference", *argv], cwd=tmp_path, capture_output=True,
            text=True, timeout=TIMEOUT, check=False,
        )

    assert reference("ca", "init", "--dir", "ca", "--unencrypted-key").returncode == 0
    added = reference("ca", "user", "add", "alice", "--dir", "ca", "--password-file", "pw")
    assert added.returncode == 0, added.stderr
    (tmp_path / "wrong").write_text("not " + PASSWORD + "\n", encoding="utf-8")
    proc, host, port = _serve(["ca", "serve", "--dir", "ca", "--listen", "127.0.0.1:0"], tmp_path)
    try:
        def enrol(i: int, password_file: str) -> Callable[[], None]:
            def job() -> None:
                reference("enroll", "--ca", f"https://{host}:{port}", "--root", "ca/root.pem",
                          "--alias", "alice", "--password-file", password_file,
                          "--out", f"id-{i}")
            return job

        errors = _all_at_once([enrol(0, "pw"), enrol(1, "wrong"), enrol(2, "pw")])
    finally:
        lines = _stop(proc)
    assert not errors, errors
    _check_lines(lines)
    assert sum("issued certificate" in line for line in lines) == 2, "\n".join(lines)
    assert any("failed login for 'alice'" in line for line in lines), "\n".join(lines)
