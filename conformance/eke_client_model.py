"""The sft-eke/1 CLIENT's machine as docs/SPEC.md states it, and a system under learning
that plays it: the kit is the SERVER, each query is ONE run of the target's declared client
command (a get), answered with a word of abstract server actions (model-based testing with
AALpy, as conformance/statemachine.py and conformance/eke_statemachine.py do for servers).

The model (`client_model`) is written from the SPEC, not from the reference: §5.3 (EKE-HS-4,
-5, -7, -9), §5.5 (EKE-REC-1, -5), §1 FRM-5 / FRM-6 (a frame not allowed in the state), §2
ERR-3 (a fatal EROR received: nothing more is sent, not a BYE_, and the close), §3.2's
initiator mirror and §3.3 (APP-GET-2 … -6), §3.7 (APP-BYE-1, -2). Its states, as the
client is in them:

* ``HS`` — the client's EKE1 read (before the word's first input), EKE2 not yet sent;
* ``W4`` — our honest EKE2 answered with an EKE3 that verifies: EKE4 awaited;
* ``WR`` — our EKE4 taken: the client's sealed request RQFL read, RSFL|EROR awaited;
* ``X0`` — RSFL {name, size} sent: the get's one DATA chunk awaited;
* ``X1`` — every announced byte sent: DONE awaited;
* ``CLOSED`` — a sink: every input outputs ``CLOSED``.

The abstract inputs (the kit as the server; before EKE4 every frame goes in clear, after it
sealed as the next s2c record unless named CLEAR_*):

===========  ==============================================================================
EKE2_OK      the honest EKE2 for the client's EKE1 (the password the client was given); after
             one was sent, the same EKE2 again; in the channel an EKE2 of random bytes, sealed
EKE2_BADC2   EKE2 whose confirmation C2 does not verify (one bit of its tag flipped)
EKE4_OK      the honest EKE4 for the client's EKE3 (C4 over its Na); with no EKE3 to answer,
             or in the channel, an EKE4 of random bytes
EKE4_BADTAG  the honest EKE4 with one bit of its tag flipped
RSFL_OK      RSFL {name: the requested name, size: n}
DATA         DATA of the file's n bytes (one chunk: the second is more than announced)
DONE_OK      DONE {size: n, sha256: of the n bytes}
DONE_BADSHA  DONE {size: n, sha256: of other bytes}
EROR_FATAL   EROR internal (11, fatal)
EROR_NF      EROR not_found (6, non-fatal)
CLEAR_DONE   DONE_OK's frame in clear (after EKE4: a plaintext frame, EKE-REC-5)
CLEAR_EROR   EROR not_found in clear (after EKE4: a plaintext frame, EKE-REC-5)
CLOSE        the kit closes the TCP connection (a FIN), nothing more
===========  ==============================================================================

Abstract outputs: ``EKE3`` (a well-formed EKE3 whose C3 verifies over our Ns; else
``EKE3:bad``), ``RQFL`` (sealed, the requested name; else ``RQFL:other``), ``EROR:<name>``
and ``+CLOSE`` when the close follows within ERR-3's allowance, ``BYE+CLOSE``, ``CLOSE``,
``-`` (nothing: the client waits), ``CLOSED``, ``CLEAR:<type>`` for a frame the client sent
in clear after EKE4 (EKE-REC-4), and an output that ends the client's run carries its
ENDING behind a slash: ``/ok`` (success by the declared rule, the file complete under its
final name, nothing else left in the output directory) or ``/fail`` (failure, no file under
the final name, nothing left, APP-STORE-3); anything else is spelled out (``/exit0:none``,
``/exit1:partial``, ``/hung``, ``+junk``). ``KITCLOSE`` is the output of the kit's own close
(the ending follows it). Normalised where the SPEC allows several answers:

* ``END`` — after the DONE that completes the get, and after a non-fatal EROR, the client
  ends the connection as it likes: a close, or a BYE_ then the close (APP-BYE-1, -2); after
  a non-fatal EROR, a fatal EROR then the close too (the SPEC does not say what a client
  that wanted one file does once it is refused);
* ``CLOSE`` — EKE-HS-7's "close" on a C4 that does not verify: a fatal EROR in clear before
  the close is folded in (the SPEC neither asks for nor forbids one); EKE-REC-5's "close,
  after at most a sealed fatal EROR (unexpected_frame or bad_frame)" likewise;
* an out-of-order handshake frame answered ``auth_failed`` is ``unexpected_frame`` (EKE-HS-8
  gives the handshake one code for every failure; EKE-HS-9 says unexpected_frame; both
  fatal, as EKE-HS-9 reads for an early EKE3 at the server).
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from conformance import eke
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
    w_method_words,
)
from conformance.client_model import ending as _ending
from conformance.eke_channel import EkeChannel
from conformance.eke_hostile import (
    ClientResult,
    HostileEkeServer,
    ServerView,
    client_template,
    client_user,
    eke_pw,
    fresh_password,
    run_client,
)
from conformance.scenario import PROMPT_CLOSE
from conformance.statemachine import BudgetExhausted, SpecModel
from conformance.target import Target
from conformance.wire import (
    ERROR_CODES,
    FATAL_CODES,
    Closed,
    Event,
    RawConnection,
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
    "ClientSpecSUL",
    "client_model",
    "client_table",
    "default_words",
    "w_method_words",
]

# The default alphabet: the sequence of an honest get, a fatal EROR, a plaintext frame
# after EKE4 and the kit's close; every input is sent in every state of the model.
INPUTS: Final = (
    "EKE2_OK",
    "EKE4_OK",
    "RSFL_OK",
    "DATA",
    "DONE_OK",
    "EROR_FATAL",
    "CLEAR_DONE",
    "CLOSE",
)
ALL_INPUTS: Final = (
    *INPUTS,
    "EKE2_BADC2",
    "EKE4_BADTAG",
    "DONE_BADSHA",
    "EROR_NF",
    "CLEAR_EROR",
)

# The default word set: one word per (state, input) below, the state's access sequence (the
# honest get's prefix) then the input: 18 of the 36 transitions of INPUTS that end the run,
# every input in at least one state, every state's honest step walked. Kept: what separates
# the states (EKE4 before EKE2, EKE2 again, the request before EKE4, a DONE before RSFL and
# before the bytes, a second RSFL before and after the bytes) and the endings that matter
# most (a fatal EROR in the login, awaiting RSFL and after the last byte; the kit's close in
# the login, mid-get and after the last byte; a plaintext or login frame inside the
# channel; bytes beyond the announced size; the honest DONE). The slow variant's word set
# holds all 36.
DEFAULT_STEPS: Final = (
    ("HS", "EKE4_OK"),
    ("W4", "EKE2_OK"),
    ("W4", "RSFL_OK"),
    ("W4", "EROR_FATAL"),
    ("W4", "CLOSE"),
    ("WR", "EKE4_OK"),
    ("WR", "DONE_OK"),
    ("WR", "EROR_FATAL"),
    ("X0", "RSFL_OK"),
    ("X0", "DONE_OK"),
    ("X0", "CLOSE"),
    ("X1", "EKE2_OK"),
    ("X1", "RSFL_OK"),
    ("X1", "DATA"),
    ("X1", "DONE_OK"),
    ("X1", "EROR_FATAL"),
    ("X1", "CLEAR_DONE"),
    ("X1", "CLOSE"),
)

_HANDSHAKE: Final = ("HS", "W4")
_CLEAR: Final = frozenset({"CLEAR_DONE", "CLEAR_EROR"})
# how long a step that may owe no answer (RSFL, DATA in the channel) is read
_QUIET: Final = 0.25

Transition = tuple[str, str, tuple[str, ...]]


def client_table(state: str, symbol: str) -> Transition:
    """The SPEC's client answer to the server action `symbol` in `state`."""
    if state == "CLOSED":
        return CLOSED, "CLOSED", ("ERR-3",)
    if symbol == "CLOSE":  # the connection ends before DONE: the get fails, nothing kept
        return KITCLOSE + FAIL, "CLOSED", ("APP-GET-5", "FRM-7", "APP-STORE-3")
    if symbol == "EROR_FATAL":  # nothing more on the connection, not a BYE_, the close
        return CLOSE + FAIL, "CLOSED", ("ERR-3",)
    if symbol == "EROR_NF":
        return END + FAIL, "CLOSED", ("ERR-3", "APP-GET-2")
    if state in _HANDSHAKE:
        if symbol == "CLEAR_EROR":  # before the record phase an EROR travels in clear
            return END + FAIL, "CLOSED", ("EKE-HS-9", "ERR-3")
        if state == "HS":
            if symbol == "EKE2_OK":
                return "EKE3", "W4", ("EKE-HS-4", "EKE-HS-5", "EKE-KS-3")
            if symbol == "EKE2_BADC2":
                return "EROR:auth_failed+CLOSE" + FAIL, "CLOSED", ("EKE-HS-4",)
            return UNEXPECTED, "CLOSED", ("EKE-HS-9", "FRM-6")
        if symbol == "EKE4_OK":
            return "RQFL", "WR", ("EKE-HS-7", "EKE-REC-1", "APP-GET-1")
        if symbol == "EKE4_BADTAG":
            return CLOSE + FAIL, "CLOSED", ("EKE-HS-7",)
        return UNEXPECTED, "CLOSED", ("EKE-HS-9", "FRM-6")
    # the record phase: WR, X0, X1
    if symbol in _CLEAR:  # a plaintext frame after EKE4: a failure, the close
        return CLOSE + FAIL, "CLOSED", ("EKE-REC-5",)
    if symbol in ("EKE2_OK", "EKE2_BADC2", "EKE4_OK", "EKE4_BADTAG"):
        return UNEXPECTED, "CLOSED", ("FRM-5",)  # no handshake type inside a record
    if state == "WR":
        if symbol == "RSFL_OK":
            return SILENT, "X0", ("APP-GET-2",)
        # DATA or DONE before RSFL: not allowed while the answer to RQFL is awaited
        return UNEXPECTED, "CLOSED", ("FRM-6", "APP-3")
    if symbol == "RSFL_OK":  # a second RSFL during the get
        return UNEXPECTED, "CLOSED", ("FRM-6", "APP-3")
    if state == "X0":
        if symbol == "DATA":
            return SILENT, "X1", ("APP-GET-2",)
        # DONE before the announced bytes: the count does not match (APP-GET-3)
        return INTEGRITY, "CLOSED", ("APP-GET-3", "APP-GET-6")
    # X1: every announced byte received
    if symbol == "DATA":
        return INTEGRITY, "CLOSED", ("APP-GET-4",)
    if symbol == "DONE_OK":
        return END + OK, "CLOSED", ("APP-GET-3", "APP-GET-6", "APP-BYE-2")
    if symbol == "DONE_BADSHA":
        return INTEGRITY, "CLOSED", ("APP-GET-3", "APP-GET-6")
    raise ValueError(f"no transition for ({state}, {symbol})")


