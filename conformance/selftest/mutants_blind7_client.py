"""Blind red-team round 7: the clients (the helper fills MUTANTS and this docstring)."""

from __future__ import annotations

from conformance.selftest.mutant import Mutant

MUTANTS: tuple[Mutant, ...] = ()
