"""Every mutant still applies to the current reference (conformance/selftest/check_patches.py):
an edit of the reference that moves a patched line breaks a mutant silently otherwise."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

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
