"""Conforming variants aimed at the twelfth session's new cases (helper FP9): the suite
must PASS them (conformance/selftest/test_ambig_readings.py)."""

from __future__ import annotations

from conformance.selftest.mutants_ambig import Reading

__all__ = ["READINGS"]

READINGS: tuple[Reading, ...] = ()
