"""`Channel` over sft-eke/1: the EKE handshake in clear, then AES-256-GCM records (§5.3-5.5).

The client side (`EkeChannel.connect`) drives a server under test; the server side
(`EkeChannel.accept`) is the suite's hostile server for a client under test. Both keep
the raw connection reachable (`.raw`) so that attack tests can write ciphertext as they
like (tamper, replay, reorder, drop) after an honest handshake, and the record state
(`.sender`, `.receiver`) so that they can seal records with chosen sequence numbers.

The transcript holds the wire bytes (handshake frames and `RECD` ciphertexts, from
`RawConnection`) and, interleaved, every application frame in plaintext, plus the
session keys in `key_log`: the suite holds them, so a failure can be read offline.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from conformance import eke
from conformance.eke_diagnosis import (
    Diagnosis,
    diagnose_c2,
    diagnose_c4,
    diagnose_record,
    diagnose_refused_c3,
)
from conformance.wire import (
    DEFAULT_TIMEOUT,
    Closed,
    ConformanceFailure,
    Event,
    Expectation,
    Outcome,
    RawConnection,
    ReceivedFrame,
    as_type,
    control,
    deadline_after,
    expect_on,
    frame_bytes,
)

__all__ = [
    "EkeChannel",
    "FrameReceiver",
    "FrameSender",
    "HandshakeResult",
    "client_handshake",
    "connect_raw",
    "honest_client_handshake",
    "password_key_cached",
    "server_handshake",
]

# How the honest client reaches a server, whatever carries the bytes (the suite's
# RawConnection, the fuzzer's stream): send one clear frame with a control payload
# (False when the server has closed), and read the next event before a deadline.
FrameSender = Callable[[bytes, Mapping[str, Any]], bool]
FrameReceiver = Callable[[float], Event]


@dataclass
class HandshakeResult:
    """How a handshake ended: `keys` on success, else the event that ended it."""

    ok: bool
    step: str
    event: Event | None = None
    detail: str = ""
    # Which requirement the target's EKE2 breaks, when C2 verifies under a known deviation.
    diagnosis: Diagnosis | None = None

    def describe(self) -> str:
        what = self.event.describe() if self.event is not None else self.detail
        if self.event is not None and self.diagnosis is not None:
            what += f" — {self.diagnosis.describe()}"
        return f"EKE handshake {'completed' if self.ok else 'failed'} at {self.step}: {what}"


def _recv_json(
    receive: FrameReceiver, frame_type: bytes, deadline: float
) -> dict[str, Any] | Event:
    event = receive(deadline)
    if not isinstance(event, ReceivedFrame) or event.type != frame_type:
        return event
    obj = event.json()
    if obj is None:
        return event
    return obj


def client_handshake(
    conn: RawConnection,
    client: eke.ClientHandshake,
    timeout: float,
    eke1: dict[str, Any] | None = None,
) -> HandshakeResult:
    """Runs §5.3 as the client over `conn`; never raises for what the server does.
    `eke1`: `client.eke1()` computed before connecting (see `EkeChannel.connect`)."""
    return honest_client_handshake(
        conn.send_frame, conn.recv_frame, client, deadline_after(timeout), eke1=eke1
    )


def honest_client_handshake(
    send: FrameSender,
    receive: FrameReceiver,
    client: eke.ClientHandshake,
    deadline: float,
    *,
    eke1: dict[str, Any] | None = None,
) -> HandshakeResult:
    """The tester's one honest sft-eke/1 client handshake (§5.3), over any transport:
    the conformance channels and the fuzzer (fuzz/runner.py) both run this one. Never
    raises for what the server does; a C2 that verifies under a known deviation is
    diagnosed (the requirement the server breaks)."""
    if not send(b"EKE1", client.eke1() if eke1 is None else eke1):
        return HandshakeResult(False, "EKE1", detail="the server closed before EKE1 was sent")
    got = _recv_json(receive, b"EKE2", deadline)
    if not isinstance(got, dict):
        return HandshakeResult(False, "EKE2", event=got)
    try:
        eke3 = client.on_eke2(got)
    except eke.EkeError as exc:
        diagnosis = diagnose_c2(client, got)
        detail = str(exc) + (f" — {diagnosis.describe()}" if diagnosis else "")
        return HandshakeResult(False, "EKE2", detail=detail, diagnosis=diagnosis)
    if not send(b"EKE3", eke3):
        return HandshakeResult(False, "EKE3", detail="the server closed before EKE3 was sent")
    got = _recv_json(receive, b"EKE4", deadline)
    if not isinstance(got, dict):
        return HandshakeResult(False, "EKE4", event=got, diagnosis=diagnose_refused_c3(got))
    try:
        client.on_eke4(got)
    except eke.EkeError as exc:
        diagnosis = diagnose_c4(client, got)
        detail = f"{exc} — {diagnosis.describe()}"
        return HandshakeResult(False, "EKE4", detail=detail, diagnosis=diagnosis)
    return HandshakeResult(True, "EKE4")


def server_handshake(
    conn: RawConnection,
    passwords: Mapping[str, bytes],
    fake_secret: bytes,
    timeout: float,
) -> tuple[HandshakeResult, eke.ServerHandshake | None]:
    """Runs §5.3 as the server: `passwords` maps user names to pw (EKE-PW-1)."""
    deadline = deadline_after(timeout)
    got = _recv_json(conn.recv_frame, b"EKE1", deadline)
    if not isinstance(got, dict):
        return HandshakeResult(False, "EKE1", event=got), None
    user = got.get("user")
    if not isinstance(user, str):
        return HandshakeResult(False, "EKE1", detail="EKE1 without a string 'user'"), None
    pw = passwords.get(user) or eke.fake_password_key(fake_secret, user)
    server = eke.ServerHandshake(pw=pw)
    try:
        eke2 = server.on_eke1(got)
    except eke.EkeError as exc:
        return HandshakeResult(False, "EKE1", detail=str(exc)), None
    if not conn.send_frame(b"EKE2", eke2):
        return HandshakeResult(False, "EKE2", detail="the client closed before EKE2"), None
    got = _recv_json(conn.recv_frame, b"EKE3", deadline)
    if not isinstance(got, dict):
        return HandshakeResult(False, "EKE3", event=got), None
    try:
        eke4 = server.on_eke3(got)
    except eke.EkeError as exc:
        conn.send_frame(b"EROR", {"code": 4, "name": "auth_failed", "message": "auth failed"})
        return HandshakeResult(False, "EKE3", detail=str(exc)), None
    if not conn.send_frame(b"EKE4", eke4):
        return HandshakeResult(False, "EKE4", detail="the client closed before EKE4"), None
    return HandshakeResult(True, "EKE4"), server


_PW_CACHE: dict[tuple[str, str], bytes] = {}


def password_key_cached(password: str, user: str) -> bytes:
    """scrypt costs ~0.1 s: compute each (user, password) key once per process."""
    key = (user, password)
    if key not in _PW_CACHE:
        _PW_CACHE[key] = eke.password_key(password, user)
    return _PW_CACHE[key]


def connect_raw(
    host: str,
    port: int,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    name: str = "",
    source: str | None = None,
) -> RawConnection:
    """A `RawConnection`, optionally from a chosen local address (loopback aliases)."""
    if source is None:
        return RawConnection.connect(host, port, timeout=timeout, name=name)
    sock = socket.create_connection((host, port), timeout=timeout, source_address=(source, 0))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    conn = RawConnection(sock, name=name or f"{host}:{port}", timeout=timeout)
    conn.transcript.add("event", note=f"connected to {host}:{port} from {source}")
    return conn


class EkeChannel:
    """An established sft-eke/1 channel; implements `conformance.channel.Channel`."""

    def __init__(
        self,
        raw: RawConnection,
        keys: eke.SessionKeys,
        sender: eke.RecordSender,
        receiver: eke.RecordReceiver,
        *,
        role: str,
    ) -> None:
        self.raw = raw
        self.keys = keys
        self.sender = sender
        self.receiver = receiver
        self.role = role
        self.timeout = raw.timeout
        self.transcript = raw.transcript
        # How long a fatal EROR may wait for the close (ERR-3); None: the wire default.
        self.close_within: float | None = None
        # Faults of the peer seen while reading records (evidence for EKE-REC-*).
        self.violations: list[str] = []
        # What a record from a target SERVER that opens under no diagnosed deviation FAILs
        # when a case would take the close it ends in as the close it accepts (`judge_close`,
        # called by `wire.expect_on`): the record is not sealed as the next record of its
        # direction, so one of the three sealing rules is broken, which one the bytes cannot
        # tell. A case that reads the event itself (or `violations`) judges it as before.
        self.undiagnosed_violates: tuple[str, ...] = ("EKE-REC-1", "EKE-REC-2", "EKE-REC-3")
        self._undiagnosed: tuple[Closed, int, bytes, str] | None = None
        self._closed: Closed | None = None
        for name, value in keys.as_hex().items():
            self.transcript.key_log.append(f"{name} {value}")

    # -- opening --

    @classmethod
    def connect(
        cls,
        host: str,
        port: int,
        user: str,
        password: str | None = None,
        *,
        pw: bytes | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        name: str = "",
        source: str | None = None,
    ) -> EkeChannel:
        """Connects and completes the handshake; ConformanceFailure (with evidence) if not.

        `source` binds the client socket to a local address (e.g. another 127.x.y.z), so
        that tests which fail on purpose do not throttle the suite's honest address.
        """
        if pw is None:
            if password is None:
                raise ValueError("give a password or its key pw")
            pw = password_key_cached(password, user)
        client = eke.ClientHandshake(user=user, pw=pw)
        # Computed before connecting: the server's handshake clock (LIM-1, short on the
        # embedded reference) starts at accept, not at our modular arithmetic.
        first = client.eke1()
        raw = connect_raw(host, port, timeout=timeout, name=name or f"eke {user}", source=source)
        result = client_handshake(raw, client, timeout, eke1=first)
        if not result.ok or client.keys is None:
            raw.close()
            raise ConformanceFailure(
                f"{result.describe()}\nTranscript (last entries):\n{raw.transcript.tail()}",
                violates=(result.diagnosis.requirement,) if result.diagnosis else (),
            )
        sender, receiver = client.record_layer()
        return cls(raw, client.keys, sender, receiver, role="client")

    @classmethod
    def accept(
        cls,
        listener: socket.socket,
        passwords: Mapping[str, bytes],
        *,
        fake_secret: bytes = b"\x00" * 32,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> tuple[EkeChannel | None, HandshakeResult, RawConnection | None]:
        """Accepts one client and runs the server handshake (the suite as a server)."""
        listener.settimeout(timeout)
        try:
            sock, peer = listener.accept()
        except TimeoutError:
            return None, HandshakeResult(False, "accept", detail="no client connected"), None
        raw = RawConnection(sock, name=f"eke client {peer[0]}:{peer[1]}", timeout=timeout)
        raw.transcript.add("event", note=f"accepted {peer[0]}:{peer[1]}")
        result, server = server_handshake(raw, passwords, fake_secret, timeout)
        if not result.ok or server is None or server.keys is None:
            return None, result, raw
        sender, receiver = server.record_layer()
        return cls(raw, server.keys, sender, receiver, role="server"), result, raw

    # -- the Channel protocol --

    def seal(self, inner: bytes) -> bytes:
        """The next record for `inner`, advancing the send sequence number."""
        seq = self.sender.seq
        record = self.sender.seal(inner)
        self.transcript.add("send", inner, f"plaintext of record #{seq}")
        return record

    def send_raw(self, data: bytes) -> bool:
        """`data` becomes the plaintext of exactly one record."""
        return self.raw.send_raw(self.seal(data))

    def send_frame(self, frame_type: bytes | str, payload: bytes | Mapping[str, Any] = b"") -> bool:
        body = control(payload) if isinstance(payload, Mapping) else payload
        return self.send_raw(frame_bytes(as_type(frame_type), body))

    def recv_frame(self, deadline: float | None = None) -> Event:
        if self._closed is not None:
            return self._closed
        if deadline is None:
            deadline = deadline_after(self.timeout)
        event = self.raw.recv_frame(deadline)
        if not isinstance(event, ReceivedFrame):
            if isinstance(event, Closed):
                self._closed = event
            return event
        if event.type != b"RECD":
            # EKE-REC-5 binds the target too: nothing in clear after the handshake.
            self.violations.append(f"EKE-REC-5: plaintext {event.describe(60)} after EKE4")
            closed = self._fail(f"target sent a plaintext {event.type_text} frame after EKE4")
            if self.role == "client":
                # A server's frame in clear after EKE4 — an EROR, a BYE_, an answer — is
                # its violation whatever the case was checking [EKE-REC-4]: a case that
                # expects "a close or a fatal EROR" must not read it as the close.
                raise ConformanceFailure(
                    f"the target sent a plaintext {event.describe(60)} after EKE4: nothing "
                    "is sent in clear after the handshake (EKE-REC-4)\n"
                    f"Transcript (last entries):\n{self.transcript.tail()}",
                    violates=("EKE-REC-4",),
                )
            return closed
        seq = self.receiver.seq
        try:
            inner = self.receiver.open(event.raw)
        except eke.EkeError as exc:
            plain = self._authentic_plaintext(event.raw, seq)
            if plain is not None:  # it opens with the right key and nonce: not one frame
                raise self._not_one_frame(seq, plain, exc.detail) from None
            from_server = self.role == "client"
            diagnosis = diagnose_record(self.keys, event.raw, seq, from_server=from_server)
            if diagnosis is None:
                self.violations.append(f"EKE-REC-4: record #{seq} from the target: {exc.detail}")
                closed = self._fail(f"record #{seq} from the target did not open: {exc.detail}")
                if self.role == "client":
                    self._undiagnosed = (closed, seq, bytes(event.raw), exc.detail)
                return closed
            detail = f"record #{seq} from the target did not open: {diagnosis.describe()}"
            self.violations.append(detail)
            closed = self._fail(detail)
            if self.role == "client":
                # The target sealed its record wrongly, provably (it opens under the named
                # deviation): that is its violation, whatever the case was checking.
                raise ConformanceFailure(
                    f"{detail}\nTranscript (last entries):\n{self.transcript.tail()}",
                    violates=(diagnosis.requirement,),
                ) from None
            return closed
        try:
            frame_type, payload = eke.decode_frame_payload(inner)
        except eke.EkeError as exc:
            raise self._not_one_frame(seq, inner, exc.detail) from None
        frame = ReceivedFrame(frame_type, payload)
        self.transcript.add("recv", inner, f"plaintext of record #{seq}: {frame.describe(60)}")
        return frame

    def judge_close(self, event: Event) -> None:
        """Raises if `event`, taken by a case as the target's close, is the suite's own close
        after a server record that did not open (and matched no known deviation)."""
        if self._undiagnosed is None or event is not self._undiagnosed[0]:
            return
        if not self.undiagnosed_violates:
            return
        _closed, seq, raw, why = self._undiagnosed
        raise ConformanceFailure(
            f"record #{seq} from the target server does not open under the session key, the "
            f"nonce of seq {seq} and its header as associated data ({why}), and under no known "
            "deviation: the close that followed is the suite's, not the target's. Every frame "
            "after EKE4 is one record sealed as EKE-REC-1, EKE-REC-2 and EKE-REC-3 say\n"
            f"Record: {raw[:48].hex(' ')}{' …' if len(raw) > 48 else ''} ({len(raw)} bytes)\n"
            f"Transcript (last entries):\n{self.transcript.tail()}",
            violates=self.undiagnosed_violates,
        )

    def _authentic_plaintext(self, record: bytes, seq: int) -> bytes | None:
        """The plaintext of `record` if it authenticates as record #seq, else None."""
        if len(record) < 8 or record[:4] != b"RECD":
            return None
        nonce = eke.record_nonce(self.receiver.iv, seq)
        try:
            return eke.aead_open(self.receiver.key, nonce, record[8:], record[:8])
        except eke.EkeError:
            return None

    def _not_one_frame(self, seq: int, inner: bytes, why: str) -> ConformanceFailure:
        """A record from the target opened, but its plaintext is not exactly one frame.

        EKE-REC-1 in any case. When the length field does not even end on a frame
        boundary (the rest is not whole frames: e.g. a length counted in characters of
        a non-ASCII payload), the frame itself breaks FRM-1 too.
        """
        self.transcript.add("recv", inner, f"plaintext of record #{seq}: not one frame")
        rest = inner[8 + int.from_bytes(inner[4:8], "big") :] if len(inner) >= 8 else b""
        whole = bool(rest)
        while whole and rest:
            whole = len(rest) >= 8 and len(rest) >= 8 + int.from_bytes(rest[4:8], "big")
            rest = rest[8 + int.from_bytes(rest[4:8], "big") :] if whole else rest
        violates = ("EKE-REC-1",) if whole else ("EKE-REC-1", "FRM-1")
        detail = (
            f"record #{seq} from the target opened, but its {len(inner)}-byte plaintext is "
            f"not exactly one frame ({why}): {inner[:48].hex()}"
            + ("" if whole else " (its length field ends on no frame boundary)")
        )
        self.violations.append(f"{'/'.join(violates)}: {detail}")
        self._fail(detail)
        return ConformanceFailure(
            f"{detail}\nTranscript (last entries):\n{self.transcript.tail()}", violates=violates
        )

    def _fail(self, detail: str) -> Closed:
        self.transcript.add("event", note=detail)
        self._closed = Closed("local", detail)
        self.raw.close()
        return self._closed

    def expect(
        self,
        one_of: Sequence[Expectation] | Expectation,
        timeout: float | None = None,
        *,
        skip: Sequence[bytes | str] = (),
    ) -> Outcome:
        return expect_on(self, one_of, timeout, skip=skip)

    def close(self) -> None:
        self.raw.close()

    def __enter__(self) -> EkeChannel:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- helpers for tests --

    def settle(self, timeout: float | None = None) -> Event:
        """Sends `BYE_` and reads until the target closes (APP-BYE-1), its `BYE_` skipped.

        The client's side of a handshake ends when it sends `EKE3`; nothing on the wire says
        when the server has acted on it. A target that reads past `EKE3` has verified it, so
        once it closes after our `BYE_`, its success is on record (EKE-THR-4) and failures
        sent from now on come after it. A synchronisation, not a verdict: the event (Closed,
        or TimedOut after `timeout`) is returned for the caller's transcript.
        """
        self.send_frame("BYE_", {})
        deadline = deadline_after(self.timeout if timeout is None else timeout)
        while True:
            event = self.recv_frame(deadline)
            if not (isinstance(event, ReceivedFrame) and event.type == b"BYE_"):
                return event

    def wait_closed(self, timeout: float) -> Event:
        """Reads until the target closes or `timeout` passes (TimedOut); frames are returned."""
        return self.raw.recv_frame(deadline_after(timeout))

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.transcript.started
