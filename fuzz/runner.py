"""Runs one `Case` against a target over a socket and records what came back.

The runner is the only part of the fuzzers that does I/O. It establishes the case's
stage honestly (TLS 1.3 for sft-pki/1, the EKE handshake for sft-eke/1), sends the
case's writes (sealed as records, split into tiny writes, paused), then half-closes
the TCP connection and reads until the target closes or the deadline passes. The
`Outcome` it returns is judged by `fuzz.oracles`; the runner itself judges nothing.

TLS runs over memory BIOs (`ssl.SSLObject`) so that the runner keeps the raw socket:
it can half-close TCP (a FIN without close_notify, which a responder must treat as
the end of the stream, PKI-TLS-6) while still reading the target's last records.

A case of several requests (`Case.requests`) is paced: after each request the runner
counts the answers a conformant responder owes (`answers_owed`: one per RQFL, PUTF and
DONE) and, once `PACING_WINDOW` answers are outstanding, reads until half of them came —
or a fatal EROR, a close, or the deadline — before sending more (a sliding window: the
target answers the older requests while the next ones arrive), and at the end until all
came. Requests travel pipelined (APP-2 allows it), queued and written together before
each wait (`_Stream.queue`/`flush`: one read on the target's side for several requests;
TLS and EKE records stay one per write). A paused or split write still goes out alone.
A close or a fatal EROR ends the sending: the rest of the case
is not sent (`Outcome.requests_sent`). A request whose bytes do not frame (a truncated or
lying frame) or that must end the connection (BYE_, EROR, a tampered record) owes an
unknown answer: the runner does not wait on it, it simply goes on (the stream is then
the target's problem, judged after EOF as for one request).

`ChannelsAhead` establishes the next case's channel in a thread while the current case
runs and is judged (a campaign of channel cases uses it; liveness probes never do).

For sft-eke/1 each mutated session connects from a random address of 127.0.0.0/8 when
the target is on loopback, so that EKE-THR-1's per-address throttling of the fuzzer's
failed handshakes does not throttle the next case or the liveness probe (EKE-THR-2).
"""

from __future__ import annotations

import functools
import hashlib
import random
import socket
import ssl
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from conformance import eke
from conformance.eke_channel import honest_client_handshake, password_key_cached
from conformance.target import Target
from conformance.wire import (
    FATAL_CODES,
    Closed,
    Event,
    FrameReader,
    ReceivedFrame,
    TimedOut,
    as_type,
    control,
    frame_bytes,
)
from fuzz.cases import Case, Write

__all__ = [
    "RunConfig",
    "Outcome",
    "run_case",
    "honest_session",
    "LivenessResult",
    "SetupFailed",
    "password_key",
    "known_file_bytes",
    "Session",
    "answers_owed",
    "PACING_WINDOW",
    "is_answer",
    "honest_handshake",
    "ChannelsAhead",
]

_RECV_SIZE: Final = 65536
# Not the `random` module: hypothesis reseeds it for every example, which would give
# every case the same source address and user name (and get them throttled together).
_rng: Final = random.SystemRandom()
# The reader refuses to buffer more than this from a target (a hostile target cannot
# exhaust the fuzzer's memory); 8 MiB is far above what any case asks for.
_MAX_RECEIVED: Final = 8 * 1024 * 1024
# Answers outstanding before the runner stops sending and reads (pacing a session): a
# round trip per this many requests; small enough that pipelined answers (gets of the
# known file included) fit in loopback socket buffers.
PACING_WINDOW: Final = 8
# Queued bytes after which the runner writes them without waiting for a pacing read.
_FLUSH_BYTES: Final = 64 * 1024
# Bytes written since the last pacing read after which the runner reads anyway.
_PACING_BYTES: Final = 256 * 1024


@dataclass(frozen=True)
class RunConfig:
    """How long the runner waits; every wait is bounded."""

    # Time for the target to react after our last write and FIN (no-hang oracle).
    deadline: float = 5.0
    # Time for an honest handshake / request (setup and liveness).
    setup_timeout: float = 10.0
    random_source: bool = True


