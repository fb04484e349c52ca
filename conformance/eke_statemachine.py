"""The sft-eke/1 server's HANDSHAKE machine as docs/SPEC.md states it, and a system under
learning that plays it against a target (model-based testing with AALpy); the part of the
connection conformance/statemachine.py (§3.2, inside the channel) does not cover.

The model (`eke_model`) is written from the SPEC, not from the reference: §5.3 (EKE-HS-2,
-3, -6, -8, -9), §1 FRM-5 (a handshake type inside a record), §5.5 (EKE-REC-1, -5), §2
ERR-3 (an EROR received ends the connection), §3.7 APP-BYE-1 (a BYE_ record). Its states:

* ``START`` — TCP open, nothing sent;
* ``WAIT3`` — EKE1 of the declared user answered with EKE2 (a login is pending);
* ``WAIT3U`` — EKE1 of a user the store lacks answered with EKE2 (EKE-HS-3: the same
  messages as a known user's; only the EKE3 that would prove the password fails);
* ``OPEN`` — EKE4 received: the record phase;
* ``CLOSED`` — a sink: every input outputs ``CLOSED``.

The abstract inputs (`INPUTS`) and the concrete frames `EkeSpecSUL` sends for them:

============  ===========================================================================
EKE1          EKE1 of the declared account (a fresh A); in OPEN the same frame sealed
EKE1_UNKNOWN  EKE1 of a fresh user name no store holds; in OPEN sealed
EKE3_OK       the honest client's EKE3 for the EKE2 just received (the declared password);
              before any EKE2, 160 random hex digits; in OPEN the same EKE3 again, in
              clear (a retransmission: EKE-REC-5)
EKE3_NS       C3 under the right Kcc and transcript, over Na ‖ Ns' with Ns' ≠ Ns
EKE3_BADMAC   the honest C3 with one bit of its tag flipped
EKE4          EKE4 {c: 96 random hex digits} (a server's frame from the client)
APP_CLEAR     RQFL in clear
APP_SEALED    RQFL sealed as record #0/#n under the c2s keys derived from the last EKE2
              (a RECD of random bytes when there is none): valid in OPEN only
EROR_CLEAR    EROR auth_failed in clear (what a client sends on a bad C2, EKE-HS-4)
BYE           BYE_ {}: in clear before EKE4 (not a handshake frame: EKE-HS-9's
              unexpected_frame), a record in OPEN (APP-BYE-1: MAY be echoed, then the close)
EKE3_PIPED    EKE3 as EKE3_OK and, in the SAME write, RQFL in clear: in WAIT3 the record
              phase starts right behind EKE3, so EKE4 then the close (EKE-REC-5), a fatal
              refusal before EKE4 folded in (nothing was served: test_eke_records' reading);
              elsewhere as EKE3_OK
============  ===========================================================================

In OPEN every other handshake-type input (and BYE) is sent inside a record (FRM-5);
APP_CLEAR, EROR_CLEAR, EKE3_OK and EKE3_PIPED stay in clear (EKE-REC-5). The RQFL asks
for the target's smallest known file (``RSFL+DATA*+DONE``) or, with none, a name no share
holds (``EROR:not_found``).

Abstract outputs: ``EKE2`` / ``EKE4`` (verified by the client: C2 carries Ns under the
declared password's keys, C4 our Na; else ``EKE2:unverified`` / ``EKE4:unverified``),
``EROR:<name>`` (``+CLOSE`` when the close follows within the ERR-3 allowance), ``CLOSE``,
``RSFL+DATA*+DONE``, ``EKE4+CLOSE`` (EKE3_PIPED: EKE4, then the close, any sealed fatal
EROR before it folded in; else ``EKE4+<what came>``), ``-`` (nothing within the answer
timeout), ``CLOSED``, and
``CLEAR:<type>`` for a frame in clear after EKE4 (EKE-REC-4). Normalised where the SPEC
allows several answers: a fatal EROR before the close that answers the client's EROR, or a
clear frame after EKE4, is folded into ``CLOSE`` (ERR-3's close is what is required, and
EKE-REC-5 says "treated as a failure (close)"); an EKE3 before any EKE1 answered
``auth_failed`` is folded into ``unexpected_frame`` (EKE-HS-9 says unexpected_frame, but
EKE-HS-10 has a replayed EKE3 "fail authentication": both readings); ``forbidden`` for the
missing name is ``not_found`` (APP-GET-2).

Throttling (EKE-THR-1, -5): every handshake that is pending and does not end with a valid
EKE3 is a failure of its user name and address. So each session connects from a fresh
loopback address (`conformance.eke_support.SourceAddresses`), and `run` looks ahead: an
``EKE1`` input is sent as the declared account only when the word later needs its keys
(an EKE3 or a sealed frame of that handshake); otherwise as a fresh unknown name, which
the SPEC answers identically (EKE-HS-3). The declared account's failures are counted; a
success (EKE4) forgives them (EKE-THR-4), and before they reach the target's declared
allowance (``throttle_failures`` − 2) the SUL logs in honestly once, settled
(`EkeChannel.settle`), before the next word that needs the account. The verdict does not
depend on what ran before: no count is left above what it found.
"""

