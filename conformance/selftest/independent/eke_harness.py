"""One harness for the clean-room sft-eke/1 implementations (test_eke1.py, test_eke2.py, ...).

Each implementation's test module says only what is its own — how to add a user to its
store, the options its `serve`, `get` and `put` take, how it restarts — in a `start`
function that returns an `IndependentServer` (its process and the `Target` that
describes it, exactly as a user describes theirs). Through this module it then gets the
same three checks:

- `check_sanity_get`: its own client fetches a file from its own server;
- `check_conformant` (`slow`): the whole suite, server and client cases (the put client
  included), slow variants too, judges it CONFORMANT — a FAIL is a bug in the
  implementation or a case that assumed the reference's reading where SPEC allows
  another;
- `check_fault` (`SFT_SELFTEST=all`): each planted fault (switched on by
  `SFT_INDEPENDENT_FAULTS`) FAILs under its requirement with evidence, with only the case
  file(s) it names and `--only-req`, and the sanity check passes.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import pytest

from conformance.embedded import EmbeddedReference
from conformance.selftest.suite_run import PACKAGE, read_report, run_suite, selftest_dir
from conformance.target import Account, KnownFile, Limits, Target
from sftkit.launch import LaunchedProcess

__all__ = [
    "LEVEL",
    "EkeImplementation",
    "IndependentServer",
    "PlantedFault",
    "check_conformant",
    "check_fault",
    "check_sanity_get",
    "command",
    "lay_out",
    "limit_options",
]

LEVEL = os.environ.get("SFT_SELFTEST", "").strip().lower()
_FAULT_RUN_TIMEOUT = 240.0
_FULL_RUN_TIMEOUT = 3600.0


@dataclass
class IndependentServer:
    """One server process of the implementation and the target that describes it."""

    process: LaunchedProcess
    target: Target
    log: Path

    def stop(self) -> None:
        self.process.stop()


class PlantedFault(Protocol):
    """What the harness reads of an implementation's fault table entry."""

    @property
    def requirement(self) -> str: ...
    @property
    def test_file(self) -> str: ...  # one case file, or several separated by spaces
    @property
    def description(self) -> str: ...
    @property
    def client(self) -> bool: ...


class Starter(Protocol):
    def __call__(
        self, workdir: Path, *, faults: str = "", client_faults: str = ""
    ) -> IndependentServer: ...


@dataclass(frozen=True)
class EkeImplementation:
    """An implementation under test: its label, how to start it, and its planted faults."""

    label: str  # "eke1"
    start: Starter
    faults: Mapping[str, PlantedFault]


def command(program: Sequence[str], faults: str, tail: str) -> str:
    """A client command template: `program` (with exactly `faults` planted) and `tail`,
    whose {placeholders} the suite fills."""
    prefix = f"env SFT_INDEPENDENT_FAULTS={faults} " if faults else ""
    return prefix + shlex.join(program) + tail


def lay_out(
    workdir: Path, add_user: Callable[[Account], None]
) -> tuple[Path, Path, tuple[KnownFile, ...], tuple[Account, ...]]:
    """The embedded reference's share layout (so the same share facts hold) and four
    accounts — one with a non-ASCII name and a password with spaces at both ends and a
    decomposed accent (EKE-PW-1: used as given), one whose name is itself decomposed
    (EKE-PW-4: never normalised) — added through the implementation's own tooling.
    Returns (share, inbox, files, accounts)."""
    workdir.mkdir(parents=True, exist_ok=True)
    share, inbox, files = EmbeddedReference(workdir)._make_share(workdir)
    accounts = (
        Account("alice", os.urandom(9).hex()),
        Account("bob", os.urandom(9).hex()),
        Account("zo\u00eb", f" \u00c9te\u0301-{os.urandom(6).hex()} "),
        Account("re\u0301my", os.urandom(9).hex()),  # decomposed (NFD): never normalised
    )
    for account in accounts:
        add_user(account)
    return share, inbox, files, accounts


def limit_options(
    limits: Limits, *, frame_option: str = "--max-frame", table_option: str | None = None
) -> list[str]:
    """`serve` options for the limits a target declares, in the option names the
    independent eke servers share (the frame limit's and the failure-table bound's vary);
    the optional facts (EKE-THR-7, EKE-THR-9, EKE-THR-11) only when declared."""
    options = [
        "--handshake-timeout", str(limits.handshake_timeout),
        "--idle-timeout", str(limits.idle_timeout),
        "--max-file-size", str(limits.max_file_size),
        "--max-connections", str(limits.max_connections),
        "--max-pending-per-address", str(limits.max_pending_per_address),
        frame_option, str(limits.frame_limit),
        "--throttle-failures", str(limits.throttle_failures),
        "--throttle-base", str(limits.throttle_base),
        "--throttle-cap", str(limits.throttle_cap),
    ]  # fmt: skip
    optional: list[tuple[str | None, object]] = [
        ("--pending-per-user", limits.pending_logins_per_user),
        ("--pending-per-address", limits.pending_logins_per_address),
        ("--lock-after", limits.lock_after),
        (table_option, limits.throttle_table_entries),
    ]
    for option, value in optional:
        if option is not None and value is not None:
            options += [option, str(value)]
    return options


