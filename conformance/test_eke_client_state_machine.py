"""The sft-eke/1 CLIENT's machine against the SPEC's, over every short sequence of server
actions (docs/SPEC.md §5.3 EKE-HS-4/5/7/9, §5.5 EKE-REC-1/5, §1 FRM-5/6/7, §2 ERR-3, §3.2's
initiator mirror, §3.3 APP-GET-2…6, §3.7 APP-BYE-2, §3.6 APP-STORE-3).

Hand-written client cases each put one deviation on an honest run; a client that keeps
state across the run's steps — a DONE taken before RSFL, a second RSFL taken, an EKE4
taken again inside the channel, a plaintext DONE taken after EKE4, a BYE_ sent after a
fatal EROR, a kit's close taken as the end of a complete get — passes unless a case
walks that sequence. Here the SPEC's client machine (conformance/eke_client_model.py: six
states HS, W4, WR, X0, X1, CLOSED; written from the SPEC, not from the reference) is
checked against the target's declared client command with AALpy's word sets: each word is
ONE client run (a get) against the kit playing the server, the word's actions sent in
order, the client's answer to each read, and the run's ending (exit status by the
declared success rule, the output file, leftovers) joined to the output that ended it.
The default word set (18 client runs): the honest get, and 17 of the model's transitions
that end the run, each behind its state's access sequence — the inputs that tell the
states apart and the endings that matter most (`eke_client_model.DEFAULT_STEPS`); the
`slow` variant: the full alphabet (bad C2, bad C4 tag, bad DONE digest, a non-fatal EROR,
a plaintext EROR) and the W-method for one extra state (61 words, every transition of the
default alphabet among them). A divergence is run again;
confirmed, it FAILs the requirements of its first diverging transition with the word,
expected and observed answers and the step.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from conformance.eke_client_model import (
    ALL_INPUTS,
    INPUTS,
    ClientSpecSUL,
    client_model,
    default_words,
    w_method_words,
)
from conformance.eke_hostile import skip_slow_variant
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
    pytest.mark.profile("eke"),
    pytest.mark.side("initiator"),
    pytest.mark.xdist_group("eke-client"),
]

_REQS = (
    "APP-3",
    "APP-BYE-2",
    "APP-GET-1",
    "APP-GET-2",
    "APP-GET-3",
    "APP-GET-4",
    "APP-GET-5",
    "APP-GET-6",
    "APP-STORE-3",
    "EKE-HS-4",
    "EKE-HS-5",
    "EKE-HS-7",
    "EKE-HS-9",
    "EKE-KS-3",
    "EKE-REC-1",
    "EKE-REC-5",
    "ERR-3",
    "FRM-5",
    "FRM-6",
    "FRM-7",
)
# A divergence the re-run does not reproduce is set aside, at most this many times.
_ATTEMPTS = 3
# Go on past a confirmed divergence (skipping the words through a transition already
# shown wrong), up to this many.
_MAX_DIVERGENCES = 3


def _sul(target: Target, tmp_path: Path, budget: float) -> ClientSpecSUL:
    if not target.client_cmd and not target.embedded:
        pytest.skip("the target declares no eke client command (--client-cmd)")
    timeout = 5.0
    if target.limits.handshake_timeout:
        timeout = max(2.0, min(timeout, 0.8 * target.limits.handshake_timeout))
    return ClientSpecSUL(
        target=target,
        workdir=tmp_path,
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


def _fail(found: list[Divergence], sul: ClientSpecSUL, notes: list[str]) -> ConformanceFailure:
    violated = tuple(dict.fromkeys(req for d in found for req in d.requirements))
    text = f"{', '.join(violated)}: the sft-eke/1 client's machine differs from the SPEC's: "
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
    sul: ClientSpecSUL,
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
        found.append(first)
        wrong.update((first.transition, again.transition))
    if found:
        raise _fail(found, sul, notes)
    return notes


def _report(
    request: pytest.FixtureRequest,
    sul: ClientSpecSUL,
    words: int,
    started: float,
    notes: list[str],
) -> None:
    line = (
        f"eke client machine: {words} words, {sul.sessions} client runs, {sul.steps} steps "
        f"in {time.monotonic() - started:.1f} s"
    )
    for note in notes:
        line += f"; {note}"
    print(line)
    request.node.user_properties.append(("sft_state_machine", line))


@pytest.mark.req(*_REQS)
def test_eke_client_state_machine_conforms_to_spec(
    eke_target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    request: pytest.FixtureRequest,
) -> None:
    """The honest get and 17 chosen transitions of the SPEC's client machine that end the
    run (out-of-order login and get frames, a fatal EROR, a plaintext or login frame in
    the channel, excess bytes, the kit's close), each behind its state's access sequence."""
    started = time.monotonic()
    sul = _sul(eke_target, tmp_path, budget=150.0)
    model = client_model(INPUTS)
    words = default_words(model)
    notes = _check(model, sul, words, transcripts)
    _report(request, sul, len(words), started, notes)


@pytest.mark.slow
@pytest.mark.req(*_REQS)
def test_eke_client_state_machine_full_alphabet(
    eke_target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    request: pytest.FixtureRequest,
) -> None:
    """The full alphabet (bad C2, bad C4, bad DONE digest, non-fatal and plaintext EROR),
    the W-method for a client with up to one state more than the SPEC's."""
    skip_slow_variant(request)
    started = time.monotonic()
    sul = _sul(eke_target, tmp_path, budget=900.0)
    model = client_model(ALL_INPUTS)
    words = w_method_words(model, 1)
    notes = _check(model, sul, words, transcripts)
    _report(request, sul, len(words), started, notes)
