"""Timing side channels, measured with statistics: paired sampling and a decision with error rates.

What is measured: two or more *classes* of the same request (known vs unknown user, wrong
password vs tampered confirmation, ...) against a live target. Each class has a probe: a
function that runs one request and returns one or more named durations in nanoseconds
(client timestamps, `time.perf_counter_ns`, taken around the socket calls that matter).

How (`measure`):

* Interleaved, randomised pairs: the class of every request is drawn independently
  and uniformly (`secrets`), and the i-th sample of each class forms the i-th *round*
  (pair). Slow drifts of the machine (other tests, frequency scaling) then hit every
  class alike, and under "no difference" each paired difference is symmetric about 0
  (which of the two came first is a coin flip) — the one assumption of the signed-rank
  test below. Independent draws, rather than a shuffled round of one request per
  class, matter because of *carry-over*: a request leaves work behind on the target
  (a thread finishing, a log line, a store commit after the close) that slows the next
  request. In a shuffled round a request is more often preceded by the *other* class
  (3 times in 4 with two classes), which turns a class-dependent after-effect into a
  fake difference of the next request; with independent draws the predecessor's class
  is independent of the request's own. (Measured on the reference: a completed
  handshake slows the next one by ~0.7 ms at the median, which shuffled rounds showed
  as a 130 µs "difference" between known and unknown users.)
* Warm-up: the first `warmup` rounds are run and discarded (connection set-up paths,
  imports and caches of both sides warm up there).
* Outliers: the noise of a loaded machine (a descheduled thread, an interrupt) only ever
  *adds* time. With `repeats` = k, each class is probed k times per round (all probes
  of the round in one random order) and the round's value for the class is the minimum
  of its k — the least disturbed one; the rule is the same for every class, so it does
  not bias the comparison. Nothing else is dropped: a remaining hiccup is bounded by
  the test using ranks and the estimate being a median. (Dropping "slow" samples
  would bias the estimate against the class that is really slower.)

The decision (`decide`), per metric and per class against the first (baseline) class, on
the paired differences d = t(class) − t(baseline) of the same rounds:

* Wilcoxon signed-rank test (scipy.stats.wilcoxon), two-sided, at level
  `alpha / (looks × comparisons)`: a Bonferroni bound over the planned sequential looks
  and the comparisons, so the false-FAIL rate of a whole case is at most `alpha`
  (default 1e-3) whatever the stopping rule.
* The median of d with a bootstrapped 95 % percentile confidence interval (2000
  resamples, numpy's generator seeded from the samples: reproducible from the CSV).
* The *resolution* reached: max(|CI low|, |CI high|): differences larger than this are
  excluded with 95 % confidence.

Verdicts: FAIL when the test rejects and the median difference is at least `negligible`;
PASS when the resolution is at most `resolution` and the interval holds no effect above
`negligible` that might still become significant; otherwise sampling goes on to the next
look, and when the time budget or `max_pairs` is exhausted the verdict is INCONCLUSIVE
(never a silent PASS). When the budget runs out while a difference is *suspected* (the
interval excludes 0, the estimate is not negligible, the test not yet significant), the
budget is extended once (`extension`, default ×2): a real difference on a loaded machine
gets the samples it needs, and a conformant target rarely pays for it (5 % of runs).
The same extension is granted when probes are so slow that the budget holds fewer pairs
than a decision needs, yet every pair so far (at least 4) points the same way by more
than `negligible` (1 run in 8 of a conformant target, for each comparison).

Sequential looks are at geometric sample sizes (min_pairs × 1.5^k), so a clear effect
stops the run after the first look and an unclear one is sampled to the budget.
"""

from __future__ import annotations

import csv
import enum
import secrets
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

__all__ = [
    "QUICK",
    "THOROUGH",
    "Comparison",
    "Probe",
    "TimingPlan",
    "TimingRun",
    "TimingVerdict",
    "decide",
    "look_sizes",
    "measure",
    "render_ecdf_svg",
    "write_csv",
]

Probe = Callable[[], Mapping[str, int]]
"""Runs one request of a class; returns {metric: duration in ns}."""


