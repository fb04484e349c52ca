"""The responder's application state machine as docs/SPEC.md states it, and a system under
learning that plays it against a target (model-based testing with AALpy).

The model (`spec_model`) is written from the SPEC, not from the reference: §3.2's table
(APP-1, APP-3, FRM-5, FRM-6), the answers of §3.3 (APP-GET-2) and §3.4 (APP-PUT-1,
APP-PUT-3, APP-PUT-5, APP-PUT-6), §2's fatal codes (ERR-3: the close follows) and §3.7
(APP-BYE-1). Its states:

* ``IDLE`` — no put stored on this connection yet; ``IDLE+`` — the last put of this
  connection is stored (a ``PUT_SAME`` is then ``exists``);
* ``RECV0``, ``RECV1``, ``RECV2`` — a put of 2 bytes accepted, that many bytes sent;
* ``CLOSED`` — a sink: every input outputs ``CLOSED``.

The abstract inputs (`INPUTS`) and the concrete frames `SpecSUL.step` sends for them:

=============  ====================================================================
GET_OK         ``RQFL`` of a file the target's share is known to hold
GET_MISSING    ``RQFL`` of a name no share holds
PUT            ``PUTF {name: fresh, size: 2}``
PUT_SAME       ``PUTF`` of the name of this connection's last put (fresh if none yet)
DATA1          ``DATA`` of one byte of the put
DONE_OK        ``DONE`` with the size and SHA-256 of the bytes sent in this put so far
DONE_BAD       ``DONE`` with that size and a wrong SHA-256
RSFL           ``RSFL {name, size}`` from the initiator
EROR_NF        ``EROR not_found`` (non-fatal code) from the initiator
BYE            ``BYE_ {}``
NOOP           ``NOOP {}``, a well-formed frame of an undefined type (FRM-5)
=============  ====================================================================

The abstract outputs: ``RSFL+DATA*+DONE`` (a whole get, consistent with the known file),
``RSFL:accept``, ``DONE`` (the put's receipt, of the bytes sent), ``EROR:<name>`` (a
non-fatal refusal; ``+CLOSE`` after a fatal one when the close follows within the ERR-3
allowance), ``CLOSE`` (the connection ended; a ``BYE_`` echo before it is folded in, the
SPEC's MAY; so is a fatal ``EROR`` answering the initiator's ``EROR``), ``-`` (nothing),
``CLOSED`` (the connection had already ended). A ``forbidden`` answer to ``GET_MISSING``
is folded into ``not_found`` (APP-GET-2 allows both for a name the share cannot serve).
Anything that arrived before a step's frames were sent (the answer to a ``DATA1`` that
is read without waiting) is shown in brackets before the step's own output; what arrives
after a word's last input (`SpecSUL.run`'s final drain) in brackets after the last one.

Each transition names the requirements that fix its answer (`spec_table`): a pair §3.2's
table does not list is FRM-6 and APP-3 (plus APP-1 for RSFL/DONE in IDLE, APP-BYE-1 for
BYE_ in a put); the initiator's EROR is APP-3 and ERR-3 (its last sentence); and a step
right after a non-fatal refusal adds ERR-3 ("the connection returns to the idle state").
"""

from __future__ import annotations

import hashlib
import time
import uuid
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from aalpy.automata import MealyMachine, MealyState
from aalpy.base import SUL, Oracle

from conformance.channel import Channel
from conformance.scenario import PROMPT_CLOSE
from conformance.target import KnownFile, Target
from conformance.wire import (
    ERROR_CODES,
    FATAL_CODES,
    Closed,
    Event,
    ReceivedFrame,
    TimedOut,
    error_payload,
)

__all__ = [
    "INPUTS",
    "BudgetExhausted",
    "Divergence",
    "SpecSUL",
    "SuiteOracle",
    "alphabet_for",
    "conformance_suite",
    "spec_model",
    "spec_table",
    "first_divergence",
    "known_file",
    "prune_words",
    "rest_of_get",
]

