"""Round 28 lead: eke client state model (placeholder)."""

from __future__ import annotations

from conformance.selftest.mutant import Mutant

MUTANTS: tuple[Mutant, ...] = ()
