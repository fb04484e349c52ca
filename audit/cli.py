"""`sft audit`: argument parsing around `audit.runner` (registered by sftkit.cli)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from audit.report import summary_lines
from audit.runner import AuditConfig, run_audit
from sftkit.outcomes import TargetConfigError
from sftkit.target_options import (
    TARGET_OPTIONS,
    V1_PROFILES,
    TargetOptions,
    register_target_options,
)

__all__ = ["register", "config_from_args"]

class AuditUsageError(Exception):
    pass


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = subparsers.add_parser(
        "audit",
        help="conformance + fuzz campaign + capture check against a target, one verdict",
        description="Run the conformance suite, a fuzz campaign and a live capture check "
        "against a target (default: the embedded reference, both v1 profiles) and write "
        "OUT/index.html and OUT/audit.json. Exit 0 conformant and clean, 1 findings, "
        "2 harness error or target unreachable.",
    )
    t = p.add_argument_group("target (as `pytest conformance`; default: the embedded reference)")
    register_target_options(t.add_argument)
    t.add_argument("--expectations", type=Path, help="per-implementation expectations file")
    p.add_argument("--strict", action="store_true", help="unmet SHOULDs count as failures")
    p.add_argument("--only-req", metavar="ID,ID",
                   help="conformance: only the cases citing these requirements")
    p.add_argument("--fuzz-budget", type=float, default=20.0, metavar="SECONDS",
                   help="seconds of fuzzing per profile (default 20)")
    p.add_argument("--no-fuzz", action="store_true", help="skip the fuzz campaign")
    p.add_argument("--no-capture", action="store_true", help="skip the live capture check")
    p.add_argument("--workers", type=int, default=2, help="conformance workers (default 2)")
    p.add_argument("--out", type=Path, default=Path("reports"), help="report directory")
    p.set_defaults(func=_main)


# The target options the fuzz campaign and the capture part take (the runner adds
# --profile); the conformance suite takes them all.
_FUZZ_OPTIONS = (
    "--target", "--target-config", "--root", "--user", "--password-file",
    "--client-cert", "--client-key",
)


# A legacy target's fuzz and capture parts make their own identity (enrolled at the CA
# or minted with the root key) and record the legacy client under test.
_LEGACY = ("pki-legacy", "eke-legacy")
_LEGACY_OPTIONS = (
    "--target", "--target-config", "--root", "--ca-key", "--ca-url", "--enroll", "--user",
    "--password-file", "--client-cmd", "--client-stdin", "--client-success",
)


def config_from_args(args: argparse.Namespace) -> AuditConfig:
    try:
        options = TargetOptions.from_values(args)
        profile = options.chosen_profile()
    except TargetConfigError as exc:
        raise AuditUsageError(str(exc)) from exc
    external = options.external
    if external and profile is None:
        raise AuditUsageError("--profile is required with --target")
    conformance = options.to_argv(only=[o.flag for o in TARGET_OPTIONS if o.flag != "--profile"])
    if profile is not None:
        conformance += ["--profile", profile]
    for flag, value in (("--expectations", args.expectations), ("--only-req", args.only_req)):
        if value is not None:
            conformance += [flag, str(value)]
    fuzz = options.to_argv(only=_LEGACY_OPTIONS if profile in _LEGACY else _FUZZ_OPTIONS)
    missing = ""
    if external and profile not in _LEGACY and not options.target_config \
            and not options.client_cert:
        missing = (
            "give --client-cert and --client-key (an identity the target accepts) to fuzz "
            "and capture inside its TLS channel"
        )
    profiles = (profile,) if profile else V1_PROFILES
    try:
        return AuditConfig(
            out=args.out,
            profiles=profiles,
            embedded=not external,
            address=options.target or str(options.target_config or ""),
            conformance_args=tuple(conformance),
            fuzz_args=tuple(fuzz),
            fuzz_budget=args.fuzz_budget,
            fuzz=not args.no_fuzz,
            capture=not args.no_capture,
            workers=args.workers,
            strict=args.strict,
            pki_identity_missing=missing,
        )
    except ValueError as exc:
        raise AuditUsageError(str(exc)) from exc


def _main(args: argparse.Namespace) -> int:
    try:
        config = config_from_args(args)
    except AuditUsageError as exc:
        print(f"sft audit: {exc}", file=sys.stderr)
        return 2
    outcome = run_audit(config, progress=sys.stderr)
    print("\n".join(summary_lines(outcome.report)))
    return outcome.exit_code
