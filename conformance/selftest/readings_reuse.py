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

__all__ = ["again", "earlier", "together"]


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