class TimingVerdict(enum.Enum):
    PASS = "PASS"  # noqa: S105 - a verdict, not a password
    FAIL = "FAIL"
    INCONCLUSIVE = "INCONCLUSIVE"


@dataclass(frozen=True)
class TimingPlan:
    """How much to sample and what counts as a difference (durations in seconds)."""

    name: str
    alpha: float = 1e-3  # false-FAIL rate bound of one case
    negligible: float = 300e-6  # smaller differences are not failures
    resolution: float = 1e-3  # PASS needs the 95 % CI inside ±resolution
    min_pairs: int = 16  # first look
    max_pairs: int = 400
    budget: float = 3.0  # seconds of sampling, then INCONCLUSIVE if still unclear
    warmup: int = 2  # rounds run and discarded
    repeats: int = 1  # probes per class per round; the round's value is their minimum
    extension: float = 2.0  # budget factor granted once when a difference is suspected
    bootstrap: int = 2000

    def __post_init__(self) -> None:
        if not 0 < self.alpha < 1 or self.negligible < 0 or self.resolution <= 0:
            raise ValueError("alpha in (0, 1), negligible >= 0 and resolution > 0")
        if not 6 <= self.min_pairs <= self.max_pairs or self.budget <= 0 or self.warmup < 0:
            raise ValueError("need 6 <= min_pairs <= max_pairs, a positive budget")
        if self.extension < 1:
            raise ValueError("the budget extension is a factor >= 1")
        if self.repeats < 1:
            raise ValueError("repeats must be at least 1")

    def scaled(self, **changes: float | int | str) -> TimingPlan:
        values = {**self.__dict__, **changes}
        return TimingPlan(**values)


# The quick tier runs in the default suite, on a machine loaded by the other cases: it
# resolves effects of about a millisecond in a few seconds, with no false FAIL.
QUICK = TimingPlan("quick", max_pairs=120)
# The thorough tier (`-m timing`, `tox -e timing`): minutes per case, ≤ 50 µs on loopback.
THOROUGH = TimingPlan(
    "thorough",
    negligible=15e-6,
    resolution=50e-6,
    min_pairs=60,
    max_pairs=20000,
    budget=90.0,
    warmup=10,
    repeats=3,
)


def look_sizes(plan: TimingPlan) -> list[int]:
    """The sample sizes (pairs) at which the sequential decision is taken."""
    sizes: list[int] = []
    n = float(plan.min_pairs)
    while int(n) < plan.max_pairs:
        sizes.append(int(n))
        n *= 1.5
    sizes.append(plan.max_pairs)
    return sizes


@dataclass(frozen=True)
class Comparison:
    """One metric of one class against the baseline class, on paired rounds."""

    metric: str
    baseline: str
    other: str
    n: int
    median_diff: float  # seconds, other − baseline
    ci_low: float
    ci_high: float
    p_value: float
    alpha_look: float
    verdict: TimingVerdict
    baseline_median: float = 0.0
    other_median: float = 0.0

    @property
    def resolution(self) -> float:
        return max(abs(self.ci_low), abs(self.ci_high))

    def suspect(self, plan: TimingPlan) -> bool:
        """The interval excludes 0 and the estimate is not negligible: worth more samples."""
        return (self.ci_low > 0 or self.ci_high < 0) and abs(self.median_diff) >= plan.negligible

    def describe(self) -> str:
        return (
            f"{self.metric}: {self.other} − {self.baseline} over {self.n} pairs: "
            f"median difference {_us(self.median_diff)} "
            f"(95 % CI [{_us(self.ci_low)}, {_us(self.ci_high)}]), Wilcoxon p = "
            f"{self.p_value:.2g} (FAIL below {self.alpha_look:.2g}), resolution "
            f"{_us(self.resolution)}; medians {self.baseline} {_us(self.baseline_median)}, "
            f"{self.other} {_us(self.other_median)} -> {self.verdict.value}"
        )


def _us(seconds: float) -> str:
    return f"{seconds * 1e6:+.0f} µs" if abs(seconds) < 0.01 else f"{seconds * 1e3:+.2f} ms"


