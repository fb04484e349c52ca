"""The sft-pki/1 INITIATOR's get as docs/SPEC.md states it, and a system under learning
that plays it: the kit is the RESPONDER (an honest TLS 1.3 responder with the lab
certificate of the alias the initiator asks for, conformance/pki_channel.HostileResponder),
each query is ONE run of the target's declared pki client command (a get), answered with
a word of abstract responder actions (model-based testing with AALpy, as
conformance/eke_client_model.py does for the sft-eke/1 client).

The model (`initiator_model`) is written from the SPEC, not from the reference: §1 FRM-5 /
FRM-6 / FRM-7, §2 ERR-3, §3.2's initiator mirror ("awaiting RSFL|EROR after a request;
receiving DATA* DONE during a get"), §3.3 APP-GET-2 … -6, §3.6 APP-STORE-3, §3.7
APP-BYE-1 / -2, §4.1 PKI-TLS-6 / -7. Its states, as the initiator is in them:

* ``WR`` — its RQFL read (before the word's first input): RSFL|EROR awaited;
* ``X0`` — RSFL {name, size n} sent, none of the n bytes yet;
* ``XH`` — the first half of the bytes sent;
* ``X1`` — every announced byte sent: DONE awaited;
* ``CLOSED`` — a sink: every input outputs ``CLOSED``.

The abstract inputs (the kit as the responder, every frame inside the TLS stream):

============  =============================================================================
RSFL_OK       RSFL {name: the requested name, size: n}
RSFL_REFUSE   EROR not_found (6, non-fatal): the request refused (APP-GET-2)
DATA          DATA of the next half of the n bytes (a third DATA is more than announced)
DONE_OK       DONE {size: n, sha256: of the n bytes}
DONE_BADSHA   DONE {size: n, sha256: of other bytes}
DONE_SHORT    DONE {size: n/2, sha256: of the first half} (the count of a half-sent get)
EROR_FATAL    EROR internal (11, fatal)
BYE_          a BYE_ from the responder (R→I only as the echo of the initiator's BYE_)
UNKNOWN       NOOP, empty (a type the profile does not define, FRM-5)
CLOSE_NOTIFY  the kit ends the TLS stream cleanly (close_notify, then the FIN)
TCP_CLOSE     the kit closes the TCP connection without close_notify (a truncation)
============  =============================================================================

Abstract outputs: ``EROR:<name>`` and ``+CLOSE`` when the initiator's close (close_notify
and the FIN) follows within ERR-3's allowance (``+CLOSE:fin`` / ``+CLOSE:reset`` for a
close without close_notify, PKI-TLS-7), ``BYE``, ``CLOSE``, ``-`` (nothing: the initiator
waits), ``CLOSED``, ``KITCLOSE`` (the kit's own close), and an output that ends the run
carries its ENDING behind a slash: ``/ok`` (success by the declared rule, the file
complete under its final name, nothing else left in the output directory) or ``/fail``
(failure, nothing under the final name, nothing left: APP-STORE-3); anything else is
spelled out (``/success:no-file``, ``/failed-but-kept:partial``, ``/hung``, ``+junk``).
Normalised where the SPEC allows several answers:

* ``END`` — after the DONE that completes the get, and after a non-fatal EROR, the
  initiator ends the connection as it likes: a close (close_notify), or a BYE_ (the kit
  answers it as APP-BYE-1 lets a responder: the echo, then its close); after a non-fatal
  EROR, a fatal EROR then the close too (the SPEC does not say what an initiator that wanted
  one file does once it is refused, nor what a non-fatal EROR in the middle of a get's DATA
  is: ending the get as failed is read as the only answer);
* a ``BYE_`` the initiator pipelines behind its RQFL (APP-2) before any answer came is
  not an answer: it is skipped (at most a few).
"""

from __future__ import annotations

