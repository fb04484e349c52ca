"""A small sft-eke/1 responder written in the test, with switchable bugs (mutants).

It exists to test the fuzzers themselves: against the honest version the oracles must
stay quiet, and against each mutant the right oracle must fire. It uses the
conformance toolkit's crypto (pycryptodome), never `reference`. One thread per
connection; every socket read has a timeout so nothing here can block forever.
"""

from __future__ import annotations

import hashlib
import json
import socket
import struct
import threading
from dataclasses import dataclass, field

from conformance import eke
from conformance.target import Account, KnownFile, Target
from conformance.wire import control, error_payload, frame_bytes

FILE_NAME = "hello.txt"
FILE_BYTES = b"hello from the fake target, a file of some length " * 4
PASSWORD = "correct horse"
USER = "alice"
_IO_TIMEOUT = 5.0


@dataclass
class Bugs:
    hang_on_bad_frame: bool = False  # keeps the connection open after a bad frame
    ignore_eof: bool = False  # never closes on EOF
    act_on_bad_record: bool = False  # acts on records that fail to authenticate
    leak_in_error: bool = False  # puts the file content in EROR messages
    wrong_bytes: bool = False  # serves a corrupted file with a matching digest
    wrong_bytes_pipelined: bool = False  # the same, from the second get of a connection on
    crash_on_dup: bool = False  # the listener dies on a duplicate RQFL
    send_in_clear: bool = False  # answers gets with plaintext frames, not records
    close_after_not_found: bool = False  # drops the connection after a non-fatal EROR


@dataclass
class FakeEkeServer:
    bugs: Bugs = field(default_factory=Bugs)
    pw: bytes = b""

    def __post_init__(self) -> None:
        self.pw = eke.password_key(PASSWORD, USER)
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def target(self) -> Target:
        return Target(
            profile="eke",
            host="127.0.0.1",
            port=self.port,
            files=(KnownFile(FILE_NAME, len(FILE_BYTES), hashlib.sha256(FILE_BYTES).hexdigest()),),
            accounts=(Account(USER, PASSWORD),),
        )

    def close(self) -> None:
        self._stop.set()
        # shutdown wakes the thread blocked in accept(); close alone would not.
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    # -- one connection --

    def _handle(self, conn: socket.socket) -> None:
        conn.settimeout(_IO_TIMEOUT)
        try:
            self._session(conn)
        except (OSError, ValueError, eke.EkeError, KeyError):
            pass
        finally:
            conn.close()

    def _read_frame(self, conn: socket.socket, buf: bytearray) -> tuple[bytes, bytes] | None:
        while True:
            if len(buf) >= 8:
                (length,) = struct.unpack("!I", buf[4:8])
                if length > 1 << 20:
                    raise ValueError("too large")
                if len(buf) >= 8 + length:
                    ftype, payload = bytes(buf[:4]), bytes(buf[8 : 8 + length])
                    del buf[: 8 + length]
                    return ftype, payload
            data = conn.recv(65536)
            if not data:
                if self.bugs.ignore_eof:
                    self._stop.wait(_IO_TIMEOUT * 4)
                return None
            buf += data

    def _message(self) -> str:
        leak = " " + FILE_BYTES.decode() if self.bugs.leak_in_error else ""
        return ("fake target error" + leak)[:500]

    def _fail(self, conn: socket.socket, code: str) -> None:
        conn.sendall(frame_bytes("EROR", error_payload(code, self._message())))
        if self.bugs.hang_on_bad_frame:
            self._stop.wait(_IO_TIMEOUT * 4)

    def _session(self, conn: socket.socket) -> None:
        buf = bytearray()
        first = self._read_frame(conn, buf)
        if first is None or first[0] != b"EKE1":
            return self._fail(conn, "unexpected_frame")
        obj = json.loads(first[1])
        pw = (
            self.pw
            if obj.get("user") == USER
            else eke.fake_password_key(b"k" * 32, str(obj.get("user")))
        )
        server = eke.ServerHandshake(pw=pw)
        conn.sendall(frame_bytes("EKE2", control(server.on_eke1(obj))))
        third = self._read_frame(conn, buf)
        if third is None or third[0] != b"EKE3":
            return self._fail(conn, "unexpected_frame")
        try:
            eke4 = server.on_eke3(json.loads(third[1]))
        except eke.EkeError:
            return self._fail(conn, "auth_failed")
        conn.sendall(frame_bytes("EKE4", control(eke4)))
        sender, receiver = server.record_layer()
        seen: set[bytes] = set()
        gets = 0
        while True:
            got = self._read_frame(conn, buf)
            if got is None:
                return
            record = frame_bytes(got[0], got[1])
            try:
                inner = receiver.open(record)
            except eke.EkeError:
                if not self.bugs.act_on_bad_record or len(got[1]) < 24:
                    return
                # The mutant: decrypt with the expected nonce but without checking the tag.
                inner = _decrypt_unchecked(receiver, got[1])
                receiver.seq += 1
            ftype, payload = inner[:4], inner[8:]
            if ftype == b"BYE_":
                return
            if ftype != b"RQFL":
                conn.sendall(
                    sender.seal(
                        frame_bytes("EROR", error_payload("unexpected_frame", self._message()))
                    )
                )
                if self.bugs.hang_on_bad_frame:
                    self._stop.wait(_IO_TIMEOUT * 4)
                return
            if self.bugs.crash_on_dup and payload in seen:
                self.close()
                return
            seen.add(payload)
            try:
                name = json.loads(payload).get("name")
            except (ValueError, AttributeError):
                conn.sendall(sender.seal(frame_bytes("EROR", error_payload("bad_frame"))))
                return
            if name != FILE_NAME:
                conn.sendall(sender.seal(frame_bytes("EROR", error_payload("not_found"))))
                if self.bugs.close_after_not_found:
                    # An orderly close (FIN, the rest read and dropped), not a reset.
                    conn.shutdown(socket.SHUT_WR)
                    while conn.recv(65536):
                        pass
                    return
                continue
            gets += 1
            corrupt = self.bugs.wrong_bytes or (self.bugs.wrong_bytes_pipelined and gets > 1)
            body = FILE_BYTES[:-1] + b"!" if corrupt else FILE_BYTES
            digest = hashlib.sha256(body).hexdigest()
            for frame in (
                frame_bytes("RSFL", control({"name": name, "size": len(body)})),
                frame_bytes("DATA", body),
                frame_bytes("DONE", control({"size": len(body), "sha256": digest})),
            ):
                conn.sendall(frame if self.bugs.send_in_clear else sender.seal(frame))


def _decrypt_unchecked(receiver: eke.RecordReceiver, sealed: bytes) -> bytes:
    from Crypto.Cipher import AES

    nonce = eke.record_nonce(receiver.iv, receiver.seq)
    cipher = AES.new(receiver.key, AES.MODE_GCM, nonce=nonce)
    return bytes(cipher.decrypt(sealed[:-16]))
