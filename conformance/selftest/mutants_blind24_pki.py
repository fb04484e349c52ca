"""Blind red-team round 24 (pki): filled by the round's helper."""

from __future__ import annotations

from conformance.selftest.mutant import Mutant

__all__ = ["MUTANTS"]

MUTANTS: tuple[Mutant, ...] = ()
