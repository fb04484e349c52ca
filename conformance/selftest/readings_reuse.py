"""Reusing earlier sessions' conforming variants (`Reading`s) for newer cases.

A session's readings file often plants a choice an earlier session already wrote, aimed
at its own new case files: it looks the earlier reading up by name and keeps its `apply`,
profile and flags (`again`), or plants several at once (`together`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from conformance.selftest.mutants_ambig import Reading

__all__ = ["Earlier", "again", "earlier", "plant", "together"]


def earlier(groups: Sequence[Iterable[Reading]], name: str) -> Reading:
    """The reading called `name` in `groups` (earlier sessions' READINGS)."""
    for readings in groups:
        for reading in readings:
            if reading.name == name:
                return reading
    raise KeyError(name)


def again(
    groups: Sequence[Iterable[Reading]],
    earlier_name: str,
    name: str,
    requirements: tuple[str, ...],
    test_files: tuple[str, ...],
    description: str,
    **changes: Any,
) -> Reading:
    """An earlier variant (its apply, profile and flags), judged by newer cases."""
    return dataclasses.replace(
        earlier(groups, earlier_name),
        name=name,
        requirements=requirements,
        test_files=test_files,
        description=description,
        **changes,
    )


def together(groups: Sequence[Iterable[Reading]], *names: str) -> Callable[[], None]:
    """Several earlier variants planted together (one start, one run)."""
    applies = [earlier(groups, n).apply for n in names]

    def apply() -> None:
        for each in applies:
            each()

    return apply


def plant(*applies: Callable[[], None]) -> Callable[[], None]:
    """Several applies (new or earlier) planted together, in order."""

    def apply() -> None:
        for each in applies:
            each()

    return apply


class Earlier:
    """Earlier sessions' READINGS, looked up by name: what a session's readings file binds
    as its `_earlier`, `_again` and `_both`."""

    def __init__(self, *groups: Iterable[Reading]) -> None:
        self.groups: tuple[Iterable[Reading], ...] = groups

    def reading(self, name: str) -> Reading:
        """An earlier session's reading, by its name."""
        return earlier(self.groups, name)

    def again(
        self,
        earlier_name: str,
        name: str,
        requirements: tuple[str, ...],
        test_files: tuple[str, ...],
        description: str,
        **changes: Any,
    ) -> Reading:
        """An earlier variant (its apply, profile and flags), judged by this session's cases."""
        return again(
            self.groups, earlier_name, name, requirements, test_files, description, **changes
        )

    def together(self, *names: str) -> Callable[[], None]:
        """Several earlier variants planted together (one start, one run)."""
        return together(self.groups, *names)
