"""Conforming variants aimed at the cases written in the ninth session: (filled by its author).

Each `Reading` plants an allowed choice the reference does not make; the suite must PASS
it (conformance/selftest/test_ambig_readings.py).
"""

from __future__ import annotations

from conformance.selftest.mutants_ambig import Reading

__all__ = ["READINGS"]

READINGS: tuple[Reading, ...] = ()