def client_model(alphabet: Sequence[str] = INPUTS) -> SpecModel:
    """The SPEC's client machine over `alphabet`, its states reachable from HS."""
    return table_model(client_table, "HS", alphabet)


def default_words(model: SpecModel) -> list[tuple[str, ...]]:
    """DEFAULT_STEPS as words: each state's access sequence in `model`, then the input."""
    return step_words(model, DEFAULT_STEPS)


def _flip(data: bytes, index: int = -1) -> bytes:
    out = bytearray(data)
    out[index] ^= 0x01
    return bytes(out)


@dataclass
class _Play:
    """One word played against one client run (in the hostile server's thread)."""

    word: tuple[str, ...]
    pw: bytes
    name: str
    content: bytes
    answer_timeout: float
    close_within: float
    outputs: list[str] = field(default_factory=list)
    ended_at: int | None = None  # the index of the output after which the run ended
    raw: RawConnection | None = None
    server: eke.ServerHandshake | None = None
    channel: EkeChannel | None = None
    eke2_sent: bool = False
    eke3_seen: bool = False
    closed: bool = False
    _eke2: dict[str, Any] = field(default_factory=dict)
    _eke4: dict[str, Any] | None = None

    # ------------------------------------------------------------------ the behaviour
    def __call__(self, raw: RawConnection, view: ServerView) -> None:
        self.raw = raw
        first = raw.recv_frame(time.monotonic() + self.answer_timeout)
        if not isinstance(first, ReceivedFrame) or first.type != b"EKE1":
            what = first.describe(60) if isinstance(first, ReceivedFrame) else first.describe()
            self.outputs = [f"NO-EKE1:{what}"] + [CLOSED] * (len(self.word) - 1)
            self.ended_at = 0
            return
        self.server = eke.ServerHandshake(pw=self.pw)
        try:
            self._eke2 = self.server.on_eke1(first.json() or {})
        except eke.EkeError as exc:
            self.outputs = [f"BAD-EKE1:{exc.detail}"] + [CLOSED] * (len(self.word) - 1)
            self.ended_at = 0
            return
        play_word(self)

    # ------------------------------------------------------------------ sending
    def _send(self, frame: bytes, *, clear: bool = False) -> bool:
        assert self.raw is not None
        if self.channel is not None and not clear:
            return self.channel.send_raw(frame)
        return self.raw.send_raw(frame)

    def _step(self, letter: str) -> str:
        if letter == "CLOSE":
            assert self.raw is not None
            self.raw.close()
            self.closed = True
            return KITCLOSE
        frame = self._frame(letter)
        if frame and not self._send(frame, clear=letter in _CLEAR):
            self.closed = True
            return CLOSE
        if letter == "EKE2_OK" and not self.eke2_sent and self.channel is None:
            self.eke2_sent = True
        wait = self.close_within if letter.startswith("EROR") else self.answer_timeout
        if letter in ("RSFL_OK", "DATA") and self.channel is not None:
            # an answer may be owed or not (the model says): a refusal comes at once, and
            # a later one shows at the next step's early read or the drain
            wait = min(_QUIET, wait)
        return self._read(time.monotonic() + wait, letter)

    def _frame(self, letter: str) -> bytes:
        server = self.server
        assert server is not None
        size, digest = len(self.content), hashlib.sha256(self.content).hexdigest()
        if letter in ("EKE2_OK", "EKE2_BADC2"):
            if self.channel is not None:
                random2 = {"b": secrets.token_hex(384), "c": secrets.token_hex(48)}
                return frame_bytes("EKE2", control(random2))
            if self.eke2_sent:  # the same EKE2 again (a retransmission): out of order
                return frame_bytes("EKE2", control(self._eke2))
            eke2 = dict(self._eke2)
            if letter == "EKE2_BADC2":
                eke2["c"] = _flip(bytes.fromhex(str(eke2["c"]))).hex()
                self.eke2_sent = True  # its keys are not the client's: no EKE3 is due
            return frame_bytes("EKE2", control(eke2))
        if letter in ("EKE4_OK", "EKE4_BADTAG"):
            eke4 = self._eke4
            if eke4 is None or self.channel is not None:
                return frame_bytes("EKE4", control({"c": secrets.token_hex(48)}))
            c4 = bytes.fromhex(str(eke4["c"]))
            if letter == "EKE4_BADTAG":
                self._eke4 = None
                return frame_bytes("EKE4", control({"c": _flip(c4).hex()}))
            self._eke4 = None
            frame = frame_bytes("EKE4", control(eke4))
            # the record phase starts behind our EKE4: our frames from here are sealed
            sender, receiver = server.record_layer()
            assert server.keys is not None
            assert self.raw is not None
            self.raw.send_raw(frame)
            self.channel = EkeChannel(self.raw, server.keys, sender, receiver, role="server")
            return b""  # sent already, in clear
        if letter == "RSFL_OK":
            return frame_bytes("RSFL", control({"name": self.name, "size": size}))
        if letter == "DATA":
            return frame_bytes("DATA", self.content)
        if letter in ("DONE_OK", "CLEAR_DONE"):
            return frame_bytes("DONE", control({"size": size, "sha256": digest}))
        if letter == "DONE_BADSHA":
            other = hashlib.sha256(self.content + b"x").hexdigest()
            return frame_bytes("DONE", control({"size": size, "sha256": other}))
        if letter == "EROR_FATAL":
            return frame_bytes("EROR", error_payload("internal", "suite: internal"))
        if letter in ("EROR_NF", "CLEAR_EROR"):
            return frame_bytes("EROR", error_payload("not_found", "suite: no such file"))
        raise ValueError(f"unknown input {letter}")

    # ------------------------------------------------------------------ reading
    def _recv(self, deadline: float) -> Event:
        assert self.raw is not None
        if self.channel is None:
            return self.raw.recv_frame(deadline)
        before = len(self.channel.violations)
        event = self.channel.recv_frame(deadline)
        if len(self.channel.violations) > before:
            fault = self.channel.violations[-1]
            return ReceivedFrame(b"CLR_", fault[:60].encode("utf-8", "replace"))
        return event

    def _read(self, deadline: float, letter: str) -> str:
        if self.closed:
            return CLOSED
        event = self._recv(deadline)
        if isinstance(event, TimedOut):
            return SILENT
        if isinstance(event, Closed):
            self.closed = True
            return self._normal(CLOSE, letter)
        assert isinstance(event, ReceivedFrame)
        said = self._token(event)
        if said == "BYE" or said.startswith("EROR:"):
            fatal = said == "BYE" or self._fatal(event)
            if fatal and self._await_close():
                said += "+" + CLOSE
        return self._normal(said, letter)

    def _token(self, frame: ReceivedFrame) -> str:
        kind = frame.type
        if kind == b"CLR_":
            return "CLEAR:" + frame.payload.decode("utf-8", "replace")
        if kind == b"EKE3" and self.channel is None:
            return self._on_eke3(frame)
        if kind == b"RQFL" and self.channel is not None:
            obj = frame.json() or {}
            return "RQFL" if obj.get("name") == self.name else "RQFL:other"
        if kind == b"EROR":
            return f"EROR:{frame.error_name or 'malformed'}"
        if kind == b"BYE_":
            return "BYE"
        return kind.decode("latin-1")

    @staticmethod
    def _fatal(frame: ReceivedFrame) -> bool:
        code = frame.error_code
        return code is None or code in FATAL_CODES or code not in ERROR_CODES.values()

    def _on_eke3(self, frame: ReceivedFrame) -> str:
        server = self.server
        if server is None or not self.eke2_sent or self.eke3_seen:
            return "EKE3:unasked"
        self.eke3_seen = True
        try:
            self._eke4 = server.on_eke3(frame.json() or {})
        except (eke.EkeError, ValueError, KeyError):
            return "EKE3:bad"
        return "EKE3"

    def _await_close(self) -> bool:
        event = self._recv(time.monotonic() + self.close_within)
        if isinstance(event, Closed):
            self.closed = True
            return True
        return False

    def _normal(self, said: str, letter: str) -> str:
        """The SPEC's several allowed answers, folded (see the module docstring)."""
        fatal_close = said.startswith("EROR:") and said.endswith("+" + CLOSE)
        if letter in ("DONE_OK", "EROR_NF", "CLEAR_EROR") and (
            said in (CLOSE, "BYE+" + CLOSE) or (letter != "DONE_OK" and fatal_close)
        ):
            # (CLEAR_EROR after EKE4 is a plaintext frame: END is not its answer there)
            if not (letter == "CLEAR_EROR" and self.channel is not None):
                return END
        if self.channel is None:
            if letter == "EKE4_BADTAG" and fatal_close and self.eke3_seen:
                return CLOSE  # EKE-HS-7's close, a fatal EROR before it folded in
            if said == "EROR:auth_failed+" + CLOSE and letter != "EKE2_BADC2":
                return "EROR:unexpected_frame+" + CLOSE  # EKE-HS-8 / EKE-HS-9
        elif letter in _CLEAR and said in (
            "EROR:unexpected_frame+" + CLOSE,
            "EROR:bad_frame+" + CLOSE,
        ):
            return CLOSE  # EKE-REC-5: the close, after at most a sealed fatal EROR
        return said


