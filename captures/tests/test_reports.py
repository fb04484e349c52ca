"""Reports: JSON follows REPORT-SCHEMA.md, Markdown and HTML put the verdict first, and the
HTML page renders (headless Chromium screenshot is not blank)."""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

from captures.checker import CheckConfig, check_capture
from captures.reports import REPORT_SCHEMA_VERSION, to_html, to_json, to_markdown
from captures.secrets import Secret
from captures.tests.synth import conversation, frame

MARKER = b"MARKER-in-a-DATA-frame-31415"


@pytest.fixture
def leaky_report(tmp_path: Path):  # type: ignore[no-untyped-def]
    p = tmp_path / "leak.pcapng"
    conversation(p, [
        (0, frame(b"RQFL", b'{"name": "a.txt"}')),
        (1, frame(b"RSFL", b'{"name": "a.txt", "size": 1028}')
         + frame(b"DATA", os.urandom(1000) + MARKER)),
        (1, frame(b"DONE", b'{"size": 1028, "sha256": "' + b"0" * 64 + b'"}')),
    ])
    return check_capture(CheckConfig(p, (Secret("marker", MARKER),), facts=False))


def test_json_report_follows_the_schema(leaky_report) -> None:  # type: ignore[no-untyped-def]
    data = json.loads(to_json(leaky_report))
    assert data["schema"] == REPORT_SCHEMA_VERSION
    assert (data["verdict"], data["exit_code"]) == ("leak", 1)
    for key in ("capture", "summary", "format", "packets", "interface_stats", "streams",
                "findings", "attacks", "facts", "secrets", "timings"):
        assert key in data
    f = next(f for f in data["findings"] if f["kind"] == "secret")
    assert f["offset"] == 8 + 31 + 8 + 1000 and f["secret"] == "marker"
    s = data["streams"][0]
    assert s["protocol"] == "sft-clear"
    kinds = [u["kind"] for u in s["backward"]["units"]]
    assert kinds == ["RSFL", "DATA", "DONE"]
    assert all(0 <= h <= 8 for _, h in s["backward"]["entropy"])


def test_markdown_and_html_put_the_verdict_first(leaky_report) -> None:  # type: ignore[no-untyped-def]
    md = to_markdown(leaky_report)
    assert md.startswith("# Capture check: **LEAK** (exit 1)")
    assert MARKER[:8].hex(" ") in md
    page = to_html(leaky_report)
    body = page[page.index("<body>"):]
    assert body.index("LEAK") < body.index("Findings") < body.index("Ladder")
    assert page.count("<svg") == 3  # one ladder, two entropy plots
    assert "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")


def _png_pixels(png: bytes) -> bytes:
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat = 8, b""
    while pos < len(png):
        (n,) = struct.unpack(">I", png[pos : pos + 4])
        kind = png[pos + 4 : pos + 8]
        if kind == b"IDAT":
            idat += png[pos + 8 : pos + 8 + n]
        pos += 12 + n
    return zlib.decompress(idat)


def test_html_report_renders_in_headless_chromium(leaky_report, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("chromium is not installed: apt-get install --no-install-recommends chromium")
    page = tmp_path / "report.html"
    page.write_text(to_html(leaky_report), encoding="utf-8")
    shot = tmp_path / "shot.png"
    profile = tmp_path / "profile"
    subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--no-first-run", f"--user-data-dir={profile}", f"--screenshot={shot}",
         "--window-size=900,1200", page.as_uri()],
        capture_output=True, timeout=60, check=False,
    )
    assert shot.is_file(), "chromium wrote no screenshot"
    pixels = _png_pixels(shot.read_bytes())
    # a blank page is (almost) all 0xFF; the report has text, a red banner and plots
    assert len(set(pixels)) > 50
    assert sum(b != 0xFF for b in pixels) > len(pixels) // 100
