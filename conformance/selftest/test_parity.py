"""A separately started reference gets the same verdicts as the embedded default.

For each v1 profile the unmutated reference is started as separate servers (the machinery
the mutants use: conformance.embedded, described with `Target.write_target_file`, its
own client given as `client_cmd`), and `pytest conformance --target-config FILE` runs
against it exactly as against a user's implementation. A second run judges the embedded
default (`pytest conformance --profile P`). Every applicable requirement must get the
same verdict in the two conformance.json reports: what the embedded run knows beyond the
target file must not change a verdict. Results go to reports/selftest/parity-P.json.

Opt-in like the mutants (`SFT_SELFTEST=1` or `=all`): two whole-suite runs per profile.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from conformance.embedded import EmbeddedReference
from conformance.selftest.suite_run import (
    PACKAGE,
    REFERENCE_CLI,
    read_report,
    reference_client_cmd,
    run_suite,
    selftest_dir,
)

_RUN_TIMEOUT = 900.0
pytestmark = pytest.mark.skipif(
    not os.environ.get("SFT_SELFTEST", "").strip(),
    reason="self-test of an external target against the embedded one: set SFT_SELFTEST=1, "
    "or run python -m conformance.selftest",
)


def _verdicts(report: dict[str, Any]) -> dict[str, str]:
    return {r["id"]: r["verdict"] for r in report["requirements"] if r["applicable"]}


def _cases(report: dict[str, Any], requirement: str) -> str:
    """The cases behind a requirement's verdict, one line each (for a difference)."""
    lines = [
        f"      {c['verdict']:<11} {c['nodeid']}: {c['message'][:160]}"
        for c in report["cases"]
        if requirement in c["requirements"] and c["verdict"] != "PASS"
    ]
    return "\n".join(lines) or "      (every case PASS)"


def _case_differences(external: dict[str, Any], embedded: dict[str, Any]) -> list[str]:
    ours = {c["nodeid"]: c for c in external["cases"]}
    theirs = {c["nodeid"]: c for c in embedded["cases"]}
    return [
        f"{nodeid}: external {ours.get(nodeid, {}).get('verdict', 'absent')}, embedded "
        f"{theirs.get(nodeid, {}).get('verdict', 'absent')}: "
        + (ours.get(nodeid) or theirs[nodeid])["message"][:160]
        for nodeid in sorted(ours.keys() | theirs.keys())
        if ours.get(nodeid, {}).get("verdict") != theirs.get(nodeid, {}).get("verdict")
    ]


def _external_run(profile: str, tmp: Path) -> dict[str, Any]:
    ref = EmbeddedReference(tmp / "reference")
    try:
        target = ref.pki() if profile == "pki" else ref.eke()
        client = reference_client_cmd(target, REFERENCE_CLI, tmp / "client-id")
        # Exactly what a user would write: the share facts (directories, symlinks out,
        # files above the limit) are in the file, nothing else comes from being embedded.
        target_file = target.with_changes(client_cmd=client).write_target_file(tmp / "target")
        args = [str(PACKAGE), "--target-config", str(target_file)]
        run = run_suite(args, tmp / "external", timeout=_RUN_TIMEOUT)
    finally:
        ref.stop()
    return read_report(run, tmp / "external", f"the separately started {profile} reference")


@pytest.mark.parametrize(
    "profile",
    [pytest.param(p, marks=pytest.mark.xdist_group(f"parity-{p}")) for p in ("pki", "eke")],
)
def test_external_target_gets_the_embedded_verdicts(
    profile: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    external = _external_run(profile, tmp_path)
    run = run_suite(
        [str(PACKAGE), "--profile", profile], tmp_path / "embedded", timeout=_RUN_TIMEOUT
    )
    embedded = read_report(run, tmp_path / "embedded", f"the embedded {profile} reference")
    ours, theirs = _verdicts(external), _verdicts(embedded)
    differences = {
        req: (ours.get(req, "absent"), theirs.get(req, "absent"))
        for req in sorted(ours.keys() | theirs.keys())
        if ours.get(req) != theirs.get(req)
    }
    out = selftest_dir(request.config)
    out.mkdir(parents=True, exist_ok=True)
    (out / f"parity-{profile}.json").write_text(
        json.dumps(
            {
                "profile": profile,
                "compared": len(ours.keys() | theirs.keys()),
                "tested": sum(v != "UNTESTED" for v in theirs.values()),
                "differences": {
                    req: {"external": e, "embedded": m} for req, (e, m) in differences.items()
                },
                # Cases may differ where the requirement does not (informative only).
                "case_differences": _case_differences(external, embedded),
                "durations_s": {
                    "external": external["duration_s"],
                    "embedded": embedded["duration_s"],
                },
            },
            indent=1,
        )
        + "\n"
    )
    for name, report in (("external", external), ("embedded", embedded)):
        assert report["summary"]["sanity_ok"], f"{name} {profile}: {report['sanity']}"
    assert not differences, f"{profile}: verdicts differ (external vs embedded):\n" + "\n".join(
        f"  {req}: external {e}, embedded {m}\n    external run:\n{_cases(external, req)}"
        f"\n    embedded run:\n{_cases(embedded, req)}"
        for req, (e, m) in differences.items()
    )
    assert external["summary"]["status"] == embedded["summary"]["status"] == "ok", (
        external["summary"],
        embedded["summary"],
    )
