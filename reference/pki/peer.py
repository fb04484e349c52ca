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
import socket
import ssl
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from reference.app import AppConfig
from reference.errors import ErrorCode
from reference.frames import DEFAULT_MAX_PAYLOAD
from reference.messages import ErrorFrame, encode_message
from reference.pki.ca import ALIAS_RE
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
from reference.transfer import DEFAULT_MAX_FILE_SIZE, Responder, ResponderPolicy

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
            f"frame limit {self.max_frame_payload} B, CRL refresh {self.crl_refresh:g} s, "
            f"allowed: {allow}"
        )


def _log(line: str) -> None:
    print(f"sft-peer: {line}", file=sys.stderr, flush=True)


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
    ) -> None:
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
        self._app = AppConfig(config.max_frame_payload)
        self._slots = threading.BoundedSemaphore(config.max_connections)
        self._busy_slots = threading.BoundedSemaphore(_BUSY_EXTRA)
        self._stop = threading.Event()
        self._listener = socket.create_server((config.host, config.port), backlog=128)
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

    def close(self) -> None:
        self.shutdown()
        self._listener.close()
        if self.share is not None:
            self.share.close()
        if self.inbox is not None:
            self.inbox.close()

    def _dispatch(self, raw: socket.socket, addr: tuple[str, int]) -> None:
        if self._slots.acquire(blocking=False):
            target, release = self._connection, self._slots.release
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
                if target == self._connection:
                    self.log(f"{addr[0]}:{addr[1]}: connection ended")

        try:
            threading.Thread(target=run, name=f"peer-{addr[0]}:{addr[1]}", daemon=True).start()
        except RuntimeError:
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

    def _connection(self, raw: socket.socket, addr: tuple[str, int]) -> None:
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
            Responder(
                tls, policy, self._app, lambda line: self.log(f"{alias}@{where}: {line}")
            ).run()
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
