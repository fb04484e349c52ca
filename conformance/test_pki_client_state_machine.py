"""The sft-pki/1 INITIATOR's get against the SPEC's machine, over every short sequence of
responder actions (docs/SPEC.md §1 FRM-5/6, §2 ERR-3, §3.2's initiator mirror, §3.3
APP-GET-2…6, §3.6 APP-STORE-3, §3.7 APP-BYE-1/2, §4.1 PKI-TLS-6/7).

Hand-written initiator cases each put one deviation on an honest get; an initiator that
keeps state across the get's steps — a DONE taken before RSFL, a second RSFL taken, a
DONE taken before the bytes, the responder's BYE_ mid-get taken as the end, a BYE_ sent
after a fatal EROR, a bare TCP close taken as the end of a get whose bytes all came —
passes unless a case walks that sequence. Here the SPEC's initiator machine
(conformance/pki_client_model.py: five states WR, X0, XH, X1, CLOSED; written from the
SPEC, not from the reference) is checked against the target's declared pki client command
with AALpy's word sets: each word is ONE get against the kit playing an honest TLS
responder (the lab certificate of the alias asked for), the word's actions sent in order,
the initiator's answer to each read, and the run's ending (exit status by the declared
success rule, the output file, leftovers) joined to the output that ended it. The default
word set (18 client runs): the honest get, and 17 of the model's transitions that end the
run, each behind its state's access sequence (`pki_client_model.DEFAULT_STEPS`); the
`slow` variant: the full alphabet (a DONE with the count of half the bytes too) and the
W-method for one extra state. A divergence is run again; confirmed, it FAILs the
requirements of its first diverging transition with the word, expected and observed
answers and the step.
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import pytest

from conformance.eke_client_model import w_method_words
from conformance.eke_hostile import skip_slow_variant
from conformance.pki_client_model import (
    ALL_INPUTS,
    INPUTS,
    InitiatorSpecSUL,
    default_words,
    implicated,
    initiator_model,
)
from conformance.plugin import TranscriptBook
from conformance.statemachine import (
    BudgetExhausted,
    Divergence,
    SpecModel,
    SuiteOracle,
    first_divergence,
)
from conformance.target import Target
from conformance.wire import ConformanceFailure

pytestmark = [
    pytest.mark.profile("pki"),
    pytest.mark.side("initiator"),
    pytest.mark.xdist_group("pki-client-model"),
]

_REQS = (
    "APP-3",
    "APP-BYE-1",
    "APP-BYE-2",
    "APP-GET-2",
    "APP-GET-3",
    "APP-GET-4",
    "APP-GET-5",
    "APP-GET-6",
    "APP-STORE-3",
    "ERR-3",
    "FRM-5",
    "FRM-6",
    "PKI-TLS-6",
    "PKI-TLS-7",
)
# A divergence the re-run does not reproduce is set aside, at most this many times.
_ATTEMPTS = 3
# Go on past a confirmed divergence (skipping the words through a transition already
# shown wrong), up to this many.
_MAX_DIVERGENCES = 3


def _sul(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, budget: float
) -> InitiatorSpecSUL:
    if not target.client_cmd and not target.embedded:
        pytest.skip("the target declares no pki client command (--client-cmd)")
    timeout = 5.0
    if target.limits.idle_timeout:
        timeout = max(2.0, min(timeout, 0.8 * target.limits.idle_timeout))
    return InitiatorSpecSUL(
        target=target,
        workdir=tmp_path,
        transcripts=transcripts,
        answer_timeout=timeout,
        deadline=time.monotonic() + budget,
    )


def _passes_through(model: SpecModel, word: tuple[str, ...], wrong: set[tuple[str, str]]) -> bool:
    machine = model.machine
    machine.reset_to_initial()
    for symbol in word:
        if (machine.current_state.state_id, symbol) in wrong:
            return True
        machine.step(symbol)
    return False


def _fail(found: list[Divergence], sul: InitiatorSpecSUL, notes: list[str]) -> ConformanceFailure:
    violated = tuple(dict.fromkeys(req for d in found for req in d.requirements))
    text = f"{', '.join(violated)}: the sft-pki/1 initiator's machine differs from the SPEC's: "
    text += "; ".join(
        f"({n}) {d.describe()}" if len(found) > 1 else d.describe()
        for n, d in enumerate(found, 1)
    )
    for note in notes:
        text += f"\n{note}"
    text += f"\n{sul.sessions} client runs; last run: {sul.last}"
    return ConformanceFailure(text, violates=violated)


def _check(
    model: SpecModel,
    sul: InitiatorSpecSUL,
    words: list[tuple[str, ...]],
    transcripts: TranscriptBook,
) -> list[str]:
    """Runs `words` against the model; FAILs with every confirmed divergence."""
    alphabet = list(model.machine.get_input_alphabet())
    oracle = SuiteOracle(alphabet, sul, words)  # type: ignore[arg-type]
    notes: list[str] = []
    found: list[Divergence] = []
    wrong: set[tuple[str, str]] = set()
    oracle.skip = lambda word: _passes_through(model, word, wrong)
    kept: list[object] = []
    sul.on_transcript = kept.append
    unconfirmed = 0
    while len(found) < _MAX_DIVERGENCES and unconfirmed < _ATTEMPTS:
        try:
            cex = oracle.find_cex(model.machine)
        except BudgetExhausted as exc:
            if found:
                notes.append(f"the search stopped there: {exc}")
                break
            pytest.skip(f"the client machine was not covered: {exc}")
        if cex is None:
            break
        word = tuple(cex)
        first = first_divergence(model, word, oracle.observed)
        first_run = sul.last
        kept.clear()
        again = first_divergence(model, word, sul.run(word))
        if first is None or again is None:
            unconfirmed += 1
            seen = first or again
            notes.append(f"not reproduced: {seen.describe() if seen else ' '.join(word)}")
            oracle.passed.add(word)
            continue
        for transcript in kept:  # the confirming run's transcript is the evidence
            transcripts.add(transcript)
        if again.observed != first.observed:
            notes.append(f"re-run of {' '.join(word)}: observed {' | '.join(again.observed)}")
        notes.append(f"first run of {' '.join(word)}: {first_run}")
        at = first.index
        extra = implicated(first.symbol, first.expected[at], first.observed[at])
        found.append(replace(first, requirements=tuple(dict.fromkeys(first.requirements + extra))))
        wrong.update((first.transition, again.transition))
    if found:
        raise _fail(found, sul, notes)
    return notes


def _report(
    request: pytest.FixtureRequest,
    sul: InitiatorSpecSUL,
    words: int,
    started: float,
    notes: list[str],
) -> None:
    line = (
        f"pki initiator machine: {words} words, {sul.sessions} client runs, {sul.steps} steps "
        f"in {time.monotonic() - started:.1f} s"
    )
    for note in notes:
        line += f"; {note}"
    print(line)
    request.node.user_properties.append(("sft_state_machine", line))


@pytest.mark.req(*_REQS)
def test_pki_initiator_state_machine_conforms_to_spec(
    target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    request: pytest.FixtureRequest,
) -> None:
    """The honest get and 17 chosen transitions of the SPEC's initiator machine that end
    the run (out-of-order get frames, a refusal, a fatal EROR, the responder's BYE_, an
    undefined type, excess bytes, the kit's close with and without close_notify), each
    behind its state's access sequence."""
    started = time.monotonic()
    sul = _sul(target, tmp_path, transcripts, budget=400.0)
    model = initiator_model(INPUTS)
    words = default_words(model)
    notes = _check(model, sul, words, transcripts)
    _report(request, sul, len(words), started, notes)


@pytest.mark.slow
@pytest.mark.req(*_REQS)
def test_pki_initiator_state_machine_full_alphabet(
    target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    request: pytest.FixtureRequest,
) -> None:
    """The full alphabet (a DONE with the count of half the bytes too), the W-method for an
    initiator with up to one state more than the SPEC's."""
    skip_slow_variant(request)
    started = time.monotonic()
    sul = _sul(target, tmp_path, transcripts, budget=900.0)
    model = initiator_model(ALL_INPUTS)
    words = w_method_words(model, 1)
    notes = _check(model, sul, words, transcripts)
    _report(request, sul, len(words), started, notes)
