"""The CA cases proven on a second CA (conformance/selftest/independent/ca1.py).

The CA's mutants are plantings in the reference's CA: a case tuned to its quirks passes
them, yet may FAIL a right CA written from docs/SPEC.md alone, or pass a wrong one. Here
the embedded reference provides only the organisation's root (and its key, which ca1 is
installed with) and the responder the sanity conversation talks to; the CA under test is
ca1, described with a target file exactly as a user describes theirs (`ca_url`, `enroll`,
`ca_user_add_cmd`, `ca_revoke_cmd`, `[limits]` of the CA).

- `test_independent_ca1_is_conformant` (`slow`): every CA case against the unmodified
  ca1: CONFORMANT, no FAIL.
- `test_independent_ca_fault_is_detected` (`SFT_SELFTEST=all`): each fault of
  `ca1.FAULTS` (SFT_INDEPENDENT_FAULTS) FAILs under its requirement with evidence, with
  only the case files that concern it, and the sanity check passes.

The default run pays nothing: both are opt-in.
"""

from __future__ import annotations

import json
import os
import secrets
import shlex
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from conformance.embedded import EmbeddedReference
from conformance.selftest.independent.ca1 import FAULTS
from conformance.selftest.independent.launching import fault_env
from conformance.selftest.suite_run import PACKAGE, read_report, run_suite, selftest_dir
from conformance.target import Account, Target
from sftkit.launch import LaunchedProcess, launch_server

_LEVEL = os.environ.get("SFT_SELFTEST", "").strip().lower()
_RUN_TIMEOUT = 900.0
_FAULT_RUN_TIMEOUT = 240.0
_READY_TIMEOUT = 20.0
_MODULE = "conformance.selftest.independent.ca1"
# ca1's configuration, declared in its target file as a user would: a validity other
# than the SPEC's default (a CA that ignores its configuration shows), a short throttle.
_VALIDITY_DAYS = 9.0
_THROTTLE_AFTER = 3
_LOCK_AFTER = 4
_THROTTLE_CAP = 2.0
pytestmark = pytest.mark.xdist_group("independent-ca1")

# The case files (and, in shared files, the cases) that judge a CA.
_CA_FILES = (
    "test_ca.py",
    "test_ca_csr.py",
    "test_ca_throttle.py",
    "test_pki_hardening.py::test_ca_crl_lives_at_most_seven_days",
    "test_pki_hardening.py::test_ca_refuses_alias_equal_to_its_host_name",
    "test_timing.py::test_ca_unknown_alias_costs_a_wrong_password",
)

_CSR = ("test_ca_csr.py",)
_THROTTLE = ("test_ca_throttle.py",)
_HOSTNAME = ("test_pki_hardening.py::test_ca_refuses_alias_equal_to_its_host_name",)
# Per fault: the case files that concern its requirement (the run adds --only-req).
_FILES: dict[str, tuple[str, ...]] = {
    "unknown-alias-404": ("test_ca.py",),
    "unknown-alias-message": ("test_ca.py",),
    "no-dummy-hash": ("test_timing.py::test_ca_unknown_alias_costs_a_wrong_password",),
    "csr-signature-unchecked": _CSR,
    "csr-san-copied": _CSR,
    "csr-ca-copied": _CSR,
    "csr-eku-copied": _CSR,
    "cn-from-csr": _CSR,
    "serial-sequential": _CSR,
    "serial-32-bit": _CSR,
    "validity-default": _CSR,
    "revoke-newest-only": ("test_ca.py",),
    "revoked-can-enrol": ("test_ca.py",),
    "crl-30-days": ("test_pki_hardening.py::test_ca_crl_lives_at_most_seven_days",),
    "count-after-verify": _THROTTLE,
    "no-address-throttle": _THROTTLE,
    "success-clears-address": _THROTTLE,
    "backoff-constant": _THROTTLE,
    "pending-is-failure": _THROTTLE,
    "busy-counted": _THROTTLE,
    "lock-expires": _THROTTLE,
    "hostname-alias": _HOSTNAME,
    "body-unbounded": ("test_ca.py",),
    "query-ignored": ("test_ca.py",),
    "tls12-allowed": ("test_ca.py",),
    "p384-accepted": _CSR,
    "sha1-csr-accepted": _CSR,
    "rsa-key-encipherment": _CSR,
    "not-before-future": _CSR,
    "busy-no-retry-after": _THROTTLE,
    "query-empty-passes": ("test_ca.py",),
    "hash-blocklist": _CSR,
    "crl-cached": ("test_ca.py",),
    "validity-plus-skew": _CSR,
    "hostname-trailing-dot": _HOSTNAME,
    "hostname-url-only": _HOSTNAME,
    "revoked-403": ("test_ca.py",),
    "retry-after-missing": _THROTTLE,
    "unknown-not-counted": _THROTTLE,
    "crl-sha384": ("test_ca.py",),
    "crl-this-update-future": ("test_ca.py",),
    "address-from-forwarded": _THROTTLE,
    "lock-after-verify": _THROTTLE,
    "revoked-message": ("test_ca.py",),
    "csr-first-pem": _CSR,
    "bad-csr-uncounted": _THROTTLE,
    "no-key-identifiers": _CSR,
    "aki-of-subject": _CSR,
    "keepalive-unthrottled": _THROTTLE,
    "unknown-alias-500": ("test_ca.py",),
    "alias-folded": ("test_ca.py",),
    "curve-by-size": _CSR,
    "rsa-1024-refused-only": _CSR,
    "keepalive-trusted": _THROTTLE,
    "pending-leak-bad-csr": _THROTTLE,
    "body-latin1": _THROTTLE,
    "dotted-alias-refused": _THROTTLE,
    "csr-sha256-only": _CSR,
    "bad-csr-verified-400": _THROTTLE,
    "success-leaks-address": _THROTTLE,
    "retry-after-float": _THROTTLE,
    "throttle-clock-at-start": _THROTTLE,
    "pop-cached-by-key": _CSR,
}


