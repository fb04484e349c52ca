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

A second line per worker count says where the CPU goes: milliseconds of the target's
process (from /proc, when the target is a local process) and of the tester per mutated
session and per honest handshake, and the ratio the rates take once CPU is what runs
out (a loaded machine; as many workers as cores): a session can cost no less than the
target's own work for its handshake and its requests.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import multiprocessing
import os
import pstats
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from conformance.target import Target
from fuzz.campaign import Fuzzer, run_campaign
from fuzz.runner import RunConfig, SetupFailed, honest_handshake

__all__ = ["bench_worker", "ceiling_worker", "main"]

_CEILING_SHARE = 0.70
_REQUESTS_PER_SESSION = 10.0


def _own_cpu() -> float:
    times = os.times()
    return times.user + times.system


def _target_cpu(target: Target) -> float | None:
    """CPU seconds the target's process has used (embedded: a child process), if known."""
    if target.pid is None:
        return None
    try:
        fields = Path(f"/proc/{target.pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def bench_worker(
    args: tuple[Target, float, int, tuple[str, ...]],
) -> tuple[int, int, float, float]:
    """One worker: a bounded campaign; returns (mutated sessions, requests, seconds, the
    worker's CPU seconds)."""
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
    cpu = _own_cpu()
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
    return stats.mutated_sessions, stats.requests, time.monotonic() - started, _own_cpu() - cpu


def ceiling_worker(args: tuple[Target, float]) -> tuple[int, float, float]:
    """One worker: honest handshakes in a loop for `seconds`; returns (count, seconds,
    the worker's CPU seconds)."""
    target, seconds = args
    config = RunConfig()
    count = 0
    try:
        honest_handshake(target, config)  # warm-up: scrypt (eke), TLS context
    except SetupFailed:
        pass  # counted below if it persists: the loop retries
    started = time.monotonic()
    cpu = _own_cpu()
    while time.monotonic() - started < seconds:
        try:
            honest_handshake(target, config)
        except SetupFailed:
            continue
        count += 1
    return count, time.monotonic() - started, _own_cpu() - cpu


def _pool_map(workers: int, fn: object, jobs: list[object]) -> list[object]:
    if workers == 1:
        return [fn(jobs[0])]  # type: ignore[operator]
    with multiprocessing.get_context("spawn").Pool(workers) as pool:
        return pool.map(fn, jobs)  # type: ignore[arg-type]


@dataclass
class _Cpu:
    """CPU milliseconds per unit (honest handshake, or mutated session): the target's and
    the tester's. On a loaded machine (or with as many workers as cores) rates follow
    CPU, so these say what bounds the ratio: a session can be no cheaper than the
    target's own work for it."""

    target_ms: float | None = None
    tester_ms: float | None = None

    def text(self) -> str:
        def ms(x: float | None) -> str:
            return "?" if x is None else f"{x:.2f} ms"

        return f"target {ms(self.target_ms)}, tester {ms(self.tester_ms)}"


def _per(total: float | None, count: int) -> float | None:
    return None if total is None or count <= 0 else 1000.0 * total / count


def _ceiling(target: Target, workers: int, seconds: float) -> tuple[float, _Cpu]:
    portable = target.with_changes(stopper=None)
    before = _target_cpu(target)
    results = _pool_map(workers, ceiling_worker, [(portable, seconds)] * workers)
    after = _target_cpu(target)
    done = sum(r[0] for r in results)  # type: ignore[index]
    elapsed = max(r[1] for r in results)  # type: ignore[index]
    tester = sum(r[2] for r in results)  # type: ignore[index]
    spent = None if before is None or after is None else after - before
    cpu = _Cpu(_per(spent, done), _per(tester, done))
    return (done / elapsed if elapsed > 0 else 0.0), cpu


def _measure(
    target: Target, workers: int, seconds: float, stages: tuple[str, ...]
) -> tuple[float, float, _Cpu]:
    """(mutated sessions/s, mutated requests/s, CPU per session) with `workers`
    processes."""
    portable = target.with_changes(stopper=None)
    jobs: list[object] = [(portable, seconds, 1000 + i, stages) for i in range(workers)]
    before = _target_cpu(target)
    results = _pool_map(workers, bench_worker, jobs)
    after = _target_cpu(target)
    sessions = sum(r[0] for r in results)  # type: ignore[index]
    requests = sum(r[1] for r in results)  # type: ignore[index]
    elapsed = max(r[2] for r in results)  # type: ignore[index]
    tester = sum(r[3] for r in results)  # type: ignore[index]
    # The target's CPU includes its set-up of each worker's sanity session: negligible.
    spent = None if before is None or after is None else after - before
    cpu = _Cpu(_per(spent, sessions), _per(tester, sessions))
    if elapsed <= 0:
        return 0.0, 0.0, cpu
    return sessions / elapsed, requests / elapsed, cpu


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


def _cpu_bound(handshake: _Cpu, session: _Cpu) -> str:
    """The ratio rates take when CPU is what runs out (a loaded machine, or workers as
    many as cores), and the most it could be if the tester cost nothing."""
    hs_target, hs_tester = handshake.target_ms, handshake.tester_ms
    s_target, s_tester = session.target_ms, session.tester_ms
    if hs_target is None or hs_tester is None or s_target is None or s_tester is None:
        return ""
    hs = hs_target + hs_tester
    return (
        f"; CPU-bound ratio {hs / (s_target + s_tester):.2f}x (at most "
        f"{hs / (s_target + hs_tester):.2f}x with a tester that costs no more than an "
        "honest client)"
    )


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
        f"stages {'/'.join(stages)}"
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
                    before, hs_cpu = _ceiling(target, workers, args.seconds / 2)
                    sessions, requests, session_cpu = _measure(
                        target, workers, args.seconds, stages
                    )
                    after, _ = _ceiling(target, workers, args.seconds / 2)
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
                    print(
                        f"{profile}: {workers} worker(s): CPU per mutated session: "
                        f"{session_cpu.text()}; per honest handshake: {hs_cpu.text()}"
                        f"{_cpu_bound(hs_cpu, session_cpu)}",
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
