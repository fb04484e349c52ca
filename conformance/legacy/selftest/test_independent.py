"""The legacy profiles against independently written implementations (impl_pki0.py,
impl_eke0.py, impl_eke0_client.py), run as an auditor would, with no wrapper: every
flaw an implementation has FAILs under its ID, no flaw it lacks FAILs (it is reported
as an unexpected pass, which fails the run), and no security requirement passes falsely.
The one-shot eke/0 server (the seed's shape) is audited whole on the one connection it
serves; a responder that hangs on a missing file is a finding.

One suite run per implementation, every ID asserted from its one report. The default
run audits `seedlike` (pki/0) and `oneshot` + the `hasty` client (eke/0), whose flaw
sets are mixed: between them they cover what the older per-mutant runs of
test_legacy_selftest.py checked (a confined responder passes LEG-PKI-5; fresh exponents
pass LEG-EKE-4), so those run under `slow` only. `careful` and `seedport` (the
complementary flaw sets) are `slow`.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from sftkit.launch import LaunchedProcess, launch_server, python_env

_HERE = Path(__file__).resolve().parent
_LEGACY = _HERE.parent
_ROOT = _LEGACY.parent.parent


@pytest.fixture(autouse=True)
def _only_in_the_default_run(request: pytest.FixtureRequest) -> None:
    for name in ("--profile", "--target"):
        try:
            given = request.config.getoption(name)
        except ValueError:
            given = None
        if given:
            pytest.skip(f"self-test: not run under {name} (it starts its own legacy runs)")


def _start(argv: list[str], env: Mapping[str, str] | None = None) -> tuple[LaunchedProcess, int]:
    """`python ARGV` through the kit's launcher (own process group, output drained to a
    log, ready at its `listening on HOST:PORT` line), with `env` over this environment."""
    module = argv[argv.index("-m") + 1].rsplit(".", 1)[-1] if "-m" in argv else "server"
    proc = launch_server(
        [sys.executable, *argv], name=module, cwd=_ROOT, env=python_env(env), ready_timeout=30
    )
    return proc, proc.port


def _stop(proc: LaunchedProcess) -> None:
    proc.stop(10)


def _run(
    profile: str,
    file: str,
    tmp: Path,
    extra: list[str],
    env: Mapping[str, str] | None = None,
) -> tuple[int, dict[str, Any]]:
    """The legacy audit in a subprocess (`env` over this environment: the requesters the
    suite launches inherit it)."""
    reports = tmp / f"reports-{profile}"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            str(_LEGACY / file),
            "--profile",
            profile,
            "-p",
            "no:cacheprovider",
            "-p",
            "no:xdist",
            "--no-rerun",
            "--report-dir",
            str(reports),
            *extra,
            "-q",
        ],
        cwd=_ROOT,
        capture_output=True,
        timeout=420,  # a misframing responder makes each pki file wait its read timeout
        check=False,
        env=python_env(env) if env else None,
    )
    path = reports / "conformance.json"
    assert path.exists(), done.stdout.decode()[-3000:] + done.stderr.decode()[-2000:]
    return done.returncode, json.loads(path.read_text(encoding="utf-8"))


def _verdicts(report: dict[str, Any]) -> dict[str, str]:
    """Per requirement ID, from the cases that cite it (worst first): independent of how
    the report aggregates v1 requirements under a legacy profile."""
    order = {"ERROR": 0, "FAIL": 1, "TIMEOUT": 1, "PASS": 2}
    out: dict[str, str] = {}
    for case in report["cases"]:
        if case["verdict"] not in order:
            continue
        for rid in case["requirements"]:
            if rid not in out or order[case["verdict"]] < order[out[rid]]:
                out[rid] = case["verdict"]
    return out


_FLAW = re.compile(r"LEG-(PKI|CA|EKE)-[0-9]+")


def _check(
    code: int,
    report: dict[str, Any],
    expected: dict[str, str],
    cases: dict[str, str] | None = None,
) -> None:
    """`expected`: verdict per requirement ID (worst case first); `cases`: verdict per
    case name, where one ID is cited by cases that must differ (server and client)."""
    verdicts = _verdicts(report)
    wrong: dict[str, tuple[str | None, str]] = {
        rid: (verdicts.get(rid), want)
        for rid, want in expected.items()
        if verdicts.get(rid) != want
    }
    by_name = {c["nodeid"].split("::")[1]: c for c in report["cases"]}
    wrong.update(
        {
            name: (by_name[name]["verdict"] if name in by_name else None, want)
            for name, want in (cases or {}).items()
            if name not in by_name or by_name[name]["verdict"] != want
        }
    )
    evidence = {
        name: (c["verdict"], (c.get("evidence") or "")[:300])
        for name, c in by_name.items()
        if name in wrong or any(rid in c["requirements"] for rid in wrong)
    }
    assert not wrong, (wrong, evidence)
    errors = [c["nodeid"] for c in report["cases"] if c["verdict"] == "ERROR"]
    assert not errors, errors
    # A flaw the implementation lacks is an unexpected pass (it deviates from the seed,
    # and is better for it); a flaw it has is an expected FAIL; either way the report
    # says which, and the run fails exactly when something is not the seed's design.
    deviations = False
    for name, case in by_name.items():
        flaw = any(_FLAW.fullmatch(rid) for rid in case["requirements"])
        if flaw and case["verdict"] == "PASS":
            assert case["unexpected"] and case["message"].startswith("unexpected pass"), case
            assert case["nodeid"] in report["summary"]["unexpected"], name
            deviations = True
        elif flaw and case["verdict"] == "FAIL":
            assert case["expectation"] and not case["unexpected"], (name, case["message"][:300])
        elif case["verdict"] == "FAIL":
            deviations = True  # a format case failed: not the seed's design either
    assert code == (1 if deviations else 0), (code, report["summary"])


# --- sft-pki/0 -------------------------------------------------------------------


def _name(*parts: tuple[x509.ObjectIdentifier, str]) -> x509.Name:
    return x509.Name([x509.NameAttribute(oid, value) for oid, value in parts])


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _key_pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


@pytest.fixture(scope="module")
def org(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A root with a full DN and key identifiers (as real CAs make them), bob's
    identity, a share and a file outside it."""
    base = tmp_path_factory.mktemp("org")
    now = datetime.datetime.now(datetime.UTC)
    root_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    root_name = _name(
        (NameOID.COUNTRY_NAME, "IN"),
        (NameOID.ORGANIZATION_NAME, "Example Org"),
        (NameOID.ORGANIZATIONAL_UNIT_NAME, "IT"),
        (NameOID.COMMON_NAME, "Example Org Root"),
    )
    root = (
        x509.CertificateBuilder()
        .subject_name(root_name)
        .issuer_name(root_name)
        .public_key(root_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(root_key.public_key()), False)
        .sign(root_key, hashes.SHA256())
    )
    bob_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    bob = (
        x509.CertificateBuilder()
        .subject_name(_name((NameOID.COMMON_NAME, "bob")))
        .issuer_name(root_name)
        .public_key(bob_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage(
                [ExtendedKeyUsageOID.CLIENT_AUTH, ExtendedKeyUsageOID.SERVER_AUTH]
            ),
            False,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()), False
        )
        .sign(root_key, hashes.SHA256())
    )
    files = {
        "root": (base / "root.pem", _pem(root)),
        "root_key": (base / "root.key", _key_pem(root_key)),
        "bob": (base / "bob.pem", _pem(bob)),
        "bob_key": (base / "bob.key", _key_pem(bob_key)),
    }
    out = {}
    for label, (path, data) in files.items():
        path.write_bytes(data)
        path.chmod(0o600)
        out[label] = path
    share = base / "share"
    share.mkdir()
    report = os.urandom(1234)
    (share / "report.bin").write_bytes(report)
    secret = b"outside the share: " + os.urandom(8).hex().encode() + b"\n"
    (base / "secret.txt").write_bytes(secret)
    config = base / "target.toml"
    digest = hashlib.sha256(report).hexdigest()
    config.write_text(
        f'[files]\n"report.bin" = {{size = 1234, sha256 = "{digest}"}}\n'
        f'[legacy]\ntraversal_name = "../secret.txt"\ntraversal_size = {len(secret)}\n'
        f'traversal_sha256 = "{hashlib.sha256(secret).hexdigest()}"\n'
        '[pki]\nresponder_alias = "bob"\n'
    )
    out["share"], out["config"] = share, config
    return out


