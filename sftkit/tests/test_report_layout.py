"""The HTML reports read on a 1280 px screen: nothing runs off it, no text cut mid-word.

The audit's index.html and the conformance report are rendered from reports as wide as
real ones get (every requirement text of docs/SPEC.md, long parametrised test names,
evidence with unbroken hex, long paths in summaries) and laid out by headless Chromium
at 1280×800. A script in the page measures: the document must be no wider than the
window, and no cell or block may be wider than its box (text pushed out of sight).
Requirement texts must be whole, or shortened at a word boundary with "…".
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from audit.report import render_html as render_audit
from conformance.report import load_spec
from conformance.report import render_html as render_conformance

WIDTH, HEIGHT = 1280, 800

# Measured in the page after layout; the result is written into the DOM for --dump-dom.
_MEASURE = """
<script>
(() => {
  const root = document.documentElement;
  const out = {scrollWidth: root.scrollWidth, innerWidth: window.innerWidth, wide: []};
  for (const el of document.querySelectorAll("td, th, pre, li, p, h1, h2, a, table")) {
    const box = el.getBoundingClientRect();
    if (box.right > window.innerWidth + 0.5 || el.scrollWidth > el.clientWidth + 1) {
      out.wide.push(el.tagName + ": " + el.textContent.slice(0, 80));
    }
  }
  const pre = document.createElement("pre");
  pre.id = "layout-result";
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
})();
</script>
"""


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        pytest.skip("chromium is not installed: apt-get install --no-install-recommends chromium")
    return found


def _layout(page_html: str, tmp_path: Path, name: str) -> dict[str, Any]:
    page = tmp_path / f"{name}.html"
    page.write_text(page_html.replace("</body>", _MEASURE + "</body>"), encoding="utf-8")
    done = subprocess.run(
        [_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--no-first-run", f"--user-data-dir={tmp_path / 'chromium'}",
         f"--window-size={WIDTH},{HEIGHT}", "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=90, check=False,
    )
    match = re.search(r'<pre id="layout-result">(.*?)</pre>', done.stdout, re.S)
    assert match, f"chromium rendered nothing: rc {done.returncode}\n{done.stderr[-2000:]}"
    result: dict[str, Any] = json.loads(html.unescape(match.group(1)))
    return result


def _fits(result: dict[str, Any]) -> None:
    assert result["innerWidth"] == WIDTH, result
    assert result["scrollWidth"] <= WIDTH, f"the page is {result['scrollWidth']} px wide"
    assert not result["wide"], "wider than their box:\n" + "\n".join(result["wide"][:20])


def _requirements() -> list[dict[str, Any]]:
    spec, _ = load_spec()
    assert len(spec) > 100
    return [{"id": r.id, "level": r.level, "text": r.text} for r in spec]


def _whole_or_cut_at_a_word(page_html: str, texts: list[str]) -> None:
    for text in texts:
        if html.escape(text) in page_html:
            continue
        shown = [
            k for k in range(20, len(text))
            if html.escape(text[:k]) + " …" in page_html
        ]
        assert shown, f"requirement text not shown: {text[:80]!r}"
        k = max(shown)
        assert not text[k].isalnum(), f"cut mid-word: {text[: k + 10]!r}"


_LONG_TEST = (
    "conformance/test_eke_records.py::test_a_record_with_any_single_bit_flipped_is_refused"
    "_and_nothing_is_delivered[eke-offset-00000017-bit-7-in-the-authentication-tag]"
)


def test_the_audit_report_fits_1280_px(tmp_path: Path) -> None:
    reqs = _requirements()
    long_path = "/home/someone/projects/" + "very-long-directory-name/" * 6 + "conformance.log"
    report = {
        "verdict": "findings",
        "verdict_text": "sft audit: NON-CONFORMANT — 3 requirements failed",
        "generated": "2026-12-04T17:00:00+00:00",
        "duration_s": 271.0,
        "targets": [{"profile": "eke", "description": "10.0.0.5:7000"}],
        "parts": [
            {
                "part": part,
                "profile": "pki+eke",
                "status": "findings",
                "summary": f"{part}: 136 requirements tested; {long_path}; "
                + "evidence " + "ab" * 120,
                "report_links": {
                    "conformance.html": "conformance/conformance.html",
                    "conformance.json": "conformance/conformance.json",
                    "log": "logs/conformance.log",
                },
                "findings": [f"{r['id']}: {_LONG_TEST} sent {'00ff' * 60}" for r in reqs[:5]],
                "duration_s": 12.5,
            }
            for part in ("conformance", "fuzz", "capture")
        ],
        "requirements": [
            {**r, "profile": "eke", "verdict": "FAIL" if i % 7 == 0 else "PASS"}
            for i, r in enumerate(reqs)
        ],
        "versions": {"python": "3.11.7", "sft-kit": "0.1.0"},
    }
    page = render_audit(report)
    _whole_or_cut_at_a_word(page, [r["text"] for r in reqs])
    _fits(_layout(page, tmp_path, "audit"))


def test_the_conformance_report_fits_1280_px(tmp_path: Path) -> None:
    reqs = _requirements()
    nodeids = [f"{_LONG_TEST[:-1]}-{i}]" for i in range(6)]
    report = {
        "generated": "2026-12-04T17:00:00+00:00",
        "duration_s": 300.0,
        "summary": {"status": "FAIL"},
        "targets": [{"profile": "eke", "address": "127.0.0.1:7000", "embedded": False}],
        "sanity": {"eke": {"first": {"ok": True, "detail": "honest get " + "x" * 200}}},
        "requirements": [
            {**r, "verdict": "PASS", "observable": True, "tests": nodeids} for r in reqs
        ],
        "cases": [
            {
                "nodeid": nodeid,
                "verdict": "FAIL",
                "requirements": [r["id"] for r in reqs[:12]],
                "evidence": "sent " + "0123456789abcdef" * 40 + "\nexpected EROR, came close",
                "message": "",
                "transcript": "transcripts/" + "t" * 150 + ".txt",
            }
            for nodeid in nodeids
        ],
    }
    page = render_conformance(report)
    _whole_or_cut_at_a_word(page, [r["text"] for r in reqs])
    _fits(_layout(page, tmp_path, "conformance"))
