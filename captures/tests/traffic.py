"""Traffic generators for the capture tests: loopback only, ephemeral ports, no sleeps.

Each generator binds its listener first (so the port is known before the capture
starts) and runs the exchange in `run()`, which returns when both ends are done.
"""

from __future__ import annotations

import datetime
import socket
import ssl
import threading
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

_TIMEOUT = 10.0


@dataclass
class Throwaway:
    cert: Path
    key: Path


def make_cert(directory: Path, cn: str = "capture-test") -> Throwaway:
    """A self-signed P-256 certificate made at test time (never committed)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cp, kp = directory / "cert.pem", directory / "key.pem"
    cp.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    kp.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    kp.chmod(0o600)
    return Throwaway(cp, kp)


class _Pair:
    """A listener on 127.0.0.1:0 and a client; subclasses define the two ends."""

    def __init__(self, timeout: float = _TIMEOUT) -> None:
        self.timeout = timeout
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(timeout)
        self.port: int = self.listener.getsockname()[1]
        self.received = bytearray()
        self.error: BaseException | None = None

    def _serve(self) -> None:
        try:
            conn, _ = self.listener.accept()
            conn.settimeout(self.timeout)
            with conn:
                self.server(conn)
        except BaseException as exc:  # reported by run() in the test's thread
            self.error = exc

    def server(self, conn: socket.socket) -> None:
        raise NotImplementedError

    def client(self, sock: socket.socket) -> None:
        raise NotImplementedError

    def run(self) -> None:
        t = threading.Thread(target=self._serve)
        t.start()
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=self.timeout) as s:
                self.client(s)
        finally:
            t.join(self.timeout)
            self.listener.close()
        if t.is_alive():
            raise TimeoutError("the server end did not finish")
        if self.error is not None:
            raise self.error


def _drain(conn: socket.socket, sink: bytearray, keep: bool = True) -> int:
    total = 0
    for _ in range(10_000_000):  # bounded: at most this many reads
        data = conn.recv(65536)
        if not data:
            break
        total += len(data)
        if keep:
            sink += data
    return total


class PlaintextSender(_Pair):
    """Sends `payload` in clear in `pieces` (each its own send with TCP_NODELAY)."""

    def __init__(self, payload: bytes, pieces: int = 1) -> None:
        super().__init__()
        self.payload = payload
        self.pieces = pieces

    def server(self, conn: socket.socket) -> None:
        _drain(conn, self.received)

    def client(self, sock: socket.socket) -> None:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        step = max(1, -(-len(self.payload) // self.pieces))
        for i in range(0, len(self.payload), step):
            sock.sendall(self.payload[i : i + step])
        sock.shutdown(socket.SHUT_WR)
        sock.recv(1)  # wait for the server's close: both FINs are on the wire


class TlsSender(_Pair):
    """Sends `payload` over TLS 1.3 (Python ssl) to a server with a throwaway cert."""

    def __init__(
        self, payload: bytes, cert: Throwaway, alpn: str = "sft-pki/1",
        timeout: float = _TIMEOUT, keep: bool = True,
    ) -> None:
        super().__init__(timeout)
        self.keep = keep
        self.received_count = 0
        self.payload = payload
        self.sctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.sctx.minimum_version = ssl.TLSVersion.TLSv1_3
        self.sctx.load_cert_chain(cert.cert, cert.key)
        self.sctx.set_alpn_protocols([alpn])
        self.cctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        self.cctx.minimum_version = ssl.TLSVersion.TLSv1_3
        self.cctx.load_verify_locations(cert.cert)
        self.cctx.set_alpn_protocols([alpn])

    def server(self, conn: socket.socket) -> None:
        with self.sctx.wrap_socket(conn, server_side=True) as tls:
            self.received_count = _drain(tls, self.received, self.keep)
            tls.unwrap()

    def client(self, sock: socket.socket) -> None:
        with self.cctx.wrap_socket(sock, server_hostname="localhost") as tls:
            tls.sendall(self.payload)
            plain = tls.unwrap()  # close_notify both ways
            plain.shutdown(socket.SHUT_WR)
            plain.recv(1)
