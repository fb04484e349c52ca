"""The legacy audit held against leg-go: a clean-room Go 1.19 implementation of the seeds'
designs (conformance/legacy/selftest/leg_go/: eke/0 server and client, pki/0 responder,
requester, enrolment client and CA; its choices at the top of leg_go/main.go), written
from the seed documents and docs/SPEC.md §7 alone, with the standard library only
(net, crypto/rsa OAEP, crypto/x509, math/big, net/http, encoding/json). A faithful
implementation must be judged exactly the seed design whatever its language (every
LEG-*-FMT case PASS, every flaw FAIL with its evidence, exit 0), and a deviating one
reported under the right ID. Its CA is the second foreign legacy CA the audit meets
(after leg-node's): the CA cases run against it through `--ca-url` / `--enroll`, and the
responder under audit holds a certificate that CA issued (`leggo enroll`).

It is built here with the installed `go` into a cache directory (never into the tree; no
module downloads: GOFLAGS=-mod=mod GOPROXY=off). Without `go` (Debian: golang-go,
>= 1.19) every audit SKIPs with the reason.

- `test_leg_go_eke0_is_judged_the_legacy_design`, `..._pki0_...` (default run of the
  legacy self-test): the clean programs, audited as a deployment would be.
- `test_a_leg_go_fault_is_reported` (SFT_SELFTEST=all): each planted fault
  (`SFT_INDEPENDENT_FAULTS`, the table in leg_go/faults.go, mirrored in `FAULTS` here)
  makes the audit exit 1 reporting its ID: a format case FAILing ("FAIL ID"), a flaw's
  unexpected pass ("PASS ID"); never an ERROR.
- `test_fault_tables_agree` (always, no go needed): the two tables agree.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from conformance.legacy.selftest.test_independent import _check, _run, eke_files, org
from conformance.legacy.selftest.test_leg_node import EKE_CLEAN, EKE_CLIENT_CLEAN, PKI_CLEAN
from conformance.legacy.selftest.test_seedport import _judge_fault
from sftkit.launch import LaunchedProcess, launch_server

__all__ = ["FAULTS", "eke_files", "leggo", "org"]  # fixtures, imported to be found by pytest

SOURCE = Path(__file__).resolve().parent / "leg_go"
_ROOT = SOURCE.parent.parent.parent.parent
_BUILD_DIR = Path(tempfile.gettempdir()) / f"sft-leg-go-build-{os.getuid()}"
_BINARY = _BUILD_DIR / "leggo"
_EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
pytestmark = pytest.mark.xdist_group("legacy-leg-go")

# name -> "FAIL ID" | "PASS ID" | "EVIDENCE ID": what the audit must report for that fault
# (as test_seedport.py judges them; EVIDENCE: the flaw still FAILs, exit 0 as for the seed,
# and its evidence shows what `EVIDENCE` below says of the change); the program is the
# name's prefix (eke- / pki- / ca-).
FAULTS: dict[str, str] = {
    "eke-length-uint32": "FAIL LEG-EKE-FMT-3",
    "eke-p-atoi": "FAIL LEG-EKE-FMT-3",
    "eke-readfull-user": "FAIL LEG-EKE-FMT-3",
    "eke-pad-spaces": "FAIL LEG-EKE-FMT-3",
    "eke-pad-left": "FAIL LEG-EKE-FMT-3",
    "eke-key-last-digits": "FAIL LEG-EKE-FMT-4",
    "eke-key-fillbytes": "FAIL LEG-EKE-FMT-4",
    "eke-cbc-reused": "FAIL LEG-EKE-FMT-4",
    "eke-ecb": "FAIL LEG-EKE-FMT-4",
    "eke-digest-upper": "FAIL LEG-EKE-FMT-5",
    "eke-last-chunk-dropped": "FAIL LEG-EKE-FMT-5",
    "eke-goroutine-per-conn": "PASS LEG-EKE-12",
    "eke-user-checked": "PASS LEG-EKE-2",
    "eke-rand-exponent": "PASS LEG-EKE-4",
    "eke-println-acks": "FAIL LEG-EKE-FMT-3",
    "eke-client-println": "FAIL LEG-EKE-FMT-1",
    "eke-client-commit-early": "FAIL LEG-EKE-FMT-6",
    "eke-client-eof-ok": "FAIL LEG-EKE-FMT-6",
    "pki-length-le": "FAIL LEG-PKI-FMT-1",
    "pki-length-uint64": "FAIL LEG-PKI-FMT-1",
    "pki-rsfl-oaep-sha1": "FAIL LEG-PKI-FMT-6",
    "pki-rsfl-oaep-label": "FAIL LEG-PKI-FMT-6",
    "pki-rsfl-pkcs1v15": "FAIL LEG-PKI-FMT-6",
    "pki-piece-128": "FAIL LEG-PKI-FMT-6",
    "pki-empty-file-frame": "FAIL LEG-PKI-FMT-6",
    "pki-rsci-silent": "FAIL LEG-PKI-FMT-4",
    "pki-rscv-chain": "FAIL LEG-PKI-FMT-4",
    "pki-single-read": "FAIL LEG-PKI-FMT-1",
    "pki-rsci-no-close": "FAIL LEG-PKI-FMT-4",
    "pki-open-error-reads-on": "FAIL LEG-PKI-FMT-7",
    "pki-filepath-join": "EVIDENCE LEG-PKI-5",
    "pki-go-join": "PASS LEG-PKI-5",
    "ca-wrong-password-403": "FAIL LEG-CA-FMT-3",
    "ca-body-limit-400": "FAIL LEG-CA-FMT-3",
    "ca-base64-raw": "FAIL LEG-CA-FMT-1",
    "ca-base64-url": "FAIL LEG-CA-FMT-1",
    "ca-sha1-signature": "FAIL LEG-CA-FMT-2",
    "ca-extensions": "PASS LEG-CA-6",
    # round 2
    "eke-r2-ns-binary": "FAIL LEG-EKE-FMT-4",
    "eke-r2-m18-from-ns": "FAIL LEG-EKE-FMT-4",
    "eke-r2-length-hex": "FAIL LEG-EKE-FMT-3",
    "eke-r2-chunk-overlap": "FAIL LEG-EKE-FMT-5",
    "eke-r2-digest-first-chunk": "FAIL LEG-EKE-FMT-5",
    "eke-r2-client-no-digest-commits": "FAIL LEG-EKE-FMT-6",
    "eke-r2-client-digest-prefix": "FAIL LEG-EKE-FMT-6",
    "pki-r2-piece-101": "FAIL LEG-PKI-FMT-6",
    "pki-r2-short-piece-dropped": "FAIL LEG-PKI-FMT-6",
    "pki-r2-rscv-der": "FAIL LEG-PKI-FMT-4",
    "pki-r2-sece-der": "FAIL LEG-PKI-FMT-3",
    "pki-r2-rqfl-nul": "FAIL LEG-PKI-FMT-5",
    "pki-r2-rqfl-sha1": "FAIL LEG-PKI-FMT-5",
    "ca-r2-unknown-alias-404": "FAIL LEG-CA-FMT-3",
    "ca-r2-octet-stream": "FAIL LEG-CA-FMT-2",
    "ca-r2-alias-in-o": "FAIL LEG-CA-FMT-2",
    "ca-r2-bad-key-500": "FAIL LEG-CA-FMT-3",
}


def _build() -> Path:
    go = shutil.which("go")
    if go is None:
        pytest.skip("`go` (Debian: golang-go, >= 1.19) is not on PATH: leg-go cannot be built")
    _BUILD_DIR.mkdir(mode=0o700, exist_ok=True)
    env = dict(os.environ)
    env.pop("SFT_INDEPENDENT_FAULTS", None)
    env.update(
        GOFLAGS="-mod=mod", GOPROXY="off", GOCACHE=str(_BUILD_DIR / "cache"),
        GOPATH=str(_BUILD_DIR / "gopath"), CGO_ENABLED="0",
    )  # fmt: skip
    done = subprocess.run(
        [go, "build", "-o", str(_BINARY), "."], cwd=SOURCE, env=env, capture_output=True,
        text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, f"go build failed:\n{done.stderr[-3000:]}"
    return _BINARY


@pytest.fixture(scope="module")
def leggo() -> Iterator[Path]:
    """The Go program, built once per module run into the cache directory."""
    yield _build()


def _start(binary: Path, argv: list[str], faults: str) -> tuple[LaunchedProcess, int]:
    proc = launch_server(
        [str(binary), *argv],
        name=f"leg-go-{argv[0]}",
        cwd=_ROOT,
        env={**os.environ, "SFT_INDEPENDENT_FAULTS": faults},
        ready_timeout=30,
    )
    return proc, proc.port


# --- sft-eke/0 -------------------------------------------------------------------


def _audit_eke(
    binary: Path, files: tuple[Path, Path], tmp_path: Path, faults: str = ""
) -> tuple[int, dict[str, Any]]:
    pwfile, served = files
    proc, port = _start(
        binary,
        ["eke-serve", "-port", "0", "-user", "yash101", "-password-file", str(pwfile), "-file",
         str(served)],
        faults,
    )  # fmt: skip
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
                f"{binary} eke-get {{host}} {{port}} {{user}} {{password_file}} {{out}}",
            ],
            {"SFT_INDEPENDENT_FAULTS": faults},
        )
    finally:
        proc.stop(10)


def test_leg_go_eke0_is_judged_the_legacy_design(
    leggo: Path, eke_files: tuple[Path, Path], tmp_path: Path
) -> None:
    code, report = _audit_eke(leggo, eke_files, tmp_path)
    _check(code, report, EKE_CLEAN, EKE_CLIENT_CLEAN)


# --- sft-pki/0 -------------------------------------------------------------------


def _audit_pki(
    binary: Path, org: Mapping[str, Path], tmp_path: Path, faults: str = ""
) -> tuple[int, dict[str, Any]]:
    """The Go CA (accounts alice, the suite's, and bob, the responder's, as target.toml
    says), the responder enrolled at it with `leggo enroll`, then the audit of both."""
    users, alice_pw, bob_pw = tmp_path / "users", tmp_path / "alice.pw", tmp_path / "bob.pw"
    alice_secret, bob_secret = os.urandom(6).hex(), os.urandom(6).hex()
    users.write_text(f"alice:{alice_secret}\nbob:{bob_secret}\n")
    alice_pw.write_text(alice_secret + "\n")
    bob_pw.write_text(bob_secret + "\n")
    for path in (users, alice_pw, bob_pw):
        path.chmod(0o600)
    # The organisation's target file, plus an empty file in the share (LEG-PKI-FMT-6).
    (org["share"] / "empty.bin").write_bytes(b"")
    config = tmp_path / "target.toml"
    config.write_text(
        org["config"]
        .read_text()
        .replace(
            "\n[legacy]", f'\n"empty.bin" = {{size = 0, sha256 = "{_EMPTY_SHA256}"}}\n[legacy]', 1
        )
    )
    procs: list[LaunchedProcess] = []
    try:
        ca, ca_port = _start(
            binary,
            ["ca-serve", "-port", "0", "-root-key", str(org["root_key"]), "-root-cert",
             str(org["root"]), "-users", str(users)],
            faults,
        )  # fmt: skip
        procs.append(ca)
        key, cert = tmp_path / "bob.key", tmp_path / "bob.pem"
        enrolled = subprocess.run(
            [str(binary), "enroll", "-ca", f"http://127.0.0.1:{ca_port}", "-root",
             str(org["root"]), "-alias", "bob", "-password-file", str(bob_pw),
             "-key-out", str(key), "-cert-out", str(cert)],
            capture_output=True, text=True, timeout=60, check=False,
            env={**os.environ, "SFT_INDEPENDENT_FAULTS": faults},
        )  # fmt: skip
        if enrolled.returncode != 0:
            # Only a planted CA fault may break enrolment; the responder is then audited
            # under the organisation's bob, and the CA cases report the fault.
            assert faults, enrolled.stderr
            key, cert = org["bob_key"], org["bob"]
        responder, port = _start(
            binary,
            ["pki-serve", "-port", "0", "-key", str(key), "-cert", str(cert), "-root",
             str(org["root"]), "-share", str(org["share"])],
            faults,
        )  # fmt: skip
        procs.append(responder)
        return _run(
            "pki-legacy",
            "test_legacy_pki0.py",
            tmp_path,
            [
                str(SOURCE.parent.parent / "test_legacy_ca0.py"),
                "--target",
                f"127.0.0.1:{port}",
                "--root",
                str(org["root"]),
                "--ca-key",
                str(org["root_key"]),
                "--ca-url",
                f"http://127.0.0.1:{ca_port}",
                "--enroll",
                f"alice:{alice_pw}",
                "--target-config",
                str(config),
                "--client-cmd",
                f"{binary} pki-get {{key}} {{cert}} {{host}} {{port}} {{name}} {{out}}",
            ],
            {"SFT_INDEPENDENT_FAULTS": faults},
        )
    finally:
        for proc in procs:
            proc.stop(10)


def test_leg_go_pki0_is_judged_the_legacy_design(
    leggo: Path, org: dict[str, Path], tmp_path: Path
) -> None:
    code, report = _audit_pki(leggo, org, tmp_path)
    _check(code, report, PKI_CLEAN)


# --- planted faults -----------------------------------------------------------------


def test_fault_tables_agree() -> None:
    table = re.findall(
        r'^\s*\{"([a-z0-9-]+)", "((?:FAIL|PASS|EVIDENCE) [A-Z0-9-]+)", ',
        (SOURCE / "faults.go").read_text(encoding="utf-8"),
        flags=re.MULTILINE,
    )
    assert dict(table) == FAULTS
    assert len(table) == len(FAULTS) >= 20


# For an "EVIDENCE" fault: (what the flaw's evidence must show, what it must not).
EVIDENCE = {"pki-filepath-join": ("etc/passwd", "'/etc/passwd'")}

_PER_FAULT = pytest.mark.skipif(
    os.environ.get("SFT_SELFTEST") != "all", reason="per-fault audits: SFT_SELFTEST=all"
)


@_PER_FAULT
@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_a_leg_go_fault_is_reported(
    fault: str, leggo: Path, eke_files: tuple[Path, Path], org: dict[str, Path], tmp_path: Path
) -> None:
    if fault.startswith("eke-"):
        code, report = _audit_eke(leggo, eke_files, tmp_path, fault)
    else:
        code, report = _audit_pki(leggo, org, tmp_path, fault)
    want = FAULTS[fault]
    if not want.startswith("EVIDENCE"):
        _judge_fault(fault, want, code, report)
        return
    rid = want.split()[1]
    errors = [c["nodeid"] for c in report["cases"] if c["verdict"] == "ERROR"]
    assert not errors, (fault, errors)
    shows, hides = EVIDENCE[fault]
    failed = [c.get("evidence") or "" for c in report["cases"] if rid in c["requirements"]]
    assert any(shows in e and hides not in e for e in failed), (fault, failed)
    assert code == 0, (fault, code, report["summary"])
