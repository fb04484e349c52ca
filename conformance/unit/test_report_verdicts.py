"""A requirement's verdict is per profile and per side; coverage counts only what was
judged (conformance/report.py)."""

from __future__ import annotations

from typing import Any

from conformance import report as reporting
from conformance.report import CaseResult

_SPEC = """
## 1. Sample
- **[FRM-1]** A frame MUST be well formed.
- **[EKE-REC-6]** The record limit MUST be the frame limit.
- **[EKE-PW-3]** The client MUST NOT send the password.
- **[EKE-HS-11]** The server MUST close after EKE4 fails.
- **[LEG-EKE-1]** *Password in clear.* It MUST be flagged.
- **[LIM-5]** A responder MUST keep serving other connections.
- **[EKE-REC-7]** A sender MUST NOT seal more than 2^34 AES blocks under one key.
"""


def _report(
    cases: list[CaseResult], profiles: list[str], sanity: dict[str, Any] | None = None
) -> dict[str, Any]:
    data = reporting.ReportInput(
        cases=cases,
        targets=[],
        sanity=sanity if sanity is not None else {p: {"first": {"ok": True}} for p in profiles},
        options={"profiles": profiles},
        versions={},
        generated="2026-01-01T00:00:00+00:00",
        duration=1.0,
        spec_source="sample",
        spec=reporting.parse_spec(_SPEC),
    )
    return reporting.build_report(data)


def _reqs(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["id"]: r for r in report["requirements"]}


def test_another_profiles_case_does_not_make_a_requirement_pass() -> None:
    """A pki case citing FRM-1 and EKE-REC-6 says nothing about sft-eke/1."""
    case = CaseResult("t::frame[pki]", ["FRM-1", "EKE-REC-6"], "PASS", profile="pki")
    for profiles in (["pki"], ["pki", "eke"]):
        reqs = _reqs(_report([case], profiles))
        assert reqs["EKE-REC-6"]["verdict"] == "UNTESTED" and not reqs["EKE-REC-6"]["tested"]
        assert reqs["EKE-REC-6"]["tests"] == []
        assert reqs["FRM-1"]["verdict"] == "PASS"
        assert reqs["FRM-1"]["verdicts"] == {"pki/responder": "PASS"}
    both = _report([case], ["pki", "eke"])
    assert "EKE-REC-6" in both["coverage"]["gaps"]


def test_cases_of_a_profile_not_under_test_are_left_out() -> None:
    skipped = CaseResult("t::frame[eke]", ["FRM-1"], "SKIP", profile="eke")
    passed = CaseResult("t::frame[pki]", ["FRM-1"], "PASS", profile="pki")
    reqs = _reqs(_report([skipped, passed], ["pki"]))
    assert reqs["FRM-1"]["verdicts"] == {"pki/responder": "PASS"}


def test_a_legacy_flaw_case_is_no_coverage_of_the_v1_requirement_it_echoes() -> None:
    flaw = CaseResult("t::pw_in_clear", ["LEG-EKE-1", "EKE-PW-3"], "FAIL", profile="eke-legacy")
    report = _report([flaw], ["eke-legacy"])
    reqs = _reqs(report)
    assert reqs["LEG-EKE-1"]["verdict"] == "FAIL"
    assert reqs["EKE-PW-3"]["verdict"] == "UNTESTED" and reqs["EKE-PW-3"]["tests"] == []
    both = _reqs(_report([flaw], ["eke", "eke-legacy"]))
    assert both["EKE-PW-3"]["verdict"] == "UNTESTED"


def test_each_side_has_its_verdict_and_the_worst_is_the_requirements() -> None:
    server = CaseResult("t::server", ["FRM-1"], "PASS", profile="eke")
    client = CaseResult("t::client", ["FRM-1"], "FAIL", profile="eke", side="initiator")
    pki = CaseResult("t::pki", ["FRM-1"], "SKIP", profile="pki")
    reqs = _reqs(_report([server, client, pki], ["pki", "eke"]))
    assert reqs["FRM-1"]["verdicts"] == {
        "eke/initiator": "FAIL", "eke/responder": "PASS", "pki/responder": "SKIP"}
    assert reqs["FRM-1"]["verdict"] == "FAIL" and reqs["FRM-1"]["tested"]