class SetupFailed(Exception):
    """The honest part of a case (connect, TLS or EKE handshake) failed."""


@dataclass
class Outcome:
    """Everything the target did during one case."""

    case: Case
    # Application frames (decrypted inside a channel), in arrival order.
    frames: list[ReceivedFrame] = field(default_factory=list)
    # Every byte the target sent, as it crossed the wire (handshake in clear, TLS or EKE
    # records): nothing secret may be readable in it.
    clear_bytes: bytes = b""
    closed: bool = False
    close_kind: str = ""
    hung: bool = False
    elapsed: float = 0.0
    # Index of the write at which the target stopped accepting bytes (closed), if any.
    send_failed_at: int | None = None
    # A record from the target that did not authenticate (a target bug), if any.
    bad_record: str = ""
    trailing: bytes = b""
    setup_error: str = ""
    # Requests of the case written before the runner stopped (all of them, unless the
    # target closed or sent a fatal EROR first; 1 for a case of one request).
    requests_sent: int = 0
    # The target closed while the runner was still sending (before its EOF), and after
    # how many requests: a close the oracles judge (APP-2, ERR-3).
    closed_early_after: int | None = None

    def frame_types(self) -> tuple[str, ...]:
        return tuple(f.type.decode("latin-1") for f in self.frames)

    def signature(self) -> str:
        """A short summary used to count distinct target responses in a campaign."""
        parts = []
        for f in self.frames[:6]:
            code = f.error_name if f.type == b"EROR" else None
            parts.append(f"EROR:{code}" if code else f.type.decode("latin-1"))
        end = "hang" if self.hung else (self.close_kind or "open")
        return " ".join([*parts, f"<{end}>"])


# scrypt once per account per process (it costs ~0.15 s by design, EKE-PW-1): the
# tester's one cache, shared with the conformance channels.
password_key = password_key_cached


def known_file_bytes(target: Target) -> dict[str, bytes]:
    """Contents of the target's known files when the fuzzer can read them (embedded)."""
    out: dict[str, bytes] = {}
    if target.share is None:
        return out
    for known in target.files:
        path = target.share / known.name
        try:
            out[known.name] = path.read_bytes()
        except OSError:
            continue
    return out


# --- transport ------------------------------------------------------------------------------


def _connect(target: Target, config: RunConfig) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        if config.random_source and target.host.startswith("127."):
            source = f"127.{_rng.randint(1, 254)}.{_rng.randint(0, 255)}.{_rng.randint(1, 254)}"
            sock.bind((source, 0))
        sock.settimeout(config.setup_timeout)
        sock.connect((target.host, target.port))
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    except OSError as exc:
        sock.close()
        raise SetupFailed(f"cannot connect to {target.host}:{target.port}: {exc}") from exc
    return sock


