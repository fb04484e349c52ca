"""Hypothesis profiles of the fuzzers and the run's seed.

Profiles (selected by the environment variable HYPOTHESIS_PROFILE, default `quick`):

* `quick` — seconds per test; part of the normal test run;
* `ci` — minutes: ≥ 20,000 sessions per profile (`tox -e fuzz`);
* `deep` — hours.

They are applied to the fuzz tests only (`fuzz_settings()`), never loaded globally, so
that other packages' property tests keep their own settings. Every profile bounds both
the number of examples and the wall-clock time (`budget_seconds`).

The seed: `FUZZ_SEED` from the environment, else drawn once per run by the controller
(fuzz/conftest.py puts it in the environment, so xdist workers share it) and printed in
the report header; `FUZZ_SEED=N pytest fuzz` replays the same run.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from typing import Final

from hypothesis import HealthCheck, Phase, settings

__all__ = ["FuzzProfile", "FUZZ_PROFILES", "current_profile", "fuzz_settings", "run_seed"]


@dataclass(frozen=True)
class FuzzProfile:
    name: str
    max_examples: int
    budget_seconds: float
    stateful_steps: int
    deadline: float  # seconds the target has to react after the input ended
    liveness_every: int


FUZZ_PROFILES: Final[dict[str, FuzzProfile]] = {
    "quick": FuzzProfile("quick", 12, 15.0, 8, 3.0, 1),
    # Per test: `tox -e fuzz` stays in minutes; `python -m fuzz campaign` runs longer ones.
    "ci": FuzzProfile("ci", 20_000, 300.0, 25, 5.0, 10),
    "deep": FuzzProfile("deep", 10_000_000, 6 * 3600.0, 50, 5.0, 25),
}

_HEALTH = [
    HealthCheck.too_slow,
    HealthCheck.data_too_large,
    HealthCheck.filter_too_much,
    HealthCheck.function_scoped_fixture,
]
# Every phase but `explain`: after shrinking a failure, hypothesis re-runs variants of it
# to print which parts did not matter, text no fuzzer reads (the finding is the saved
# case and its violations); on a live target that was most of a failing campaign's time.
_PHASES = tuple(p for p in Phase if p is not Phase.explain)

for _profile in FUZZ_PROFILES.values():
    settings.register_profile(
        _profile.name,
        max_examples=_profile.max_examples,
        deadline=None,
        suppress_health_check=_HEALTH,
        stateful_step_count=_profile.stateful_steps,
        print_blob=True,
        phases=_PHASES,
    )


def current_profile() -> FuzzProfile:
    name = os.environ.get("HYPOTHESIS_PROFILE", "quick")
    # Another package may use other profile names in the same run: fall back to quick.
    return FUZZ_PROFILES.get(name, FUZZ_PROFILES["quick"])


def fuzz_settings(**overrides: object) -> settings:
    """The current profile's settings, optionally with a shared example database."""
    base = settings.get_profile(current_profile().name)
    return settings(base, **overrides)  # type: ignore[arg-type]


def run_seed() -> int:
    """The run's seed (FUZZ_SEED), chosen once and kept in the environment."""
    value = os.environ.get("FUZZ_SEED")
    if value is None or not value.isdigit():
        value = str(secrets.randbits(32))
        os.environ["FUZZ_SEED"] = value
    return int(value)
