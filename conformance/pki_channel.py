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

import shlex
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conformance.wire import DEFAULT_TIMEOUT, Closed, Event, RawConnection, Transcript

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
) -> ssl.SSLContext:
    """A responder's context (the hostile responder's: it does not judge the client)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = min(max_version, ssl.TLSVersion.TLSv1_2)
    ctx.maximum_version = max_version
    ctx.load_cert_chain(str(cert), str(key))
    if root is not None and request_client_cert:
        ctx.load_verify_locations(cafile=str(root))
        # Optional: the suite's responder asks for a certificate (as a real one must)
        # but lets the client under test continue, so that the client is what is judged.
        ctx.verify_mode = ssl.CERT_OPTIONAL
    if alpn:
        ctx.set_alpn_protocols(list(alpn))
    return ctx


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

    def close(self) -> None:
        if not self.closed:
            try:
                # close_notify first: the only clean end of an sft-pki stream.
                self.sock.settimeout(0.2)
                self.sock.unwrap()
            except (OSError, ValueError, ssl.SSLError):
                pass
        super().close()

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
) -> PkiChannel | HandshakeRefused:
    """Connects and completes the TLS handshake, or says why it was refused."""
    transcript = Transcript(name=name or f"pki {host}:{port}")
    try:
        raw = socket.create_connection((host, port), timeout=timeout)
    except OSError as exc:
        transcript.add("event", note=f"connect failed: {exc}")
        return HandshakeRefused(f"TCP connect failed: {exc}", transcript)
    raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    transcript.add("event", note=f"connected to {host}:{port}")
    try:
        tls = ctx.wrap_socket(raw, server_side=False)
    except (ssl.SSLError, OSError) as exc:
        raw.close()
        reason = getattr(exc, "reason", None) or str(exc) or type(exc).__name__
        transcript.add("event", note=f"TLS handshake failed: {reason}")
        return HandshakeRefused(str(reason), transcript)
    channel = PkiChannel(tls, name=transcript.name, timeout=timeout, transcript=transcript)
    transcript.add(
        "event",
        note=f"TLS established: {channel.peer.version} alpn={channel.peer.alpn} "
        f"cipher={channel.peer.cipher} peer CN={channel.peer.peer_cn}",
    )
    return channel


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
        raw.settimeout(self.timeout)
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            tls = self.ctx.wrap_socket(raw, server_side=True)
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
) -> ClientRun:
    """Launches the initiator under test with the template filled in (no shell)."""
    argv = [
        part.format(host=host, port=port, name=name, out=str(out), alias=alias)
        for part in shlex.split(template)
    ]
    try:
        done = subprocess.run(
            argv, capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL, check=False
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