class _Stream:
    """Plain TCP or TLS-over-memory-BIO: write app bytes, read app bytes, half-close."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.tls: ssl.SSLObject | None = None
        self._in = ssl.MemoryBIO()
        self._out = ssl.MemoryBIO()
        self.eof = False
        self.close_kind = ""
        # Every byte the target sent, as on the wire (TLS or EKE records included): the
        # leak oracle looks for the file and password in it (EKE-SEC-2). Bounded.
        self.wire_in = bytearray()
        self._pending = bytearray()

    def start_tls(self, context: ssl.SSLContext, deadline: float) -> None:
        self.tls = context.wrap_bio(self._in, self._out, server_side=False)
        while True:
            try:
                self.tls.do_handshake()
                self._flush()
                return
            except ssl.SSLWantReadError:
                self._flush()
                if not self._pull(deadline):
                    raise SetupFailed("TLS handshake: the target closed or timed out") from None
            except ssl.SSLError as exc:
                raise SetupFailed(f"TLS handshake failed: {exc.reason or exc}") from exc

    def _flush(self) -> None:
        data = self._out.read()
        if data:
            self.sock.sendall(data)

    def _pull(self, deadline: float) -> bool:
        """Reads raw bytes into the TLS input; False at EOF or deadline."""
        raw = self._recv_raw(deadline)
        if not raw:
            self._in.write_eof()
            return False
        self._in.write(raw)
        return True

    def _recv_raw(self, deadline: float) -> bytes:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError
        self.sock.settimeout(remaining)
        try:
            data = self.sock.recv(_RECV_SIZE)
        except TimeoutError:
            raise
        except OSError:
            self.close_kind = "reset"
            return b""
        if not data and not self.close_kind:
            self.close_kind = "eof"
        if len(self.wire_in) < _MAX_RECEIVED:
            self.wire_in += data[: _MAX_RECEIVED - len(self.wire_in)]
        return data

    def send(self, data: bytes) -> None:
        self.queue(data)
        self.flush()

    def queue(self, data: bytes) -> None:
        """Encrypts (TLS: one record per call, as `send`) or keeps `data` without writing
        it to the socket yet: `flush` writes what is queued in one system call, so the
        frames of a request (or of several) cost the target one read instead of one per
        frame. Record boundaries are those of the calls; only TCP segments differ."""
        if self.tls is None:
            self._pending += data
            return
        self.tls.write(data)

    def queued(self) -> int:
        """Bytes `queue` kept that `flush` has not written yet."""
        return len(self._pending) if self.tls is None else self._out.pending

    def flush(self) -> None:
        """Writes what `queue` kept (OSError if the target is gone)."""
        if self.tls is None:
            if self._pending:
                data = bytes(self._pending)
                self._pending.clear()
                self.sock.sendall(data)
            return
        self._flush()

    def half_close(self) -> None:
        try:
            self.sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    def recv(self, deadline: float) -> bytes | None:
        """Some app bytes; b"" at the end of the stream; None at the deadline."""
        if self.eof:
            return b""
        try:
            if self.tls is None:
                data = self._recv_raw(deadline)
                if not data:
                    self.eof = True
                return data
            while True:
                try:
                    return self.tls.read(_RECV_SIZE)
                except ssl.SSLWantReadError:
                    if self._in.eof:
                        self.eof = True
                        return b""
                    self._pull(deadline)
                except ssl.SSLZeroReturnError:
                    self.close_kind = "close_notify"
                    self.eof = True
                    return b""
                except ssl.SSLError as exc:
                    self.close_kind = self.close_kind or f"tls:{exc.reason or 'error'}"
                    self.eof = True
                    return b""
        except TimeoutError:
            return None


def _tls_context(target: Target) -> ssl.SSLContext:
    if target.root is None:
        raise SetupFailed("profile pki needs --root (the organisation root certificate)")
    identity = _client_identity(target)
    if identity is None:
        raise SetupFailed("profile pki needs a client certificate the responder accepts")
    return _context_for(str(target.root), str(identity[0]), str(identity[1]))


# Identities the conformance suite holds on purpose as bad ones are never the fuzzer's.
_BAD_IDENTITY_WORDS: Final = ("revoked", "expired", "foreign", "self", "bad", "wrong", "ca")


def _client_identity(target: Target) -> tuple[Path, Path] | None:
    ids = target.identities
    for preferred in ("fuzzer", "suite"):
        if preferred in ids:
            return ids[preferred]
    for alias, ident in ids.items():
        if alias != target.responder_alias and not any(w in alias for w in _BAD_IDENTITY_WORDS):
            return ident
    return None


@functools.lru_cache(maxsize=8)
def _context_for(root: str, cert: str, key: str) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    # The fuzzer checks the chain against the organisation root only (PKI-TLS-4); the
    # responder's alias is checked by the conformance suite, not here.
    ctx.check_hostname = False
    ctx.load_verify_locations(cafile=root)
    ctx.load_cert_chain(certfile=cert, keyfile=key)
    ctx.set_alpn_protocols(["sft-pki/1"])
    return ctx


# --- EKE records --------------------------------------------------------------------------


@dataclass
class _EkeRecords:
    sender: eke.RecordSender
    receiver: eke.RecordReceiver

    def seal(self, write: Write) -> bytes:
        """The wire image of one write, sealed as its `seal` says (EKE-REC-2..5)."""
        inner = write.data
        s = self.sender
        if write.seal == "honest":
            return s.seal(inner)
        if write.seal == "clear":
            return inner
        if write.seal == "wrong_key":
            record = eke.seal_record(bytes(32), s.iv, s.seq, inner)
            s.seq += 1
            return record
        if write.seal == "seq_skip":
            record = eke.seal_record(s.key, s.iv, s.seq + 1, inner)
            s.seq += 2
            return record
        if write.seal == "seq_repeat":
            # The previous number again (at 0 there is none: the next one, unused).
            return eke.seal_record(s.key, s.iv, s.seq - 1 if s.seq else 1, inner)
        if write.seal == "flip_tag":
            flipped = bytearray(s.seal(inner))
            flipped[-1] ^= 0x01
            return bytes(flipped)
        raise ValueError(f"unknown seal {write.seal!r}")


def _read_frame(stream: _Stream, reader: FrameReader, deadline: float) -> ReceivedFrame | None:
    while True:
        frame = reader.next_frame()
        if frame is not None:
            return frame
        if reader.oversize is not None:
            return None
        data = stream.recv(deadline)
        if not data:
            return None
        reader.feed(data)


def _eke_handshake(stream: _Stream, target: Target, deadline: float, out: Outcome) -> _EkeRecords:
    if not target.accounts:
        raise SetupFailed("profile eke needs an account (--user and --password-file)")
    account = target.accounts[0]
    client = eke.ClientHandshake(account.user, password_key(account.password, account.user))
    reader = FrameReader()
    started = time.monotonic()

    def send(frame_type: bytes, obj: Mapping[str, Any]) -> bool:
        stream.send(frame_bytes(as_type(frame_type), control(obj)))  # OSError: setup failed
        return True

    def receive(until: float) -> Event:
        got = _read_frame(stream, reader, until)
        if got is not None:
            return got
        if time.monotonic() >= until:
            return TimedOut(time.monotonic() - started)
        return Closed("eof", "no whole frame before the close")

    # The tester's one honest client (conformance.eke_channel), so that the fuzzer and
    # the conformance cases agree on what an honest handshake is.
    result = honest_client_handshake(send, receive, client, deadline)
    if not result.ok or client.keys is None:
        raise SetupFailed(f"honest {result.describe()}")
    sender, receiver = client.record_layer()
    return _EkeRecords(sender, receiver)


def _eke2_stage(stream: _Stream, deadline: float, out: Outcome) -> None:
    # An unknown user: the server must run the handshake with its fake key (EKE-HS-3);
    # the fuzzer's EKE3 then replaces the client's, which can never be right.
    user = f"fuzz-nobody-{_rng.getrandbits(32):08x}"
    a = _rng.getrandbits(384 * 8).to_bytes(384, "big")
    stream.send(frame_bytes("EKE1", control({"user": user, "a": a.hex()})))
    reader = FrameReader()
    got = _read_frame(stream, reader, deadline)
    if got is None or got.type != b"EKE2":
        raise SetupFailed(f"EKE1 answered with {got.describe() if got else 'close'}")


# --- one case -------------------------------------------------------------------------------


def _pieces(wire: bytes, chunks: tuple[int, ...]) -> list[bytes]:
    if not chunks:
        return [wire]
    out = []
    offset = 0
    for size in chunks:
        if offset >= len(wire):
            break
        out.append(wire[offset : offset + size])
        offset += size
    if offset < len(wire):
        out.append(wire[offset:])
    return out


def _open_stream(
    target: Target, stage: str, config: RunConfig, out: Outcome
) -> tuple[_Stream, _EkeRecords | None]:
    sock = _connect(target, config)
    stream = _Stream(sock)
    setup_deadline = time.monotonic() + config.setup_timeout
    records = None
    try:
        if target.profile == "pki":
            stream.start_tls(_tls_context(target), setup_deadline)
        elif target.profile == "eke" and stage == "channel":
            records = _eke_handshake(stream, target, setup_deadline, out)
        elif target.profile == "eke" and stage == "eke2":
            _eke2_stage(stream, setup_deadline, out)
    except (SetupFailed, OSError, TimeoutError) as exc:
        sock.close()
        if isinstance(exc, SetupFailed):
            raise
        raise SetupFailed(f"setup failed: {exc}") from exc
    return stream, records


def _still_open(sock: socket.socket) -> bool:
    """False if the target already closed or reset this idle connection (a peek; what it
    sent after the handshake, such as TLS session tickets, stays unread)."""
    timeout = sock.gettimeout()
    try:
        sock.setblocking(False)
        return sock.recv(1, socket.MSG_PEEK) != b""
    except BlockingIOError:
        return True
    except OSError:
        return False
    finally:
        sock.settimeout(timeout)  # every later wait stays bounded


class ChannelsAhead:
    """Establishes the next honest channel in a thread while the fuzzer draws, runs and
    judges the current case, so that a worker's sessions cost the target's handshake
    time, not the handshake's round trips in series with everything else (the fuzzer's
    own work and the target's overlap). A channel is only the honest prefix of a case:
    which case it carries is decided when it is taken. One is kept at most; a channel
    idle for longer than `max_idle` (well inside the target's idle timeout, LIM-2) or
    closed by the target meanwhile is discarded, so that a close can never be blamed on
    a case that did not cause it. `close()` before judging the target's resources."""

    def __init__(self, target: Target, config: RunConfig) -> None:
        self._target = target
        self._config = config
        self.max_idle = min(1.0, target.limits.idle_timeout / 8)
        # One long-lived thread, woken per channel (starting a thread per case cost the
        # main thread a wait for it to be scheduled, on a loaded machine).
        self._cond = threading.Condition()
        self._ready: tuple[_Stream, _EkeRecords | None, float] | None = None
        self._wanted = False
        self._busy = False
        self._closed = False
        self._thread: threading.Thread | None = None
        self.taken = 0
        self.discarded = 0

    def _establish(self) -> tuple[_Stream, _EkeRecords | None] | None:
        profile = self._target.profile if self._target.profile in ("pki", "eke") else "eke"
        scratch = Outcome(Case(profile, "channel", ()))  # type: ignore[arg-type]
        try:
            return _open_stream(self._target, "channel", self._config, scratch)
        except Exception:
            # The case then opens its own channel, and reports a failure of that (or the
            # fuzzer's own error) itself.
            return None

    def _serve(self) -> None:
        while True:
            with self._cond:
                while not (self._wanted or self._closed):
                    self._cond.wait()
                if self._closed:
                    return
                self._wanted = False
                self._busy = True
            got = self._establish()
            with self._cond:
                self._busy = False
                stale, self._ready = self._ready, None
                if got is not None:
                    self._ready = (got[0], got[1], time.monotonic())
                if self._closed and self._ready is not None:
                    stale, self._ready = self._ready, None
                self._cond.notify_all()
            if stale is not None:
                stale[0].sock.close()

    def take(self) -> tuple[_Stream, _EkeRecords | None] | None:
        """The channel established ahead (None: open one now), and the next one asked."""
        with self._cond:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._serve, name="fuzz-channel-ahead", daemon=True
                )
                self._thread.start()
            # The channel asked for last time: on its way (wanted) or being established.
            self._cond.wait_for(
                lambda: not (self._wanted or self._busy), self._config.setup_timeout
            )
            got, self._ready = self._ready, None
            self._wanted = True
            self._cond.notify_all()
        if got is None:
            return None
        stream, records, opened = got
        if time.monotonic() - opened > self.max_idle or not _still_open(stream.sock):
            stream.sock.close()
            self.discarded += 1
            return None
        self.taken += 1
        return stream, records

    def close(self) -> None:
        with self._cond:
            self._closed = True
            got, self._ready = self._ready, None
            self._cond.notify_all()
        if got is not None:
            got[0].sock.close()
        if self._thread is not None:
            self._thread.join(self._config.setup_timeout)


