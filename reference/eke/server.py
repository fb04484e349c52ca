"""The sft-eke/1 responder: a thin socket adapter around the sans-IO cores.

Concurrency: one thread per connection, at most `max_connections` of them [LIM-4].
Threads keep the adapter a straight line of blocking calls (recv_into, readinto,
sendall) around the sans-IO cores, which is what makes the record path cheap: no
event-loop hops per 1 MiB record. The CPU-heavy work runs in C without the GIL
where it matters (hashlib for SHA-256 over large buffers, the kernel for socket and
file copies), and the thread count is bounded by the connection limit. Every
blocking call carries a timeout (handshake deadline, then the idle timeout), so a
silent or vanished peer frees its thread [LIM-1], [LIM-2], [LIM-5].
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from reference.admission import Admission, Refusal
from reference.closing import close_at_once, reset_on_close
from reference.eke.handshake import (
    Established,
    HandshakeEvent,
    LoginAttempt,
    PeerError,
    ServerHandshake,
    encode_error,
)
from reference.eke.store import PasswordStore
from reference.eke.throttle import Throttle, ThrottleConfig
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
)
from reference.frames import CLOSED, DEFAULT_MAX_PAYLOAD
from reference.messages import (
    Bye,
    Data,
    Done,
    ErrorFrame,
    FileRequest,
    FileResponse,
    PutAccepted,
    PutRequest,
)
from reference.share import Inbox, PartialFile, ShareDirectory
from reference.transfer import remove_stale_partials, storage_failure

__all__ = ["ServerConfig", "EkeServer"]

log = logging.getLogger("sft.eke.server")

_GiB: Final = 1024**3


@dataclass(frozen=True)
class ServerConfig:
    """Every limit of the responder [LIM-7], validated once."""

    host: str = "127.0.0.1"
    port: int = 0
    share: Path | None = None
    inbox: Path | None = None
    handshake_timeout: float = 10.0  # [LIM-1]
    idle_timeout: float = 60.0  # [LIM-2]
    max_connections: int = 64  # [LIM-4]
    max_pending_per_address: int = 8  # [LIM-8]: handshakes in progress from one address
    max_file_size: int = 4 * _GiB  # [LIM-3]
    frame_limit: int = DEFAULT_MAX_PAYLOAD  # [FRM-3]
    throttle: ThrottleConfig = field(default_factory=ThrottleConfig)
    throttle_db: Path | None = None  # [EKE-THR-8]: failure counts kept here (None: memory)
    shutdown_grace: float = 5.0
    close_linger: float = 2.0  # after the BYE_ echo: wait this long at most for the FIN

    def __post_init__(self) -> None:
        if self.handshake_timeout <= 0 or self.idle_timeout <= 0:
            raise ValueError("timeouts must be positive")
        if self.close_linger < 0:
            raise ValueError("the close linger must be >= 0")
        if self.max_connections < 1:
            raise ValueError("max connections must be at least 1")
        if self.max_pending_per_address < 1:
            raise ValueError("max pending connections per address must be at least 1")
        if self.max_file_size < 0:
            raise ValueError("max file size must be >= 0")
        if not 64 * 1024 + 32 <= self.frame_limit <= 0xFFFFFFFF:
            raise ValueError("frame limit must be at least 65568 bytes")
        if not 0 <= self.port <= 65535:
            raise ValueError("port out of range")

    def describe(self) -> str:
        return (
            f"handshake_timeout={self.handshake_timeout:g}s idle_timeout={self.idle_timeout:g}s "
            f"max_connections={self.max_connections} "
            f"max_pending_per_address={self.max_pending_per_address} "
            f"max_file_size={self.max_file_size} "
            f"frame_limit={self.frame_limit} throttle_after={self.throttle.failures} "
            f"throttle_base={self.throttle.base:g}s throttle_cap={self.throttle.cap:g}s "
            f"max_pending_logins_per_user={self.throttle.pending_per_user} "
            f"max_pending_logins_per_address={self.throttle.pending_per_address} "
            f"lock_after={self.throttle.lock_after}"
        )


def _shown(user: str) -> str:
    return repr(user[:64])


class EkeServer:
    def __init__(
        self,
        config: ServerConfig,
        store: PasswordStore,
        *,
        throttle: Throttle | None = None,
    ) -> None:
        self.config = config
        self.store = store
        self.throttle = throttle or Throttle(config.throttle, path=config.throttle_db)
        self._share = ShareDirectory(config.share) if config.share is not None else None
        self._inbox = Inbox(config.inbox) if config.inbox is not None else None
        if config.inbox is not None:
            swept = remove_stale_partials(config.inbox)  # [APP-STORE-3]: a killed run's
            if swept:
                log.warning("removed %d partial file(s) left in the inbox by an earlier run", swept)
        self._listener: socket.socket | None = None
        self._lock = threading.Lock()
        self._connections: dict[int, socket.socket] = {}
        self._receiving: set[int] = set()  # connections receiving a put: drained first
        self._admission = Admission(config.max_connections, config.max_pending_per_address)
        self._threads: set[threading.Thread] = set()
        self._stopping = threading.Event()
        self._acceptor: threading.Thread | None = None
        self._next_id = 0

    # -- lifecycle --------------------------------------------------------------------
    def listen(self, inherited: socket.socket | None = None) -> tuple[str, int]:
        """Binds and listens (or adopts `inherited`, the listening socket a restart kept
        [EKE-THR-8]); returns the actual (host, port)."""
        if inherited is not None:
            listener = inherited
        else:
            family = socket.AF_INET6 if ":" in self.config.host else socket.AF_INET
            listener = socket.socket(family, socket.SOCK_STREAM)
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind((self.config.host, self.config.port))
            listener.listen(128)
        # accept() wakes up twice a second: a SIGTERM that the kernel delivers to a
        # connection thread does not interrupt a blocking accept() in the main thread,
        # whose Python handler would then run only when the next client connects.
        listener.settimeout(0.5)
        self._listener = listener
        host, port = listener.getsockname()[:2]
        return host, port

    def start(self) -> tuple[str, int]:
        """listen() and accept in a background thread."""
        address = self.listen()
        self._acceptor = threading.Thread(target=self.serve_forever, name="eke-accept", daemon=True)
        self._acceptor.start()
        return address

    def serve_forever(self) -> None:
        listener = self._listener
        assert listener is not None, "listen() first"
        while not self._stopping.is_set():
            try:
                sock, addr = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                if self._stopping.is_set():
                    return
                # EMFILE and friends: keep the listener alive [LIM-5].
                log.warning("accept failed; retrying")
                self._stopping.wait(0.05)
                continue
            self._admit(sock, addr)

    def detach_listener(self) -> socket.socket | None:
        """Takes the listening socket away from shutdown(), which then leaves it open: a
        restart hands it to the next process, so clients queue in its backlog instead of
        being refused while the server restarts."""
        listener, self._listener = self._listener, None
        return listener

    def shutdown(self) -> None:
        """Stops accepting at once, lets puts in progress finish for the grace period,
        then ends the rest; every wait is bounded."""
        self._stopping.set()
        if self._listener is not None:
            with contextlib.suppress(OSError):
                self._listener.shutdown(socket.SHUT_RDWR)  # wakes accept() on Linux
            self._listener.close()
        if self._acceptor is not None and self._acceptor is not threading.current_thread():
            self._acceptor.join(timeout=5)
        # Connections between requests or still in their handshake end now (their
        # reading side is shut: the thread sees the end of the stream); a get in
        # progress is not reading, finishes its sending, then sees it too.
        with self._lock:
            for conn_id, sock in self._connections.items():
                if conn_id not in self._receiving:
                    with contextlib.suppress(OSError):
                        sock.shutdown(socket.SHUT_RD)
        deadline = time.monotonic() + self.config.shutdown_grace
        for thread in list(self._threads):
            thread.join(timeout=max(0.0, deadline - time.monotonic()))
        # Past the grace: first end the reading side only. A thread waiting for a
        # request ends; a put still receiving ends as truncated and removes its
        # temporary [APP-STORE-3]; a put that was committed still sends its DONE, so
        # the client's verdict matches what was stored. Then cut what still hangs.
        for how, wait in ((socket.SHUT_RD, 2.0), (socket.SHUT_RDWR, 2.0)):
            with self._lock:
                for conn_id, sock in self._connections.items():
                    if conn_id in self._receiving:  # the put is cut: its sender told at once
                        reset_on_close(sock)
                    with contextlib.suppress(OSError):
                        sock.shutdown(how)
            deadline = time.monotonic() + wait
            for thread in list(self._threads):
                thread.join(timeout=max(0.0, deadline - time.monotonic()))
        for resource in (self._share, self._inbox):
            if resource is not None:
                resource.close()

    @property
    def active_connections(self) -> int:
        with self._lock:
            return len(self._connections)

    def _admit(self, sock: socket.socket, addr: tuple[str, int]) -> None:
        evicted: socket.socket | None = None
        with self._lock:
            self._next_id += 1
            conn_id = self._next_id
            decision = self._admission.admit(conn_id, addr[0])
            if decision.admitted:
                self._connections[conn_id] = sock
                if decision.evict is not None:
                    evicted = self._connections.get(decision.evict)
        if decision.refused is not None:
            # [LIM-4], [LIM-8]: refuse with EROR busy (in clear: no channel exists yet).
            log.warning("refused %s: %s", addr[0], decision.refused.value)
            message = (
                "too many connections from your address; try later"
                if decision.refused is Refusal.PER_ADDRESS
                else "too many connections; try later"
            )
            with contextlib.suppress(OSError):
                sock.settimeout(1.0)
                sock.sendall(encode_error(ErrorCode.BUSY, message))
            close_at_once(sock)
            return
        if evicted is not None:
            # [LIM-9]: the oldest connection still in its handshake makes room; its
            # thread sees the shutdown at once and ends.
            log.warning("closed the oldest pending handshake to admit %s", addr[0])
            with contextlib.suppress(OSError):
                evicted.shutdown(socket.SHUT_RDWR)
        thread = threading.Thread(
            target=self._run_connection,
            args=(conn_id, sock, addr[0]),
            daemon=True,
            name=f"eke-conn-{conn_id}",
        )
        with self._lock:
            self._threads.add(thread)
        thread.start()

    def _run_connection(self, conn_id: int, sock: socket.socket, address: str) -> None:
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            result = self._handshake(sock, address)
            if result is not None:
                with self._lock:
                    evicted = not self._admission.established(conn_id)
                if evicted:
                    return
                established, trailing = result
                self._serve_records(sock, established, trailing, conn_id)
        except Exception:
            # Never a dead listener or a traceback to the peer [LIM-5]; details in the log.
            log.exception("internal error on a connection from %s", address)
        finally:
            with contextlib.suppress(OSError):
                sock.close()
            with self._lock:
                self._connections.pop(conn_id, None)
                self._admission.release(conn_id)
                self._threads.discard(threading.current_thread())

    # -- handshake ----------------------------------------------------------------------
    def _handshake(self, sock: socket.socket, address: str) -> tuple[Established, bytes] | None:
        hs = ServerHandshake()
        attempted: list[str] = []  # the user whose EKE2 went out: a guess is pending

        def on_event(event: HandshakeEvent) -> None:
            if isinstance(event, LoginAttempt):
                wait = self.throttle.retry_after(event.user, address)
                if wait is not None:
                    log.warning(
                        "throttled login user=%s address=%s retry_after=%.0fs%s",
                        _shown(event.user),
                        address,
                        wait,
                        " (locked: an administrator must unlock it)"
                        if self.throttle.locked(event.user)
                        else "",
                    )
                    hs.refuse_throttled(wait)
                    return
                # [EKE-THR-5], [EKE-THR-7]: pending from EKE2 on, within the caps; a
                # failure the moment it ends unless its EKE3 verifies.
                if not self.throttle.begin(event.user, address):
                    log.info(
                        "busy: too many pending logins user=%s address=%s",
                        _shown(event.user),
                        address,
                    )
                    hs.refuse_busy(self.throttle.config.busy_retry_after)
                    return
                attempted.append(event.user)
                hs.accept(self.store.key_for(event.user))
            elif isinstance(event, PeerError):
                raise RemoteProtocolError(event.code, "the client sent an error")

        deadline = time.monotonic() + self.config.handshake_timeout
        try:
            established = run_handshake(sock, hs, deadline, on_event)
        except BaseException as exc:
            if attempted:
                # [EKE-THR-5]: a failure the moment it ends, before our FIN tells the
                # client so (the same work for known and unknown names); counted before
                # the pending slot is released, so the guess is never uncounted.
                self.throttle.failed(attempted[0], address)
                self.throttle.end(attempted[0], address)
            # Close (the EROR is out already), then the store's bookkeeping: a known
            # user's counters are written to the store and an unknown user's match no
            # row, so the time to our FIN must not depend on it [EKE-HS-3].
            with contextlib.suppress(OSError):
                sock.close()
            if attempted:
                self._login_failed(attempted[0], address, exc)
            if isinstance(exc, ProtocolError | HandshakeTimeout | OSError):
                return None
            raise
        self.throttle.succeeded(established.user, address)
        self.throttle.end(established.user, address)
        self.store.record_login(established.user, success=True)
        log.info("login user=%s address=%s", _shown(established.user), address)
        return established, hs.trailing_data()

    def _login_failed(self, user: str, address: str, exc: BaseException) -> None:
        # [EKE-THR-3]: user, address and time (the log handler adds it); no secrets.
        if isinstance(exc, HandshakeTimeout):
            reason = "timeout"
        elif isinstance(exc, ProtocolError):
            reason = exc.code.wire_name
        else:
            reason = "connection lost"
        self.store.record_login(user, success=False)  # the throttle counted it already
        log.warning("failed login user=%s address=%s reason=%s", _shown(user), address, reason)

    # -- record phase -------------------------------------------------------------------
    def _serve_records(
        self, sock: socket.socket, established: Established, trailing: bytes, conn_id: int
    ) -> None:
        stream = SecureStream(
            sock,
            established,
            is_client=False,
            trailing=trailing,
            frame_limit=self.config.frame_limit,
        )
        sock.settimeout(self.config.idle_timeout)
        partial: PartialFile | None = None
        try:
            while True:
                try:
                    event = stream.next_event()
                except TimeoutError:
                    self._send_fatal(stream, ErrorCode.TIMEOUT, "idle timeout")
                    return
                except (AuthenticationFailed, TruncatedStream):
                    return  # [EKE-REC-4]: close, deliver nothing, send nothing
                except RemoteProtocolError as exc:
                    self._send_fatal(stream, exc.code, exc.message)
                    return
                if event is CLOSED or isinstance(event, ErrorFrame):
                    return
                if isinstance(event, FileRequest):
                    outcome = self._serve_get(stream, event.name)
                    # One line per transfer: who, what, how much, how it ended; never a
                    # password or key [EKE-THR-3].
                    log.info(
                        "get user=%s name=%r %s", _shown(established.user), event.name[:64],
                        outcome,
                    )
                elif isinstance(event, PutRequest):
                    partial = self._begin_put(stream, event)
                    if partial is not None:
                        with self._lock:
                            self._receiving.add(conn_id)
                    else:
                        log.info(
                            "put user=%s name=%r size=%d refused", _shown(established.user),
                            event.name[:64], event.size,
                        )
                elif isinstance(event, Data):
                    assert partial is not None
                    partial.write(event.data)
                elif isinstance(event, Done):
                    assert partial is not None
                    current, partial = partial, None
                    with self._lock:
                        self._receiving.discard(conn_id)
                    log.info(
                        "put user=%s name=%r size=%d %s", _shown(established.user),
                        current.final_name[:64], current.written, self._finish_put(stream, current),
                    )
                elif isinstance(event, Bye):
                    stream.send(Bye())
                    # The client may close only once it has read our echo: no reset.
                    close_gracefully(sock, self.config.close_linger)
                    return
        except RemoteProtocolError as exc:
            self._send_fatal(stream, exc.code, exc.message)
        except (TimeoutError, ConnectionError):
            return
        except OSError as exc:
            if (reason := storage_failure(exc)) is not None and partial is not None:
                # The disk, not the connection: one line, and the client learns why. It
                # is still sending: read (and drop) the rest of the announced data, else
                # our close resets the connection and the EROR is lost.
                log.warning("cannot store a put of %s: %s", _shown(established.user), reason)
                self._send_fatal(stream, ErrorCode.INTERNAL, f"cannot store: {reason}")
                rest = partial.limit - partial.written
                partial.abort()  # [APP-STORE-3]: before the drain, not after it
                partial = None
                slack = rest // 1024 + 64 * 1024  # record overhead, DONE, BYE_
                close_gracefully(sock, self.config.idle_timeout, limit=rest + slack)
            else:
                log.exception("I/O error while serving %s", established.user)
                self._send_fatal(stream, ErrorCode.INTERNAL, "internal error")
        finally:
            with self._lock:
                self._receiving.discard(conn_id)
            if partial is not None:
                partial.abort()  # [APP-STORE-3]

    def _send_fatal(self, stream: SecureStream, code: ErrorCode, message: str) -> None:
        if not code.fatal:
            code, message = ErrorCode.INTERNAL, "internal error"
        with contextlib.suppress(OSError, ProtocolError):
            stream.send(ErrorFrame(code, message))

    def _serve_get(self, stream: SecureStream, name: str) -> str:
        """Serve one get; its outcome for the log."""
        if self._share is None:
            stream.send(ErrorFrame(ErrorCode.NOT_FOUND, "this server has no share"))
            return "refused no_share"
        try:
            shared = self._share.open(name)
        except RemoteProtocolError as exc:
            stream.send(ErrorFrame(exc.code, exc.message))
            return f"refused {exc.code.wire_name}"
        with shared:
            if shared.size > self.config.max_file_size:
                stream.send(ErrorFrame(ErrorCode.TOO_LARGE, "the file exceeds the size limit"))
                return f"size={shared.size} refused too_large"
            stream.send(FileResponse(name, shared.size))
            remaining = shared.size
            while remaining:
                n = stream.send_file_chunk(shared.file, remaining)
                if n == 0:  # the file shrank while being sent
                    raise OSError("shared file shrank during a get")
                remaining -= n
            stream.send(stream.app.outgoing_done())
            return f"size={shared.size} sent"

    def _begin_put(self, stream: SecureStream, request: PutRequest) -> PartialFile | None:
        if self._inbox is None:
            stream.send(ErrorFrame(ErrorCode.UNSUPPORTED, "this server accepts no puts"))
            return None
        if request.size > self.config.max_file_size:
            stream.send(ErrorFrame(ErrorCode.TOO_LARGE, "the file exceeds the size limit"))
            return None
        try:
            target = self._inbox.target_name(request.name)
        except RemoteProtocolError as exc:
            stream.send(ErrorFrame(exc.code, exc.message))
            return None
        partial = self._inbox.begin(target, request.size)
        try:
            stream.send(PutAccepted(target))
        except BaseException:
            partial.abort()
            raise
        return partial

    def _finish_put(self, stream: SecureStream, partial: PartialFile) -> str:
        """Commit one put; its outcome for the log."""
        try:
            partial.commit()
        except RemoteProtocolError as exc:  # `exists`: another put won the race
            stream.send(ErrorFrame(exc.code, exc.message))
            return f"refused {exc.code.wire_name}"
        stream.send(stream.app.stored_done())
        return "stored"
