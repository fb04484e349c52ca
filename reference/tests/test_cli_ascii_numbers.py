"""Ports, sizes and inherited descriptors are ASCII digits only: `str.isdigit()` also takes
"²" (which `int()` then refuses: a traceback instead of a usage error) and "٨٠"
(which `int()` reads as 80: another port than the user typed, silently)."""

from __future__ import annotations

import argparse

import pytest

from reference.cli import CommandError, main
from reference.cli import ca as ca_cli
from reference.cli import eke as eke_cli
from reference.cli import legacy as legacy_cli
from reference.cli.options import parse_size

_NOT_ASCII = ["²", "٨٠", "８０", "1²"]


@pytest.mark.parametrize("port", _NOT_ASCII)
def test_host_port_of_every_command_wants_ascii_digits(port: str) -> None:
    for parse in (eke_cli._host_port, legacy_cli._host_port, ca_cli.parse_listen):
        with pytest.raises(CommandError) as refused:
            parse(f"127.0.0.1:{port}")
        assert refused.value.exit_code == 2, parse


@pytest.mark.parametrize("port", _NOT_ASCII)
def test_eke_get_to_a_port_in_other_digits_is_a_usage_error(
    port: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["eke", "get", f"127.0.0.1:{port}", "hello.txt", "--user", "u", "--password-stdin"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "HOST:PORT" in err and "Traceback" not in err, err
    assert len(err.strip().splitlines()) == 1, err


@pytest.mark.parametrize("size", ["٣", "²M", "１K"])
def test_a_size_in_other_digits_is_refused(size: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError):
        parse_size(size)


def test_ascii_forms_still_parse() -> None:
    assert eke_cli._host_port("127.0.0.1:8080") == ("127.0.0.1", 8080)
    assert ca_cli.parse_listen("[::1]:0") == ("::1", 0)
    assert parse_size("2M") == 2 * 1024 * 1024
