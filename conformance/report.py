"""Verdicts per case and per requirement, and the reports: terminal, JSON, Markdown, HTML.

The unit of a conformance report is a requirement of docs/SPEC.md. Each test case gets
one verdict, for one profile and one side (responder, initiator or CA). A requirement
gets a verdict per profile and side: the worst of the cases of that profile and side
that cite it, counting only cases whose profile the requirement concerns (a pki case
citing an EKE- ID says nothing about sft-eke/1, a legacy flaw case nothing about the v1
requirement it echoes). Its overall verdict is the worst of those. It is *tested* when
some case judged it (PASS, FAIL, TIMEOUT, NON-STRICT), and only tested requirements
count as coverage: a MUST whose cases were all skipped is listed as untested, one with
no case at all as a gap, one the wire cannot show (`NOT_OBSERVABLE`) as such. The JSON
follows
conformance/REPORT-SCHEMA.md (`"schema": "sft-conformance-report/1"`) so that CI can
diff two runs.

    python -m conformance.report --refresh-spec   # rewrite conformance/spec_ids.json
"""

from __future__ import annotations

import argparse
import html
import json
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sftkit.outcomes import TARGET_DOWN, CaseVerdict, RequirementVerdict, worst_verdict

__all__ = [
    "NOT_OBSERVABLE",
    "applies_to",
    "SCHEMA",
    "VERDICTS",
    "CaseResult",
    "SpecRequirement",
    "build_report",
    "load_spec",
    "shorten_at_word",
    "parse_spec",
    "render_html",
    "render_markdown",
    "requirement_verdict",
    "terminal_lines",
    "write_reports",
]

SCHEMA = "sft-conformance-report/1"
# Worst first: a requirement's verdict is the first of these that any of its cases has.
VERDICTS = tuple(v.value for v in CaseVerdict)
UNTESTED = RequirementVerdict.UNTESTED.value
SIDES = ("responder", "initiator", "ca")

# Requirements the wire cannot show (storage of secrets, logs, local files): checked by
# the reference's unit tests and by review; the coverage matrix lists them apart. This
# table is where a MUST is declared "not observable on the wire" (docs/ARCHITECTURE.md).
NOT_OBSERVABLE = frozenset(
    {
        # Each reason was re-checked (brief B9): the wire, a command the suite runs, or a
        # declared fact (restart command, share, table bound) cannot show these.
        # (EKE-PW-2, the password store's mode and its copies, is judged from /proc for
        # an eke server on the suite's machine: test_ops_eke_store_files.py.)
        "EKE-KS-5",  # a SHOULD: erasing x, y, Z, PRK from the endpoint's own memory
        # (EKE-THR-3, what the server logs, is judged from the log file a target declares,
        # `[eke] server_log`: test_eke_server_log_secrets.py; SKIP where none is declared.)
        # (CA-ENR-5, how the CA stores passwords, is observable in one part only: a hash
        # that reads part of a long password; its salt and constant-time compare are not.
        # CA-ENR-12 and CA-ENR-18, the enrolment client's duties, are judged through a
        # declared `enroll_cmd` against a CA the suite serves: test_enroll_client.py.)
        "LIM-7",  # the implementation's configuration and start-up output
        "LEG-GEN-1",  # the reference's legacy entry points and their warnings (its CLI)
        "LEG-CA-4",  # the seed's CA stores passwords as typed: a storage flaw
        # (PKI-CERT-12, CRL age, is judged for an initiator given a CRL file the suite
        # signs, through a declared `client_crl_cmd`: test_pki_initiator_crl_file.py. A
        # responder fetches its CRL from its configured CA, which the suite cannot
        # point at a CA it runs, nor set its clock: that half stays unjudged.)
        "CA-ENR-22",  # the CA's signing key on its own disk (encrypted, passphrase apart)
        "EKE-REC-7",  # 2^34 blocks before the limit: hundreds of gigabytes
        # (EKE-THR-10 is half observable: IPv4 counted per address, test_eke_address_units.py;
        # its IPv6 /64 half needs a second source address in ::1's /64, configured on lo by
        # root, which a case cannot assume.)
        # (LIM-6, memory per connection, is judged from /proc for a target on the suite's
        # machine with a max file size of at least 128 MiB: test_app_memory_bound.py.)
        "VEC-1",  # known-answer tests of each side's own primitives (unit tests)
        "VEC-3",
    }
)

