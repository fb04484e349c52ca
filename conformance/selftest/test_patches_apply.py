"""Every mutant still applies to the current reference (conformance/selftest/check_patches.py):
an edit of the reference that moves a patched line breaks a mutant silently otherwise."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_every_mutant_applies_to_the_reference() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "conformance.selftest.check_patches"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, f"mutants that no longer apply:\n{done.stdout}{done.stderr}"


def test_the_check_reports_a_broken_mutant_and_restores_between_mutants(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The in-place check with restore (check_patches.broken_mutants): a mutant whose text
    is gone from the reference is listed; one that leaves an attribute behind does not
    break the next, which would fail if it saw it."""
    from types import SimpleNamespace

    from conformance.selftest import check_patches, mutants
    from conformance.selftest.mutants_app import _patch_source

    def missing_text() -> None:
        enroll = importlib.import_module("reference.pki.enroll")
        _patch_source(enroll, "EnrollError", ("text no reference line holds", "x"))

    def leaves_attribute() -> None:
        vars(importlib.import_module("reference.pki.enroll"))["PROBE_LEFT"] = 1

    def sees_no_attribute() -> None:
        if hasattr(importlib.import_module("reference.pki.enroll"), "PROBE_LEFT"):
            raise RuntimeError("a previous mutant's attribute is still there")

    probes = [
        SimpleNamespace(name="probe-missing-text", apply=missing_text),
        SimpleNamespace(name="probe-leaves", apply=leaves_attribute),
        SimpleNamespace(name="probe-sees", apply=sees_no_attribute),
    ]
    monkeypatch.setattr(mutants, "MUTANTS", probes)
    broken = check_patches.broken_mutants(["probe-"])
    assert [name for name, _ in broken] == ["probe-missing-text"]
