"""sft-pki/1 channels for the suite: TLS 1.3 from Python's `ssl` (OpenSSL), nothing else.

* `client_context` / `server_context` build TLS contexts that trust only the given root
  [PKI-TLS-4], offer ALPN `sft-pki/1` [PKI-TLS-2] and present a certificate; every knob
  a test needs to misbehave (TLS 1.2, no ALPN, no certificate) is a keyword.
* `connect_pki` opens a `PkiChannel` (a `RawConnection` over the TLS socket, so it
  implements `conformance.channel.Channel`) or returns a `HandshakeRefused` with what
  OpenSSL reported — a refusal is an outcome to judge, not an exception.
* `HostileResponder` is a TLS server the suite controls: it presents any certificate
  and runs a scripted conversation, so the suite can test an *initiator* launched with
  `--client-cmd` (and play the man in the middle with another employee's certificate).
"""

from __future__ import annotations

import _ssl
import contextlib
import ctypes
import os
import shlex
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conformance.wire import (
    DEFAULT_TIMEOUT,
    Closed,
    ConformanceFailure,
    Event,
    RawConnection,
    ReceivedFrame,
    Transcript,
    deadline_after,
)

__all__ = [
    "ALPN",
    "HandshakeRefused",
    "HostileResponder",
    "Script",
    "PeerInfo",
    "PkiChannel",
    "ClientRun",
    "client_context",
    "server_context",
    "connect_pki",
    "peer_common_name",
    "refused_after_handshake",
    "judge_responder_refusal",
    "close_bound",
    "end_sending",
    "ended_cleanly",
    "run_client_command",
]

ALPN = "sft-pki/1"


def client_context(
    root: Path | str,
    cert: Path | str | None = None,
    key: Path | str | None = None,
    *,
    alpn: Sequence[str] | None = (ALPN,),
    max_version: ssl.TLSVersion = ssl.TLSVersion.TLSv1_3,
    min_version: ssl.TLSVersion | None = None,
    weak_allowed: bool = False,
) -> ssl.SSLContext:
    """An initiator's context: trusts `root` only, presents `cert` (if given).

    Host name checking is off on purpose: sft-pki/1 names a responder by the alias in its
    certificate's CN (PKI-ID-1), which the suite checks itself after the handshake.
    """
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_REQUIRED
    # Only the organisation root: no load_default_certs() [PKI-TLS-4].
    ctx.load_verify_locations(cafile=str(root))
    ctx.minimum_version = min_version or (
        max_version if max_version < ssl.TLSVersion.TLSv1_3 else ssl.TLSVersion.TLSv1_3
    )
    ctx.maximum_version = max_version
    if weak_allowed:
        _allow_weak(ctx)
    if cert is not None:
        ctx.load_cert_chain(str(cert), str(key) if key is not None else None)
    if alpn:
        ctx.set_alpn_protocols(list(alpn))
    return ctx


