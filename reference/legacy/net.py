"""Thin socket adapters around the legacy sans-IO cores (INSECURE, auditing only).

Each server is a `socketserver`/`http.server` object: `server_address` after
binding (port 0 gives an ephemeral port), `serve_forever()` / `shutdown()`.
A session failure is logged as one line and closes that connection; the
listener keeps serving.
"""

from __future__ import annotations

__all__ = [
    "LegacyPeerConfig",
    "LegacyEkeServerConfig",
    "PkiFetchResult",
    "EkeFetchResult",
    "make_pki0_peer_server",
    "fetch_pki0",
    "make_pki0_ca_server",
    "enrol_pki0",
    "make_eke0_server",
    "fetch_eke0",
]

import contextlib
import http.client
import http.server
import os
import socket
import socketserver
import sys
import tempfile
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa

from reference.legacy import _crypto, eke0, pki0
from reference.legacy.errors import LegacyError, LegacyRemoteError
from reference.legacy.pki0_ca import MAX_BODY, VERIFY_PATH, LegacyCA, verify_request_body

Log = Callable[[str], None]


def _stderr_log(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _timeout(seconds: float) -> float | None:
    # 0 means "no timeout": the seeds' own behaviour (a silent peer holds the
    # connection, and for eke/0 the whole server, forever).
    return seconds if seconds > 0 else None


# --- sft-pki/0 peer ---------------------------------------------------------


@dataclass(frozen=True)
class LegacyPeerConfig:
    key: rsa.RSAPrivateKey
    certificate: x509.Certificate
    root: x509.Certificate
    share: str
    host: str = "127.0.0.1"
    port: int = 0
    idle_timeout: float = 30.0

    def __post_init__(self) -> None:
        if not os.path.isdir(self.share):
            raise ValueError(f"share directory {self.share!r} does not exist")


class _ThreadingServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def make_pki0_peer_server(config: LegacyPeerConfig, log: Log = _stderr_log) -> _ThreadingServer:
    """A threaded responder (the seed ran one thread per connection)."""

    class Handler(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            sock: socket.socket = self.request
            sock.settimeout(_timeout(config.idle_timeout))
            core = pki0.Pki0Responder(config.key, config.certificate, config.root)
            try:
                _serve_pki0_session(sock, core, config.share, log)
            except (LegacyError, OSError) as exc:
                log(f"pki/0 peer: session from {self.client_address[0]} ended: {exc}")

    return _ThreadingServer((config.host, config.port), Handler)


def _serve_pki0_session(
    sock: socket.socket, core: pki0.Pki0Responder, share: str, log: Log
) -> None:
    for _ in range(16):  # SECE and RQFL: a handful of reads, bounded
        data = sock.recv(65536)
        events = core.receive_data(data)
        sock.sendall(core.data_to_send())
        for event in events:
            if isinstance(event, pki0.PeerCertified):
                log(f"pki/0 peer: certificate of {event.alias!r} accepted (signature only)")
            elif isinstance(event, pki0.PeerRefused):
                log(f"pki/0 peer: RSCI: {event.reason}")
                return
            elif isinstance(event, pki0.FileRequested):
                _send_file(sock, core, pki0.legacy_share_path(share, event.name), event.name, log)
                return
            elif isinstance(event, pki0.TransferEnded):
                return
    raise LegacyRemoteError("no RQFL after 16 reads")


def _send_file(
    sock: socket.socket, core: pki0.Pki0Responder, path: str, name: str, log: Log
) -> None:
    # LEG-PKI-5: the name is opened as sent; LEG-PKI-8: a missing file is a bare close.
    try:
        handle = open(path, "rb")
    except OSError as exc:
        log(f"pki/0 peer: cannot open {name!r}: {exc.strerror}; closing")
        return
    with handle:
        while piece := handle.read(pki0.PIECE_SIZE):
            core.send_piece(piece)
            sock.sendall(core.data_to_send())
    log(f"pki/0 peer: sent {name!r} in {core.pieces_sent} RSFL frames, then closed")


@dataclass(frozen=True)
class PkiFetchResult:
    responder_alias: str
    pieces: int
    size: int
    path: Path


def fetch_pki0(
    host: str,
    port: int,
    key: rsa.RSAPrivateKey,
    certificate: x509.Certificate,
    name: str,
    out: Path,
    *,
    timeout: float = 30.0,
    max_size: int = 1 << 32,
) -> PkiFetchResult:
    """Request `name`; the file ends when the responder closes (LEG-PKI-7)."""
    core = pki0.Pki0Requester(key, certificate)
    alias = ""
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".part", dir=out.parent)
    try:
        with (
            os.fdopen(fd, "wb") as tmp,
            socket.create_connection((host, port), timeout=_timeout(timeout)) as sock,
        ):
            sock.sendall(core.data_to_send())
            ended = False
            while not ended:
                events = core.receive_data(sock.recv(65536))
                for event in events:
                    if isinstance(event, pki0.ResponderCertificate):
                        alias = event.alias
                        core.request_file(name)
                    elif isinstance(event, pki0.FilePiece):
                        if core.size > max_size:
                            raise LegacyRemoteError(f"file larger than {max_size} bytes")
                        tmp.write(event.data)
                    elif isinstance(event, pki0.TransferEnded):
                        ended = True
                sock.sendall(core.data_to_send())
        os.replace(tmp_name, out)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise
    return PkiFetchResult(alias, core.pieces, core.size, out)


# --- sft-pki/0 CA -------------------------------------------------------------


def make_pki0_ca_server(
    ca: LegacyCA, host: str = "127.0.0.1", port: int = 0, log: Log = _stderr_log
) -> http.server.ThreadingHTTPServer:
    """`POST /verify` over plain HTTP/1.0, as the seed's BaseHTTPServer did (LEG-CA-1)."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            if urllib.parse.urlsplit(self.path).path != VERIFY_PATH:
                self._answer(404, b"not found\n")
                return
            try:
                length = int(self.headers.get("Content-Length", ""))
            except ValueError:
                self._answer(411, b"Content-Length required\n")
                return
            if not 0 <= length <= MAX_BODY:
                self._answer(413, b"body too large\n")
                return
            response = ca.handle_verify(self.rfile.read(length))
            if response.alias is not None:
                log(f"pki/0 CA: issued a certificate for {response.alias!r}")
            self._answer(response.status, response.body, response.content_type)

        def _answer(self, status: int, body: bytes, content_type: str = "text/plain") -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            log("pki/0 CA: " + format % args)

    server = http.server.ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    return server


def enrol_pki0(
    ca_url: str,
    root: x509.Certificate,
    alias: str,
    password: str,
    key: rsa.RSAPrivateKey,
    *,
    timeout: float = 30.0,
) -> x509.Certificate:
    """The seed client's enrolment: returns the certificate the CA signed."""
    url = urllib.parse.urlsplit(ca_url)
    if url.scheme != "http" or not url.hostname:
        raise ValueError("the legacy CA URL is http://HOST:PORT (the seed has no TLS)")
    body = verify_request_body(root, alias, password, key.public_key())
    conn = http.client.HTTPConnection(url.hostname, url.port or 80, timeout=timeout)
    try:
        conn.request("POST", VERIFY_PATH, body, {"Content-Type": "application/json"})
        response = conn.getresponse()
        answer = response.read(MAX_BODY + 1)
    finally:
        conn.close()
    if response.status != 200:
        reason = answer.decode("utf-8", "replace").strip()[:200]
        raise LegacyRemoteError(f"the CA answered {response.status}: {reason}")
    return _crypto.load_certificate(answer)


# --- sft-eke/0 ----------------------------------------------------------------


@dataclass(frozen=True)
class LegacyEkeServerConfig:
    password: bytes
    file: Path
    host: str = "127.0.0.1"
    port: int = 0
    idle_timeout: float = 30.0
    # The seed's fixed 5516 by default; None draws a fresh exponent for every session
    # (which does not make the 128-bit group any safer, but removes LEG-EKE-4/6).
    exponent: int | None = eke0.SEED_SERVER_EXPONENT

    def __post_init__(self) -> None:
        if not self.file.is_file():
            raise ValueError(f"{self.file} is not a file")


class _SequentialServer(socketserver.TCPServer):
    # One client at a time, like the seed (listen(1), no threads): a client
    # that stalls blocks every other one until the idle timeout (LEG-EKE-12).
    allow_reuse_address = True


def make_eke0_server(config: LegacyEkeServerConfig, log: Log = _stderr_log) -> _SequentialServer:
    class Handler(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            sock: socket.socket = self.request
            sock.settimeout(_timeout(config.idle_timeout))
            try:
                _serve_eke0_session(sock, config, log)
            except (LegacyError, OSError) as exc:
                log(f"eke/0 server: session from {self.client_address[0]} ended: {exc}")

    return _SequentialServer((config.host, config.port), Handler)


def _serve_eke0_session(sock: socket.socket, config: LegacyEkeServerConfig, log: Log) -> None:
    size = config.file.stat().st_size
    # None: the core draws a fresh exponent for every login on this connection.
    core = eke0.Eke0Server(config.password, size, exponent=config.exponent)
    while True:  # ends when the client closes, times out or misbehaves
        data = sock.recv(eke0.RECV_SIZE)
        events = core.receive_data(data)
        # Each queued message is one send, as in the seed; the core has
        # already put back-to-back messages one after the other.
        sock.sendall(core.data_to_send())
        for event in events:
            if isinstance(event, eke0.PasswordChecked):
                verdict = "accepted" if event.accepted else "refused"
                log(f"eke/0 server: password for {event.username!r} {verdict}")
            elif isinstance(event, eke0.SendFile):
                _stream_eke0_file(sock, core, config.file, event.size)
                log(f"eke/0 server: sent {event.size} bytes")
        if not data:
            return


def _stream_eke0_file(sock: socket.socket, core: eke0.Eke0Server, path: Path, size: int) -> None:
    with path.open("rb") as handle:
        remaining = size
        while remaining:
            piece = handle.read(min(eke0.FILE_PIECE, remaining))
            if not piece:
                raise LegacyRemoteError(f"{path.name} shrank while being sent")
            core.send_file_data(piece)
            sock.sendall(core.data_to_send())
            remaining -= len(piece)


@dataclass(frozen=True)
class EkeFetchResult:
    size: int
    server_sha1: str
    local_sha1: str
    server_confirmed: bool
    path: Path

    @property
    def intact(self) -> bool:
        return self.server_sha1 == self.local_sha1


def fetch_eke0(
    host: str,
    port: int,
    username: bytes,
    password: bytes,
    out: Path,
    *,
    exponent: int = eke0.SEED_CLIENT_EXPONENT,
    timeout: float = 30.0,
    max_size: int = 1 << 32,
) -> EkeFetchResult:
    """Run the seed's client once; the file is renamed into place only if the SHA-1s match."""
    core = eke0.Eke0Client(username, password, exponent=exponent, max_size=max_size)
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".part", dir=out.parent)
    done: eke0.TransferDone | None = None
    try:
        with (
            os.fdopen(fd, "wb") as tmp,
            socket.create_connection((host, port), timeout=_timeout(timeout)) as sock,
        ):
            sock.sendall(core.data_to_send())
            while done is None:
                for event in core.receive_data(sock.recv(eke0.RECV_SIZE)):
                    if isinstance(event, eke0.FileData):
                        tmp.write(event.data)
                    elif isinstance(event, eke0.TransferDone):
                        done = event
                sock.sendall(core.data_to_send())
        if not done.intact:
            raise LegacyRemoteError(
                f"SHA-1 mismatch: server {done.server_sha1}, received {done.local_sha1}"
            )
        os.replace(tmp_name, out)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise
    return EkeFetchResult(done.size, done.server_sha1, done.local_sha1, done.server_confirmed, out)
