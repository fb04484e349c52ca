"""Declarative conversations with a target (docs/ARCHITECTURE.md §5 rule 5, after
tlsfuzzer's conversations).

A `Scenario` is a named sequence of steps — `Send` (bytes or a frame, optionally split
into pieces), `Expect` (one of several acceptable reactions), `Pause`-free by design —
run over any `Channel`. Alternative acceptable endings are written as
`Expect(ExpectError("bad_frame"), ExpectClose())`. `run` returns a `ScenarioResult`
that says which step failed and carries expected-vs-actual evidence.

`transport_of(channel, frames)` gives the connection and the exact bytes that carry
`frames` on the wire for either profile (TLS stream for sft-pki, one sealed `RECD` per
frame for sft-eke), so that a test can split the *transport* bytes arbitrarily [FRM-4].
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from conformance.channel import Channel
from conformance.wire import (
    Closed,
    ConformanceFailure,
    Expectation,
    ExpectError,
    Outcome,
    RawConnection,
    ReceivedFrame,
    _judge_unfinished,
    control,
    deadline_after,
    frame_bytes,
)

__all__ = [
    "Send",
    "SendFrame",
    "Expect",
    "Step",
    "Scenario",
    "ScenarioResult",
    "transport_of",
    "send_split_frames",
    "PROMPT_CLOSE",
    "expect_fatal",
    "expect_prompt_close",
]

# ERR-3: the close follows a fatal EROR at once. A target that waits for the peer (or a
# timeout) first FAILs after this long instead of costing each case its whole timeout.
PROMPT_CLOSE: Final = 2.0

BYTEWISE = "bytewise"


@dataclass(frozen=True)
class Send:
    """Bytes inside the channel, exactly as given; `chunks` splits the writes."""

    data: bytes
    chunks: Sequence[int] | str | None = None  # sizes, BYTEWISE, or None: one write
    note: str = ""

    def run(self, channel: Channel) -> bool:
        if self.chunks is None:
            return channel.send_raw(self.data)
        sizes = None if isinstance(self.chunks, str) else [int(c) for c in self.chunks]
        return send_split_frames(channel, [self.data], sizes)

    def describe(self) -> str:
        split = "" if self.chunks is None else f" split {self.chunks}"
        return f"send {self.note or self.data[:16].hex(' ')}{split}"


@dataclass(frozen=True)
class SendFrame:
    """One frame; a mapping payload is JSON-encoded; `length` lies about the length."""

    type: bytes | str
    payload: bytes | Mapping[str, Any] = b""
    length: int | None = None

    def encoded(self) -> bytes:
        body = control(self.payload) if isinstance(self.payload, Mapping) else self.payload
        return frame_bytes(self.type, body, length=self.length)

    def run(self, channel: Channel) -> bool:
        return channel.send_raw(self.encoded())

    def describe(self) -> str:
        label = self.type if isinstance(self.type, str) else self.type.decode("latin-1")
        return f"send {label}"


@dataclass(frozen=True)
class Expect:
    """One of these reactions, within `timeout` (None: the channel's default)."""

    one_of: tuple[Expectation, ...]
    timeout: float | None = None
    skip: tuple[bytes | str, ...] = ()

    def __init__(
        self,
        *one_of: Expectation,
        timeout: float | None = None,
        skip: Sequence[bytes | str] = (),
    ) -> None:
        object.__setattr__(self, "one_of", one_of)
        object.__setattr__(self, "timeout", timeout)
        object.__setattr__(self, "skip", tuple(skip))

    def run(self, channel: Channel) -> Outcome:
        return channel.expect(list(self.one_of), self.timeout, skip=self.skip)


Step = Send | SendFrame | Expect


@dataclass
class ScenarioResult:
    scenario: Scenario
    outcomes: list[Outcome] = field(default_factory=list)
    failed_step: int | None = None
    unsent: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.failed_step is None

    @property
    def last(self) -> Outcome | None:
        return self.outcomes[-1] if self.outcomes else None

    def describe(self) -> str:
        head = f"scenario {self.scenario.name!r} [{', '.join(self.scenario.reqs)}]"
        if self.ok:
            return head + ": as expected"
        step = self.scenario.steps[self.failed_step or 0]
        parts = [f"{head}: step {self.failed_step} ({_describe_step(step)}) failed"]
        if self.unsent:
            parts.append(
                "the target closed before the suite finished sending: " + "; ".join(self.unsent)
            )
        if self.last is not None:
            parts.append(self.last.describe())
        return "\n".join(parts)

    def check(self) -> ScenarioResult:
        if not self.ok:
            last = self.last
            tail = ""
            if last is not None and last.transcript is not None:
                tail = f"\nTranscript (last entries):\n{last.transcript.tail()}"
            raise ConformanceFailure(self.describe() + tail)
        return self


def _describe_step(step: Step) -> str:
    if isinstance(step, Expect):
        return "expect " + " | ".join(e.describe() for e in step.one_of)
    return step.describe()


@dataclass(frozen=True)
class Scenario:
    """A named conversation: steps in order; the requirement IDs it checks."""

    name: str
    steps: tuple[Step, ...]
    reqs: tuple[str, ...] = ()

    def run(self, channel: Channel) -> ScenarioResult:
        result = ScenarioResult(self)
        for index, step in enumerate(self.steps):
            if isinstance(step, Expect):
                outcome = step.run(channel)
                result.outcomes.append(outcome)
                if not outcome.ok:
                    result.failed_step = index
                    return result
            elif not step.run(channel):
                # The target may legitimately close early (it refused what it saw so far):
                # the next Expect judges that, so sending on is not a failure by itself.
                result.unsent.append(step.describe())
        return result


def transport_of(channel: Channel, frames: Sequence[bytes]) -> tuple[RawConnection, bytes]:
    """The connection that carries `channel` and the exact wire bytes of `frames` on it.

    sft-pki: the TLS socket itself (application bytes go straight into the TLS stream).
    sft-eke: the underlying TCP connection and one sealed `RECD` record per frame
    (EKE-REC-1: a record holds exactly one frame), so splitting applies to records.
    """
    seal: Callable[[bytes], bytes] | None = getattr(channel, "seal", None)
    raw = getattr(channel, "raw", None)
    if seal is not None and isinstance(raw, RawConnection):
        records = b"".join(seal(frame) for frame in frames)
        channel.transcript.add("event", note=f"{len(frames)} frame(s) sealed for a split send")
        return raw, records
    if isinstance(channel, RawConnection):
        return channel, b"".join(frames)
    raise TypeError(f"cannot split writes on {type(channel).__name__}")


def send_split_frames(
    channel: Channel, frames: Sequence[bytes], chunks: Sequence[int] | None = None
) -> bool:
    """Sends `frames` (pipelined, in one stream) split into `chunks` sizes, or byte by byte."""
    conn, data = transport_of(channel, frames)
    if conn is not channel:
        for frame in frames:
            channel.transcript.add("send", frame, "inner frame (plaintext)")
    return conn.send_split(data, chunks)


def expect_prompt_close(channel: Channel, error: ReceivedFrame, context: str) -> None:
    """After the fatal `error`, the connection ends within PROMPT_CLOSE seconds [ERR-3].

    The FAIL names ERR-3 alone (ConformanceFailure.violates): the right EROR came, so
    whatever else the case cites (the check that chose that EROR) was met."""
    event = channel.recv_frame(deadline_after(PROMPT_CLOSE))
    # A close holding bytes after the EROR (a line end, a stray partial frame) is not the
    # close ERR-3 asks for [FRM-1, ERR-3]; nor is the suite's own close after a record it
    # could not open (`judge_close`). As `wire.expect_on` judges a fatal EROR's close.
    try:
        _judge_unfinished(channel, event, "after the fatal EROR", any_bytes=True)
    except ConformanceFailure as exc:  # bytes, not the close, followed the EROR
        exc.violates = ("FRM-1", "ERR-3")
        raise
    judge_close = getattr(channel, "judge_close", None)
    if judge_close is not None:
        judge_close(event)
    if not isinstance(event, Closed):
        failure = ConformanceFailure.evidence(
            f"ERR-3: {context}",
            f"the connection closed within {PROMPT_CLOSE:g} s of {error.describe(80)}",
            event.describe(),
            "after a fatal EROR the target must close at once and process nothing more",
        )
        failure.violates = ("ERR-3",)
        raise failure


def expect_fatal(
    channel: Channel,
    *codes: str,
    context: str,
    timeout: float | None = None,
    violates: tuple[str, ...] = (),
) -> ReceivedFrame:
    """An `EROR` with one of `codes` (fatal ones), then a prompt close [ERR-3].

    `violates`, when given: what a missing or wrong EROR breaks, FAILed alone (not ERR-3,
    which is about the close after a right one). A late close FAILs ERR-3 alone."""
    outcome = channel.expect([ExpectError(*codes, then_close=False)], timeout)
    try:
        outcome.check(context)
    except ConformanceFailure as exc:
        exc.violates = exc.violates or violates
        raise
    assert outcome.frame is not None
    expect_prompt_close(channel, outcome.frame, context)
    return outcome.frame
