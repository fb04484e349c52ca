"""Password files, read as docs/SPEC.md PWF-1 says, for every tool of the kit.

The reference implementation reads its own (reference/cli/eke.py) by the same rule; it
does not import this module (independence). sftkit/tests/test_password_file.py checks
that both read the same files the same way.
"""

from __future__ import annotations

from pathlib import Path

from sftkit.outcomes import TargetConfigError

__all__ = ["PasswordFileError", "password_from_bytes", "read_password_file"]


class PasswordFileError(TargetConfigError):
    """The file holds no usable password (one line for the user, never the password)."""


def password_from_bytes(data: bytes, *, source: str = "password file") -> str:
    """The password in a password file's bytes [PWF-1]."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PasswordFileError(f"{source} is not UTF-8 (byte {exc.start})") from None
    # Exactly one line ending goes: it is how editors save a file. Nothing else is
    # trimmed, since passwords are used as given (EKE-PW-1).
    if text.endswith("\r\n"):
        text = text[:-2]
    elif text.endswith("\n"):
        text = text[:-1]
    if "\r" in text or "\n" in text:
        raise PasswordFileError(
            f"{source} holds more than one line (a CR or LF inside the password)"
        )
    if not text:
        raise PasswordFileError(f"{source} holds an empty password")
    return text


def read_password_file(path: Path | str) -> str:
    """Read a password file [PWF-1]; `PasswordFileError` names the file, not the password."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise PasswordFileError(
            f"cannot read password file {path}: {exc.strerror or exc}"
        ) from None
    return password_from_bytes(data, source=f"password file {path}")
