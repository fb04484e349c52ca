"""The command line's shared vocabulary: one name per concept in every profile.

Every command spells a concept the same way (`--max-frame`, `--as`, `-q/--quiet`,
`--connect-timeout`/`--handshake-timeout`/`--idle-timeout`, `--password-stdin` /
`--password-file`). Spellings an older release used stay accepted as hidden,
deprecated aliases (`deprecated_alias`): scripts keep working, and are told the
new name on stderr once per use.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from reference.cli import CommandError
from reference.digits import decimal_at_most
from reference.share import PARTIAL_PREFIX

__all__ = [
    "deprecated_alias",
    "add_version_option",
    "package_version",
    "parse_size",
    "read_password_file",
    "check_output_directory",
]


class _DeprecatedAlias(argparse.Action):
    """An old spelling: stores into the new option's destination(s) and says so.

    Hidden from --help (`argparse.SUPPRESS`) and with no default of its own, so the new
    option's default stands when the old spelling is not used.
    """

    def __init__(
        self,
        option_strings: Sequence[str],
        dest: str,
        *,
        replacement: str,
        also: Sequence[str] = (),
        **kwargs: Any,
    ) -> None:
        kwargs.pop("help", None)
        kwargs.pop("default", None)
        super().__init__(
            option_strings, dest, help=argparse.SUPPRESS, default=argparse.SUPPRESS, **kwargs
        )
        self.replacement = replacement
        self.also = tuple(also)

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: str | Sequence[Any] | None,
        option_string: str | None = None,
    ) -> None:
        print(
            f"sft: {option_string} is deprecated, use {self.replacement}",
            file=sys.stderr,
        )
        for dest in (self.dest, *self.also):
            setattr(namespace, dest, values)


def deprecated_alias(
    parser: argparse.ArgumentParser | argparse._ArgumentGroup,
    old: str,
    *,
    dest: str,
    replacement: str,
    also: Sequence[str] = (),
    **kwargs: Any,
) -> None:
    """Accept `old` as a hidden spelling of `replacement` (same `dest`; `also`: more
    destinations it sets, e.g. one old `--timeout` for two new timeouts)."""
    parser.add_argument(
        old, dest=dest, action=_DeprecatedAlias, replacement=replacement, also=also, **kwargs
    )


def package_version() -> str:
    """The installed distribution's version (one source: pyproject.toml)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("sft-kit")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown"


class _VersionAction(argparse.Action):
    """`--version`, looked up only when asked: reading the package metadata costs every
    command ~40 ms of imports otherwise (each client run the conformance suite starts)."""

    def __init__(self, option_strings: list[str], dest: str, **kwargs: Any) -> None:
        kwargs.setdefault("nargs", 0)
        kwargs.setdefault("default", argparse.SUPPRESS)
        super().__init__(option_strings, dest, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, *args: Any, **kwargs: Any) -> None:
        print(f"{parser.prog} {package_version()}")  # stdout, as argparse's own action
        parser.exit()


def add_version_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--version", action=_VersionAction, help="print the version and exit")


def parse_size(text: str) -> int:
    """A size in bytes with an optional K/M/G/T suffix (powers of 1024): 4G, 512K, 1000."""
    units = {"K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4}
    cleaned = text.strip().upper().removesuffix("B").removesuffix("I")
    suffix = cleaned[-1:] if cleaned[-1:] in units else ""
    number = cleaned[: len(cleaned) - len(suffix)]
    value = decimal_at_most(number, 2**63)
    if value is None:
        raise argparse.ArgumentTypeError(f"not a size (ASCII digits, at most 2^63): {text!r}")
    return value * units.get(suffix, 1)


def read_password_file(path: Path) -> str:
    """A password file as docs/SPEC.md PWF-1 says: UTF-8, one line; exactly one trailing
    LF or CRLF goes, nothing else is trimmed, and a CR or LF left inside is an error (a
    second line is not silently dropped: it may be half of the password)."""
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as exc:
        raise CommandError(f"cannot read the password file: {exc.strerror}", 2) from None
    except UnicodeDecodeError:
        raise CommandError("the password file is not UTF-8", 2) from None
    password = text[:-2] if text.endswith("\r\n") else text.removesuffix("\n")
    if "\r" in password or "\n" in password:
        raise CommandError("the password file holds more than one line", 2)
    return password


def read_password_stdin() -> str:
    """One line of standard input, read as PWF-1 reads a password file: UTF-8 (bytes that
    are not arrive as lone surrogates, which no password key can be made of: a one-line
    error, not a traceback), and exactly one trailing LF or CRLF goes, nothing else."""
    try:
        line = sys.stdin.readline()
        line.encode("utf-8")
    except UnicodeError:
        raise CommandError("the password on standard input is not UTF-8", 2) from None
    password = line[:-2] if line.endswith("\r\n") else line.removesuffix("\n")
    if "\r" in password:  # a lone CR: a line ending of another system, or half a password
        raise CommandError("the password on standard input holds a CR (PWF-1)", 2)
    return password


def check_output_directory(destination: Path) -> None:
    """Where a get will write must be a directory, checked before connecting: a typo is
    an environment error (exit 2) found at once, not after a login."""
    parent = destination.parent if str(destination.parent) else Path(".")
    if not parent.is_dir():
        raise CommandError(f"{parent} is not a directory", 2)
    if destination.name.startswith(PARTIAL_PREFIX):
        # [APP-STORE-3] a later get into this directory sweeps such names as unfinished
        # downloads: a file committed under one would be deleted.
        raise CommandError(
            f"{destination.name!r} starts with {PARTIAL_PREFIX!r}, the prefix of unfinished "
            "downloads (removed by later gets): choose another output name",
            2,
        )


def wire_name(name: str, *, hint: str = "") -> str:
    """A file name to send in a request, checked before connecting: names travel as UTF-8
    (FRM-14), and a name typed or derived from bytes that are not UTF-8 (argv and file
    names arrive surrogate-escaped) is a usage error with a message, not a traceback
    after the login."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        shown = name.encode("utf-8", "backslashreplace").decode("ascii", "replace")
        raise CommandError(f"the file name {shown!r} is not valid UTF-8{hint}", 2) from None
    return name
