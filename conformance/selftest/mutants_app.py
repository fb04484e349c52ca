"""Mutants of the application layer (APP-*, FRM-*, LIM-*) of either profile's server.

Each is a plausible implementer's bug, planted by monkeypatching the reference inside the
mutant's own subprocess (see conformance/selftest/mutants.py); the suite must FAIL the
named requirement.
"""

from __future__ import annotations

from conformance.selftest.mutant import Mutant

__all__ = ["MUTANTS"]

MUTANTS: tuple[Mutant, ...] = ()
