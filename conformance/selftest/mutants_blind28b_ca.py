"""Blind red-team round 28, second pass (ca): placeholder, filled by a helper."""

from __future__ import annotations

from conformance.selftest.mutant import Mutant

MUTANTS: tuple[Mutant, ...] = ()
