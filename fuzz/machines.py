"""Stateful fuzzing: a `RuleBasedStateMachine` per profile walks the honest protocol and,
at any state, injects a mutation.

The machine keeps a model of the responder's state (§3.2: IDLE, RECEIVING, CLOSED) and
of the put in progress. Honest rules (get, put start, DATA, DONE, pipelined gets) check
each answer as it arrives; `inject` sends a mutated frame of the current state (or a
frame of another state, FRM-6) and then ends the session: the target must answer with
EROR/close or handle it, within the deadline, and a fresh honest session must still
succeed. Hypothesis shrinks a failing run to the shortest sequence of steps; the
session's writes are then saved as a replayable case.
"""

from __future__ import annotations

import hashlib
import time
from typing import Any, ClassVar

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, precondition, rule

from conformance.target import Target
from conformance.wire import FATAL_CODES, control, frame_bytes
from fuzz.campaign import BudgetSpent, FindingRecorder, Fuzzer
from fuzz.cases import Case, Write
from fuzz.mutators import Mutation, apply_all
from fuzz.oracles import Violation, check_outcome
from fuzz.runner import Session, SetupFailed, honest_session
from fuzz.strategies import app_frames, mutations, names, rqfl

__all__ = ["SftMachine", "machine_for"]

_ANSWER_TIMEOUT = 5.0


