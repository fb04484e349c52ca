"""`sft legacy ...` reads password files with the reference's one PWF-1 reader, so a file
means the same password to the legacy commands, `sft eke`, and every entry point of the
kit (it used to keep the first line of any file and drop the rest silently)."""

from __future__ import annotations

import argparse
import io
import subprocess
import sys
from pathlib import Path

import pytest

from reference.cli import CommandError
from reference.cli.legacy import _read_password
from sftkit.password_file import read_password_file
from sftkit.tests.test_password_file import READABLE, REFUSED

pytestmark = pytest.mark.req("PWF-1")


def _legacy_reads(path: Path) -> str:
    return _read_password(argparse.Namespace(password_stdin=False, password_file=path))


@pytest.mark.parametrize(("data", "password"), READABLE, ids=[repr(d) for d, _ in READABLE])
def test_legacy_reads_what_the_kit_reads(tmp_path: Path, data: bytes, password: str) -> None:
    path = tmp_path / "pw"
    path.write_bytes(data)
    assert _legacy_reads(path) == password == read_password_file(path)


@pytest.mark.parametrize("data", REFUSED, ids=[repr(d) for d in REFUSED])
def test_legacy_refuses_what_the_kit_refuses(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "pw"
    path.write_bytes(data)
    with pytest.raises(CommandError) as refused:
        _legacy_reads(path)
    assert refused.value.exit_code == 2 and "hunter2" not in str(refused.value)


@pytest.mark.parametrize(
    ("typed", "password"),
    [("hunter2\n", "hunter2"), ("hunter2\r\n", "hunter2"), (" hunter2 \n", " hunter2 ")],
)
def test_legacy_stdin_loses_only_the_line_end(
    monkeypatch: pytest.MonkeyPatch, typed: str, password: str
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(typed + "ignored second line\n"))
    args = argparse.Namespace(password_stdin=True, password_file=None)
    assert _read_password(args) == password


def test_a_legacy_server_refuses_a_two_line_file_without_showing_it(tmp_path: Path) -> None:
    served, pwfile = tmp_path / "f.bin", tmp_path / "pw"
    served.write_bytes(b"x")
    pwfile.write_bytes(b"hunter2\nsecond\n")
    done = subprocess.run(
        [sys.executable, "-m", "reference", "legacy", "eke-server", "--file", str(served),
         "--password-file", str(pwfile), "--port", "0"],
        capture_output=True, timeout=60, check=False,
    )
    assert done.returncode == 2, done.stderr
    assert b"more than one line" in done.stderr
    assert b"hunter2" not in done.stdout + done.stderr
