"""A literal Python 3 port of the eke/0 seed's code (seed 001, "TCP Server" and "TCP
Client"), as someone porting it would write it: the same structure and message order,
one `recv(1024)` per message (`recv(16)` for the file length), `str(int)` encodings,
SHA-1, prompts kept as prompts. Only what Python 3 forces changed (bytes on the wire,
`//` in modlargeNum, print()), plus what a deployment needs: the port, the served file,
the account (the seed's hard-coded 'yash101' / 'niceday'), where the client saves the
file (the seed kept it in memory), and prints sent to stderr (stdout says where it
listens). The seed's quirks are kept: the user-name test that is always true, the
one-connection server, the fixed exponents and nonces, the resend branch.

Faults a porter plants, by `SFT_SEEDPORT_FAULTS=a,b` (read at start); FAULTS below says,
for each, which requirement ID the audit must then report (test_seedport.py).
The `b2leg-` faults were written blind (round 2, brief B5: from docs/SPEC.md §7 and the
seed, before reading the legacy cases), as other porters of the seed's server and client
would err; each must make the audit exit 1 with its ID reported.

    python -m conformance.legacy.selftest.impl_seedport_eke0 server --port 0 \
        --user yash101 --password-file PW --file served.bin
    python -m conformance.legacy.selftest.impl_seedport_eke0 client --host H --port P \
        --out received.bin     (then types: user name, password, at the seed's prompts)
"""

from __future__ import annotations

__all__ = ["FAULTS", "Main", "client_main"]

import argparse
import hashlib
import os
import secrets
import socket
import struct
import sys
from typing import Any

from Crypto.Cipher import AES

# fault -> (side, what the audit must report): "FAIL <ID>" (a format case fails),
# "PASS <ID>" (an unexpected pass of a flaw), "EVIDENCE <ID>" (the flaw FAILs, with
# evidence of the new weakness).
FAULTS: dict[str, tuple[str, str]] = {
    # format deviations
    "len-binary": ("server", "FAIL LEG-EKE-FMT-3"),  # message 19 as struct '>I' (its comment)
    "ack-case": ("server", "FAIL LEG-EKE-FMT-3"),  # 'gACK' for 'gAck'
    "merge-11-13": ("server", "FAIL LEG-EKE-FMT-1"),  # E(Ns) sent without waiting for 12
    "sha1-upper": ("server", "FAIL LEG-EKE-FMT-5"),  # message 24 in upper-case hex
    "sha1-first-block": ("server", "FAIL LEG-EKE-FMT-5"),  # the extracted text's sha1ofFile
    "no-hash-after-resend": ("server", "FAIL LEG-EKE-FMT-3"),  # 24 only after 'File delivered'
    # new flaws
    "any-password": ("server", "FAIL LEG-EKE-FMT-3"),  # the password never compared
    "user-prefix": ("server", "EVIDENCE LEG-EKE-2"),  # user checked, by prefix
    "leak-length": ("server", "FAIL LEG-EKE-FMT-3"),  # 'Not Authenticated' + the length
    "password-prefix": ("server", "FAIL LEG-EKE-FMT-3"),  # a prefix of the password passes
    # flaws fixed by accident
    "random-exponent": ("server", "PASS LEG-EKE-4"),  # secrets.randbelow, not 5516
    # generate_nonce() for Ns: the zero IV under a fixed key stays a finding of the flaw
    "random-nonce": ("server", "EVIDENCE LEG-EKE-13"),
    # the client
    "client-keep-mismatch": ("client", "FAIL LEG-EKE-FMT-6"),  # saved before the compare
    "client-no-compare": ("client", "FAIL LEG-EKE-FMT-6"),  # message 24 read, never compared
    "client-check-18": ("client", "PASS LEG-EKE-7"),  # verifies message 18 (by accident)
    # Blind round 2 (B5): what other porters of the seed write, each with the ID the audit
    # must report it under. Format deviations of the server:
    "b2leg-eke-pad-left": ("server", "FAIL LEG-EKE-FMT-3"),  # pw39 = rjust: '0's on the left
    "b2leg-eke-key-last32": ("server", "FAIL LEG-EKE-FMT-4"),  # K = str(Kas)[-32:]
    "b2leg-eke-ecb": ("server", "FAIL LEG-EKE-FMT-4"),  # AES.MODE_ECB ("the IV is zero anyway")
    "b2leg-eke-na-32": ("server", "FAIL LEG-EKE-FMT-4"),  # 18 = E(all 32 bytes of Na)
    "b2leg-eke-len-zfill": ("server", "FAIL LEG-EKE-FMT-3"),  # 19 zero-padded to 16 digits
    "b2leg-eke-len-newline": ("server", "FAIL LEG-EKE-FMT-3"),  # 19 = digits + "\n"
    "b2leg-eke-no-ok": ("server", "FAIL LEG-EKE-FMT-3"),  # message 21 'ok' left out
    "b2leg-eke-sha256": ("server", "FAIL LEG-EKE-FMT-5"),  # 24 = SHA-256 ("SHA-1 is broken")
    "b2leg-eke-sha1-raw": ("server", "FAIL LEG-EKE-FMT-5"),  # 24 = digest(), 20 raw bytes
    "b2leg-eke-hash-early": ("server", "FAIL LEG-EKE-FMT-1"),  # 24 right after 22, before 23
    "b2leg-eke-ok-early": ("server", "FAIL LEG-EKE-FMT-1"),  # 21 sent with 19, before 20
    "b2leg-eke-ack-newline": ("server", "FAIL LEG-EKE-FMT-1"),  # 'Authenticated\n'
    "b2leg-eke-close-after-wrong": ("server", "FAIL LEG-EKE-FMT-3"),  # closes at Not Authenticated
    # new flaws / changed checks of the server
    "b2leg-eke-pw-strip": ("server", "FAIL LEG-EKE-FMT-3"),  # password.strip() compared
    # flaws fixed by accident
    "b2leg-eke-user-checked": ("server", "PASS LEG-EKE-2"),  # the `or` bug fixed: Wrong Username
    # closes after 3 wrong passwords: a new connection guesses on (LEG-EKE-10 stays)
    "b2leg-eke-three-strikes": ("server", "FAIL LEG-EKE-FMT-3"),
    # the client
    "b2leg-eke-client-digest-prefix": ("client", "FAIL LEG-EKE-FMT-6"),  # hex.startswith(24)
}


