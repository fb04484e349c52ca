"""Blind red-team round 23: placeholder, filled by the round's helper for this area."""

from __future__ import annotations

from conformance.selftest.mutant import Mutant

__all__ = ["MUTANTS"]

MUTANTS: tuple[Mutant, ...] = ()