def server_context(
    cert: Path | str,
    key: Path | str,
    root: Path | str | None = None,
    *,
    alpn: Sequence[str] | None = (ALPN,),
    max_version: ssl.TLSVersion = ssl.TLSVersion.TLSv1_3,
    request_client_cert: bool = True,
    weak_allowed: bool = True,
) -> ssl.SSLContext:
    """A responder's context (the hostile responder's: it does not judge the client, and
    by default it may present weak certificates, which the initiator must refuse)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = min(max_version, ssl.TLSVersion.TLSv1_2)
    ctx.maximum_version = max_version
    if weak_allowed:
        _allow_weak(ctx)
    ctx.load_cert_chain(str(cert), str(key))
    if root is not None and request_client_cert:
        ctx.load_verify_locations(cafile=str(root))
        # Optional: the suite's responder asks for a certificate (as a real one must)
        # but lets the client under test continue, so that the client is what is judged.
        ctx.verify_mode = ssl.CERT_OPTIONAL
    if alpn:
        ctx.set_alpn_protocols(list(alpn))
    return ctx


def _allow_weak(ctx: ssl.SSLContext) -> None:
    """OpenSSL security level 0, so that the suite can *present* a certificate the target
    must refuse (RSA-1024, SHA-1 signature: PKI-CERT-9); its own checks are unchanged."""
    ctx.set_ciphers("DEFAULT:@SECLEVEL=0")


# TLS 1.3 SignatureScheme code points (RFC 8446 §4.2.3) a CertificateRequest may list.
_SIGNATURE_SCHEMES = {
    0x0201: "rsa_pkcs1_sha1",
    0x0203: "ecdsa_sha1",
    0x0401: "rsa_pkcs1_sha256",
    0x0403: "ecdsa_secp256r1_sha256",
    0x0501: "rsa_pkcs1_sha384",
    0x0503: "ecdsa_secp384r1_sha384",
    0x0601: "rsa_pkcs1_sha512",
    0x0603: "ecdsa_secp521r1_sha512",
    0x0804: "rsa_pss_rsae_sha256",
    0x0805: "rsa_pss_rsae_sha384",
    0x0806: "rsa_pss_rsae_sha512",
    0x0807: "ed25519",
    0x0808: "ed448",
    0x0809: "rsa_pss_pss_sha256",
}
_HANDSHAKE, _CERTIFICATE_REQUEST, _CERTIFICATE = 22, 13, 11
_EXT_SIGNATURE_ALGORITHMS, _EXT_SIGNATURE_ALGORITHMS_CERT = 13, 50


@dataclass
class CertificateWatch:
    """What the suite's own TLS stack was asked for and sent, seen through OpenSSL's
    message callback (decrypted handshake messages): OpenSSL sends no certificate when
    the peer's CertificateRequest lists no signature scheme matching the certificate's
    own signature (signature_algorithms_cert, RFC 8446 §4.2.3), however bad the suite
    meant that certificate to be. A refusal then judges "no certificate", not it."""

    certificates_sent: int | None = None  # entries of our Certificate message
    cert_schemes: tuple[int, ...] | None = None  # the CertificateRequest's list

    @property
    def withheld(self) -> bool:
        return self.certificates_sent == 0

    def describe_request(self) -> str:
        names = [_SIGNATURE_SCHEMES.get(c, f"0x{c:04x}") for c in self.cert_schemes or ()]
        return ", ".join(names) or "(not seen)"

    def _on_message(self, direction: str, content_type: int, msg_type: int, data: bytes) -> None:
        if content_type != _HANDSHAKE or len(data) < 5:
            return
        if direction == "write" and msg_type == _CERTIFICATE:
            context = data[4]
            at = 5 + context
            if len(data) >= at + 3:
                listed = int.from_bytes(data[at : at + 3], "big")
                self.certificates_sent = 0 if listed == 0 else max(1, self.certificates_sent or 0)
        elif direction == "read" and msg_type == _CERTIFICATE_REQUEST:
            self.cert_schemes = _cert_schemes(data)


def _cert_schemes(data: bytes) -> tuple[int, ...] | None:
    """signature_algorithms_cert of a TLS 1.3 CertificateRequest, else its
    signature_algorithms (which then applies to certificates too)."""
    at = 5 + data[4]  # header, certificate_request_context
    if len(data) < at + 2:
        return None
    end = min(len(data), at + 2 + int.from_bytes(data[at : at + 2], "big"))
    at += 2
    found: dict[int, tuple[int, ...]] = {}
    while at + 4 <= end:
        kind = int.from_bytes(data[at : at + 2], "big")
        size = int.from_bytes(data[at + 2 : at + 4], "big")
        body = data[at + 4 : at + 4 + size]
        if kind in (_EXT_SIGNATURE_ALGORITHMS, _EXT_SIGNATURE_ALGORITHMS_CERT) and len(body) >= 2:
            count = int.from_bytes(body[:2], "big") // 2
            found[kind] = tuple(
                int.from_bytes(body[2 + 2 * i : 4 + 2 * i], "big") for i in range(count)
            )
        at += 4 + size
    return found.get(_EXT_SIGNATURE_ALGORITHMS_CERT, found.get(_EXT_SIGNATURE_ALGORITHMS))


def watch_certificates(ctx: ssl.SSLContext) -> CertificateWatch:
    """Installs a CertificateWatch on `ctx` (CPython's `_msg_callback`, a debugging hook
    present since 3.8; without it the watch stays empty and judges nothing)."""
    watch = CertificateWatch()

    def callback(
        conn: object, direction: str, version: object, content_type: int, msg_type: int,
        data: bytes,
    ) -> None:  # fmt: skip
        watch._on_message(direction, int(content_type), int(msg_type), bytes(data))

    if hasattr(ctx, "_msg_callback"):
        setattr(ctx, "_msg_callback", callback)  # noqa: B010 (a private hook, not typed)
    return watch


@dataclass(frozen=True)
class PeerInfo:
    """What the TLS handshake established."""

    version: str | None
    alpn: str | None
    cipher: str | None
    peer_cn: str | None


@dataclass(frozen=True)
class HandshakeRefused:
    """The TLS handshake did not complete: the evidence is OpenSSL's reason."""

    reason: str
    transcript: Transcript

    def describe(self) -> str:
        return f"TLS handshake refused: {self.reason}"


