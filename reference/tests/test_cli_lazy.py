"""The reference's parser imports only what the typed command needs (every client run
the conformance suite starts pays it), and still knows every command when asked."""

from __future__ import annotations

import subprocess
import sys

import pytest

from reference.cli import build_parser

_PROBE = (
    "import sys; from reference.cli import build_parser; "
    "p = build_parser(sys.argv[1:]); "
    "print(','.join(sorted(m for m in ('reference.cli.legacy', 'reference.cli.eke') "
    "if m in sys.modules)))"
)


@pytest.mark.parametrize(
    ("argv", "not_loaded"),
    [
        (["get", "alice@h:1", "f"], {"reference.cli.legacy", "reference.cli.eke"}),
        (["ca", "serve"], {"reference.cli.legacy", "reference.cli.eke"}),
        (["eke", "get"], {"reference.cli.legacy"}),
    ],
)
def test_a_command_loads_only_its_own_modules(argv: list[str], not_loaded: set[str]) -> None:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, *argv], capture_output=True, text=True, check=True
    )
    loaded = set(filter(None, done.stdout.strip().split(",")))
    assert not loaded & not_loaded, f"{argv}: imported {sorted(loaded & not_loaded)}"


@pytest.mark.parametrize("argv", [None, [], ["--help"], ["no-such-command"], ["--", "get"]])
def test_without_a_known_command_every_command_is_there(argv: list[str] | None) -> None:
    parser = build_parser(argv)
    sub = next(a for a in parser._actions if a.dest == "command")
    assert {"ca", "enroll", "peer", "get", "put", "eke", "legacy"} <= set(sub.choices or {})
