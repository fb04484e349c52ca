"""The audit's report: `audit.json` (schema sft-audit-report/1), `index.html`, a summary.

The HTML is one self-contained page (no scripts, no external assets): the verdict
first, then the parts, the requirement table, and links to each part's full report.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Final

from audit.verdict import PartResult, id_order
from conformance.report import shorten_at_word

__all__ = ["SCHEMA", "build_audit_report", "render_html", "summary_lines", "write_report"]

SCHEMA: Final = "sft-audit-report/1"

_VERDICT_TEXT: Final = {
    "conformant": "CONFORMANT — every requirement tested passed, no fuzz finding, no leak",
    "non-conformant": "NON-CONFORMANT — some MUST requirements failed",
    "insecure": "INSECURE — security requirements failed, or the fuzzer/capture found problems",
    "error": "ERROR — the audit could not complete (see the part marked error)",
}
_COLOURS: Final = {
    "conformant": "#1a7f37",
    "non-conformant": "#9a6700",
    "insecure": "#cf222e",
    "error": "#6e7781",
    "pass": "#1a7f37",
    "findings": "#cf222e",
    "skipped": "#6e7781",
    "PASS": "#1a7f37",
    "FAIL": "#cf222e",
    "ERROR": "#6e7781",
    "TIMEOUT": "#9a6700",
    "NON-STRICT": "#9a6700",
    "INCONCLUSIVE": "#0969da",
}


def build_audit_report(
    *,
    verdict: str,
    targets: Sequence[Mapping[str, Any]],
    parts: Sequence[PartResult],
    requirements: Sequence[Mapping[str, Any]],
    generated: str,
    duration_s: float,
    versions: Mapping[str, str],
) -> dict[str, Any]:
    failed = sorted({rid for p in parts for rid in p.failed_requirements}, key=id_order)
    return {
        "schema": SCHEMA,
        "generated": generated,
        "duration_s": round(duration_s, 2),
        "versions": dict(versions),
        "verdict": verdict,
        "verdict_text": _VERDICT_TEXT[verdict],
        "targets": [dict(t) for t in targets],
        "failed_requirements": failed,
        "parts": [p.to_json() for p in parts],
        "requirements": [dict(r) for r in requirements],
    }


_SUMMARY_FINDINGS: Final = 5
_SUMMARY_WIDTH: Final = 150


def _shorten(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _SUMMARY_WIDTH else text[: _SUMMARY_WIDTH - 1] + "…"


def summary_lines(report: Mapping[str, Any]) -> list[str]:
    """The plain-text summary printed at the end of `sft audit` (and shown in README)."""
    lines = [f"sft audit: {report['verdict_text']}"]
    for target in report["targets"]:
        lines.append(f"  target {target['profile']}: {target['description']}")
    for part in report["parts"]:
        lines.append(
            f"  {part['part']:<12} {part['profile']:<11} {part['status'].upper():<9}"
            f" {part['summary']}"
        )
        for finding in part["findings"][:_SUMMARY_FINDINGS]:
            lines.append(f"      - {_shorten(str(finding))}")
        more = len(part["findings"]) - _SUMMARY_FINDINGS
        if more > 0:
            lines.append(f"      - ... and {more} more in the report")
    if report["failed_requirements"]:
        lines.append("  failed requirements: " + ", ".join(report["failed_requirements"]))
    lines.append(f"  report: {report.get('index', 'reports/index.html')}")
    return lines


def _badge(text: str) -> str:
    colour = _COLOURS.get(text, "#57606a")
    return f'<span class="badge" style="background:{colour}">{html.escape(text)}</span>'


def render_html(report: Mapping[str, Any]) -> str:
    e = html.escape
    verdict = str(report["verdict"])
    parts_rows = []
    for part in report["parts"]:
        links = " ".join(
            f'<a href="{e(href)}">{e(name)}</a>' for name, href in part["report_links"].items()
        )
        findings = "".join(f"<li>{e(f)}</li>" for f in part["findings"][:20])
        more = len(part["findings"]) - 20
        if more > 0:
            findings += f"<li>… and {more} more (see the part's report)</li>"
        parts_rows.append(
            f"<tr><td>{e(part['part'])}</td><td>{e(part['profile'])}</td>"
            f"<td>{_badge(part['status'])}</td><td>{e(part['summary'])}"
            f"{'<ul>' + findings + '</ul>' if findings else ''}</td>"
            f"<td>{part['duration_s']:.1f} s</td><td>{links}</td></tr>"
        )
    req_rows = []
    order = {"FAIL": 0, "ERROR": 1, "TIMEOUT": 2, "NON-STRICT": 3}
    reqs = sorted(
        report["requirements"], key=lambda r: (order.get(str(r["verdict"]), 9), str(r["id"]))
    )
    for r in reqs:
        req_rows.append(
            f"<tr><td>{e(str(r['id']))}</td><td>{e(str(r.get('profile', '')))}</td>"
            f"<td>{e(str(r.get('level', '')))}</td><td>{_badge(str(r['verdict']))}</td>"
            f"<td>{e(shorten_at_word(str(r.get('text', ''))))}</td></tr>"
        )
    targets = "".join(
        f"<li><b>{e(t['profile'])}</b>: {e(t['description'])}</li>" for t in report["targets"]
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>sft audit — {e(verdict)}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em; color: #1f2328;
  overflow-wrap: anywhere; }}
.verdict {{ font-size: 1.6em; padding: .6em 1em; color: white; border-radius: 6px;
  background: {_COLOURS.get(verdict, '#57606a')}; }}
table {{ border-collapse: collapse; margin: 1em 0; width: 100%; }}
td, th {{ border: 1px solid #d0d7de; padding: .3em .6em; vertical-align: top; text-align: left; }}
td:first-child, th {{ overflow-wrap: normal; }}
th {{ background: #f6f8fa; }}
.badge {{ color: white; border-radius: 4px; padding: 0 .4em; font-size: .9em; }}
</style></head><body>
<h1>sft audit</h1>
<p class="verdict" id="verdict">{e(str(report['verdict_text']))}</p>
<p>Generated {e(str(report['generated']))} in {report['duration_s']:.0f} s.</p>
<h2>Targets</h2><ul>{targets}</ul>
<h2>Parts</h2>
<table><tr><th>part</th><th>profile</th><th>status</th><th>summary</th><th>time</th>
<th>full report</th></tr>{''.join(parts_rows)}</table>
<h2>Requirements ({len(reqs)} tested; failures first)</h2>
<table><tr><th>ID</th><th>profile</th><th>level</th><th>verdict</th><th>requirement</th></tr>
{''.join(req_rows)}</table>
<p>Specification: docs/SPEC.md. Versions: {e(json.dumps(report['versions']))}</p>
</body></html>
"""


def write_report(report: dict[str, Any], out: Path) -> tuple[Path, Path]:
    out.mkdir(parents=True, exist_ok=True)
    index = out / "index.html"
    report["index"] = str(index)
    json_path = out / "audit.json"
    json_path.write_text(json.dumps(report, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    index.write_text(render_html(report), encoding="utf-8")
    return index, json_path
