"""Benchmark: mutated sessions and requests per second against the embedded reference,
set against the honest handshakes per second the same target sustains.

    python -m fuzz.bench [--profile pki --profile eke] [--workers 1 --workers 2]
                         [--seconds 20] [--stage channel ...] [--cprofile]

For each profile it starts the embedded reference once; then, for each worker count, it
measures the *ceiling* (honest handshakes/s: connect, establish the channel, close, in
a loop in N worker processes), a fuzz campaign (the same strategies, runner and oracles
as `pytest fuzz`, liveness probes off, channel sessions of many requests by default) in
N workers, and the ceiling again; the ceiling is the mean of the two, so that the ratio
is taken inside one run on a shared machine. Goals: mutated sessions/s >= 70 % of the
ceiling; mutated requests/s >= 10x sessions/s. `--cprofile` profiles one worker
in-process and prints where the fuzzer's own Python time goes.
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
from fuzz.runner import RunConfig, SetupFailed, honest_handshake

__all__ = ["bench_worker", "ceiling_worker", "main"]

_GOAL = 300.0
_CEILING_SHARE = 0.70
_REQUESTS_PER_SESSION = 10.0


def bench_worker(args: tuple[Target, float, int, tuple[str, ...]]) -> tuple[int, int, float]:
    """One worker: a bounded campaign; returns (mutated sessions, requests, seconds)."""
    target, seconds, seed_value, stages = args
    fuzzer = Fuzzer(target, RunConfig(deadline=5.0), liveness_every=0)
    # Per-worker setup before the clock, as the ceiling's warm-up handshake: the leak
    # oracle's index of the share's files (5 MB in the embedded share), scrypt (eke).
    fuzzer.secrets.find_in(bytes(32))
    try:
        honest_handshake(target, RunConfig())
    except SetupFailed:
        pass  # the campaign's own sanity session reports it
    started = time.monotonic()
    result = run_campaign(
        fuzzer,
        stages,
        max_examples=1_000_000,
        budget_seconds=seconds,
        seed_value=seed_value,
        findings=None,
    )
    if not result.ok:
        print(f"  (worker found a failure: {result.failure.splitlines()[0]})", file=sys.stderr)
    stats = fuzzer.stats
    return stats.mutated_sessions, stats.requests, time.monotonic() - started


def ceiling_worker(args: tuple[Target, float]) -> tuple[int, float]:
    """One worker: honest handshakes in a loop for `seconds`; returns (count, seconds)."""
    target, seconds = args
    config = RunConfig()
    count = 0
    try:
        honest_handshake(target, config)  # warm-up: scrypt (eke), TLS context
    except SetupFailed:
        pass  # counted below if it persists: the loop retries
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        try:
            honest_handshake(target, config)
        except SetupFailed:
            continue
        count += 1
    return count, time.monotonic() - started


def _pool_map(workers: int, fn: object, jobs: list[object]) -> list[object]:
    if workers == 1:
        return [fn(jobs[0])]  # type: ignore[operator]
    with multiprocessing.get_context("spawn").Pool(workers) as pool:
        return pool.map(fn, jobs)  # type: ignore[arg-type]


def _ceiling(target: Target, workers: int, seconds: float) -> float:
    portable = target.with_changes(stopper=None)
    results = _pool_map(workers, ceiling_worker, [(portable, seconds)] * workers)
    done = sum(r[0] for r in results)  # type: ignore[index]
    elapsed = max(r[1] for r in results)  # type: ignore[index]
    return done / elapsed if elapsed > 0 else 0.0


def _measure(
    target: Target, workers: int, seconds: float, stages: tuple[str, ...]
) -> tuple[float, float]:
    """(mutated sessions/s, mutated requests/s) with `workers` processes."""
    portable = target.with_changes(stopper=None)
    jobs: list[object] = [(portable, seconds, 1000 + i, stages) for i in range(workers)]
    results = _pool_map(workers, bench_worker, jobs)
    sessions = sum(r[0] for r in results)  # type: ignore[index]
    requests = sum(r[1] for r in results)  # type: ignore[index]
    elapsed = max(r[2] for r in results)  # type: ignore[index]
    if elapsed <= 0:
        return 0.0, 0.0
    return sessions / elapsed, requests / elapsed


def _cprofile(target: Target, seconds: float, stages: tuple[str, ...]) -> str:
    profiler = cProfile.Profile()
    profiler.enable()
    bench_worker((target.with_changes(stopper=None), seconds, 7, stages))
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(18)
    return out.getvalue()


def _scratch() -> str | None:
    """RAM-backed files when there are, as in the transfer benchmarks: the target fsyncs
    every put (APP-STORE-1), and on a disk shared with other work that, not the fuzzer
    or the target's CPU, would set the rate."""
    shm = Path("/dev/shm")  # noqa: S108 - a private mkdtemp inside it, for RAM-backed files
    return str(shm) if shm.is_dir() else None


def _verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m fuzz.bench", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--profile", action="append", choices=("pki", "eke"))
    parser.add_argument("--workers", action="append", type=int)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument(
        "--stage", action="append", choices=("connect", "eke2", "channel"),
        help="stages fuzzed (default: channel, where sessions carry many requests)",
    )
    parser.add_argument("--cprofile", action="store_true")
    args = parser.parse_args(argv)
    from conformance.embedded import EmbeddedError, start_embedded

    stages = tuple(args.stage or ["channel"])
    print(
        f"goals: mutated sessions/s >= {_CEILING_SHARE:.0%} of the honest handshakes/s "
        f"(ceiling, same run); requests/s >= {_REQUESTS_PER_SESSION:.0f}x sessions/s; "
        f">= {_GOAL:.0f} mutated sessions/s per profile (2 cores); stages {'/'.join(stages)}"
    )
    for profile in args.profile or ["pki", "eke"]:
        with tempfile.TemporaryDirectory(prefix="sft-fuzz-bench-", dir=_scratch()) as tmp:
            try:
                target = start_embedded(profile, Path(tmp))
            except EmbeddedError as exc:
                print(f"{profile}: cannot start the embedded reference: {exc}", file=sys.stderr)
                return 2
            try:
                for workers in args.workers or [1, 2]:
                    before = _ceiling(target, workers, args.seconds / 2)
                    sessions, requests = _measure(target, workers, args.seconds, stages)
                    after = _ceiling(target, workers, args.seconds / 2)
                    ceiling = (before + after) / 2
                    share = sessions / ceiling if ceiling else 0.0
                    per = requests / sessions if sessions else 0.0
                    # The first figure keeps its old form: reference.bench parses it.
                    print(
                        f"{profile}: {workers} worker(s): {sessions:8.1f} mutated sessions/s, "
                        f"{requests:.1f} mutated requests/s; ceiling {ceiling:.1f} honest "
                        f"handshakes/s (before {before:.1f}, after {after:.1f}); sessions "
                        f"{share:.2f}x the ceiling ({_verdict(share >= _CEILING_SHARE)}), "
                        f"{per:.1f} requests per session "
                        f"({_verdict(per >= _REQUESTS_PER_SESSION)})",
                        flush=True,
                    )
                if args.cprofile:
                    print(f"--- {profile}: where one worker's time goes (cProfile, tottime)")
                    print(_cprofile(target, args.seconds, stages))
            finally:
                target.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
