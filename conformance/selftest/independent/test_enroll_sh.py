"""The enrolment-client cases proven on a second enrolment client (enroll_sh/enroll.sh).

enroll.sh is an sft-pki/1 enrolment client in POSIX sh — openssl makes the key and the
CSR, curl posts them, jq reads and writes the JSON — written from docs/SPEC.md §4.4 by
another hand than the reference's `sft enroll`. `test_enroll_sh_is_conformant` (`slow`)
runs conformance/test_enroll_client.py and test_enroll_answers.py with the embedded
organisation's target and `enroll_cmd` pointing at the script: every case must PASS (a
FAIL is a case tuned to the reference's client, or a bug in the script). Without sh,
openssl, curl or jq it SKIPs.
"""

from __future__ import annotations

import shlex
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from conformance.selftest.independent.pki_harness import (
    organisation,  # noqa: F401 - a fixture, used by name
    workspace,  # noqa: F401 - a fixture, used by name
)
from conformance.selftest.suite_run import PACKAGE, read_report, run_suite
from conformance.target import Target

SCRIPT = Path(__file__).resolve().parent / "enroll_sh" / "enroll.sh"
_TOOLS = ("sh", "openssl", "curl", "jq")


@pytest.fixture
def tools() -> Iterator[None]:
    missing = [t for t in _TOOLS if shutil.which(t) is None]
    if missing:
        pytest.skip(f"enroll.sh needs {', '.join(missing)} on PATH")
    yield


@pytest.mark.slow
def test_enroll_sh_is_conformant(
    tools: None,
    organisation: Target,  # noqa: F811 - a fixture
    workspace: Path,  # noqa: F811 - fixtures
) -> None:
    if sys.platform != "linux":
        pytest.skip("the enrolment cases serve their hostile CA on Linux loopback")
    cmd = " ".join(
        [
            "sh",
            shlex.quote(str(SCRIPT)),
            "{ca_url}",
            "{root}",
            "{alias}",
            "{password_file}",
            "{out}",
        ]
    )
    target = organisation.with_changes(enroll_cmd=cmd)
    tmp = workspace / "enroll-sh"
    tmp.mkdir()
    target_file = target.write_target_file(tmp / "target")
    files = (
        "test_enroll_client.py",
        "test_enroll_answers.py",
        "test_enroll_tls.py",
        "test_enroll_answer_edges.py",
        "test_enroll_answer_spellings.py",
        "test_client_run_enrolment.py",
        "test_enroll_trust_sources.py",
        "test_enroll_hostile_bodies.py",
        "test_enroll_second_run.py",
        "test_enroll_body_framing.py",
        "test_enroll_password_controls.py",
        "test_enroll_renewal_answers.py",
        "test_enroll_password_locale.py",
        "test_enroll_answer_subject_exact.py",  # B108 (round 19b)
        "test_enroll_never_answered_outcome.py",  # B108 (round 19b)
        "test_enroll_retry_after_forms.py",  # B108 (round 19b)
        "test_enroll_answer_heads.py",  # B115 (round 20)
        "test_enroll_answer_unnamed_or_peer_signed.py",  # B124 (round 21)
        "test_enroll_refusal_ends.py",  # B124 (round 21)
        "test_enroll_answer_alias_elsewhere.py",  # B128 (round 21b)
        "test_enroll_answer_in_pieces.py",  # B128 (round 21b)
        "test_enroll_root_kept_from_user.py",  # B145 (round 23)
        "test_enroll_alias_forms.py",  # B156 (round 24)
        "test_enroll_answer_bare_pem.py",  # B156 (round 24)
        "test_enroll_answer_long_spellings.py",  # B156 (round 24)
        "test_enroll_answer_member_twice.py",  # B156 (round 24)
        "test_client_output_secrets.py",  # lead (round 24): PWF-2
        "test_enroll_refused_ca_output.py",  # B179 (round 25b): PWF-2 on refused CAs
        "test_enroll_every_hello.py",  # B185 (round 26): PKI-TLS-9, every hello
        "test_enroll_answer_chain.py",  # B191 (round 26b)
        "test_enroll_busy_retry_hellos.py",  # B191 (round 26b)
        "test_enroll_proxy_env.py",  # B191 (round 26b)
        "test_enroll_alias_separator_runs.py",  # B208 (round 27)
        "test_enroll_proxy_each_variable.py",  # B208 (round 27)
        "test_enroll_answer_unknown_key.py",  # B208 (round 27): ERR-6
    )
    args = [*(str(PACKAGE / f) for f in files), "--target-config", str(target_file)]
    run = run_suite([*args, "--no-rerun"], tmp / "report", timeout=600)
    report = read_report(run, tmp / "report", "enroll.sh")
    verdicts = [c["verdict"] for c in report["cases"]]
    bad = [
        f"{c['verdict']} {c['nodeid']}: {str(c.get('evidence', ''))[:300]}"
        for c in report["cases"]
        if c["verdict"] in ("FAIL", "ERROR", "TIMEOUT")
    ]
    assert not bad, "enroll.sh is judged non-conformant:\n" + "\n".join(bad)
    assert verdicts.count("PASS") >= 10, f"too few cases ran against enroll.sh: {verdicts}"
