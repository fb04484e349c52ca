"""A port of the pki/0 seed's document (seed 000: auth.py, client.py, peer.py,
connection.py, encrypt.py), written from what the document and docs/SPEC.md §7.1-7.2 say
and nothing else: the auth server's `POST /verify` (BaseHTTPServer, users typed in before
it starts: here a file of `alias:password` lines), the responder (one thread per
connection, `struct "!4sL"` frames, SECE -> RSCV/RSCI, RQFL -> RSFL pieces, then a close)
and the requester (SECE, takes whatever RSCV carries, RQFL, saves the pieces at the close
as "File received written to: ..."; exit code 0 whatever happened, as the seed's menu).

Faults by `SFT_SEEDPORT_FAULTS=a,b` (read at start); FAULTS says what the audit must then
report (test_seedport.py).
The `b2leg-` faults were written blind (round 2, brief B5: from docs/SPEC.md §7 and the
seed, before reading the legacy cases), as other porters of the document's responder,
requester and CA would err; each must make the audit exit 1 with its ID reported.

    python -m conformance.legacy.selftest.impl_seedport_pki0 ca ROOT.key ROOT.pem USERS
    python -m conformance.legacy.selftest.impl_seedport_pki0 serve KEY CERT ROOT.pem SHARE
    python -m conformance.legacy.selftest.impl_seedport_pki0 get KEY CERT HOST PORT NAME OUT
"""

from __future__ import annotations

__all__ = ["FAULTS", "serve", "request_file", "auth_server"]

import base64
import datetime
import http.server
import json
import os
import socket
import struct
import sys
import threading
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

# fault -> (role, what the audit must report), as in impl_seedport_eke0.FAULTS.
FAULTS: dict[str, tuple[str, str]] = {
    # format deviations (responder)
    "len-little": ("serve", "FAIL LEG-PKI-FMT-1"),  # struct "<4sL": the '!' forgotten
    "pieces-128": ("serve", "FAIL LEG-PKI-FMT-6"),  # f.read(128)
    "no-close": ("serve", "FAIL LEG-PKI-FMT-6"),  # keeps the connection after the file
    "oaep-sha1": ("serve", "FAIL LEG-PKI-FMT-5"),  # OAEP's SHA-1 default of many libraries
    "rsci-reason": ("serve", "FAIL LEG-PKI-FMT-4"),  # RSCI b"invalid certificate"
    "missing-empty-rsfl": ("serve", "FAIL LEG-PKI-FMT-7"),  # a missing file: one empty RSFL
    # new flaws (responder)
    "no-signature-check": ("serve", "FAIL LEG-PKI-FMT-4"),  # any certificate gets RSCV
    "strip-dotdot": ("serve", "EVIDENCE LEG-PKI-5"),  # '../' removed, absolute names pass
    # a flaw fixed by accident (requester)
    "requester-checks-root": ("get", "PASS LEG-PKI-4"),  # the RSCV chain checked
    # the CA
    "ca-any-password": ("ca", "FAIL LEG-CA-FMT-3"),  # only the alias looked up
    "ca-400-on-wrong": ("ca", "FAIL LEG-CA-FMT-3"),  # a wrong password is "bad request"
    "ca-throttle": ("ca", "PASS LEG-CA-5"),  # 429 after 3 failures (fixed by accident)
    # Blind round 2 (B5): what other porters of the document write, each with the ID the
    # audit must report it under. The responder:
    "b2leg-pki-len-with-header": ("serve", "FAIL LEG-PKI-FMT-1"),  # length counts the header
    "b2leg-pki-single-recv": ("serve", "FAIL LEG-PKI-FMT-1"),  # one recv(n) per read, no loop
    "b2leg-pki-rscv-der": ("serve", "FAIL LEG-PKI-FMT-4"),  # RSCV carries the DER certificate
    "b2leg-pki-rscv-chain": ("serve", "FAIL LEG-PKI-FMT-4"),  # RSCV = own PEM + the root's PEM
    "b2leg-pki-issuer-name-only": ("serve", "FAIL LEG-PKI-FMT-4"),  # issuer == root subject
    "b2leg-pki-rsci-stays-open": ("serve", "FAIL LEG-PKI-FMT-4"),  # no close after RSCI
    "b2leg-pki-pkcs1v15": ("serve", "FAIL LEG-PKI-FMT-6"),  # RSFL under PKCS#1 v1.5
    "b2leg-pki-mgf1-sha1": ("serve", "FAIL LEG-PKI-FMT-6"),  # OAEP SHA-256 with MGF1-SHA1 (Java)
    "b2leg-pki-last-piece-padded": ("serve", "FAIL LEG-PKI-FMT-6"),  # last piece NUL-padded
    "b2leg-pki-missing-rsci": ("serve", "FAIL LEG-PKI-FMT-7"),  # a missing file: RSCI, close
    # the requester
    "b2leg-pki-get-pkcs1v15": ("get", "FAIL LEG-PKI-FMT-5"),  # RQFL under PKCS#1 v1.5
    "b2leg-pki-get-name-newline": ("get", "FAIL LEG-PKI-FMT-5"),  # name + "\n" (typed line)
    "b2leg-pki-get-sece-der": ("get", "FAIL LEG-PKI-FMT-3"),  # SECE carries the DER certificate
    # the CA
    "b2leg-ca-unknown-404": ("ca", "FAIL LEG-CA-FMT-3"),  # unknown alias: 404 user not found
    "b2leg-ca-any-path": ("ca", "FAIL LEG-CA-FMT-3"),  # self.path never looked at
    "b2leg-ca-no-413": ("ca", "FAIL LEG-CA-FMT-3"),  # no size limit: reads any body
    "b2leg-ca-pem-type": ("ca", "FAIL LEG-CA-FMT-2"),  # Content-Type application/x-pem-file
    "b2leg-ca-json-answer": ("ca", "FAIL LEG-CA-FMT-2"),  # 200 {"certificate": PEM}
    "b2leg-ca-issuer-cn-only": ("ca", "FAIL LEG-CA-FMT-2"),  # issuer = CN of the root only
}


