"""The suite run as a user runs it: a separate `pytest` process given a target file.

Shared by the self-tests: test_mutants.py (the planted bug's requirement must FAIL) and
test_parity.py (a separately started reference gets the embedded run's verdicts). Both
describe a reference they started (conformance.embedded) with `Target.write_target_file`,
and the run under test learns about it only through `--target-config`.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from conformance.target import Target

__all__ = [
    "PACKAGE",
    "REFERENCE_CLI",
    "ROOT",
    "client_identity",
    "read_report",
    "reference_client_cmd",
    "reference_client_crl_cmd",
    "reference_client_put_cmd",
    "run_suite",
    "selftest_dir",
]

PACKAGE = Path(__file__).resolve().parent.parent
ROOT = PACKAGE.parent
# The unmutated reference's command line (a mutant launcher replaces it).
REFERENCE_CLI = (sys.executable, "-m", "reference")
# Variables of the calling pytest that must not leak into the run under test: an xdist
# worker's identity, the caller's options, and SFT_SELFTEST / SFT_TOOLKIT_TESTS (a run of
# all of conformance/ would otherwise collect the self-tests again and recurse).
_NOT_INHERITED = frozenset(
    {"PYTEST_XDIST_WORKER", "PYTEST_ADDOPTS", "SFT_SELFTEST", "SFT_TOOLKIT_TESTS"}
)


def client_identity(target: Target, iddir: Path) -> Path:
    """The suite's own identity in the reference client's layout (cert, key, root, CA)."""
    if "suite" not in target.identities or target.root is None:
        pytest.skip("the pki reference has no 'suite' identity for the client")
    iddir.mkdir(mode=0o700, parents=True)
    cert, key = target.identities["suite"]
    (iddir / "cert.pem").write_bytes(cert.read_bytes())
    (iddir / "key.pem").touch(mode=0o600)
    (iddir / "key.pem").write_bytes(key.read_bytes())
    (iddir / "root.pem").write_bytes(target.root.read_bytes())
    if target.ca_url:
        (iddir / "ca-url").write_text(target.ca_url + "\n")
    return iddir


def reference_client_cmd(target: Target, launcher: Sequence[str], iddir: Path) -> str:
    """A `--client-cmd` template that runs the reference's initiator through `launcher`
    (the embedded run's default client, written out as a user would give it)."""
    prefix = shlex.join(launcher)
    if target.profile == "eke":
        return prefix + (
            " eke get {host}:{port} {name} --user {user} --password-file {password_file}"
            " -o {out} --quiet --connect-timeout 5 --handshake-timeout 5"
        )
    home = shlex.quote(str(client_identity(target, iddir)))
    return prefix + f" get {{alias}}@{{host}}:{{port}} {{name}} --id {home} -o {{out}}"


def reference_client_crl_cmd(
    target: Target, launcher: Sequence[str], iddir: Path
) -> str | None:
    """A `client_crl_cmd` template that runs the reference's initiator through
    `launcher` with `--crl {crl}` (pki only; call reference_client_cmd first: it creates
    `iddir`)."""
    if target.profile != "pki":
        return None
    from conformance.embedded import reference_client_crl_cmd as template

    return template(launcher, iddir)


def reference_client_put_cmd(target: Target, launcher: Sequence[str], iddir: Path) -> str:
    """A `--client-put-cmd` template that runs the reference's initiator as a sender
    through `launcher` ({file} sent as {name}); the pki identity as reference_client_cmd's
    (call that first: it creates `iddir`)."""
    prefix = shlex.join(launcher)
    if target.profile == "eke":
        return prefix + (
            " eke put {host}:{port} {file} --as {name} --user {user}"
            " --password-file {password_file} --quiet --connect-timeout 5"
            " --handshake-timeout 5"
        )
    home = shlex.quote(str(iddir))
    return prefix + f" put {{alias}}@{{host}}:{{port}} {{file}} --as {{name}} --id {home} --quiet"


def run_suite(
    args: Sequence[str], report_dir: Path, *, timeout: float
) -> subprocess.CompletedProcess[str]:
    """`pytest ARGS --report-dir REPORT_DIR` in a fresh process, without xdist."""
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        *args,
        "--report-dir",
        str(report_dir),
        "-p",
        "no:xdist",
        "-p",
        "no:cacheprovider",
        "-q",
        "--no-header",
    ]
    env = {k: v for k, v in os.environ.items() if k not in _NOT_INHERITED}
    return subprocess.run(
        cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout, env=env, check=False
    )


def read_report(
    run: subprocess.CompletedProcess[str], report_dir: Path, what: str
) -> dict[str, Any]:
    """The conformance.json the run wrote (a test failure with the run's output if none)."""
    path = report_dir / "conformance.json"
    assert path.is_file(), (
        f"the suite wrote no report against {what}:\n{run.stdout[-3000:]}\n{run.stderr[-2000:]}"
    )
    report: dict[str, Any] = json.loads(path.read_text())
    return report


def selftest_dir(config: pytest.Config) -> Path:
    """Where the self-tests leave their results: `<--report-dir>/selftest`."""
    base = Path(config.getoption("report_dir", "reports") or "reports")
    if not base.is_absolute():
        base = Path(config.invocation_params.dir) / base
    return base / "selftest"