def run_case(
    target: Target,
    case: Case,
    config: RunConfig | None = None,
    ahead: ChannelsAhead | None = None,
) -> Outcome:
    """Establishes the stage (a channel from `ahead` when there is one), sends the writes
    (request by request, paced), half-closes and collects the reaction."""
    config = config or RunConfig()
    out = Outcome(case)
    started = time.monotonic()
    taken = ahead.take() if ahead is not None and case.stage == "channel" else None
    if taken is None:
        stream, records = _open_stream(target, case.stage, config, out)
    else:
        stream, records = taken
    collector = _Collector(stream, records, out)
    tls_stream = case.profile == "pki"
    try:
        index = 0
        # Answers a conformant responder owes for what was sent so far; None once unknown.
        owed: int | None = 0
        unsynced_bytes = 0
        # Requests are queued and go out together (`_Stream.flush`) before the runner
        # waits for answers, before a paused or split write, and at the end: several
        # requests in one write cost the target one read. `requests_sent` counts those
        # that went out.
        queued = 0
        for number, request in enumerate(case.request_writes(), start=1):
            try:
                for write in request:
                    wire = records.seal(write) if records is not None else write.data
                    if write.delay or write.chunks:
                        # Timing and segmentation are part of the input: what came before
                        # goes out first, then each piece in a write of its own. The pause
                        # is not synchronisation: bounded (MAX_DELAY).
                        stream.flush()
                        out.requests_sent = number - 1
                        if write.delay:
                            time.sleep(write.delay)
                        for piece in _pieces(wire, write.chunks):
                            stream.send(piece)
                    else:
                        stream.queue(wire)
                    index += 1
                    unsynced_bytes += len(wire)
                queued = number
                if stream.queued() >= _FLUSH_BYTES:
                    stream.flush()
                    out.requests_sent = queued
            except (OSError, ssl.SSLError):
                out.send_failed_at = index
                queued = -1
                break
            if not case.requests or owed is None:
                # One request (sent whole, then EOF, as ever); or a request before owed
                # an unknown answer: its bytes may swallow the later ones, so nothing
                # more is awaited (the rest goes on pipelined).
                continue
            request_owes = answers_owed(request, tls_stream)
            if request_owes is None:
                owed = None
                continue
            owed += request_owes
            if number == case.request_count or unsynced_bytes >= _PACING_BYTES:
                # At the end too: a close before every owed answer came is then seen as
                # one before our EOF (APP-2), not mistaken for the reaction to it.
                awaited = owed
            elif owed - collector.answers >= PACING_WINDOW:
                # A sliding window: the target answers the older half while the next
                # requests go out, instead of idling while the runner waits for all.
                awaited = owed - PACING_WINDOW // 2
            else:
                continue
            try:
                stream.flush()
            except (OSError, ssl.SSLError):
                out.send_failed_at = index
                queued = -1
                break
            out.requests_sent = queued
            unsynced_bytes = 0 if awaited == owed else unsynced_bytes
            if not collector.await_answers(awaited, time.monotonic() + config.deadline):
                if collector.closed_by_target() and not collector.fatal:
                    out.closed_early_after = number
                break
        if queued >= 0:  # -1: a write failed, the target is gone
            try:
                stream.flush()
                out.requests_sent = queued
            except (OSError, ssl.SSLError):
                out.send_failed_at = index
        stream.half_close()
        collector.collect(time.monotonic() + config.deadline)
    finally:
        stream.sock.close()
    out.trailing = collector.outer.buffered
    out.clear_bytes = bytes(stream.wire_in)
    out.elapsed = time.monotonic() - started
    return out


