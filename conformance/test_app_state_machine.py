"""The responder's application state machine against the SPEC's, over every short
sequence (docs/SPEC.md §3.2 APP-1/APP-3, §3.3–§3.4, §2 ERR-3, §3.7); both profiles.

Hand-written cases probe one (state, frame) pair or one short sequence each; a bug of the
kind "state left behind by an earlier request", "a frame valid later accepted now", "an
error that returns to the wrong state" passes when no case walks that sequence. Here the
SPEC's machine (conformance/statemachine.py: six states, eleven abstract inputs, written
from §3.2's table, not from the reference) is checked against the target with a fixed
conformance suite run as an AALpy equivalence oracle (`conformance_suite`): the W-method's
words with no extra state (every transition of the model reached by its shortest prefix,
taken, and followed by each word of the characterisation set) joined with every
transition that keeps the connection followed by every input, cut where the connection
ends and without words that are prefixes of others: 121 words, each on a fresh session.
A word whose answers differ from the model's is run again; confirmed, it FAILs the
requirements of its first diverging transition, with the word, the expected and observed
answers and the step in one line, and the search goes on past that transition (up to
six). The `slow` variants: the full W-method for one extra state, and one that LEARNS the
target's machine (KV) and writes it as a .dot under the report directory (statemachine/).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from aalpy.learning_algs import run_KV
from aalpy.oracles import WMethodEqOracle
from aalpy.SULs import MealySUL

from conformance._wire_fixtures import AppChannel
from conformance.plugin import TranscriptBook
from conformance.statemachine import (
    BudgetExhausted,
    Divergence,
    SpecModel,
    SpecSUL,
    SuiteOracle,
    alphabet_for,
    conformance_suite,
    first_divergence,
    passes_through,
    spec_model,
)
from conformance.target import Target
from conformance.wire import ConformanceFailure

_REQS = (
    "APP-1",
    "APP-3",
    "FRM-5",
    "FRM-6",
    "ERR-3",
    "APP-GET-2",
    "APP-PUT-1",
    "APP-PUT-3",
    "APP-PUT-5",
    "APP-PUT-6",
    "APP-BYE-1",
)
# A confirmed counterexample FAILs; one the re-run does not reproduce (a loaded machine's
# late answer) is set aside and the search goes on, at most this many times.
_ATTEMPTS = 3
# The default suite goes on past a confirmed divergence (skipping the words through a
# transition already shown wrong) to name every requirement broken, up to this many.
_MAX_DIVERGENCES = 6
# The default suite's time limit only guards against a hang: 121 sessions take ~4-12 s
# (quiet machine; a loaded CI run a few times that). Each answer is bounded anyway.
_DEFAULT_BUDGET = 300.0


def _sul(target: Target, app_channel: AppChannel, budget: float) -> SpecSUL:
    if target.profile not in ("pki", "eke"):
        pytest.skip(f"no application channel for profile {target.profile}")
    return SpecSUL(
        open_channel=app_channel,
        target=target,
        answer_timeout=3.0,
        deadline=time.monotonic() + budget,
    )


def _fail(found: list[Divergence], sul: SpecSUL, notes: list[str]) -> ConformanceFailure:
    violated = tuple(dict.fromkeys(req for d in found for req in d.requirements))
    text = f"{', '.join(violated)}: the application state machine differs from §3.2: "
    text += "; ".join(
        f"({n}) {d.describe()}" if len(found) > 1 else d.describe()
        for n, d in enumerate(found, 1)
    )
    for note in notes:
        text += f"\n{note}"
    text += f"\n{sul.sessions} sessions, {sul.steps} steps"
    failure = ConformanceFailure(text)
    failure.violates = violated
    return failure


def _check(
    model: SpecModel,
    sul: SpecSUL,
    oracle: WMethodEqOracle | SuiteOracle,
    transcripts: TranscriptBook,
) -> list[str]:
    """Runs `oracle` against the SPEC's machine until it finds no counterexample. A
    counterexample is run once more; confirmed, it is a divergence: a `SuiteOracle` goes
    on past its transition (up to `_MAX_DIVERGENCES`), a W-method stops. FAILs with every
    confirmed divergence; returns the notes of the ones the re-run did not reproduce."""
    notes: list[str] = []
    found: list[Divergence] = []
    wrong: set[tuple[str, str]] = set()
    collect = isinstance(oracle, SuiteOracle)
    if collect:
        oracle.skip = lambda word: passes_through(model, word, wrong)
    unconfirmed = 0
    while len(found) < _MAX_DIVERGENCES and unconfirmed < _ATTEMPTS:
        keep = len(transcripts.transcripts)
        try:
            cex = oracle.find_cex(model.machine)
        except BudgetExhausted as exc:
            if found:
                notes.append(f"the search stopped there: {exc}")
                break
            pytest.skip(f"the state machine was not covered within the budget: {exc}")
        # the transcripts of the passed words are not evidence; the failing one is re-run
        del transcripts.transcripts[keep:]
        if cex is None:
            break
        word = tuple(cex)
        observed = oracle.observed if collect else sul.trace[: len(word)]
        first = first_divergence(model, word, observed)
        again = first_divergence(model, word, sul.run(word))
        if first is None or again is None:
            unconfirmed += 1
            seen = first or again
            notes.append(f"not reproduced: {seen.describe() if seen else ' '.join(word)}")
            if collect:
                oracle.passed.add(word)
            continue
        if again.observed != first.observed:
            notes.append(f"re-run of {' '.join(word)}: observed {' | '.join(again.observed)}")
        found.append(first)
        wrong.update((first.transition, again.transition))
        if not collect:
            break
    if found:
        raise _fail(found, sul, notes)
    return notes


def _report(request: pytest.FixtureRequest, sul: SpecSUL, started: float, notes: list[str]) -> None:
    elapsed = time.monotonic() - started
    rate = sul.sessions / sul.seconds if sul.seconds else 0.0
    line = (
        f"state machine: {sul.sessions} sessions, {sul.steps} steps in {elapsed:.1f} s "
        f"({rate:.1f} sessions/s)"
    )
    if sul.leftover:
        line += f"; answers after a query's last input: {sorted(set(sul.leftover))}"
    for note in notes:
        line += f"; {note}"
    print(line)
    request.node.user_properties.append(("sft_state_machine", line))


@pytest.mark.req(*_REQS)
def test_app_state_machine_conforms_to_spec(
    target: Target,
    app_channel: AppChannel,
    transcripts: TranscriptBook,
    request: pytest.FixtureRequest,
) -> None:
    """Every transition of the SPEC's machine, each followed by the characterisation set
    (the W-method with no extra state) and by every input when it keeps the connection (a
    state the target remembers that the SPEC's machine has not shows on the next frame):
    `conformance_suite`, 121 words over all eleven inputs, ~4-12 s on loopback."""
    started = time.monotonic()
    model = spec_model(alphabet_for(target))
    sul = _sul(target, app_channel, budget=_DEFAULT_BUDGET)
    alphabet = list(model.machine.get_input_alphabet())
    oracle = SuiteOracle(alphabet, sul, conformance_suite(model))
    notes = _check(model, sul, oracle, transcripts)
    _report(request, sul, started, notes)


@pytest.mark.slow
@pytest.mark.req(*_REQS)
def test_app_state_machine_one_extra_state(
    target: Target,
    app_channel: AppChannel,
    transcripts: TranscriptBook,
    request: pytest.FixtureRequest,
) -> None:
    """The full W-method for a target with up to one state more than the SPEC's: every
    transition, every input after it, then the characterisation set."""
    started = time.monotonic()
    model = spec_model(alphabet_for(target))
    sul = _sul(target, app_channel, budget=900.0)
    states = len(model.machine.states) + 1
    oracle = WMethodEqOracle(list(model.machine.get_input_alphabet()), sul, states)
    notes = _check(model, sul, oracle, transcripts)
    _report(request, sul, started, notes)


@pytest.mark.slow
@pytest.mark.req(*_REQS)
def test_app_state_machine_learned(
    target: Target,
    app_channel: AppChannel,
    transcripts: TranscriptBook,
    request: pytest.FixtureRequest,
) -> None:
    """Learns the target's machine (KV, a W-method oracle for one extra state), writes it
    as a .dot for the evidence, and compares it with the SPEC's: a difference is run on
    the target again and FAILs the transition it names."""
    started = time.monotonic()
    alphabet = alphabet_for(target)
    model = spec_model(alphabet)
    sul = _sul(target, app_channel, budget=1200.0)
    keep = len(transcripts.transcripts)
    learning_oracle = WMethodEqOracle(alphabet, sul, len(model.machine.states) + 1)
    try:
        learned = run_KV(alphabet, sul, learning_oracle, "mealy", print_level=0)
    except BudgetExhausted as exc:
        pytest.skip(f"the target's machine was not learned within the budget: {exc}")
    del transcripts.transcripts[keep:]
    out = Path(request.config.option.report_dir) / "statemachine"
    out.mkdir(parents=True, exist_ok=True)
    # aalpy writes the .dot through pydot (a dependency of aalpy's); the SPEC's machine
    # beside it, over the same alphabet, for a side-by-side reading
    learned.save(str(out / f"{target.profile}-learned"))
    model.machine.save(str(out / f"{target.profile}-spec"))
    # The learned machine is exact up to its size: a W-method over the larger of the two
    # sizes finds every word on which it and the SPEC's differ.
    size = max(len(learned.states), len(model.machine.states))
    compare = WMethodEqOracle(alphabet, MealySUL(learned), size)
    cex = compare.find_cex(model.machine)
    if cex is not None:
        word = tuple(cex)
        outputs = sul.run(word)
        divergence = first_divergence(model, word, outputs)
        if divergence is not None:
            raise _fail([divergence], sul, [])
    _report(
        request,
        sul,
        started,
        [f"learned {len(learned.states)} states (SPEC {len(model.machine.states)}), {out}"],
    )