from __future__ import annotations

import secrets
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from aalpy.automata import MealyMachine, MealyState

from conformance import eke
from conformance.eke_channel import connect_raw
from conformance.eke_support import SourceAddresses, Victim, ghost_user
from conformance.scenario import PROMPT_CLOSE
from conformance.statemachine import (
    BudgetExhausted,
    SpecModel,
    known_file,
    prune_words,
    rest_of_get,
)
from conformance.target import Account, KnownFile, Target
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

__all__ = ["INPUTS", "EkeSpecSUL", "eke_model", "eke_table"]

INPUTS: Final = (
    "EKE1",
    "EKE1_UNKNOWN",
    "EKE3_OK",
    "EKE3_NS",
    "EKE3_BADMAC",
    "EKE4",
    "APP_CLEAR",
    "APP_SEALED",
    "EROR_CLEAR",
    "BYE",
    "EKE3_PIPED",
)
_HANDSHAKE_INPUTS: Final = frozenset(
    {"EKE1", "EKE1_UNKNOWN", "EKE3_OK", "EKE3_NS", "EKE3_BADMAC", "EKE4"}
)
_EKE3_INPUTS: Final = frozenset({"EKE3_OK", "EKE3_NS", "EKE3_BADMAC", "EKE3_PIPED"})
# sent in clear in OPEN too (EKE-REC-5): the others are sealed there (FRM-5, BYE_ a record)
_CLEAR_IN_OPEN: Final = frozenset({"APP_CLEAR", "EROR_CLEAR", "EKE3_OK", "EKE3_PIPED"})
# an EKE1 input is sent as the declared account when one of these follows it in the word
_NEEDS_KEYS: Final = frozenset({*_EKE3_INPUTS, "APP_SEALED"})

CLOSE: Final = "CLOSE"
CLOSED: Final = "CLOSED"
SILENT: Final = "-"
FATAL_SUFFIX: Final = "+" + CLOSE
GOT_FILE: Final = "RSFL+DATA*+DONE"
NOT_FOUND: Final = "EROR:not_found"
UNEXPECTED: Final = "EROR:unexpected_frame" + FATAL_SUFFIX
AUTH_FAILED: Final = "EROR:auth_failed" + FATAL_SUFFIX
# EKE3 with a clear RQFL behind it in one write, in WAIT3: EKE4, then the close for the
# plaintext frame (EKE-REC-5); a fatal refusal before EKE4 is folded in (nothing served)
PIPED_CLOSE: Final = "EKE4" + FATAL_SUFFIX

Transition = tuple[str, str, tuple[str, ...]]


