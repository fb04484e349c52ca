"""A whole campaign: quiet against an honest target; against a mutant it finds, shrinks,
saves a replayable case, and `python -m fuzz replay` reproduces it."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from conformance.target import Target
from fuzz.campaign import Fuzzer, run_campaign
from fuzz.cases import Case, load_case
from fuzz.oracles import Violation
from fuzz.runner import Outcome, RunConfig
from fuzz.tests.fake_target import FILE_BYTES, FILE_NAME, PASSWORD, Bugs, FakeEkeServer

SHA = hashlib.sha256(FILE_BYTES).hexdigest()


@pytest.fixture
def fake(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[FakeEkeServer, Target]]:
    server = FakeEkeServer(getattr(request, "param", Bugs()))
    share = tmp_path / "share"
    share.mkdir()
    (share / FILE_NAME).write_bytes(FILE_BYTES)
    yield server, server.target().with_changes(share=share)
    server.close()


def _fuzz(
    target: Target,
    findings: Path,
    examples: int,
    liveness_every: int = 1,
    max_requests: int = 32,
) -> tuple[Fuzzer, str, Path | None]:
    fuzzer = Fuzzer(
        target, RunConfig(deadline=1.0, setup_timeout=5.0), liveness_every=liveness_every
    )
    result = run_campaign(
        fuzzer,
        ("connect", "eke2", "channel"),
        max_examples=examples,
        budget_seconds=30.0,
        seed_value=12345,
        findings=findings,
        max_requests=max_requests,
    )
    return fuzzer, result.failure, result.saved


def test_an_honest_target_survives_a_campaign(
    fake: tuple[FakeEkeServer, Target], tmp_path: Path
) -> None:
    fuzzer, failure, saved = _fuzz(fake[1], tmp_path / "findings", 25)
    assert failure == "" and saved is None
    assert fuzzer.stats.sessions >= 25 and len(fuzzer.stats.responses) >= 2


@pytest.mark.parametrize("fake", [Bugs(wrong_bytes_pipelined=True)], indirect=True)
def test_a_failure_is_shrunk_saved_and_replayed(
    fake: tuple[FakeEkeServer, Target], tmp_path: Path
) -> None:
    _fuzzer, failure, saved = _fuzz(
        fake[1], tmp_path / "findings", 200, liveness_every=0, max_requests=8
    )
    assert "APP-GET-2" in failure and saved is not None and "python -m fuzz replay" in failure
    case = load_case(saved)
    assert "APP-GET-2" in case.requirements
    # Shrunk: the minimal failing input is two pipelined gets of the file.
    assert case.stage == "channel" and len(case.writes) == 2, case.describe()
    (tmp_path / "alice.pw").write_text(PASSWORD + "\n")
    target = fake[1]
    # The conformance suite's target file: the replay knows the file's SHA-256 from it.
    config = tmp_path / "target.toml"
    config.write_text(
        f'profile = "eke"\ntarget = "{target.host}:{target.port}"\n'
        '[eke]\naccounts = [{user = "alice", password_file = "alice.pw"}]\n'
        f'[files]\n"{FILE_NAME}" = {{size = {len(FILE_BYTES)}, sha256 = "{SHA}"}}\n'
    )
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "fuzz",
            "replay",
            str(saved),
            "--target-config",
            str(config),
            "--deadline",
            "1",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "APP-GET-2" in done.stdout and "FAIL" in done.stdout


def test_the_campaign_command_prints_seed_progress_and_statistics(
    fake: tuple[FakeEkeServer, Target], tmp_path: Path
) -> None:
    target = fake[1]
    (tmp_path / "alice.pw").write_text(PASSWORD + "\n")
    config = tmp_path / "target.toml"
    config.write_text(
        f'profile = "eke"\ntarget = "{target.host}:{target.port}"\n'
        '[eke]\naccounts = [{user = "alice", password_file = "alice.pw"}]\n'
    )
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "fuzz",
            "campaign",
            "--target-config",
            str(config),
            "--examples",
            "8",
            "--seconds",
            "20",
            "--seed",
            "4242",
            "--deadline",
            "1",
            "--progress-every",
            "0",
            "--findings",
            str(tmp_path / "findings"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert "seed 4242" in out and "fuzz progress:" in out
    assert "fuzz statistics: examples=8 " in out and "distinct_responses=" in out
    assert "failures=0" in out


def _planted_harness_bug(fuzzer: Fuzzer, monkeypatch: pytest.MonkeyPatch, calls: set[int]) -> None:
    """`fuzzer.run` raises KeyError on the given call numbers (a bug of the harness)."""
    real = fuzzer.run
    count = [0]

    def run(case: Case) -> tuple[Outcome | None, list[Violation]]:
        count[0] += 1
        if count[0] in calls or not calls:
            raise KeyError("planted harness bug")
        return real(case)

    monkeypatch.setattr(fuzzer, "run", run)


@pytest.mark.parametrize("reproducible", [False, True])
def test_a_crash_of_the_fuzzer_is_reported_with_its_case_and_traceback(
    fake: tuple[FakeEkeServer, Target],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    reproducible: bool,
) -> None:
    # Once only, it does not reproduce on replay: hypothesis raises Flaky, whose own
    # message names neither the exception nor where it was raised.
    fuzzer = Fuzzer(fake[1], RunConfig(deadline=1.0, setup_timeout=5.0), liveness_every=0)
    _planted_harness_bug(fuzzer, monkeypatch, set() if reproducible else {3})
    result = run_campaign(
        fuzzer,
        ("channel",),
        max_examples=10,
        # The planted bug ends the campaign at the first example; the bound only matters
        # on a loaded machine, where 30 s ran out before an example was drawn.
        budget_seconds=120.0,
        seed_value=7,
        findings=tmp_path / "findings",
    )
    assert ("timing-dependent" in result.failure) is not reproducible, result.failure
    assert "harness error (a bug of the fuzzer, no verdict on the target)" in result.failure
    assert "case: eke/channel" in result.failure
    assert "KeyError: 'planted harness bug'" in result.failure, result.failure
    # Saved for replay, but not among the findings: it says nothing about the target.
    assert result.saved is None and not (tmp_path / "findings").exists()
    saved = Path(result.failure.split("\nsaved: ", 1)[1].split("\n", 1)[0])
    assert "python -m fuzz replay " + str(saved) in result.failure
    case = load_case(saved)
    assert case.requirements == () and "KeyError" in case.note
    saved.unlink()
