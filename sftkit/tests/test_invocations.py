"""Every documented way of pointing the kit at a target, run as written against a
separately started reference (issue 12: "a test per README/conformance README
invocation"). Each is bounded by `--only-req` one cheap requirement and checked by its
exit code and its report's verdict, not by its output's wording.

The reference is started once per module by the kit's launcher (conformance.embedded,
through sftkit.launch) and handed to each run ONLY through the documented options or a
target file, exactly as a user of another implementation would: the run itself never
knows it is the reference. The invocations are those of README.md ("Testing your own
implementation") and conformance/README.md ("Point it at your own implementation").
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from conformance import embedded
from conformance.embedded import EmbeddedReference
from conformance.target import Target
from sftkit.launch import run_command

ROOT = Path(__file__).resolve().parents[2]
# A cheap requirement each profile judges in a few cases (frames well formed).
CHEAP = "FRM-1"
_RUN_TIMEOUT = 240.0

# Each run starts a pytest (or audit) of its own: ~3-8 s each, ~2 min in all (-n 2).
pytestmark = pytest.mark.slow


def _require_slow(config: pytest.Config) -> None:
    # Outside conformance/ nothing keeps `slow` out of the default run (only its plugin
    # does): this module skips itself unless `-m slow` (or an expression naming it) asks.
    if "slow" not in (config.getoption("markexpr", "") or ""):
        pytest.skip("slow: run with -m slow")


@pytest.fixture(autouse=True)
def _only_when_slow_is_asked(request: pytest.FixtureRequest) -> None:
    _require_slow(request.config)


@pytest.fixture(scope="module")
def reference(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[EmbeddedReference]:
    _require_slow(request.config)  # before starting anything (module fixtures come first)
    ref = EmbeddedReference(tmp_path_factory.mktemp("separate-reference"))
    # Limits of a deployed server, not the suite's short embedded ones: a run here starts
    # cold (scrypt, a 3072-bit exponent in a fresh process) on a shared machine, and a
    # 1 s handshake timeout would make these invocations flaky, not more telling.
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            embedded, "EMBEDDED_LIMITS",
            replace(embedded.EMBEDDED_LIMITS, handshake_timeout=10.0, idle_timeout=30.0),
        )
        try:
            ref.start(["pki", "eke"])
        except BaseException:
            ref.stop()
            raise
    try:
        yield ref
    finally:
        ref.stop()


@pytest.fixture(scope="module")
def eke(reference: EmbeddedReference) -> Target:
    return reference.eke()


@pytest.fixture(scope="module")
def pki(reference: EmbeddedReference) -> Target:
    return reference.pki()


def _password_file(directory: Path, name: str, password: str) -> Path:
    """As README writes one: `printf '%s' "$PW" > alice.pw` (no line end), mode 0600."""
    path = directory / f"{name}.pw"
    path.touch(mode=0o600)
    path.write_text(password, encoding="utf-8")
    return path


def _conformance(
    args: list[str], report_dir: Path, *paths: str, req: str = CHEAP
) -> tuple[int, dict[str, Any]]:
    """`pytest conformance ARGS` as the docs write it (bounded to `req`), its report read
    back; the run's output's tail is in the report's `_output` (for failure messages)."""
    argv = [
        sys.executable, "-m", "pytest", *(paths or ("conformance",)), *args,
        "--only-req", req, "--report-dir", str(report_dir),
        "-q", "-p", "no:cacheprovider", "-p", "no:randomly",
    ]
    done = run_command(argv, timeout=_RUN_TIMEOUT, cwd=ROOT)
    path = report_dir / "conformance.json"
    assert path.is_file(), (done.returncode, done.stdout.decode()[-2000:])
    report: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    report["_output"] = done.stdout.decode(errors="replace")[-1500:]
    return done.returncode, report


def _requirement(report: dict[str, Any], req: str) -> dict[str, Any]:
    return next(r for r in report["requirements"] if r["id"] == req)


def _passed(code: int, report: dict[str, Any], profile: str, side: str = "responder") -> None:
    """Exit 0, the sanity conversation reached the target, the requirement PASSed on the
    profile asked for (not on another one, not by skipping)."""
    summary = report["summary"]
    assert summary["sanity_ok"] is True, summary
    req = _requirement(report, CHEAP)
    assert req["verdicts"].get(f"{profile}/{side}") == "PASS", req
    assert code == 0 and summary["status"] == "ok", (code, summary)
    judged = {c["profile"] for c in report["cases"] if c["verdict"] == "PASS"}
    assert judged == {profile}, judged


