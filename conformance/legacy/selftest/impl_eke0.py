"""Two independent sft-eke/0 servers, written from docs/SPEC.md §7.3 and the seed, for the
self-test only (never reference/legacy): the suite must find exactly their flaws.

- `oneshot`: the seed ported to Python 3 as a student would: one connection, then exit;
  every message is one recv(1024); fixed Ns, zero IV; nothing checked; but a fresh
  random exponent per session (the one fix the student read about).
- `careful`: one thread per connection, the user name checked, a fresh Ns per session,
  its own p whatever the client sends, message 15's Ns verified (close on a mismatch).
  Still the seed's fixed exponent, zero IV, password in clear, file in clear, no
  throttling.

    python -m conformance.legacy.selftest.impl_eke0 VARIANT USER PWFILE FILE
prints `listening on 127.0.0.1:PORT`.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import socket
import sys
import threading

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

P = 197221152031991558322935568090317202983
SEED_NS = b"11100111011100111000000000000000"


def _xor(a: bytes, b: bytes) -> bytes:
    return bytes(x ^ y for x, y in zip(a, b, strict=False))


def _cbc(key: bytes, data: bytes, decrypt: bool = False) -> bytes:
    cipher = Cipher(algorithms.AES(key), modes.CBC(b"\x00" * 16))
    op = cipher.decryptor() if decrypt else cipher.encryptor()
    return op.update(data) + op.finalize()


def _session(conn: socket.socket, variant: str, user: bytes, password: bytes, data: bytes) -> None:
    pw39 = password.ljust(39, b"0")
    while True:
        name = conn.recv(1024)
        if not name:
            return
        conn.send(b"u_ack")
        given = conn.recv(1024)
        if given != password or (variant == "careful" and name != user):
            conn.send(b"Not Authenticated")
            continue
        conn.send(b"Authenticated")
        p = int(conn.recv(1024))
        conn.send(b"pAck")
        g = int(conn.recv(1024))
        conn.send(b"gAck")
        if variant == "careful":
            p, g = P, 2  # its own group, whatever the client said
        client_public = int(_xor(conn.recv(1024), pw39))
        exponent = 5516 if variant == "careful" else secrets.randbelow(p - 3) + 2
        conn.send(b"xorAck")
        conn.send(_xor(str(pow(g, exponent, p)).encode(), pw39))
        key = str(pow(client_public, exponent, p)).encode()[:32]
        conn.recv(1024)  # xorServerAck
        ns = secrets.token_hex(16).encode() if variant == "careful" else SEED_NS
        conn.sendall(_cbc(key, ns))
        buffered = b""
        while len(buffered) < 6 + 64:  # aesAck + message 15, maybe in one read
            chunk = conn.recv(1024)
            if not chunk:
                return
            buffered += chunk
        proof = _cbc(key, buffered[6:70], decrypt=True)
        if variant == "careful" and not hmac.compare_digest(proof[32:], ns):
            return  # the client did not prove the key: close
        conn.send(b"clientAesAck")
        conn.recv(1024)  # send_aes_nonceNa
        conn.sendall(_cbc(key, proof[:16]))
        conn.send(str(len(data)).encode())
        conn.recv(1024)  # LnACK
        conn.sendall(b"ok")
        for start in range(0, len(data), 1024):
            conn.sendall(data[start : start + 1024])
        conn.recv(1024)  # File delivered
        conn.send(hashlib.sha1(data, usedforsecurity=False).hexdigest().encode())


def main(argv: list[str]) -> int:
    variant, user, pwfile, path = argv
    password = open(pwfile, "rb").read().rstrip(b"\n")
    data = open(path, "rb").read()
    listener = socket.create_server(("127.0.0.1", 0))
    print(f"listening on 127.0.0.1:{listener.getsockname()[1]}", flush=True)

    def serve(conn: socket.socket) -> None:
        with conn:
            try:
                _session(conn, variant, user.encode(), password, data)
            except (OSError, ValueError):
                pass

    if variant == "oneshot":
        conn, _ = listener.accept()  # the seed: listen(1), accept() once, then exit
        serve(conn)
        return 0
    while True:
        conn, _ = listener.accept()
        conn.settimeout(30)
        threading.Thread(target=serve, args=(conn,), daemon=True).start()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
