"""Which tests judge the toolkit rather than a target.

`pytest conformance` as a user types it judges a target: its cases. The toolkit's own
tests under conformance/ — unit tests of the tester, the self-test against mutants and
independent implementations, the legacy self-tests — judge the kit itself: they run in
the project's test run (tox sets SFT_TOOLKIT_TESTS=1) or with SFT_SELFTEST, and are
skipped there with the reason, so that a verdict costs only its cases' time.
"""

from __future__ import annotations

import os
from collections.abc import Collection
from pathlib import Path

import pytest

__all__ = ["toolkit_tests_enabled", "skip_toolkit_tests"]


def toolkit_tests_enabled() -> bool:
    return bool(os.environ.get("SFT_TOOLKIT_TESTS") or os.environ.get("SFT_SELFTEST"))


def skip_toolkit_tests(
    items: list[pytest.Item], directory: Path, *, always: Collection[str] = ()
) -> None:
    """Marks the items under `directory` (but files named in `always`) skipped, with the
    reason, unless the toolkit's tests are enabled."""
    if toolkit_tests_enabled():
        return
    skip = pytest.mark.skip(
        reason="a test of the toolkit itself, not a case against a target: "
        "SFT_TOOLKIT_TESTS=1 (as tox sets) or SFT_SELFTEST=1 runs it"
    )
    resolved: dict[str, Path] = {}  # per file, not per item (every worker collects all)
    for item in items:
        name = str(item.path)
        path = resolved.get(name) or resolved.setdefault(name, Path(name).resolve())
        if directory in path.parents and path.name not in always:
            item.add_marker(skip)