def _cases_by_verdict(report: dict[str, object], verdict: str) -> list[dict[str, object]]:
    cases = report["cases"]
    assert isinstance(cases, list)
    return [c for c in cases if c["verdict"] == verdict]


def _sanity_ok(report: dict[str, object]) -> bool:
    summary = report["summary"]
    return isinstance(summary, dict) and bool(summary["sanity_ok"])


def check_sanity_get(impl: EkeImplementation, tmp_path: Path) -> None:
    """The implementation's own client fetches a file from its own server."""
    server = impl.start(tmp_path / impl.label)
    try:
        target = server.target
        account = target.accounts[0]
        password_file = tmp_path / "pw"
        password_file.write_text(account.password, encoding="utf-8")
        out = tmp_path / "out" / "hello.txt"
        out.parent.mkdir()
        assert target.client_cmd is not None
        argv = shlex.split(
            target.client_cmd.format(
                host=target.host, port=target.port, name="hello.txt", out=out,
                user=account.user, password_file=password_file,
            )
        )  # fmt: skip
        run = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
    finally:
        server.stop()
    assert run.returncode == 0, run.stderr
    assert out.read_bytes() == b"hello, world\n"


def check_conformant(
    impl: EkeImplementation, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """Every eke case, server and client (put client included), slow variants too: no
    FAIL, ERROR or TIMEOUT, and the sanity check passes."""
    if "slow" not in (request.config.getoption("markexpr") or ""):
        pytest.skip(f"the whole suite against {impl.label} takes minutes: run with -m slow")
    server = impl.start(tmp_path / impl.label)
    try:
        target_file = server.target.write_target_file(tmp_path / "target")
        report_dir = tmp_path / "report"
        # Not the self-tests, which would run this test again inside itself.
        run = run_suite(
            [
                str(PACKAGE), "--ignore", str(PACKAGE / "selftest"),
                "--target-config", str(target_file), "--no-rerun", "-m", "slow or not slow",
            ],
            report_dir,
            timeout=_FULL_RUN_TIMEOUT,
        )  # fmt: skip
    finally:
        server.stop()
    report = read_report(run, report_dir, impl.label)
    out = selftest_dir(request.config)
    out.mkdir(parents=True, exist_ok=True)
    (out / f"independent-{impl.label}.json").write_text(json.dumps(report, indent=1) + "\n")
    failing = [
        f"{c['nodeid']}: {str(c.get('evidence', ''))[:800]}"
        for v in ("FAIL", "ERROR", "TIMEOUT")
        for c in _cases_by_verdict(report, v)
    ]
    assert not failing, "false FAILs against a conforming implementation:\n" + "\n\n".join(failing)
    assert _sanity_ok(report), report["sanity"]


def check_fault(
    impl: EkeImplementation, name: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """The planted fault `name` FAILs under its requirement, with evidence."""
    planted = impl.faults[name]
    server = impl.start(
        tmp_path / impl.label,
        faults="" if planted.client else name,
        client_faults=name if planted.client else "",
    )
    try:
        target_file = server.target.write_target_file(tmp_path / "target")
        args = [str(PACKAGE / f) for f in planted.test_file.split()]
        args += ["--target-config", str(target_file)]
        if getattr(planted, "slow", False):  # only a `slow` case sees it
            args += ["-m", "slow or not slow"]
        elif getattr(planted, "thorough", False):  # only the thorough timing tier sees it
            args += ["-m", "timing or not timing"]
        args += ["--only-req", planted.requirement, "--no-rerun"]
        run = run_suite(args, tmp_path / "report", timeout=_FAULT_RUN_TIMEOUT)
    finally:
        server.stop()
    report = read_report(run, tmp_path / "report", f"fault {name}")
    failing = [
        c
        for c in _cases_by_verdict(report, "FAIL")
        if planted.requirement in (c.get("violates") or c["requirements"])  # type: ignore[operator]
    ]
    requirements = report["requirements"]
    assert isinstance(requirements, list)
    verdict = next(
        (r.get("verdict") for r in requirements if r["id"] == planted.requirement), "UNTESTED"
    )
    out = selftest_dir(request.config)
    out.mkdir(parents=True, exist_ok=True)
    (out / f"independent-{impl.label}-{name}.json").write_text(
        json.dumps(
            {
                "fault": name,
                "requirement": planted.requirement,
                "description": planted.description,
                "detected": bool(failing) and verdict == "FAIL",
                "failing_cases": [c["nodeid"] for c in failing],
                "evidence": str(failing[0]["evidence"])[:4000] if failing else "",
            },
            indent=1,
        )
        + "\n"
    )
    assert failing and verdict == "FAIL", (
        f"fault {name} ({planted.description}) not detected: {planted.requirement} is "
        f"{verdict}\n{run.stdout[-3000:]}"
    )
    assert str(failing[0]["evidence"]).strip(), "a FAIL must carry evidence"
    assert _sanity_ok(report), report["sanity"]