import contextlib
import hashlib
import secrets
import socket
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from conformance._wire_fixtures import (
    InitiatorRun,
    TranscriptBook,
    lab_pki,
    leftovers,
    responder_alias,
    run_initiator_watched,
)
from conformance.client_model import (
    CLOSE,
    CLOSED,
    END,
    FAIL,
    INTEGRITY,
    KITCLOSE,
    OK,
    SILENT,
    UNEXPECTED,
    play_word,
    step_words,
    table_model,
)
from conformance.client_model import ending as _ending
from conformance.pki_channel import PkiChannel, ended_cleanly
from conformance.scenario import PROMPT_CLOSE
from conformance.statemachine import BudgetExhausted, SpecModel
from conformance.target import Target
from conformance.wire import (
    ERROR_CODES,
    FATAL_CODES,
    Closed,
    ReceivedFrame,
    TimedOut,
    control,
    error_payload,
    frame_bytes,
)

__all__ = [
    "ALL_INPUTS",
    "DEFAULT_STEPS",
    "INPUTS",
    "InitiatorSpecSUL",
    "default_words",
    "initiator_model",
    "implicated",
    "initiator_table",
]

INPUTS: Final = (
    "RSFL_OK",
    "RSFL_REFUSE",
    "DATA",
    "DONE_OK",
    "DONE_BADSHA",
    "EROR_FATAL",
    "BYE_",
    "UNKNOWN",
    "CLOSE_NOTIFY",
    "TCP_CLOSE",
)
ALL_INPUTS: Final = (*INPUTS, "DONE_SHORT")

# The default word set: the honest get and 17 transitions that end the run, each behind its
# state's access sequence (the honest get's prefix): what separates the states (a DONE or
# DATA before RSFL, a second RSFL before and after the bytes, a DONE before the bytes,
# bytes beyond the announced size, an undefined type once the bytes are in) and the endings
# that matter most (a refusal, a fatal EROR answering the request, before the first byte
# and after the last, the responder's BYE_ before RSFL and mid-get, the end of the stream
# with and without close_notify mid-get and after the last byte). The slow variant's W-method
# set holds every transition.
DEFAULT_STEPS: Final = (
    ("WR", "RSFL_REFUSE"),
    ("WR", "DATA"),
    ("WR", "DONE_OK"),
    ("WR", "BYE_"),
    ("WR", "EROR_FATAL"),
    ("X0", "RSFL_OK"),
    ("X0", "EROR_FATAL"),
    ("X0", "DONE_OK"),
    ("XH", "BYE_"),
    ("X1", "UNKNOWN"),
    ("XH", "CLOSE_NOTIFY"),
    ("X1", "RSFL_OK"),
    ("X1", "DATA"),
    ("X1", "DONE_OK"),
    ("X1", "DONE_BADSHA"),
    ("X1", "EROR_FATAL"),
    ("X1", "CLOSE_NOTIFY"),
    ("X1", "TCP_CLOSE"),
)

_DONES: Final = frozenset({"DONE_OK", "DONE_BADSHA", "DONE_SHORT"})
_KIT_ENDS: Final = frozenset({"CLOSE_NOTIFY", "TCP_CLOSE"})
# how long a step that may owe no answer (RSFL, DATA) is read
_QUIET: Final = 0.25
# BYE_ frames pipelined behind the RQFL skipped at most (APP-2)
_PIPELINED: Final = 4

Transition = tuple[str, str, tuple[str, ...]]


