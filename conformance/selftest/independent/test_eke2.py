"""The EKE cases proven on a third implementation (eke2.py, round 2), beside eke1.py.

eke2.py was written from docs/SPEC.md alone by other hands and in another style (asyncio,
`cryptography`, its own store format and choices, listed in its docstring).
conformance/selftest/independent/eke_harness.py runs the checks, each a separate `pytest
conformance ... --target-config FILE` run exactly as a user would point the suite at
their own server and client: its own client against its own server; the whole suite
judges it CONFORMANT (`slow`); each planted fault (`eke2.FAULTS`, switched on by
`SFT_INDEPENDENT_FAULTS`) FAILs under its requirement (`SFT_SELFTEST=all`).
"""

from __future__ import annotations

import shlex
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from conformance.embedded import _SHARE_FACTS, EMBEDDED_LIMITS
from conformance.selftest.independent import eke2
from conformance.selftest.independent.eke_harness import (
    LEVEL,
    EkeImplementation,
    IndependentServer,
    check_conformant,
    check_fault,
    check_sanity_get,
    command,
    lay_out,
    limit_options,
)
from conformance.selftest.independent.launching import fault_env
from conformance.target import Account, Target
from sftkit.launch import launch_server, run_command

_MODULE = "conformance.selftest.independent.eke2"
_PROGRAM = (sys.executable, "-m", _MODULE)
_READY_TIMEOUT = 20.0
_TIMEOUTS = " --connect-timeout 5 --handshake-timeout 5 --idle-timeout 5"


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
    store = workdir / "accounts.store"
    share, inbox, files, accounts = lay_out(workdir, lambda account: _add_user(store, account))
    # The embedded reference's short limits, with more room for the handshake and idle
    # timeouts (a pure-Python asyncio server on a loaded 2-core machine is slower).
    # No failure-table bound declared (EKE-THR-9): its tables are not the reference's 16.
    limits = replace(
        EMBEDDED_LIMITS, handshake_timeout=3.0, idle_timeout=5.0, throttle_table_entries=None
    )
    argv = [
        sys.executable, "-m", _MODULE, "serve", "--listen", "127.0.0.1:0",
        "--store", str(store), "--state-dir", str(workdir / "state"),
        "--share", str(share), "--inbox", str(inbox),
        *limit_options(limits),
    ]  # fmt: skip
    restart_argv = [sys.executable, "-m", _MODULE, "restart", "--store", str(store)]
    restart_argv += ["--state-dir", str(workdir / "state")]
    log = workdir / "server.log"
    process = launch_server(
        argv, name="eke2", log=log, env=fault_env(faults), ready_timeout=_READY_TIMEOUT
    )
    target = Target(
        eke_server_log=log,  # its output, as launch_server copies it
        profile="eke",
        host=process.host,
        port=process.port,
        features=frozenset({"get", "put", "throttling", "busy"}),
        limits=limits,
        files=files,
        accounts=accounts,
        client_cmd=command(
            _PROGRAM,
            client_faults,
            " get {host}:{port} {name} --user {user} --password-file {password_file}"
            " -o {out}" + _TIMEOUTS,
        ),
        client_put_cmd=command(
            _PROGRAM,
            client_faults,
            " put {host}:{port} {file} --as {name} --user {user}"
            " --password-file {password_file}" + _TIMEOUTS,
        ),
        # EKE-THR-8: eke2 re-executes itself on the same listening socket; `restart`
        # returns once the new process serves (a bare `kill -HUP` returns before, and the
        # old process may still accept the suite's next connection, then drop it).
        restart_cmd=shlex.join(restart_argv),
        inbox=inbox,
        extra=dict(_SHARE_FACTS),
        share=share,  # the suite may write beside its files (APP-NAME-5's race)
    )
    return IndependentServer(process, target, log)


IMPL = EkeImplementation("eke2", start_independent, eke2.FAULTS)


@pytest.mark.skipif(not LEVEL, reason="the independent implementation: set SFT_SELFTEST=1")
def test_sanity_get_with_own_client(tmp_path: Path) -> None:
    """eke2's own client fetches a file from eke2's server."""
    check_sanity_get(IMPL, tmp_path)


@pytest.mark.slow
def test_whole_eke_suite_judges_independent_conformant(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """Every eke case, server and client (put client included), slow variants too."""
    check_conformant(IMPL, tmp_path, request)


@pytest.mark.skipif(
    LEVEL != "all",
    reason="planted faults of the independent implementation: set SFT_SELFTEST=all",
)
@pytest.mark.parametrize("name", sorted(eke2.FAULTS))
def test_fault_is_detected(name: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    check_fault(IMPL, name, tmp_path, request)
