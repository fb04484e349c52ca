"""`sft eke serve` restarts on SIGHUP: same process, same socket, counts from disk [EKE-THR-8]."""

from __future__ import annotations

import os
import selectors
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

_PASSWORD = "right horse battery staple"


def _sft(*args: str, stdin: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "reference", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _readiness(proc: subprocess.Popen[str]) -> str:
    assert proc.stdout is not None
    with selectors.DefaultSelector() as sel:  # the readiness line, within 30 s
        sel.register(proc.stdout, selectors.EVENT_READ)
        assert sel.select(timeout=30), "no readiness line"
    return proc.stdout.readline().strip()


def _fail_login(address: str, out: Path) -> None:
    done = _sft(
        "eke", "get", address, "f.txt", "--user", "alice", "--password-stdin", "-o", str(out),
        stdin="wrong " + _PASSWORD + "\n",
    )  # fmt: skip
    assert done.returncode == 1, done.stderr


def _count(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        row = conn.execute(
            "SELECT failures FROM failures WHERE kind = 'user' AND key = 'alice'"
        ).fetchone()
    return int(row[0]) if row else 0


@pytest.mark.req("EKE-THR-8")
def test_sighup_restarts_on_the_same_socket_with_the_counts_on_disk(tmp_path: Path) -> None:
    store, db = tmp_path / "users.db", tmp_path / "throttle.db"
    added = _sft(
        "eke", "user", "add", "alice", "--store", str(store), "--password-stdin",
        stdin=_PASSWORD + "\n",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    share, inbox = tmp_path / "share", tmp_path / "inbox"
    share.mkdir()
    inbox.mkdir()
    proc = subprocess.Popen(
        [
            sys.executable, "-m", "reference", "eke", "serve", "--store", str(store),
            "--listen", "127.0.0.1:0", "--share", str(share), "--inbox", str(inbox),
            "--throttle-db", str(db), "--throttle-after", "5",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        first = _readiness(proc)
        address = first.removeprefix("listening on ")
        _fail_login(address, tmp_path / "out.txt")
        assert _count(db) == 1
        os.kill(proc.pid, signal.SIGHUP)
        # The same process image replaced, on the same socket: the same address.
        assert _readiness(proc) == first
        _fail_login(address, tmp_path / "out.txt")
        # Counted on top of the reloaded count, not from zero.
        assert _count(db) == 2
    finally:
        proc.terminate()
        _out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "restarting (SIGHUP)" in err
