"""Blind red-team round 8 (the helper fills MUTANTS and this docstring)."""

from __future__ import annotations

from conformance.selftest.mutant import Mutant

MUTANTS: tuple[Mutant, ...] = ()
