"""`--password-stdin` reads one line as PWF-1 reads a password file: UTF-8 or a one-line
error (exit 2), never a traceback; exactly one trailing LF or CRLF goes, and a CR left in
the password is refused."""

from __future__ import annotations

import io

import pytest

from reference.cli import CommandError, main
from reference.cli.options import read_password_stdin


def _stdin(data: bytes, errors: str) -> io.TextIOWrapper:
    # As POSIX Python opens its stdin: no newline translation (a lone CR stays).
    return io.TextIOWrapper(io.BytesIO(data), encoding="utf-8", errors=errors, newline="\n")


@pytest.mark.parametrize("errors", ["strict", "surrogateescape"])  # a UTF-8 or C locale
def test_bytes_that_are_not_utf8_are_a_usage_error(
    errors: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", _stdin(b"ab\xffcd\n", errors))
    argv = ["eke", "get", "127.0.0.1:1", "hello.txt", "--user", "u", "--password-stdin"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "not UTF-8" in err and "Traceback" not in err, err
    assert len(err.strip().splitlines()) == 1, err


@pytest.mark.parametrize(
    ("data", "password"),
    [
        (b"pw\n", "pw"),
        (b"pw\r\n", "pw"),
        (b"pw", "pw"),
        (b" p\xc3\xa9 \n", " pé "),
    ],
)
def test_one_line_ending_goes_nothing_else(
    data: bytes, password: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", _stdin(data, "strict"))
    assert read_password_stdin() == password


def test_the_error_is_a_command_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", _stdin(b"\xff\n", "surrogateescape"))
    with pytest.raises(CommandError) as refused:
        read_password_stdin()
    assert refused.value.exit_code == 2


@pytest.mark.parametrize("data", [b"pw\r", b"p\rw\n", b"pw\r\r\n"])
def test_a_cr_left_in_the_password_is_refused_as_in_a_file(
    data: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PWF-1: a lone CR (another system's line ending, or half a password) is an error,
    as `read_password_file` refuses it, never part of the password."""
    monkeypatch.setattr("sys.stdin", _stdin(data, "strict"))
    with pytest.raises(CommandError) as refused:
        read_password_stdin()
    assert refused.value.exit_code == 2 and "pw" not in str(refused.value)
