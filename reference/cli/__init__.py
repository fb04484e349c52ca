"""The reference's command line (`python -m reference ...`): the serving commands.

`ca`, `enroll`, `peer`, `get`, `put`, `eke` and `legacy` run the reference
implementation. The kit's `sft` command (sftkit/cli.py) offers these same commands by
calling `register_commands`, beside its own (audit, capture, fuzz, bench); the
reference imports nothing of the kit (sftkit/tests/test_layers.py).

Each module in `_COMMAND_MODULES` exposes `register(subparsers)`, which adds its
sub-commands; each sub-command sets `func(args) -> int` (the exit code).

Exit codes shared by every command: 0 success, 1 the job found a problem (a
refused transfer, a non-conformant target), 2 usage or environment error
(target unreachable, missing tool), 130 interrupted.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

__all__ = ["main", "build_parser", "register_commands", "run_command", "CommandError"]

_COMMAND_MODULES = (
    "reference.cli.ca",
    "reference.cli.pki",
    "reference.cli.eke",
    "reference.cli.legacy",
)


class CommandError(Exception):
    """A one-line message for the user; the command exits with `exit_code`."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def register_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the reference's serving commands to `sub` (here, and in the kit's `sft`)."""
    for name in _COMMAND_MODULES:
        importlib.import_module(name).register(sub)


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser; given the command line, only as far as the typed command needs.

    Every client run pays this parser's imports (the conformance suite starts the
    reference's client ~100 times a run, and a benchmark times whole commands): the
    modules are registered in order until the typed command word is known, so `get`
    does not import the legacy protocols. Help, `--version`, unknown words and a call
    without `argv` (every command, e.g. for documentation) get all.
    """
    parser = argparse.ArgumentParser(
        prog="python -m reference",
        description="the sft reference implementation: CA, PKI peer, EKE server and client, "
        "and the legacy protocols",
    )
    from reference.cli.options import add_version_option

    add_version_option(parser)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    word = None if argv is None else _command_word(argv)
    for name in _COMMAND_MODULES:
        importlib.import_module(name).register(sub)
        if word is not None and word in sub.choices:
            break
    return parser


def _command_word(argv: Sequence[str]) -> str | None:
    """The typed command (the first word that is not an option), if any."""
    for word in argv:
        if word == "--":
            return None
        if not word.startswith("-"):
            return word
    return None


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(argv)
    if getattr(args, "func", None) is None:
        parser.print_help(sys.stderr)
        return 2
    return run_command(args)


def run_command(args: argparse.Namespace) -> int:
    """Run a parsed command; its CommandError becomes a one-line message and exit code."""
    func = args.func
    try:
        code: int = func(args)
        return code
    except CommandError as exc:
        print(f"sft: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("sft: interrupted", file=sys.stderr)
        return 130
