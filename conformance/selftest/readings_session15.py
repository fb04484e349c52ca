"""Conforming variants aimed at the fifteenth session's new cases (to be filled by its
helper): the suite must PASS them (conformance/selftest/test_ambig_readings.py)."""

from __future__ import annotations

from conformance.selftest.mutants_ambig import Reading

__all__ = ["READINGS"]

READINGS: tuple[Reading, ...] = ()