def test_eke_server_with_two_accounts_and_features(eke: Target, tmp_path: Path) -> None:
    """conformance/README.md: `--target --profile eke --user --password-file` (twice)
    `--features get,put,throttling`."""
    alice, bob = eke.accounts[0], eke.accounts[1]
    code, report = _conformance(
        [
            "--target", f"{eke.host}:{eke.port}", "--profile", "eke",
            "--user", alice.user,
            "--password-file", str(_password_file(tmp_path, "alice", alice.password)),
            "--user", bob.user,
            "--password-file", str(_password_file(tmp_path, "bob", bob.password)),
            "--features", "get,put,throttling",
        ],
        tmp_path / "report",
    )
    _passed(code, report, "eke")


def test_pki_responder_in_lab_mode(pki: Target, tmp_path: Path) -> None:
    """conformance/README.md: `--target --profile pki --root root.pem --ca-key root.key`."""
    assert pki.root is not None and pki.ca_key is not None
    code, report = _conformance(
        ["--target", f"{pki.host}:{pki.port}", "--profile", "pki",
         "--root", str(pki.root), "--ca-key", str(pki.ca_key)],
        tmp_path / "report",
    )
    _passed(code, report, "pki")


def test_pki_responder_in_enrolment_mode(pki: Target, tmp_path: Path) -> None:
    """conformance/README.md: `--root --ca-url --enroll suite:suite.pw` (no --ca-key):
    the suite enrols its own identity at the target's CA (issue 12: it used to find none
    and call every case ERROR)."""
    assert pki.root is not None and pki.ca_url is not None and pki.enroll
    account = pki.enroll[0]
    pwfile = _password_file(tmp_path, account.user, account.password)
    code, report = _conformance(
        ["--target", f"{pki.host}:{pki.port}", "--profile", "pki", "--root", str(pki.root),
         "--ca-url", pki.ca_url, "--enroll", f"{account.user}:{pwfile}"],
        tmp_path / "report",
    )
    _passed(code, report, "pki")


@pytest.mark.parametrize("with_profile", [False, True], ids=["file-profile", "--profile"])
def test_a_target_file_with_and_without_profile(
    eke: Target, pki: Target, tmp_path: Path, with_profile: bool
) -> None:
    """`--target-config target.toml`: its `profile` runs when no `--profile` is given
    (only that profile's cases, every entry point the same way); `--profile` wins."""
    for target in (eke, pki):
        config = target.write_target_file(tmp_path / target.profile)
        args = ["--target-config", str(config)]
        if with_profile:
            args += ["--profile", target.profile]
        code, report = _conformance(args, tmp_path / f"report-{target.profile}")
        _passed(code, report, target.profile)


def test_an_eke_client_from_a_template(eke: Target, tmp_path: Path) -> None:
    """conformance/README.md "Your client": test_eke_client.py with `--client-cmd
    'mycli get {host}:{port} {name} --user {user} --password-file {password_file} -o
    {out}'` (here the reference's client is `mycli`)."""
    alice = eke.accounts[0]
    template = (
        f"{sys.executable} -m reference eke get {{host}}:{{port}} {{name}} --user {{user}} "
        "--password-file {password_file} -o {out}"
    )
    code, report = _conformance(
        ["--target", f"{eke.host}:{eke.port}", "--profile", "eke", "--user", alice.user,
         "--password-file", str(_password_file(tmp_path, "alice", alice.password)),
         "--client-cmd", template],
        tmp_path / "report", "conformance/test_eke_client.py", req="EKE-HS-7",
    )
    req = _requirement(report, "EKE-HS-7")
    assert req["verdicts"].get("eke/initiator") == "PASS", (req, report["_output"])
    assert code == 0 and report["summary"]["status"] == "ok"


def test_a_legacy_server_with_options(tmp_path: Path) -> None:
    """conformance/README.md, legacy: `--target --profile eke-legacy --user --password-file`
    against a separately started `sft legacy eke-server`."""
    from sftkit.launch import launch_server

    served, pwfile = tmp_path / "f.bin", _password_file(tmp_path, "yash", "OnlyLetters")
    served.write_bytes(b"a legacy file\n" * 40)
    server = launch_server(
        [sys.executable, "-m", "reference", "legacy", "eke-server", "--file", str(served),
         "--password-file", str(pwfile), "--idle-timeout", "5"],
        name="legacy-eke",
    )
    try:
        code, report = _conformance(
            ["--target", f"127.0.0.1:{server.port}", "--profile", "eke-legacy",
             "--user", "yash101", "--password-file", str(pwfile)],
            tmp_path / "report", "conformance/legacy/test_legacy_eke0.py", req="LEG-EKE-1",
        )
    finally:
        server.stop()
    _expected_flaw(code, report, "LEG-EKE-1")