def is_answer(frame: ReceivedFrame) -> bool:
    """A frame that answers one request frame (RSFL{accept} for a PUTF; DONE ending a
    get or acknowledging a put; EROR); a get's RSFL and DATA are not counted."""
    if frame.type in (b"DONE", b"EROR"):
        return True
    if frame.type == b"RSFL":
        obj = frame.json()
        return bool(obj and obj.get("accept") is True)
    return False


def answers_owed(writes: tuple[Write, ...], tls_stream: bool) -> int | None:
    """Answers a conformant responder owes for these writes: one per RQFL, PUTF and
    DONE (§3.2), one fatal EROR for a frame of another type; DATA owes none (or a fatal
    EROR, which ends the wait anyway). None when unknown: a write that is not exactly
    whole frames (EKE: one frame per record), a record sealed dishonestly, a BYE_ or an
    EROR (the responder closes, with no answer owed)."""
    if any(w.seal != "honest" for w in writes):
        return None
    chunks = [b"".join(w.data for w in writes)] if tls_stream else [w.data for w in writes]
    owed = 0
    for chunk in chunks:
        offset = 0
        frames = 0
        while offset < len(chunk):
            if len(chunk) - offset < 8:
                return None
            ftype = chunk[offset : offset + 4]
            length = int.from_bytes(chunk[offset + 4 : offset + 8], "big")
            offset += 8 + length
            if offset > len(chunk):
                return None
            frames += 1
            if ftype in (b"BYE_", b"EROR"):
                return None
            if ftype != b"DATA":
                owed += 1
        if not tls_stream and frames != 1:
            return None
    return owed


