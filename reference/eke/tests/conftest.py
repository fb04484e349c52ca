"""Fixtures of the sft-eke/1 reference tests."""

from __future__ import annotations

from pathlib import Path

import pytest


def pytest_configure(config: pytest.Config) -> None:
    # reference.eke.crypto reaches OpenSSL's modexp through cryptography's deprecated
    # FFDH API on purpose (see its module docstring); pytest resets the module's own
    # warning filter per test, so the same narrow filter is declared here.
    config.addinivalue_line(
        "filterwarnings",
        "ignore:Diffie-Hellman over finite fields"
        ":cryptography.utils.CryptographyDeprecationWarning",
    )


_HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # `slow` tests of this directory run only when asked for (`-m slow`).
    if "slow" in (config.getoption("markexpr") or ""):
        return
    skip = pytest.mark.skip(reason="slow: run with -m slow")
    for item in items:
        if item.get_closest_marker("slow") and _HERE in Path(str(item.fspath)).resolve().parents:
            item.add_marker(skip)
