"""Two independent sft-eke/0 clients, written from docs/SPEC.md §7.3 and the seed's client,
for the self-test only (never reference/legacy): the suite's client cases (--client-cmd)
must find exactly their flaws.

- `seedport`: the seed's client ported to Python 3: the password in clear, the seed's
  fixed exponent and Na, message 18 read and never checked (LEG-EKE-7); the file is
  received by its announced length and compared with message 24: on a mismatch (or a
  close before it) it says so, keeps nothing and exits 1, as the seed's "CAUTION".
- `hasty`: checks message 18 against E(Na[:16]) (exits 1 on a mismatch: it fixed
  LEG-EKE-7) but writes the file as it arrives and never compares message 24 (a close
  before the announced length ends the file): LEG-EKE-FMT-6 broken.

    python -m conformance.legacy.selftest.impl_eke0_client VARIANT HOST PORT USER PWFILE OUT
    python -m conformance.legacy.selftest.impl_eke0_client VARIANT --interactive

`--interactive` is the seed's own shape: it asks for the server, port, user, password and
file name at prompts on stdin (driven by `--client-stdin`), and exits 0 whatever happened
(its verdict is only what it printed and whether the file is there: `--client-success
file`).
"""

from __future__ import annotations

import hashlib
import hmac
import socket
import sys

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

P = 197221152031991558322935568090317202983
G = 2
SEED_XA = 4597
SEED_NA = b"11000110001100011000000000000000"


def _cbc(key: bytes, data: bytes, decrypt: bool = False) -> bytes:
    cipher = Cipher(algorithms.AES(key), modes.CBC(b"\x00" * 16))
    op = cipher.decryptor() if decrypt else cipher.encryptor()
    return op.update(data) + op.finalize()


def _xor(a: bytes, b: bytes) -> bytes:
    return bytes(x ^ y for x, y in zip(a, b, strict=False))


class _Reader:
    """Literal and fixed-length messages are read whole; the others are the rest of a
    read, as the seed does (they have no length)."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock, self.buffer = sock, b""

    def exact(self, n: int) -> bytes:
        while len(self.buffer) < n:
            data = self.sock.recv(1024)
            if not data:
                raise ConnectionError("closed")
            self.buffer += data
        out, self.buffer = self.buffer[:n], self.buffer[n:]
        return out

    def rest(self) -> bytes:
        if not self.buffer:
            data = self.sock.recv(1024)
            if not data:
                raise ConnectionError("closed")
            self.buffer = data
        out, self.buffer = self.buffer, b""
        return out


def fetch(variant: str, host: str, port: int, user: bytes, password: bytes, out: str) -> int:
    pw39 = password.ljust(39, b"0")
    with socket.create_connection((host, port), timeout=20) as sock:
        reader = _Reader(sock)
        sock.sendall(user)
        reader.exact(5)  # u_ack
        sock.sendall(password)
        if reader.exact(13) != b"Authenticated":
            print("User NOT Authenticated", file=sys.stderr)
            return 1
        sock.sendall(str(P).encode())
        reader.exact(4)  # pAck
        sock.sendall(str(G).encode())
        reader.exact(4)  # gAck
        sock.sendall(_xor(str(pow(G, SEED_XA, P)).encode(), pw39))
        reader.exact(6)  # xorAck
        server_public = int(_xor(reader.rest(), pw39))
        key = str(pow(server_public, SEED_XA, P)).encode()[:32]
        sock.sendall(b"xorServerAck")
        ns = _cbc(key, reader.exact(32), decrypt=True)
        sock.sendall(b"aesAck")
        sock.sendall(_cbc(key, SEED_NA + ns))
        reader.exact(12)  # clientAesAck
        sock.sendall(b"send_aes_nonceNa")
        message_18 = reader.exact(16)
        if variant == "hasty" and not hmac.compare_digest(message_18, _cbc(key, SEED_NA[:16])):
            print("the server did not prove the key (message 18)", file=sys.stderr)
            return 1
        size = int(reader.rest())
        sock.sendall(b"LnACK")
        reader.exact(2)  # ok
        if variant == "hasty":
            with open(out, "wb") as sink:
                left = size
                while left > 0:
                    try:
                        piece = reader.exact(min(left, 1024))
                    except ConnectionError:
                        sink.write(reader.buffer)  # what came before the close
                        break
                    sink.write(piece)
                    left -= len(piece)
            try:
                sock.sendall(b"File delivered")
                reader.exact(40)  # the digest, never compared
            except OSError:
                pass
            return 0
        try:
            data = reader.exact(size)
            sock.sendall(b"File delivered")
            server_sha1 = reader.exact(40)
        except ConnectionError:
            print("CAUTION: the transfer ended early", file=sys.stderr)
            return 1
        if hashlib.sha1(data, usedforsecurity=False).hexdigest().encode() != server_sha1:
            print("CAUTION: File is corrupt and may be altered", file=sys.stderr)
            return 1
        with open(out, "wb") as sink:
            sink.write(data)
    return 0


def _interactive(variant: str) -> int:
    host = input("Server IP: ")
    port = input("Port: ")
    user = input("Username: ")
    password = input("Password: ")
    out = input("Save the file as: ")
    try:
        code = fetch(variant, host, int(port), user.encode(), password.encode(), out)
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        code = 2
    print("File received" if code == 0 else "Transfer failed")
    return 0


def main(argv: list[str]) -> int:
    if argv[1:] == ["--interactive"]:
        return _interactive(argv[0])
    variant, host, port, user, pwfile, out = argv
    with open(pwfile, "rb") as handle:
        password = handle.read().removesuffix(b"\n").removesuffix(b"\r")
    try:
        return fetch(variant, host, int(port), user.encode(), password, out)
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
