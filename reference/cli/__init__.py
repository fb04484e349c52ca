"""The `sft` command line: one argparse tree, one module per command group.

Each module in `_COMMAND_MODULES` exposes `register(subparsers)`, which adds its
sub-commands; each sub-command sets `func(args) -> int` (the exit code). Modules
are imported lazily so that a missing optional part (e.g. pyshark for `capture`)
only affects its own commands.

Exit codes shared by every command: 0 success, 1 the job found a problem (a
refused transfer, a non-conformant target), 2 usage or environment error
(target unreachable, missing tool), 130 interrupted.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

__all__ = ["main", "build_parser", "CommandError"]

_COMMAND_MODULES = (
    "reference.cli.ca",
    "reference.cli.pki",
    "reference.cli.eke",
    "reference.cli.legacy",
    "reference.cli.capture",
    "reference.cli.audit",
)


class CommandError(Exception):
    """A one-line message for the user; the command exits with `exit_code`."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sft",
        description="sft: secure file transfer reference, conformance, fuzzing and capture kit",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in _COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:  # that command group is not built yet
                continue
            raise
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        code: int = func(args)
        return code
    except CommandError as exc:
        print(f"sft: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("sft: interrupted", file=sys.stderr)
        return 130