_SPEC_COPY = Path(__file__).resolve().parent / "spec_ids.json"
_SPEC_DOC = Path(__file__).resolve().parent.parent / "docs" / "SPEC.md"
_ID_RE = re.compile(r"\*\*\[([A-Z]+(?:-[A-Z]+)*-\d+)\]\*\*")
# A requirement is a bullet that starts with its ID; IDs cited in prose are references.
_ITEM_RE = re.compile(r"^\s*-\s+\*\*\[([A-Z]+(?:-[A-Z]+)*-\d+)\]\*\*")
_HEADING_RE = re.compile(r"^(#{2,4})\s+(.*)$")


@dataclass(frozen=True)
class SpecRequirement:
    id: str
    level: str  # MUST | SHOULD | MAY | DEF (normative definition) | WITHDRAWN
    section: str
    text: str


def parse_spec(text: str) -> list[SpecRequirement]:
    """Every `**[ID]**` statement of docs/SPEC.md with its keyword level and section."""
    out: list[SpecRequirement] = []
    section = ""
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        heading = _HEADING_RE.match(lines[i])
        if heading:
            section = heading.group(2).strip()
        match = _ITEM_RE.match(lines[i])
        if not match:
            i += 1
            continue
        # The statement runs until the next ID, a blank line, a heading or a new bullet.
        body = [lines[i][match.end() :].strip()]
        j = i + 1
        while j < len(lines):
            nxt = lines[j]
            if not nxt.strip() or _ITEM_RE.match(nxt) or nxt.startswith(("#", "- ", "|", "```")):
                break
            body.append(nxt.strip())
            j += 1
        statement = " ".join(body)
        rest = statement.strip()
        if "withdrawn" in rest.lower()[:40]:
            level = "WITHDRAWN"
        elif re.search(r"\bMUST\b", rest):
            level = "MUST"
        elif re.search(r"\bSHOULD\b", rest):
            level = "SHOULD"
        elif re.search(r"\bMAY\b", rest):
            level = "MAY"
        else:
            level = "DEF"  # a definition the other requirements rely on (normative)
        if not any(r.id == match.group(1) for r in out):
            out.append(SpecRequirement(match.group(1), level, section, rest[:400]))
        i = j
    return out


def load_spec(spec_path: Path | None = None) -> tuple[list[SpecRequirement], str]:
    """The spec's requirements, from docs/SPEC.md when present (a checkout), else the
    shipped copy conformance/spec_ids.json (an installed kit)."""
    path = spec_path or _SPEC_DOC
    if path.is_file():
        return parse_spec(path.read_text(encoding="utf-8")), str(path)
    if _SPEC_COPY.is_file():
        data = json.loads(_SPEC_COPY.read_text(encoding="utf-8"))
        return [SpecRequirement(**r) for r in data["requirements"]], str(_SPEC_COPY)
    return [], ""


# ---------------------------------------------------------------- cases


@dataclass
class CaseResult:
    """One test case's verdict and the evidence behind it."""

    nodeid: str
    requirements: list[str]
    verdict: str
    profile: str | None = None
    message: str = ""
    evidence: str = ""
    hex: str = ""
    transcript: str | None = None
    duration: float = 0.0
    rerun: str | None = None  # deterministic | timing-dependent
    expectation: dict[str, str] | None = None  # from the expectations file
    unexpected: bool = False  # makes the run fail
    level: str = "MUST"
    side: str = "responder"  # the role of the target the case judged (SIDES)
    target_down: bool = False  # not judged: the target was down or misconfigured
    # A FAIL that named the requirement(s) it proves violated: only those are FAILed by
    # this case; the others it cites are not judged by it (ConformanceFailure.violates).
    violates: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def applies_to(requirement_id: str, profiles: Iterable[str]) -> bool:
    """Whether a requirement concerns one of the profiles under test (by its ID prefix)."""
    wanted = set(profiles)
    if requirement_id.startswith(("LEG-PKI-", "LEG-CA-")):
        return "pki-legacy" in wanted
    if requirement_id.startswith("LEG-EKE-"):
        return "eke-legacy" in wanted
    if requirement_id.startswith("LEG-"):
        return bool(wanted & {"pki-legacy", "eke-legacy"})
    if requirement_id.startswith(("PKI-", "CA-")):
        return "pki" in wanted
    if requirement_id.startswith("EKE-"):
        return "eke" in wanted
    return bool(wanted & {"pki", "eke"})