def eke_table(state: str, symbol: str, *, got_file: bool = True) -> Transition:
    """The SPEC's answer to `symbol` in `state` (see the module docstring)."""
    if state == "CLOSED":
        return CLOSED, "CLOSED", ("ERR-3",)
    if symbol == "EROR_CLEAR":
        if state == "OPEN":  # a plaintext frame after EKE4: a failure, the close
            return CLOSE, "CLOSED", ("EKE-REC-5",)
        # any EROR received ends the connection (§3.2's last row, ERR-3's last sentence)
        return CLOSE, "CLOSED", ("EKE-HS-9", "ERR-3")
    if symbol == "BYE":
        if state == "OPEN":  # a BYE_ record: the responder MAY echo it, MUST close
            return CLOSE, "CLOSED", ("APP-BYE-1",)
        # not a handshake frame: before the record phase it is unexpected_frame
        return UNEXPECTED, "CLOSED", ("EKE-HS-9",)
    if state == "OPEN":
        if symbol in _CLEAR_IN_OPEN:  # an RQFL, or the EKE3 retransmitted, in clear
            return CLOSE, "CLOSED", ("EKE-REC-5",)
        if symbol == "APP_SEALED":
            if got_file:
                return GOT_FILE, "OPEN", ("EKE-HS-6", "EKE-REC-1", "EKE-KS-3")
            return NOT_FOUND, "OPEN", ("EKE-HS-6", "EKE-REC-1", "EKE-KS-3")
        # EKE1-EKE4 inside a record: undefined types after EKE4, no renegotiation
        return UNEXPECTED, "CLOSED", ("FRM-5",)
    if state == "START":
        if symbol == "EKE1":
            # C2 verifies under the declared password only with §5.4's schedule
            return "EKE2", "WAIT3", ("EKE-HS-2", "EKE-KS-1", "EKE-KS-3")
        if symbol == "EKE1_UNKNOWN":
            return "EKE2", "WAIT3U", ("EKE-HS-3",)
        return UNEXPECTED, "CLOSED", ("EKE-HS-9", "FRM-6")
    if state in ("WAIT3", "WAIT3U"):
        if symbol == "EKE3_OK":
            if state == "WAIT3":
                return "EKE4", "OPEN", ("EKE-HS-6",)
            return AUTH_FAILED, "CLOSED", ("EKE-HS-3", "EKE-HS-8")
        if symbol == "EKE3_PIPED":
            if state == "WAIT3":  # the record phase starts right behind EKE3
                return PIPED_CLOSE, "CLOSED", ("EKE-REC-5",)
            return AUTH_FAILED, "CLOSED", ("EKE-HS-3", "EKE-HS-8")
        if symbol == "EKE3_NS":
            return AUTH_FAILED, "CLOSED", ("EKE-HS-6", "EKE-HS-8")
        if symbol == "EKE3_BADMAC":
            return AUTH_FAILED, "CLOSED", ("EKE-HS-6", "EKE-HS-8")
        # a second EKE1, an EKE4, an application frame clear or sealed: out of order
        return UNEXPECTED, "CLOSED", ("EKE-HS-9", "FRM-6")
    raise ValueError(f"no transition for ({state}, {symbol})")


def eke_model(alphabet: Sequence[str] = INPUTS, *, got_file: bool = True) -> SpecModel:
    """The SPEC's handshake machine over `alphabet`, its states reachable from START."""
    states: dict[str, Any] = {"START": MealyState("START")}
    requirement: dict[tuple[str, str], tuple[str, ...]] = {}
    pending: deque[str] = deque(["START"])
    while pending:  # bounded: the table has five states
        name = pending.popleft()
        for symbol in alphabet:
            output, nxt, req = eke_table(name, symbol, got_file=got_file)
            assert nxt != "CLOSED" or output.endswith(CLOSE) or name == "CLOSED"
            if nxt not in states:
                states[nxt] = MealyState(nxt)
                pending.append(nxt)
            states[name].transitions[symbol] = states[nxt]
            states[name].output_fun[symbol] = output
            requirement[(name, symbol)] = req
    machine = MealyMachine(states["START"], list(states.values()))
    machine.compute_prefixes()
    return SpecModel(machine, requirement)


def _flip(data: bytes, index: int = -1) -> bytes:
    out = bytearray(data)
    out[index] ^= 0x01
    return bytes(out)


