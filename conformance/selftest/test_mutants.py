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
import shlex
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conformance.embedded import EmbeddedReference
from conformance.selftest.mutants import MUTANTS, Mutant
from conformance.target import Target

_PACKAGE = Path(__file__).resolve().parent.parent
_ROOT = _PACKAGE.parent
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
    workdir = Path(tempfile.mkdtemp(prefix="sft-selftest-"))
    refs: dict[str, EmbeddedReference] = {}
    yield refs
    for ref in refs.values():
        ref.stop()
    import shutil

    shutil.rmtree(workdir, ignore_errors=True)


def _reference(refs: dict[str, EmbeddedReference], profile: str, tmp: Path) -> EmbeddedReference:
    if profile not in refs:
        ref = EmbeddedReference(tmp / profile)
        ref.start([profile])
        refs[profile] = ref
    return refs[profile]


def _client_identity(target: Target, iddir: Path) -> Path:
    """The suite's own identity in the reference client's layout (cert, key, root, CA)."""
    if "suite" not in target.identities or target.root is None:
        pytest.skip("the pki reference has no 'suite' identity for the client")
    iddir.mkdir(mode=0o700, parents=True)
    cert, key = target.identities["suite"]
    (iddir / "cert.pem").write_bytes(cert.read_bytes())
    (iddir / "key.pem").touch(mode=0o600)
    (iddir / "key.pem").write_bytes(key.read_bytes())
    (iddir / "root.pem").write_bytes(target.root.read_bytes())
    if target.ca_url:
        (iddir / "ca-url").write_text(target.ca_url + "\n")
    return iddir


def _report_dir(config: pytest.Config) -> Path:
    base = Path(config.getoption("report_dir", "reports") or "reports")
    if not base.is_absolute():
        base = Path(config.invocation_params.dir) / base
    return base / "selftest"


def _run_suite(
    mutant: Mutant, target_file: Path, report_dir: Path
) -> subprocess.CompletedProcess[str]:
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        str(_PACKAGE / mutant.test_file),
        "--target-config",
        str(target_file),
        "--only-req",
        mutant.requirement,
        "--no-rerun",
        "--report-dir",
        str(report_dir),
        "-p",
        "no:xdist",
        "-p",
        "no:cacheprovider",
        "-q",
        "--no-header",
    ]
    env = dict(os.environ)
    env.pop("PYTEST_XDIST_WORKER", None)
    env.pop("PYTEST_ADDOPTS", None)
    return subprocess.run(
        cmd, cwd=_ROOT, capture_output=True, text=True, timeout=_RUN_TIMEOUT, env=env, check=False
    )


@pytest.mark.parametrize("mutant", _SELECTED, ids=[m.name for m in _SELECTED])
def test_mutant_is_detected(
    mutant: Mutant,
    references: dict[str, EmbeddedReference],
    tmp_path_factory: pytest.TempPathFactory,
    request: pytest.FixtureRequest,
) -> None:
    tmp = tmp_path_factory.mktemp(mutant.name)
    ref = _reference(references, mutant.profile, tmp_path_factory.getbasetemp() / "refs")
    launcher = [sys.executable, "-m", "conformance.selftest.mutants", mutant.name, "--"]
    if mutant.client:
        # The server stays honest; the client under test is the mutated reference.
        base = ref.restart(mutant.profile, [sys.executable, "-m", "reference"])
        prefix = " ".join(shlex.quote(p) for p in launcher)
        if mutant.profile == "eke":
            template = prefix + (
                " eke get {host}:{port} {name} --user {user} --password-file {password_file}"
                " -o {out} --quiet --timeout 5"
            )
        else:
            iddir = _client_identity(base, tmp / "client-id")
            template = prefix + f" get {{alias}}@{{host}}:{{port}} {{name}} --id {iddir} -o {{out}}"
        target = base.with_changes(client_cmd=template)
    elif mutant.ca:
        ref.restart(mutant.profile, [sys.executable, "-m", "reference"])
        target = ref.restart(mutant.profile, launcher, ca=True)
    else:
        # The next mutant of this profile restarts the server again.
        target = ref.restart(mutant.profile, launcher)
    target_file = target.write_target_file(tmp / "target")
    run = _run_suite(mutant, target_file, tmp / "report")
    if mutant.ca:
        ref.restart(mutant.profile, [sys.executable, "-m", "reference"], ca=True)
    report_path = tmp / "report" / "conformance.json"
    assert report_path.is_file(), (
        f"the suite wrote no report against mutant {mutant.name}:\n{run.stdout[-3000:]}"
        f"\n{run.stderr[-2000:]}"
    )
    report: dict[str, Any] = json.loads(report_path.read_text())
    verdicts = {r["id"]: r for r in report["requirements"]}
    requirement = verdicts.get(mutant.requirement, {})
    failing = [
        c
        for c in report["cases"]
        if mutant.requirement in c["requirements"] and c["verdict"] == "FAIL"
    ]
    detected = requirement.get("verdict") == "FAIL" and bool(failing)
    evidence = failing[0]["evidence"] if failing else ""
    out = _report_dir(request.config)
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