@dataclass(frozen=True)
class FaultCase:
    """A fault of ca1 and where the suite must see it."""

    name: str
    requirement: str
    files: tuple[str, ...]


FAULT_CASES = tuple(FaultCase(name, FAULTS[name][0], _FILES[name]) for name in FAULTS)


@dataclass
class IndependentCa:
    """ca1 holding the embedded organisation's root, and its target file."""

    proc: LaunchedProcess
    target: Target
    target_file: Path

    def stop(self) -> None:
        self.proc.stop()


def start_independent_ca(base: Target, workdir: Path, *, faults: str = "") -> IndependentCa:
    """ca1 (with `faults`, also in its administration commands) on a store of its own."""
    assert base.root is not None and base.ca_key is not None
    store = workdir / "ca1"
    store.mkdir(parents=True, exist_ok=True)
    env = fault_env(faults)
    admin = [sys.executable, "-m", _MODULE]
    enrolment = Account("suite", secrets.token_urlsafe(12))
    subprocess.run(
        [*admin, "user", "add", enrolment.user, "--dir", str(store), "--password-stdin"],
        input=(enrolment.password + "\n").encode(),
        env=env,
        check=True,
        capture_output=True,
        timeout=30,
    )
    cmd = [
        *admin, "serve", "--dir", str(store), "--root", str(base.root),
        "--root-key", str(base.ca_key), "--listen", "127.0.0.1:0",
        "--validity-days", str(_VALIDITY_DAYS), "--throttle-after", str(_THROTTLE_AFTER),
        "--lock-after", str(_LOCK_AFTER), "--throttle-cap", str(_THROTTLE_CAP),
    ]  # fmt: skip
    proc = launch_server(
        cmd, name="ca1", log=workdir / "ca1-serve.log", env=env, ready_timeout=_READY_TIMEOUT
    )
    host, port = proc.host, proc.port
    prefix = " ".join(
        [
            *(["env", f"SFT_INDEPENDENT_FAULTS={faults}"] if faults else []),
            shlex.quote(sys.executable),
            "-m",
            _MODULE,
        ]
    )
    store_arg = shlex.quote(str(store))
    limits = replace(
        base.limits,
        cert_validity_days=_VALIDITY_DAYS,
        ca_throttle_failures=_THROTTLE_AFTER,
        ca_lock_after=_LOCK_AFTER,
        ca_throttle_cap=_THROTTLE_CAP,
    )
    target = base.with_changes(
        ca_url=f"https://{host}:{port}",
        enroll=(enrolment,),
        ca_user_add_cmd=f"{prefix} user add {{alias}} --dir {store_arg} --password-stdin",
        ca_revoke_cmd=f"{prefix} revoke {{alias}} --dir {store_arg}",
        # The embedded CA's restart command restarts the reference, not ca1 (CA-ENR-20).
        ca_restart_cmd=None,
        limits=limits,
        embedded=False,
    )
    return IndependentCa(proc, target, target.write_target_file(workdir / "target"))


