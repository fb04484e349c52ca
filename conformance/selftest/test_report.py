"""The report machinery on its own: spec parsing, verdict aggregation, renderers,
expectations, target files; and (opt-in, SFT_SELFTEST) the expectations file end to end."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conformance import report as reporting
from conformance.plugin import Expectations
from conformance.target import Account, KnownFile, Limits, Target, load_target_file

_SAMPLE = """\
# Spec
## 1. Frames
Tests cite these IDs, e.g. **[FRM-9]** (a reference in prose, not a requirement).

- **[FRM-1]** A frame MUST consist of a type
  and a length.
- **[FRM-2]** A receiver SHOULD log odd types.
- **[FRM-3]** The password key is scrypt(...).
- **[FRM-4]** *withdrawn*.
"""


def test_parse_spec_finds_bulleted_ids_with_levels() -> None:
    reqs = {r.id: r for r in reporting.parse_spec(_SAMPLE)}
    assert list(reqs) == ["FRM-1", "FRM-2", "FRM-3", "FRM-4"]
    assert reqs["FRM-1"].level == "MUST" and "and a length" in reqs["FRM-1"].text
    assert reqs["FRM-2"].level == "SHOULD"
    assert reqs["FRM-3"].level == "DEF"
    assert reqs["FRM-4"].level == "WITHDRAWN"
    assert reqs["FRM-1"].section == "1. Frames"


def test_shipped_spec_ids_match_docs_spec() -> None:
    docs = Path(reporting.__file__).resolve().parent.parent / "docs" / "SPEC.md"
    if not docs.is_file():
        pytest.skip("docs/SPEC.md is not next to the package (installed copy)")
    shipped = json.loads((Path(reporting.__file__).parent / "spec_ids.json").read_text())
    live, _ = reporting.load_spec(docs)
    assert [r["id"] for r in shipped["requirements"]] == [r.id for r in live], (
        "conformance/spec_ids.json is stale: run python -m conformance.report --refresh-spec"
    )


def test_requirement_verdict_is_the_worst() -> None:
    assert reporting.requirement_verdict(["PASS", "SKIP", "FAIL"]) == "FAIL"
    assert reporting.requirement_verdict(["PASS", "NON-STRICT"]) == "NON-STRICT"
    assert reporting.requirement_verdict(["UNSUPPORTED", "SKIP"]) == "UNSUPPORTED"
    assert reporting.requirement_verdict(["TIMEOUT", "ERROR"]) == "ERROR"
    assert reporting.requirement_verdict([]) == reporting.UNTESTED


def _report(cases: list[reporting.CaseResult], sanity_ok: bool = True) -> dict[str, object]:
    spec = reporting.parse_spec(_SAMPLE)
    data = reporting.ReportInput(
        cases=cases,
        targets=[{"profile": "eke", "address": "127.0.0.1:1", "embedded": True}],
        sanity={"eke": {"first": {"ok": sanity_ok, "detail": "x"}}},
        options={},
        versions={},
        generated="2026-01-01T00:00:00+00:00",
        duration=1.0,
        spec_source="sample",
        spec=spec,
    )
    return reporting.build_report(data)


def test_report_coverage_gaps_and_status(tmp_path: Path) -> None:
    failing = reporting.CaseResult(
        "conformance/test_x.py::test_a",
        ["FRM-1"],
        "FAIL",
        evidence="Expected: EROR bad_frame\nActual: <script>",
        transcript="transcripts/a.txt",
        unexpected=True,
    )
    report = _report([failing])
    reqs = {r["id"]: r for r in report["requirements"]}  # type: ignore[attr-defined]
    assert reqs["FRM-1"]["verdict"] == "FAIL"
    assert report["coverage"]["gaps"] == []  # type: ignore[index]
    assert report["summary"]["status"] == "failed"  # type: ignore[index]
    paths = reporting.write_reports(report, tmp_path)
    html = (tmp_path / "conformance.html").read_text()
    assert "&lt;script&gt;" in html and "<script>" not in html
    md = (tmp_path / "conformance.md").read_text()
    assert "transcripts/a.txt" in md and "Expected: EROR bad_frame" in md
    assert json.loads(paths[0].read_text())["schema"] == reporting.SCHEMA


def test_report_lists_untested_musts_as_gaps() -> None:
    report = _report([reporting.CaseResult("t::b", ["FRM-2"], "PASS")])
    assert report["coverage"]["gaps"] == ["FRM-1"]  # type: ignore[index]
    assert report["summary"]["status"] == "ok"  # type: ignore[index]


def test_failed_sanity_fails_the_report() -> None:
    report = _report([reporting.CaseResult("t::b", ["FRM-1"], "PASS")], sanity_ok=False)
    assert report["summary"]["status"] == "failed"  # type: ignore[index]
    lines = reporting.terminal_lines(report)
    assert any("down or misconfigured" in line for line in lines)


def test_expectations_match_by_nodeid_glob_or_requirement(tmp_path: Path) -> None:
    path = tmp_path / "exp.toml"
    path.write_text(
        '[[disabled]]\nmatch = "test_eke_throttling.py::*"\nreason = "firewall"\n'
        '[[expected_failure]]\nreq = "EKE-HS-11"\nerror = "EROR timeout"\nreason = "bug 12"\n'
    )
    exp = Expectations.load(path)
    assert exp.disabled_for("conformance/test_eke_throttling.py::test_x", []) is not None
    assert exp.disabled_for("conformance/test_eke_records.py::test_x", []) is None
    hit = exp.failure_for("conformance/test_eke_handshake.py::t", ["EKE-HS-11", "LIM-1"])
    assert hit is not None and hit["error"] == "EROR timeout"
    assert exp.failure_for("conformance/test_eke_handshake.py::t", ["LIM-1"]) is None


def test_target_file_round_trip(tmp_path: Path) -> None:
    target = Target(
        profile="eke",
        host="127.0.0.1",
        port=7000,
        features=frozenset({"get", "put"}),
        accounts=(Account("alice", 'p"w d'), Account("bob", "x")),
        files=(KnownFile("sub/a b.txt", 3, "00" * 32),),
        limits=Limits(handshake_timeout=2.5),
        identities={"revoked": (tmp_path / "r.pem", tmp_path / "r.key")},
    )
    loaded = load_target_file(target.write_target_file(tmp_path / "t"))
    assert (loaded["host"], loaded["port"], loaded["profile"]) == ("127.0.0.1", 7000, "eke")
    assert loaded["accounts"] == target.accounts
    assert loaded["files"] == target.files and loaded["limits"] == target.limits
    assert loaded["features"] == target.features
    assert loaded["identities"]["revoked"][0] == tmp_path / "r.pem"
    assert 'p"w d' not in repr(loaded["accounts"])
    mode = (tmp_path / "t" / "eke-alice.password").stat().st_mode & 0o777
    assert mode == 0o600


@pytest.mark.skipif(not os.environ.get("SFT_SELFTEST"), reason="opt-in: SFT_SELFTEST=1")
def test_expectations_end_to_end(tmp_path: Path) -> None:
    """An expected failure that passes fails the run; a disabled case is a SKIP."""
    exp = tmp_path / "exp.toml"
    exp.write_text(
        '[[expected_failure]]\nmatch = "*test_honest_handshake_and_get"\nreason = "demo"\n'
        '[[disabled]]\nmatch = "*test_wrong_password_fails_at_eke3"\nreason = "demo off"\n'
    )
    root = Path(reporting.__file__).resolve().parent
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            str(root / "test_eke_handshake.py"),
            "-q",
            "-k",
            "honest_handshake or wrong_password",
            "--expectations",
            str(exp),
            "--report-dir",
            str(tmp_path / "rep"),
            "-p",
            "no:xdist",
            "-p",
            "no:cacheprovider",
        ],
        cwd=root.parent,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode != 0, run.stdout[-2000:]
    report = json.loads((tmp_path / "rep" / "conformance.json").read_text())
    cases = {c["nodeid"].split("::")[-1]: c for c in report["cases"]}
    assert cases["test_honest_handshake_and_get"]["unexpected"]
    assert cases["test_wrong_password_fails_at_eke3"]["verdict"] == "SKIP"
    assert report["summary"]["status"] == "failed"
