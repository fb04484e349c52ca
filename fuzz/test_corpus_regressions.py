"""Every saved case in fuzz/corpus/ runs as a requirement-tagged regression test.

A case is a past finding (shrunk by hypothesis) or a hand-picked hostile input; it
must now be handled: every oracle quiet, the target still serving. Cases for a
profile run against that profile's target (the embedded reference by default, or
`--target ... --profile ...`). The conformance suite may import `corpus_cases` and
`check_corpus_case` to run the same cases as conformance tests.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.target import Target
from fuzz.campaign import Fuzzer
from fuzz.cases import Case, load_case
from fuzz.runner import RunConfig

__all__ = ["CORPUS", "corpus_cases", "check_corpus_case"]

CORPUS = Path(__file__).parent / "corpus"


def corpus_cases(directory: Path = CORPUS) -> list[tuple[Path, Case]]:
    """Every case under `directory` (recursively), sorted by path."""
    return [(path, load_case(path)) for path in sorted(directory.rglob("*.json"))]


def check_corpus_case(target: Target, case: Case, deadline: float = 5.0) -> list[str]:
    """The violations the case still produces against `target` (empty when fixed)."""
    fuzzer = Fuzzer(target, RunConfig(deadline=deadline), liveness_every=1)
    _outcome, violations = fuzzer.run(case)
    return [str(v) for v in violations]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "corpus_case" not in metafunc.fixturenames:
        return
    config = metafunc.config
    wanted: tuple[str, ...] | None = None
    if config.getoption("--target") or config.getoption("--target-config"):
        wanted = (config.getoption("--profile") or "eke",)
    params = []
    for path, case in corpus_cases():
        if case.profile.endswith("-legacy") or case.extra.get("role") == "server":
            # Legacy findings are asserted by fuzz/test_legacy.py; hostile-server cases
            # (findings against an initiator) need --client-cmd: test_client_mode.py.
            continue
        if wanted is not None and case.profile not in wanted:
            continue
        marks = [pytest.mark.req(*case.requirements)] if case.requirements else []
        params.append(pytest.param(case.profile, case, id=path.stem, marks=marks))
    metafunc.parametrize(("fuzz_profile", "corpus_case"), params, scope="session")


def test_corpus_case_is_handled(fuzz_target: Target, corpus_case: Case) -> None:
    violations = check_corpus_case(fuzz_target, corpus_case)
    assert not violations, (
        f"{corpus_case.describe()} (saved for {', '.join(corpus_case.requirements)}):\n"
        + "\n".join(violations)
    )


test_corpus_case_is_handled.fuzz_profile_from_case = True  # type: ignore[attr-defined]
