"""Conforming variants of the eleventh session, third hunter (helper FP8): filled by its helper."""

from __future__ import annotations

from conformance.selftest.mutants_ambig import Reading

__all__ = ["READINGS"]

READINGS: tuple[Reading, ...] = ()