def requirement_verdict(verdicts: Iterable[str]) -> str:
    """The worst of the cases' verdicts (UNTESTED when there are none)."""
    return worst_verdict(verdicts).value


def counts_for(requirement_id: str, case: CaseResult) -> bool:
    """Whether `case` says something about `requirement_id`: it cites it, and the
    requirement concerns the profile the case ran against."""
    if case.violates and case.verdict == "FAIL":
        if requirement_id not in case.violates:
            return False
    elif requirement_id not in case.requirements:
        return False
    return case.profile is None or applies_to(requirement_id, [case.profile])


# ---------------------------------------------------------------- the report


@dataclass
class ReportInput:
    cases: list[CaseResult]
    targets: list[dict[str, Any]]
    sanity: dict[str, dict[str, Any]]
    options: dict[str, Any]
    versions: dict[str, str]
    generated: str
    duration: float
    spec_source: str = ""
    spec: list[SpecRequirement] = field(default_factory=list)


def _requirement_row(req: SpecRequirement, cases: list[CaseResult]) -> dict[str, Any]:
    per_side: dict[str, list[str]] = {}
    for case in cases:
        key = f"{case.profile or 'any'}/{case.side}"
        per_side.setdefault(key, []).append(case.verdict)
    verdicts = {key: requirement_verdict(v) for key, v in sorted(per_side.items())}
    verdict = requirement_verdict(c.verdict for c in cases)
    observable = req.id not in NOT_OBSERVABLE
    if not cases and not observable:
        verdict = RequirementVerdict.NOT_OBSERVABLE.value
    return {
        "id": req.id,
        "level": req.level,
        "section": req.section,
        "text": req.text,
        "observable": observable,
        "verdict": verdict,
        "verdicts": verdicts,
        "tested": RequirementVerdict(verdict).tested,
        "tests": sorted({c.nodeid for c in cases}),
    }


def sanity_findings(sanity: Mapping[str, Mapping[str, Any]]) -> list[CaseResult]:
    """A target that answered the first sanity conversation and not the last stopped
    serving during the run: that is LIM-5 broken (a FAIL), not a target down."""
    out = []
    for profile, sides in sanity.items():
        first, last = sides.get("first", {}), sides.get("last", {})
        if first.get("ok") and last and not last.get("ok") and profile in ("pki", "eke"):
            detail = str(last.get("detail", ""))
            out.append(
                CaseResult(
                    nodeid=f"sanity::{profile}::last",
                    requirements=["LIM-5"],
                    verdict=CaseVerdict.FAIL.value,
                    profile=profile,
                    message=f"LIM-5 violated: the target stopped serving during the run: "
                    f"the honest sanity conversation at the end failed: {detail}",
                    evidence=f"Expected: an honest channel and get after the cases "
                    f"(as at the start)\nActual: {detail}",
                )
            )
    return out