def _compare(
    metric: str,
    baseline: str,
    other: str,
    a: np.ndarray,
    b: np.ndarray,
    plan: TimingPlan,
    alpha_look: float,
    *,
    final: bool,
) -> Comparison:
    d = (b - a) / 1e9
    n = len(d)
    median = float(np.median(d))
    # Seeded from the data: the same samples give the same interval (reproducible).
    rng = np.random.default_rng(int(np.sum(np.abs(d)) * 1e9) % (2**32))
    idx = rng.integers(0, n, size=(plan.bootstrap, n))
    meds = np.median(d[idx], axis=1)
    low, high = (float(v) for v in np.percentile(meds, [2.5, 97.5]))
    if np.all(d == 0):
        p = 1.0
    else:
        # Imported here, not at the top: scipy.stats costs ~1 s of CPU to import, and
        # every pytest process (controller, each worker) imports this module at collection.
        from scipy import stats  # type: ignore[import-untyped]

        p = float(stats.wilcoxon(d, zero_method="zsplit", alternative="two-sided").pvalue)
    if p < alpha_look and abs(median) >= plan.negligible:
        verdict = TimingVerdict.FAIL
    elif max(abs(low), abs(high)) <= plan.resolution and (
        low <= 0 <= high or max(abs(low), abs(high)) < plan.negligible
    ):
        verdict = TimingVerdict.PASS
    elif final and p >= alpha_look and max(abs(low), abs(high)) <= plan.resolution:
        # At the end: the effect the interval allows is within the resolution asked for.
        verdict = TimingVerdict.PASS
    else:
        verdict = TimingVerdict.INCONCLUSIVE
    return Comparison(
        metric,
        baseline,
        other,
        n,
        median,
        low,
        high,
        p,
        alpha_look,
        verdict,
        float(np.median(a)) / 1e9,
        float(np.median(b)) / 1e9,
    )


@dataclass
class TimingRun:
    """The samples of one case, and the decision taken on them."""

    plan: TimingPlan
    classes: list[str]
    # (round, position in the round, class, metric, ns); warm-up rounds have round < 0.
    rows: list[tuple[int, int, str, str, int]] = field(default_factory=list)
    comparisons: list[Comparison] = field(default_factory=list)
    verdict: TimingVerdict = TimingVerdict.INCONCLUSIVE
    elapsed: float = 0.0
    looks: int = 0
    rounds: int = 0  # complete rounds: every class has its samples for them

    def series(self, cls: str, metric: str) -> np.ndarray:
        """The value of a class per round (ns, the minimum of its repeats), warm-up excluded."""
        best: dict[int, int] = {}
        for r, _pos, c, m, ns in self.rows:
            if 0 <= r < self.rounds and c == cls and m == metric:
                best[r] = min(ns, best.get(r, ns))
        return np.array([best[r] for r in sorted(best)], dtype=np.float64)

    def metrics(self) -> list[str]:
        seen: dict[str, None] = {}
        for _r, _p, _c, m, _ns in self.rows:
            seen.setdefault(m, None)
        return list(seen)

    def summary(self) -> str:
        head = (
            f"timing ({self.plan.name} tier): {self.verdict.value} after "
            f"{self.elapsed:.1f} s, {self.looks} look(s), alpha {self.plan.alpha:g} per case, "
            f"negligible {_us(self.plan.negligible)}, resolution asked "
            f"{_us(self.plan.resolution)}"
        )
        return "\n".join([head, *("  " + c.describe() for c in self.comparisons)])

    def failures(self) -> list[Comparison]:
        return [c for c in self.comparisons if c.verdict is TimingVerdict.FAIL]