_PKI_ALWAYS = {
    **dict.fromkeys(
        ["LEG-PKI-FMT-1", "LEG-PKI-FMT-3", "LEG-PKI-FMT-4", "LEG-PKI-FMT-5", "LEG-PKI-FMT-6"],
        "PASS",
    ),
    **dict.fromkeys(
        [
            "LEG-PKI-1",
            "LEG-PKI-2",
            "LEG-PKI-4",
            "LEG-PKI-6",
            "LEG-PKI-7",
            "LEG-PKI-8",
            "LEG-PKI-9",
            "PKI-TLS-1",
            "PKI-TLS-3",
            "APP-GET-3",
            "APP-GET-5",
            "APP-GET-2",
        ],
        "FAIL",
    ),
}
PKI_EXPECTED = {
    # checks the chain, not the name; hangs on a missing file; confines names
    "seedlike": {
        **_PKI_ALWAYS,
        **dict.fromkeys(
            [
                "LEG-PKI-FMT-7",
                "LEG-PKI-3",
                "PKI-ID-1",
                "PKI-CERT-3",
                "PKI-CERT-5",
                "PKI-CERT-6",
            ],
            "FAIL",
        ),
        **dict.fromkeys(["PKI-TLS-4", "LEG-PKI-5", "APP-NAME-2", "APP-NAME-4"], "PASS"),
    },
    # checks the name, not the chain; refuses bad certificates; no confinement
    "careful": {
        **_PKI_ALWAYS,
        **dict.fromkeys(
            [
                "LEG-PKI-FMT-7",
                "LEG-PKI-3",
                "PKI-ID-1",
                "PKI-CERT-3",
                "PKI-CERT-5",
                "PKI-CERT-6",
            ],
            "PASS",
        ),
        **dict.fromkeys(["PKI-TLS-4", "LEG-PKI-5", "APP-NAME-2", "APP-NAME-4"], "FAIL"),
    },
}


