"""Blind red-team round 6: (being written; the helper fills MUTANTS and this docstring)."""

from __future__ import annotations

from conformance.selftest.mutant import Mutant

MUTANTS: tuple[Mutant, ...] = ()
