"""Blind red-team round 13 (client4): filled by its helper (lenses13.md)."""

from __future__ import annotations

from conformance.selftest.mutant import Mutant

__all__ = ["MUTANTS"]

MUTANTS: tuple[Mutant, ...] = ()