INPUTS: Final = (
    "GET_OK",
    "GET_MISSING",
    "PUT",
    "PUT_SAME",
    "DATA1",
    "DONE_OK",
    "DONE_BAD",
    "RSFL",
    "EROR_NF",
    "BYE",
    "NOOP",
)
_PUT_INPUTS: Final = frozenset({"PUT", "PUT_SAME"})
_PUT_SIZE: Final = 2
_PUT_BYTES: Final = b"sm"

# the final read of a query (SpecSUL.drain)
_DRAIN: Final = 0.05

CLOSE: Final = "CLOSE"
CLOSED: Final = "CLOSED"
SILENT: Final = "-"
GOT_FILE: Final = "RSFL+DATA*+DONE"
ACCEPT: Final = "RSFL:accept"
FATAL_SUFFIX: Final = "+" + CLOSE


def _fatal(name: str) -> str:
    return f"EROR:{name}{FATAL_SUFFIX}"


UNEXPECTED: Final = _fatal("unexpected_frame")
INTEGRITY: Final = _fatal("integrity_failed")

# (output, next state, the requirements that fix this answer). A pair §3.2's table does
# not list is unexpected_frame by FRM-6 and by APP-3 ("any other (state, type) pair"),
# and a stray RSFL/DONE in IDLE by APP-1 as well; a BYE_ during a put by APP-BYE-1 too.
Transition = tuple[str, str, tuple[str, ...]]
_OFF_TABLE: Final = ("FRM-6", "APP-3")


def spec_table(state: str, symbol: str) -> Transition:
    """The SPEC's answer to `symbol` in `state` (see the module docstring)."""
    if state == "CLOSED":
        return CLOSED, "CLOSED", ("APP-3",)
    if symbol == "EROR_NF":
        # §3.2's last row; ERR-3's last sentence: closes on every EROR, whatever its code
        return CLOSE, "CLOSED", ("APP-3", "ERR-3")
    if symbol == "NOOP":
        return UNEXPECTED, "CLOSED", ("FRM-5",)
    if state in ("IDLE", "IDLE+"):
        if symbol == "GET_OK":
            return GOT_FILE, state, ("APP-GET-2",)
        if symbol == "GET_MISSING":
            return "EROR:not_found", state, ("APP-GET-2",)
        if symbol == "PUT":
            return ACCEPT, "RECV0", ("APP-PUT-1",)
        if symbol == "PUT_SAME":
            if state == "IDLE+":
                return "EROR:exists", state, ("APP-PUT-3",)
            return ACCEPT, "RECV0", ("APP-PUT-1",)
        if symbol == "DATA1":
            return UNEXPECTED, "CLOSED", _OFF_TABLE
        if symbol in ("DONE_OK", "DONE_BAD", "RSFL"):
            return UNEXPECTED, "CLOSED", ("APP-1", *_OFF_TABLE)
        if symbol == "BYE":
            return CLOSE, "CLOSED", ("APP-BYE-1",)
    if state.startswith("RECV"):
        sent = int(state[4:])
        if symbol == "DATA1":
            if sent < _PUT_SIZE:
                return SILENT, f"RECV{sent + 1}", ("APP-3",)
            return INTEGRITY, "CLOSED", ("APP-PUT-6",)
        if symbol == "DONE_OK":
            if sent == _PUT_SIZE:
                return "DONE", "IDLE+", ("APP-PUT-5",)
            return INTEGRITY, "CLOSED", ("APP-PUT-5",)
        if symbol == "DONE_BAD":
            return INTEGRITY, "CLOSED", ("APP-PUT-5",)
        if symbol == "BYE":
            return UNEXPECTED, "CLOSED", ("APP-BYE-1", *_OFF_TABLE)
        return UNEXPECTED, "CLOSED", _OFF_TABLE
    raise ValueError(f"no transition for ({state}, {symbol})")


def alphabet_for(target: Target) -> list[str]:
    """The inputs the target can be driven with: no puts without `put`, no get of a
    known file without `get` and a nonempty known file."""
    alphabet = list(INPUTS)
    if not target.has("put"):
        alphabet = [s for s in alphabet if s not in _PUT_INPUTS]
    if not target.has("get"):
        alphabet = [s for s in alphabet if s not in ("GET_OK", "GET_MISSING")]
    elif known_file(target) is None:
        alphabet.remove("GET_OK")
    return alphabet