def initiator_table(state: str, symbol: str) -> Transition:
    """The SPEC's initiator answer to the responder action `symbol` in `state`."""
    if state == "CLOSED":
        return CLOSED, "CLOSED", ("ERR-3",)
    if symbol == "CLOSE_NOTIFY":  # the stream ends before DONE: the get fails
        return KITCLOSE + FAIL, "CLOSED", ("APP-GET-5", "APP-STORE-3")
    if symbol == "TCP_CLOSE":  # a FIN without close_notify: a truncation
        return KITCLOSE + FAIL, "CLOSED", ("PKI-TLS-6", "APP-GET-5", "APP-STORE-3")
    if symbol == "EROR_FATAL":  # nothing more on the connection, not a BYE_, the close
        return CLOSE + FAIL, "CLOSED", ("ERR-3", "PKI-TLS-7", "APP-STORE-3")
    if symbol == "RSFL_REFUSE":  # the get refused (or ended by the responder's EROR)
        return END + FAIL, "CLOSED", ("APP-GET-2", "ERR-3", "APP-STORE-3")
    if symbol == "UNKNOWN":
        return UNEXPECTED, "CLOSED", ("FRM-5",)
    if symbol == "BYE_":  # R→I only as the echo of the initiator's BYE_
        return UNEXPECTED, "CLOSED", ("FRM-6", "APP-BYE-1")
    if state == "WR":
        if symbol == "RSFL_OK":
            return SILENT, "X0", ("APP-GET-2",)
        # DATA or DONE before RSFL: not allowed while the answer to RQFL is awaited
        return UNEXPECTED, "CLOSED", ("FRM-6", "APP-3")
    if symbol == "RSFL_OK":  # a second RSFL during the get
        return UNEXPECTED, "CLOSED", ("FRM-6", "APP-3")
    if symbol == "DATA":
        if state == "X0":
            return SILENT, "XH", ("APP-GET-2",)
        if state == "XH":
            return SILENT, "X1", ("APP-GET-2",)
        return INTEGRITY, "CLOSED", ("APP-GET-4",)
    if symbol in _DONES:
        if state == "X1" and symbol == "DONE_OK":
            return END + OK, "CLOSED", ("APP-GET-3", "APP-GET-6", "APP-BYE-2")
        # the count or the digest does not match (APP-GET-3): nothing kept
        return INTEGRITY, "CLOSED", ("APP-GET-3", "APP-GET-6", "APP-STORE-3")
    raise ValueError(f"no transition for ({state}, {symbol})")


def implicated(symbol: str, expected: str, observed: str) -> tuple[str, ...]:
    """The SPEC IDs the way `observed` differs from `expected` breaks, besides those of
    the transition: the manner of the close (PKI-TLS-7), a close that does not follow a
    fatal EROR at once (ERR-3), a BYE_ outside "between transfers" (APP-BYE-2; after a
    fatal EROR: ERR-3), a file kept or success reported for a get that failed (APP-GET-6;
    APP-GET-5 when it ended before DONE)."""
    extra: list[str] = []
    if f"{CLOSE}:" in observed and f"{CLOSE}:" not in expected:
        extra.append("PKI-TLS-7")
    if "+" + CLOSE in expected and "+" + CLOSE not in observed:
        extra += ["ERR-3", "PKI-TLS-7"]
    if "BYE" in observed and "BYE" not in expected and END not in expected:
        extra.append("APP-BYE-2")
        if symbol == "EROR_FATAL":
            extra.append("ERR-3")
    if FAIL in expected and any(k in observed for k in ("/success", "/failed-but-kept", OK)):
        extra.append("APP-GET-6")
        if symbol in _KIT_ENDS or symbol in ("EROR_FATAL", "BYE_"):
            extra.append("APP-GET-5")
    return tuple(dict.fromkeys(extra))


def initiator_model(alphabet: Sequence[str] = INPUTS) -> SpecModel:
    """The SPEC's initiator machine over `alphabet`, its states reachable from WR."""
    return table_model(initiator_table, "WR", alphabet)


def default_words(model: SpecModel) -> list[tuple[str, ...]]:
    """DEFAULT_STEPS as words: each state's access sequence in `model`, then the input."""
    return step_words(model, DEFAULT_STEPS)


