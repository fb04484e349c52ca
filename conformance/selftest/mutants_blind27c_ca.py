"""Round 27, third pass (blind, area ca): filled by its helper."""

from __future__ import annotations

from conformance.selftest.mutant import Mutant

__all__ = ["MUTANTS"]

MUTANTS: tuple[Mutant, ...] = ()
