"""What the SPEC's client machines share (conformance/eke_client_model.py for the sft-eke/1
client, conformance/pki_client_model.py for the sft-pki/1 initiator) and the cases that
check them (test_eke_client_state_machine.py, test_pki_client_state_machine.py): the
abstract outputs, the machine built from a transition table, the word sets, a run's
ending, and the word runner that re-runs a counterexample, FAILs with every confirmed
divergence and writes the evidence line."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, Final, Protocol

import pytest
from aalpy.automata import MealyMachine, MealyState

from conformance.plugin import TranscriptBook
from conformance.statemachine import (
    BudgetExhausted,
    Divergence,
    SpecModel,
    SuiteOracle,
    first_divergence,
    passes_through,
    prune_words,
)
from conformance.wire import ConformanceFailure

CLOSE: Final = "CLOSE"
CLOSED: Final = "CLOSED"
SILENT: Final = "-"
END: Final = "END"
KITCLOSE: Final = "KITCLOSE"
OK: Final = "/ok"
FAIL: Final = "/fail"
UNEXPECTED: Final = "EROR:unexpected_frame+CLOSE" + FAIL
INTEGRITY: Final = "EROR:integrity_failed+CLOSE" + FAIL

# A divergence the re-run does not reproduce is set aside, at most this many times.
ATTEMPTS: Final = 3
# Go on past a confirmed divergence (skipping the words through a transition already
# shown wrong), up to this many.
MAX_DIVERGENCES: Final = 3

Table = Callable[[str, str], tuple[str, str, tuple[str, ...]]]


def table_model(table: Table, initial: str, alphabet: Sequence[str]) -> SpecModel:
    """The machine of `table` over `alphabet`, its states reachable from `initial`."""
    states: dict[str, Any] = {initial: MealyState(initial)}
    requirement: dict[tuple[str, str], tuple[str, ...]] = {}
    pending: deque[str] = deque([initial])
    while pending:  # bounded: a table has a handful of states
        name = pending.popleft()
        for symbol in alphabet:
            output, nxt, req = table(name, symbol)
            if nxt not in states:
                states[nxt] = MealyState(nxt)
                pending.append(nxt)
            states[name].transitions[symbol] = states[nxt]
            states[name].output_fun[symbol] = output
            requirement[(name, symbol)] = req
    machine = MealyMachine(states[initial], list(states.values()))
    machine.compute_prefixes()
    return SpecModel(machine, requirement)


def step_words(model: SpecModel, steps: Sequence[tuple[str, str]]) -> list[tuple[str, ...]]:
    """`steps` as words: each state's access sequence in `model`, then the input."""
    prefixes = {state.state_id: tuple(state.prefix) for state in model.machine.states}
    return [(*prefixes[state], symbol) for state, symbol in steps]


def w_method_words(model: SpecModel, extra_states: int) -> list[tuple[str, ...]]:
    """AALpy's W-method word set for a client with up to `extra_states` more states than the
    model, cut after the first step into CLOSED, without words that prefix others."""
    from aalpy.oracles import WMethodEqOracle

    machine = model.machine
    alphabet = list(machine.get_input_alphabet())
    char_set = machine.compute_characterization_set() or [()]
    cover = [(*state.prefix, a) for state in machine.states for a in alphabet]
    oracle = WMethodEqOracle(alphabet, None, len(machine.states) + extra_states)
    return prune_words(machine, list(oracle.test_suite(cover, extra_states + 1, char_set)))


def ending(returncode: int | None, succeeded: bool, out: Path, content: bytes, junk: bool) -> str:
    """A client run's ending: ``/ok``, ``/fail`` or what it was (``/hung``,
    ``/success:…``, ``/failed-but-kept:…``, ``+junk`` for leftovers)."""
    if returncode is None:
        return "/hung"
    extra = "+junk" if junk else ""
    kept = out.exists() or out.is_symlink()
    if succeeded:
        if kept and out.read_bytes() == content:
            return OK + extra
        return "/success:" + ("other-bytes" if kept else "no-file") + extra
    if kept:
        whole = out.read_bytes() == content
        return "/failed-but-kept:" + ("complete" if whole else "partial") + extra
    return FAIL + extra


