"""The `sft` command: the kit's own commands, and the reference's serving commands.

The kit owns `audit` (conformance + fuzz + capture, one verdict), `capture record|check`,
`fuzz campaign|replay` and `bench`. The serving commands (`ca`, `enroll`, `peer`, `get`,
`put`, `eke`, `legacy`) are the reference implementation's: they are registered from
`reference.cli.register_commands` and run by `reference.cli.run_command`, exactly as
`python -m reference ...` runs them. The dependency goes one way: the kit knows the
reference, the reference knows nothing of the kit.

Exit codes shared by every command: 0 success, 1 the job found a problem (a refused
transfer, a non-conformant target), 2 usage or environment error (target unreachable,
missing tool), 130 interrupted.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

# One error type and one runner for every command, the kit's and the reference's: a
# CommandError becomes "sft: MESSAGE" on stderr and its exit code.
from reference.cli import CommandError, run_command

__all__ = ["main", "build_parser", "CommandError"]



def _register_fuzz(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    sub.add_parser(
        "fuzz",
        help="fuzz campaign or replay against a target (as `python -m fuzz`)",
        add_help=False,
        prefix_chars="\0",  # every word goes to `python -m fuzz`, --help included
    ).add_argument("fuzz_argv", nargs=argparse.REMAINDER)


def _register_bench(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    sub.add_parser(
        "bench",
        help="benchmarks: transfers, EKE handshakes, fuzz and capture throughput "
        "(as `python -m reference.bench`)",
        add_help=False,
        prefix_chars="\0",
    ).add_argument("bench_argv", nargs=argparse.REMAINDER)


def build_parser() -> argparse.ArgumentParser:
    from audit.cli import register as register_audit
    from reference.cli import register_commands
    from reference.cli.options import add_version_option
    from sftkit.capture_command import register as register_capture

    parser = argparse.ArgumentParser(
        prog="sft",
        description="sft: secure file transfer conformance, fuzzing and capture kit, "
        "with a reference implementation",
    )
    add_version_option(parser)
    # Not dest="command": `capture record` has a positional of that name.
    sub = parser.add_subparsers(dest="sft_command", metavar="COMMAND")
    register_audit(sub)
    register_capture(sub)
    _register_fuzz(sub)
    _register_bench(sub)
    register_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args = parser.parse_args(words)
    if args.sft_command == "fuzz":
        from fuzz.__main__ import main as fuzz_main

        return fuzz_main(args.fuzz_argv)
    if args.sft_command == "bench":
        from reference.bench import main as bench_main

        return bench_main(args.bench_argv)
    if getattr(args, "func", None) is None:
        parser.print_help(sys.stderr)
        return 2
    return run_command(args)
