"""`parse_hostport`: the kit's one HOST:PORT parser."""

from __future__ import annotations

import pytest

from sftkit.hostport import HostPortError, parse_hostport
from sftkit.outcomes import TargetConfigError


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("127.0.0.1:7000", ("127.0.0.1", 7000)),
        ("localhost:1", ("localhost", 1)),
        ("host.example:65535", ("host.example", 65535)),
        ("[::1]:7000", ("::1", 7000)),
        ("[fe80::1%lo]:22", ("fe80::1%lo", 22)),
    ],
)
def test_valid(text: str, expected: tuple[str, int]) -> None:
    assert parse_hostport(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "127.0.0.1:0",  # port 0 names no server
        "127.0.0.1:65536",
        "127.0.0.1:99999",
        "127.0.0.1:",
        ":7000",
        "127.0.0.1",
        "127.0.0.1:+80",
        "127.0.0.1:-1",
        "127.0.0.1: 80",
        "127.0.0.1:8O",
        "127.0.0.1:\u0661\u0662",  # Arabic-Indic digits pass str.isdigit()
        "::1:7000",  # unbracketed IPv6: ambiguous
        "[]:7000",
        " 127.0.0.1:7000",
        "127.0.0.1:123456",
    ],
)
def test_invalid(text: str) -> None:
    with pytest.raises(HostPortError, match="HOST:PORT"):
        parse_hostport(text)


def test_the_error_is_a_target_config_error_naming_the_option() -> None:
    with pytest.raises(TargetConfigError, match="--listen"):
        parse_hostport("x", option="--listen")
