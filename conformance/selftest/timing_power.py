"""The timing cases' power and false-positive rate, measured: `python -m
conformance.selftest.timing_power` (or `tox -e timing-power`).

A timing case is a statistical test, so one run proves little either way. This runs it
many times and counts:

- **power** — for each timing mutant (conformance/selftest/mutants_timing.py, a planted
  fast path or value-dependent delay), the fraction of runs in which the self-test saw
  its requirement FAIL (`test_mutants.py -k NAME`, one fresh mutated server per run);
- **false-positive rate** — the fraction of runs of the timing cases against the
  unmodified embedded reference in which any case FAILed; INCONCLUSIVE runs (the
  resolution was not reached in the budget) are counted apart, never as a PASS.

Each rate is given with its exact (Clopper-Pearson) 95 % interval from scipy, so "19 of
20" and "0 of 100" say what they can and cannot claim. The issue's goals (≥ 19/20
detections of each thorough-tier mutant, ≤ 1/100 false FAILs) are printed beside the
figures, not asserted: the point is to measure on a loaded machine (run it while
something else runs, as CI does) and report.

Bounded: `--runs` per subject and `--seconds` for the whole run; a run that exceeds
`--run-timeout` counts as "timed out" (neither detection nor FAIL).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from scipy.stats import binomtest  # type: ignore[import-untyped]

from conformance.selftest.mutants_timing import MUTANTS as TIMING_MUTANTS

__all__ = ["Tally", "main"]

_ROOT = Path(__file__).resolve().parents[2]
_TIMING_FILE = "conformance/test_timing.py"


@dataclass
class Tally:
    """Outcomes of the runs of one subject (a mutant, or the reference)."""

    subject: str
    goal: str
    hits: int = 0  # mutant: detected; reference: some case FAILed
    runs: int = 0
    other: Counter[str] = field(default_factory=Counter)  # INCONCLUSIVE, timed out, ...
    seconds: float = 0.0

    def rate(self) -> str:
        if not self.runs:
            return "-"
        ci = binomtest(self.hits, self.runs).proportion_ci(confidence_level=0.95, method="exact")
        return f"{self.hits}/{self.runs} ({ci.low:.2f}–{ci.high:.2f})"


def _env(tier: str) -> dict[str, str]:
    env = dict(os.environ)
    env["SFT_TIMING_TIER"] = tier
    env.pop("PYTEST_XDIST_WORKER", None)
    env.pop("PYTEST_ADDOPTS", None)
    return env


def _mutant_run(name: str, tier: str, timeout: float) -> str:
    """One self-test run of mutant `name`: "detected", "missed" or "timed out"."""
    env = _env(tier)
    env["SFT_SELFTEST"] = "all"
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        "conformance/selftest/test_mutants.py",
        "-k",
        name,
        "-p",
        "no:xdist",
        "-p",
        "no:randomly",
        "-q",
    ]
    try:
        done = subprocess.run(cmd, cwd=_ROOT, env=env, capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return "timed out"
    return "detected" if done.returncode == 0 else "missed"


def _reference_run(tier: str, timeout: float) -> Counter[str]:
    """One run of the timing cases against the embedded reference: verdict counts."""
    with tempfile.TemporaryDirectory(prefix="sft-timing-power-") as tmp:
        cmd = [
            sys.executable,
            "-m",
            "pytest",
            _TIMING_FILE,
            "-k",
            tier,
            "-p",
            "no:xdist",
            "-p",
            "no:randomly",
            "-q",
            "--report-dir",
            tmp,
        ]
        if tier == "thorough":
            cmd += ["-m", "timing"]
        try:
            subprocess.run(cmd, cwd=_ROOT, env=_env(tier), capture_output=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return Counter({"timed out": 1})
        report = Path(tmp) / "conformance.json"
        if not report.is_file():
            return Counter({"no report": 1})
        cases = [
            case
            for case in json.loads(report.read_text(encoding="utf-8"))["cases"]
            if case["nodeid"].startswith(_TIMING_FILE)
        ]
        for case in cases:  # a false FAIL is the finding: say which case, with its evidence
            if case["verdict"] == "FAIL":
                evidence = str(case.get("evidence") or case.get("message") or "")
                print(f"  FAIL {case['nodeid']}\n    {evidence[:1200]}", flush=True)
        return Counter(str(case["verdict"]) for case in cases)


def _table(tallies: list[Tally]) -> str:
    lines = [
        "| subject | goal | rate (95 % CI) | other outcomes | wall |",
        "|---|---|---|---|---|",
    ]
    for t in tallies:
        other = ", ".join(f"{k} {v}" for k, v in sorted(t.other.items())) or "-"
        lines.append(f"| {t.subject} | {t.goal} | {t.rate()} | {other} | {t.seconds:.0f} s |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m conformance.selftest.timing_power")
    parser.add_argument("--tier", choices=("quick", "thorough"), default="thorough")
    parser.add_argument("--runs", type=int, default=20, help="runs per mutant (default 20)")
    parser.add_argument(
        "--reference-runs", type=int, default=100, help="runs against the reference (100)"
    )
    parser.add_argument(
        "--mutant",
        action="append",
        default=[],
        help="a timing mutant to measure (repeatable; default: every mutant of the tier)",
    )
    parser.add_argument("--seconds", type=float, default=3 * 3600, help="bound on the run")
    parser.add_argument("--run-timeout", type=float, default=900.0, help="bound per run")
    parser.add_argument("--out", type=Path, default=_ROOT / "reports" / "timing-power.md")
    args = parser.parse_args(argv)

    known = {m.name: m for m in TIMING_MUTANTS}
    unknown = [name for name in args.mutant if name not in known]
    if unknown:
        parser.error(f"not a timing mutant: {', '.join(unknown)} (see mutants_timing.py)")
    chosen = args.mutant or [
        m.name for m in TIMING_MUTANTS if args.tier == "thorough" or m.tier == "default"
    ]
    deadline = time.monotonic() + args.seconds
    tallies: list[Tally] = []
    for name in chosen:
        tally = Tally(f"mutant {name}", "detected ≥ 19/20")
        tallies.append(tally)
        for _ in range(args.runs):
            if time.monotonic() > deadline:
                tally.other["not run (time bound)"] += 1
                continue
            started = time.monotonic()
            outcome = _mutant_run(name, args.tier, args.run_timeout)
            tally.seconds += time.monotonic() - started
            if outcome == "detected":
                tally.hits += 1
                tally.runs += 1
            elif outcome == "missed":
                tally.runs += 1
            else:
                tally.other[outcome] += 1
            print(f"{name}: {tally.rate()}", flush=True)
    reference = Tally(f"reference ({args.tier} tier)", "some case FAILs ≤ 1/100")
    tallies.append(reference)
    for _ in range(args.reference_runs):
        if time.monotonic() > deadline:
            reference.other["not run (time bound)"] += 1
            continue
        started = time.monotonic()
        verdicts = _reference_run(args.tier, args.run_timeout)
        reference.seconds += time.monotonic() - started
        if "timed out" in verdicts or "no report" in verdicts:
            reference.other.update(verdicts)
            continue
        reference.runs += 1
        reference.hits += verdicts.get("FAIL", 0) > 0
        if verdicts.get("INCONCLUSIVE", 0):
            reference.other["runs with an INCONCLUSIVE case"] += 1
        print(f"reference: {reference.rate()}", flush=True)
    text = (
        f"# Timing power and false-positive rate ({args.tier} tier)\n\n"
        f"{_table(tallies)}\n\nMeasured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
        f", load average at the end {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores.\n"
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
