"""Round 28 lead: pki initiator state model (placeholder)."""

from __future__ import annotations

from conformance.selftest.mutant import Mutant

MUTANTS: tuple[Mutant, ...] = ()
