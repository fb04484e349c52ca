"""The EKE cases proven on a sixth implementation (eke6.py, session 8).

eke6.py was written from docs/SPEC.md alone, in another style again (synchronous,
`socketserver.ThreadingTCPServer`, SQLite stores, `cryptography`, a hand-written HKDF;
its choices at the top of the module). conformance/selftest/independent/eke_harness.py
runs the checks, each a separate `pytest conformance ... --target-config FILE` run:
its own client against its own server; the whole suite judges it CONFORMANT (`slow`);
each planted fault (`eke6.FAULTS`, switched on by `SFT_INDEPENDENT_FAULTS`) FAILs under
its requirement (`SFT_SELFTEST=all`).
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import pytest

from conformance.embedded import _SHARE_FACTS, EMBEDDED_LIMITS
from conformance.selftest.independent import eke6
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
from conformance.selftest.independent.launching import fault_env, hup_restart_command
from conformance.target import Account, Target
from sftkit.launch import launch_server, run_command

_MODULE = "conformance.selftest.independent.eke6"
_PROGRAM = (sys.executable, "-m", _MODULE)
_READY_TIMEOUT = 20.0
_TIMEOUTS = " --connect-timeout 5 --handshake-timeout 5 --idle-timeout 5"


def _add_user(store: Path, account: Account) -> None:
    """Through eke6's own `user add` (its SQLite store), the password on stdin."""
    argv = [*_PROGRAM, "user", "add", account.user, "--store", str(store), "--password-stdin"]
    done = run_command(argv, stdin=account.password.encode("utf-8"), timeout=60)
    assert done.returncode == 0, done.stderr.decode(errors="replace")


def start_independent(
    workdir: Path, *, faults: str = "", client_faults: str = ""
) -> IndependentServer:
    """Lay out the embedded reference's share and accounts, and serve them with eke6.py."""
    store = workdir / "accounts.sqlite"
    share, inbox, files, accounts = lay_out(workdir, lambda account: _add_user(store, account))
    # The embedded reference's short limits, with more room for the handshake and idle
    # timeouts (a pure-Python threaded server on a loaded 2-core machine is slower).
    # Its failure tables are bounded by --table-entries (EKE-THR-9).
    limits = replace(EMBEDDED_LIMITS, handshake_timeout=3.0, idle_timeout=5.0)
    argv = [
        *_PROGRAM, "serve", "--listen", "127.0.0.1:0",
        "--store", str(store), "--state-dir", str(workdir / "state"),
        "--share", str(share), "--inbox", str(inbox),
        *limit_options(limits, table_option="--table-entries"),
    ]  # fmt: skip
    log = workdir / "server.log"
    process = launch_server(
        argv, name="eke6", log=log, env=fault_env(faults), ready_timeout=_READY_TIMEOUT
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
        # EKE-THR-8: eke6 re-executes itself on SIGHUP on the same listening socket; the
        # command returns once the new image prints its `listening on` line.
        restart_cmd=hup_restart_command(process.pid, log),
        inbox=inbox,
        extra=dict(_SHARE_FACTS),
        share=share,
    )
    return IndependentServer(process, target, log)


IMPL = EkeImplementation("eke6", start_independent, eke6.FAULTS)


@pytest.mark.skipif(not LEVEL, reason="the independent implementation: set SFT_SELFTEST=1")
def test_sanity_get_with_own_client(tmp_path: Path) -> None:
    """eke6's own client fetches a file from eke6's server."""
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
@pytest.mark.parametrize("name", sorted(eke6.FAULTS))
def test_fault_is_detected(name: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    check_fault(IMPL, name, tmp_path, request)
