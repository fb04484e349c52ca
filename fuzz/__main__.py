"""`python -m fuzz replay CASE... --target HOST:PORT` and `python -m fuzz campaign ...`.

replay   runs saved cases (fuzz/corpus/*.json) against a target (default: the embedded
         reference of the case's profile) and applies every oracle; exit 1 if any
         case still breaks a requirement, 0 if none does.
campaign runs a hypothesis campaign against a target (or, without --target, the
         embedded reference), printing the seed, progress and final statistics:
         examples, sessions/s, requests/s, distinct target responses, failures.

Exit codes: 0 clean, 1 findings, 2 usage or environment error (one line on stderr).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from conformance.target import Target, target_from_options
from fuzz.campaign import CampaignResult, Fuzzer, run_campaign
from fuzz.cases import STAGES, Case, load_case
from fuzz.oracles import Violation
from fuzz.runner import RunConfig
from fuzz.settings import FUZZ_PROFILES, run_seed
from sftkit.outcomes import TargetConfigError
from sftkit.target_options import TargetOptions, register_target_options

__all__ = ["main", "add_target_options", "build_target", "UsageError"]


class UsageError(Exception):
    pass


def add_target_options(parser: argparse.ArgumentParser) -> None:
    """The kit's target options (sftkit.target_options) and the fuzzer's --deadline."""
    register_target_options(parser.add_argument)
    parser.add_argument("--deadline", type=float, default=5.0, help="seconds to react (5)")


def build_target(args: argparse.Namespace, workdir: Path | None) -> Target:
    """The target the options name, or (given a workdir) the embedded reference of the
    chosen profile (--profile, else the target file's, else eke)."""
    options = TargetOptions.from_values(args)
    target = target_from_options(options)
    if target is not None:
        return target
    if workdir is None:
        raise UsageError("--target HOST:PORT is required")
    from conformance.embedded import EmbeddedError, start_embedded
    from fuzz.oracles import measurable_allocator

    try:
        with measurable_allocator():
            return start_embedded(options.chosen_profile() or "eke", workdir)
    except EmbeddedError as exc:
        raise UsageError(f"cannot start the embedded reference: {exc}") from exc


def _replay(args: argparse.Namespace) -> int:
    paths: list[Path] = []
    for given in args.cases:
        paths += sorted(given.rglob("*.json")) if given.is_dir() else [given]
    cases = []
    for path in paths:
        try:
            cases.append((path, load_case(path)))
        except (OSError, ValueError, KeyError) as exc:
            raise UsageError(f"{path}: not a fuzz case ({exc})") from exc
    skipped = [p for p, c in cases if c.profile.endswith("-legacy") or c.extra.get("role")]
    for path in skipped:
        print(f"{path}: skipped (legacy and initiator cases replay through pytest fuzz)")
    cases = [(p, c) for p, c in cases if p not in skipped]
    if not cases:
        raise UsageError("no replayable case given")
    if args.target or args.target_config:
        return _replay_on(build_target(args, None), cases, args.deadline)
    # No target: the embedded reference of the first case's profile.
    if args.profile is None:
        args.profile = cases[0][1].profile
    with tempfile.TemporaryDirectory(prefix="sft-fuzz-replay-") as tmp:
        target = build_target(args, Path(tmp))
        try:
            return _replay_on(target, cases, args.deadline)
        finally:
            target.stop()


def _replay_on(target: Target, cases: list[tuple[Path, Case]], deadline: float) -> int:
    fuzzer = Fuzzer(target, RunConfig(deadline=deadline))
    broken = 0
    for path, case in cases:
        if case.profile != target.profile:
            print(f"{path}: skipped (profile {case.profile}, target is {target.profile})")
            continue
        outcome, violations = fuzzer.run(case)
        reqs = ", ".join(case.requirements) or "-"
        response = outcome.signature() if outcome else "setup failed"
        if violations:
            broken += 1
            print(f"{path}: FAIL (case breaks {reqs}); target answered: {response}")
            for v in violations:
                print(f"    {v}")
        else:
            print(f"{path}: ok (was {reqs}); target answered: {response}")
    print(f"replayed {len(cases)} case(s): {broken} still failing")
    return 1 if broken else 0


def _campaign(args: argparse.Namespace) -> int:
    profile = FUZZ_PROFILES[args.hypothesis_profile]
    seed_value = args.seed if args.seed is not None else run_seed()
    print(f"fuzz campaign: seed {seed_value} (rerun with --seed {seed_value})", flush=True)
    with tempfile.TemporaryDirectory(prefix="sft-fuzz-") as tmp:
        target = build_target(args, Path(tmp))
        try:
            print(f"target: {target.profile} at {target.host}:{target.port}", flush=True)
            database = None
            if args.fuzz_db:
                from fuzz.db import FuzzDbError, open_example_db

                try:
                    database = open_example_db(args.fuzz_db)
                except FuzzDbError as exc:
                    raise UsageError(str(exc)) from exc
            fuzzer = Fuzzer(
                target,
                RunConfig(deadline=args.deadline),
                liveness_every=args.liveness_every,
                progress=sys.stdout,
                progress_every=args.progress_every,
            )
            fuzzer.take_baseline()
            stages = tuple(args.stage) if args.stage else _default_stages(target.profile)
            result = run_campaign(
                fuzzer,
                stages,
                max_examples=args.examples or profile.max_examples,
                budget_seconds=args.seconds or profile.budget_seconds,
                seed_value=seed_value,
                findings=args.findings,
                database=database,
            )
            resources = fuzzer.resource_violations()
        finally:
            target.stop()
    print(fuzzer.stats.summary())
    for v in resources:
        print(f"resource finding: {v}")
    if result.target_down:
        print(result.failure, file=sys.stderr)
        if args.json:
            _write_json(args.json, seed_value, fuzzer, result, resources)
        return 2
    if not result.ok:
        print(f"FAILURE:\n{result.failure}")
    if args.json:
        _write_json(args.json, seed_value, fuzzer, result, resources)
    return 0 if result.ok and not resources else 1


def _write_json(
    path: Path, seed_value: int, fuzzer: Fuzzer, result: CampaignResult, resources: list[Violation]
) -> None:
    stats = fuzzer.stats
    doc = {
        "schema": "sft-fuzz-campaign/1",
        "profile": fuzzer.target.profile,
        "seed": seed_value,
        "examples": stats.examples,
        "sessions": stats.sessions,
        "sessions_per_s": round(stats.rate(), 1),
        # Mutated sessions only (no liveness probes), and the requests they carried.
        "mutated_sessions": stats.mutated_sessions,
        "requests": stats.requests,
        "requests_per_s": round(stats.request_rate(), 1),
        "elapsed_s": round(stats.elapsed, 2),
        "distinct_responses": len(stats.responses),
        "top_responses": [[sig, n] for sig, n in stats.responses.most_common(12)],
        "violations": dict(sorted(stats.violations.items())),
        "setup_failures": stats.setup_failures,
        "failure": result.failure,
        "target_down": result.target_down,
        "saved_case": str(result.saved) if result.saved else None,
        "resource_findings": [str(v) for v in resources],
        "ok": result.ok and not resources,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")


def _default_stages(profile: str) -> tuple[str, ...]:
    return ("connect", "eke2", "channel") if profile == "eke" else ("channel",)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m fuzz", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    replay = sub.add_parser("replay", help="replay saved cases against a target")
    replay.add_argument("cases", nargs="+", type=Path, help="case files or directories")
    add_target_options(replay)
    replay.set_defaults(func=_replay)
    campaign = sub.add_parser("campaign", help="run a fuzz campaign")
    add_target_options(campaign)
    campaign.add_argument("--hypothesis-profile", choices=sorted(FUZZ_PROFILES), default="quick")
    campaign.add_argument("--examples", type=int, help="maximum number of cases")
    campaign.add_argument("--seconds", type=float, help="time budget")
    campaign.add_argument("--seed", type=int, help="seed (default: FUZZ_SEED or random)")
    campaign.add_argument("--stage", action="append", choices=STAGES, help="stages to fuzz")
    campaign.add_argument("--liveness-every", type=int, default=10)
    campaign.add_argument("--progress-every", type=float, default=5.0)
    campaign.add_argument(
        "--findings", type=Path, default=Path("fuzz/corpus"), help="where failures are saved"
    )
    campaign.add_argument("--fuzz-db", help="shared example database: redis://HOST:PORT/N")
    campaign.add_argument("--json", type=Path, metavar="OUT.json",
                          help="also write the statistics and findings as JSON")
    campaign.set_defaults(func=_campaign)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        code: int = args.func(args)
        return code
    except (UsageError, TargetConfigError) as exc:
        print(f"fuzz: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("fuzz: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
