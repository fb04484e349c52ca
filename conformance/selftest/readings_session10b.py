"""Conforming variants aimed at the cases written in the tenth session (helper FP5)."""

from __future__ import annotations

from conformance.selftest.mutants_ambig import Reading

__all__ = ["READINGS"]

READINGS: tuple[Reading, ...] = ()
