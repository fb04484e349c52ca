"""Benchmark: mutated sessions per second against the embedded reference.

    python -m fuzz.bench [--profile pki --profile eke] [--workers 1 --workers 2]
                         [--seconds 20] [--cprofile]

For each profile it starts the embedded reference once, then runs campaigns (the
same strategies, runner and oracles as `pytest fuzz`, liveness probes off so that
only mutated sessions are counted) in 1 and 2 worker processes for a fixed time and
prints sessions/s. `--cprofile` profiles one worker in-process and prints where the
fuzzer's own Python time goes (the question to answer before optimising).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import multiprocessing
import pstats
import sys
import tempfile
import time
from pathlib import Path

from conformance.target import Target
from fuzz.campaign import Fuzzer, run_campaign
from fuzz.runner import RunConfig

__all__ = ["bench_worker", "main"]

_GOAL = 300.0


def _stages(profile: str) -> tuple[str, ...]:
    return ("connect", "eke2", "channel") if profile == "eke" else ("channel",)


def bench_worker(args: tuple[Target, float, int]) -> tuple[int, float]:
    """One worker: a bounded campaign; returns (sessions, seconds)."""
    target, seconds, seed_value = args
    fuzzer = Fuzzer(target, RunConfig(deadline=5.0), liveness_every=0)
    started = time.monotonic()
    result = run_campaign(
        fuzzer,
        _stages(target.profile),
        max_examples=1_000_000,
        budget_seconds=seconds,
        seed_value=seed_value,
        findings=None,
    )
    if not result.ok:
        print(f"  (worker found a failure: {result.failure.splitlines()[0]})", file=sys.stderr)
    return fuzzer.stats.sessions, time.monotonic() - started


def _measure(target: Target, workers: int, seconds: float) -> float:
    portable = target.with_changes(stopper=None)
    jobs = [(portable, seconds, 1000 + i) for i in range(workers)]
    if workers == 1:
        results = [bench_worker(jobs[0])]
    else:
        with multiprocessing.get_context("spawn").Pool(workers) as pool:
            results = pool.map(bench_worker, jobs)
    sessions = sum(r[0] for r in results)
    elapsed = max(r[1] for r in results)
    return sessions / elapsed if elapsed > 0 else 0.0


def _cprofile(target: Target, seconds: float) -> str:
    profiler = cProfile.Profile()
    profiler.enable()
    bench_worker((target.with_changes(stopper=None), seconds, 7))
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(18)
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m fuzz.bench", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--profile", action="append", choices=("pki", "eke"))
    parser.add_argument("--workers", action="append", type=int)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--cprofile", action="store_true")
    args = parser.parse_args(argv)
    from conformance.embedded import EmbeddedError, start_embedded

    print(f"goal: >= {_GOAL:.0f} mutated sessions/s per profile (2 cores)")
    for profile in args.profile or ["pki", "eke"]:
        with tempfile.TemporaryDirectory(prefix="sft-fuzz-bench-") as tmp:
            try:
                target = start_embedded(profile, Path(tmp))
            except EmbeddedError as exc:
                print(f"{profile}: cannot start the embedded reference: {exc}", file=sys.stderr)
                return 2
            try:
                for workers in args.workers or [1, 2]:
                    rate = _measure(target, workers, args.seconds)
                    print(
                        f"{profile}: {workers} worker(s): {rate:8.1f} mutated sessions/s",
                        flush=True,
                    )
                if args.cprofile:
                    print(f"--- {profile}: where one worker's time goes (cProfile, tottime)")
                    print(_cprofile(target, args.seconds))
            finally:
                target.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
