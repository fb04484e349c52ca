"""The PKI cases proven on a second implementation (conformance/selftest/independent/pki1.py).

The reference's mutants are plantings in the reference: a case tuned to its quirks passes
them, yet may FAIL a right implementation written from docs/SPEC.md alone, or pass a wrong
one. Here the embedded reference provides only the organisation (its CA, root, CRL and
identities: `alice` for the responder, `suite` for the initiator, `revoked`, `revoked-2`);
the responder and the initiator under test are pki1.py, described with a target file
exactly as a user describes theirs.

- `test_independent_pki1_is_conformant` (`slow`): every PKI case file, responder and
  initiator, against the unmodified pki1: CONFORMANT, no FAIL.
- `test_independent_fault_is_detected` (`SFT_SELFTEST=all`, like test_mutants.py): each
  fault of `pki1.FAULTS` (SFT_INDEPENDENT_FAULTS) FAILs under its requirement with
  evidence, with only the case files that concern it, and the sanity check passes.

The default run pays nothing: both are opt-in.
"""

from __future__ import annotations

import json
import os
import shlex
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from conformance.embedded import EmbeddedReference
from conformance.selftest.independent.launching import fault_env
from conformance.selftest.independent.pki1 import FAULTS
from conformance.selftest.suite_run import PACKAGE, read_report, run_suite, selftest_dir
from conformance.target import Target
from sftkit.launch import LaunchedProcess, launch_server

_LEVEL = os.environ.get("SFT_SELFTEST", "").strip().lower()
_RUN_TIMEOUT = 900.0
_FAULT_RUN_TIMEOUT = 240.0
_READY_TIMEOUT = 20.0
_MODULE = "conformance.selftest.independent.pki1"
pytestmark = pytest.mark.xdist_group("independent-pki1")

# The case files that judge a pki responder and initiator (the CA is the reference's,
# judged elsewhere; the eke files do not apply).
_PKI_FILES = (
    "test_pki_tls.py",
    "test_pki_certs.py",
    "test_pki_identity.py",
    "test_pki_identity_concurrent.py",
    "test_pki_hardening.py",
    "test_pki_initiator_transfer.py",
    "test_app_get.py",
    "test_app_put.py",
    "test_app_names.py",
    "test_app_names_controls.py",
    "test_app_integrity.py",
    "test_framing.py",
    "test_limits.py",
    "test_lockout.py",
    "test_app_refusals.py",
    "test_limits_responder.py",
)


@dataclass(frozen=True)
class FaultCase:
    """A fault of pki1 and where the suite must see it."""

    name: str
    requirement: str
    files: tuple[str, ...]
    client: bool = False


