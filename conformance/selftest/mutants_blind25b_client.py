"""Blind red-team round 25, second pass: AREA client (being written)."""

from __future__ import annotations

from conformance.selftest.mutant import Mutant

__all__ = ["MUTANTS"]

MUTANTS: tuple[Mutant, ...] = ()