class WordPlay(Protocol):
    """What `play_word` needs of the kit's side of one client run."""

    word: tuple[str, ...]
    outputs: list[str]
    ended_at: int | None  # the index of the output after which the run ended
    closed: bool

    def _read(self, deadline: float, letter: str) -> str: ...

    def _step(self, letter: str) -> str: ...


def play_word(play: WordPlay) -> None:
    """Plays `play.word`, one output a letter: what came unasked before the step (in
    brackets), the answer to the step, CLOSED once the connection is gone; what comes
    within 0.3 s after the last step is added to its output (in brackets)."""
    for letter in play.word:  # bounded: the word's length
        if play.closed:
            play.outputs.append(CLOSED)
            continue
        early = play._read(time.monotonic() + 0.05, "")
        prefix = "" if early == SILENT else f"[{early}] "
        if play.closed:
            play.outputs.append(prefix + CLOSED)
            continue
        out = play._step(letter)
        play.outputs.append(prefix + out)
        if play.closed and play.ended_at is None:
            play.ended_at = len(play.outputs) - 1
    if not play.closed and play.outputs:
        late = play._read(time.monotonic() + 0.3, "")
        if late != SILENT:
            play.outputs[-1] += f" [{late}]"
            if play.closed and play.ended_at is None:
                play.ended_at = len(play.outputs) - 1


class ClientSUL(Protocol):
    """What the word runner needs of a client command as an AALpy-style SUL."""

    sessions: int
    steps: int
    last: str
    on_transcript: Callable[[Any], None] | None

    def run(self, word: Sequence[str]) -> list[str]: ...


Implicated = Callable[[str, str, str], tuple[str, ...]]


def _fail(
    found: list[Divergence], sul: ClientSUL, notes: list[str], what: str
) -> ConformanceFailure:
    violated = tuple(dict.fromkeys(req for d in found for req in d.requirements))
    text = f"{', '.join(violated)}: {what} differs from the SPEC's: "
    text += "; ".join(
        f"({n}) {d.describe()}" if len(found) > 1 else d.describe()
        for n, d in enumerate(found, 1)
    )
    for note in notes:
        text += f"\n{note}"
    text += f"\n{sul.sessions} client runs; last run: {sul.last}"
    return ConformanceFailure(text, violates=violated)


def check_words(
    model: SpecModel,
    sul: ClientSUL,
    words: list[tuple[str, ...]],
    transcripts: TranscriptBook,
    what: str,
    implicated: Implicated | None = None,
) -> list[str]:
    """Runs `words` against the model; FAILs with every confirmed divergence, `what` (the
    machine's name) in the message. `implicated(symbol, expected, observed)` names more
    requirements a divergence at that step breaks."""
    alphabet = list(model.machine.get_input_alphabet())
    oracle = SuiteOracle(alphabet, sul, words)  # type: ignore[arg-type]
    notes: list[str] = []
    found: list[Divergence] = []
    wrong: set[tuple[str, str]] = set()
    oracle.skip = lambda word: passes_through(model, word, wrong)
    kept: list[object] = []
    sul.on_transcript = kept.append
    unconfirmed = 0
    while len(found) < MAX_DIVERGENCES and unconfirmed < ATTEMPTS:
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
        if implicated is not None:
            at = first.index
            extra = implicated(first.symbol, first.expected[at], first.observed[at])
            first = replace(first, requirements=tuple(dict.fromkeys(first.requirements + extra)))
        found.append(first)
        wrong.update((first.transition, again.transition))
    if found:
        raise _fail(found, sul, notes, what)
    return notes


def report(
    request: pytest.FixtureRequest,
    sul: ClientSUL,
    what: str,
    words: int,
    started: float,
    notes: list[str],
) -> None:
    """The evidence line: `what` (the machine's name), the words, runs, steps and time."""
    line = (
        f"{what}: {words} words, {sul.sessions} client runs, {sul.steps} steps "
        f"in {time.monotonic() - started:.1f} s"
    )
    for note in notes:
        line += f"; {note}"
    print(line)
    request.node.user_properties.append(("sft_state_machine", line))