# Per fault: the case files that concern its requirement (the run adds --only-req).
_FILES: dict[str, tuple[str, ...]] = {
    "bare-close": ("test_pki_tls.py",),
    "initiator-no-crl": ("test_pki_certs.py",),
    "crl-first-entry": ("test_pki_certs.py",),
    "initiator-no-alias": ("test_pki_identity.py", "test_pki_tls.py"),
    "no-eku": ("test_pki_certs.py",),
    "initiator-no-eku": ("test_pki_certs.py",),
    "ca-leaf": ("test_pki_certs.py",),
    "expired": ("test_pki_certs.py",),
    "no-close-after-fatal": ("test_framing.py", "test_pki_tls.py"),
    "dotdot-normalised": ("test_app_names.py",),
    "symlink-followed": ("test_app_names.py",),
    "put-overwrites": ("test_app_put.py",),
    "partial-final-name": ("test_app_put.py",),
    "client-skips-done": ("test_pki_initiator_transfer.py", "test_app_integrity.py"),
    "extra-data-at-done": ("test_app_put.py", "test_app_integrity.py"),
    "oversize-read": ("test_framing.py", "test_limits.py"),
    "no-idle-timeout": ("test_limits.py",),
    "alpn-not-enforced": ("test_pki_tls.py",),
    "allow-case-folded": ("test_pki_identity.py",),
    "names-nfc": ("test_app_names.py", "test_app_put.py"),
    "prefix-confinement": ("test_app_names.py",),
    "too-large-off-by-one": ("test_app_get.py", "test_app_put.py"),
    "no-handshake-timeout": ("test_limits.py",),
    "put-sha-unchecked": ("test_app_put.py",),
    "initiator-eof-is-end": ("test_pki_initiator_transfer.py", "test_app_integrity.py"),
    "data-frame-oversize": ("test_app_get.py",),
    "bidi-isolates-allowed": ("test_app_names_controls.py",),
    "empty-data-frame": ("test_app_get.py",),
    "duplicate-keys": ("test_framing.py",),
    "bool-is-int": ("test_framing.py", "test_app_put.py"),
    "existence-revealed": ("test_app_names.py",),
    "tls12-allowed": ("test_pki_tls.py",),
    "initiator-extra-dropped": ("test_pki_initiator_transfer.py", "test_app_integrity.py"),
    "initiator-temp-0644": ("test_pki_initiator_transfer.py",),
    "responder-temp-0644": ("test_app_put.py",),
    "first-cn": ("test_pki_identity.py",),
    "no-connection-limit": ("test_limits.py", "test_lockout.py"),
    "pending-cap-off-by-one": ("test_lockout.py",),
    "no-eviction": ("test_lockout.py",),
    "directory-forbidden": ("test_app_get.py",),
    "bye-ends-put": ("test_app_put.py",),
    "stray-answer-ignored": ("test_framing.py", "test_app_get.py"),
    "recv-once": ("test_framing.py",),
    "initiator-overwrites": ("test_pki_initiator_transfer.py", "test_app_integrity.py"),
    "initiator-no-sweep": ("test_pki_initiator_transfer.py",),
    "initiator-sweeps-live": ("test_pki_initiator_transfer.py",),
    "initiator-no-signal-cleanup": ("test_pki_initiator_transfer.py",),
    "initiator-alias-casefold": ("test_pki_identity.py",),
    "initiator-no-alpn": ("test_pki_tls.py",),
    "initiator-request-first": ("test_pki_identity.py", "test_pki_tls.py"),
    "initiator-rsfl-sha-ignored": ("test_pki_initiator_transfer.py", "test_app_integrity.py"),
    "long-error-message": ("test_app_names.py", "test_framing.py"),
    "error-name-dashes": ("test_app_get.py", "test_framing.py"),
    "bye-no-close": ("test_app_get.py", "test_app_put.py", "test_pki_tls.py"),
    "timeout-bare-close": ("test_pki_tls.py", "test_limits.py"),
    "initiator-silent-integrity": ("test_pki_initiator_transfer.py", "test_app_integrity.py"),
    "control-limit-off-by-one": ("test_framing.py",),
    "put-path-kept": ("test_app_put.py", "test_app_names.py"),
    "initiator-expired": ("test_pki_certs.py",),
    "rsfl-basename": ("test_app_get.py",),
    "initiator-rsfl-name": ("test_pki_initiator_transfer.py",),
    "send-blocking": ("test_limits.py",),
    "initiator-put-any-rsfl": ("test_client_put.py",),
    "initiator-put-unconfirmed": ("test_client_put.py",),
    "b2-initiator-tls12-offered": ("test_pki_hardening.py",),
    "b2-initiator-put-close-is-success": ("test_client_put.py",),
    "b2-initiator-recv-once": ("test_pki_initiator_transfer.py",),
    "refused-per-request": ("test_pki_certs.py", "test_pki_tls.py"),
    "client-any-sha2": ("test_pki_certs.py",),
    "allow-prefix": ("test_pki_identity.py",),
    "peer-global": ("test_pki_identity_concurrent.py",),
    "close-after-refusal": ("test_app_refusals.py",),
    "share-lock": ("test_limits_responder.py",),
    "max-connections-off-by-one": ("test_lockout.py",),
    "exists-code-13": ("test_app_refusals.py",),
}
_CLIENT_FAULTS = frozenset(
    {
        "initiator-no-crl",
        "initiator-no-alias",
        "initiator-no-eku",
        "client-skips-done",
        "initiator-eof-is-end",
        "initiator-extra-dropped",
        "initiator-temp-0644",
        "initiator-overwrites",
        "initiator-no-sweep",
        "initiator-sweeps-live",
        "initiator-no-signal-cleanup",
        "initiator-alias-casefold",
        "initiator-no-alpn",
        "initiator-request-first",
        "initiator-rsfl-sha-ignored",
        "initiator-silent-integrity",
        "initiator-expired",
        "initiator-rsfl-name",
        "initiator-put-any-rsfl",
        "initiator-put-unconfirmed",
        "b2-initiator-tls12-offered",
        "b2-initiator-put-close-is-success",
        "b2-initiator-recv-once",
    }
)
FAULT_CASES = tuple(
    FaultCase(name, FAULTS[name][0], _FILES[name], client=name in _CLIENT_FAULTS) for name in FAULTS
)