def build_report(data: ReportInput) -> dict[str, Any]:
    stopped_serving = sanity_findings(data.sanity)
    cases = [*data.cases, *stopped_serving]
    spec_ids = {r.id: r for r in data.spec}
    cited = {rid for case in cases for rid in case.requirements}
    unknown = sorted(cited - set(spec_ids)) if data.spec else []
    unknown_reqs = [
        SpecRequirement(rid, "UNKNOWN", "", "cited by a test but not found in docs/SPEC.md")
        for rid in unknown
    ]
    profiles = list(data.options.get("profiles") or ["pki", "eke"])
    # A case of a profile not under test was only skipped for that reason: it says
    # nothing about any requirement of this run.
    judged = [c for c in cases if c.profile is None or c.profile in profiles]
    requirements = [
        _requirement_row(req, [c for c in judged if counts_for(req.id, c)])
        for req in [*data.spec, *unknown_reqs]
    ]
    for r in requirements:
        r["applicable"] = applies_to(str(r["id"]), profiles)
    musts = [r for r in requirements if r["level"] == "MUST" and r["applicable"]]
    gaps = [r["id"] for r in musts if not r["tests"] and r["observable"]]
    not_observable = [r["id"] for r in musts if not r["tests"] and not r["observable"]]
    untested = [r["id"] for r in musts if r["tests"] and not r["tested"]]
    case_counts = {v: 0 for v in VERDICTS}
    for case in cases:
        case_counts[case.verdict] = case_counts.get(case.verdict, 0) + 1
    req_counts: dict[str, int] = {}
    for r in requirements:
        if r["tests"]:
            verdict = str(r["verdict"])
            req_counts[verdict] = req_counts.get(verdict, 0) + 1
    unexpected = [c.nodeid for c in cases if c.unexpected]
    # Only the first conversation decides whether the target could be judged at all.
    sanity_ok = all(sides.get("first", {}).get("ok", False) for sides in data.sanity.values())
    status = "ok" if not unexpected and sanity_ok and not stopped_serving else "failed"
    return {
        "schema": SCHEMA,
        "generated": data.generated,
        "duration_s": round(data.duration, 3),
        "versions": data.versions,
        "options": data.options,
        "targets": data.targets,
        "sanity": data.sanity,
        "summary": {
            "cases": case_counts,
            "requirements": req_counts,
            "unexpected": unexpected,
            "sanity_ok": sanity_ok,
            "status": status,
        },
        "requirements": requirements,
        "coverage": {
            "spec_source": data.spec_source,
            "musts": len(musts),
            "musts_tested": len([r for r in musts if r["tested"]]),
            "gaps": gaps,
            "untested": untested,
            "not_observable": not_observable,
            "unknown_ids": unknown,
        },
        "cases": [c.to_json() for c in cases],
    }


# ---------------------------------------------------------------- renderers


def _sanity_lines(report: Mapping[str, Any]) -> list[str]:
    lines = []
    for profile, sides in report["sanity"].items():
        for when, result in sides.items():
            state = "ok" if result.get("ok") else "FAILED"
            lines.append(f"sanity {profile} ({when}): {state} {result.get('detail', '')}".rstrip())
            if result.get("misbehaved"):
                lines.append(
                    f"  -> after an honest handshake the get misbehaved ({result['misbehaved']}); "
                    "the cases judge it"
                )
            if not result.get("ok") and when == "first":
                lines.append(
                    f"  -> the {profile} target is {TARGET_DOWN}; its verdicts below "
                    "say nothing about conformance"
                )
            elif not result.get("ok"):
                lines.append(f"  -> the {profile} target stopped serving during the run (LIM-5)")
    return lines