def decide(
    run: TimingRun,
    plan: TimingPlan,
    looks: int,
    *,
    final: bool,
    metrics: Sequence[str] | None = None,
) -> tuple[TimingVerdict, list[Comparison]]:
    """The verdict on the samples so far: FAIL if any comparison fails, PASS if all pass."""
    metrics = [m for m in run.metrics() if metrics is None or m in metrics]
    baseline, others = run.classes[0], run.classes[1:]
    comparisons_count = max(1, len(metrics) * len(others))
    alpha_look = plan.alpha / (looks * comparisons_count)
    out: list[Comparison] = []
    for metric in metrics:
        a = run.series(baseline, metric)
        for other in others:
            b = run.series(other, metric)
            n = min(len(a), len(b))
            out.append(
                _compare(metric, baseline, other, a[:n], b[:n], plan, alpha_look, final=final)
            )
    verdicts = {c.verdict for c in out}
    if TimingVerdict.FAIL in verdicts:
        return TimingVerdict.FAIL, out
    if verdicts == {TimingVerdict.PASS}:
        return TimingVerdict.PASS, out
    return TimingVerdict.INCONCLUSIVE, out


def measure(
    probes: Mapping[str, Probe],
    plan: TimingPlan,
    *,
    clock: Callable[[], float] = time.monotonic,
    choose: Callable[[int], int] | None = None,
    between_rounds: Callable[[], None] | None = None,
    decide_on: Sequence[str] | None = None,
) -> TimingRun:
    """Samples the classes in randomised-order rounds and decides sequentially.

    The first class is the baseline. `between_rounds` runs after every round, untimed
    (e.g. an honest login that resets a failure counter). `decide_on` names the metrics
    the decision is taken on (default: all; the others are only recorded). Bounded by
    `plan.max_pairs` rounds and `plan.budget` × `plan.extension` seconds (a probe that
    hangs is bounded by its socket timeout).
    """
    if len(probes) < 2:
        raise ValueError("timing needs at least two classes")
    names = list(probes)
    run = TimingRun(plan, names)
    pick = choose or secrets.randbelow
    started = clock()
    sizes = look_sizes(plan)
    taken = dict.fromkeys(names, 0)
    slot = 0

    def probe_once(group: Callable[[str], int]) -> str:
        nonlocal slot
        name = names[pick(len(names))]
        for metric, ns in probes[name]().items():
            run.rows.append((group(name), slot, name, metric, int(ns)))
        slot += 1
        return name

    for _ in range(plan.warmup * len(names) * plan.repeats):
        probe_once(lambda _name: -1)

    def one_round() -> None:
        # Every class gets its `repeats` samples of this round; the class of each slot
        # is drawn independently, so extra samples of a class count toward its next
        # rounds (see the module docstring: carry-over).
        want = (run.rounds + 1) * plan.repeats
        for _ in range(100 * len(names) * plan.repeats):  # bounded; ends far sooner
            if min(taken.values()) >= want:
                break
            name = probe_once(lambda n: taken[n] // plan.repeats)
            taken[name] += 1
        run.rounds += 1
        if between_rounds is not None:
            between_rounds()

    budget = plan.budget
    rounds = 0

    def sample_to(size: int) -> None:
        while run.rounds < size and clock() - started < budget:
            one_round()

    for target_size in sizes:
        sample_to(target_size)
        rounds = run.rounds
        if rounds < target_size and budget == plan.budget and _one_sided(run, plan, decide_on):
            # Slow probes: too few pairs for any decision, but every pair so far points
            # the same way by a non-negligible amount: extend once rather than give up.
            budget = plan.budget * plan.extension
            sample_to(target_size)
            rounds = run.rounds
        if rounds < _FEWEST_PAIRS:
            break
        # The budget ran out before the first planned look: look once at what there is
        # (it takes the place of the planned looks, so the Bonferroni bound holds).
        run.looks += 1
        out_of_time = rounds < target_size
        final = out_of_time or target_size == sizes[-1]
        verdict, comparisons = decide(run, plan, len(sizes), final=final, metrics=decide_on)
        run.verdict, run.comparisons = verdict, comparisons
        if verdict is TimingVerdict.INCONCLUSIVE and out_of_time and budget == plan.budget:
            if any(c.suspect(plan) for c in comparisons):
                # A difference is suspected but not yet significant: sample on (up to
                # `extension` × budget) rather than end INCONCLUSIVE.
                budget = plan.budget * plan.extension
                continue
        if verdict is not TimingVerdict.INCONCLUSIVE or final:
            break
    run.elapsed = clock() - started
    if rounds < _FEWEST_PAIRS:
        run.verdict = TimingVerdict.INCONCLUSIVE
    return run


# Fewer pairs cannot reach any useful level with a signed-rank test (2 / 2^6 = 0.03).
_FEWEST_PAIRS = 6


def _one_sided(run: TimingRun, plan: TimingPlan, metrics: Sequence[str] | None) -> bool:
    """At least 4 pairs, all of one sign, median beyond `negligible` (1 in 8 by chance)."""
    baseline = run.classes[0]
    for metric in run.metrics():
        if metrics is not None and metric not in metrics:
            continue
        a = run.series(baseline, metric)
        for other in run.classes[1:]:
            b = run.series(other, metric)
            n = min(len(a), len(b))
            d = (b[:n] - a[:n]) / 1e9
            if n >= 4 and (np.all(d > 0) or np.all(d < 0)):
                if abs(float(np.median(d))) >= plan.negligible:
                    return True
    return False


# ---------------------------------------------------------------- artefacts


def write_csv(run: TimingRun, path: Path) -> Path:
    """round,position,class,metric,ns — one row per sample (warm-up rounds negative)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["round", "position", "class", "metric", "ns"])
        writer.writerows(run.rows)
    return path


_COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e")


def render_ecdf_svg(run: TimingRun, title: str, metric: str | None = None) -> str:
    """An inline SVG: the ECDF of each class for one metric, the statistics beside it."""
    metric = metric or (run.metrics()[0] if run.metrics() else "")
    series = {c: np.sort(run.series(c, metric)) / 1e3 for c in run.classes}  # µs
    # A run whose budget ran out in its warm-up has no sample of any class (a slow target):
    # it is INCONCLUSIVE, and its picture is an empty plot, not an error.
    sampled = [s for s in series.values() if len(s)]
    values = np.concatenate(sampled) if sampled else np.array([])
    width, height, left, top, plot_w, plot_h = 900, 360, 60, 30, 460, 280
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        'font-family="sans-serif" font-size="11">',
        f'<text x="{left}" y="18" font-size="13">{_esc(title)} — {_esc(metric)}</text>',
        f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="none" '
        'stroke="#888"/>',
    ]
    if len(values):
        # The 1st to 99th percentile: a few scheduler outliers must not squash the plot.
        lo, hi = (float(v) for v in np.percentile(values, [1, 99]))
        hi = hi if hi > lo else lo + 1.0
        for cls, colour in zip(run.classes, _COLOURS, strict=False):
            xs = series[cls]
            if not len(xs):
                continue
            points = []
            for i, x in enumerate(xs):
                px = left + plot_w * (min(max(float(x), lo), hi) - lo) / (hi - lo)
                py = top + plot_h * (1 - (i + 1) / len(xs))
                points.append(f"{px:.1f},{py:.1f}")
            parts.append(
                f'<polyline fill="none" stroke="{colour}" stroke-width="1.5" '
                f'points="{" ".join(points)}"/>'
            )
        parts.append(f'<text x="{left}" y="{top + plot_h + 16}">{lo:.0f} µs</text>')
        parts.append(
            f'<text x="{left + plot_w}" y="{top + plot_h + 16}" text-anchor="end">'
            f"{hi:.0f} µs</text>"
        )
    y = top + 10
    for cls, colour in zip(run.classes, _COLOURS, strict=False):
        parts.append(f'<text x="{left + plot_w + 20}" y="{y}" fill="{colour}">■ {_esc(cls)}</text>')
        y += 16
    for line in run.summary().splitlines():
        for chunk in _wrap(line.strip(), 60):
            parts.append(f'<text x="{left + plot_w + 20}" y="{y}">{_esc(chunk)}</text>')
            y += 14
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def _wrap(text: str, width: int) -> list[str]:
    words, lines, line = text.split(), [], ""
    for word in words:
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    if line:
        lines.append(line)
    return lines


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