def _faults() -> frozenset[str]:
    wanted = frozenset(f for f in os.environ.get("SFT_SEEDPORT_FAULTS", "").split(",") if f)
    unknown = wanted - FAULTS.keys()
    if unknown:
        raise SystemExit(f"unknown SFT_SEEDPORT_FAULTS: {sorted(unknown)}")
    return wanted


FAULT = _faults()
BOUND: list[int] = []  # the port of the first run (--forever keeps it)


def log(*args: object) -> None:
    print(*args, file=sys.stderr, flush=True)


# -----FUNCTIONS / METHODS (both seed files) -----


def generate_nonce(length: int = 16) -> str:
    # ""Generate pseudorandom number.""
    return "".join([str(secrets.randbelow(10)) for i in range(length)])


def modlargeNum(base: int, power: int, p: int) -> int:
    if power == 0:
        return 1
    if power % 2 == 0:
        tmp = modlargeNum(base, power // 2, p)
        return (tmp * tmp) % p
    else:
        return (base * modlargeNum(base, power - 1, p)) % p


def xor_message(a: str, b: str) -> str:  # xor two strings of different lengths
    if len(a) > len(b):
        return "".join([chr(ord(x) ^ ord(y)) for (x, y) in zip(a[: len(b)], b, strict=True)])
    else:
        return "".join([chr(ord(x) ^ ord(y)) for (x, y) in zip(a, b[: len(a)], strict=True)])


def sha1ofFile(helpMe: str) -> str:
    sha = hashlib.sha1(usedforsecurity=False)
    with open(helpMe, "rb") as f:
        while True:
            block = f.read(2**10)  # Magic number: one-megabyte blocks (1 MB = 1024).
            if not block:
                break
            sha.update(block)
            if "sha1-first-block" in FAULT:
                return sha.hexdigest()  # the seed's text, indented as extracted
    digest = sha.hexdigest()
    if "b2leg-eke-sha256" in FAULT:
        with open(helpMe, "rb") as f:
            digest = hashlib.sha256(f.read()).hexdigest()
    return digest.upper() if "sha1-upper" in FAULT else digest


def _cipher(key: str) -> Any:
    if "b2leg-eke-ecb" in FAULT:
        return AES.new(_wire(key), AES.MODE_ECB)  # "the IV is all zeros anyway"
    return AES.new(_wire(key), AES.MODE_CBC, iv=16 * b"\x00")


def _text(data: bytes) -> str:
    # The seed's str(data) on a Python 2 str; latin-1 keeps every byte as one char.
    return data.decode("latin-1")


def _wire(text: str) -> bytes:
    return text.encode("latin-1")


# -----TCP Server-----


def Main(port: int, user: str, password_file: str, filename: str) -> int:
    host = "localhost"
    with open(password_file, encoding="utf-8") as pw:
        account_password = pw.readline().rstrip("\n")

    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((host, port))

    s.listen(1)
    port = s.getsockname()[1]
    if not BOUND:
        print(f"listening on 127.0.0.1:{port}", flush=True)
    BOUND.append(port)
    c, addr = s.accept()
    log("Connection from: " + str(addr))
    s.close()
    with c:
        _session(c, user, account_password, filename)
    return port


def _session(c: socket.socket, user: str, account_password: str, filename: str) -> None:
    strikes = 0  # wrong passwords on this connection (b2leg-eke-three-strikes)
    while True:
        data = c.recv(1024)
        if not data:
            log("----- END OF SESSION, BYE! -----")
            break

        log("\n ----- Step 1 ----- ")
        log("from connected user: " + str(data))

        if "user-prefix" in FAULT:
            known_user = user.startswith(_text(data))
        elif "b2leg-eke-user-checked" in FAULT:
            known_user = _text(data) == user  # the seed's `or 'pooshan101'` mended
        else:
            known_user = bool(_text(data) == user or "pooshan101")  # always true, as the seed's
        if known_user:
            client_id = _text(data)
            log(client_id)  # getting client ID
            c.send(b"u_ack")
            password = _text(c.recv(1024))
            if "any-password" in FAULT:
                good = True
            elif "password-prefix" in FAULT:
                good = bool(password) and account_password.startswith(password)
            elif "b2leg-eke-pw-strip" in FAULT:
                good = password.strip() == account_password  # "a stray newline or space"
            else:
                good = password == account_password
            if good:
                c.send(b"Authenticated\n" if "b2leg-eke-ack-newline" in FAULT else b"Authenticated")

                p_text = c.recv(1024)  # getting p
                c.send(b"pAck")
                log(" P received ")
                p = int(p_text)

                g_text = c.recv(1024)  # getting g
                c.send(b"gACK" if "ack-case" in FAULT else b"gAck")
                log("G received")
                g = int(g_text)

                xored_client = _text(c.recv(1024))  # getting xor of client
                c.send(b"xorAck")
                log("Xor client received")

                server_secret = 5516
                if "random-exponent" in FAULT:
                    server_secret = secrets.randbelow(p - 3) + 2
                password = password.ljust(39, "0")
                if "b2leg-eke-pad-left" in FAULT:
                    password = password.rstrip("0").rjust(39, "0")

                mod_serverDH = modlargeNum(g, server_secret, p)
                xorWithPass = xor_message(str(mod_serverDH), password)

                decryptClientXor = xor_message(xored_client, password)
                keyKas = modlargeNum(int(decryptClientXor), server_secret, p)
                log(" ----- Kas KEY : -----", keyKas)

                nonce_Ns = "11100111011100111000000000000000"
                if "random-nonce" in FAULT:
                    nonce_Ns = generate_nonce(32)

                newKas = str(keyKas)[:32]
                if "b2leg-eke-key-last32" in FAULT:
                    newKas = str(keyKas)[-32:]
                encryptor = _cipher(newKas)
                ciphertext = encryptor.encrypt(_wire(nonce_Ns))

                c.sendall(_wire(xorWithPass))
                if "merge-11-13" in FAULT:
                    c.sendall(ciphertext)
                xorConf = c.recv(1024)
                if xorConf == b"xorServerAck":
                    log("Server XOR Sent")
                    if "merge-11-13" not in FAULT:
                        c.sendall(ciphertext)
                aesConf = c.recv(1024)
                if aesConf == b"aesAck":
                    log("XOR and AES transferred successfully")

                aes_client_ciphertext = c.recv(1024)
                c.send(b"clientAesAck")

                decryptor = _cipher(newKas)
                concatenatedNonceFromClient = decryptor.decrypt(aes_client_ciphertext)
                split_nonce_Na = concatenatedNonceFromClient[:16]
                if "b2leg-eke-na-32" in FAULT:
                    split_nonce_Na = concatenatedNonceFromClient[:32]  # "Na is 32 bytes"

                encryptor = _cipher(newKas)
                ciphertext_Na = encryptor.encrypt(split_nonce_Na)

                clear_to_send_Na_AES = c.recv(1024)
                if clear_to_send_Na_AES == b"send_aes_nonceNa":
                    c.sendall(ciphertext_Na)
                log("Message 4 Transfer Success")

                # -----MESSAGE 5 START-----
                fileSentCount = 0

                if fileSentCount < 3:
                    if os.path.exists(filename):
                        length = os.path.getsize(filename)  # get file size in bytes
                        if "len-binary" in FAULT:
                            c.send(struct.pack(">I", length))  # "has to be 4 bytes"
                        elif "b2leg-eke-len-zfill" in FAULT:
                            c.send(_wire(str(length).zfill(16)))  # the client's recv(16)
                        elif "b2leg-eke-len-newline" in FAULT:
                            c.send(_wire(str(length) + "\n"))
                        elif "b2leg-eke-ok-early" in FAULT:
                            c.send(_wire(str(length)))
                            c.sendall(b"ok")
                        else:
                            c.send(_wire(str(length)))  # has to be 4 bytes

                len_sent = c.recv(1024)
                if len_sent == b"LnACK":
                    if not FAULT & {"b2leg-eke-no-ok", "b2leg-eke-ok-early"}:
                        c.sendall(b"ok")
                    with open(filename, "rb") as f:
                        piece = f.read(1024)
                        while piece:
                            c.sendall(piece)
                            piece = f.read(1024)
                    fileSentCount += 1
                    log("File sent!")
                    if "b2leg-eke-hash-early" in FAULT:
                        c.send(_wire(sha1ofFile(filename)))  # digest with the file

                confi = c.recv(1024)
                if confi == b"File delivered":
                    log("File delivered")
                elif fileSentCount < 3:
                    if os.path.exists(filename):
                        length = os.path.getsize(filename)
                        c.send(_wire(str(length)))
                    with open(filename, "rb") as f:
                        piece = f.read(1024)
                        while piece:
                            c.sendall(piece)
                            piece = f.read(1024)
                    fileSentCount += 1
                else:
                    log("Sorry!, You have reached Max limit to request same file. ")

                fileSHA1 = sha1ofFile(filename)
                log("SHA1 of server file is: ", fileSHA1)
                if "b2leg-eke-hash-early" in FAULT:
                    pass  # already sent
                elif "b2leg-eke-sha1-raw" in FAULT:
                    c.send(bytes.fromhex(fileSHA1))
                elif "no-hash-after-resend" not in FAULT or confi != b"File delivered":
                    c.send(_wire(fileSHA1))
            else:
                if "leak-length" in FAULT:
                    c.send(
                        _wire(f"Not Authenticated (expected {len(account_password)} characters)")
                    )
                else:
                    c.send(b"Not Authenticated")
                if "b2leg-eke-close-after-wrong" in FAULT:
                    break  # "one try per connection"
                strikes += 1
                if "b2leg-eke-three-strikes" in FAULT and strikes >= 3:
                    log("too many wrong passwords: closing")
                    break
        else:
            c.send(b"Wrong Username")


# -----TCP Client-----


def client_main(host: str, port: int, out: str) -> int:
    s = socket.socket()
    s.connect((host, port))

    count = 0

    # DH PARAMETERS
    p = 197221152031991558322935568090317202983
    g = 2
    client_secret = 4597

    message = input("Enter Username->")
    while message != "q":
        s.send(_wire(message))
        data = s.recv(1024)
        log("Received from server: " + str(data))
        if data == b"u_ack":
            password = input("Enter Password ->")
            s.send(_wire(password))
            decision = s.recv(1024)
            if decision == b"Authenticated":
                log("User Authenticated")
                mod_1 = modlargeNum(g, client_secret, p)

                password = password.ljust(39, "0")
                xor_test = xor_message(str(mod_1), password)

                s.sendall(_wire(str(p)))  # sending p to server

                pConf = s.recv(1024)
                if pConf == b"pAck":
                    log("P sent")
                    s.sendall(_wire(str(g)))  # sending g to server

                gConf = s.recv(1024)
                if gConf == b"gAck":
                    log("g sent")
                    s.sendall(_wire(xor_test))

                xorConf = s.recv(1024)
                if xorConf == b"xorAck":
                    log("Client XOR Transferred")

                xored_server = _text(s.recv(1024))
                s.sendall(b"xorServerAck")

                aes_server_ciphertext = s.recv(1024)
                s.sendall(b"aesAck")

                decryptServerXor = int(xor_message(xored_server, password))
                keyKas = modlargeNum(decryptServerXor, client_secret, p)
                newKas = str(keyKas)[:32]

                IV = 16 * b"\x00"
                mode = AES.MODE_CBC
                decryptor = AES.new(_wire(newKas), mode, iv=IV)
                nonce_Ns = decryptor.decrypt(aes_server_ciphertext)

                nonce_Na = b"11000110001100011000000000000000"
                concatenationNonce = nonce_Na + nonce_Ns

                encryptor = AES.new(_wire(newKas), mode, iv=IV)
                ciphertext = encryptor.encrypt(concatenationNonce)

                s.sendall(ciphertext)
                aesClientConf = s.recv(1024)
                if aesClientConf == b"clientAesAck":
                    log("Message 3 Transfer Success")

                s.sendall(b"send_aes_nonceNa")
                aes_nonce_Na_cipher = s.recv(1024)
                log("Message 4 Received")
                if "client-check-18" in FAULT:
                    expected = AES.new(_wire(newKas), mode, iv=IV).encrypt(nonce_Na[:16])
                    if aes_nonce_Na_cipher != expected:
                        log("Server NOT Authenticated")
                        break

                length = s.recv(16)
                s.sendall(b"LnACK")

                size = int(length)
                current_size = 0
                buffer = b""
                ctsFile = s.recv(1024)
                if ctsFile == b"ok":
                    while current_size < size:
                        data = s.recv(1024)
                        if not data:
                            break
                        if len(data) + current_size > size:
                            data = data[: size - current_size]  # trim additional data
                        buffer += data
                        current_size += len(data)
                    log("\n ----- File Successfully Received ----- ")
                    s.send(b"File delivered")

                hex_dig = hashlib.sha1(buffer, usedforsecurity=False).hexdigest()
                serSHA1 = _text(s.recv(1024))
                log("\n Server SHA1 of this file is: ", serSHA1)

                if "client-keep-mismatch" in FAULT:
                    with open(out, "wb") as saved:
                        saved.write(buffer)
                if "b2leg-eke-client-digest-prefix" in FAULT:
                    matches = hex_dig.startswith(serSHA1)  # "trailing bytes of the read"
                else:
                    matches = hex_dig == serSHA1
                if matches or "client-no-compare" in FAULT:
                    log(" \n ----- Integrity report: File integrity is intact :) ----- ")
                    # The seed kept the file in memory ("you can stream here to disk").
                    with open(out, "wb") as saved:
                        saved.write(buffer)
                else:
                    log(" \n ----- Hey! CAUTION!: File is corrupt and may be altered. ----- ")
                    log(" Advise: request new file --- you have max 3 attempts to get file ")
                break
            else:
                log("User NOT Authenticated")
                count += 1
        else:
            log("WRONG username...")
            count += 1
        if count < 3:
            message = input("Try Again Username ->")
        if count == 3:
            log("ACCESS DENIED")
            break

    s.close()
    return 0  # the seed's client ends the same way whatever happened


def _main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="role", required=True)
    server = sub.add_parser("server")
    server.add_argument("--port", type=int, default=4000)
    server.add_argument("--user", default="yash101")
    server.add_argument("--password-file", required=True)
    server.add_argument("--file", default="testfile1.pdf")
    server.add_argument(
        "--forever",
        action="store_true",
        help="restart after each connection or crash, on the same port (a supervisor's "
        "Restart=always; the seed serves one connection, then exits)",
    )
    client = sub.add_parser("client")
    client.add_argument("--host", default="localhost")
    client.add_argument("--port", type=int, default=4000)
    client.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    if args.role == "server":
        for _ in range(10_000 if args.forever else 1):  # bounded, as everything here
            try:
                Main(BOUND[0] if BOUND else args.port, args.user, args.password_file, args.file)
            except Exception as exc:
                log(f"crashed: {exc!r}")
        return 0
    return client_main(args.host, args.port, args.out)


if __name__ == "__main__":
    sys.exit(_main())
