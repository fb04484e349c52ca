"""`sft eke ...` end to end: a user added by the CLI, a served file both ways."""

from __future__ import annotations

import hashlib
import os
import selectors
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

PASSWORD = "  a pass phrase with spaces  "  # used as given: no trimming [EKE-PW-1]


def sft(
    *args: str, stdin: str | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "reference", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
    )


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    store = tmp_path / "users.db"
    added = sft(
        "eke",
        "user",
        "add",
        "alice",
        "--store",
        str(store),
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    assert added.returncode == 0, added.stderr
    assert (store.stat().st_mode & 0o777) == 0o600
    share, inbox = tmp_path / "share", tmp_path / "inbox"
    share.mkdir()
    inbox.mkdir()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "reference",
            "eke",
            "serve",
            "--store",
            str(store),
            "--listen",
            "127.0.0.1:0",
            "--share",
            str(share),
            "--inbox",
            str(inbox),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        with selectors.DefaultSelector() as sel:  # the readiness line, within 30 s
            sel.register(proc.stdout, selectors.EVENT_READ)
            assert sel.select(timeout=30), "no readiness line"
        line = proc.stdout.readline().strip()
        assert line.startswith("listening on 127.0.0.1:"), line
        yield line.removeprefix("listening on "), tmp_path
    finally:
        proc.terminate()
        _out, err = proc.communicate(timeout=30)
        assert proc.returncode == 0, err
        assert PASSWORD.strip() not in err  # nothing secret is logged [EKE-THR-3]


@pytest.mark.req("EKE-PW-2", "APP-GET-3", "APP-PUT-5")
def test_cli_user_add_then_get_and_put(served: tuple[str, Path]) -> None:
    address, root = served
    data = os.urandom(8 * 1024 * 1024)
    (root / "share" / "file.bin").write_bytes(data)
    out = root / "out.bin"
    got = sft(
        "eke",
        "get",
        address,
        "file.bin",
        "--user",
        "alice",
        "--password-stdin",
        "-o",
        str(out),
        stdin=PASSWORD + "\n",
    )
    assert got.returncode == 0, got.stderr
    assert got.stderr.count("\n") == 1  # one line; no progress bar when not a tty
    put = sft(
        "eke",
        "put",
        address,
        str(out),
        "--as",
        "returned.bin",
        "--user",
        "alice",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    assert put.returncode == 0, put.stderr
    digest = hashlib.sha256(data).hexdigest()
    assert hashlib.sha256(out.read_bytes()).hexdigest() == digest
    assert hashlib.sha256((root / "inbox" / "returned.bin").read_bytes()).hexdigest() == digest
    listing = sft("eke", "user", "list", "--store", str(root / "users.db"))
    assert listing.returncode == 0 and "alice" in listing.stdout


@pytest.mark.req("EKE-HS-4")
def test_cli_refusals_are_one_plain_line(served: tuple[str, Path]) -> None:
    address, root = served
    for user, password in (("alice", PASSWORD.strip()), ("nobody", PASSWORD)):
        result = sft(
            "eke",
            "get",
            address,
            "x",
            "--user",
            user,
            "--password-stdin",
            "-o",
            str(root / "x"),
            stdin=password + "\n",
        )
        assert result.returncode == 1
        assert result.stderr == "sft: wrong password or unknown user\n"
    missing = sft(
        "eke",
        "get",
        address,
        "../x",
        "--user",
        "alice",
        "--password-stdin",
        "-o",
        str(root / "x"),
        stdin=PASSWORD + "\n",
    )
    assert missing.returncode == 1 and missing.stderr.startswith("sft: forbidden")
    assert not (root / "x").exists()
    (root / "share" / "f.txt").write_text("f")
    nowhere = sft(
        "eke",
        "get",
        address,
        "f.txt",
        "--user",
        "alice",
        "--password-stdin",
        "-o",
        str(root / "no" / "such" / "dir"),
        stdin=PASSWORD + "\n",
    )
    # An environment error (exit 2), found before connecting.
    assert nowhere.returncode == 2 and nowhere.stderr.count("\n") == 1, nowhere.stderr
    assert "is not a directory" in nowhere.stderr


def test_cli_never_takes_a_password_argument(tmp_path: Path) -> None:
    result = sft(
        "eke", "user", "add", "alice", "--store", str(tmp_path / "s.db"), "--password", "secret"
    )
    assert result.returncode == 2 and not (tmp_path / "s.db").exists()
    nothing = sft("eke", "user", "add", "alice", "--store", str(tmp_path / "s.db"), stdin="")
    assert nothing.returncode == 2 and "password" in nothing.stderr