def known_file(target: Target) -> KnownFile | None:
    """The smallest known file of 1 byte to 64 KiB the target declares (a get of it is
    one short answer), or None."""
    small = [f for f in target.files if 0 < f.size <= 64 * 1024]
    return min(small, key=lambda f: (f.size, f.name)) if small else None

def rest_of_get(
    recv: Callable[[float], Event],
    meta: dict[str, Any],
    file: KnownFile | None,
    answer_timeout: float,
) -> tuple[str, bool]:
    """The abstract output of a get's answer after its RSFL (`meta`): `GOT_FILE` when the
    DATA and DONE carry the announced (and, when known, the share's) size and SHA-256,
    else what diverged; and whether the connection ended. Shared by both state models."""
    size = meta.get("size")
    data = bytearray()
    deadline = time.monotonic() + answer_timeout
    for _ in range(4096):  # bounded: a small known file comes in a few DATA frames
        event = recv(deadline)
        if not isinstance(event, ReceivedFrame):
            closed = isinstance(event, Closed)
            return f"RSFL+DATA*+{CLOSE if closed else SILENT}", closed
        if event.type == b"DATA":
            data += event.payload
            if type(size) is int and len(data) > size:
                return "RSFL+DATA*:more-than-announced", False
            continue
        if event.type != b"DONE":
            return f"RSFL+DATA*+{event.type.decode('latin-1')}", False
        done = event.json() or {}
        digest = hashlib.sha256(bytes(data)).hexdigest()
        good = (
            type(size) is int
            and size == len(data) == done.get("size")
            and done.get("sha256") == digest
            and (file is None or (file.size == size and file.sha256 == digest))
        )
        return (GOT_FILE if good else GOT_FILE + ":mismatch"), False
    return "RSFL+DATA*:endless", False



@dataclass
class SpecModel:
    machine: Any  # aalpy MealyMachine
    requirement: dict[tuple[str, str], tuple[str, ...]]

    @property
    def requirements(self) -> list[str]:
        cited = {req for reqs in self.requirement.values() for req in reqs}
        return sorted(cited | {"ERR-3"})


def spec_model(alphabet: Sequence[str]) -> SpecModel:
    """The SPEC's machine over `alphabet`, its states reachable from IDLE only."""
    states: dict[str, Any] = {}
    requirement: dict[tuple[str, str], tuple[str, ...]] = {}
    pending: deque[str] = deque(["IDLE"])
    states["IDLE"] = MealyState("IDLE")
    while pending:  # bounded: the table has six states
        name = pending.popleft()
        for symbol in alphabet:
            output, nxt, req = spec_table(name, symbol)
            # the SUL marks its session closed on an output ending in CLOSE: the suite
            # cuts a word there (everything after it is CLOSED by construction)
            assert nxt != "CLOSED" or output.endswith(CLOSE) or name == "CLOSED"
            if nxt not in states:
                states[nxt] = MealyState(nxt)
                pending.append(nxt)
            states[name].transitions[symbol] = states[nxt]
            states[name].output_fun[symbol] = output
            requirement[(name, symbol)] = req
    machine = MealyMachine(states["IDLE"], list(states.values()))
    machine.compute_prefixes()
    return SpecModel(machine, requirement)


class BudgetExhausted(RuntimeError):
    """The run's time or query budget ended before the oracle finished."""


