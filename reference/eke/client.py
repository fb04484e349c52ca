"""The sft-eke/1 initiator: a thin socket adapter around the sans-IO cores.

One connection, one thread, blocking calls with timeouts. The password key `pw` is
computed by the caller (`crypto.password_key`) and only ever used locally
[EKE-PW-3]. Failures are typed (`LoginFailed`, `ServerImpostor`, `Throttled`,
`TransferRefused`, `TransferFailed`) so the CLI can say one plain line each.
"""

from __future__ import annotations

import contextlib
import io
import os
import secrets
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from reference.eke.handshake import (
    ClientHandshake,
    HandshakeEvent,
    PeerError,
    ServerNotAuthenticated,
)
from reference.eke.transport import (
    HandshakeTimeout,
    SecureStream,
    close_gracefully,
    run_handshake,
)
from reference.errors import (
    AuthenticationFailed,
    ErrorCode,
    ProtocolError,
    RemoteProtocolError,
    TruncatedStream,
    peer_text,
)
from reference.frames import CLOSED, DEFAULT_MAX_PAYLOAD, Sentinel
from reference.messages import (
    Bye,
    Data,
    Done,
    ErrorFrame,
    FileRequest,
    FileResponse,
    Message,
    PutAccepted,
    PutRequest,
)
from reference.share import PartialFile

__all__ = [
    "ClientConfig",
    "EkeClient",
    "ClientError",
    "LoginFailed",
    "ServerImpostor",
    "ServerBusy",
    "Throttled",
    "TransferRefused",
    "TransferFailed",
    "Unreachable",
    "Progress",
]

Progress = Callable[[int, int], None]  # (bytes done, total)


class ClientError(Exception):
    """Base of the client's failures; `str()` is one line for a person."""

    code: ErrorCode | None = None


class LoginFailed(ClientError):
    def __init__(self) -> None:
        super().__init__("wrong password or unknown user")
        self.code = ErrorCode.AUTH_FAILED


class ServerImpostor(ClientError):
    def __init__(self) -> None:
        super().__init__("server failed to prove it knows the password: possible impostor")
        self.code = ErrorCode.AUTH_FAILED


class Throttled(ClientError):
    def __init__(self, retry_after: int | None) -> None:
        wait = f"{retry_after} s" if retry_after is not None else "a while"
        super().__init__(f"too many failed logins for this user or address: try again in {wait}")
        self.code = ErrorCode.THROTTLED
        self.retry_after = retry_after


class TransferRefused(ClientError):
    """A non-fatal EROR answering our request (not_found, forbidden, exists...)."""

    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(f"{code.wire_name}: {peer_text(message)}")
        self.code = code


class TransferFailed(ClientError):
    def __init__(self, message: str, code: ErrorCode | None = None) -> None:
        super().__init__(message)
        self.code = code


class ServerBusy(TransferFailed):
    """EROR busy: too many connections or logins in progress [LIM-4], [EKE-THR-7]."""

    def __init__(self, retry_after: int | None, tries: int = 1) -> None:
        gave_up = f" (gave up after {tries} tries)" if tries > 1 else ""
        super().__init__(f"the server is busy: try again later{gave_up}", ErrorCode.BUSY)
        self.retry_after = retry_after


class Unreachable(TransferFailed):
    """The server could not be reached at all."""


@dataclass(frozen=True)
class ClientConfig:
    host: str
    port: int
    user: str
    connect_timeout: float = 10.0
    handshake_timeout: float = 10.0
    idle_timeout: float = 60.0
    frame_limit: int = DEFAULT_MAX_PAYLOAD
    source_address: str | None = None  # bind to this local address (tests: 127.0.0.x)
    close_linger: float = 2.0  # after BYE_: wait this long at most for the server's FIN
    # [EKE-THR-7]: `busy` is retried after its retry_after (jittered, so that a burst
    # of clients does not come back at the same instant), this many times at most.
    busy_retries: int = 10

    def __post_init__(self) -> None:
        if min(self.connect_timeout, self.handshake_timeout, self.idle_timeout) <= 0:
            raise ValueError("timeouts must be positive")
        if self.busy_retries < 0:
            raise ValueError("busy retries must be >= 0")
        if self.close_linger < 0:
            raise ValueError("the close linger must be >= 0")