class _Collector:
    """Reads the target's frames into an `Outcome` (opening EKE records), counting answers."""

    def __init__(self, stream: _Stream, records: _EkeRecords | None, out: Outcome) -> None:
        self.stream = stream
        self.records = records
        self.out = out
        self.outer = FrameReader()
        self.total = 0
        self.answers = 0
        self.fatal = False

    def closed_by_target(self) -> bool:
        return self.stream.eof

    def _pump(self, deadline: float) -> bool | None:
        """Reads once: True if bytes came, False at the end of the stream, None at the
        deadline."""
        data = self.stream.recv(deadline)
        if data is None:
            return None
        if not data:
            return False
        self.total += len(data)
        if self.total > _MAX_RECEIVED:
            self.out.close_kind = "flood"
            return False
        self.outer.feed(data)
        for frame in self.outer.frames():
            if self.records is not None:
                if self.out.bad_record:
                    continue
                try:
                    inner = self.records.receiver.open(frame.raw)
                except eke.EkeError as exc:
                    self.out.bad_record = f"{frame.type.decode('latin-1')}: {exc.detail}"
                    continue
                frame = ReceivedFrame(inner[:4], inner[8:])
            self.out.frames.append(frame)
            if is_answer(frame):
                self.answers += 1
            code = frame.error_code
            if code is not None and code in FATAL_CODES:
                self.fatal = True
        return True

    def await_answers(self, owed: int, deadline: float) -> bool:
        """Reads until `owed` answers came (True), or a fatal EROR, the end of the stream,
        a record that does not open, or the deadline (False: stop sending)."""
        while self.answers < owed:
            if self.fatal or self.out.bad_record:
                return False
            got = self._pump(deadline)
            if not got:
                return False
        return not (self.fatal or self.out.bad_record)

    def collect(self, deadline: float) -> None:
        """Everything until the target closes (after our EOF) or the deadline."""
        while True:
            got = self._pump(deadline)
            if got is None:
                self.out.hung = True
                return
            if not got:
                if self.out.close_kind != "flood":
                    self.out.closed = True
                    self.out.close_kind = self.stream.close_kind or "eof"
                return