@dataclass
class SpecSUL(SUL):  # type: ignore[misc]
    """A target as an AALpy system under learning: one query, one fresh session."""

    open_channel: Callable[[], Channel]
    target: Target
    answer_timeout: float = 3.0
    deadline: float = float("inf")
    max_queries: int = 10_000
    num_queries: int = 0
    num_steps: int = 0
    num_cached_queries: int = 0
    seconds: float = 0.0
    sessions: int = 0
    steps: int = 0
    channel: Channel | None = None
    closed: bool = False
    drained: bool = False
    put_open: bool = False
    sent: bytes = b""
    last_put: str | None = None
    leftover: list[str] = field(default_factory=list)
    trace: list[str] = field(default_factory=list)
    _started: float = 0.0

    def __post_init__(self) -> None:
        self.file = known_file(self.target)
        self.close_within = PROMPT_CLOSE

    # ---------------------------------------------------------------- aalpy's SUL
    def pre(self) -> None:
        if time.monotonic() > self.deadline or self.sessions >= self.max_queries:
            raise BudgetExhausted(f"budget ended after {self.sessions} queries, {self.steps} steps")
        self.sessions += 1
        self._started = time.monotonic()
        self.channel = self.open_channel()
        within = getattr(self.channel, "close_within", None)
        self.close_within = min(PROMPT_CLOSE, within) if within else PROMPT_CLOSE
        self.closed = False
        self.drained = False
        self.put_open = False
        self.sent = b""
        self.last_put = None
        self.trace = []

    def post(self) -> None:
        channel = self.channel
        if channel is not None:
            late = self.drain()
            if late != SILENT:
                self.leftover.append(late)
            channel.close()
        self.channel = None
        self.seconds += time.monotonic() - self._started

    def drain(self) -> str:
        """A short final read: an answer to a last DATA1 is read by no step. Once."""
        if self.closed or self.channel is None or self.drained:
            return SILENT
        self.drained = True
        return self._read(time.monotonic() + _DRAIN, "")

    def run(self, word: Sequence[str]) -> list[str]:
        """`word` on a fresh session; what arrives after the last input (within the
        drain) is added to the last output in brackets: nothing more is due there."""
        self.pre()
        self.num_queries += 1
        outputs = []
        for letter in word:
            self.num_steps += 1
            outputs.append(self.step(letter))
        late = self.drain()
        if late != SILENT and outputs:
            outputs[-1] += f" [{late}]"
        self.post()
        return outputs

    def step(self, letter: str | None) -> str:
        assert self.channel is not None and letter is not None
        self.steps += 1
        output = self._step(letter)
        self.trace.append(output)
        return output

    def _step(self, letter: str) -> str:
        early = SILENT if self.closed else self._read(time.monotonic() + 0.005, "")
        if early != SILENT:
            if early.endswith(CLOSE) or early == CLOSED:
                self.closed = True
            prefix = f"[{early}] "
        else:
            prefix = ""
        if self.closed:
            return prefix + CLOSED
        if not self._send(letter):
            self.closed = True
            return prefix + CLOSE
        if letter == "DATA1" and self.put_open and len(self.sent) <= _PUT_SIZE:
            return prefix + SILENT  # no answer due: read with the next step's
        # the close that answers the initiator's EROR comes at once (ERR-3, §3.2)
        wait = self.close_within if letter == "EROR_NF" else self.answer_timeout
        return prefix + self._read(time.monotonic() + wait, letter)

    # ---------------------------------------------------------------- concrete frames
    def _send(self, letter: str) -> bool:
        channel = self.channel
        assert channel is not None
        if letter == "GET_OK":
            assert self.file is not None
            return channel.send_frame("RQFL", {"name": self.file.name})
        if letter == "GET_MISSING":
            return channel.send_frame("RQFL", {"name": f"sft-sm-missing-{uuid.uuid4().hex[:12]}"})
        if letter in ("PUT", "PUT_SAME"):
            if letter == "PUT" or self.last_put is None:
                self.last_put = f"sft-sm-{uuid.uuid4().hex[:16]}.bin"
            self.sent = b""
            return channel.send_frame("PUTF", {"name": self.last_put, "size": _PUT_SIZE})
        if letter == "DATA1":
            byte = _PUT_BYTES[len(self.sent) % len(_PUT_BYTES) :][:1]
            if self.put_open:
                self.sent += byte
            return channel.send_frame("DATA", byte)
        if letter in ("DONE_OK", "DONE_BAD"):
            digest = hashlib.sha256(self.sent).hexdigest()
            if letter == "DONE_BAD":
                digest = hashlib.sha256(self.sent + b"not these bytes").hexdigest()
            return channel.send_frame("DONE", {"size": len(self.sent), "sha256": digest})
        if letter == "RSFL":
            return channel.send_frame("RSFL", {"name": "sft-sm-initiator.bin", "size": 1})
        if letter == "EROR_NF":
            return channel.send_frame("EROR", error_payload("not_found"))
        if letter == "BYE":
            return channel.send_frame("BYE_", {})
        if letter == "NOOP":
            return channel.send_frame("NOOP", {})
        raise ValueError(f"unknown input {letter!r}")

    # ---------------------------------------------------------------- abstraction
    def _recv(self, deadline: float) -> Event:
        assert self.channel is not None
        return self.channel.recv_frame(deadline)

    def _read(self, deadline: float, letter: str) -> str:
        """The abstract answer: events read up to a terminal one, or `deadline`."""
        event = self._recv(deadline)
        if isinstance(event, TimedOut):
            return SILENT
        if isinstance(event, Closed):
            self.closed = True
            self.put_open = False
            return CLOSE
        token = self._frame_token(event, letter)
        return token

    def _frame_token(self, frame: ReceivedFrame, letter: str) -> str:
        kind = frame.type
        if kind == b"EROR":
            self.put_open = False
            name = frame.error_name or "malformed"
            code = frame.error_code
            if letter == "GET_MISSING" and name == "forbidden":
                name = "not_found"  # APP-GET-2 lets a share refuse what it cannot serve
            if code is None or code in FATAL_CODES or code not in ERROR_CODES.values():
                closed = self._await_close()
                if letter == "EROR_NF" and closed and name != "timeout":
                    return CLOSE  # an answer to the initiator's EROR before the close
                return f"EROR:{name}" + (FATAL_SUFFIX if closed else "")
            return f"EROR:{name}"
        if kind == b"BYE_":
            return CLOSE if self._await_close() else "BYE_"
        if kind == b"RSFL":
            meta = frame.json() or {}
            if meta.get("accept") is True:
                self.put_open = letter in ("PUT", "PUT_SAME")
                return ACCEPT
            return self._rest_of_get(meta)
        if kind == b"DONE":
            meta = frame.json() or {}
            self.put_open = False
            own = meta.get("size") == len(self.sent) and meta.get(
                "sha256"
            ) == hashlib.sha256(self.sent).hexdigest()
            return "DONE" if own else "DONE:not-of-the-bytes-sent"
        return kind.decode("latin-1")

    def _await_close(self) -> bool:
        event = self._recv(time.monotonic() + self.close_within)
        if isinstance(event, Closed):
            self.closed = True
            return True
        return False

    def _rest_of_get(self, meta: dict[str, Any]) -> str:
        output, closed = rest_of_get(self._recv, meta, self.file, self.answer_timeout)
        self.closed = self.closed or closed
        return output


