"""The suite judges mutants of the reference: the planted bug's requirement must FAIL.

For each mutant (conformance/selftest/mutants.py) the embedded reference's server is
restarted through the mutant launcher (same store, share and certificates), a separate
`pytest conformance/<file> --target-config ... --only-req ID` runs against it exactly as
a user would run the suite against their own implementation, and the report it writes
must give the requirement FAIL with evidence. Results (and the detection rate) go to
reports/selftest/.

Opt-in (each mutant costs a server start and a pytest run): `SFT_SELFTEST=1` plants one
mutant per requirement group, `SFT_SELFTEST=all` (or `python -m conformance.selftest`) all.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from conformance.embedded import EmbeddedReference, reference_enroll_cmd
from conformance.selftest.mutants import MUTANTS, Mutant
from conformance.selftest.suite_run import (
    PACKAGE,
    REFERENCE_CLI,
    read_report,
    reference_client_cmd,
    reference_client_crl_cmd,
    reference_client_put_cmd,
    run_suite,
    selftest_dir,
)

_RUN_TIMEOUT = 180.0
# Planting mutants costs a server start and a separate pytest run each (~3 s of CPU), so
# the self-test is opt-in: SFT_SELFTEST=1 plants one mutant per group, =all every mutant.
_LEVEL = os.environ.get("SFT_SELFTEST", "").strip().lower()
_SELECTED = [m for m in MUTANTS if _LEVEL == "all" or (_LEVEL and m.default)] or list(MUTANTS)
pytestmark = [
    pytest.mark.xdist_group("selftest"),
    pytest.mark.skipif(
        not _LEVEL,
        reason="self-test against mutants: set SFT_SELFTEST=1 (one mutant per group) or "
        "SFT_SELFTEST=all, or run python -m conformance.selftest",
    ),
]


@pytest.fixture(scope="module")
def references() -> Iterator[dict[str, EmbeddedReference]]:
    """One embedded reference per profile for all mutants (started on first use)."""
    refs: dict[str, EmbeddedReference] = {}
    yield refs
    for ref in refs.values():
        ref.stop()


def _reference(
    refs: dict[str, EmbeddedReference], profile: str, tmp: Path, max_file_size: int | None = None
) -> EmbeddedReference:
    key = profile if max_file_size is None else f"{profile}-{max_file_size}"
    if key not in refs:
        ref = EmbeddedReference(tmp / key, max_file_size=max_file_size)
        ref.start([profile])
        refs[key] = ref
    return refs[key]


def _case_files(mutant: Mutant) -> list[str]:
    """The mutant's own case file, or with SFT_MUTANT_FILES=citing every case file that
    cites its requirement (the whole suite's verdict on it, as a user's full run would
    give), or the case files named there (space-separated, relative to conformance/)."""
    chosen = os.environ.get("SFT_MUTANT_FILES", "").strip()
    if not chosen:
        return [str(PACKAGE / mutant.test_file)]
    if chosen != "citing":
        return [str(PACKAGE / name) for name in chosen.split()]
    quoted = f'"{mutant.requirement}"'
    return [
        str(path)
        for path in sorted(PACKAGE.rglob("test_*.py"))
        if "selftest" not in path.relative_to(PACKAGE).parts and quoted in path.read_text()
    ]


@pytest.mark.parametrize("mutant", _SELECTED, ids=[m.name for m in _SELECTED])
def test_mutant_is_detected(
    mutant: Mutant,
    references: dict[str, EmbeddedReference],
    tmp_path_factory: pytest.TempPathFactory,
    request: pytest.FixtureRequest,
) -> None:
    if mutant.tier == "thorough" and os.environ.get("SFT_TIMING_TIER") != "thorough":
        pytest.skip(
            f"{mutant.name} is for the thorough timing tier (effects below the quick tier's "
            "resolution): SFT_TIMING_TIER=thorough SFT_SELFTEST=all, or tox -e timing"
        )
    tmp = tmp_path_factory.mktemp(mutant.name)
    ref = _reference(
        references, mutant.profile, tmp_path_factory.getbasetemp() / "refs", mutant.max_file_size
    )
    launcher = [sys.executable, "-m", "conformance.selftest.mutants", mutant.name, "--"]
    plain = list(REFERENCE_CLI)
    if mutant.client:
        # The server stays honest; the client under test is the mutated reference.
        base = ref.restart(mutant.profile, plain)
        template = reference_client_cmd(base, launcher, tmp / "client-id")
        put_template = reference_client_put_cmd(base, launcher, tmp / "client-id")
        crl_template = reference_client_crl_cmd(base, launcher, tmp / "client-id")
        target = base.with_changes(
            client_cmd=template, client_put_cmd=put_template, client_crl_cmd=crl_template
        )
        if mutant.enroll:  # the enrolment client too (`sft enroll` through the launcher)
            target = target.with_changes(enroll_cmd=reference_enroll_cmd(launcher))
    elif mutant.ca:
        ref.restart(mutant.profile, plain)
        target = ref.restart(mutant.profile, launcher, ca=True)
    else:
        # The next mutant of this profile restarts the server again.
        target = ref.restart(mutant.profile, launcher)
    if mutant.undeclared:  # a target file that declares only what it must
        unset: dict[str, Any] = dict.fromkeys(mutant.undeclared)
        target = target.with_changes(limits=replace(target.limits, **unset))
    target_file = target.write_target_file(tmp / "target")
    args = [*_case_files(mutant), "--target-config", str(target_file)]
    if mutant.strict:  # unmet SHOULDs FAIL; the run's own flags (no cacheprovider) stay legal
        args += ["-o", "strict=true", "-o", "strict_config=false"]
    if mutant.slow:  # the case that sees it is long: not in a default run of the suite
        args += ["-m", "slow or not slow"]
    args += ["--only-req", mutant.requirement, "--no-rerun"]
    timeout = _RUN_TIMEOUT * (5 if os.environ.get("SFT_MUTANT_FILES") else 1)
    run = run_suite(args, tmp / "report", timeout=timeout)
    if mutant.ca:
        ref.restart(mutant.profile, plain, ca=True)
    report = read_report(run, tmp / "report", f"mutant {mutant.name}")
    verdicts = {r["id"]: r for r in report["requirements"]}
    requirement = verdicts.get(mutant.requirement, {})
    failing = [
        c
        for c in report["cases"]
        if c["verdict"] == "FAIL"
        and mutant.requirement in (c.get("violates") or c["requirements"])
    ]
    detected = requirement.get("verdict") == "FAIL" and bool(failing)
    evidence = failing[0]["evidence"] if failing else ""
    out = selftest_dir(request.config)
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{mutant.name}.json").write_text(
        json.dumps(
            {
                "mutant": mutant.name,
                "group": mutant.group,
                "requirement": mutant.requirement,
                "description": mutant.description,
                "detected": detected,
                "verdict": requirement.get("verdict", "UNTESTED"),
                "failing_cases": [c["nodeid"] for c in failing],
                "evidence": evidence[:4000],
                "sanity": report.get("sanity", {}),
            },
            indent=1,
        )
        + "\n"
    )
    assert detected, (
        f"mutant {mutant.name} ({mutant.description}) was not detected: {mutant.requirement} "
        f"is {requirement.get('verdict', 'UNTESTED')}\n{run.stdout[-3000:]}"
    )
    assert evidence.strip(), "a FAIL must carry evidence"
    # The sanity conversation must pass: a mutant is non-conformant, not down.
    assert report["summary"]["sanity_ok"], report["sanity"]
