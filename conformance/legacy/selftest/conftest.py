"""The legacy self-tests judge the toolkit (the legacy cases against the embedded legacy
reference, independent implementations and ports of the seeds), not a target: they run
in the project's own test run (tox sets SFT_TOOLKIT_TESTS=1) or with SFT_SELFTEST, and
are skipped, with the reason, in `pytest conformance` as a user types it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

_HERE = Path(__file__).resolve().parent
# Unit tests of the suite's own DER helpers: cheap, always run.
_ALWAYS = frozenset({"test_der.py"})


def _enabled() -> bool:
    return bool(os.environ.get("SFT_TOOLKIT_TESTS") or os.environ.get("SFT_SELFTEST"))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if _enabled():
        return
    skip = pytest.mark.skip(
        reason="legacy self-test of the toolkit, not a case against a target: "
        "SFT_TOOLKIT_TESTS=1 (as tox sets) or SFT_SELFTEST=1 runs it"
    )
    resolved: dict[str, Path] = {}  # per file, not per item (every worker collects all)
    for item in items:
        name = str(item.path)
        path = resolved.get(name) or resolved.setdefault(name, Path(name).resolve())
        if path.parent == _HERE and path.name not in _ALWAYS:
            item.add_marker(skip)