@dataclass
class EkeSpecSUL:
    """A target's sft-eke/1 port as an AALpy-style SUL driven word by word (`run`): one
    word, one fresh TCP connection from a fresh source address."""

    target: Target
    account: Account
    pw: bytes
    sources: SourceAddresses
    answer_timeout: float = 3.0
    deadline: float = float("inf")
    max_queries: int = 10_000
    file: KnownFile | None = None
    sessions: int = 0
    steps: int = 0
    seconds: float = 0.0
    resets: int = 0
    leftover: list[str] = field(default_factory=list)
    trace: list[str] = field(default_factory=list)
    # the declared account's failures since its last success (EKE-THR-5, EKE-THR-4);
    # unknown at the start (an earlier file's): the first word that needs it forgives
    unforgiven: int = 1_000
    notes: list[str] = field(default_factory=list)
    _raw: RawConnection | None = None
    _client: eke.ClientHandshake | None = None
    _real: bool = False
    _eke3: bytes = b""
    _sender: eke.RecordSender | None = None
    _receiver: eke.RecordReceiver | None = None
    _early_sender: eke.RecordSender | None = None
    _open: bool = False
    _closed: bool = False
    _clear: bool = False
    _real_next: bool = False
    _plan: list[bool] = field(default_factory=list)
    _started: float = 0.0

    def __post_init__(self) -> None:
        if self.file is None and self.target.has("get"):
            self.file = known_file(self.target)
        # ERR-3's "at once": well under the target's own timeouts, so that a close (or an
        # EROR timeout) the idle or handshake timer brings is never taken for the answer
        limits = self.target.limits
        timeouts = [t for t in (limits.handshake_timeout, limits.idle_timeout) if t]
        # (conformance.pki_channel.close_bound's rule)
        bound = max(0.3, min(PROMPT_CLOSE, 0.8 * min(timeouts))) if timeouts else PROMPT_CLOSE
        self.close_within = bound
        self.allowance = max(1, self.target.limits.throttle_failures - 2)

    @property
    def got_file(self) -> bool:
        return self.file is not None

    # ---------------------------------------------------------------- sessions
    def run(self, word: Sequence[str]) -> list[str]:
        """`word` on a fresh connection; what arrives after its last input (a short
        drain) is added to the last output in brackets."""
        plan = [
            letter == "EKE1" and any(x in _NEEDS_KEYS for x in word[i + 1 :])
            for i, letter in enumerate(word)
        ]
        self.pre(any(plan))
        self._plan = plan
        outputs: list[str] = []
        for index, letter in enumerate(word):
            self._real_next = plan[index]
            outputs.append(self.step(letter))
        late = self._drain()
        if late != SILENT and outputs:
            outputs[-1] += f" [{late}]"
        self.post()
        return outputs

    def pre(self, needs_account: bool = True) -> None:
        if time.monotonic() > self.deadline or self.sessions >= self.max_queries:
            raise BudgetExhausted(f"budget ended after {self.sessions} queries, {self.steps} steps")
        if needs_account and self.unforgiven >= self.allowance:
            self._forgive()
        self.sessions += 1
        self._started = time.monotonic()
        self._raw = connect_raw(
            self.target.host,
            self.target.port,
            timeout=self.answer_timeout,
            name="eke state machine",
            source=self.sources.fresh(),
        )
        self._client = None
        self._real = False
        self._eke3 = b""
        self._sender = self._receiver = self._early_sender = None
        self._open = False
        self._closed = False
        self._real_next = False
        self.trace = []

    def post(self) -> None:
        if self._raw is not None:
            self._raw.close()
        if self._real and not self._open:
            self.unforgiven += 1  # a pending login of the account ended: a failure
        self._raw = None
        self.seconds += time.monotonic() - self._started

    def _forgive(self) -> None:
        """An honest login of the account, settled (EKE-THR-4 resets its count); a throttle
        left by an earlier run is waited out as the server asks, within a bound."""
        self.resets += 1
        victim = Victim(self.target, self.account, self.answer_timeout)
        outcome = victim.reset(self.sources, budget=10.0)
        if not outcome.startswith("reset after"):
            # no honest login: the words show what the target answers; no more forgiving
            # logins (each would be one more failure of the account)
            self.notes.append(outcome)
            self.allowance = 1_000_000
        self.unforgiven = 0

    def _drain(self) -> str:
        if self._closed or self._raw is None:
            return SILENT
        return self._read(time.monotonic() + 0.05, "")

    # ---------------------------------------------------------------- one input
    def step(self, letter: str) -> str:
        self.steps += 1
        output = self._step(letter)
        self.trace.append(output)
        return output

    def _step(self, letter: str) -> str:
        if self._closed:
            return CLOSED
        if not self._send(letter):
            self._closed = True
            return CLOSE
        # the close that answers the client's EROR, or a clear frame after EKE4, comes at
        # once (ERR-3, EKE-REC-5): waited for no longer than that
        closing = letter == "EROR_CLEAR" or (self._open and letter in _CLEAR_IN_OPEN)
        wait = self.close_within if closing else self.answer_timeout
        pending = self._real and bool(self._eke3) and not self._open
        output = self._read(time.monotonic() + wait, letter)
        if letter != "EKE3_PIPED" or not pending:
            return output
        if output == "EKE4":  # the clear RQFL behind EKE3 comes after EKE4: at once closed
            return output + "+" + self._read(time.monotonic() + self.close_within, letter)
        if output == CLOSE or (output.startswith("EROR:") and output.endswith(FATAL_SUFFIX)):
            # refused before EKE4 (test_eke_records' reading of EKE-REC-5): nothing served
            return PIPED_CLOSE if "timeout" not in output else output
        return output

    def _send(self, letter: str) -> bool:
        raw = self._raw
        assert raw is not None
        if letter == "EKE3_PIPED":  # EKE3 (as EKE3_OK) and a clear RQFL in one write
            eke3 = frame_bytes("EKE3", control({"c": self._eke3.hex()})) if self._eke3 else b""
            return raw.send_raw((eke3 or self._handshake_frame("EKE3_OK")) + self._rqfl())
        if letter == "BYE":  # a record in OPEN (APP-BYE-1), in clear before (EKE-HS-9)
            bye = frame_bytes("BYE_", control({}))
            return self._seal(bye) if self._open else raw.send_raw(bye)
        if self._open and letter == "EKE3_OK" and self._eke3:
            return raw.send_frame("EKE3", {"c": self._eke3.hex()})  # retransmitted, clear
        if self._open and letter in _HANDSHAKE_INPUTS:
            return self._seal(self._handshake_frame(letter))
        if letter == "APP_SEALED":
            if self._open:
                return self._seal(self._rqfl())
            if self._early_sender is None and self._client is not None and self._client.keys:
                self._early_sender, _ = self._client.record_layer()
            if self._early_sender is not None:
                return raw.send_raw(self._early_sender.seal(self._rqfl()))
            return raw.send_raw(frame_bytes("RECD", secrets.token_bytes(48)))
        if letter == "APP_CLEAR":
            return raw.send_raw(self._rqfl())
        if letter == "EROR_CLEAR":
            return raw.send_frame("EROR", error_payload("auth_failed"))
        if letter in ("EKE1", "EKE1_UNKNOWN"):
            real = letter == "EKE1" and self._real_next
            user = self.account.user if real else ghost_user()
            client = eke.ClientHandshake(user=user, pw=self.pw)
            message = client.eke1()
            self._client, self._real, self._eke3 = client, real or self._real, b""
            self._early_sender = None
            return raw.send_frame("EKE1", message)
        return raw.send_raw(self._handshake_frame(letter))

    def _handshake_frame(self, letter: str) -> bytes:
        if letter in ("EKE1", "EKE1_UNKNOWN"):
            user = self.account.user if letter == "EKE1" else ghost_user()
            return frame_bytes("EKE1", control(eke.ClientHandshake(user=user, pw=self.pw).eke1()))
        if letter == "EKE4":
            return frame_bytes("EKE4", control({"c": secrets.token_bytes(48).hex()}))
        client = self._client
        c3 = self._eke3 if self._eke3 else secrets.token_bytes(80)
        if self._eke3 and client is not None and client.keys is not None:
            keys = client.keys
            if letter == "EKE3_NS":
                wrong = _flip(client.ns)  # the last byte: a prefix compare misses it
                c3 = eke.aead_seal(keys.kcc, eke.N3, client.na + wrong, b"EKE3" + keys.th)
            elif letter == "EKE3_BADMAC":
                c3 = _flip(c3)
        return frame_bytes("EKE3", control({"c": c3.hex()}))

    def _rqfl(self) -> bytes:
        name = self.file.name if self.file is not None else f"sft-hs-missing-{secrets.token_hex(6)}"
        return frame_bytes("RQFL", control({"name": name}))

    def _seal(self, inner: bytes) -> bool:
        assert self._raw is not None and self._sender is not None
        return self._raw.send_raw(self._sender.seal(inner))

    # ---------------------------------------------------------------- abstraction
    def _recv(self, deadline: float) -> Event:
        assert self._raw is not None
        event = self._raw.recv_frame(deadline)
        self._clear = isinstance(event, ReceivedFrame) and self._open and event.type != b"RECD"
        if not isinstance(event, ReceivedFrame) or not self._open or event.type != b"RECD":
            return event
        assert self._receiver is not None
        try:
            inner = self._receiver.open(event.raw)
            kind, payload = eke.decode_frame_payload(inner)
        except eke.EkeError as exc:
            return ReceivedFrame(b"RECD", f"unopened: {exc.detail}".encode())
        return ReceivedFrame(kind, payload)

    def _read(self, deadline: float, letter: str) -> str:
        event = self._recv(deadline)
        if isinstance(event, TimedOut):
            return SILENT
        if isinstance(event, Closed):
            self._closed = True
            return CLOSE
        return self._token(event, letter, clear=self._clear)

    def _token(self, frame: ReceivedFrame, letter: str, *, clear: bool) -> str:
        kind = frame.type
        if clear:  # a frame in clear after EKE4 (EKE-REC-4)
            token = f"CLEAR:{kind.decode('latin-1')}"
            timed_out = frame.error_name == "timeout"
            if letter in _CLEAR_IN_OPEN and not timed_out and self._await_close():
                return CLOSE  # a fatal answer in clear, then the close: the close counts
            return token
        if kind == b"RECD":
            return "RECD:" + frame.payload.decode("latin-1")[:40] if self._open else "RECD"
        if kind == b"EROR":
            name = frame.error_name or "malformed"
            code = frame.error_code
            if code is None or code in FATAL_CODES or code not in ERROR_CODES.values():
                closed = self._await_close()
                if closed and name != "timeout" and (
                    letter == "EROR_CLEAR" or (self._open and letter in _CLEAR_IN_OPEN)
                ):
                    return CLOSE  # the close is what ERR-3 / EKE-REC-5 require
                if letter in _EKE3_INPUTS and self._client is None and name == "auth_failed":
                    name = "unexpected_frame"  # EKE-HS-9 / EKE-HS-10: both readings
                return f"EROR:{name}" + (FATAL_SUFFIX if closed else "")
            if name == "forbidden" and self.file is None:
                name = "not_found"
            return f"EROR:{name}"
        if kind == b"BYE_" and self._open and letter == "BYE":
            return CLOSE if self._await_close() else "BYE_"  # an echo before the close
        if kind == b"EKE2":
            return self._on_eke2(frame)
        if kind == b"EKE4":
            return self._on_eke4(frame)
        if kind == b"RSFL" and self._open:
            return self._rest_of_get(frame.json() or {})
        return kind.decode("latin-1")

    def _on_eke2(self, frame: ReceivedFrame) -> str:
        client = self._client
        message = frame.json()
        if client is None or message is None or self._eke3:
            return "EKE2:unasked"
        try:
            self._eke3 = bytes.fromhex(client.on_eke2(message, verify=self._real)["c"])
        except (eke.EkeError, ValueError):
            try:
                self._eke3 = bytes.fromhex(client.on_eke2(message, verify=False)["c"])
            except (eke.EkeError, ValueError):
                self._eke3 = b""
            return "EKE2:unverified"
        return "EKE2"

    def _on_eke4(self, frame: ReceivedFrame) -> str:
        client = self._client
        message = frame.json()
        if client is None or client.keys is None or message is None:
            return "EKE4:unasked"
        try:
            client.on_eke4(message)
        except eke.EkeError:
            return "EKE4:unverified"
        self._sender, self._receiver = client.record_layer()
        self._open = True
        if self._real:
            self.unforgiven = 0
        return "EKE4"

    def _await_close(self) -> bool:
        event = self._recv(time.monotonic() + self.close_within)
        if isinstance(event, Closed):
            self._closed = True
            return True
        return False

    def _rest_of_get(self, meta: dict[str, Any]) -> str:
        output, closed = rest_of_get(self._recv, meta, self.file, self.answer_timeout)
        self._closed = self._closed or closed
        return output


def w_method_words(model: SpecModel, extra_states: int) -> list[tuple[str, ...]]:
    """AALpy's W-method word set for a target with up to `extra_states` more states than
    the model (every transition, every middle word of up to that length, then the
    characterisation set), cut after the first step into CLOSED and without words that
    are prefixes of others (as `conformance.statemachine.conformance_suite` does)."""
    from aalpy.oracles import WMethodEqOracle

    machine = model.machine
    alphabet = list(machine.get_input_alphabet())
    char_set = machine.compute_characterization_set() or [()]
    cover = [(*state.prefix, a) for state in machine.states for a in alphabet]
    oracle = WMethodEqOracle(alphabet, None, len(machine.states) + extra_states)
    return prune_words(machine, list(oracle.test_suite(cover, extra_states + 1, char_set)))