def honest_handshake(target: Target, config: RunConfig | None = None) -> None:
    """Connects, establishes the channel and closes: the cost the benchmark sets every
    mutated session against (raises `SetupFailed`)."""
    config = config or RunConfig()
    profile = target.profile if target.profile in ("pki", "eke") else "eke"
    out = Outcome(Case(profile, "channel", ()))  # type: ignore[arg-type]
    stream, _records = _open_stream(target, "channel", config, out)
    stream.sock.close()


# --- honest sessions (liveness) ---------------------------------------------------------------


@dataclass(frozen=True)
class LivenessResult:
    ok: bool
    detail: str
    elapsed: float
    # A live target that serves wrong bytes breaks APP-GET-2, not liveness.
    requirement: str = "LIM-5"


def honest_session(
    target: Target, config: RunConfig | None = None, files: dict[str, bytes] | None = None
) -> LivenessResult:
    """A fresh, honest get of a known file: the target must still serve (LIM-5)."""
    config = config or RunConfig()
    started = time.monotonic()
    known = target.files[0] if target.files else None
    name = known.name if known else "fuzz-liveness-probe"
    writes = (
        Write(frame_bytes("RQFL", control({"name": name}))),
        Write(frame_bytes("BYE_", b"{}")),
    )
    profile = target.profile if target.profile in ("pki", "eke") else "eke"
    case = Case(profile, "channel", writes)  # type: ignore[arg-type]
    try:
        out = run_case(target, case, config)
    except SetupFailed as exc:
        return LivenessResult(False, str(exc), time.monotonic() - started)
    elapsed = time.monotonic() - started
    if out.hung:
        return LivenessResult(False, "honest session: no answer and no close", elapsed)
    types = out.frame_types()
    if not types:
        return LivenessResult(
            False, f"honest get answered with nothing ({out.close_kind})", elapsed
        )
    if known is None:
        ok = types[0] in ("RSFL", "EROR")
        return LivenessResult(ok, f"honest get answered {types[0]}", elapsed)
    if types[0] != "RSFL":
        return LivenessResult(False, f"honest get of {name!r} answered {out.signature()}", elapsed)
    body = b"".join(f.payload for f in out.frames if f.type == b"DATA")
    if hashlib.sha256(body).hexdigest() != known.sha256:
        return LivenessResult(
            False, f"honest get of {name!r} returned other bytes", elapsed, "APP-GET-2"
        )
    return LivenessResult(True, "ok", elapsed)


