"""The readings the SPEC allows besides the reference's must PASS (brief Q3).

Where the SPEC admits two behaviours ("either … or …": PKI-TLS-2, PKI-TLS-10, CA-ENR-21,
APP-GET-7, FRM-16), a case tuned to the reference's choice would FAIL a right
implementation that made the other one: the worst defect of a conformance suite. Each
`READINGS` entry of conformance/selftest/mutants_ambig.py plants the other choice in the
reference, exactly as a mutant is planted (conformance/selftest/test_mutants.py), runs
the case files that judge it with `--only-req` its requirements, and asserts that each of
them is PASS and no case FAILs.

Opt-in like the mutants (each reading costs a server start and a pytest run):
`SFT_SELFTEST=all`.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from conformance.embedded import EmbeddedReference, reference_enroll_cmd
from conformance.selftest.mutants_ambig import Reading, all_readings
from conformance.selftest.suite_run import (
    PACKAGE,
    REFERENCE_CLI,
    read_report,
    reference_client_cmd,
    reference_client_put_cmd,
    run_suite,
)

_RUN_TIMEOUT = 240.0
_LEVEL = os.environ.get("SFT_SELFTEST", "").strip().lower()
pytestmark = [
    pytest.mark.xdist_group("selftest-readings"),
    pytest.mark.skipif(
        _LEVEL != "all",
        reason="the SPEC's other readings against the suite: set SFT_SELFTEST=all",
    ),
]


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedReference]:
    ref = EmbeddedReference(tmp_path_factory.mktemp("readings") / "ref")
    ref.start(["pki", "eke"])
    yield ref
    ref.stop()


_READINGS = all_readings()


@pytest.mark.parametrize("reading", _READINGS, ids=[r.name for r in _READINGS])
def test_other_allowed_reading_passes(
    reading: Reading, reference: EmbeddedReference, tmp_path: Path
) -> None:
    launcher = [sys.executable, "-m", "conformance.selftest.mutants_ambig", reading.name, "--"]
    plain = list(REFERENCE_CLI)
    if reading.client:
        base = reference.restart(reading.profile, plain)
        iddir = tmp_path / "client-id"
        target = base.with_changes(
            client_cmd=reference_client_cmd(base, launcher, iddir),
            # the put client too: a reading of the sender is judged like the receiver's
            client_put_cmd=reference_client_put_cmd(base, launcher, iddir),
        )
        if getattr(reading, "enroll", False):  # the enrolment client (`sft enroll`) too
            target = target.with_changes(enroll_cmd=reference_enroll_cmd(launcher))
    elif reading.ca:
        reference.restart(reading.profile, plain)
        target = reference.restart(reading.profile, launcher, ca=True)
    else:
        target = reference.restart(reading.profile, launcher)
    target_file = target.write_target_file(tmp_path / "target")
    args = [str(PACKAGE / f) for f in reading.test_files]
    args += ["--target-config", str(target_file), "--only-req", ",".join(reading.requirements)]
    args += ["--no-rerun"]
    try:
        run = run_suite(args, tmp_path / "report", timeout=_RUN_TIMEOUT)
    finally:
        if reading.ca:
            reference.restart(reading.profile, plain, ca=True)
        else:
            reference.restart(reading.profile, plain)
    report = read_report(run, tmp_path / "report", f"reading {reading.name}")
    verdicts = {r["id"]: r.get("verdict") for r in report["requirements"]}
    wrong = {rid: verdicts.get(rid, "UNTESTED") for rid in reading.requirements}
    wrong = {rid: v for rid, v in wrong.items() if v != "PASS"}
    failing = [
        f"{c['nodeid']}: {c.get('message', '')[:300]}"
        for c in report["cases"]
        if c["verdict"] == "FAIL"
    ]
    assert not wrong and not failing, (
        f"{reading.name} ({reading.description}) is a conforming reading, yet: {wrong}\n"
        + "\n".join(failing)
    )
    assert report["summary"]["sanity_ok"], report["sanity"]