@dataclass
class Independent:
    """pki1 serving the embedded organisation's share, and its target file."""

    proc: LaunchedProcess
    target: Target
    target_file: Path

    def stop(self) -> None:
        self.proc.stop()


def start_independent(
    base: Target, workdir: Path, *, faults: str = "", client_faults: str = ""
) -> Independent:
    """pki1 as responder (with `faults`) and as the initiator template (`client_faults`)."""
    assert base.root is not None and base.share is not None
    alice_cert, alice_key = base.identities["alice"]
    suite_cert, suite_key = base.identities["suite"]
    inbox = workdir / "inbox"
    inbox.mkdir(parents=True, exist_ok=True)
    limits = base.limits
    cmd = [
        sys.executable, "-m", _MODULE, "serve",
        "--cert", str(alice_cert), "--key", str(alice_key), "--root", str(base.root),
        "--ca-url", str(base.ca_url), "--listen", "127.0.0.1:0",
        "--share", str(base.share), "--inbox", str(inbox),
        "--handshake-timeout", str(limits.handshake_timeout),
        "--idle-timeout", str(limits.idle_timeout),
        "--max-file-size", str(limits.max_file_size),
        "--max-connections", str(limits.max_connections),
        "--max-pending-per-address", str(limits.max_pending_per_address or 8),
        "--crl-refresh", str(limits.crl_refresh),
    ]  # fmt: skip
    for alias in ("suite", "carol", "revoked"):
        cmd += ["--allow", alias]
    proc = launch_server(
        cmd, name="pki1", log=workdir / "pki1-serve.log", env=fault_env(faults),
        ready_timeout=_READY_TIMEOUT,
    )  # fmt: skip
    host, port = proc.host, proc.port
    client = " ".join(
        [
            *(["env", f"SFT_INDEPENDENT_FAULTS={client_faults}"] if client_faults else []),
            shlex.quote(sys.executable), "-m", _MODULE, "get", "{alias}@{host}:{port}", "{name}",
            "-o", "{out}", "--cert", shlex.quote(str(suite_cert)),
            "--key", shlex.quote(str(suite_key)), "--root", shlex.quote(str(base.root)),
            "--ca-url", shlex.quote(str(base.ca_url)),
            "--idle-timeout", str(limits.idle_timeout), "--timeout", "5",
        ]
    )  # fmt: skip
    # The same initiator as a sender (test_client_put.py).
    client_put = " ".join(
        [
            *(["env", f"SFT_INDEPENDENT_FAULTS={client_faults}"] if client_faults else []),
            shlex.quote(sys.executable), "-m", _MODULE, "put", "{alias}@{host}:{port}", "{file}",
            "--name", "{name}", "--cert", shlex.quote(str(suite_cert)),
            "--key", shlex.quote(str(suite_key)), "--root", shlex.quote(str(base.root)),
            "--ca-url", shlex.quote(str(base.ca_url)), "--timeout", "5",
        ]
    )  # fmt: skip
    target = base.with_changes(
        host=host, port=port, pid=proc.pid, client_cmd=client, embedded=False, inbox=inbox
    ).with_changes(client_put_cmd=client_put)
    return Independent(proc, target, target.write_target_file(workdir / "target"))