class Session:
    """An interactive channel for the stateful machines: send writes, read frames.

    Unlike `run_case`, it reads between writes, so a machine can walk the honest
    protocol (waiting for each answer) and inject a mutation at any state.
    """

    def __init__(self, target: Target, config: RunConfig | None = None) -> None:
        self.target = target
        self.config = config or RunConfig()
        profile = target.profile if target.profile in ("pki", "eke") else "eke"
        self._out = Outcome(Case(profile, "channel", ()))  # type: ignore[arg-type]
        self._stream, self._records = _open_stream(target, "channel", self.config, self._out)
        self._outer = FrameReader()
        self.closed = False
        self.sent: list[Write] = []

    def send(self, write: Write) -> bool:
        """False when the target has already closed (the write could not be delivered)."""
        wire = self._records.seal(write) if self._records is not None else write.data
        self.sent.append(write)
        try:
            for piece in _pieces(wire, write.chunks):
                self._stream.send(piece)
        except (OSError, ssl.SSLError):
            return False
        return True

    def read_until(self, stop_types: tuple[bytes, ...], timeout: float) -> list[ReceivedFrame]:
        """Frames until one of `stop_types` (included), a close, or the timeout."""
        deadline = time.monotonic() + timeout
        got: list[ReceivedFrame] = []
        while True:
            for frame in self._drain():
                got.append(frame)
                if frame.type in stop_types:
                    return got
            if self.closed:
                return got
            data = self._stream.recv(deadline)
            if data is None:
                return got
            if not data:
                self.closed = True
                continue
            self._outer.feed(data)

    def _drain(self) -> list[ReceivedFrame]:
        out: list[ReceivedFrame] = []
        for frame in self._outer.frames():
            if self._records is None:
                out.append(frame)
                continue
            try:
                inner = self._records.receiver.open(frame.raw)
            except eke.EkeError as exc:
                self._out.bad_record = exc.detail
                self.closed = True
                return out
            out.append(ReceivedFrame(inner[:4], inner[8:]))
        self._out.frames += out
        return out

    def finish(self, deadline: float) -> Outcome:
        """Half-closes and waits for the target's close; the Outcome of the whole session."""
        self._stream.half_close()
        rest = self.read_until((), deadline)
        del rest  # already appended to the outcome by _drain
        self._out.hung = not self.closed
        self._out.closed = self.closed
        self._out.close_kind = self._stream.close_kind or ("eof" if self.closed else "")
        self._out.case = Case(self._out.case.profile, "channel", tuple(self.sent))
        self._out.clear_bytes = bytes(self._stream.wire_in)
        self._stream.sock.close()
        return self._out

    def abort(self) -> None:
        self._stream.sock.close()