def peer_common_name(sock: ssl.SSLSocket) -> str | None:
    cert = sock.getpeercert()
    if not cert:
        return None
    subject: Any = cert.get("subject", ())
    for rdn in subject:
        for key, value in rdn:
            if key == "commonName":
                return str(value)
    return None


class PkiChannel(RawConnection):
    """An sft-pki/1 channel: application frames straight over the TLS stream [PKI-TLS-6]."""

    sock: ssl.SSLSocket

    def __init__(self, sock: ssl.SSLSocket, *, name: str, timeout: float, transcript: Transcript):
        super().__init__(sock, name=name, timeout=timeout, transcript=transcript)
        self.peer = PeerInfo(
            version=sock.version(),
            alpn=sock.selected_alpn_protocol(),
            cipher=(sock.cipher() or (None,))[0],
            peer_cn=peer_common_name(sock),
        )
        # Whether a TLS error of the target's bytes FAILs (set by `connect_pki`: the suite
        # judges a responder; the hostile responder's channels judge their client apart).
        self.judge_tls = False

    def recv_frame(self, deadline: float | None = None) -> Event:
        """As `RawConnection.recv_frame`; a TLS error that the suite's own TLS stack
        detected in the target's bytes (not an alert the target sent) FAILs PKI-TLS-6
        when the suite judges the peer (`judge_tls`: a channel to a target responder)."""
        event = super().recv_frame(deadline)
        if (
            self.judge_tls
            and isinstance(event, Closed)
            and event.kind == "tls_alert"
            and not _is_alert(event.detail)
        ):
            raise ConformanceFailure(
                f"PKI-TLS-6: after the TLS handshake the target sent bytes that are not TLS "
                f"records of the connection: the suite's TLS stack failed with "
                f"{event.detail!r} (no alert was received)\n"
                "Expected: every application frame inside the TLS stream, and its end a "
                "close_notify or an alert\n"
                f"Actual:   {event.describe()}\n"
                f"Transcript (last entries):\n{self.transcript.tail()}",
                violates=("PKI-TLS-6",),
            )
        return event

    def close(self) -> None:
        if not self.closed:
            try:
                # close_notify first: the only clean end of an sft-pki stream.
                self.sock.settimeout(0.2)
                self.sock.unwrap()
            except (OSError, ValueError, ssl.SSLError):
                pass
        super().close()

    @property
    def end(self) -> Closed | None:
        """How the stream ended, once the suite has read its end (None before)."""
        return self._closed

    def probe_closed(self, timeout: float = DEFAULT_TIMEOUT) -> Event:
        """The next event (a refusal after a TLS 1.3 handshake shows up as a close here)."""
        return self.recv_frame(time.monotonic() + timeout)