@pytest.mark.parametrize("variant", ["seedlike", pytest.param("careful", marks=pytest.mark.slow)])
def test_independent_pki0_peers(variant: str, org: dict[str, Path], tmp_path: Path) -> None:
    module = "conformance.legacy.selftest.impl_pki0"
    proc, port = _start(
        [
            "-m",
            module,
            "serve",
            variant,
            str(org["bob_key"]),
            str(org["bob"]),
            str(org["root"]),
            str(org["share"]),
        ]
    )
    client = (
        f"{sys.executable} -m {module} get {variant} {{key}} {{cert}} {{host}} {{port}} "
        f"{{name}} {{out}} {{alias}} {org['root']}"
    )
    driving: list[str] = []
    if variant == "seedlike":
        # The interactive shape of a seed requester: answers typed at its prompts, exit
        # code 0 whatever happened, so only the file tells (client_launch, as v1 cases).
        client = f"{sys.executable} -m {module} get {variant} --interactive"
        driving = [
            "--client-stdin",
            f"{{key}}\\n{{cert}}\\n{{host}}\\n{{port}}\\n{{name}}\\n{{out}}\\n{{alias}}\\n"
            f"{org['root']}\\n",
            "--client-success",
            "file",
        ]
    try:
        code, report = _run(
            "pki-legacy",
            "test_legacy_pki0.py",
            tmp_path,
            [
                "--target",
                f"127.0.0.1:{port}",
                "--root",
                str(org["root"]),
                "--ca-key",
                str(org["root_key"]),
                "--target-config",
                str(org["config"]),
                "--client-cmd",
                client,
                *driving,
            ],
        )
    finally:
        _stop(proc)
    _check(code, report, PKI_EXPECTED[variant])


# --- sft-eke/0 -------------------------------------------------------------------