@pytest.fixture(scope="module")
def workspace() -> Iterator[Path]:
    """A directory of our own, not pytest's basetemp: every other pytest session of the
    same user rotates those, and on a shared machine one deleted ours under a long run."""
    with tempfile.TemporaryDirectory(prefix="sft-independent-pki1-") as directory:
        yield Path(directory)


@pytest.fixture(scope="module")
def organisation(workspace: Path) -> Iterator[Target]:
    """The embedded reference's CA, root, CRL, identities and share (its peer unused)."""
    ref = EmbeddedReference(workspace / "organisation")
    try:
        # The reference's own responder keeps running, idle: it is not under test.
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


@pytest.mark.slow
@pytest.mark.skipif(not _LEVEL, reason="self-test: set SFT_SELFTEST=1 or =all (whole suite run)")
def test_independent_pki1_is_conformant(
    organisation: Target, workspace: Path, request: pytest.FixtureRequest
) -> None:
    tmp_path = workspace / "conformant"
    independent = start_independent(organisation, tmp_path)
    try:
        args = [str(PACKAGE / f) for f in _PKI_FILES]
        args += ["--target-config", str(independent.target_file)]
        run = run_suite(args, tmp_path / "report", timeout=_RUN_TIMEOUT)
    finally:
        independent.stop()
    report = read_report(run, tmp_path / "report", "the independent pki1")
    failing = _failing(report)
    out = selftest_dir(request.config)
    out.mkdir(parents=True, exist_ok=True)
    (out / "independent-pki1.json").write_text(
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
    assert not failing, "false FAILs against the independent pki1:\n" + "\n".join(
        f"  {c['nodeid']}: {c['message'][:300]}" for c in failing
    )


@pytest.mark.slow
@pytest.mark.skipif(not _LEVEL, reason="self-test: set SFT_SELFTEST=1 or =all")
def test_independent_pki1_client_put_cases_pass(organisation: Target, workspace: Path) -> None:
    """Every case of test_client_put.py, slow variants too, against pki1's own put
    initiator (its `client_put_cmd`): a FAIL is a bug in pki1.py or a case that assumed
    the reference client's reading where SPEC allows another."""
    tmp_path = workspace / "client-put"
    independent = start_independent(organisation, tmp_path)
    try:
        args = [str(PACKAGE / "test_client_put.py"), "-m", "slow or not slow"]
        args += ["--target-config", str(independent.target_file), "--no-rerun"]
        run = run_suite(args, tmp_path / "report", timeout=_FAULT_RUN_TIMEOUT)
    finally:
        independent.stop()
    report = read_report(run, tmp_path / "report", "pki1's put initiator")
    verdicts = {c["nodeid"]: c["verdict"] for c in report["cases"]}
    assert verdicts and set(verdicts.values()) == {"PASS"}, (
        f"pki1's put initiator: {verdicts}\n{run.stdout[-3000:]}"
    )


@pytest.mark.skipif(_LEVEL != "all", reason="self-test of pki1's faults: set SFT_SELFTEST=all")
@pytest.mark.parametrize("case", FAULT_CASES, ids=[c.name for c in FAULT_CASES])
def test_independent_fault_is_detected(
    case: FaultCase, organisation: Target, workspace: Path, request: pytest.FixtureRequest
) -> None:
    tmp_path = workspace / case.name
    independent = start_independent(
        organisation,
        tmp_path,
        faults="" if case.client else case.name,
        client_faults=case.name if case.client else "",
    )
    try:
        args = [str(PACKAGE / f) for f in case.files]
        args += ["--target-config", str(independent.target_file)]
        args += ["--only-req", case.requirement, "--no-rerun"]
        run = run_suite(args, tmp_path / "report", timeout=_FAULT_RUN_TIMEOUT)
    finally:
        independent.stop()
    report = read_report(run, tmp_path / "report", f"pki1 with fault {case.name}")
    failing = _failing(report, case.requirement)
    verdicts = {r["id"]: r["verdict"] for r in report["requirements"]}
    out = selftest_dir(request.config)
    out.mkdir(parents=True, exist_ok=True)
    (out / f"independent-pki1-{case.name}.json").write_text(
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