def connect_pki(
    host: str,
    port: int,
    ctx: ssl.SSLContext,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    name: str = "",
    server_hostname: str | None = None,
    session: ssl.SSLSession | None = None,
) -> PkiChannel | HandshakeRefused:
    """Connects and completes the TLS handshake, or says why it was refused.

    `server_hostname` is sent as SNI only (the context checks no host name): a claim an
    initiator makes, which a responder must never take for its identity [PKI-ID-2].
    `session`: a TLS session (ticket) from an earlier connection, offered for resumption."""
    transcript = Transcript(name=name or f"pki {host}:{port}")
    try:
        raw = socket.create_connection((host, port), timeout=timeout)
    except OSError as exc:
        transcript.add("event", note=f"connect failed: {exc}")
        return HandshakeRefused(f"TCP connect failed: {exc}", transcript)
    raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    transcript.add("event", note=f"connected to {host}:{port}")
    try:
        # A ragged EOF (TCP FIN without close_notify) must stay visible [PKI-TLS-6].
        tls = ctx.wrap_socket(
            raw,
            server_side=False,
            suppress_ragged_eofs=False,
            server_hostname=server_hostname,
            session=session,
        )
    except (ssl.SSLError, OSError) as exc:
        raw.close()
        reason = getattr(exc, "reason", None) or str(exc) or type(exc).__name__
        transcript.add("event", note=f"TLS handshake failed: {reason}")
        return HandshakeRefused(str(reason), transcript)
    channel = PkiChannel(tls, name=transcript.name, timeout=timeout, transcript=transcript)
    channel.judge_tls = True
    transcript.add(
        "event",
        note=f"TLS established: {channel.peer.version} alpn={channel.peer.alpn} "
        f"cipher={channel.peer.cipher} peer CN={channel.peer.peer_cn}",
    )
    return channel


def _is_alert(reason: str) -> bool:
    """Whether OpenSSL's reason names an alert the peer sent (SSLV3_ALERT_*, TLSV1_ALERT_*,
    TLSV13_ALERT_*, and the TLSV1_* alerts named without ALERT), not an error the suite's
    own stack found in the peer's bytes (WRONG_VERSION_NUMBER, BAD_RECORD_MAC, ...)."""
    upper = reason.upper()
    return "ALERT" in upper or upper.startswith("TLSV1")


def refused_after_handshake(result: PkiChannel | HandshakeRefused, timeout: float) -> str | None:
    """None if the target accepted the connection; otherwise how it refused.

    In TLS 1.3 a responder judges the client certificate after the client has finished
    its side of the handshake, so a refusal may arrive as an alert on the first read. The
    suite sends nothing and waits: a responder that accepted the client stays silent
    (waiting for a request), one that refused closes or alerts.
    """
    if isinstance(result, HandshakeRefused):
        return result.describe()
    event = result.recv_frame(time.monotonic() + timeout)
    if isinstance(event, Closed):
        return event.describe()
    return None


def ended_cleanly(event: Event) -> bool:
    """The stream ended with a TLS close_notify, its only clean end [PKI-TLS-6].

    Channels are wrapped with `suppress_ragged_eofs=False`, so a bare TCP FIN shows as
    `Closed("eof", "TCP closed without close_notify")`, a reset as "reset", an alert as
    "tls_alert", and only a close_notify as an EOF without detail (or "tls_eof").
    """
    if not isinstance(event, Closed):
        return False
    return event.kind == "tls_eof" or (event.kind == "eof" and not event.detail)


_AUTH_FAILED = 4


def close_bound(idle_timeout: float) -> float:
    """How long a responder may take to close after a fatal EROR: well under its idle
    timeout (a close that only the idle timeout brings is not a close "at once")."""
    return max(0.3, min(2.0, 0.8 * idle_timeout))


def judge_responder_refusal(
    result: PkiChannel | HandshakeRefused,
    what: str,
    *,
    request_name: str,
    close_within: float,
) -> None:
    """The responder refused the connection; raises `ConformanceFailure` with evidence if not.

    Accepted: a refused handshake; or, since a TLS 1.3 server judges the client
    certificate after the client has finished, a close (alert, close_notify, FIN) or an
    `EROR auth_failed` on the first read after the suite's request, and then the end of
    the connection within `close_within` seconds [ERR-3]. A responder that answers the
    request accepted the certificate; one that says `auth_failed` and keeps the
    connection until its idle timeout did not refuse it at once: both FAIL, fast.
    """
    if isinstance(result, HandshakeRefused):
        return
    result.send_frame("RQFL", {"name": request_name})
    first = result.recv_frame(deadline_after(DEFAULT_TIMEOUT))
    if isinstance(first, Closed):
        return
    if isinstance(first, ReceivedFrame) and first.error_code == _AUTH_FAILED:
        after = result.recv_frame(deadline_after(close_within))
        if isinstance(after, Closed):
            return
        raise ConformanceFailure.evidence(
            f"ERR-3: {what}: EROR auth_failed, but the connection stayed open",
            f"the connection ends within {close_within:.2f} s of the fatal EROR (ERR-3)",
            after.describe(),
            note="a refused certificate must end the connection at once, not at a timeout",
        )
    raise ConformanceFailure.evidence(
        f"{what}: the responder accepted the connection",
        "a refused TLS handshake, or a close / EROR auth_failed (then close) on the first read",
        f"RQFL {request_name!r} answered with {first.describe()}",
        note=f"peer {result.peer}",
    )


