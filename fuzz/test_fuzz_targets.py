"""The fuzz campaigns as pytest tests: one per profile and stage, plus resources.

Each test draws cases (honest scripts with composed mutations), runs them against the
target, applies every oracle and a liveness probe, and on failure lets hypothesis
shrink the case, then saves the minimal one in the findings directory (fuzz/corpus by
default) with the requirement it breaks and the command that replays it.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

import pytest
from hypothesis import given, seed
from hypothesis.database import ExampleDatabase
from hypothesis.stateful import run_state_machine_as_test

from conformance.target import Target
from fuzz.campaign import BudgetSpent, FindingRecorder, Fuzzer, replay_hint, run_campaign
from fuzz.cases import Case, Stage, Write
from fuzz.machines import machine_for
from fuzz.runner import RunConfig
from fuzz.settings import current_profile, fuzz_settings, run_seed
from fuzz.strategies import cases


def _campaign(
    target: Target,
    stages: Sequence[Stage],
    findings: Path,
    database: ExampleDatabase | None,
) -> Fuzzer:
    profile = current_profile()
    fuzzer = Fuzzer(
        target,
        RunConfig(deadline=profile.deadline),
        liveness_every=profile.liveness_every,
        progress=sys.stderr if profile.name != "quick" else None,
    )
    result = run_campaign(
        fuzzer,
        tuple(stages),
        max_examples=profile.max_examples,
        budget_seconds=profile.budget_seconds,
        seed_value=run_seed(),
        findings=findings,
        database=database,
    )
    print(f"\n[seed {run_seed()}] {target.profile} {'/'.join(stages)}: {fuzzer.stats.summary()}")
    assert result.ok, result.failure
    return fuzzer


@pytest.mark.req("LIM-5", "FRM-3", "FRM-4", "FRM-6", "FRM-7", "FRM-9", "APP-GET-2", "APP-PUT-5")
def test_fuzz_application_frames(
    fuzz_target: Target, findings_dir: Path, example_db: ExampleDatabase | None
) -> None:
    """Mutated application conversations inside the secure channel (both profiles)."""
    fuzzer = _campaign(fuzz_target, ("channel",), findings_dir, example_db)
    assert fuzzer.stats.sessions > 0, "no case reached the target"


_F = TypeVar("_F", bound=Callable[..., None])


def _eke_only(fn: _F) -> _F:
    """Only parametrized with profile eke (read by fuzz/conftest.py)."""
    fn.fuzz_profiles = ("eke",)  # type: ignore[attr-defined]
    return fn


@_eke_only
@pytest.mark.req("EKE-HS-1", "EKE-HS-8", "EKE-HS-9", "EKE-X-3", "LIM-5", "EKE-THR-2")
def test_fuzz_eke_handshake(
    fuzz_target: Target, fuzz_profile: str, findings_dir: Path, example_db: ExampleDatabase | None
) -> None:
    """Mutated EKE1/EKE3 and out-of-order handshake frames, in clear."""
    fuzzer = _campaign(fuzz_target, ("connect", "eke2"), findings_dir, example_db)
    assert fuzzer.stats.sessions > 0


@pytest.mark.req("LIM-5", "LIM-6")
def test_resources_stay_bounded(fuzz_target: Target) -> None:
    """RSS, threads and descriptors of the embedded server do not grow with hostile input."""
    fuzzer = Fuzzer(fuzz_target, RunConfig(deadline=current_profile().deadline), liveness_every=0)
    if fuzzer.probe is None:
        pytest.skip("resource bounds are checked on the embedded reference only (needs /proc)")
    warm_up = 3

    @seed(run_seed())
    @fuzz_settings(max_examples=warm_up + 20, database=None)
    @given(case=cases(fuzz_target.profile, fuzzer.knowledge))  # type: ignore[arg-type]
    def hostile(case: Case) -> None:
        fuzzer.run(case)
        # Imports, caches and thread pools settle during the warm-up, then the baseline.
        if fuzzer.stats.examples == warm_up:
            fuzzer.take_baseline()

    hostile()
    assert fuzzer.baseline is not None
    violations = fuzzer.resource_violations()
    assert not violations, "\n".join(str(v) for v in violations)


_FAILED_CONNECTIONS = 40


@pytest.mark.req("LIM-6")
def test_failed_connections_release_their_memory(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """The memory of an eke connection ended by a protocol error is freed when it ends."""
    if request.config.getoption("--target") or request.config.getoption("--target-config"):
        pytest.skip("resource bounds are checked on the embedded reference only (needs /proc)")
    from conformance.embedded import start_embedded
    from fuzz.oracles import measurable_allocator

    # A fresh server of its own: the garbage of earlier tests, and a full collection it
    # may trigger, would make the growth depend on what ran before.
    with measurable_allocator():
        target = start_embedded("eke", tmp_path)
    try:
        fuzzer = Fuzzer(target, RunConfig(deadline=current_profile().deadline), liveness_every=0)
        if fuzzer.probe is None:
            pytest.skip("needs /proc to read the embedded server's RSS")
        not_json = Write(b"RQFL" + (3).to_bytes(4, "big") + b"abc")  # answered EROR bad_frame
        case = Case("eke", "channel", (not_json,))
        fuzzer.run(case)  # warm-up: imports, caches
        fuzzer.take_baseline()
        for _ in range(_FAILED_CONNECTIONS):
            outcome, found = fuzzer.run(case)
            assert outcome is not None and outcome.frame_types() == ("EROR",), found
        violations = fuzzer.resource_violations()
    finally:
        target.stop()
    assert not violations, "\n".join(str(v) for v in violations)


@pytest.mark.req("LIM-5", "FRM-6", "APP-3", "APP-2", "APP-PUT-5", "EKE-REC-4")
def test_stateful_machine(fuzz_target: Target, findings_dir: Path) -> None:
    """Honest walks of the protocol with a mutation injected at a random state."""
    profile = current_profile()
    fuzzer = Fuzzer(fuzz_target, RunConfig(deadline=profile.deadline), liveness_every=0)
    broken = fuzzer.sanity()
    if broken:
        pytest.fail(f"target down or misconfigured: {broken}")
    recorder = FindingRecorder()
    machine = machine_for(fuzzer, recorder, profile.budget_seconds)
    runner = machine.TestCase
    runner.settings = fuzz_settings(max_examples=max(4, profile.max_examples // 2))
    try:
        run_state_machine_as_test(machine, settings=runner.settings)
    except BudgetSpent:
        pass
    except AssertionError as exc:
        path = recorder.save(findings_dir)
        raise AssertionError(f"{exc}{replay_hint(path, fuzz_target)}") from None
    finally:
        print(f"\n[seed {run_seed()}] {fuzz_target.profile} stateful: {fuzzer.stats.summary()}")
    assert fuzzer.stats.sessions > 0