def ending(result: ClientResult, content: bytes, outdir: Path) -> str:
    """The run's ending: ``/ok``, ``/fail`` or what it was (see the module docstring)."""
    leftovers = [p for p in outdir.iterdir() if p != result.out]
    return _ending(result.returncode, result.succeeded, result.out, content, bool(leftovers))


@dataclass
class ClientSpecSUL:
    """The target's eke client command as an AALpy-style SUL: `run(word)` is one client run
    against the kit as the server playing `word`."""

    target: Target
    workdir: Path
    answer_timeout: float = 5.0
    deadline: float = float("inf")
    max_queries: int = 1_000
    sessions: int = 0
    steps: int = 0
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)
    on_transcript: Callable[[Any], None] | None = None
    last: str = ""

    def __post_init__(self) -> None:
        limits = self.target.limits
        timeouts = [t for t in (limits.handshake_timeout, limits.idle_timeout) if t]
        bound = max(0.3, min(PROMPT_CLOSE, 0.8 * min(timeouts))) if timeouts else PROMPT_CLOSE
        self.close_within = bound

    def run(self, word: Sequence[str]) -> list[str]:
        if time.monotonic() > self.deadline or self.sessions >= self.max_queries:
            raise BudgetExhausted(f"budget ended after {self.sessions} client runs")
        self.sessions += 1
        self.steps += len(word)
        started = time.monotonic()
        user = client_user(self.target)
        password = fresh_password()
        run_dir = self.workdir / f"cm-{self.sessions:03d}-{secrets.token_hex(3)}"
        secrets_dir = run_dir / "secret"
        outdir = run_dir / "out"
        secrets_dir.mkdir(parents=True, mode=0o700)
        outdir.mkdir()
        password_file = secrets_dir / "client.password"
        password_file.touch(mode=0o600)
        password_file.write_text(password, encoding="utf-8")
        name = f"cm-{secrets.token_hex(4)}.bin"
        content = secrets.token_bytes(1500)
        play = _Play(
            tuple(word),
            eke_pw(user, password),
            name,
            content,
            self.answer_timeout,
            self.close_within,
        )
        out = outdir / "received.bin"
        timeout = self.answer_timeout * (len(word) + 2) + 10
        with HostileEkeServer(play, timeout=self.answer_timeout, accept_timeout=timeout) as srv:
            result = run_client(
                client_template(self.target),
                host=srv.host,
                port=srv.port,
                name=name,
                out=out,
                user=user,
                password_file=password_file,
                timeout=timeout,
                stdin_template=self.target.client_stdin if self.target.client_cmd else None,
                success=self.target.client_success if self.target.client_cmd else None,
            )
        srv.check()
        if self.on_transcript is not None and srv.view.transcript is not None:
            self.on_transcript(srv.view.transcript)
        outputs = list(play.outputs)
        if not outputs:  # the client never connected
            outputs = [f"NO-CONNECT{ending(result, content, outdir)}"] + [CLOSED] * (
                len(word) - 1
            )
        elif play.ended_at is not None:
            outputs[play.ended_at] += ending(result, content, outdir)
        self.last = result.describe()
        self.seconds += time.monotonic() - started
        return outputs