def conformance_suite(model: SpecModel) -> list[tuple[str, ...]]:
    """The words the default case runs, each on a fresh session, shortest first.

    Two test suites, joined: the W-method with no extra state (every transition of the
    model reached by its state's shortest prefix, taken, and followed by each word of
    the characterisation set, or by nothing) and the transition pairs (every transition
    that keeps the connection followed by every input: a state the target remembers
    and the SPEC's machine has not shows on the next frame). Then the redundant ones
    go: a word is cut after its first step into CLOSED (the SUL answers CLOSED to every
    later input by construction, so the rest checks nothing), and a word that is a
    prefix of another is dropped (the longer one sees the same answers, and more)."""
    machine = model.machine
    alphabet = list(machine.get_input_alphabet())
    char_set = machine.compute_characterization_set() or [()]
    words: list[tuple[str, ...]] = []
    for state in machine.states:
        if state.prefix is None:  # unreachable: spec_model builds reachable states only
            continue
        for a in alphabet:
            words.extend((*state.prefix, a, *w) for w in ((), *char_set))
            if state.transitions[a].state_id != "CLOSED":
                words.extend((*state.prefix, a, b) for b in alphabet)
    return prune_words(machine, words)


def prune_words(machine: MealyMachine, words: Sequence[Sequence[str]]) -> list[tuple[str, ...]]:
    """`words` without what checks nothing, shortest first: each cut after its first step
    into the model's CLOSED (the SUL answers CLOSED to every later input by
    construction), and a word that is a prefix of another dropped (the longer one sees
    the same answers, and more). Shared by both state models' word sets."""
    cut: dict[tuple[str, ...], None] = {}
    for word in words:
        word = tuple(word)
        machine.reset_to_initial()
        for index, symbol in enumerate(word):
            machine.step(symbol)
            if machine.current_state.state_id == "CLOSED":
                word = word[: index + 1]
                break
        cut[word] = None
    prefixes = {w[:k] for w in cut for k in range(len(w))}
    return sorted((w for w in cut if w not in prefixes), key=len)