_EKE_ALWAYS = {
    **dict.fromkeys(["LEG-EKE-FMT-1", "LEG-EKE-FMT-3", "LEG-EKE-FMT-4", "LEG-EKE-FMT-5"], "PASS"),
    **dict.fromkeys(
        [f"LEG-EKE-{n}" for n in (1, 3, 5, 8, 9, 10, 11, 13)]
        + ["EKE-PW-3", "EKE-SEC-1", "EKE-SEC-2", "EKE-GRP-1", "EKE-HS-10", "EKE-THR-1"],
        "FAIL",
    ),
}
EKE_EXPECTED = {
    # a fresh exponent per session; everything else the seed's
    "oneshot": {
        **_EKE_ALWAYS,
        # LEG-EKE-6 stays: message 18 is E(D(the first block of message 15)) under the
        # zero IV, i.e. that block echoed whatever the key, so a replay still works.
        **dict.fromkeys(
            ["LEG-EKE-2", "LEG-EKE-6", "LEG-EKE-7", "LEG-EKE-12", "LIM-5", "EKE-HS-2"], "FAIL"
        ),
        **dict.fromkeys(["LEG-EKE-4", "EKE-X-1"], "PASS"),
    },
    # checks the user, the client's confirmation; own group, fresh Ns; fixed exponent
    "careful": {
        **_EKE_ALWAYS,
        **dict.fromkeys(["LEG-EKE-4", "EKE-X-1"], "FAIL"),
        **dict.fromkeys(
            ["LEG-EKE-2", "LEG-EKE-6", "LEG-EKE-12", "EKE-HS-2", "EKE-HS-6", "LIM-5"], "PASS"
        ),
    },
}
_CLIENT_CASES = (
    "test_the_client_sends_the_password_in_clear",
    "test_the_client_does_not_verify_the_servers_confirmation",
    "test_the_client_keeps_a_file_replaced_in_transit",
    "test_the_client_refuses_a_file_its_digest_does_not_match",
)
# The client cases, judged on the independent client run with each server.
CLIENT_EXPECTED = {
    # checks message 18 (LEG-EKE-7 fixed), never compares message 24 (LEG-EKE-FMT-6)
    "hasty": dict(zip(_CLIENT_CASES, ("FAIL", "PASS", "FAIL", "FAIL"), strict=True)),
    # the seed's client: never checks message 18; compares the SHA-1s
    "seedport": dict(zip(_CLIENT_CASES, ("FAIL", "FAIL", "FAIL", "PASS"), strict=True)),
}
CLIENT_FOR = {"oneshot": "hasty", "careful": "seedport"}


@pytest.fixture
def eke_files(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    pwfile, served = tmp_path / "pw", tmp_path / "served.bin"
    pwfile.write_text("OnlyLetters\n")
    pwfile.chmod(0o600)
    served.write_bytes(os.urandom(2500))
    yield pwfile, served


@pytest.mark.parametrize("variant", ["oneshot", pytest.param("careful", marks=pytest.mark.slow)])
def test_independent_eke0_servers(
    variant: str, eke_files: tuple[Path, Path], tmp_path: Path
) -> None:
    pwfile, served = eke_files
    proc, port = _start(
        [
            "-m",
            "conformance.legacy.selftest.impl_eke0",
            variant,
            "yash101",
            str(pwfile),
            str(served),
        ]
    )
    client = CLIENT_FOR[variant]
    client_cmd = (
        f"{sys.executable} -m conformance.legacy.selftest.impl_eke0_client {client} "
        "{host} {port} {user} {password_file} {out}"
    )
    driving: list[str] = []
    if variant == "oneshot":
        # The interactive shape of a seed client: answers typed at its prompts, exit code
        # 0 whatever happened, so only the file tells (client_launch, like v1 cases).
        client_cmd = (
            f"{sys.executable} -m conformance.legacy.selftest.impl_eke0_client {client} "
            "--interactive"
        )
        driving = [
            "--client-stdin",
            "{host}\\n{port}\\n{user}\\n{password}\\n{out}\\n",
            "--client-success",
            "file",
        ]
    try:
        code, report = _run(
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
                client_cmd,
                *driving,
            ],
        )
    finally:
        _stop(proc)
    _check(code, report, EKE_EXPECTED[variant], CLIENT_EXPECTED[client])
