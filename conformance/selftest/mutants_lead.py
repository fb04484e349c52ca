"""Mutants planted while settling the spec's ambiguities (docs/SPEC.md FRM-16, APP-NAME-9).

Each is a plausible implementer's bug, planted by monkeypatching the reference inside the
mutant's own subprocess (see conformance/selftest/mutants.py).
"""

from __future__ import annotations

from conformance.selftest.mutant import Mutant, _module
from conformance.selftest.mutants_app import _patch_source

__all__ = ["MUTANTS"]


def _reserved_prefix_accepted() -> None:
    """The inbox stores a put under `.sft-partial-…`: the next start's sweep deletes it."""
    _patch_source(
        _module("reference.share").Inbox,
        "target_name",
        ("if base.startswith(PARTIAL_PREFIX):", "if False:  # mutant: no reserved prefix"),
    )


MUTANTS: tuple[Mutant, ...] = tuple(
    Mutant(
        name=f"{profile}-reserved-prefix-stored",
        group="app",
        profile=profile,
        requirement="APP-NAME-9",
        test_file="test_app_reserved_names.py",
        description="a put named .sft-partial-… is stored (and swept away at the next start)",
        apply=_reserved_prefix_accepted,
    )
    for profile in ("eke", "pki")
)
