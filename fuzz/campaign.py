"""A fuzz campaign: run cases, apply every oracle, probe liveness, keep statistics.

`Fuzzer` is shared by the pytest entry (`fuzz/test_fuzz_targets.py`), the stateful
machines, `python -m fuzz campaign` and the benchmark. It never decides what to send:
hypothesis does (strategies, shrinking); the fuzzer runs a case and says what broke.
"""

from __future__ import annotations

import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from conformance.target import Target
from fuzz.cases import Case, save_case
from fuzz.oracles import ResourceProbe, ResourceSample, Secrets, Violation, check_outcome
from fuzz.runner import (
    ChannelsAhead,
    Outcome,
    RunConfig,
    SetupFailed,
    honest_session,
    known_file_bytes,
    run_case,
)
from fuzz.strategies import Knowledge
from sftkit.outcomes import TargetDown

__all__ = [
    "CampaignStats",
    "Fuzzer",
    "FindingRecorder",
    "knowledge_for",
    "secrets_for",
    "replay_hint",
    "CampaignResult",
    "run_campaign",
    "BudgetSpent",
]


def secrets_for(target: Target) -> Secrets:
    files = known_file_bytes(target)
    canary = b""
    if target.share is not None:
        path = target.share.parent / "outside" / "secret.txt"
        canary = path.read_bytes() if path.exists() else b""
    return Secrets(
        files={k: v for k, v in files.items() if v},
        sha256={f.name: f.sha256 for f in target.files},
        passwords=tuple(a.password for a in target.accounts),
        canary=canary,
    )


def knowledge_for(target: Target) -> Knowledge:
    files = known_file_bytes(target)
    name = next((f.name for f in target.files if f.size), "hello.txt")
    return Knowledge(
        file_name=name,
        file_bytes=files.get(name, b""),
        user=target.accounts[0].user if target.accounts else "",
        canary_name="escape/secret.txt" if target.share is not None else "",
    )


@dataclass
class CampaignStats:
    started: float = field(default_factory=time.monotonic)
    examples: int = 0
    sessions: int = 0
    # Mutated sessions (cases run) and the requests they delivered (a case of one
    # request, or a handshake-stage case, counts 1); `sessions` also counts liveness.
    mutated_sessions: int = 0
    requests: int = 0
    setup_failures: int = 0
    failures: int = 0
    responses: Counter[str] = field(default_factory=Counter)
    violations: Counter[str] = field(default_factory=Counter)

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def rate(self) -> float:
        return self.sessions / self.elapsed if self.elapsed > 0 else 0.0

    def request_rate(self) -> float:
        return self.requests / self.elapsed if self.elapsed > 0 else 0.0

    def mutated_session_rate(self) -> float:
        return self.mutated_sessions / self.elapsed if self.elapsed > 0 else 0.0

    def line(self) -> str:
        return (
            f"examples={self.examples} sessions={self.sessions} "
            f"({self.rate():.1f}/s) requests={self.requests} "
            f"({self.request_rate():.1f}/s) distinct_responses={len(self.responses)} "
            f"failures={self.failures} setup_failures={self.setup_failures}"
        )

    def summary(self) -> str:
        lines = [f"fuzz statistics: {self.line()} in {self.elapsed:.1f} s"]
        for sig, count in self.responses.most_common(12):
            lines.append(f"  {count:6d}  {sig}")
        for req, count in sorted(self.violations.items()):
            lines.append(f"  violation {req}: {count}")
        return "\n".join(lines)


