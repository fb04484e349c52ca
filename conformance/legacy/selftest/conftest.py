"""The legacy self-tests judge the toolkit (the legacy cases against the embedded legacy
reference, independent implementations and ports of the seeds), not a target: they run
in the project's own test run (tox sets SFT_TOOLKIT_TESTS=1) or with SFT_SELFTEST, and
are skipped, with the reason, in `pytest conformance` as a user types it."""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.toolkit_tests import skip_toolkit_tests

_HERE = Path(__file__).resolve().parent
# Unit tests of the suite's own DER helpers: cheap, always run.
_ALWAYS = frozenset({"test_der.py"})


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    skip_toolkit_tests(items, _HERE, always=_ALWAYS)
