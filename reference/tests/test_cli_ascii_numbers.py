"""Ports, sizes and inherited descriptors are ASCII digits only: `str.isdigit()` also takes
"²" (which `int()` then refuses: a traceback instead of a usage error) and "٨٠"
(which `int()` reads as 80: another port than the user typed, silently). And any number
of ASCII digits is judged on its digits: `int()` refuses more than 4,300 of them (a
traceback), leading zeros change nothing."""

from __future__ import annotations

import argparse

import pytest

from reference.cli import CommandError, main
from reference.cli import ca as ca_cli
from reference.cli import eke as eke_cli
from reference.cli import legacy as legacy_cli
from reference.cli.options import parse_size
from reference.digits import decimal_at_most
from reference.pki.client import PkiClientError, parse_target

_NOT_ASCII = ["²", "٨٠", "８０", "1²"]
_TOO_MANY_DIGITS = "9" * 5000  # past int()'s 4,300-digit limit
_LONG_ZEROS = "0" * 5000 + "80"  # port 80, in 5,002 digits


@pytest.mark.parametrize("port", [*_NOT_ASCII, _TOO_MANY_DIGITS, "65536"])
def test_host_port_of_every_command_wants_ascii_digits(port: str) -> None:
    for parse in (eke_cli._host_port, legacy_cli._host_port, ca_cli.parse_listen):
        with pytest.raises(CommandError) as refused:
            parse(f"127.0.0.1:{port}")
        assert refused.value.exit_code == 2, parse


@pytest.mark.parametrize("port", [*_NOT_ASCII, _TOO_MANY_DIGITS])
def test_eke_get_to_a_port_in_other_digits_is_a_usage_error(
    port: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["eke", "get", f"127.0.0.1:{port}", "hello.txt", "--user", "u", "--password-stdin"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "HOST:PORT" in err and "Traceback" not in err, err
    assert len(err.strip().splitlines()) == 1, err


@pytest.mark.parametrize("size", ["٣", "²M", "１K", _TOO_MANY_DIGITS + "K"])
def test_a_size_in_other_digits_is_refused(size: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError):
        parse_size(size)


def test_ascii_forms_still_parse() -> None:
    assert eke_cli._host_port("127.0.0.1:8080") == ("127.0.0.1", 8080)
    assert ca_cli.parse_listen("[::1]:0") == ("::1", 0)
    assert parse_size("2M") == 2 * 1024 * 1024


def test_many_digits_are_judged_on_their_digits() -> None:
    assert eke_cli._host_port(f"127.0.0.1:{_LONG_ZEROS}") == ("127.0.0.1", 80)
    assert ca_cli.parse_listen(f"127.0.0.1:{_LONG_ZEROS}") == ("127.0.0.1", 80)
    assert decimal_at_most(_LONG_ZEROS, 65535) == 80
    assert decimal_at_most(_TOO_MANY_DIGITS, 2**63) is None
    assert decimal_at_most("65536", 65535) is None
    assert decimal_at_most("", 10) is None


@pytest.mark.parametrize("port", ["٨٠", "８０"])
def test_a_pki_target_port_in_other_digits_is_refused(port: str) -> None:
    with pytest.raises(PkiClientError):
        parse_target(f"alice@127.0.0.1:{port}")