def terminal_lines(report: Mapping[str, Any], *, verbose: bool = False) -> list[str]:
    """The terminal summary: sanity, then requirements grouped by verdict."""
    lines = _sanity_lines(report)
    reqs = [r for r in report["requirements"] if r["tests"]]
    cases = {c["nodeid"]: c for c in report["cases"]}
    for verdict in VERDICTS:
        group = [r for r in reqs if r["verdict"] == verdict]
        if not group:
            continue
        lines.append(f"{verdict} ({len(group)}): " + " ".join(r["id"] for r in group))
        if verdict in ("PASS", "SKIP", "UNSUPPORTED") and not verbose:
            continue
        for r in group:
            for nodeid in r["tests"]:
                case = cases[nodeid]
                if case["verdict"] != verdict or case.get("target_down"):
                    continue
                label = f" [{case['rerun']}]" if case.get("rerun") else ""
                if case.get("expectation"):
                    label += " [expected]"
                first = (case["message"] or "").strip().splitlines()
                where = f"{case.get('profile') or 'any'}/{case.get('side', 'responder')}"
                lines.append(f"  {r['id']} [{where}]: {nodeid}{label}")
                if first:
                    lines.append(f"      {first[0][:150]}")
    down = [c for c in report["cases"] if c.get("target_down")]
    if down:
        lines.append(f"{len(down)} cases not judged: {down[0]['message'][:200]}")
    counts = report["summary"]["cases"]
    lines.append(
        "cases: "
        + ", ".join(f"{n} {v}" for v, n in counts.items() if n)
        + f"; requirements tested: {len([r for r in reqs if r.get('tested')])}"
        + f"; MUST gaps: {len(report['coverage']['gaps'])}"
        + f", MUSTs only skipped: {len(report['coverage'].get('untested', []))}"
    )
    for nodeid in report["summary"]["unexpected"]:
        lines.append(f"UNEXPECTED: {nodeid} ({cases[nodeid]['verdict']})")
    return lines


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(report: Mapping[str, Any]) -> str:
    out = ["# sft conformance report", ""]
    out.append(
        f"Generated {report['generated']} in {report['duration_s']} s; "
        f"status **{report['summary']['status']}**."
    )
    out.append("")
    for target in report["targets"]:
        out.append(
            f"- target `{target['profile']}` at {target['address']}"
            f"{' (embedded reference)' if target.get('embedded') else ''}; "
            f"features: {', '.join(target.get('features', [])) or 'none'}"
        )
    out.append("")
    for line in _sanity_lines(report):
        out.append(f"- {line}")
    out += ["", "## Requirements", "", "| ID | level | verdict | tests |", "|---|---|---|---|"]
    for r in report["requirements"]:
        if r["tests"]:
            tests = "<br>".join(f"`{t}`" for t in r["tests"])
            out.append(f"| {r['id']} | {r['level']} | **{r['verdict']}** | {tests} |")
    out += ["", "## Failures and evidence", ""]
    bad = [c for c in report["cases"] if c["verdict"] in ("FAIL", "ERROR", "TIMEOUT", "NON-STRICT")]
    if not bad:
        out.append("None.")
    for case in bad:
        out.append(f"### {case['verdict']}: `{case['nodeid']}`")
        out.append("")
        out.append(
            f"Requirements: {', '.join(case['requirements'])}"
            + (f"; rerun: {case['rerun']}" if case.get("rerun") else "")
            + (
                f"; expected: {case['expectation'].get('reason', '')}"
                if case.get("expectation")
                else ""
            )
        )
        if case.get("transcript"):
            out.append(f"Transcript: [{case['transcript']}]({case['transcript']})")
        out += ["", "```", (case["evidence"] or case["message"]).strip()[:4000], "```", ""]
    out += ["## Coverage", ""]
    cov = report["coverage"]
    out.append(
        f"{cov['musts_tested']} of {cov['musts']} MUST requirements were tested: some case "
        f"judged them (spec: {cov['spec_source'] or 'not found'})."
    )
    out.append("")
    out.append("| MUST | tests |")
    out.append("|---|---|")
    for r in report["requirements"]:
        if r["level"] == "MUST" and r.get("applicable", True):
            tests = ", ".join(f"`{t.split('::')[-1]}`" for t in r["tests"])
            if not tests:
                tests = "*not observable on the wire*" if not r["observable"] else "**gap**"
            elif not r.get("tested", True):
                tests = f"**untested** (every case skipped: {r['verdict']}): {tests}"
            out.append(f"| {r['id']} | {tests} |")
    out += [
        "",
        "Gaps (MUSTs observable on the wire that no test checks): "
        + (", ".join(cov["gaps"]) or "none"),
        "",
        "Untested (MUSTs whose every case was skipped or unsupported in this run): "
        + (", ".join(cov.get("untested", [])) or "none"),
        "",
        "Not observable on the wire (checked by review and the reference's unit tests): "
        + (", ".join(cov.get("not_observable", [])) or "none"),
        "",
    ]
    skipped = [c for c in report["cases"] if c["verdict"] in ("SKIP", "UNSUPPORTED")]
    if skipped:
        out += ["## Skipped and unsupported", "", "| case | verdict | reason |", "|---|---|---|"]
        for case in skipped:
            out.append(
                f"| `{case['nodeid']}` | {case['verdict']} | {_md_escape(case['message'][:200])} |"
            )
    return "\n".join(out) + "\n"


# Fits a 1280 px screen: long test names and evidence lines wrap inside their cell
# (overflow-wrap:anywhere also lets the table's layout shrink such a column) instead of
# pushing the table, and the columns to its right, off the screen.
_CSS = """
body{font-family:system-ui,sans-serif;margin:2em;max-width:1200px;overflow-wrap:anywhere}
table{border-collapse:collapse;width:100%}td,th{border:1px solid #ccc;padding:4px;
vertical-align:top;font-size:13px}td.n,th{white-space:nowrap}
pre{background:#f6f6f6;padding:8px;font-size:12px;white-space:pre-wrap;overflow-wrap:anywhere;
margin:0}
.PASS{background:#d9f2d9}.FAIL,.ERROR{background:#f7d4d4}.TIMEOUT{background:#f7e3c8}
.NON-STRICT{background:#fbf3c4}.INCONCLUSIVE{background:#dde8f7}
.UNSUPPORTED,.SKIP,.UNTESTED{background:#eee}
"""


