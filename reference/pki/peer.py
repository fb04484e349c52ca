"""The sft-pki/1 responder: TLS 1.3 with client certificates, serving a share and an inbox.

Threads, not asyncio: each connection is a blocking `ssl.SSLSocket` in its own
thread. CPython releases the GIL inside SSL_read/SSL_write, hashlib and file I/O,
so a transfer's encryption, hashing (reference.transfer overlaps the two) and disk
writes spread over the cores. asyncio's TLS runs through `ssl.MemoryBIO`: every
byte is copied once more between the BIO and the transport, and each 16 KiB record
costs a trip through the event loop in Python, which is what bulk transfers of
1 GiB cannot afford. The cost of threads — a stack each — is bounded by
`max_connections` (default 64) [LIM-4], which also bounds memory: about 2 MiB of
buffers per connection [LIM-6].

Timeouts: a watchdog timer shuts the socket down if the handshake is not done
within `handshake_timeout` in total [LIM-1] (a per-read timeout alone would let a
client trickle bytes forever); after it, every read waits at most `idle_timeout`
[LIM-2]. A failed connection never touches the listener [LIM-5].
"""

from __future__ import annotations

import contextlib
import logging
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from reference.admission import Admission, Refusal
from reference.app import AppConfig
from reference.closing import reset_on_close
from reference.errors import ErrorCode
from reference.frames import DEFAULT_MAX_PAYLOAD
from reference.messages import ErrorFrame, encode_message
from reference.pki.alias import ALIAS_RE
from reference.pki.enroll import CaClient, EnrollError
from reference.pki.tls import (
    CertificateRefused,
    Identity,
    ServerContextHolder,
    check_crl,
    close_tls,
    peer_alias,
    server_context,
    server_handshake,
)
from reference.share import Inbox, ShareDirectory
from reference.transfer import (
    DEFAULT_MAX_FILE_SIZE,
    Responder,
    ResponderPolicy,
    remove_stale_partials,
)

__all__ = ["CrlSource", "PeerConfig", "PeerServer", "crl_from_ca", "crl_from_file"]

_BUSY_EXTRA: Final = 8  # connections above the limit that still get a polite `busy`

CrlSource = Callable[[], bytes]
"""Returns the current CRL (DER), already checked against the root."""


def crl_from_ca(url: str, root_pem: bytes) -> CrlSource:
    client = CaClient(url, root_pem, timeout=10.0)
    return client.crl


def crl_from_file(path: Path, root_pem: bytes) -> CrlSource:
    def read() -> bytes:
        data = path.read_bytes()
        if data.lstrip().startswith(b"-----BEGIN"):
            data = x509.load_pem_x509_crl(data).public_bytes(serialization.Encoding.DER)
        check_crl(data, root_pem)
        return data

    return read


@dataclass(frozen=True, slots=True)
class PeerConfig:
    """Every limit of the responder [LIM-7], validated once."""

    host: str = "127.0.0.1"
    port: int = 0
    handshake_timeout: float = 10.0  # [LIM-1]
    idle_timeout: float = 60.0  # [LIM-2]
    max_file_size: int = DEFAULT_MAX_FILE_SIZE  # [LIM-3]
    max_connections: int = 64  # [LIM-4]
    max_pending_per_address: int = 8  # [LIM-8]: TLS handshakes in progress from one address
    max_frame_payload: int = DEFAULT_MAX_PAYLOAD  # [FRM-3]
    crl_refresh: float = 300.0  # [PKI-CERT-7]
    allow: tuple[str, ...] = ()  # empty: every employee of the organisation [PKI-ID-3]

    def __post_init__(self) -> None:
        if self.handshake_timeout <= 0 or self.idle_timeout <= 0:
            raise ValueError("timeouts must be > 0")
        if self.max_file_size < 0:
            raise ValueError("the maximum file size must be >= 0")
        if self.max_connections < 1:
            raise ValueError("max connections must be >= 1")
        if self.max_pending_per_address < 1:
            raise ValueError("max pending connections per address must be >= 1")
        if self.crl_refresh <= 0:
            raise ValueError("the CRL refresh interval must be > 0")
        AppConfig(self.max_frame_payload)  # validates the frame limit
        for alias in self.allow:
            if not ALIAS_RE.fullmatch(alias):
                raise ValueError(f"invalid alias in the allow list: {alias!r}")

    def describe(self) -> str:
        allow = ", ".join(self.allow) if self.allow else "any employee"
        return (
            f"handshake timeout {self.handshake_timeout:g} s, "
            f"idle timeout {self.idle_timeout:g} s, "
            f"max file size {self.max_file_size} B, max connections {self.max_connections}, "
            f"max pending per address {self.max_pending_per_address}, "
            f"frame limit {self.max_frame_payload} B, CRL refresh {self.crl_refresh:g} s, "
            f"allowed: {allow}"
        )


def _log(line: str) -> None:
    # Through the `sft` logger: one timestamped, unbroken line per event, whatever
    # thread writes it (reference/cli/logs.py).
    logging.getLogger("sft.pki.peer").info(line)


