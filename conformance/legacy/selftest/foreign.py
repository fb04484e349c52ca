"""How the legacy audit is held against a foreign implementation of the seed designs.

leg-node, leg-go and leg-java (test_leg_*.py) are three programs in three languages with
the same parts: an eke/0 server and client, a pki/0 responder and requester, an
enrolment client and a CA. Each test file says how ITS program is built and what its
command lines are (a `Foreign`); this module runs the audits the same way for all of
them: the eke/0 audit of the server and the client, the pki/0 audit of a responder
enrolled at the program's own CA plus the CA cases against that CA, and the judgement of
a planted fault (`SFT_INDEPENDENT_FAULTS`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import subprocess
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from conformance.legacy.selftest.test_independent import _run
from conformance.legacy.selftest.test_seedport import _judge_fault
from sftkit.launch import LaunchedProcess, launch_server

__all__ = ["Foreign", "audit_eke", "audit_pki", "judge_fault"]

_ROOT = Path(__file__).resolve().parents[3]
_EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
# Legacy case files by topic, audited with the profile's main file (session 10, L7).
_EKE_EXTRA = (
    "test_legacy_eke0_group.py",
    "test_legacy_eke0_logins.py",
    "test_legacy_eke0_client_reads.py",
    "test_legacy_eke0_client_refused.py",
    "test_legacy_eke0_decimals.py",
    "test_legacy_eke0_names.py",
    "test_legacy_eke0_client_end.py",
    "test_legacy_eke0_client_leftovers.py",
    "test_legacy_eke0_parameters.py",
    "test_legacy_eke0_cut_sessions.py",
    "test_legacy_eke0_client_turns.py",
    "test_legacy_eke0_client_bytes.py",
    "test_legacy_eke0_every_session.py",
    "test_legacy_eke0_connection_state.py",
    "test_legacy_eke0_generator.py",
    "test_legacy_eke0_client_open_server.py",
    "test_legacy_eke0_name_lengths.py",  # session 26
    "test_legacy_eke0_key_digits.py",  # session 26
    "test_legacy_eke0_client_large_files.py",  # round 27
    "test_legacy_eke0_client_no_digest.py",  # round 28
    "test_legacy_eke0_short_values.py",  # round 28
    "test_legacy_eke0_client_cuts.py",  # round 28 (leg2)
)
_PKI_EXTRA = (
    "test_legacy_pem.py",
    "test_legacy_ca0_http.py",
    "test_legacy_pki0_responder.py",
    "test_legacy_pki0_requester.py",
    "test_legacy_ca0_issue.py",
    "test_legacy_ca0_fields.py",
    "test_legacy_pki0_two_requesters.py",
    "test_legacy_pki0_signatures.py",
    "test_legacy_ca0_x509.py",
    "test_legacy_pki0_connections.py",
    "test_legacy_pki0_traversal.py",
    "test_legacy_pki0_unverifiable.py",
    "test_legacy_ca0_credentials.py",
    "test_legacy_ca0_lengths.py",
    "test_legacy_pki0_refused_sessions.py",
    "test_legacy_pki0_near_names.py",
    "test_legacy_ca0_retries.py",
    "test_legacy_ca0_text.py",
    "test_legacy_pki0_sece_blocks.py",
    "test_legacy_ca0_keepalive.py",
    "test_legacy_pki0_certificate_updates.py",
    "test_legacy_ca0_duplicate_members.py",
    "test_legacy_pki0_stalled_peers.py",
    "test_legacy_pki0_parallel_transfers.py",
    "test_legacy_pki0_own_identity.py",
    "test_legacy_ca0_parallel_enrolments.py",
    "test_legacy_ca0_refusal_volume.py",
    "test_legacy_pki0_frame_types.py",
    "test_legacy_pki0_simultaneous_requests.py",
    "test_legacy_ca0_payload_forms.py",
    "test_legacy_ca0_concurrent_serials.py",
    "test_legacy_ca0_credential_forms.py",
    "test_legacy_ca0_json_text.py",
    "test_legacy_ca0_member_forms.py",
    "test_legacy_pki0_name_case.py",
    "test_legacy_pki0_lying_lengths.py",
    "test_legacy_pki0_one_file_per_connection.py",  # session 26
    "test_legacy_pki0_large_files.py",  # round 27
    "test_legacy_pki0_requester_names.py",  # round 28
    "test_legacy_ca0_json_escapes.py",  # round 28 (leg2)
)


@dataclasses.dataclass(frozen=True)
class Foreign:
    """A foreign program's command lines (argv lists; client commands are the suite's
    `--client-cmd` templates with {host} {port} … placeholders)."""

    name: str
    eke_serve: Callable[[Path, Path], list[str]]  # (password file, served file)
    eke_get: str
    ca_serve: Callable[[Path, Path, Path], list[str]]  # (root, root key, accounts file)
    enroll: Callable[[str, Path, str, Path, Path, Path], list[str]]
    # (CA URL, root, alias, password file, key out, certificate out)
    pki_serve: Callable[[Path, Path, Path, Path], list[str]]  # (key, certificate, root, share)
    pki_get: str
    enroll_with_faults: bool = True  # the enrolment client runs with the planted fault too


def _start(impl: Foreign, argv: list[str], faults: str, part: str) -> LaunchedProcess:
    return launch_server(
        argv,
        name=f"{impl.name}-{part}",
        cwd=_ROOT,
        env={**os.environ, "SFT_INDEPENDENT_FAULTS": faults},
        ready_timeout=30,
    )


def audit_eke(
    impl: Foreign, files: tuple[Path, Path], tmp_path: Path, faults: str = ""
) -> tuple[int, dict[str, Any]]:
    """The eke/0 audit of the program's server and client (user yash101)."""
    pwfile, served = files
    proc = _start(impl, impl.eke_serve(pwfile, served), faults, "eke-serve")
    try:
        return _run(
            "eke-legacy",
            "test_legacy_eke0.py",
            tmp_path,
            [*(str(_ROOT / "conformance" / "legacy" / f) for f in _EKE_EXTRA),
             "--target", f"127.0.0.1:{proc.port}", "--user", "yash101",
             "--password-file", str(pwfile), "--client-cmd", impl.eke_get],
            {"SFT_INDEPENDENT_FAULTS": faults},
        )  # fmt: skip
    finally:
        proc.stop(10)