def shorten_at_word(text: str, limit: int = 300) -> str:
    """`text` whole when it fits `limit`, else cut at the last space before it, with "…"
    (never mid-word)."""
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit)
    return text[: cut if cut > 0 else limit].rstrip(" ,;:") + " …"


def render_html(report: Mapping[str, Any]) -> str:
    e = html.escape
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'><title>sft conformance report</title>",
        f"<style>{_CSS}</style></head><body><h1>sft conformance report</h1>",
        f"<p>Generated {e(report['generated'])} in {report['duration_s']} s; status "
        f"<b>{e(report['summary']['status'])}</b>.</p><ul>",
    ]
    for target in report["targets"]:
        parts.append(
            f"<li>{e(target['profile'])} at {e(target['address'])}"
            f"{' (embedded reference)' if target.get('embedded') else ''}</li>"
        )
    for line in _sanity_lines(report):
        parts.append(f"<li>{e(line)}</li>")
    parts.append(
        "</ul><h2>Requirements</h2><table><tr><th>ID</th><th>level</th>"
        "<th>verdict</th><th>text</th><th>tests</th></tr>"
    )
    for r in report["requirements"]:
        verdict = r["verdict"]
        tests = "<br>".join(
            # <wbr>: a long test name wraps after an underscore, not mid-word
            f"<a href='#{e(t)}'>{e(t.split('::')[-1]).replace('_', '_<wbr>')}</a>"
            for t in r["tests"]
        )
        if not r["tests"]:
            tests = "not observable" if not r["observable"] else "<b>gap</b>"
        parts.append(
            f"<tr><td class='n'>{e(r['id'])}</td><td class='n'>{e(r['level'])}</td>"
            f"<td class='{e(verdict)} n'>{e(verdict)}</td><td>{e(shorten_at_word(r['text']))}</td>"
            f"<td>{tests}</td></tr>"
        )
    parts.append(
        "</table><h2>Cases</h2><table><tr><th>case</th><th>verdict</th>"
        "<th>requirements</th><th>evidence</th></tr>"
    )
    for c in report["cases"]:
        link = f"<br><a href='{e(c['transcript'])}'>transcript</a>" if c.get("transcript") else ""
        ev = c["evidence"] or c["message"]
        evidence = f"<pre>{e(ev[:4000])}</pre>" if ev else ""
        extra = f" [{e(c['rerun'])}]" if c.get("rerun") else ""
        parts.append(
            f"<tr id='{e(c['nodeid'])}'><td>{e(c['nodeid'])}{link}</td>"
            f"<td class='{e(c['verdict'])}'>{e(c['verdict'])}{extra}</td>"
            f"<td>{e(', '.join(c['requirements']))}</td><td>{evidence}</td></tr>"
        )
    parts.append("</table></body></html>\n")
    return "".join(parts)


def write_reports(report: Mapping[str, Any], directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    outputs = {
        "conformance.json": json.dumps(report, indent=1, sort_keys=False) + "\n",
        "conformance.md": render_markdown(report),
        "conformance.html": render_html(report),
    }
    written = []
    for name, text in outputs.items():
        path = directory / name
        tmp = directory / f".{name}.tmp"
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
        written.append(path)
    return written


def _refresh_spec(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m conformance.report")
    parser.add_argument(
        "--refresh-spec",
        action="store_true",
        help="rewrite conformance/spec_ids.json from docs/SPEC.md",
    )
    args = parser.parse_args(argv)
    if not args.refresh_spec:
        parser.print_help()
        return 2
    if not _SPEC_DOC.is_file():
        print(f"no {_SPEC_DOC}", file=sys.stderr)
        return 2
    reqs, _source = load_spec(_SPEC_DOC)
    _SPEC_COPY.write_text(
        json.dumps(
            {"source": "docs/SPEC.md", "requirements": [asdict(r) for r in reqs]},
            indent=1,
            ensure_ascii=False,
        )
        + "\n",
        encoding="utf-8",
    )
    print(f"wrote {_SPEC_COPY} ({len(reqs)} requirements)")
    return 0


if __name__ == "__main__":
    sys.exit(_refresh_spec())
