"""The sft-pki/1 initiator: connect to `alias@host:port`, check the alias, get and put.

PKI-ID-1: the responder's certificate must name the alias the user asked for, and
this is checked right after the handshake, before any application frame is sent —
a man in the middle holding another employee's valid certificate stops here.
Every failure becomes a `PkiClientError` with one line a person can act on.
"""

from __future__ import annotations

import contextlib
import re
import secrets
import socket
import ssl
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Final

from reference.app import AppConfig
from reference.errors import ErrorCode, ProtocolError
from reference.frames import DEFAULT_MAX_PAYLOAD
from reference.pki.alias import ALIAS_RE
from reference.pki.enroll import CaClient, EnrollError, write_public
from reference.pki.tls import (
    CertificateRefused,
    Identity,
    check_crl,
    client_context,
    close_tls,
    describe_tls_error,
    peer_alias,
)
from reference.transfer import (
    DEFAULT_MAX_FILE_SIZE,
    Initiator,
    Progress,
    TransferFailed,
    TransferRefused,
)

__all__ = ["ClientConfig", "PkiClientError", "PkiSession", "load_crl", "parse_target"]

_TARGET_RE: Final = re.compile(r"(?P<alias>[^@]+)@(?P<host>\[[^\]]+\]|[^:]+):(?P<port>[0-9]{1,5})")


