"""The committed samples (captures/make_samples.py): v1 profiles clean, legacy caught."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from captures.checker import EXIT_CODES, CheckConfig, check_capture
from captures.make_samples import MANIFEST, SAMPLES
from captures.secrets import Secret
from captures.tests.verdicts import assert_clean


def _entries() -> list[tuple[str, dict[str, Any]]]:
    if not MANIFEST.exists():
        return []
    return sorted(json.loads(MANIFEST.read_text()).items())


def test_the_manifest_lists_samples() -> None:
    entries = _entries()
    assert entries, "captures/samples/manifest.json is missing: run python -m captures.make_samples"
    for name, entry in entries:
        assert (SAMPLES / entry["file"]).is_file(), name


@pytest.mark.parametrize(("name", "entry"), _entries(), ids=[n for n, _ in _entries()])
def test_sample_verdict(name: str, entry: dict[str, Any], tmp_path: Path, tshark: str) -> None:
    words = tmp_path / "words.txt"
    words.write_text("\n".join(entry["wordlist"]) + "\n")
    secrets = tuple(Secret(f"marker{i}", m.encode()) for i, m in enumerate(entry["markers"], 1))
    report = check_capture(CheckConfig(
        SAMPLES / entry["file"], secrets, profile=entry["profile"], wordlist=words,
    ))
    messages = "\n".join(f.message for f in report.findings)
    for text in entry.get("expect_messages", []):
        assert text in messages, (name, text)
    if entry.get("password"):
        assert [a["recovered"] for a in report.attacks] == [entry["password"]]
    if entry["profile"] == "eke":
        assert report.attacks and not any(a["testable"] for a in report.attacks)
    if entry["expect"] == "clean":
        assert_clean(report)
    else:
        assert report.verdict == entry["expect"], [f.message for f in report.findings]
        assert report.exit_code == EXIT_CODES[entry["expect"]]
