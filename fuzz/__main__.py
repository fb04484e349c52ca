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
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

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
    if (TargetOptions.from_values(args).chosen_profile() or "").endswith("-legacy"):
        return _legacy_campaign(args, seed_value, args.seconds or profile.budget_seconds)
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


def _legacy_campaign(args: argparse.Namespace, seed_value: int, seconds: float) -> int:
    """`campaign` under --profile pki-legacy|eke-legacy: fuzz.legacy's bounded campaign
    against the target, or (no --target) the embedded legacy reference."""
    from fuzz.legacy import legacy_campaign

    print(f"fuzz campaign: seed {seed_value} (rerun with --seed {seed_value})", flush=True)
    with tempfile.TemporaryDirectory(prefix="sft-fuzz-legacy-") as tmp:
        fuzzed, stop = _legacy_target(args, Path(tmp))
        try:
            print(f"target: {fuzzed.profile} at {fuzzed.host}:{fuzzed.port}", flush=True)
            doc = legacy_campaign(
                fuzzed, seconds=seconds, seed_value=seed_value, findings=args.findings,
                deadline=max(args.deadline, 12.0),
                max_examples=args.examples or 200,
            )
        finally:
            stop()
    print(
        f"{doc['sessions']} sessions ({doc['sessions_per_s']}/s), "
        f"{doc['distinct_responses']} distinct responses"
    )
    if doc["failure"]:
        print(("" if doc["target_down"] else "FAILURE:\n") + doc["failure"],
              file=sys.stderr if doc["target_down"] else sys.stdout)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    return 2 if doc["target_down"] else 0 if doc["ok"] else 1


def _legacy_target(args: argparse.Namespace, workdir: Path) -> tuple[Any, Callable[[], None]]:
    """(fuzz.legacy.LegacyFuzzTarget, how to stop it) from the target options."""
    from fuzz.legacy import LegacyFuzzTarget, legacy_identity
    from fuzz.oracles import Secrets
    from sftkit.hostport import parse_hostport
    from sftkit.password_file import read_password_file

    options = TargetOptions.from_values(args)
    profile = options.chosen_profile() or ""
    if options.target:
        host, port = parse_hostport(options.target)
        if profile == "pki-legacy":
            if not options.root:
                raise UsageError("pki-legacy fuzzing needs the organisation root (--root)")
            try:
                identity = legacy_identity(
                    Path(options.root).read_bytes(), options.ca_url,
                    options.enroll[0] if options.enroll else None,
                    Path(options.ca_key).read_bytes() if options.ca_key else None,
                )
            except (OSError, ValueError) as exc:
                raise UsageError(str(exc)) from exc
            # No canary known: a served /etc/passwd is the evidence of an escape.
            secrets = Secrets(canary=b"root:x:0:0:")
            return LegacyFuzzTarget(profile, host, port, secrets, identity=identity), _nothing
        if not (options.user and options.password_file):
            raise UsageError("eke-legacy fuzzing needs an account: --user U --password-file F")
        password = read_password_file(options.password_file[0])
        secrets = Secrets(passwords=(password,))
        return (
            LegacyFuzzTarget(profile, host, port, secrets, user=options.user[0],
                             password=password),
            _nothing,
        )
    from conformance.legacy.embedded import start_eke_legacy, start_pki_legacy

    if profile == "pki-legacy":
        pki = start_pki_legacy(workdir)
        try:
            assert pki.root is not None and pki.enroll is not None
            pwfile = workdir / "enrol.password"
            pwfile.touch(mode=0o600)
            pwfile.write_text(pki.enroll[1] + "\n")
            identity = legacy_identity(
                pki.root.read_bytes(), pki.ca_url, f"{pki.enroll[0]}:{pwfile}", None
            )
            canary = (workdir / "secret.txt").read_bytes()
        except BaseException:
            pki.stop()
            raise
        return LegacyFuzzTarget(profile, pki.host, pki.port, Secrets(canary=canary),
                                identity=identity), pki.stop
    eke = start_eke_legacy(workdir)
    secrets = Secrets(files={"testfile1.pdf": (workdir / "testfile1.pdf").read_bytes()},
                      passwords=(eke.password,))
    return (
        LegacyFuzzTarget(profile, eke.host, eke.port, secrets, user=eke.user,
                         password=eke.password),
        eke.stop,
    )


def _nothing() -> None:
    return None


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
