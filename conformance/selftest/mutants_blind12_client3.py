"""Blind red-team round 12 (client3): filled by its helper (lenses12.md)."""

from __future__ import annotations

from conformance.selftest.mutant import Mutant

__all__ = ["MUTANTS"]

MUTANTS: tuple[Mutant, ...] = ()