@pytest.fixture(scope="module")
def workspace() -> Iterator[Path]:
    """A directory of our own, not pytest's basetemp (other sessions rotate those)."""
    with tempfile.TemporaryDirectory(prefix="sft-independent-ca1-") as directory:
        yield Path(directory)


@pytest.fixture(scope="module")
def organisation(workspace: Path) -> Iterator[Target]:
    """The embedded reference's root (and key), identities and responder (its CA unused)."""
    ref = EmbeddedReference(workspace / "organisation")
    try:
        yield ref.pki()
    finally:
        ref.stop()


def _failing(report: dict[str, object], requirement: str | None = None) -> list[dict[str, str]]:
    cases = report["cases"]
    assert isinstance(cases, list)
    return [
        c
        for c in cases
        if c["verdict"] == "FAIL"
        and (requirement is None or requirement in (c.get("violates") or c["requirements"]))
    ]


def _args(files: tuple[str, ...]) -> list[str]:
    return [str(PACKAGE / f) for f in files]


@pytest.mark.slow
@pytest.mark.skipif(not _LEVEL, reason="self-test: set SFT_SELFTEST=1 or =all (whole suite run)")
def test_independent_ca1_is_conformant(
    organisation: Target, workspace: Path, request: pytest.FixtureRequest
) -> None:
    tmp_path = workspace / "conformant"
    independent = start_independent_ca(organisation, tmp_path)
    try:
        args = [*_args(_CA_FILES), "--target-config", str(independent.target_file)]
        run = run_suite(args, tmp_path / "report", timeout=_RUN_TIMEOUT)
    finally:
        independent.stop()
    report = read_report(run, tmp_path / "report", "the independent ca1")
    failing = _failing(report)
    out = selftest_dir(request.config)
    out.mkdir(parents=True, exist_ok=True)
    (out / "independent-ca1.json").write_text(
        json.dumps(
            {
                "summary": report["summary"],
                "failing": [
                    {"nodeid": c["nodeid"], "message": c["message"][:400]} for c in failing
                ],
            },
            indent=1,
        )
        + "\n"
    )
    assert report["summary"]["sanity_ok"], report["sanity"]
    assert not failing, "false FAILs against the independent ca1:\n" + "\n".join(
        f"  {c['nodeid']}: {c['message'][:300]}" for c in failing
    )


@pytest.mark.skipif(_LEVEL != "all", reason="self-test of ca1's faults: set SFT_SELFTEST=all")
@pytest.mark.parametrize("case", FAULT_CASES, ids=[c.name for c in FAULT_CASES])
def test_independent_ca_fault_is_detected(
    case: FaultCase, organisation: Target, workspace: Path, request: pytest.FixtureRequest
) -> None:
    tmp_path = workspace / case.name
    independent = start_independent_ca(organisation, tmp_path, faults=case.name)
    try:
        args = [*_args(case.files), "--target-config", str(independent.target_file)]
        args += ["--only-req", case.requirement, "--no-rerun"]
        run = run_suite(args, tmp_path / "report", timeout=_FAULT_RUN_TIMEOUT)
    finally:
        independent.stop()
    report = read_report(run, tmp_path / "report", f"ca1 with fault {case.name}")
    failing = _failing(report, case.requirement)
    verdicts = {r["id"]: r["verdict"] for r in report["requirements"]}
    out = selftest_dir(request.config)
    out.mkdir(parents=True, exist_ok=True)
    (out / f"independent-ca1-{case.name}.json").write_text(
        json.dumps(
            {
                "fault": case.name,
                "requirement": case.requirement,
                "description": FAULTS[case.name][1],
                "detected": bool(failing) and verdicts.get(case.requirement) == "FAIL",
                "failing_cases": [c["nodeid"] for c in failing],
                "evidence": failing[0]["evidence"][:4000] if failing else "",
                "duration_s": report.get("duration_s"),
            },
            indent=1,
        )
        + "\n"
    )
    assert failing and verdicts.get(case.requirement) == "FAIL", (
        f"fault {case.name} ({FAULTS[case.name][1]}) was not detected: {case.requirement} is "
        f"{verdicts.get(case.requirement, 'UNTESTED')}\n{run.stdout[-3000:]}"
    )
    assert failing[0]["evidence"].strip(), "a FAIL must carry evidence"
    assert report["summary"]["sanity_ok"], report["sanity"]
