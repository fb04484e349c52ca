"""No observable MUST without a planted bug: the coverage of the mutant registry.

A case that cites a requirement proves nothing about it until some wrong implementation
has been seen to FAIL it. Every MUST of docs/SPEC.md (legacy profiles aside: their flaws
are the seeds' own) must therefore be the intended requirement of at least one mutant
(conformance/selftest/mutants*.py), or be listed as not observable on the wire
(conformance/report.py), or be listed with the reason no bug can be planted for it in
the reference (`UNPLANTED` in conformance/selftest/mutants_coverage.py). This runs in the
default test run (it imports the registry; it plants nothing), so a new MUST without a
mutant is noticed the day it is written.
"""

from __future__ import annotations

import json
from pathlib import Path

from conformance.report import NOT_OBSERVABLE
from conformance.selftest.mutants import MUTANTS
from conformance.selftest.mutants_coverage import UNPLANTED

_SPEC_IDS = Path(__file__).resolve().parents[1] / "spec_ids.json"


def _musts() -> set[str]:
    requirements = json.loads(_SPEC_IDS.read_text(encoding="utf-8"))["requirements"]
    return {
        r["id"] for r in requirements if r["level"] == "MUST" and not r["id"].startswith("LEG-")
    }


def test_every_observable_must_has_a_mutant() -> None:
    planted = {m.requirement for m in MUTANTS}
    silent = sorted(_musts() - planted - set(NOT_OBSERVABLE) - set(UNPLANTED))
    assert not silent, (
        "MUSTs no mutant plants a bug against (add one, or say in UNPLANTED why none "
        f"can be planted): {', '.join(silent)}"
    )


def test_unplanted_list_is_current() -> None:
    musts = _musts()
    planted = {m.requirement for m in MUTANTS}
    stale = sorted(set(UNPLANTED) & planted)
    unknown = sorted(set(UNPLANTED) - musts)
    assert not stale, f"UNPLANTED lists requirements that now have mutants: {stale}"
    assert not unknown, f"UNPLANTED lists IDs that are not MUSTs of docs/SPEC.md: {unknown}"


def test_every_mutant_names_a_requirement_of_the_spec() -> None:
    requirements = json.loads(_SPEC_IDS.read_text(encoding="utf-8"))["requirements"]
    known = {r["id"] for r in requirements}
    wrong = sorted({m.name for m in MUTANTS if m.requirement not in known})
    assert not wrong, f"mutants whose requirement is not an ID of docs/SPEC.md: {wrong}"