@dataclass
class _Play:
    """One word played against one initiator run (in the hostile responder's thread)."""

    word: tuple[str, ...]
    name: str
    content: bytes
    answer_timeout: float
    close_within: float
    outputs: list[str] = field(default_factory=list)
    ended_at: int | None = None  # the index of the output after which the run ended
    channel: PkiChannel | None = None
    sent_bytes: int = 0
    answered: bool = False  # an answer (RSFL, EROR, DONE) or the kit's close was sent
    pipelined: int = 0
    closed: bool = False
    notes: list[str] = field(default_factory=list)

    def __call__(self, channel: PkiChannel) -> None:
        self.channel = channel
        first = channel.recv_frame(time.monotonic() + max(self.answer_timeout, 10.0))
        if not isinstance(first, ReceivedFrame) or first.type != b"RQFL":
            what = first.describe(60) if isinstance(first, ReceivedFrame) else first.describe()
            self.outputs = [f"NO-RQFL:{what}"] + [CLOSED] * (len(self.word) - 1)
            self.ended_at = 0
            return
        asked = (first.json() or {}).get("name")
        if asked != self.name:
            self.notes.append(f"the RQFL asked for {asked!r}, not {self.name!r}")
        play_word(self)

    # ------------------------------------------------------------------ sending
    def _step(self, letter: str) -> str:
        channel = self.channel
        assert channel is not None
        if letter in _KIT_ENDS:
            self.closed = True
            self.answered = True
            if letter == "TCP_CLOSE":
                with contextlib.suppress(OSError):
                    socket.socket.shutdown(channel.sock, socket.SHUT_RDWR)
            channel.close()
            return KITCLOSE
        self.answered = self.answered or letter not in ("BYE_", "UNKNOWN")
        if not channel.send_raw(self._frame(letter)):
            self.closed = True
            return CLOSE + ":before-" + letter
        wait = self.close_within if letter.startswith("EROR") else self.answer_timeout
        if letter in ("RSFL_OK", "DATA"):
            # an answer may be owed or not (the model says): a refusal comes at once, and
            # a later one shows at the next step's early read or the drain
            wait = min(_QUIET, wait)
        return self._read(time.monotonic() + wait, letter)

    def _frame(self, letter: str) -> bytes:
        size, digest = len(self.content), hashlib.sha256(self.content).hexdigest()
        half = size // 2
        if letter == "RSFL_OK":
            return frame_bytes("RSFL", control({"name": self.name, "size": size}))
        if letter == "RSFL_REFUSE":
            return frame_bytes("EROR", error_payload("not_found", "suite: no such file"))
        if letter == "DATA":
            if self.sent_bytes >= size:  # beyond the announced size: the first half again
                return frame_bytes("DATA", self.content[:half])
            end = half if self.sent_bytes < half else size
            chunk = self.content[self.sent_bytes : end]
            self.sent_bytes = end
            return frame_bytes("DATA", chunk)
        if letter == "DONE_OK":
            return frame_bytes("DONE", control({"size": size, "sha256": digest}))
        if letter == "DONE_BADSHA":
            other = hashlib.sha256(self.content + b"x").hexdigest()
            return frame_bytes("DONE", control({"size": size, "sha256": other}))
        if letter == "DONE_SHORT":
            first = hashlib.sha256(self.content[:half]).hexdigest()
            return frame_bytes("DONE", control({"size": half, "sha256": first}))
        if letter == "EROR_FATAL":
            return frame_bytes("EROR", error_payload("internal", "suite: internal"))
        if letter == "BYE_":
            return frame_bytes("BYE_", control({}))
        if letter == "UNKNOWN":  # empty: nothing to parse, nothing to skip it for
            return frame_bytes("NOOP", b"")
        raise ValueError(f"unknown input {letter}")

    # ------------------------------------------------------------------ reading
    def _close_token(self, event: Closed) -> str:
        if ended_cleanly(event):
            return CLOSE
        return f"{CLOSE}:{'fin' if event.kind == 'eof' else event.kind}"

    def _read(self, deadline: float, letter: str) -> str:
        if self.closed:
            return CLOSED
        channel = self.channel
        assert channel is not None
        event = channel.recv_frame(deadline)
        for _ in range(_PIPELINED):  # bounded: a BYE_ pipelined behind the RQFL (APP-2)
            if not (
                isinstance(event, ReceivedFrame)
                and event.type == b"BYE_"
                and not self.answered
                and not self.outputs
                and letter == ""
            ):
                break
            self.pipelined += 1
            event = channel.recv_frame(deadline)
        if isinstance(event, TimedOut):
            return SILENT
        if isinstance(event, Closed):
            self.closed = True
            return self._normal(self._close_token(event), letter)
        assert isinstance(event, ReceivedFrame)
        said = self._token(event)
        if said == "BYE" and letter in ("DONE_OK", "RSFL_REFUSE"):
            # the get is over: answered as a responder may (the echo, then the close)
            with contextlib.suppress(OSError):
                channel.send_raw(frame_bytes("BYE_", control({})))
            channel.close()
            self.closed = True
            return END
        if said == "BYE" or said.startswith("EROR:"):
            fatal = said == "BYE" or self._fatal(event)
            if fatal:
                closed = self._await_close()
                if closed is not None:
                    said += "+" + closed
        return self._normal(said, letter)

    @staticmethod
    def _token(frame: ReceivedFrame) -> str:
        kind = frame.type
        if kind == b"EROR":
            return f"EROR:{frame.error_name or 'malformed'}"
        if kind == b"BYE_":
            return "BYE"
        return kind.decode("latin-1")

    @staticmethod
    def _fatal(frame: ReceivedFrame) -> bool:
        code = frame.error_code
        return code is None or code in FATAL_CODES or code not in ERROR_CODES.values()

    def _await_close(self) -> str | None:
        assert self.channel is not None
        event = self.channel.recv_frame(time.monotonic() + self.close_within)
        if isinstance(event, Closed):
            self.closed = True
            return self._close_token(event)
        if isinstance(event, ReceivedFrame):
            return "then:" + self._token(event)
        return None

    def _normal(self, said: str, letter: str) -> str:
        """The SPEC's several allowed answers, folded (see the module docstring)."""
        fatal_close = said.startswith("EROR:") and said.endswith("+" + CLOSE)
        if letter == "DONE_OK" and said == CLOSE:
            return END
        if letter == "RSFL_REFUSE" and (said == CLOSE or fatal_close):
            return END
        return said


