"""The legacy audit held against ports of the seeds it was not written beside.

impl_seedport_eke0.py is a literal Python 3 port of the eke/0 seed's server and client
code (one `recv(1024)` per message, prompts); impl_seedport_pki0.py a port of the pki/0
seed's document (responder, requester, the CA's `/verify`). Clean, each must be judged
exactly as the legacy design: every format case PASS, every flaw FAIL with its evidence,
exit 0. With one fault planted (`SFT_SEEDPORT_FAULTS`), the audit must report the ID the
fault names (FAULTS in each module): a format case FAILing, a flaw's unexpected pass, or
a flaw FAILing with evidence of the new weakness; never an ERROR.

The clean audits run by default; the per-fault runs are `slow` or SFT_SELFTEST=all.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import pytest

from conformance.legacy.selftest import impl_seedport_eke0, impl_seedport_pki0
from conformance.legacy.selftest.test_independent import (
    _EKE_ALWAYS,
    _PKI_ALWAYS,
    _check,
    _run,
    _start,
    _stop,
    _verdicts,
    eke_files,
    org,
)

__all__ = ["eke_files", "org"]  # fixtures, imported to be found by pytest

_PER_FAULT = pytest.mark.skipif(
    os.environ.get("SFT_SELFTEST") != "all" and "slow" not in os.environ.get("SFT_MARKS", ""),
    reason="per-fault audits: SFT_SELFTEST=all",
)

# --- sft-eke/0 -------------------------------------------------------------------

_EKE_MODULE = "conformance.legacy.selftest.impl_seedport_eke0"

# The seed's server and client, as ported: every flaw of the seed.
EKE_CLEAN = {
    **_EKE_ALWAYS,
    **dict.fromkeys(
        ["LEG-EKE-2", "LEG-EKE-4", "LEG-EKE-6", "LEG-EKE-7", "LEG-EKE-12", "LIM-5", "EKE-HS-2"],
        "FAIL",
    ),
    "EKE-X-1": "FAIL",
}
EKE_CLIENT_CLEAN = {
    "test_the_client_sends_the_password_in_clear": "FAIL",
    "test_the_client_does_not_verify_the_servers_confirmation": "FAIL",
    "test_the_client_keeps_a_file_replaced_in_transit": "FAIL",
    "test_the_client_refuses_a_file_its_digest_does_not_match": "PASS",
}


def _audit_eke(
    files: tuple[Path, Path], tmp_path: Path, faults: str = ""
) -> tuple[int, dict[str, Any]]:
    pwfile, served = files
    env = {"SFT_SEEDPORT_FAULTS": faults}  # for the server and (through the audit) the client
    proc, port = _start(
        [
            "-m",
            _EKE_MODULE,
            "server",
            "--port",
            "0",
            "--user",
            "yash101",
            "--password-file",
            str(pwfile),
            "--file",
            str(served),
            # A planted fault may break a session, and the seed's server serves one
            # connection: restarted as a supervisor would, so that one broken session
            # costs one case, not the rest of the audit.
            *(["--forever"] if faults else []),
        ],
        env,
    )
    try:
        return _run(
            "eke-legacy",
            "test_legacy_eke0.py",
            tmp_path,
            [
                "--target",
                f"127.0.0.1:{port}",
                "--user",
                "yash101",
                "--password-file",
                str(pwfile),
                "--client-cmd",
                f"{sys.executable} -m {_EKE_MODULE} client --host {{host}} --port {{port}} "
                "--out {out}",
                "--client-stdin",
                "{user}\\n{password}\\n",
                "--client-success",
                "file",
            ],
            env,
        )
    finally:
        _stop(proc)


def test_the_seed_port_eke0_is_judged_the_legacy_design(
    eke_files: tuple[Path, Path], tmp_path: Path
) -> None:
    code, report = _audit_eke(eke_files, tmp_path)
    _check(code, report, EKE_CLEAN, EKE_CLIENT_CLEAN)


# --- sft-pki/0 -------------------------------------------------------------------

_PKI_MODULE = "conformance.legacy.selftest.impl_seedport_pki0"

# The document's design: the responder checks the root's signature and nothing else,
# opens join(share, name) as sent; the requester takes whatever RSCV carries.
PKI_CLEAN = {
    **_PKI_ALWAYS,
    **dict.fromkeys(
        [
            "LEG-PKI-3",
            "LEG-PKI-5",
            "PKI-ID-1",
            "PKI-TLS-4",
            "PKI-CERT-3",
            "PKI-CERT-5",
            "PKI-CERT-6",
            "APP-NAME-2",
            "APP-NAME-4",
        ],
        "FAIL",
    ),
    **dict.fromkeys(["LEG-PKI-FMT-7", "LEG-CA-FMT-1", "LEG-CA-FMT-2", "LEG-CA-FMT-3"], "PASS"),
    **dict.fromkeys([f"LEG-CA-{n}" for n in (1, 2, 3, 5, 6, 7)], "FAIL"),
}


def _audit_pki(
    org: dict[str, Path], tmp_path: Path, faults: str = ""
) -> tuple[int, dict[str, Any]]:
    users, pwfile = tmp_path / "users", tmp_path / "alice.pw"
    password = os.urandom(6).hex()
    users.write_text(f"alice:{password}\n")
    pwfile.write_text(password + "\n")
    for path in (users, pwfile):
        path.chmod(0o600)
    env = {"SFT_SEEDPORT_FAULTS": faults}  # for the CA, the responder and the requester
    procs = []
    try:
        ca, ca_port = _start(
            ["-m", _PKI_MODULE, "ca", str(org["root_key"]), str(org["root"]), str(users)], env
        )
        procs.append(ca)
        responder, port = _start(
            [
                "-m",
                _PKI_MODULE,
                "serve",
                str(org["bob_key"]),
                str(org["bob"]),
                str(org["root"]),
                str(org["share"]),
            ],
            env,
        )
        procs.append(responder)
        return _run(
            "pki-legacy",
            "test_legacy_pki0.py",
            tmp_path,
            [
                str(Path(__file__).resolve().parent.parent / "test_legacy_ca0.py"),
                "--target",
                f"127.0.0.1:{port}",
                "--root",
                str(org["root"]),
                "--ca-key",
                str(org["root_key"]),
                "--ca-url",
                f"http://127.0.0.1:{ca_port}",
                "--enroll",
                f"alice:{pwfile}",
                "--target-config",
                str(org["config"]),
                "--client-cmd",
                f"{sys.executable} -m {_PKI_MODULE} get {{key}} {{cert}} {{host}} {{port}} "
                f"{{name}} {{out}} {org['root']}",
                "--client-success",
                "file",
            ],
            env,
        )
    finally:
        for proc in procs:
            _stop(proc)


def test_the_seed_port_pki0_is_judged_the_legacy_design(
    org: dict[str, Path], tmp_path: Path
) -> None:
    code, report = _audit_pki(org, tmp_path)
    _check(code, report, PKI_CLEAN)


# --- one fault at a time ------------------------------------------------------------

# For an "EVIDENCE" fault: what the flaw's evidence must show of the new weakness.
EVIDENCE = {
    "user-prefix": ("'yash10'", ""),  # a prefix of the account's name logged in
    "strip-dotdot": ("'/", ""),  # an absolute name served
    # the zero IV stays a finding; the fixed Ns is no longer one
    "random-nonce": ("all-zero IV", "in both sessions"),
}


def _judge_fault(fault: str, want: str, code: int, report: dict[str, Any]) -> None:
    kind, rid = want.split()
    verdicts = _verdicts(report)
    cases = [c for c in report["cases"] if rid in c["requirements"]]
    seen = {
        c["nodeid"].split("::")[1]: (c["verdict"], (c.get("evidence") or "")[:300]) for c in cases
    }
    errors = [c["nodeid"] for c in report["cases"] if c["verdict"] == "ERROR"]
    assert not errors, (fault, errors, seen)
    if kind == "FAIL":
        assert verdicts.get(rid) in ("FAIL", "TIMEOUT"), (fault, want, seen)
        assert code == 1, (fault, code, report["summary"])
    elif kind == "PASS":
        assert any(c["verdict"] == "PASS" and c["unexpected"] for c in cases), (fault, seen)
        assert code == 1, (fault, code, report["summary"])
    else:
        failed = [c.get("evidence") or "" for c in cases if c["verdict"] == "FAIL"]
        shows, hides = EVIDENCE[fault]
        assert any(shows in e and not (hides and hides in e) for e in failed), (fault, seen)


@_PER_FAULT
@pytest.mark.parametrize("fault", sorted(impl_seedport_eke0.FAULTS))
def test_a_fault_in_the_eke0_port_is_reported(
    fault: str, eke_files: tuple[Path, Path], tmp_path: Path
) -> None:
    code, report = _audit_eke(eke_files, tmp_path, fault)
    _judge_fault(fault, impl_seedport_eke0.FAULTS[fault][1], code, report)


@_PER_FAULT
@pytest.mark.parametrize("fault", sorted(impl_seedport_pki0.FAULTS))
def test_a_fault_in_the_pki0_port_is_reported(
    fault: str, org: dict[str, Path], tmp_path: Path
) -> None:
    code, report = _audit_pki(org, tmp_path, fault)
    _judge_fault(fault, impl_seedport_pki0.FAULTS[fault][1], code, report)