def passes_through(model: SpecModel, word: tuple[str, ...], wrong: set[tuple[str, str]]) -> bool:
    """Whether `word` takes a transition of the model already shown wrong on the target."""
    machine = model.machine
    machine.reset_to_initial()
    for symbol in word:
        if (machine.current_state.state_id, symbol) in wrong:
            return True
        machine.step(symbol)
    return False


class SuiteOracle(Oracle):  # type: ignore[misc]
    """An AALpy equivalence oracle over a fixed list of words (`conformance_suite`):
    `find_cex` returns the first word whose outputs differ from the hypothesis', with
    the target's outputs in `observed`; words that passed are not run again."""

    def __init__(self, alphabet: list[str], sul: SpecSUL, words: list[tuple[str, ...]]) -> None:
        super().__init__(alphabet, sul)
        self.words = words
        self.passed: set[tuple[str, ...]] = set()
        self.skip: Callable[[tuple[str, ...]], bool] = lambda word: False
        self.observed: list[str] = []

    def find_cex(self, hypothesis: Any) -> tuple[str, ...] | None:
        for word in self.words:
            if word in self.passed or self.skip(word):
                continue
            observed = self.sul.run(word)
            self.num_queries += 1
            self.num_steps += len(word)
            hypothesis.reset_to_initial()
            expected = [hypothesis.step(symbol) for symbol in word]
            if expected != observed:
                self.observed = observed
                return word
            self.passed.add(word)
        return None


@dataclass(frozen=True)
class Divergence:
    """Where the target's outputs first differ from the model's on `word`."""

    word: tuple[str, ...]
    expected: tuple[str, ...]
    observed: tuple[str, ...]
    index: int
    state: str
    symbol: str
    requirements: tuple[str, ...]

    @property
    def transition(self) -> tuple[str, str]:
        return self.state, self.symbol

    def describe(self) -> str:
        step = self.index + 1
        return (
            f"word {' '.join(self.word)}; expected {' | '.join(self.expected)}; "
            f"observed {' | '.join(self.observed)}; diverged at step {step} "
            f"({self.symbol} in state {self.state}: {', '.join(self.requirements)})"
        )


def _refusal(output: str) -> bool:
    """Whether `output` is a non-fatal EROR of the responder (the model's outputs)."""
    return output.startswith("EROR:") and not output.endswith(FATAL_SUFFIX)


def first_divergence(
    model: SpecModel, word: Sequence[str], observed: Sequence[str]
) -> Divergence | None:
    """Runs `word` on the model and names the first step whose output differs."""
    machine = model.machine
    machine.reset_to_initial()
    expected: list[str] = []
    states: list[str] = []
    for symbol in word:
        states.append(machine.current_state.state_id)
        expected.append(machine.step(symbol))
    for index, (want, got) in enumerate(zip(expected, observed, strict=False)):
        if want == got:
            continue
        state, symbol = states[index], word[index]
        requirement = model.requirement[(state, symbol)]
        if got.startswith("[") and index > 0:
            # the answer to the previous (unanswered) input arrived before this step
            state, symbol = states[index - 1], word[index - 1]
            requirement = model.requirement[(state, symbol)]
        elif want.endswith(FATAL_SUFFIX) and got == want[: -len(FATAL_SUFFIX)]:
            requirement = ("ERR-3",)  # the right fatal EROR, and no close after it
        if _refusal(want) and got.startswith(want) and got != want:
            # the right non-fatal refusal, then a close or more: ERR-3, "after a
            # non-fatal EROR of the responder the connection returns to the idle state"
            requirement = (*requirement, "ERR-3")
        before = expected[index - 1] if index > 0 else ""
        if _refusal(before) and "ERR-3" not in requirement:
            # the step after a non-fatal refusal: ERR-3, "the connection returns to the
            # idle state" (a shorter word shows a bug of this step's own transition)
            requirement = (*requirement, "ERR-3")
        return Divergence(
            tuple(word), tuple(expected), tuple(observed), index, state, symbol, requirement
        )
    return None