def test_coverage_counts_only_judged_musts() -> None:
    cases = [
        CaseResult("t::a", ["FRM-1"], "PASS", profile="eke"),
        CaseResult("t::b", ["EKE-HS-11"], "SKIP", profile="eke"),
        CaseResult("t::c", ["EKE-REC-6"], "UNSUPPORTED", profile="eke"),
        CaseResult("t::d", ["LIM-5"], "ERROR", profile="eke"),
    ]
    report = _report(cases, ["eke"])
    cov = report["coverage"]
    assert cov["musts"] == 6  # FRM-1, EKE-REC-6, EKE-PW-3, EKE-HS-11, LIM-5, EKE-REC-7
    assert cov["musts_tested"] == 1
    assert sorted(cov["untested"]) == ["EKE-HS-11", "EKE-REC-6", "LIM-5"]
    assert cov["gaps"] == ["EKE-PW-3"]
    assert cov["not_observable"] == ["EKE-REC-7"]
    assert _reqs(report)["EKE-REC-7"]["verdict"] == "NOT-OBSERVABLE"
    md = reporting.render_markdown(report)
    assert "**untested**" in md and "*not observable on the wire*" in md


def test_a_target_that_stops_serving_fails_lim_5_and_is_not_down() -> None:
    sanity = {"eke": {"first": {"ok": True, "detail": "ok"},
                      "last": {"ok": False, "detail": "connection refused"}}}
    report = _report([CaseResult("t::a", ["FRM-1"], "PASS", profile="eke")], ["eke"], sanity)
    assert report["summary"]["sanity_ok"] is True
    assert report["summary"]["status"] == "failed"
    assert _reqs(report)["LIM-5"]["verdict"] == "FAIL"
    failing = [c for c in report["cases"] if c["verdict"] == "FAIL"]
    assert "connection refused" in failing[0]["evidence"]


def test_a_target_never_reached_is_down_not_non_conformant() -> None:
    sanity = {"eke": {"first": {"ok": False, "detail": "connection refused"}}}
    down = CaseResult("t::a", ["FRM-1"], "ERROR", profile="eke", target_down=True,
                      message="target down or misconfigured: x")
    report = _report([down], ["eke"], sanity)
    assert report["summary"]["sanity_ok"] is False
    assert _reqs(report)["LIM-5"]["verdict"] == "UNTESTED"
    lines = reporting.terminal_lines(report)
    assert any("target down or misconfigured" in line for line in lines)
    assert any(line.startswith("1 cases not judged") for line in lines)


def test_inconclusive_is_tested_shown_apart_and_never_a_pass() -> None:
    """A measurement that could not decide makes its requirement INCONCLUSIVE, even beside
    a passing case; it counts as tested, and does not fail the run."""
    report = _report(
        [
            CaseResult("t.py::status_and_body", ["EKE-HS-11"], "PASS", profile="eke"),
            CaseResult("t.py::timing", ["EKE-HS-11"], "INCONCLUSIVE", profile="eke"),
        ],
        ["eke"],
    )
    row = _reqs(report)["EKE-HS-11"]
    assert row["verdict"] == "INCONCLUSIVE"
    assert row["tested"] is True
    assert report["summary"]["status"] != "FAIL"


def test_a_failure_that_names_its_requirement_fails_only_that_one() -> None:
    """ConformanceFailure(violates=...) narrows a case's FAIL to the requirement named."""
    report = _report(
        [
            CaseResult(
                "t.py::records", ["EKE-REC-6", "EKE-HS-11"], "FAIL", profile="eke",
                violates=["EKE-HS-11"],
            ),
            CaseResult("t.py::other", ["EKE-REC-6"], "PASS", profile="eke"),
        ],
        ["eke"],
    )
    reqs = _reqs(report)
    assert reqs["EKE-HS-11"]["verdict"] == "FAIL"
    assert reqs["EKE-REC-6"]["verdict"] == "PASS"