def _faults() -> frozenset[str]:
    wanted = frozenset(f for f in os.environ.get("SFT_SEEDPORT_FAULTS", "").split(",") if f)
    unknown = wanted - FAULTS.keys()
    if unknown:
        raise SystemExit(f"unknown SFT_SEEDPORT_FAULTS: {sorted(unknown)}")
    return wanted


FAULTS_GIVEN = _faults()
FAULT: frozenset[str] = frozenset()  # the given faults of this process's role (_main)
PIECE = 100
HEADER = "!4sL"  # peer.py: struct !4sL<len>s


def log(*args: object) -> None:
    print(*args, file=sys.stderr, flush=True)


# --- encrypt.py ----------------------------------------------------------------


def _oaep() -> padding.OAEP:
    algorithm: hashes.HashAlgorithm = hashes.SHA256()
    if "oaep-sha1" in FAULT:
        algorithm = hashes.SHA1()  # noqa: S303 - the fault: many libraries' OAEP default
    return padding.OAEP(mgf=padding.MGF1(algorithm=algorithm), algorithm=algorithm, label=None)


def encrypt(public_key: Any, data: bytes) -> bytes:
    if FAULT & {"b2leg-pki-pkcs1v15", "b2leg-pki-get-pkcs1v15"}:
        return bytes(public_key.encrypt(data, padding.PKCS1v15()))  # the `rsa` package's way
    if "b2leg-pki-mgf1-sha1" in FAULT:  # Java's "RSA/ECB/OAEPWithSHA-256AndMGF1Padding"
        mgf = padding.MGF1(hashes.SHA1())  # noqa: S303 - the fault
        java = padding.OAEP(mgf=mgf, algorithm=hashes.SHA256(), label=None)
        return bytes(public_key.encrypt(data, java))
    return bytes(public_key.encrypt(data, _oaep()))


def decrypt(private_key: rsa.RSAPrivateKey, data: bytes) -> bytes:
    return private_key.decrypt(data, _oaep())


def load_key(path: str) -> rsa.RSAPrivateKey:
    key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    return key


def verify_with_root(cert: x509.Certificate, root: x509.Certificate) -> bool:
    """The trust-anchor check the document describes: the root's signature."""
    if "no-signature-check" in FAULT:
        return True
    if "b2leg-pki-issuer-name-only" in FAULT:
        return cert.issuer == root.subject  # "issued by the root"
    public = root.public_key()
    assert isinstance(public, rsa.RSAPublicKey)
    try:
        public.verify(
            cert.signature,
            cert.tbs_certificate_bytes,
            padding.PKCS1v15(),
            cert.signature_hash_algorithm or hashes.SHA256(),
        )
    except Exception:
        return False
    return True


# --- peer.py ---------------------------------------------------------------------


