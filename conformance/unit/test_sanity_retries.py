"""The first sanity conversation is retried: one transient failure must not turn every
case of a profile into a harness ERROR, and a target that never answers stays down."""

from __future__ import annotations

from typing import Any

import pytest

from conformance import plugin
from conformance.plugin import SanityResult, run_sanity_with_retries


def _scripted(monkeypatch: pytest.MonkeyPatch, results: list[SanityResult]) -> list[float]:
    calls = iter(results)
    waits: list[float] = []
    monkeypatch.setattr(plugin, "run_sanity", lambda target: next(calls))
    monkeypatch.setattr("conformance.plugin.time.sleep", waits.append)
    return waits


def test_one_transient_failure_is_retried(monkeypatch: pytest.MonkeyPatch) -> None:
    waits = _scripted(
        monkeypatch,
        [SanityResult(False, "timed out"), SanityResult(True, "eke channel + get in 0.1 s")],
    )
    target: Any = object()
    result = run_sanity_with_retries(target)
    assert result.ok
    assert "1 failed attempt" in result.detail and "timed out" in result.detail
    assert waits == [plugin._SANITY_BACKOFF[0]]


def test_a_target_that_never_answers_is_down(monkeypatch: pytest.MonkeyPatch) -> None:
    waits = _scripted(
        monkeypatch, [SanityResult(False, f"refused {i}") for i in range(plugin._SANITY_ATTEMPTS)]
    )
    target: Any = object()
    result = run_sanity_with_retries(target)
    assert not result.ok
    assert (
        result.detail
        == f"refused {plugin._SANITY_ATTEMPTS - 1} ({plugin._SANITY_ATTEMPTS} attempt(s))"
    )
    assert len(waits) == plugin._SANITY_ATTEMPTS - 1


def test_a_missing_account_is_not_retried(monkeypatch: pytest.MonkeyPatch) -> None:
    waits = _scripted(monkeypatch, [SanityResult(False, "no eke account (give --user)")])
    target: Any = object()
    assert not run_sanity_with_retries(target).ok
    assert waits == []
