"""`sft audit`: argument parsing around `audit.runner` (registered by sftkit.cli)."""

from __future__ import annotations

import argparse
import os
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


# Options naming files: the parts run in the kit's directory, so a relative path the
# user gave (relative to where they typed it) is made absolute first.
_PATH_OPTIONS = ("target_config", "root", "ca_key", "client_cert", "client_key", "expectations")


def _absolute_paths(args: argparse.Namespace) -> None:
    for name in _PATH_OPTIONS:
        value = getattr(args, name, None)
        if value:
            setattr(args, name, type(value)(Path(value).absolute()))
    if getattr(args, "password_file", None):
        args.password_file = [str(Path(f).absolute()) for f in args.password_file]
    if getattr(args, "enroll", None):
        args.enroll = [
            f"{alias}:{Path(f).absolute()}" if sep else alias
            for alias, sep, f in (e.partition(":") for e in args.enroll)
        ]


def _writable_directory(out: Path) -> str | None:
    """Why reports cannot be written to `out` (None: they can)."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / f".sft-audit-probe-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        return exc.strerror or str(exc)
    return None


def _main(args: argparse.Namespace) -> int:
    _absolute_paths(args)
    try:
        config = config_from_args(args)
    except AuditUsageError as exc:
        print(f"sft audit: {exc}", file=sys.stderr)
        return 2
    why = _writable_directory(config.out)
    if why is not None:
        print(f"sft audit: cannot write the reports to {config.out}: {why}", file=sys.stderr)
        return 2
    try:
        outcome = run_audit(config, progress=sys.stderr)
    except OSError as exc:  # the report directory went away or filled up mid-run
        where = f" {exc.filename}" if exc.filename else ""
        print(f"sft audit: cannot write the reports:{where} {exc.strerror or exc}",
              file=sys.stderr)
        return 2
    print("\n".join(summary_lines(outcome.report)))
    return outcome.exit_code