class Fuzzer:
    """Runs cases against one target and judges them."""

    def __init__(
        self,
        target: Target,
        config: RunConfig | None = None,
        *,
        liveness_every: int = 1,
        progress: TextIO | None = None,
        progress_every: float = 5.0,
    ) -> None:
        self.target = target
        self.config = config or RunConfig()
        self.secrets = secrets_for(target)
        self.knowledge = knowledge_for(target)
        self.liveness_every = max(0, liveness_every)
        self.stats = CampaignStats()
        self.progress = progress
        self._progress_every = progress_every
        self._last_progress = time.monotonic()
        # Set by `run_campaign` for its duration: channels established ahead.
        self.ahead: ChannelsAhead | None = None
        self.probe: ResourceProbe | None = None
        self.baseline: ResourceSample | None = None
        if target.pid is not None:
            probe = ResourceProbe(target.pid)
            if probe.available():
                self.probe = probe

    def sanity(self) -> str:
        """An honest session before fuzzing: if it fails, the target is down or
        misconfigured, not non-conformant (docs/ARCHITECTURE.md §5 rule 5). Empty string
        when fine."""
        live = honest_session(self.target, self.config, self.secrets.files)
        return "" if live.ok else f"sanity session failed: {live.detail}"

    def take_baseline(self) -> None:
        if self.probe is not None:
            self.baseline = self.probe.sample()

    def run(self, case: Case) -> tuple[Outcome | None, list[Violation]]:
        """One case plus, every `liveness_every` cases, a fresh honest session."""
        self.stats.examples += 1
        violations: list[Violation] = []
        outcome: Outcome | None = None
        for attempt in (1, 2):
            try:
                outcome = run_case(self.target, case, self.config, self.ahead)
            except SetupFailed as exc:
                # The honest prefix failed. Rerun once (labelled, never silently): on a
                # loaded machine an honest handshake can miss a short embedded timeout.
                self.stats.setup_failures += 1
                if attempt == 2:
                    violations.append(
                        Violation("LIM-5", f"honest setup failed twice before the case: {exc}")
                    )
                continue
            self.stats.sessions += 1
            self.stats.mutated_sessions += 1
            self.stats.requests += outcome.requests_sent
            self.stats.responses[outcome.signature()] += 1
            violations += check_outcome(outcome, self.secrets, self.config.deadline)
            break
        if self.liveness_every and self.stats.examples % self.liveness_every == 0:
            live = honest_session(self.target, self.config, self.secrets.files)
            if not live.ok and live.requirement == "LIM-5":
                live = honest_session(self.target, self.config, self.secrets.files)
            self.stats.sessions += 1
            if not live.ok:
                violations.append(
                    Violation(
                        live.requirement,
                        f"a fresh honest session failed after the case: {live.detail}",
                    )
                )
        if violations:
            self.stats.failures += 1
            for v in violations:
                self.stats.violations[v.requirement] += 1
        self._maybe_progress()
        return outcome, violations

    def resource_violations(self) -> list[Violation]:
        """Growth of the embedded target's RSS/threads/fds since `take_baseline`."""
        if self.probe is None or self.baseline is None:
            return []
        # Handler threads of the last sessions may still be finishing: re-sample a few
        # times (bounded) and judge the smallest growth seen.
        best: list[Violation] | None = None
        for _ in range(20):
            found = ResourceProbe.growth(self.baseline, self.probe.sample())
            if not found:
                return []
            best = found
            time.sleep(0.1)
        return best or []

    def _maybe_progress(self) -> None:
        if self.progress is None:
            return
        now = time.monotonic()
        if now - self._last_progress >= self._progress_every:
            self._last_progress = now
            print(f"fuzz progress: {self.stats.line()}", file=self.progress, flush=True)


@dataclass
class FindingRecorder:
    """Keeps the last failing case: after shrinking, hypothesis replays the minimal one last."""

    last: tuple[Case, list[Violation]] | None = None
    # The last case on which the fuzzer itself raised, with the traceback: a bug of the
    # harness, no verdict on the target, but without it a non-reproducing crash is
    # reported as nothing more than "Hypothesis ... produces unreliable results".
    crash: tuple[Case, str] | None = None

    def record(self, case: Case, violations: list[Violation]) -> None:
        self.last = (case, violations)

    def record_crash(self, case: Case) -> None:
        """Called from an `except` block: keeps the case and the exception's traceback."""
        self.crash = (case, traceback.format_exc(limit=-8))

    def crash_report(self, target: Target) -> str:
        """The traceback and the case, saved outside the corpus (it is no finding on the
        target) so that `python -m fuzz replay` reproduces it once the fuzzer is fixed."""
        if self.crash is None:
            return ""
        case, trace = self.crash
        saved = save_case(
            case.with_findings([], "harness error: " + trace.strip().splitlines()[-1][:500]),
            Path(tempfile.gettempdir()) / "sft-fuzz-crashes",
        )
        return (
            "harness error (a bug of the fuzzer, no verdict on the target) on "
            f"case: {case.describe()}\n{trace.rstrip()}{replay_hint(saved, target)}"
        )

    def save(self, directory: Path, name: str | None = None) -> Path | None:
        if self.last is None:
            return None
        case, violations = self.last
        reqs = sorted({v.requirement for v in violations})
        note = "; ".join(str(v) for v in violations)[:2000]
        return save_case(case.with_findings(reqs, note), directory, name)


