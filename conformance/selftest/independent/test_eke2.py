"""The EKE cases proven on a third implementation (eke2.py, round 2), beside eke1.py.

eke2.py was written from docs/SPEC.md alone by other hands and in another style (asyncio,
`cryptography`, its own store format and choices, listed in its docstring). Two parts,
each a separate `pytest conformance ... --target-config FILE` run exactly as a user would
point the suite at their own server and client:

- the unmodified implementation, with the whole suite (server and client cases, slow
  variants too), must be judged CONFORMANT (`@pytest.mark.slow`: minutes);
- each planted fault (`eke2.FAULTS`, switched on by `SFT_INDEPENDENT_FAULTS`) must FAIL
  under the requirement it breaks, with the case file it names and `--only-req`
  (`SFT_SELFTEST=all`).
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from conformance.embedded import _SHARE_FACTS, EMBEDDED_LIMITS, EmbeddedReference
from conformance.selftest.independent import eke2
from conformance.selftest.independent.launching import fault_env
from conformance.selftest.suite_run import PACKAGE, read_report, run_suite, selftest_dir
from conformance.target import Account, Target
from sftkit.launch import LaunchedProcess, launch_server, run_command

_MODULE = "conformance.selftest.independent.eke2"
_READY_TIMEOUT = 20.0
_FAULT_RUN_TIMEOUT = 240.0
_FULL_RUN_TIMEOUT = 3600.0
_LEVEL = os.environ.get("SFT_SELFTEST", "").strip().lower()


@dataclass
class IndependentServer:
    """One eke2.py server process and the target that describes it."""

    process: LaunchedProcess
    target: Target
    log: Path

    def stop(self) -> None:
        self.process.stop()


def _command(faults: str, tail: str) -> str:
    prefix = f"env SFT_INDEPENDENT_FAULTS={faults} " if faults else ""
    return prefix + shlex.join([sys.executable, "-m", _MODULE]) + tail


def _client_template(faults: str) -> str:
    return _command(
        faults,
        " get {host}:{port} {name} --user {user} --password-file {password_file}"
        " -o {out} --connect-timeout 5 --handshake-timeout 5 --idle-timeout 5",
    )


def _client_put_template(faults: str) -> str:
    """eke2's put as the initiator-as-sender under test (test_client_put.py)."""
    return _command(
        faults,
        " put {host}:{port} {file} --as {name} --user {user} --password-file {password_file}"
        " --connect-timeout 5 --handshake-timeout 5 --idle-timeout 5",
    )


def _add_user(store: Path, account: Account) -> None:
    """Through eke2's own `user add` (its store format), the password on stdin."""
    argv = [sys.executable, "-m", _MODULE, "user", "add", account.user]
    argv += ["--store", str(store), "--password-stdin"]
    done = run_command(argv, stdin=account.password.encode("utf-8"), timeout=60)
    assert done.returncode == 0, done.stderr.decode(errors="replace")


def start_independent(
    workdir: Path, *, faults: str = "", client_faults: str = ""
) -> IndependentServer:
    """Lay out the embedded reference's share and accounts, and serve them with eke2.py."""
    workdir.mkdir(parents=True, exist_ok=True)
    share, inbox, files = EmbeddedReference(workdir)._make_share(workdir)
    store = workdir / "accounts.store"
    accounts = (
        Account("alice", os.urandom(9).hex()),
        Account("bob", os.urandom(9).hex()),
        Account("zo\u00eb", f" \u00c9te\u0301-{os.urandom(6).hex()} "),
    )
    for account in accounts:
        _add_user(store, account)
    # The embedded reference's short limits, with more room for the handshake and idle
    # timeouts (a pure-Python asyncio server on a loaded 2-core machine is slower).
    limits = replace(EMBEDDED_LIMITS, handshake_timeout=3.0, idle_timeout=5.0)
    argv = [
        sys.executable, "-m", _MODULE, "serve", "--listen", "127.0.0.1:0",
        "--store", str(store), "--state-dir", str(workdir / "state"),
        "--share", str(share), "--inbox", str(inbox),
        "--handshake-timeout", str(limits.handshake_timeout),
        "--idle-timeout", str(limits.idle_timeout),
        "--max-file-size", str(limits.max_file_size),
        "--max-connections", str(limits.max_connections),
        "--max-pending-per-address", str(limits.max_pending_per_address),
        "--max-frame", str(limits.frame_limit),
        "--throttle-failures", str(limits.throttle_failures),
        "--throttle-base", str(limits.throttle_base),
        "--throttle-cap", str(limits.throttle_cap),
    ]  # fmt: skip
    for option, value in (
        ("--pending-per-user", limits.pending_logins_per_user),
        ("--pending-per-address", limits.pending_logins_per_address),
        ("--lock-after", limits.lock_after),
    ):
        if value is not None:
            argv += [option, str(value)]
    restart_argv = [sys.executable, "-m", _MODULE, "restart", "--store", str(store)]
    restart_argv += ["--state-dir", str(workdir / "state")]
    log = workdir / "server.log"
    process = launch_server(
        argv, name="eke2", log=log, env=fault_env(faults), ready_timeout=_READY_TIMEOUT
    )
    target = Target(
        profile="eke",
        host=process.host,
        port=process.port,
        features=frozenset({"get", "put", "throttling", "busy"}),
        limits=limits,
        files=files,
        accounts=accounts,
        client_cmd=_client_template(client_faults),
        client_put_cmd=_client_put_template(client_faults),
        # EKE-THR-8: eke2 re-executes itself on the same listening socket; `restart`
        # returns once the new process serves (a bare `kill -HUP` returns before, and the
        # old process may still accept the suite's next connection, then drop it).
        restart_cmd=shlex.join(restart_argv),
        inbox=inbox,
        extra=dict(_SHARE_FACTS),
    )
    return IndependentServer(process, target, log)


