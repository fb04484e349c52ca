"""Two independent sft-pki/0 peers (responder and requester), written from docs/SPEC.md
§7.1 and the seed with `cryptography`, for the self-test only (never reference/legacy):
the suite must find exactly their flaws.

- `seedlike`: the responder checks the root's signature only, confines names to its
  share (a refused name is a bare close: someone read about path traversal), and on a
  missing file logs the error and keeps reading (both sides then hang); the requester
  checks the responder's chain but never its name.
- `careful`: the responder also refuses expired / not-yet-valid / CA:TRUE certificates
  and an EKU without clientAuth, but joins names to its share as sent; the requester
  checks the responder's name but not its chain.

Each has some flaws of the seed and lacks others, so that one audit of each shows both
that a flaw present FAILs and that a flaw absent PASSes (as an unexpected pass).

    python -m conformance.legacy.selftest.impl_pki0 serve VARIANT KEY CERT ROOT SHARE
    python -m conformance.legacy.selftest.impl_pki0 get VARIANT KEY CERT HOST PORT NAME OUT ALIAS
    python -m conformance.legacy.selftest.impl_pki0 get VARIANT --interactive

`--interactive` asks for the same parameters at prompts on stdin (driven by
`--client-stdin`) and exits 0 whatever happened (judged by `--client-success file`).
"""

from __future__ import annotations

import datetime
import os
import socket
import struct
import sys
import threading

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

_OAEP = padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None)


def _send(conn: socket.socket, kind: bytes, payload: bytes) -> None:
    conn.sendall(struct.pack("!4sL", kind, len(payload)) + payload)


def _recv_exact(conn: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            raise ConnectionError("closed")
        data += chunk
    return data


def _frame(conn: socket.socket) -> tuple[bytes, bytes]:
    kind, length = struct.unpack("!4sL", _recv_exact(conn, 8))
    return kind, _recv_exact(conn, length)


def _signed_by(cert: x509.Certificate, root: x509.Certificate) -> bool:
    try:
        cert.verify_directly_issued_by(root)
    except (ValueError, TypeError, InvalidSignature):  # any failure is "not issued by it"
        return False
    return True


def _careful_ok(cert: x509.Certificate) -> bool:
    now = datetime.datetime.now(datetime.UTC)
    if not cert.not_valid_before_utc <= now <= cert.not_valid_after_utc:
        return False
    try:
        if cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca:
            return False
    except x509.ExtensionNotFound:
        pass
    try:
        eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        if ExtendedKeyUsageOID.CLIENT_AUTH not in eku:
            return False
    except x509.ExtensionNotFound:
        pass
    return True


def serve(variant: str, key_path: str, cert_path: str, root_path: str, share: str) -> None:
    key = load_pem_private_key(open(key_path, "rb").read(), None)
    assert isinstance(key, rsa.RSAPrivateKey)
    own = open(cert_path, "rb").read()
    root = x509.load_pem_x509_certificate(open(root_path, "rb").read())
    listener = socket.create_server(("127.0.0.1", 0))
    print(f"listening on 127.0.0.1:{listener.getsockname()[1]}", flush=True)

    def handle(conn: socket.socket) -> None:
        with conn:
            try:
                kind, payload = _frame(conn)
                peer = x509.load_pem_x509_certificate(payload)
                ok = kind == b"SECE" and _signed_by(peer, root)
                if ok and variant == "careful":
                    ok = _careful_ok(peer)
                if not ok:
                    _send(conn, b"RSCI", b"")
                    return
                _send(conn, b"RSCV", own)
                _, request = _frame(conn)
                name = key.decrypt(request, _OAEP).decode()
                path = os.path.join(share, name)
                if variant == "seedlike":
                    real = os.path.realpath(path)
                    if not real.startswith(os.path.realpath(share) + os.sep):
                        return
                try:
                    data = open(path, "rb").read()
                except OSError as exc:
                    print(f"cannot open {name!r}: {exc}", file=sys.stderr, flush=True)
                    if variant == "seedlike":
                        while conn.recv(1024):  # back to "handling peer msg"
                            pass
                    return
                peer_key = peer.public_key()
                assert isinstance(peer_key, rsa.RSAPublicKey)
                for start in range(0, len(data), 100):
                    _send(conn, b"RSFL", peer_key.encrypt(data[start : start + 100], _OAEP))
            except (OSError, ValueError):
                pass

    while True:
        conn, _ = listener.accept()
        conn.settimeout(120)
        threading.Thread(target=handle, args=(conn,), daemon=True).start()


def get(
    variant: str,
    key_path: str,
    cert_path: str,
    host: str,
    port: str,
    name: str,
    out: str,
    alias: str,
    root_path: str,
) -> int:
    key = load_pem_private_key(open(key_path, "rb").read(), None)
    assert isinstance(key, rsa.RSAPrivateKey)
    root = x509.load_pem_x509_certificate(open(root_path, "rb").read())
    with socket.create_connection((host, int(port)), timeout=20) as conn:
        _send(conn, b"SECE", open(cert_path, "rb").read())
        kind, payload = _frame(conn)
        if kind != b"RSCV":
            print("refused", file=sys.stderr)
            return 1
        peer = x509.load_pem_x509_certificate(payload)
        if variant == "seedlike" and not _signed_by(peer, root):
            print("responder certificate not from the root", file=sys.stderr)
            return 1
        cn = peer.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
        if variant == "careful" and cn != alias:
            print(f"responder is {cn!r}, not {alias!r}", file=sys.stderr)
            return 1
        peer_key = peer.public_key()
        assert isinstance(peer_key, rsa.RSAPublicKey)
        _send(conn, b"RQFL", peer_key.encrypt(name.encode(), _OAEP))
        with open(out, "wb") as sink:
            while True:
                try:
                    _, piece = _frame(conn)
                except ConnectionError:
                    break
                sink.write(key.decrypt(piece, _OAEP))
    return 0


def interactive_get(variant: str) -> int:
    """The seed's shape: every parameter asked at a prompt on stdin; exit code 0 whatever
    happened (only the saved file tells: `--client-success file`)."""
    answers = [
        input(prompt)
        for prompt in (
            "Key file: ",
            "Certificate file: ",
            "Responder host: ",
            "Port: ",
            "File name: ",
            "Save as: ",
            "Responder alias: ",
            "Root certificate: ",
        )
    ]
    try:
        code = get(variant, *answers)
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        code = 2
    print("File received" if code == 0 else "Transfer failed")
    return 0


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        serve(*sys.argv[2:7])
    elif sys.argv[3:] == ["--interactive"]:
        sys.exit(interactive_get(sys.argv[2]))
    else:
        sys.exit(get(*sys.argv[2:11]))