class Peer:
    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock

    def send(self, kind: bytes, payload: bytes) -> None:
        frame = kind + payload
        if "b2leg-pki-len-with-header" in FAULT:
            length = len(frame) + 4  # the length of the whole message
        else:
            length = len(payload)
        self.sock.sendall(struct.pack(HEADER, kind, length) + payload)

    def _recvall(self, n: int) -> bytes | None:
        if "b2leg-pki-single-recv" in FAULT:
            return self.sock.recv(n) or None  # "recv(n) returns n bytes"
        data = b""
        while len(data) < n:
            packet = self.sock.recv(n - len(data))
            if not packet:
                return None
            data += packet
        return data

    def receive(self) -> tuple[bytes, bytes] | None:
        header = self._recvall(8)
        if header is None:
            return None
        kind, length = struct.unpack(HEADER, header)
        payload = self._recvall(length)
        if payload is None:
            return None
        return kind, payload


# --- connection.py: the responder ----------------------------------------------


def _confine(share: str, name: str) -> str:
    if "strip-dotdot" in FAULT:
        name = name.replace("../", "")  # "no traversal", as a hurried porter writes it
    return os.path.join(share, name)


def handle(
    conn: socket.socket, key: rsa.RSAPrivateKey, cert_pem: bytes, root: x509.Certificate, share: str
) -> None:
    name = threading.current_thread().name
    log(f"[{name}] New child {name}")
    peer = Peer(conn)
    try:
        message = peer.receive()
        if message is None or message[0] != b"SECE":
            return
        log(f"[{name}] Handling peer msg")
        try:
            their_cert = x509.load_pem_x509_certificate(message[1])
        except ValueError:
            their_cert = None
        if their_cert is None or not verify_with_root(their_cert, root):
            peer.send(b"RSCI", b"invalid certificate" if "rsci-reason" in FAULT else b"")
            if "b2leg-pki-rsci-stays-open" in FAULT:
                while peer.receive() is not None:  # the requester hangs up
                    pass
            return
        if "b2leg-pki-rscv-der" in FAULT:
            own = x509.load_pem_x509_certificate(cert_pem)
            peer.send(b"RSCV", own.public_bytes(serialization.Encoding.DER))
        elif "b2leg-pki-rscv-chain" in FAULT:
            peer.send(b"RSCV", cert_pem + root.public_bytes(serialization.Encoding.PEM))
        else:
            peer.send(b"RSCV", cert_pem)
        message = peer.receive()
        if message is None or message[0] != b"RQFL":
            return
        log(f"[{name}] Handling peer msg")
        filename = decrypt(key, message[1]).decode()
        log("File request for:", filename.encode())
        path = _confine(share, filename)
        try:
            f = open(path, "rb")
        except OSError:
            if "missing-empty-rsfl" in FAULT:
                peer.send(b"RSFL", encrypt(their_cert.public_key(), b""))
            if "b2leg-pki-missing-rsci" in FAULT:
                peer.send(b"RSCI", b"")
            return
        piece = f.read(PIECE)
        while piece:
            if "b2leg-pki-last-piece-padded" in FAULT:
                piece = piece.ljust(PIECE, b"\0")  # fixed-size blocks
            peer.send(b"RSFL", encrypt(their_cert.public_key(), piece))
            piece = f.read(PIECE)
        f.close()
        if "no-close" in FAULT:
            while peer.receive() is not None:  # waits for the requester to hang up
                pass
    except (OSError, ValueError) as exc:
        log(f"[{name}] {exc}")
    finally:
        log(f"[{name}] Disconnecting")
        conn.close()


def serve(key_file: str, cert_file: str, root_file: str, share: str, port: int) -> None:
    key = load_key(key_file)
    cert_pem = Path(cert_file).read_bytes()
    root = x509.load_pem_x509_certificate(Path(root_file).read_bytes())
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", port))
    server.listen(5)
    print(f"listening on 127.0.0.1:{server.getsockname()[1]}", flush=True)
    while True:
        conn, _ = server.accept()
        threading.Thread(
            target=handle, args=(conn, key, cert_pem, root, share), daemon=True
        ).start()


# --- client.py: the requester ----------------------------------------------------


def request_file(
    key_file: str,
    cert_file: str,
    host: str,
    port: int,
    filename: str,
    out: str,
    root_file: str | None = None,
) -> int:
    key = load_key(key_file)
    log(f"Requesting for file {filename} on {host}:{port}")
    with socket.create_connection((host, port), timeout=30) as sock:
        peer = Peer(sock)
        own = Path(cert_file).read_bytes()
        if "b2leg-pki-get-sece-der" in FAULT:
            own = x509.load_pem_x509_certificate(own).public_bytes(serialization.Encoding.DER)
        peer.send(b"SECE", own)
        log("[MainThread] Sent SECE")
        answer = peer.receive()
        if answer is None or answer[0] != b"RSCV":
            log("[MainThread] Certificate refused")
            return 0
        log("[MainThread] Received certificate")
        their_cert = x509.load_pem_x509_certificate(answer[1])
        if "requester-checks-root" in FAULT and root_file:
            root = x509.load_pem_x509_certificate(Path(root_file).read_bytes())
            if not verify_with_root(their_cert, root):
                log("[MainThread] Peer certificate not issued by the root")
                return 0
        wanted = filename.encode()
        if "b2leg-pki-get-name-newline" in FAULT:
            wanted += b"\n"  # the line as typed at the prompt
        peer.send(b"RQFL", encrypt(their_cert.public_key(), wanted))
        log("[MainThread] Sent RQFL")
        content = b""
        while (message := peer.receive()) is not None:
            if message[0] == b"RSFL":
                content += decrypt(key, message[1])
    Path(out).write_bytes(content)
    log(f"[MainThread] File received written to: {out}")
    return 0


