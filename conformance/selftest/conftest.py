"""The self-tests judge the toolkit (mutants of the reference, independent
implementations, the suite's own reports), not a target: they run in the project's test
run (tox sets SFT_TOOLKIT_TESTS=1) or with SFT_SELFTEST, and are skipped, with the
reason, in `pytest conformance` as a user types it (conformance/toolkit_tests.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.toolkit_tests import skip_toolkit_tests

_HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    skip_toolkit_tests(items, _HERE)