# --- hostile responder, for testing initiators --------------------------------------------

Script = Callable[[PkiChannel], None]


@dataclass
class HostileResponder:
    """A TLS responder under the suite's control, on an ephemeral loopback port.

    Each accepted connection runs `script(channel)` in a thread; what happened (handshake
    failures, frames received, transcripts) is recorded for the test to judge.
    """

    ctx: ssl.SSLContext
    script: Script
    timeout: float = DEFAULT_TIMEOUT
    host: str = "127.0.0.1"
    port: int = 0
    # The first `refuse_first` connections are closed before any TLS byte, as a responder
    # over its limits does (LIM-4/8/9): an initiator may retry, and must check again.
    refuse_first: int = 0
    transcripts: list[Transcript] = field(default_factory=list)
    handshake_errors: list[str] = field(default_factory=list)
    script_errors: list[str] = field(default_factory=list)
    channels: list[PkiChannel] = field(default_factory=list)
    _listener: socket.socket | None = None
    _threads: list[threading.Thread] = field(default_factory=list)
    _stopping: threading.Event = field(default_factory=threading.Event)

    def __enter__(self) -> HostileResponder:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.bind((self.host, 0))
        listener.listen(8)
        listener.settimeout(0.2)
        self._listener = listener
        self.port = listener.getsockname()[1]
        thread = threading.Thread(target=self._accept_loop, name="hostile-accept", daemon=True)
        thread.start()
        self._threads.append(thread)
        return self

    def __exit__(self, *exc: object) -> None:
        self._stopping.set()
        for thread in list(self._threads):
            thread.join(timeout=self.timeout + 2)
        if self._listener is not None:
            self._listener.close()
        for channel in self.channels:
            channel.close()

    def _accept_loop(self) -> None:
        assert self._listener is not None
        while not self._stopping.is_set():
            try:
                raw, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            thread = threading.Thread(target=self._serve, args=(raw,), daemon=True)
            thread.start()
            self._threads.append(thread)

    def _serve(self, raw: socket.socket) -> None:
        transcript = Transcript(name=f"hostile responder #{len(self.transcripts) + 1}")
        self.transcripts.append(transcript)
        if len(self.transcripts) <= self.refuse_first:
            transcript.add("event", note="closed before the TLS handshake (a busy refusal)")
            raw.close()
            return
        raw.settimeout(self.timeout)
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            tls = self.ctx.wrap_socket(raw, server_side=True, suppress_ragged_eofs=False)
        except (ssl.SSLError, OSError) as exc:
            reason = getattr(exc, "reason", None) or str(exc) or type(exc).__name__
            self.handshake_errors.append(str(reason))
            transcript.add("event", note=f"TLS handshake failed: {reason}")
            raw.close()
            return
        channel = PkiChannel(tls, name=transcript.name, timeout=self.timeout, transcript=transcript)
        self.channels.append(channel)
        transcript.add("event", note=f"TLS established: {channel.peer}")
        try:
            self.script(channel)
        except Exception as exc:  # a harness fault, reported as such by the test
            self.script_errors.append(f"{type(exc).__name__}: {exc}")
        finally:
            channel.close()

    def frames_received(self) -> list[str]:
        """Types of every frame any client sent (PKI-ID-1: none before the alias check)."""
        return [
            e.data[:4].decode("latin-1")
            for t in self.transcripts
            for e in t.entries
            if e.direction == "recv"
        ]