class SftMachine(RuleBasedStateMachine):
    """Bound to a target by `machine_for`; one instance per hypothesis run."""

    fuzzer: ClassVar[Fuzzer]
    recorder: ClassVar[FindingRecorder]
    budget_end: ClassVar[float] = float("inf")  # time.monotonic() after which runs stop

    def __init__(self) -> None:
        super().__init__()
        self.session: Session | None = None
        self.state = "CLOSED"
        self.put_data = bytearray()
        self.put_size = 0
        self._pending = b""

    # -- helpers --

    @property
    def target(self) -> Target:
        return self.fuzzer.target

    def _fail(self, violations: list[Violation]) -> None:
        if not violations:
            return
        sent = tuple(self.session.sent) if self.session else ()
        profile = self.target.profile if self.target.profile in ("pki", "eke") else "eke"
        self.recorder.record(Case(profile, "channel", sent, ("stateful",)), violations)  # type: ignore[arg-type]
        raise AssertionError("\n".join(str(v) for v in violations))

    def _open(self) -> None:
        try:
            self.session = Session(self.target, self.fuzzer.config)
        except SetupFailed as exc:
            self._fail([Violation("LIM-5", f"cannot open an honest channel: {exc}")])
        self.state = "IDLE"

    def _end_session(self) -> None:
        """Half-close, judge everything the session saw, probe liveness."""
        assert self.session is not None
        outcome = self.session.finish(self.fuzzer.config.deadline)
        self.fuzzer.stats.sessions += 1
        self.fuzzer.stats.responses[outcome.signature()] += 1
        found = check_outcome(outcome, self.fuzzer.secrets, self.fuzzer.config.deadline)
        live = honest_session(self.target, self.fuzzer.config, self.fuzzer.secrets.files)
        self.fuzzer.stats.sessions += 1
        if not live.ok:
            found.append(Violation(live.requirement, f"fresh honest session failed: {live.detail}"))
        self.session = None
        self.state = "CLOSED"
        self._fail(found)

    def _answer(self, stop: tuple[bytes, ...]) -> list[Any]:
        assert self.session is not None
        frames = self.session.read_until(stop, _ANSWER_TIMEOUT)
        if any(f.type == b"EROR" and (f.error_code or 0) in FATAL_CODES for f in frames):
            self._end_session()
        elif self.session.closed:
            self._end_session()
        return frames

    # -- rules --

    @initialize()
    def connect(self) -> None:
        if time.monotonic() > self.budget_end and self.recorder.last is None:
            raise BudgetSpent
        self.fuzzer.stats.examples += 1
        self._open()

    @precondition(lambda self: self.state == "CLOSED")
    @rule()
    def reconnect(self) -> None:
        self._open()

    @precondition(lambda self: self.state == "IDLE")
    @rule(data=st.data())
    def get(self, data: st.DataObject) -> None:
        assert self.session is not None
        frame = data.draw(rqfl(self.fuzzer.knowledge))
        self.session.send(Write(frame))
        frames = self._answer((b"DONE", b"EROR"))
        if frames and frames[0].type == b"RSFL" and frames[-1].type != b"DONE" and self.session:
            self._fail([Violation("APP-GET-2", "a get was answered RSFL but no DONE followed")])

    @precondition(lambda self: self.state == "IDLE")
    @rule(token=st.binary(min_size=6, max_size=6), content=st.binary(min_size=1, max_size=512))
    def start_put(self, token: bytes, content: bytes) -> None:
        assert self.session is not None
        name = f"fuzz-sm-{token.hex()}.bin"
        self.session.send(Write(frame_bytes("PUTF", control({"name": name, "size": len(content)}))))
        frames = self._answer((b"RSFL", b"EROR"))
        if self.session and frames and frames[-1].type == b"RSFL":
            self.state = "RECEIVING"
            self.put_size = len(content)
            self.put_data = bytearray()
            self._pending = content

    @precondition(lambda self: self.state == "RECEIVING" and len(self.put_data) < self.put_size)
    @rule(pieces=st.integers(1, 3))
    def send_data(self, pieces: int) -> None:
        assert self.session is not None
        rest = self._pending[len(self.put_data) :]
        piece = rest[: max(1, len(rest) // pieces)]
        self.session.send(Write(frame_bytes("DATA", piece)))
        self.put_data += piece

    @precondition(lambda self: self.state == "RECEIVING" and len(self.put_data) == self.put_size)
    @rule()
    def finish_put(self) -> None:
        assert self.session is not None
        digest = hashlib.sha256(self.put_data).hexdigest()
        self.session.send(
            Write(frame_bytes("DONE", control({"size": self.put_size, "sha256": digest})))
        )
        frames = self._answer((b"DONE", b"EROR"))
        if self.session is not None:
            self.state = "IDLE"
            if frames and frames[-1].type == b"DONE":
                ack = frames[-1].json() or {}
                if ack.get("sha256") != digest:
                    self._fail([Violation("APP-PUT-5", "put acknowledged with another SHA-256")])

    @precondition(lambda self: self.state in ("IDLE", "RECEIVING"))
    @rule(data=st.data())
    def inject(self, data: st.DataObject) -> None:
        """A mutated frame of this state, or a valid frame of another state, then EOF."""
        assert self.session is not None
        knowledge = self.fuzzer.knowledge
        if self.state == "RECEIVING":
            honest = st.one_of(
                st.binary(min_size=1, max_size=64).map(lambda b: frame_bytes("DATA", b)),
                st.just(frame_bytes("DONE", control({"size": self.put_size, "sha256": "0" * 64}))),
                app_frames(knowledge),
            )
        else:
            honest = st.one_of(
                rqfl(knowledge),
                names().map(lambda n: frame_bytes("PUTF", control({"name": n, "size": 1}))),
                app_frames(knowledge),
            )
        frame = data.draw(honest)
        profile = self.target.profile if self.target.profile in ("pki", "eke") else "eke"
        muts: list[Mutation] = data.draw(
            st.lists(mutations(profile, "channel", knowledge), min_size=1, max_size=2)
        )
        for write in apply_all((Write(frame),), muts):
            if not self.session.send(write):
                break
        self._end_session()

    def teardown(self) -> None:
        if self.session is not None:
            self._end_session()


def machine_for(
    fuzzer: Fuzzer, recorder: FindingRecorder, budget_seconds: float = float("inf")
) -> type[SftMachine]:
    """A machine class bound to one target (hypothesis instantiates it per run)."""
    return type(
        f"SftMachine_{fuzzer.target.profile.replace('-', '_')}",
        (SftMachine,),
        {
            "fuzzer": fuzzer,
            "recorder": recorder,
            "budget_end": time.monotonic() + budget_seconds,
        },
    )