def audit_pki(
    impl: Foreign, org: Mapping[str, Path], tmp_path: Path, faults: str = ""
) -> tuple[int, dict[str, Any]]:
    """The program's CA (accounts alice, the suite's, and bob, the responder's, as
    target.toml says), its responder enrolled at that CA with its own enrolment client,
    then the audit of both."""
    accounts, alice_pw, bob_pw = tmp_path / "accounts", tmp_path / "alice.pw", tmp_path / "bob.pw"
    alice_secret, bob_secret = os.urandom(6).hex(), os.urandom(6).hex()
    accounts.write_text(f"alice:{alice_secret}\nbob:{bob_secret}\n")
    alice_pw.write_text(alice_secret + "\n")
    bob_pw.write_text(bob_secret + "\n")
    for path in (accounts, alice_pw, bob_pw):
        path.chmod(0o600)
    # The organisation's target file, plus an empty file in the share (LEG-PKI-FMT-6).
    (org["share"] / "empty.bin").write_bytes(b"")
    config = tmp_path / "target.toml"
    empty = f'\n"empty.bin" = {{size = 0, sha256 = "{_EMPTY_SHA256}"}}\n[legacy]'
    config.write_text(org["config"].read_text().replace("\n[legacy]", empty, 1))
    procs: list[LaunchedProcess] = []
    try:
        ca = _start(impl, impl.ca_serve(org["root"], org["root_key"], accounts), faults, "ca")
        procs.append(ca)
        ca_url = f"http://127.0.0.1:{ca.port}"
        key, cert = tmp_path / "bob.key", tmp_path / "bob.pem"
        env = {**os.environ, "SFT_INDEPENDENT_FAULTS": faults if impl.enroll_with_faults else ""}
        enrolled = subprocess.run(
            impl.enroll(ca_url, org["root"], "bob", bob_pw, key, cert),
            capture_output=True, text=True, timeout=60, check=False, env=env,
        )  # fmt: skip
        if enrolled.returncode != 0:
            # Only a planted CA fault may break enrolment; the responder is then audited
            # under the organisation's bob, and the CA cases report the fault.
            assert faults, enrolled.stderr
            key, cert = org["bob_key"], org["bob"]
        argv = impl.pki_serve(key, cert, org["root"], org["share"])
        responder = _start(impl, argv, faults, "pki-serve")
        procs.append(responder)
        return _run(
            "pki-legacy",
            "test_legacy_pki0.py",
            tmp_path,
            [str(_ROOT / "conformance" / "legacy" / "test_legacy_ca0.py"),
             *(str(_ROOT / "conformance" / "legacy" / f) for f in _PKI_EXTRA),
             "--target", f"127.0.0.1:{responder.port}", "--root", str(org["root"]),
             "--ca-key", str(org["root_key"]), "--ca-url", ca_url,
             "--enroll", f"alice:{alice_pw}", "--target-config", str(config),
             "--client-cmd", impl.pki_get],
            {"SFT_INDEPENDENT_FAULTS": faults},
        )  # fmt: skip
    finally:
        for proc in procs:
            proc.stop(10)


def judge_fault(
    fault: str,
    want: str,
    code: int,
    report: dict[str, Any],
    evidence: Mapping[str, tuple[str, str]],
) -> None:
    """A "FAIL ID" or "PASS ID" fault is judged as the seed ports' are
    (test_seedport._judge_fault). "EVIDENCE ID": the flaw still FAILs (exit 0, as for
    the seed design) and its evidence shows `evidence[fault][0]`, not
    `evidence[fault][1]`: the change is named."""
    if not want.startswith("EVIDENCE"):
        _judge_fault(fault, want, code, report)
        return
    rid = want.split()[1]
    errors = [c["nodeid"] for c in report["cases"] if c["verdict"] == "ERROR"]
    assert not errors, (fault, errors)
    shows, hides = evidence[fault]
    failed = [
        c.get("evidence") or ""
        for c in report["cases"]
        if rid in c["requirements"] and c["verdict"] == "FAIL"
    ]
    assert any(shows in e and hides not in e for e in failed), (fault, failed)
    assert code == 0, (fault, code, report["summary"])