class PkiClientError(Exception):
    """One line for the user, and the exit code (1: refused/failed, 2: environment)."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


@dataclass(frozen=True, slots=True)
class ClientConfig:
    """Every limit of the initiator [LIM-7]."""

    connect_timeout: float = 10.0
    handshake_timeout: float = 10.0
    idle_timeout: float = 60.0
    max_file_size: int = DEFAULT_MAX_FILE_SIZE
    max_frame_payload: int = DEFAULT_MAX_PAYLOAD
    crl_max_age: float = 300.0  # refetch the cached CRL when older [PKI-CERT-7]
    # A responder over its limits (LIM-4, LIM-8) can only close before TLS exists: such
    # a refusal is tried again this many times at most, with jittered exponential
    # backoff (0.2 s doubling, 2 s at most per wait, `busy_budget` seconds in all), so
    # that an honest burst from one address gets through. Never after the handshake.
    busy_retries: int = 10
    busy_budget: float = 10.0

    def __post_init__(self) -> None:
        if min(self.connect_timeout, self.handshake_timeout, self.idle_timeout) <= 0:
            raise ValueError("timeouts must be > 0")
        if self.busy_retries < 0 or self.busy_budget < 0:
            raise ValueError("busy retries and budget must be >= 0")
        if self.max_file_size < 0 or self.crl_max_age < 0:
            raise ValueError("limits must be >= 0")
        AppConfig(self.max_frame_payload)

    def describe(self) -> str:
        return (
            f"connect timeout {self.connect_timeout:g} s, handshake timeout "
            f"{self.handshake_timeout:g} s, idle timeout {self.idle_timeout:g} s, max file size "
            f"{self.max_file_size} B, frame limit {self.max_frame_payload} B, "
            f"CRL max age {self.crl_max_age:g} s, busy retries {self.busy_retries}"
        )


def parse_target(text: str) -> tuple[str, str, int]:
    """`alias@host:port` -> (alias, host, port)."""
    match = _TARGET_RE.fullmatch(text)
    if match is None or int(match["port"]) > 65535:
        raise PkiClientError(f"the target must be ALIAS@HOST:PORT, not {text!r}", 2)
    alias = match["alias"]
    if not ALIAS_RE.fullmatch(alias):
        raise PkiClientError(f"{alias!r} is not a valid alias", 2)
    return alias, match["host"].strip("[]"), int(match["port"])


def load_crl(identity: Identity, config: ClientConfig, crl_file: Path | None = None) -> bytes:
    """The CRL to check the responder against: a given file, the cache, or the CA."""
    root_pem = identity.root.read_bytes()
    try:
        if crl_file is not None:
            data = crl_file.read_bytes()
            check_crl(data, root_pem)
            return data
        cache = identity.crl_cache
        with contextlib.suppress(OSError, CertificateRefused):
            if time.time() - cache.stat().st_mtime <= config.crl_max_age:
                data = cache.read_bytes()
                check_crl(data, root_pem)
                return data
        url = identity.ca_url()
        if url is None:
            raise PkiClientError(f"no CA URL in {identity.directory} and no --crl given", 2)
        try:
            data = CaClient(url, root_pem, timeout=config.connect_timeout).crl()
        except EnrollError as exc:
            # The CA is down: a cached CRL still before its nextUpdate will do.
            with contextlib.suppress(OSError, CertificateRefused):
                data = cache.read_bytes()
                check_crl(data, root_pem)
                return data
            raise PkiClientError(f"cannot get a current CRL: {exc}", 2) from None
        write_public(cache, data)
        return data
    except CertificateRefused as exc:
        raise PkiClientError(str(exc), 2) from None
    except OSError as exc:
        raise PkiClientError(f"cannot read the CRL: {exc.strerror or exc}", 2) from None


class PkiSession:
    """One TLS connection to a responder whose alias has been checked."""

    def __init__(
        self,
        identity: Identity,
        target: str,
        config: ClientConfig | None = None,
        *,
        crl: bytes | None = None,
        context: ssl.SSLContext | None = None,
    ) -> None:
        self.config = config or ClientConfig()
        self.alias, host, port = parse_target(target)
        try:
            identity.check()
        except FileNotFoundError as exc:
            raise PkiClientError(str(exc), 2) from None
        if context is None:
            # Building a context (key, chain, CRL) costs a few ms: callers making many
            # connections build it once with `client_context` and pass it in.
            context = client_context(
                identity, crl if crl is not None else load_crl(identity, self.config)
            )
        self._sock = self._connect(context, host, port)
        self._initiator = Initiator(
            self._sock, AppConfig(self.config.max_frame_payload), self.config.max_file_size
        )

    def _connect(self, context: ssl.SSLContext, host: str, port: int) -> ssl.SSLSocket:
        """Connects and completes the TLS handshake, retrying a refusal before it.

        Only a close before the handshake completed is retried: nothing of ours has
        been acted upon then. A certificate refusal, an EROR, a failed transfer come
        after it and are never retried (a put must not be repeated).
        """
        cfg = self.config
        started = time.monotonic()
        refused = 0
        while True:
            try:
                return self._connect_once(context, host, port, reached=refused > 0)
            except _RefusedBeforeHandshake as exc:
                refused += 1
                wait = min(2.0, 0.2 * 2 ** (refused - 1)) * (0.5 + secrets.randbelow(1001) / 1000)
                if (
                    refused > cfg.busy_retries
                    or time.monotonic() - started + wait > cfg.busy_budget
                ):
                    if refused == 1:
                        raise exc.error from None  # no retries allowed: the plain reason
                    raise PkiClientError(
                        f"responder busy: refused {refused} connections before the TLS "
                        "handshake; try later"
                    ) from None
                time.sleep(wait)

    def _connect_once(
        self, context: ssl.SSLContext, host: str, port: int, *, reached: bool
    ) -> ssl.SSLSocket:
        try:
            raw = socket.create_connection((host, port), timeout=self.config.connect_timeout)
        except OSError as exc:
            error = PkiClientError(
                f"cannot connect to {self.alias} at {host}:{port}: {exc.strerror or exc}", 2
            )
            # A reset: a responder accepted and refused at once. Refused by a responder
            # that was there a moment ago: its backlog is full. Refused at the first try:
            # nobody listens, and waiting will not help.
            if isinstance(exc, (ConnectionResetError, ConnectionAbortedError)) or (
                reached and isinstance(exc, ConnectionRefusedError)
            ):
                raise _RefusedBeforeHandshake(error) from None
            raise error from None
        raw.settimeout(self.config.handshake_timeout)
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # no Nagle delay on requests
        try:
            sock = context.wrap_socket(raw)
        except ssl.SSLError as exc:
            raw.close()
            error = PkiClientError(describe_tls_error(exc, peer=self.alias))
            if _closed_without_alert(exc):
                raise _RefusedBeforeHandshake(error) from None
            raise error from None
        except OSError as exc:
            raw.close()
            error = PkiClientError(
                f"the TLS handshake with {host}:{port} failed: {exc.strerror or exc}", 2
            )
            if isinstance(exc, (ConnectionResetError, ConnectionAbortedError, BrokenPipeError)):
                raise _RefusedBeforeHandshake(error) from None
            raise error from None
        try:
            name = peer_alias(sock, as_server=False)
            if name != self.alias:  # [PKI-ID-1]
                raise CertificateRefused(
                    f"the peer at {host}:{port} is {name}, not {self.alias}: refusing to talk to it"
                )
        except CertificateRefused as exc:
            close_tls(sock)
            raise PkiClientError(str(exc)) from None
        sock.settimeout(self.config.idle_timeout)
        return sock

    def _translate(self, exc: Exception, what: str) -> PkiClientError:
        if isinstance(exc, TransferRefused):
            return PkiClientError(self._refusal(exc.code, exc.message, what))
        if isinstance(exc, TransferFailed):
            if exc.code is ErrorCode.INTEGRITY_FAILED:
                return PkiClientError("integrity check failed: nothing was saved")
            if exc.code is ErrorCode.BUSY:
                return PkiClientError(f"{self.alias}'s peer is busy: try again later")
            if exc.code is ErrorCode.AUTH_FAILED:
                return PkiClientError(f"{self.alias}'s peer refused your certificate")
            if exc.code is ErrorCode.FORBIDDEN:
                return PkiClientError(_printable(exc.message))
            if not exc.remote and exc.message.startswith("connection closed"):
                return PkiClientError(
                    f"{self.alias}'s peer closed the connection during the transfer: "
                    "nothing was saved"
                )
            side = f"{self.alias}'s peer" if exc.remote else "this side"
            return PkiClientError(
                f"{what} failed ({side}: {exc.code.wire_name}): nothing was saved"
            )
        if isinstance(exc, ssl.SSLError):
            return PkiClientError(describe_tls_error(exc, peer=f"{self.alias}'s peer"))
        if isinstance(exc, ProtocolError):
            return PkiClientError(f"{what}: {exc.message}", 2)
        if isinstance(exc, FileExistsError):
            return PkiClientError(str(exc))
        if isinstance(exc, OSError):
            return PkiClientError(f"{what} failed: {exc.strerror or exc}")
        return PkiClientError(f"{what} failed: {exc}")

    def _refusal(self, code: ErrorCode, message: str, what: str) -> str:
        if code is ErrorCode.NOT_FOUND:
            return f"{self.alias} has no such file to share ({what})"
        if code is ErrorCode.EXISTS:
            return f"{self.alias} already has a file of that name ({what})"
        if code is ErrorCode.TOO_LARGE:
            return f"the file is larger than {self.alias}'s peer accepts ({what})"
        if code is ErrorCode.UNSUPPORTED:
            return f"{self.alias}'s peer does not allow this ({what})"
        return _printable(message) or f"{self.alias}'s peer refused: {code.wire_name}"

    def get(
        self,
        name: str,
        destination: Path,
        *,
        overwrite: bool = False,
        progress: Progress | None = None,
    ) -> int:
        try:
            done = self._initiator.get(name, destination, overwrite=overwrite, progress=progress)
        except (TransferRefused, TransferFailed, ProtocolError, OSError, ValueError) as exc:
            raise self._translate(exc, f"get {name}") from None
        return done.size

    def put(
        self, source: Path, name: str | None = None, *, progress: Progress | None = None
    ) -> str:
        try:
            return self._initiator.put(source, name, progress=progress)
        except (TransferRefused, TransferFailed, ProtocolError, OSError, ValueError) as exc:
            raise self._translate(exc, f"put {source.name}") from None

    def close(self) -> None:
        self._initiator.bye()
        close_tls(self._sock)

    def __enter__(self) -> PkiSession:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class _RefusedBeforeHandshake(Exception):
    """The responder closed before the TLS handshake completed: it is over its limits."""

    def __init__(self, error: PkiClientError) -> None:
        super().__init__(str(error))
        self.error = error


def _closed_without_alert(exc: ssl.SSLError) -> bool:
    """An EOF in the handshake, not an alert: a refusal before TLS (LIM-4, LIM-8, LIM-9)."""
    return (
        isinstance(exc, (ssl.SSLEOFError, ssl.SSLZeroReturnError))
        or "UNEXPECTED_EOF" in (exc.reason or "").upper()
    )


def _printable(text: str) -> str:
    """A peer's message, shown to the user without control characters (ERR-5)."""
    return "".join(c if c.isprintable() else "?" for c in text)[:200]
