"""`sft audit`: argument parsing around `audit.runner` (registered by reference/cli)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from audit.report import summary_lines
from audit.runner import V1_PROFILES, AuditConfig, run_audit

__all__ = ["register", "config_from_args"]

_PROFILES = ("pki", "eke", "pki-legacy", "eke-legacy")


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
    t.add_argument("--target", metavar="HOST:PORT", help="the implementation under test")
    t.add_argument("--profile", choices=_PROFILES,
                   help="its profile; without --target: audit only that embedded profile")
    t.add_argument("--target-config", type=Path, metavar="TOML", help="a target file")
    t.add_argument("--root", type=Path, help="pki: the organisation root (PEM)")
    t.add_argument("--ca-key", type=Path, help="pki lab mode: the root's key (PEM)")
    t.add_argument("--ca-url", help="pki: the CA's URL, for enrolment")
    t.add_argument("--enroll", metavar="ALIAS:PWFILE", help="pki: enrol this account")
    t.add_argument("--client-cert", type=Path,
                   help="pki: a certificate the target accepts (for the fuzz and capture parts)")
    t.add_argument("--client-key", type=Path, help="pki: its key (PEM)")
    t.add_argument("--user", action="append", default=[], help="eke: account (repeatable)")
    t.add_argument("--password-file", action="append", default=[], type=Path,
                   help="eke: the password of the matching --user (repeatable)")
    t.add_argument("--features", help="declared optional features, e.g. get,put,throttling")
    t.add_argument("--client-cmd", metavar="TEMPLATE", help="the initiator under test")
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


def _profile_of_config(path: Path) -> str | None:
    from conformance.target import load_target_file

    profile = load_target_file(path).get("profile")
    return str(profile) if profile else None


def config_from_args(args: argparse.Namespace) -> AuditConfig:
    if len(args.user) != len(args.password_file):
        raise AuditUsageError("give one --password-file for each --user")
    profile = args.profile
    if profile is None and args.target_config is not None:
        profile = _profile_of_config(args.target_config)
    external = bool(args.target or args.target_config)
    if external and profile is None:
        raise AuditUsageError("--profile is required with --target")
    conformance: list[str] = []
    fuzz: list[str] = []
    for flag, value, to_fuzz in (
        ("--target", args.target, True),
        ("--profile", profile if (external or profile) else None, False),
        ("--target-config", args.target_config, True),
        ("--root", args.root, True),
        ("--ca-key", args.ca_key, False),
        ("--ca-url", args.ca_url, False),
        ("--enroll", args.enroll, False),
        ("--features", args.features, False),
        ("--client-cmd", args.client_cmd, False),
        ("--expectations", args.expectations, False),
        ("--only-req", args.only_req, False),
    ):
        if value is not None:
            conformance += [flag, str(value)]
            if to_fuzz:
                fuzz += [flag, str(value)]
    for user, pw_file in zip(args.user, args.password_file, strict=True):
        conformance += ["--user", user, "--password-file", str(pw_file)]
    if args.user:  # the fuzzer and the capture use the first account
        fuzz += ["--user", args.user[0], "--password-file", str(args.password_file[0])]
    if args.client_cert and args.client_key:
        fuzz += ["--client-cert", str(args.client_cert), "--client-key", str(args.client_key)]
    missing = ""
    if external and not args.target_config and not (args.client_cert and args.client_key):
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
            address=args.target or str(args.target_config or ""),
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