def _peer_error(code: ErrorCode, message: str, retry_after: int | None = None) -> ClientError:
    if code is ErrorCode.AUTH_FAILED:
        return LoginFailed()
    if code is ErrorCode.THROTTLED:
        return Throttled(retry_after)
    if code is ErrorCode.BUSY:
        return ServerBusy(retry_after)
    if code is ErrorCode.TIMEOUT:
        return TransferFailed("the server timed out the connection", code)
    if code is ErrorCode.INTEGRITY_FAILED:
        return TransferFailed("integrity check failed: nothing was saved", code)
    if not code.fatal:
        return TransferRefused(code, message)
    return TransferFailed(f"the server reported {code.wire_name}: {peer_text(message)}", code)


# The longest `retry_after` the client waits out by itself; a longer one ends the retries.
_BUSY_WAIT_CAP = 30


class EkeClient:
    def __init__(self, config: ClientConfig, pw: bytes) -> None:
        self.config = config
        self._pw = pw
        self._sock: socket.socket | None = None
        self._stream: SecureStream | None = None

    # -- connection ---------------------------------------------------------------------
    def connect(self) -> EkeClient:
        """Connects and logs in; a `busy` answer is retried (bounded) [EKE-THR-7]."""
        tries = 0
        while True:
            tries += 1
            try:
                return self._connect_once()
            except ServerBusy as exc:
                wait = exc.retry_after if exc.retry_after is not None else 1
                # Never before retry_after [EKE-THR-7]: a wait longer than we are willing
                # to park the user for ends the retries (retrying sooner would break it).
                if tries > self.config.busy_retries or wait > _BUSY_WAIT_CAP:
                    raise ServerBusy(exc.retry_after, tries) from None
                # Jitter: uniform over [1, 1.5] x retry_after.
                time.sleep(max(1, wait) * (1.0 + secrets.randbelow(501) / 1000))

    def _connect_once(self) -> EkeClient:
        cfg = self.config
        source = (cfg.source_address, 0) if cfg.source_address else None
        try:
            sock = socket.create_connection(
                (cfg.host, cfg.port), timeout=cfg.connect_timeout, source_address=source
            )
        except OSError as exc:
            raise Unreachable(
                f"cannot connect to {cfg.host}:{cfg.port}: {exc.strerror or exc}"
            ) from None
        self._sock = sock
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        hs = ClientHandshake(cfg.user, self._pw)

        def on_event(event: HandshakeEvent) -> None:
            if isinstance(event, PeerError):
                raise _peer_error(event.code, event.message, event.retry_after)

        try:
            established = run_handshake(
                sock, hs, time.monotonic() + cfg.handshake_timeout, on_event
            )
        except ServerNotAuthenticated:
            self.close()
            raise ServerImpostor() from None
        except AuthenticationFailed:
            self.close()
            raise LoginFailed() from None
        except HandshakeTimeout:
            self.close()
            raise TransferFailed("the server did not complete the login in time") from None
        except ProtocolError as exc:
            self.close()
            if exc.message == "connection closed during handshake":
                # A server over its limits closes pending logins (LIM-9): say so [LIM-9].
                raise TransferFailed(
                    "the server closed the connection during the login (server busy?)"
                ) from None
            raise TransferFailed(f"protocol error during login: {exc.message}") from None
        except ClientError:
            self.close()
            raise
        except (ConnectionResetError, ConnectionAbortedError, BrokenPipeError):
            # A reset is a close too: a server evicting a pending login (LIM-9) with
            # unread bytes queued resets the connection.
            self.close()
            raise TransferFailed(
                "the server closed the connection during the login (server busy?)"
            ) from None
        except OSError as exc:
            self.close()
            raise TransferFailed(f"connection lost during login: {exc}") from None
        sock.settimeout(cfg.idle_timeout)
        self._stream = SecureStream(
            sock,
            established,
            is_client=True,
            trailing=hs.trailing_data(),
            frame_limit=cfg.frame_limit,
        )
        return self

    def close(self) -> None:
        """Sends BYE_ when idle and closes gracefully [APP-BYE-1]; otherwise closes at once.

        The server echoes BYE_ (and closes) while ours may still be on its way:
        closing without reading that echo would make our kernel reset the
        connection. `close_gracefully` reads it (it is not needed: the echo is
        optional) until the server's FIN, within `close_linger`.
        """
        stream, self._stream = self._stream, None
        sock, self._sock = self._sock, None
        if sock is None:
            return
        if stream is not None:
            try:
                stream.send(Bye())
            except (OSError, ProtocolError):
                pass  # not idle, or the connection is gone: nothing to end politely
            else:
                close_gracefully(sock, self.config.close_linger)
                return
        with contextlib.suppress(OSError):
            sock.close()

    def __enter__(self) -> EkeClient:
        return self.connect() if self._stream is None else self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- transfers ----------------------------------------------------------------------
    def _require(self) -> SecureStream:
        if self._stream is None:
            raise TransferFailed("not connected")
        return self._stream

    def _next(self, stream: SecureStream) -> Message:
        try:
            event = stream.next_event()
        except TimeoutError:
            raise TransferFailed("the server stopped answering (idle timeout)") from None
        except (AuthenticationFailed, TruncatedStream):
            self._abandon()
            raise TransferFailed("connection broken: nothing was saved") from None
        except RemoteProtocolError as exc:
            with contextlib.suppress(OSError, ProtocolError):
                stream.send(
                    ErrorFrame(exc.code if exc.code.fatal else ErrorCode.INTERNAL, exc.message)
                )
            self._abandon()
            if exc.code is ErrorCode.INTEGRITY_FAILED:
                raise TransferFailed(
                    "integrity check failed: nothing was saved", exc.code
                ) from None
            raise TransferFailed(f"protocol error: {exc.message}", exc.code) from None
        except OSError as exc:
            self._abandon()
            raise TransferFailed(f"connection lost: {exc}") from None
        if event is CLOSED:
            self._abandon()
            raise TransferFailed("the server closed the connection")
        assert not isinstance(event, Sentinel)
        if isinstance(event, ErrorFrame):
            if event.fatal:
                self._abandon()
            raise _peer_error(event.code, event.message, event.retry_after)
        return event

    def _abandon(self) -> None:
        self._stream = None
        if self._sock is not None:
            with contextlib.suppress(OSError):
                self._sock.close()
            self._sock = None

    def get(
        self,
        name: str,
        destination: Path,
        *,
        overwrite: bool = False,
        progress: Progress | None = None,
    ) -> Done:
        """Fetches `name` into `destination` (temporary file, renamed once verified)."""
        stream = self._require()
        if destination.exists() and not overwrite:
            raise TransferFailed(f"{destination} exists (use --force to replace it)")
        if not destination.parent.is_dir():
            raise TransferFailed(f"{destination.parent} is not a directory")
        try:
            stream.send(FileRequest(name))
        except OSError as exc:
            self._abandon()
            raise TransferFailed(f"connection lost: {exc}") from None
        answer = self._next(stream)
        if not isinstance(answer, FileResponse):
            raise TransferFailed("unexpected answer from the server")
        try:
            return self._receive(stream, answer, destination, overwrite, progress)
        except OSError as exc:  # our disk, not the peer: the partial file is gone already
            self._abandon()
            raise TransferFailed(
                f"cannot write {destination}: {exc.strerror or exc}: nothing was saved"
            ) from None

    def _receive(
        self,
        stream: SecureStream,
        answer: FileResponse,
        destination: Path,
        overwrite: bool,
        progress: Progress | None,
    ) -> Done:
        with PartialFile.create(destination, answer.size) as partial:
            received = 0
            while True:
                event = self._next(stream)
                if isinstance(event, Data):
                    partial.write(event.data)
                    received += len(event.data)
                    if progress is not None:
                        progress(received, answer.size)
                elif isinstance(event, Done):
                    # ApplicationConnection verified size and SHA-256 [APP-GET-3].
                    try:
                        partial.commit(overwrite=overwrite)
                    except RemoteProtocolError:
                        raise TransferFailed(
                            f"{destination} appeared meanwhile: not replaced"
                        ) from None
                    return event
                else:
                    raise TransferFailed("unexpected frame during a get")

    def put(self, path: Path, *, name: str | None = None, progress: Progress | None = None) -> str:
        """Sends the file at `path`; returns the name the server stored it under."""
        stream = self._require()
        try:
            fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        except OSError as exc:
            raise TransferFailed(f"cannot read {path}: {exc.strerror}") from None
        with io.FileIO(fd, "rb", closefd=True) as file:
            size = os.fstat(fd).st_size
            try:
                stream.send(PutRequest(name or path.name, size))
            except OSError as exc:
                self._abandon()
                raise TransferFailed(f"connection lost: {exc}") from None
            answer = self._next(stream)
            if not isinstance(answer, PutAccepted):
                raise TransferFailed("unexpected answer from the server")
            sent = 0
            try:
                while sent < size:
                    n = stream.send_file_chunk(file, size - sent)
                    if n == 0:
                        self._abandon()
                        raise TransferFailed(f"{path} shrank while being sent: nothing was saved")
                    sent += n
                    if progress is not None:
                        progress(sent, size)
                stream.send(stream.app.outgoing_done())
            except OSError as exc:
                self._abandon()
                raise TransferFailed(f"connection lost: {exc}: nothing was saved") from None
            done = self._next(stream)
            if not isinstance(done, Done):
                raise TransferFailed("unexpected answer from the server")
            return answer.name
