"""The target options for every pytest run of the kit, registered once.

Loaded by the repository's root conftest.py (`pytest_plugins`), so `pytest conformance`,
`pytest fuzz`, `pytest conformance/legacy` and any mix of them see one `--target`,
`--profile`, ... with one meaning. The suites read them with
`TargetOptions.from_values(config.option)`.
"""

from __future__ import annotations

import pytest

from sftkit.target_options import register_target_options

__all__ = ["pytest_addoption"]


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("sft target", "the implementation under test (sft kit)")
    register_target_options(group.addoption)
