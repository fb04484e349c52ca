"""Password files [PWF-1]: the kit and the reference CLI read every file the same way.

The reference keeps its own reader (it imports nothing of the kit); these cases hold
both to the one format of docs/SPEC.md.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from reference.cli import CommandError
from reference.cli.eke import _read_password
from sftkit.password_file import PasswordFileError, read_password_file

pytestmark = pytest.mark.req("PWF-1")

# (file bytes, the password) — each a way a hurried reader goes wrong.
READABLE = [
    (b"hunter2\n", "hunter2"),
    (b"hunter2\r\n", "hunter2"),  # Windows editors: CRLF goes whole
    (b"hunter2", "hunter2"),  # no line ending at all
    (b"hunter2 ", "hunter2 "),  # a trailing space is part of the password
    (b" hunter2 \n", " hunter2 "),  # so are leading ones
    (b"\thunter2\t\r\n", "\thunter2\t"),
    ("zoë Été\n".encode(), "zoë Été"),  # non-ASCII, precomposed
    ("zoe\u0308 E\u0301te\u0301\n".encode(), "zoe\u0308 E\u0301te\u0301"),  # decomposed: not NFC'd
    ("pw\u2028x\n".encode(), "pw\u2028x"),  # U+2028 is not a line ending here
    (b"pw\x0bx\x0c\n", "pw\x0bx\x0c"),  # nor are VT and FF (str.splitlines says so)
    ("\ufeffpw\n".encode(), "\ufeffpw"),  # a BOM is not trimmed either
]
REFUSED = [
    b"",  # empty
    b"\n",  # empty line
    b"\r\n",
    b"hunter2\n\n",  # a second (empty) line
    b"hunter2\nsecond\n",  # a second line may be half of the password
    b"hunter2\r",  # a lone CR at the end is not a line ending
    b"hunt\rer2\n",  # a CR inside
    b"hunter2\n\r\n",
    b"\xffhunter2\n",  # not UTF-8
]


def _reference_reads(path: Path) -> str:
    return _read_password(argparse.Namespace(password_stdin=False, password_file=path))


@pytest.mark.parametrize(("data", "password"), READABLE, ids=[repr(d) for d, _ in READABLE])
def test_kit_and_reference_read_the_same_password(
    tmp_path: Path, data: bytes, password: str
) -> None:
    path = tmp_path / "pw"
    path.write_bytes(data)
    assert read_password_file(path) == password
    assert _reference_reads(path) == password


@pytest.mark.parametrize("data", REFUSED, ids=[repr(d) for d in REFUSED])
def test_kit_and_reference_refuse_the_same_files(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "pw"
    path.write_bytes(data)
    with pytest.raises(PasswordFileError) as kit:
        read_password_file(path)
    with pytest.raises(CommandError) as ref:
        _reference_reads(path)
    assert ref.value.exit_code == 2
    # the error names the file, never the password
    assert "hunter2" not in str(kit.value) and "hunter2" not in str(ref.value)


def test_a_missing_file_is_a_usage_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(PasswordFileError, match=r"cannot read password file .*nope"):
        read_password_file(tmp_path / "nope")
