"""Conforming variants aimed at the thirteenth session's new cases: filled by its helper."""

from __future__ import annotations

from conformance.selftest.mutants_ambig import Reading

READINGS: tuple[Reading, ...] = ()