def ending(run: InitiatorRun, content: bytes) -> str:
    """The run's ending: ``/ok``, ``/fail`` or what it was (see the module docstring)."""
    return _ending(run.returncode, run.succeeded, run.out, content, bool(leftovers(run)))


@dataclass
class InitiatorSpecSUL:
    """The target's pki client command as an AALpy-style SUL: `run(word)` is one get
    against the kit as the responder playing `word`."""

    target: Target
    workdir: Path
    transcripts: TranscriptBook
    answer_timeout: float = 5.0
    deadline: float = float("inf")
    max_queries: int = 1_000
    sessions: int = 0
    steps: int = 0
    seconds: float = 0.0
    on_transcript: Callable[[Any], None] | None = None
    last: str = ""
    notes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        idle = self.target.limits.idle_timeout
        self.close_within = max(0.3, min(PROMPT_CLOSE, 0.8 * idle)) if idle else PROMPT_CLOSE
        self._cert = lab_pki(self.target).employee(responder_alias(self.target))

    def run(self, word: Sequence[str]) -> list[str]:
        if time.monotonic() > self.deadline or self.sessions >= self.max_queries:
            raise BudgetExhausted(f"budget ended after {self.sessions} client runs")
        self.sessions += 1
        self.steps += len(word)
        started = time.monotonic()
        run_dir = self.workdir / f"pm-{self.sessions:03d}-{secrets.token_hex(3)}"
        outdir = run_dir / "out"
        outdir.mkdir(parents=True)
        name = f"pm-{secrets.token_hex(4)}.bin"
        content = secrets.token_bytes(3000)
        play = _Play(tuple(word), name, content, self.answer_timeout, self.close_within)
        book = TranscriptBook()
        run, hostile = run_initiator_watched(
            self.target,
            run_dir,
            book,
            cert=self._cert,
            script=play,
            out=outdir / "received.bin",
            name=name,
            timeout=self.answer_timeout * (len(word) + 2) + 10,
        )
        if hostile.script_errors:
            raise RuntimeError(f"harness fault in the kit's responder: {hostile.script_errors}")
        if self.on_transcript is not None:
            for transcript in hostile.transcripts:
                self.on_transcript(transcript)
        outputs = list(play.outputs)
        if not outputs:  # the client never reached the kit's script
            outputs = [f"NO-CONNECT{ending(run, content)}"] + [CLOSED] * (len(word) - 1)
        elif play.ended_at is not None:
            outputs[play.ended_at] += ending(run, content)
        self.last = run.describe() + (f"; {'; '.join(play.notes)}" if play.notes else "")
        self.seconds += time.monotonic() - started
        return outputs