@pytest.fixture
def independent(tmp_path: Path) -> Iterator[IndependentServer]:
    server = start_independent(tmp_path / "eke2")
    yield server
    server.stop()


def _cases_by_verdict(report: dict[str, object], verdict: str) -> list[dict[str, object]]:
    cases = report["cases"]
    assert isinstance(cases, list)
    return [c for c in cases if c["verdict"] == verdict]


@pytest.mark.skipif(not _LEVEL, reason="the independent implementation: set SFT_SELFTEST=1")
def test_sanity_get_with_own_client(independent: IndependentServer, tmp_path: Path) -> None:
    """eke2's own client fetches a file from eke2's server."""
    target = independent.target
    account = target.accounts[0]
    password_file = tmp_path / "pw"
    password_file.write_text(account.password)
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
    assert run.returncode == 0, run.stderr
    assert out.read_bytes() == b"hello, world\n"


def _run_whole(
    tmp_path: Path, request: pytest.FixtureRequest, paths: list[str], label: str
) -> dict[str, object]:
    server = start_independent(tmp_path / "eke2")
    try:
        target_file = server.target.write_target_file(tmp_path / "target")
        report_dir = tmp_path / "report"
        run = run_suite(
            [*paths, "--target-config", str(target_file), "--no-rerun", "-m", "slow or not slow"],
            report_dir,
            timeout=_FULL_RUN_TIMEOUT,
        )
    finally:
        server.stop()
    report = read_report(run, report_dir, label)
    out = selftest_dir(request.config)
    out.mkdir(parents=True, exist_ok=True)
    (out / f"independent-{label}.json").write_text(json.dumps(report, indent=1) + "\n")
    return report


@pytest.mark.slow
def test_whole_eke_suite_judges_independent_conformant(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """Every eke case, server and client (put client included), slow variants too."""
    if "slow" not in (request.config.getoption("markexpr") or ""):
        pytest.skip("the whole suite against eke2.py takes minutes: run with -m slow")
    # Not the self-tests, which would run this test again inside itself.
    report = _run_whole(
        tmp_path, request, [str(PACKAGE), "--ignore", str(PACKAGE / "selftest")], "eke2"
    )
    failing = [
        f"{c['nodeid']}: {str(c.get('evidence', ''))[:800]}"
        for v in ("FAIL", "ERROR", "TIMEOUT")
        for c in _cases_by_verdict(report, v)
    ]
    assert not failing, "false FAILs against a conforming implementation:\n" + "\n\n".join(
        failing
    )
    summary = report["summary"]
    assert isinstance(summary, dict) and summary["sanity_ok"], report["sanity"]


_FAULTS = sorted(eke2.FAULTS)


@pytest.mark.skipif(
    _LEVEL != "all",
    reason="planted faults of the independent implementation: set SFT_SELFTEST=all",
)
@pytest.mark.parametrize("name", _FAULTS)
def test_fault_is_detected(name: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    planted = eke2.FAULTS[name]
    server = start_independent(
        tmp_path / "eke2",
        faults="" if planted.client else name,
        client_faults=name if planted.client else "",
    )
    try:
        target_file = server.target.write_target_file(tmp_path / "target")
        args = [str(PACKAGE / planted.test_file), "--target-config", str(target_file)]
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
    (out / f"independent-eke2-{name}.json").write_text(
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
    summary = report["summary"]
    assert isinstance(summary, dict) and summary["sanity_ok"], report["sanity"]