def _revoked_serials(crl_der: bytes) -> frozenset[int]:
    return frozenset(entry.serial_number for entry in x509.load_der_x509_crl(crl_der))


class PeerServer:
    """Listens, hands each connection to a thread, refreshes the CRL."""

    def __init__(
        self,
        identity: Identity,
        config: PeerConfig,
        crl_source: CrlSource,
        share: Path | None,
        inbox: Path | None,
        log: Callable[[str], None] = _log,
        listener: socket.socket | None = None,
    ) -> None:
        """`listener`: a listening socket to adopt (the one a restart kept) instead of
        binding `config.host:config.port`."""
        identity.check()
        self.identity = identity
        self.alias = identity.alias()
        self.config = config
        self.log = log
        self._crl_source = crl_source
        # Fail closed: no CRL, no service [PKI-CERT-7].
        crl = crl_source()
        self._contexts = ServerContextHolder(lambda der: server_context(identity, der), crl)
        self._revoked = _revoked_serials(crl)
        self.share = ShareDirectory(share) if share is not None else None
        self.inbox = Inbox(inbox) if inbox is not None else None
        if inbox is not None:
            swept = remove_stale_partials(inbox)  # [APP-STORE-3]: a killed run's leftovers
            if swept:
                log(f"removed {swept} partial file(s) left in the inbox by an earlier run")
        self._app = AppConfig(config.max_frame_payload)
        self._admission = Admission(config.max_connections, config.max_pending_per_address)
        self._admission_lock = threading.Lock()
        # A duplicate of each admitted socket: shutting it down aborts a TLS handshake in
        # progress (wrap_socket detaches the original) when the slot is evicted [LIM-9].
        self._handles: dict[int, socket.socket | None] = {}
        self._next_key = 0
        self._threads: set[threading.Thread] = set()
        self._responders: dict[int, Responder] = {}
        self._busy_slots = threading.BoundedSemaphore(_BUSY_EXTRA)
        self._stop = threading.Event()
        self._listener = listener or socket.create_server((config.host, config.port), backlog=128)
        self._listener.settimeout(0.5)  # lets serve_forever notice shutdown()

    @property
    def address(self) -> tuple[str, int]:
        host, port = self._listener.getsockname()[:2]
        return str(host), int(port)

    def serve_forever(self) -> None:
        refresher = threading.Thread(target=self._refresh_crl, name="crl-refresh", daemon=True)
        refresher.start()
        try:
            while not self._stop.is_set():
                try:
                    raw, addr = self._listener.accept()
                except TimeoutError:
                    continue
                except OSError as exc:
                    if self._stop.is_set():
                        break
                    self.log(f"accept failed: {exc.strerror or exc}")  # e.g. EMFILE: keep going
                    self._stop.wait(0.05)
                    continue
                self._dispatch(raw, addr)
        finally:
            self._listener.close()

    def shutdown(self) -> None:
        self._stop.set()

    def detach_listener(self) -> socket.socket:
        """The listening socket, kept open whatever close() does from now on (it closes a
        duplicate): a restart hands it to the next process, so initiators queue in its
        backlog instead of being refused while the peer restarts [APP-STORE-3]."""
        listener, self._listener = self._listener, self._listener.dup()
        return listener

    def close(self, grace: float = 5.0) -> None:
        """Stops accepting at once, lets transfers finish for `grace` seconds, then ends
        the rest: reading side first (a put still receiving ends as truncated and
        removes its temporary [APP-STORE-3]; one already committed still sends its DONE),
        then both sides. Every wait is bounded."""
        self.shutdown()
        self._listener.close()
        # First round: connections not receiving a put (between requests, in their
        # handshake) end at once; puts in progress get the grace.
        for how, wait, all_of_them in (
            (socket.SHUT_RD, grace, False),
            (socket.SHUT_RD, 2.0, True),
            (socket.SHUT_RDWR, 2.0, True),
        ):
            with self._admission_lock:
                handles = []
                for key, h in self._handles.items():
                    receiving = getattr(self._responders.get(key), "receiving", False)
                    if h is None or not (all_of_them or not receiving):
                        continue
                    if receiving:  # past the grace: the put is cut, its sender told at once
                        reset_on_close(h)
                    handles.append(h)
            for handle in handles:
                with contextlib.suppress(OSError):
                    handle.shutdown(how)
            deadline = time.monotonic() + wait
            for thread in list(self._threads):
                thread.join(timeout=max(0.0, deadline - time.monotonic()))
        if self.share is not None:
            self.share.close()
        if self.inbox is not None:
            self.inbox.close()

    def _dispatch(self, raw: socket.socket, addr: tuple[str, int]) -> None:
        evicted: socket.socket | None = None
        with self._admission_lock:
            self._next_key += 1
            key = self._next_key
            decision = self._admission.admit(key, addr[0])
            if decision.admitted:
                try:
                    self._handles[key] = raw.dup()
                except OSError:
                    self._handles[key] = None
                if decision.evict is not None:
                    evicted = self._handles.pop(decision.evict, None)
        if evicted is not None:
            # [LIM-9]: the oldest connection still in its TLS handshake makes room.
            self.log(f"{addr[0]}:{addr[1]}: closed the oldest pending handshake to admit it")
            with contextlib.suppress(OSError):
                evicted.shutdown(socket.SHUT_RDWR)
            evicted.close()
        target: Callable[[socket.socket, tuple[str, int]], None]
        if decision.admitted:
            target = lambda raw, addr: self._connection(raw, addr, key)  # noqa: E731

            def release() -> None:
                with self._admission_lock:
                    self._admission.release(key)
                    handle = self._handles.pop(key, None)
                if handle is not None:
                    handle.close()

        elif decision.refused is Refusal.PER_ADDRESS:
            # [LIM-8]: a prompt close; a TLS handshake for a polite `busy` would spend
            # a thread and CPU on exactly the client that is flooding us.
            self.log(f"{addr[0]}:{addr[1]}: refused, {decision.refused.value}")
            raw.close()
            return
        elif self._busy_slots.acquire(blocking=False):
            target, release = self._busy, self._busy_slots.release
        else:
            raw.close()  # far over the limit: refuse without spending a thread [LIM-4]
            return

        def run() -> None:
            try:
                target(raw, addr)
            except Exception as exc:
                self.log(f"{addr[0]}:{addr[1]}: internal error {type(exc).__name__}")
            finally:
                with contextlib.suppress(OSError):
                    raw.close()
                release()
                self._threads.discard(threading.current_thread())
                if decision.admitted:
                    self.log(f"{addr[0]}:{addr[1]}: connection ended")

        thread = threading.Thread(target=run, name=f"peer-{addr[0]}:{addr[1]}", daemon=True)
        self._threads.add(thread)
        try:
            thread.start()
        except RuntimeError:
            self._threads.discard(thread)
            release()
            raw.close()

    def _handshake(self, raw: socket.socket) -> ssl.SSLSocket:
        # Small frames (RSFL, DONE, EROR) must not wait for Nagle's algorithm.
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return server_handshake(self._contexts.context, raw, self.config.handshake_timeout)

    def _busy(self, raw: socket.socket, addr: tuple[str, int]) -> None:
        try:
            tls = self._handshake(raw)
        except (OSError, ssl.SSLError):
            return
        with contextlib.suppress(OSError):
            tls.sendall(
                encode_message(ErrorFrame(ErrorCode.BUSY, "too many connections; try later"))
            )
        close_tls(tls)
        self.log(f"{addr[0]}:{addr[1]}: refused, busy")

    def _connection(self, raw: socket.socket, addr: tuple[str, int], key: int) -> None:
        where = f"{addr[0]}:{addr[1]}"
        try:
            tls = self._handshake(raw)
        except (OSError, ssl.SSLError) as exc:
            if isinstance(exc, ssl.SSLCertVerificationError):
                reason = f"client certificate refused: {exc.verify_message}"
            elif isinstance(exc, ssl.SSLError):
                reason = str(exc.reason)
            else:
                reason = exc.strerror or "timeout"
            self.log(f"{where}: handshake failed: {reason}")
            return
        with self._admission_lock:
            evicted = not self._admission.established(key)
        if evicted:  # [LIM-9]: its slot went to a newer connection meanwhile
            close_tls(tls)
            return
        try:
            try:
                alias = peer_alias(tls, as_server=True)
            except CertificateRefused as exc:
                self.log(f"{where}: refused: {exc}")
                with contextlib.suppress(OSError):
                    tls.sendall(
                        encode_message(ErrorFrame(ErrorCode.AUTH_FAILED, "authentication failed"))
                    )
                return
            allowed = not self.config.allow or alias in self.config.allow
            self.log(f"{where}: {alias} connected{'' if allowed else ' (not on the allow list)'}")
            tls.settimeout(self.config.idle_timeout)
            policy = ResponderPolicy(
                share=self.share,
                inbox=self.inbox,
                max_file_size=self.config.max_file_size,
                authorised=allowed,
                refusal=f"{alias} is not allowed by {self.alias}'s peer",
            )
            responder = Responder(
                tls, policy, self._app, lambda line: self.log(f"{alias}@{where}: {line}")
            )
            with self._admission_lock:
                self._responders[key] = responder
            try:
                responder.run()
            finally:
                with self._admission_lock:
                    self._responders.pop(key, None)
        finally:
            close_tls(tls)

    def refresh_crl(self) -> None:
        """Fetches the CRL now; new connections are checked against it."""
        crl = self._crl_source()
        self._contexts.reload(crl)
        revoked = _revoked_serials(crl)
        if revoked != self._revoked:
            self.log(f"CRL refreshed: {len(revoked)} revoked certificate(s)")
            self._revoked = revoked

    def _refresh_crl(self) -> None:
        while not self._stop.wait(self.config.crl_refresh):
            try:
                self.refresh_crl()
            except (EnrollError, CertificateRefused, OSError, ValueError, ssl.SSLError) as exc:
                # Keep the last good CRL; once it passes its nextUpdate OpenSSL refuses
                # every certificate: the peer fails closed, never open.
                self.log(f"CRL refresh failed, keeping the previous one: {exc}")