@dataclass(frozen=True)
class ClientRun:
    """What a client under test did: exit code, output and whether it wrote the file."""

    argv: list[str]
    returncode: int | None
    stdout: str
    stderr: str
    out: Path
    timed_out: bool

    @property
    def kept_file(self) -> bool:
        return self.out.exists()

    def describe(self) -> str:
        tail = (self.stderr.strip() or self.stdout.strip()).splitlines()[-3:]
        status = "timed out" if self.timed_out else f"exit code {self.returncode}"
        kept = "kept the output file" if self.kept_file else "no output file"
        return f"client {status}, {kept}; last output: {' / '.join(tail) or '(none)'}"


def run_client_command(
    template: str,
    *,
    host: str,
    port: int,
    name: str,
    out: Path,
    alias: str = "",
    timeout: float = 20.0,
    env: Mapping[str, str] | None = None,
) -> ClientRun:
    """Launches the initiator under test with the template filled in (no shell); `env`
    adds variables to the suite's environment (e.g. a planted SSL_CERT_FILE)."""
    argv = [
        part.format(host=host, port=port, name=name, out=str(out), alias=alias)
        for part in shlex.split(template)
    ]
    try:
        done = subprocess.run(
            argv,
            capture_output=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
            check=False,
            env={**os.environ, **env} if env else None,
        )
    except subprocess.TimeoutExpired as exc:
        return ClientRun(
            argv,
            None,
            _text(exc.stdout),
            _text(exc.stderr),
            out,
            True,
        )
    return ClientRun(argv, done.returncode, _text(done.stdout), _text(done.stderr), out, False)


def _text(data: bytes | str | None) -> str:
    if data is None:
        return ""
    return data if isinstance(data, str) else data.decode("utf-8", "replace")


def _close_notify_only(sock: ssl.SSLSocket) -> bool:
    """Sends the suite's close_notify with ONE OpenSSL `SSL_shutdown`, which writes the
    alert and reads nothing; False (nothing sent) when CPython's `SSL *` is not reachable.

    `ssl.SSLSocket.unwrap` calls `SSL_shutdown` twice: the second call, at once, reads
    for the peer's close_notify, and OpenSSL 3 drops the application data it finds there
    and fails the stream (APPLICATION_DATA_AFTER_CLOSE_NOTIFY; every later read is an
    SSLEOFError). A client that acts on the cut frame answers our close_notify at once,
    and whenever its DATA arrives before that second call (the thread may wait for the
    GIL between the two), the suite never sees what it sent."""
    inner = getattr(sock, "_sslobj", None)
    try:
        lib = ctypes.CDLL(_ssl.__file__)
        ssl_shutdown, ssl_version = lib.SSL_shutdown, lib.SSL_version
    except (AttributeError, OSError):
        return False
    if inner is None:
        return False
    ssl_shutdown.argtypes = ssl_version.argtypes = [ctypes.c_void_p]
    ssl_shutdown.restype = ssl_version.restype = ctypes.c_int
    # CPython's PySSLSocket: the object header, a weak reference, then `SSL *` (as
    # conformance/selftest/readings_servers.py reads it).
    at = id(inner) + object.__basicsize__ + ctypes.sizeof(ctypes.c_void_p)
    handle = ctypes.c_void_p.from_address(at).value
    if not handle or ssl_version(handle) != ssl.TLSVersion.TLSv1_3:
        return False
    return int(ssl_shutdown(handle)) >= 0


def end_sending(sock: socket.socket, how: str) -> None:
    """Ends the suite's sending side and keeps its reading side: a bare TCP FIN (`how` =
    "fin", or a socket without TLS), or a TLS close_notify that does not wait for the
    peer's (a TLS 1.3 stream stays readable after it, RFC 8446 §6.1), sent so that
    nothing the peer sends after it is dropped (`_close_notify_only`; else a non-blocking
    unwrap)."""
    if how == "fin" or not isinstance(sock, ssl.SSLSocket):
        with contextlib.suppress(OSError):
            socket.socket.shutdown(sock, socket.SHUT_WR)
        return
    if _close_notify_only(sock):
        return
    timeout = sock.gettimeout()
    sock.settimeout(0.0)
    try:
        with contextlib.suppress(ssl.SSLError, OSError, ValueError):
            sock.unwrap()
    finally:
        sock.settimeout(timeout)
