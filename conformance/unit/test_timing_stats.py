"""The statistics of conformance/timing.py on synthetic data (numpy RNG, fixed seeds).

A simulated clock advances by each synthetic sample, so budgets are in simulated seconds
and these tests take no real time to speak of.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from conformance import timing

_MS = 1_000_000  # ns


class _Sim:
    """Two or more classes whose durations come from numpy generators, and the clock."""

    def __init__(self, seed: int, makers: dict[str, Callable[[np.random.Generator], float]]):
        self.rng = np.random.default_rng(seed)
        self.now = 0.0
        self.makers = makers

    def clock(self) -> float:
        return self.now

    def choose(self, n: int) -> int:
        return int(self.rng.integers(n))

    def probes(self) -> dict[str, timing.Probe]:
        def probe(name: str) -> timing.Probe:
            def run() -> dict[str, int]:
                ns = max(1.0, self.makers[name](self.rng))
                self.now += ns / 1e9
                return {"latency": int(ns)}

            return run

        return {name: probe(name) for name in self.makers}

    def measure(self, plan: timing.TimingPlan) -> timing.TimingRun:
        return timing.measure(self.probes(), plan, clock=self.clock, choose=self.choose)


def _loaded(base_ms: float, shift_ms: float = 0.0) -> Callable[[np.random.Generator], float]:
    """A loaded machine: a base time, small jitter, and rare large positive hiccups."""

    def draw(rng: np.random.Generator) -> float:
        jitter = rng.lognormal(mean=np.log(0.3), sigma=0.6)  # ms
        hiccup = rng.exponential(8.0) if rng.random() < 0.08 else 0.0
        return (base_ms + shift_ms + jitter + hiccup) * _MS

    return draw


def test_look_sizes_grow_and_end_at_max() -> None:
    sizes = timing.look_sizes(timing.QUICK)
    assert sizes[0] == timing.QUICK.min_pairs and sizes[-1] == timing.QUICK.max_pairs
    assert all(a < b for a, b in itertools.pairwise(sizes))


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("shift_ms", [1.0, 2.0, -1.5])
def test_planted_difference_is_detected(seed: int, shift_ms: float) -> None:
    sim = _Sim(seed, {"a": _loaded(3.0), "b": _loaded(3.0, shift_ms)})
    run = sim.measure(timing.QUICK)
    assert run.verdict is timing.TimingVerdict.FAIL, run.summary()
    worst = run.failures()[0]
    assert worst.ci_low <= shift_ms / 1e3 <= worst.ci_high or abs(
        worst.median_diff - shift_ms / 1e3
    ) < 0.5e-3, run.summary()


@pytest.mark.parametrize("seed", range(5))
def test_equal_distributions_pass_with_the_resolution_reached(seed: int) -> None:
    sim = _Sim(100 + seed, {"a": _loaded(3.0), "b": _loaded(3.0)})
    run = sim.measure(timing.QUICK)
    assert run.verdict is timing.TimingVerdict.PASS, run.summary()
    assert all(c.resolution <= timing.QUICK.resolution for c in run.comparisons)


def test_noisy_and_small_is_inconclusive_not_pass() -> None:
    def wild(rng: np.random.Generator) -> float:
        return (3.0 + rng.exponential(30.0)) * _MS

    sim = _Sim(7, {"a": wild, "b": wild})
    run = sim.measure(timing.QUICK.scaled(budget=1.0))
    assert run.verdict is timing.TimingVerdict.INCONCLUSIVE, run.summary()


def test_fewer_rounds_than_the_first_look_is_inconclusive() -> None:
    sim = _Sim(8, {"a": _loaded(500.0), "b": _loaded(500.0)})
    run = sim.measure(timing.QUICK.scaled(budget=2.0))
    assert run.looks == 0 and run.verdict is timing.TimingVerdict.INCONCLUSIVE


def test_false_fail_rate_under_no_difference_is_below_alpha() -> None:
    """80 whole sequential runs on three identical heavy-tailed classes: no FAIL (alpha
    1e-3 per run, so even one would be a 1-in-12 event)."""
    fails = 0
    for seed in range(80):
        sim = _Sim(1000 + seed, {"a": _loaded(2.0), "b": _loaded(2.0), "c": _loaded(2.0)})
        run = sim.measure(timing.QUICK.scaled(budget=1.5))
        fails += run.verdict is timing.TimingVerdict.FAIL
    assert fails == 0


def test_power_for_one_millisecond_is_high() -> None:
    detected = 0
    for seed in range(40):
        sim = _Sim(5000 + seed, {"a": _loaded(2.0), "b": _loaded(2.0, 1.0)})
        detected += sim.measure(timing.QUICK).verdict is timing.TimingVerdict.FAIL
    assert detected >= 38


def test_slow_probes_with_a_clear_difference_get_the_budget_extended() -> None:
    sim = _Sim(11, {"a": _loaded(50.0), "b": _loaded(50.0, 150.0)})
    plan = timing.QUICK.scaled(warmup=0)
    run = sim.measure(plan)
    assert run.verdict is timing.TimingVerdict.FAIL, run.summary()
    assert run.elapsed > plan.budget  # it needed the extension


def test_repeats_take_the_minimum_per_round() -> None:
    values = iter([5, 1, 7, 2, 9, 3] * 100)
    classes = iter([0, 0, 0, 1, 1, 1] * 100)  # a a a b b b, round after round
    plan = timing.QUICK.scaled(repeats=3, warmup=0, min_pairs=6, max_pairs=6)
    run = timing.measure(
        {"a": lambda: {"t": next(values)}, "b": lambda: {"t": next(values)}},
        plan,
        choose=lambda n: next(classes),
    )
    # Each round: a draws 5, 1, 7 and b draws 2, 9, 3.
    assert list(run.series("a", "t")) == [1.0] * 6
    assert list(run.series("b", "t")) == [2.0] * 6


def _carry_over_run(seed: int) -> timing.TimingRun:
    """"heavy" slows the NEXT request (whatever its class) by 2 ms; "light" does not."""
    rng = np.random.default_rng(seed)
    state = {"after": 0.0}

    def probe(leaves: float) -> timing.Probe:
        def run() -> dict[str, int]:
            ns = (3.0 + state["after"] + rng.lognormal(np.log(0.3), 0.5)) * _MS
            state["after"] = leaves
            return {"t": int(ns)}

        return run

    plan = timing.QUICK.scaled(budget=1e9, max_pairs=300, min_pairs=300)
    return timing.measure(
        {"light": probe(0.0), "heavy": probe(2.0)}, plan, choose=lambda n: int(rng.integers(n))
    )


def test_carry_over_does_not_make_a_difference() -> None:
    fails = [s for s in range(30) if _carry_over_run(7000 + s).verdict.value == "FAIL"]
    assert not fails


def test_csv_and_svg_carry_samples_and_statistics(tmp_path: Path) -> None:
    sim = _Sim(3, {"a": _loaded(3.0), "b": _loaded(3.0, 2.0)})
    run = sim.measure(timing.QUICK)
    path = timing.write_csv(run, tmp_path / "run.csv")
    lines = path.read_text().splitlines()
    assert lines[0] == "round,position,class,metric,ns"
    assert len(lines) == 1 + len(run.rows)
    svg = timing.render_ecdf_svg(run, "title <x>")
    assert svg.startswith("<svg") and "title &lt;x&gt;" in svg
    assert "Wilcoxon p" in svg and "polyline" in svg


def test_plan_is_validated() -> None:
    with pytest.raises(ValueError):
        timing.TimingPlan("bad", alpha=0)
    with pytest.raises(ValueError):
        timing.TimingPlan("bad", min_pairs=3)
    with pytest.raises(ValueError):
        timing.TimingPlan("bad", repeats=0)


def test_a_run_without_any_sample_is_drawn_not_an_error() -> None:
    """A target so slow that the budget ends in the warm-up (found on eke2.py, whose
    first residuosity test cost a 3072-bit exponentiation): INCONCLUSIVE with an empty
    picture, never a crash of the case (ERROR)."""
    sim = _Sim(9, {"a": _loaded(2500.0), "b": _loaded(2500.0)})
    run = sim.measure(timing.QUICK.scaled(budget=2.0))
    assert run.rounds == 0 and run.verdict is timing.TimingVerdict.INCONCLUSIVE
    svg = timing.render_ecdf_svg(run, "nothing sampled")
    assert svg.startswith("<svg") and "polyline" not in svg