# --- auth.py: the CA -------------------------------------------------------------


def auth_server(root_key_file: str, root_cert_file: str, users_file: str, port: int) -> None:
    root_key = load_key(root_key_file)
    root = x509.load_pem_x509_certificate(Path(root_cert_file).read_bytes())
    users = dict(
        line.split(":", 1) for line in Path(users_file).read_text().splitlines() if ":" in line
    )
    failures = [0]

    class Handler(http.server.BaseHTTPRequestHandler):
        def _answer(self, status: int, body: bytes, kind: str = "text/plain") -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:
            if self.path != "/verify" and "b2leg-ca-any-path" not in FAULT:
                self._answer(404, b"not found\n")
                return
            length = int(self.headers.get("Content-Length", "0"))
            if length > 65536 and "b2leg-ca-no-413" not in FAULT:
                self._answer(413, b"too large\n")
                return
            try:
                request = json.loads(self.rfile.read(length))
                credentials = json.loads(
                    decrypt(root_key, base64.b64decode(request["payload"], validate=True))
                )
                public = serialization.load_pem_public_key(request["public_key"].encode())
                alias, password = str(credentials["name"]), str(credentials["password"])
            except (ValueError, KeyError, TypeError):
                self._answer(400, b"bad request\n")
                return
            if "ca-throttle" in FAULT and failures[0] >= 3:
                self._answer(429, b"too many attempts\n")
                return
            known = alias in users
            if not known and "b2leg-ca-unknown-404" in FAULT:
                self._answer(404, b"user not found\n")
                return
            if known and "ca-any-password" not in FAULT:
                known = users[alias] == password
            if not known:
                failures[0] += 1
                if "ca-400-on-wrong" in FAULT:
                    self._answer(400, b"bad request\n")
                else:
                    self._answer(401, b"invalid alias or password\n")
                return
            now = datetime.datetime.now(datetime.UTC)
            cert = (
                x509.CertificateBuilder()
                .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, alias)]))
                .issuer_name(
                    x509.Name(root.subject.get_attributes_for_oid(NameOID.COMMON_NAME))
                    if "b2leg-ca-issuer-cn-only" in FAULT
                    else root.subject
                )
                .public_key(public)  # type: ignore[arg-type]
                .serial_number(x509.random_serial_number())
                .not_valid_before(now)
                .not_valid_after(now + datetime.timedelta(days=365))
                .sign(root_key, hashes.SHA256())
            )
            pem = cert.public_bytes(serialization.Encoding.PEM)
            if "b2leg-ca-json-answer" in FAULT:
                self._answer(200, json.dumps({"certificate": pem.decode()}).encode())
            elif "b2leg-ca-pem-type" in FAULT:
                self._answer(200, pem, "application/x-pem-file")
            else:
                self._answer(200, pem)

        def log_message(self, format: str, *args: Any) -> None:
            log(format % args)

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    print(f"listening on 127.0.0.1:{httpd.server_address[1]}", flush=True)
    log("Auth server running.")
    httpd.serve_forever()


def _main(argv: list[str]) -> int:
    global FAULT, PIECE, HEADER
    role, args = argv[0], argv[1:]
    # One deployment, three programs: each plants only its own faults.
    FAULT = frozenset(f for f in FAULTS_GIVEN if FAULTS[f][0] == role)
    PIECE = 128 if "pieces-128" in FAULT else 100
    HEADER = "<4sL" if "len-little" in FAULT else "!4sL"
    if role == "ca":
        auth_server(args[0], args[1], args[2], int(args[3]) if len(args) > 3 else 0)
    elif role == "serve":
        serve(args[0], args[1], args[2], args[3], int(args[4]) if len(args) > 4 else 0)
    elif role == "get":
        return request_file(
            args[0],
            args[1],
            args[2],
            int(args[3]),
            args[4],
            args[5],
            args[6] if len(args) > 6 else None,
        )
    else:
        raise SystemExit(f"unknown role {role!r}: ca, serve or get")
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