def replay_hint(path: Path | None, target: Target) -> str:
    """The lines a person needs to reproduce a saved finding."""
    if path is None:
        return ""
    where = f"{target.host}:{target.port}"
    return (
        f"\nsaved: {path}\nreplay: python -m fuzz replay {path} "
        f"--target {where} --profile {target.profile}"
    )


class BudgetSpent(BaseException):
    """Not an Exception: hypothesis lets it through instead of shrinking it as a failure."""


@dataclass
class CampaignResult:
    fuzzer: Fuzzer
    failure: str = ""
    saved: Path | None = None
    # The honest baseline failed before anything was fuzzed: a harness error (exit 2),
    # not a finding.
    target_down: bool = False

    @property
    def ok(self) -> bool:
        return not self.failure


def run_campaign(
    fuzzer: Fuzzer,
    stages: tuple[str, ...],
    *,
    max_examples: int,
    budget_seconds: float,
    seed_value: int,
    findings: Path | None,
    database: object = None,
    max_mutations: int = 3,
    max_requests: int = 32,
) -> CampaignResult:
    """One hypothesis campaign: draw, run, judge; on failure shrink and save the case.

    Bounded twice: `max_examples` cases at most, and once `budget_seconds` have passed
    the next case raises `BudgetSpent`, which ends the run at once. A channel case is a
    session of up to `max_requests` requests on one connection (1: the old one-request
    cases).
    """
    from hypothesis import given, seed

    from fuzz.settings import fuzz_settings
    from fuzz.strategies import cases

    broken = fuzzer.sanity()
    if broken:
        return CampaignResult(
            fuzzer, f"{TargetDown(broken)}; nothing fuzzed", target_down=True
        )
    recorder = FindingRecorder()
    budget_end = time.monotonic() + budget_seconds
    overrides: dict[str, object] = {"max_examples": max_examples}
    if database is not None:
        overrides["database"] = database
    strategy = cases(
        fuzzer.target.profile, fuzzer.knowledge, stages, max_mutations, max_requests  # type: ignore[arg-type]
    )

    @seed(seed_value)
    @fuzz_settings(**overrides)
    @given(case=strategy)
    def campaign(case: Case) -> None:
        if time.monotonic() > budget_end and recorder.last is None:
            raise BudgetSpent
        try:
            outcome, violations = fuzzer.run(case)
        except Exception:
            recorder.record_crash(case)
            raise
        if violations:
            # The connection's requests up to the last one sent: what replay must resend.
            sent = case.first_requests(outcome.requests_sent) if outcome else case
            recorder.record(sent, violations)
            raise AssertionError(
                "\n".join(str(v) for v in violations) + f"\ncase: {case.describe()}"
            )

    # The channel of the next case is established while this one runs (liveness probes
    # still connect afresh after a case: `honest_session`).
    fuzzer.ahead = ChannelsAhead(fuzzer.target, fuzzer.config) if "channel" in stages else None
    try:
        return _run(campaign, fuzzer, recorder, findings)
    finally:
        if fuzzer.ahead is not None:
            fuzzer.ahead.close()
            fuzzer.ahead = None


def _run(
    campaign: Callable[[], None],
    fuzzer: Fuzzer,
    recorder: FindingRecorder,
    findings: Path | None,
) -> CampaignResult:
    from hypothesis.errors import Flaky

    try:
        campaign()
    except BudgetSpent:
        pass
    except AssertionError as exc:
        if recorder.last is None and recorder.crash is not None:  # an assert of the harness
            return CampaignResult(fuzzer, recorder.crash_report(fuzzer.target))
        saved = recorder.save(findings) if findings is not None else None
        return CampaignResult(fuzzer, f"{exc}{replay_hint(saved, fuzzer.target)}", saved)
    except Flaky as exc:
        # The failure did not reproduce on replay: reported, labelled timing-dependent,
        # never retried until it passes.
        saved = recorder.save(findings) if findings is not None else None
        if recorder.last is not None:
            first = str(recorder.last[1][0])
        else:
            first = recorder.crash_report(fuzzer.target) or str(exc).splitlines()[0]
        text = f"timing-dependent failure (did not reproduce on replay): {first}"
        return CampaignResult(fuzzer, f"{text}{replay_hint(saved, fuzzer.target)}", saved)
    except Exception:
        if recorder.crash is None:
            raise
        return CampaignResult(fuzzer, recorder.crash_report(fuzzer.target))
    return CampaignResult(fuzzer)