@pytest.mark.parametrize("profile", ["eke", "pki"])
def test_sft_audit_with_options(eke: Target, pki: Target, tmp_path: Path, profile: str) -> None:
    """README.md: `sft audit --target H:P --profile eke --user alice --password-file
    alice.pw`, and `--profile pki --root root.pem --ca-key root.key --client-cert me.crt
    --client-key me.key` (bounded: one requirement, a 2 s fuzz campaign, no capture)."""
    out = tmp_path / "reports"
    if profile == "eke":
        alice = eke.accounts[0]
        target = [
            "--target", f"{eke.host}:{eke.port}", "--profile", "eke", "--user", alice.user,
            "--password-file", str(_password_file(tmp_path, "alice", alice.password)),
        ]
    else:
        assert pki.root is not None and pki.ca_key is not None
        cert, key = pki.identities["suite"]
        target = [
            "--target", f"{pki.host}:{pki.port}", "--profile", "pki", "--root", str(pki.root),
            "--ca-key", str(pki.ca_key), "--client-cert", str(cert), "--client-key", str(key),
        ]
    argv = [
        sys.executable, "-m", "sftkit", "audit", *target,
        "--only-req", CHEAP, "--fuzz-budget", "2", "--no-capture", "--workers", "1",
        "--out", str(out),
    ]
    done = run_command(argv, timeout=_RUN_TIMEOUT, cwd=ROOT)
    audit = json.loads((out / "audit.json").read_text(encoding="utf-8"))
    assert done.returncode == 0, (audit.get("verdict"), done.stdout.decode()[-2000:])
    assert audit["verdict"] == "conformant", audit.get("verdict")


def test_a_fuzz_campaign_with_options(eke: Target, tmp_path: Path) -> None:
    """README.md: `python -m fuzz campaign --target H:P --profile eke --user alice
    --password-file alice.pw --seconds N`, its JSON read back."""
    alice = eke.accounts[0]
    argv = [
        sys.executable, "-m", "fuzz", "campaign", "--target", f"{eke.host}:{eke.port}",
        "--profile", "eke", "--user", alice.user,
        "--password-file", str(_password_file(tmp_path, "alice", alice.password)),
        "--seconds", "2", "--findings", str(tmp_path / "findings"),
        "--json", str(tmp_path / "fuzz.json"),
    ]
    done = run_command(argv, timeout=_RUN_TIMEOUT, cwd=ROOT)
    result = json.loads((tmp_path / "fuzz.json").read_text(encoding="utf-8"))
    assert done.returncode == 0, (result, done.stderr.decode()[-1500:])
    assert not result.get("target_down"), result


def test_a_legacy_responder_with_options(tmp_path: Path) -> None:
    """conformance/legacy/README.md: `--profile pki-legacy --target --root --ca-url
    --enroll ALIAS:PASSWORDFILE` against a separately started legacy CA and responder."""
    from conformance.legacy.embedded import start_pki_legacy

    (tmp_path / "legacy").mkdir()
    legacy = start_pki_legacy(tmp_path / "legacy")
    try:
        assert legacy.enroll is not None and legacy.root is not None and legacy.ca_url
        pwfile = _password_file(tmp_path, legacy.enroll[0], legacy.enroll[1])
        code, report = _conformance(
            ["--target", f"{legacy.host}:{legacy.port}", "--profile", "pki-legacy",
             "--root", str(legacy.root), "--ca-url", legacy.ca_url,
             "--enroll", f"{legacy.enroll[0]}:{pwfile}"],
            tmp_path / "report", "conformance/legacy/test_legacy_pki0.py", req="LEG-PKI-1",
        )
    finally:
        legacy.stop()
    _expected_flaw(code, report, "LEG-PKI-1")


def _expected_flaw(code: int, report: dict[str, Any], req: str) -> None:
    """A seed's flaw: FAIL, expected (expected-flaws.toml), so the run itself passes."""
    assert report["summary"]["sanity_ok"] is True, report["summary"]
    assert _requirement(report, req)["verdict"] == "FAIL", report["_output"]
    assert code == 0, report["_output"]
