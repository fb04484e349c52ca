"""eke6: a clean-room sft-eke/1 server and client, written from docs/SPEC.md alone.

A sixth independent implementation, in a style unlike the others: synchronous Python,
`socketserver.ThreadingTCPServer` (one thread per connection, blocking sockets with
timeouts), SQLite for the account store and the failure counters, `cryptography` for
AES-256-GCM, HKDF written by hand on `hmac`, SHAKE256 and scrypt from `hashlib`, its own
Feistel, framing, JSON checks, records, throttling and share handling. It imports
neither `reference` nor the suite's protocol modules.

    python -m conformance.selftest.independent.eke6 serve --listen 127.0.0.1:0 \
        --store F --state-dir D --share DIR --inbox DIR [--handshake-timeout S ...]
    python -m conformance.selftest.independent.eke6 user add NAME --store F --password-stdin
    python -m conformance.selftest.independent.eke6 user unlock NAME --state-dir D
    python -m conformance.selftest.independent.eke6 get HOST:PORT NAME --user U \
        --password-file F -o OUT
    python -m conformance.selftest.independent.eke6 put HOST:PORT FILE --as NAME --user U \
        --password-file F

Choices where SPEC leaves one:
- `RSFL` of a get carries no `sha256`; `DATA` frames of 256 KiB.
- `BYE_` is echoed before the close.
- A refused connection (LIM-4, LIM-8) gets `EROR busy` (in clear) and the close; when
  every slot is taken the oldest connection still in its handshake is closed (LIM-9).
- An `EKE1` whose user name is invalid (EKE-PW-5) is handled as an unknown user.
- A lone surrogate in a `name` is refused `forbidden` (FRM-15); elsewhere `bad_frame`.
- Every symbolic link in the share is refused `forbidden` (APP-NAME-4); a get of a
  `.sft-partial-` name is `forbidden` (APP-NAME-9).
- Residuosity by a blinded binary Jacobi symbol (EKE-SEC-4).
- Failure tables: SQLite in the state directory, wall-clock times, each table bounded by
  `--table-entries` (default 100000), evicting the least recently updated entry whose
  lock has ended. Pending handshakes live in memory only.
- The client does not retry after `busy`; it refuses to replace an existing output file.
- A server restart is SIGHUP: the process re-executes itself on its listening socket.

Planted faults: `SFT_INDEPENDENT_FAULTS=name[,name]` (read once at start) switches on the
mistakes listed in `FAULTS`, each breaking one requirement. The `b13_*` ones (session 13,
blind) carry their lens of the round-13 list in the table: L1 fail open, L2 absent means
permissive, L3 leaks on the unhappy path, L4 units and number forms, L5 part of the value
compared, L6 half-rolled-back state. The `b15_*` ones (session 15, blind) carry their lens
of lenses15.md in the table: L1 one blocks all, L2 reflection and cross-context, L3 the
default branch, L4 compound conditions, L5 asymmetric cost, L6 check-then-act. The
`b24_*` ones (session 24, blind, foreign pass) carry their round-24 lens in their
description: L1 what the authenticator does not cover, L2 legacy and downgrade bleed,
L4 the second-order fix, L5 debug and test leftovers, L6 fitted to the examples. The
`b26_*` ones (session 26, foreign pass) carry their round-26 lens in their description:
L1 the thin MUSTs, L2 the second half of the sentence, L3 passing the vectors, L4
neighbouring-protocol habits, L6 crossing frames. The `b28_*` ones (session 28, foreign
pass) carry their round-28 lens in their description: L1 the thin MUSTs, L4 retries and
reconnects, L5 two implementations of one rule, L6 concurrency in the idiom.
"""

from __future__ import annotations

import argparse
import errno
import hashlib
import hmac
import json
import math
import os
import secrets
import select
import signal
import socket
import socketserver
import sqlite3
import stat
import sys
import threading
import time
import traceback
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

# --------------------------------------------------------------------------- faults


@dataclass(frozen=True)
class Fault:
    requirement: str
    test_file: str
    description: str
    client: bool = False
    thorough: bool = False  # judged by the thorough timing tier (eke_harness.check_fault)


FAULTS: dict[str, Fault] = {}  # filled at the end of the module


def _active_faults() -> frozenset[str]:
    raw = os.environ.get("SFT_INDEPENDENT_FAULTS", "")
    return frozenset(n.strip() for n in raw.split(",") if n.strip())


ACTIVE = _active_faults()


def F(name: str) -> bool:
    return name in ACTIVE


# --------------------------------------------------------------------------- constants

P_HEX = (
    "FFFFFFFFFFFFFFFFADF85458A2BB4A9AAFDC5620273D3CF1D8B9C583CE2D3695"
    "A9E13641146433FBCC939DCE249B3EF97D2FE363630C75D8F681B202AEC4617A"
    "D3DF1ED5D5FD65612433F51F5F066ED085636555 3DED1AF3B557135E7F57C935"
    "984F0C70E0E68B77E2A689DAF3EFE8721DF158A136ADE73530ACCA4F483A797A"
    "BC0AB182B324FB61D108A94BB2C8E3FBB96ADAB760D7F4681D4F42A3DE394DF4"
    "AE56EDE76372BB190B07A7C8EE0A6D709E02FCE1CDF7E2ECC03404CD28342F61"
    "9172FE9CE98583FF8E4F1232EEF28183C3FE3B1B4C6FAD733BB5FCBC2EC22005"
    "C58EF1837D1683B2C6F34A26C1B2EFFA886B4238611FCFDCDE355B3B6519035B"
    "BC34F4DEF99C023861B46FC9D6E6C9077AD91D2691F7F7EE598CB0FAC186D91C"
    "AEFE130985139270B4130C93BC437944F4FD4452E2D74DD364F2E21E71F54BFF"
    "5CAE82AB9C9DF69EE86D2BC522363A0DABC521979B0DEADA1DBF9A42D5C4484E"
    "0ABCD06BFA53DDEF3C1B20EE3FD59D7C25E41D2B66C62E37FFFFFFFFFFFFFFFF"
).replace(" ", "")
PRIME = int(P_HEX, 16)
Q_ORDER = (PRIME - 1) // 2
GEN = 2
K = 384
MAX_DATA = 1_048_576
MAX_CONTROL = 65_536
DEFAULT_FRAME_LIMIT = 1_048_832
MAX_INT = 2**63 - 1
PARTIAL = ".sft-partial-"
CHUNK = 256 * 1024
ALLOWED_TYPE_BYTES = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")
APP_TYPES = frozenset({b"RQFL", b"RSFL", b"PUTF", b"DATA", b"DONE", b"EROR", b"BYE_"})
EKE_TYPES = frozenset({b"EKE1", b"EKE2", b"EKE3", b"EKE4", b"RECD"})
ERRORS = {
    1: ("bad_frame", True), 2: ("frame_too_large", True), 3: ("unexpected_frame", True),
    4: ("auth_failed", True), 5: ("forbidden", False), 6: ("not_found", False),
    7: ("too_large", False), 8: ("integrity_failed", True), 9: ("busy", True),
    10: ("timeout", True), 11: ("internal", True), 12: ("exists", False),
    13: ("unsupported", False), 14: ("throttled", True),
}  # fmt: skip
CODE = {name: code for code, (name, _) in ERRORS.items()}


# --------------------------------------------------------------------------- crypto


def i2osp(n: int) -> bytes:
    return n.to_bytes(K, "big")


def scrypt_pw(user: bytes, password: str) -> bytes:
    salt = b"sft-eke/1" + len(user).to_bytes(2, "big") + user
    return hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=2**15, r=8, p=1, maxmem=128 * 1024 * 1024,
        dklen=32,
    )  # fmt: skip


def _round(pw: bytes, i: int, half: bytes) -> bytes:
    return hashlib.shake_256(b"sft-eke/1 feistel" + pw + bytes([i]) + half).digest(192)


def _xor(a: bytes, b: bytes) -> bytes:
    return (int.from_bytes(a, "big") ^ int.from_bytes(b, "big")).to_bytes(len(a), "big")


def feistel_encrypt(pw: bytes, block: bytes) -> bytes:
    left, right = block[:192], block[192:]
    for i in range(14):
        left, right = right, _xor(left, _round(pw, i, right))
    return left + right


def feistel_decrypt(pw: bytes, block: bytes) -> bytes:
    left, right = block[:192], block[192:]
    for i in range(13, -1, -1):
        left, right = _xor(right, _round(pw, i, left)), left
    return left + right


def _jacobi(a: int, n: int) -> int:
    a %= n
    result = 1
    while a:
        while a % 2 == 0:
            a //= 2
            if n % 8 in (3, 5):
                result = -result
        a, n = n, a
        if a % 4 == 3 and n % 4 == 3:
            result = -result
        a %= n
    return result if n == 1 else 0


def is_residue(v: int) -> bool:
    """Blinded Jacobi symbol: (v r^2 / p) = (v / p), the loop runs on a random value."""
    r = secrets.randbelow(PRIME - 2) + 1
    if F("b26_residue_unblinded"):
        r = 1  # b26 (L1): "the blinding is a wasted multiplication: Jacobi is fast anyway"
    return _jacobi(v * r * r % PRIME, PRIME) == 1


def fresh_exponent() -> int:
    return secrets.randbits(320) | (1 << 320)


def hide(value: int) -> int:
    """EKE-X-2: X' = X or p - X by a fresh random bit."""
    return PRIME - value if secrets.randbits(1) else value


def recover(xp: int) -> int | None:
    """EKE-X-3: None for an invalid X', else the residue of X', p - X'."""
    if xp in (0, 1, PRIME - 1) or xp >= PRIME:
        return None
    return xp if is_residue(xp) else PRIME - xp


def hkdf_extract(salt: bytes, ikm: bytes) -> bytes:
    return hmac.new(salt, ikm, hashlib.sha256).digest()


def hkdf_expand(prk: bytes, info: bytes, length: int) -> bytes:
    out, block, counter = b"", b"", 1
    while len(out) < length:
        block = hmac.new(prk, block + info + bytes([counter]), hashlib.sha256).digest()
        out += block
        counter += 1
    return out[:length]


@dataclass
class Keys:
    kcs: bytes
    kcc: bytes
    key_c2s: bytes
    iv_c2s: bytes
    key_s2c: bytes
    iv_s2c: bytes


def transcript(user: bytes, a: bytes, b: bytes) -> bytes:
    return hashlib.sha256(
        b"sft-eke/1 transcript" + len(user).to_bytes(2, "big") + user + a + b
    ).digest()


def derive(th: bytes, z: bytes) -> Keys:
    prk = hkdf_extract(th, z)
    return Keys(
        kcs=hkdf_expand(prk, b"sft-eke/1 confirm s", 32),
        kcc=hkdf_expand(prk, b"sft-eke/1 confirm c", 32),
        key_c2s=hkdf_expand(prk, b"sft-eke/1 key c2s", 32),
        iv_c2s=hkdf_expand(prk, b"sft-eke/1 iv c2s", 12),
        key_s2c=hkdf_expand(prk, b"sft-eke/1 key s2c", 32),
        iv_s2c=hkdf_expand(prk, b"sft-eke/1 iv s2c", 12),
    )


def nonce_n(n: int) -> bytes:
    return bytes(11) + bytes([n])


# --------------------------------------------------------------------------- errors


class ProtocolError(Exception):
    """Answer with EROR `name` (and close when fatal)."""

    def __init__(self, name: str, message: str = "", **extra: int) -> None:
        super().__init__(f"{name}: {message}")
        self.name = name
        self.message = message or name.replace("_", " ")
        self.extra = extra


class Closed(Exception):
    """The connection ended (EOF, reset, or must be closed without answer)."""


class TimedOut(Exception):
    """A read made no progress in time."""


class PeerError(Exception):
    """The peer sent EROR."""

    def __init__(self, code: int, payload: dict[str, Any] | None) -> None:
        super().__init__(f"peer error {code}")
        self.code = code
        self.payload = payload or {}


# --------------------------------------------------------------------------- JSON


def _no_dups(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out and not F("srv_json_dup_keys"):
            raise ValueError("duplicate key")
        out[key] = value
    return out


def _no_constant(token: str) -> Any:
    raise ValueError(f"{token} is not JSON")


def parse_object(payload: bytes) -> dict[str, Any]:
    try:
        text = payload.decode("utf-8")
        value = json.loads(text, object_pairs_hook=_no_dups, parse_constant=_no_constant)
    except (ValueError, RecursionError) as exc:
        raise ProtocolError("bad_frame", "malformed JSON payload") from exc
    if not isinstance(value, dict):
        raise ProtocolError("bad_frame", "the payload is not a JSON object")
    return value


def encode_object(obj: dict[str, Any]) -> bytes:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def member_str(obj: dict[str, Any], key: str) -> str:
    value = obj.get(key)
    if not isinstance(value, str):
        raise ProtocolError("bad_frame", f"`{key}` must be a string")
    return value


def member_int(obj: dict[str, Any], key: str) -> int:
    value = obj.get(key)
    if type(value) is not int or not 0 <= value <= MAX_INT:
        raise ProtocolError("bad_frame", f"`{key}` must be an integer in 0..2^63-1")
    return value


def is_hex(text: str, length: int) -> bool:
    return len(text) == length and all(c in "0123456789abcdef" for c in text)


def member_hex(obj: dict[str, Any], key: str, length: int) -> bytes:
    value = member_str(obj, key)
    if not is_hex(value, length):
        raise ProtocolError("bad_frame", f"`{key}` must be {length} lowercase hex digits")
    return bytes.fromhex(value)


def member_sha(obj: dict[str, Any], key: str, optional: bool = False) -> str | None:
    if optional and key not in obj:
        return None
    value = member_str(obj, key)
    if not is_hex(value, 64):
        raise ProtocolError("bad_frame", f"`{key}` must be 64 lowercase hex digits")
    return value


# --------------------------------------------------------------------------- framing


def frame(kind: bytes, payload: bytes) -> bytes:
    return kind + len(payload).to_bytes(4, "big") + payload


def type_ok(kind: bytes) -> bool:
    return len(kind) == 4 and all(c in ALLOWED_TYPE_BYTES for c in kind)


class Wire:
    """A blocking socket with a receive buffer and bounded reads and writes."""

    def __init__(self, sock: socket.socket, idle: float) -> None:
        self.sock = sock
        self.buf = bytearray()
        self.idle = idle
        self.deadline: float | None = None  # absolute (handshake) or None (idle)
        self.eof = False

    def _recv_some(self) -> None:
        if self.eof:
            raise Closed("end of stream")
        if self.deadline is not None:
            left = self.deadline - time.monotonic()
            if left <= 0:
                raise TimedOut("deadline")
            self.sock.settimeout(left)
        else:
            self.sock.settimeout(self.idle)
        try:
            chunk = self.sock.recv(65536)
        except TimeoutError as exc:
            raise TimedOut("no data") from exc
        except OSError as exc:
            raise Closed(str(exc)) from exc
        if not chunk:
            self.eof = True
            raise Closed("end of stream")
        self.buf += chunk

    def read_exact(self, n: int) -> bytes:
        while len(self.buf) < n:
            try:
                self._recv_some()
            except Closed:
                if self.buf:
                    raise Closed("end of stream inside a frame") from None
                raise
        out = bytes(self.buf[:n])
        del self.buf[:n]
        return out

    def at_boundary_eof(self) -> bool:
        return not self.buf

    def send(self, data: bytes) -> None:
        view = memoryview(data)
        if F("srv_send_no_timeout"):
            self.sock.settimeout(None)
            self.sock.sendall(view)
            return
        self.sock.settimeout(self.idle)
        sent = 0
        while sent < len(view):
            try:
                n = self.sock.send(view[sent:])
            except TimeoutError as exc:
                raise Closed("send made no progress") from exc
            except OSError as exc:
                raise Closed(str(exc)) from exc
            sent += n

    def read_header(self, limit: int) -> tuple[bytes, int]:
        head = self.read_exact(8)
        kind, length = head[:4], int.from_bytes(head[4:], "big")
        if not type_ok(kind):
            raise ProtocolError("bad_frame", "bad frame type")
        if length > limit and not F("srv_frame_limit_late"):
            raise ProtocolError("frame_too_large", "frame above the limit")
        return kind, length

    def read_frame(self, limit: int) -> tuple[bytes, bytes]:
        kind, length = self.read_header(limit)
        if F("b26_eof_short_eke_frame") and kind in EKE_TYPES:
            # b26 (L2): "the client half-closed after its EKE frame: take what came"
            try:
                payload = self.read_exact(length)
            except Closed:
                payload = bytes(self.buf)
                self.buf.clear()
            return kind, payload
        payload = self.read_exact(length)
        if length > limit:
            raise ProtocolError("frame_too_large", "frame above the limit")
        return kind, payload


def check_inner(kind: bytes, payload: bytes, control_limit: int = MAX_CONTROL) -> None:
    """FRM-8, FRM-13 on one application frame."""
    if kind == b"DATA":
        if not payload:
            raise ProtocolError("bad_frame", "empty DATA")
        if len(payload) > MAX_DATA:
            raise ProtocolError("bad_frame", "DATA above 1 MiB")
    elif len(payload) > control_limit or (
        F("b10_control_limit_inclusive") and len(payload) == control_limit
    ):
        raise ProtocolError("frame_too_large", "control payload above 64 KiB")


class Records:
    """AES-256-GCM records over a Wire (EKE-REC-*)."""

    def __init__(self, wire: Wire, send_key: bytes, send_iv: bytes, recv_key: bytes,
                 recv_iv: bytes, limit: int) -> None:  # fmt: skip
        self.wire = wire
        self.send_aead, self.send_iv = AESGCM(send_key), send_iv
        self.recv_aead, self.recv_iv = AESGCM(recv_key), recv_iv
        self.send_seq = 0
        self.recv_seq = 0
        self.limit = limit
        self.pending: list[tuple[bytes, bytes]] = []
        self.requests = 0  # RQFL/PUTF of this connection
        self.put_digest: Any = None
        self.draining = False  # b13_refused_put_drains_data
        self.put_stored = False
        self.client = False  # set by the client (b15 record faults are per side)

    @staticmethod
    def _nonce(iv: bytes, seq: int) -> bytes:
        return _xor(iv, bytes(4) + seq.to_bytes(8, "big"))

    def send(self, kind: bytes, payload: bytes) -> None:
        inner = frame(kind, payload)
        length = len(inner) + 16
        ad = b"RECD" + length.to_bytes(4, "big")
        ct = self.send_aead.encrypt(self._nonce(self.send_iv, self.send_seq), inner, ad)
        if not (F("srv_record_seq_stuck") and kind == b"DATA"):
            self.send_seq += 1
        self.wire.send(b"RECD" + length.to_bytes(4, "big") + ct)

    def send_obj(self, kind: bytes, obj: dict[str, Any]) -> None:
        self.send(kind, encode_object(obj))

    def recv(self) -> tuple[bytes, bytes]:
        if self.pending:
            return self.pending.pop(0)
        kind, length = self.wire.read_header(self.limit)
        if kind != b"RECD":
            if F("srv_plaintext_after_eke4") and kind in APP_TYPES:
                return kind, self.wire.read_exact(length)
            raise Closed("a plaintext frame after the handshake")
        body = self.wire.read_exact(length)
        ad = b"RECD" + length.to_bytes(4, "big")
        try:
            inner = self.recv_aead.decrypt(self._nonce(self.recv_iv, self.recv_seq), body, ad)
        except InvalidTag:
            reflected = self._reflected(body, ad)
            if reflected is not None:
                inner = reflected
            elif F("srv_record_skip_tolerant"):
                try:
                    inner = self.recv_aead.decrypt(
                        self._nonce(self.recv_iv, self.recv_seq + 1), body, ad
                    )
                    self.recv_seq += 1
                except InvalidTag:
                    raise Closed("a record failed to authenticate") from None
            else:
                if F("b10_record_fail_clear_eror"):
                    try:
                        err: dict[str, Any] = {
                            "code": 1,
                            "name": "bad_frame",
                            "message": "bad record",
                        }
                        self.wire.send(frame(b"EROR", encode_object(err)))
                    except Closed:
                        pass
                raise Closed("a record failed to authenticate") from None
        self.recv_seq += 1
        frames = self._split(inner)
        first = frames.pop(0)
        self.pending.extend(frames)
        return first

    def _reflected(self, body: bytes, ad: bytes) -> bytes | None:
        """b15 (L2): "a peer that mixed up the directions": retried with our own send key."""
        fault = (
            "b15_cli_record_reflected_accepted" if self.client else "b15_record_reflected_accepted"
        )
        if not F(fault):
            return None
        try:
            return self.send_aead.decrypt(self._nonce(self.send_iv, self.recv_seq), body, ad)
        except InvalidTag:
            return None

    @staticmethod
    def _split(inner: bytes) -> list[tuple[bytes, bytes]]:
        out: list[tuple[bytes, bytes]] = []
        rest = inner
        while True:
            if len(rest) < 8:
                raise ProtocolError("bad_frame", "a record is not one frame")
            kind, length = rest[:4], int.from_bytes(rest[4:8], "big")
            if F("b28_cli_inner_type_casefold"):
                kind = kind.upper()  # b28 (L5): "type names are case-insensitive tokens"
            if not type_ok(kind):
                raise ProtocolError("bad_frame", "bad frame type in a record")
            if len(rest) - 8 < length:
                raise ProtocolError("bad_frame", "a record is not one frame")
            out.append((kind, rest[8 : 8 + length]))
            rest = rest[8 + length :]
            if not rest:
                return out
            if not F("srv_record_many_frames"):
                raise ProtocolError("bad_frame", "a record holds more than one frame")


# --------------------------------------------------------------------------- names


def _bad_char(ch: str) -> bool:
    o = ord(ch)
    if o < 0x20 or o == 0x7F or ch == "\\":
        return True
    if 0x80 <= o <= 0x9F and not F("srv_name_c1_ok"):
        return True
    if F("b10_bidi_isolates_missed"):
        return 0x202A <= o <= 0x202E
    return 0x202A <= o <= 0x202E or 0x2066 <= o <= 0x2069


def name_refused(name: str) -> bool:
    """APP-NAME-1/2/8: True when the name must be refused `forbidden`."""
    try:
        raw = name.encode("utf-8")
    except UnicodeEncodeError:
        if not F("b13_surrogate_name_unchecked"):
            return True
        # "cannot encode it strictly: judge its bytes as the file system would"
        raw = name.encode("utf-8", "surrogatepass")
        name = raw.decode("utf-8", "replace")
    limit = 255 if F("srv_name_total_255") else 4096
    if not raw or len(raw) > limit or name.startswith("/"):
        return True
    if len(name) >= 2 and name[1] == ":" and name[0].isascii() and name[0].isalpha():
        return True
    if any(_bad_char(c) for c in name):
        return True
    if F("b10_name_c1_on_bytes") and any(0x80 <= c <= 0x9F for c in raw):
        return True
    parts = name.split("/")
    if F("b15_dotdot_last_component_passes"):  # L4: ".. only matters before a component"
        last = len(parts) - 1
        return any(
            p in ("", ".") or (p == ".." and i < last) or len(p.encode("utf-8")) > 255
            for i, p in enumerate(parts)
        )
    return any(p in ("", ".", "..") or len(p.encode("utf-8")) > 255 for p in parts)


class Refusal(Exception):
    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


def open_in_share(share: Path, name: str) -> int:
    """Open `name` read-only inside the share, component by component, no symlinks."""
    if F("srv_name_nfc"):
        name = unicodedata.normalize("NFC", name)
    parts = name.split("/")
    if F("srv_name_prefix_confinement"):
        real = os.path.realpath(os.path.join(share, name))
        if not real.startswith(str(share)):
            raise Refusal("forbidden")
        try:
            fd = os.open(real, os.O_RDONLY | os.O_NONBLOCK)
        except OSError:
            raise Refusal("not_found") from None
        return fd
    if F("b28_open_realpath_nofollow"):
        # b28 (L6): resolved once with realpath (a link anywhere: refused), then opened by
        # that path with O_NOFOLLOW, which guards the last component only
        base = os.path.realpath(share)
        joined = os.path.normpath(os.path.join(base, name))
        real = os.path.realpath(joined)
        if real != joined or os.path.commonpath([base, real]) != base:
            raise Refusal("forbidden")
        try:
            return os.open(real, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        except OSError as exc:
            raise Refusal("forbidden" if exc.errno == errno.ELOOP else "not_found") from None
    dirfd = os.open(share, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for part in parts[:-1]:
            try:
                nfd = os.open(part, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=dirfd)
            except OSError as exc:
                raise Refusal(_refusal_for(exc, part, dirfd)) from None
            os.close(dirfd)
            dirfd = nfd
        try:
            return os.open(parts[-1], os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=dirfd)
        except OSError as exc:
            raise Refusal(_refusal_for(exc, parts[-1], dirfd)) from None
    finally:
        os.close(dirfd)


def _refusal_for(exc: OSError, part: str, dirfd: int) -> str:
    if exc.errno == errno.ELOOP:
        return "forbidden"
    try:
        if stat.S_ISLNK(os.stat(part, dir_fd=dirfd, follow_symlinks=False).st_mode):
            return "forbidden"
    except OSError:
        pass
    return "not_found"


# --------------------------------------------------------------------------- stores


def open_db(path: Path) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    fresh = not path.exists()
    db = sqlite3.connect(str(path), timeout=30.0, check_same_thread=False)
    if fresh:
        os.chmod(path, 0o600)
    return db


def open_store(path: Path) -> sqlite3.Connection:
    db = open_db(path)
    db.execute("CREATE TABLE IF NOT EXISTS accounts (user TEXT PRIMARY KEY, pw BLOB)")
    db.commit()
    return db


def server_secret(state: Path) -> bytes:
    path = state / "server_secret"
    state.mkdir(parents=True, exist_ok=True)
    try:
        data = path.read_bytes()
        if len(data) == 32:
            return data
    except FileNotFoundError:
        pass
    data = secrets.token_bytes(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    return data


@dataclass
class Policy:
    failures: int
    base: float
    cap: float
    per_user: int
    per_address: int
    lock_after: int
    table_entries: int


class Throttle:
    """Failure counts in SQLite (survive restarts), pending handshakes in memory."""

    def __init__(self, path: Path, policy: Policy) -> None:
        self.db = open_db(path)
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS fails (kind TEXT, key TEXT, count INTEGER, "
            "locked_until REAL, hard INTEGER, updated REAL, PRIMARY KEY (kind, key))"
        )
        self.db.commit()
        self.policy = policy
        self.lock = threading.Lock()
        self.pending: dict[tuple[str, str], int] = {}
        self.local = threading.local()
        self.has_account: Any = None  # b24_hard_lock_accounts_only: set by the server

    def _row(self, kind: str, key: str) -> tuple[int, float, int]:
        if F("srv_counts_per_thread"):
            table: dict[tuple[str, str], tuple[int, float, int]] = getattr(self.local, "table", {})
            self.local.table = table
            return table.get((kind, key), (0, 0.0, 0))
        row = self.db.execute(
            "SELECT count, locked_until, hard FROM fails WHERE kind=? AND key=?", (kind, key)
        ).fetchone()
        return (row[0], row[1], row[2]) if row else (0, 0.0, 0)

    def _put(self, kind: str, key: str, count: int, until: float, hard: int) -> None:
        if F("srv_counts_per_thread"):
            table = getattr(self.local, "table", {})
            table[(kind, key)] = (count, until, hard)
            self.local.table = table
            return
        now = time.time()
        exists = self.db.execute(
            "SELECT 1 FROM fails WHERE kind=? AND key=?", (kind, key)
        ).fetchone()
        if not exists:
            if F("srv_tables_shared"):
                (size,) = self.db.execute("SELECT COUNT(*) FROM fails").fetchone()
            elif F("b14_hard_locks_fill_table"):  # hard locks counted towards the bound
                (size,) = self.db.execute(
                    "SELECT COUNT(*) FROM fails WHERE kind=?", (kind,)
                ).fetchone()
            else:  # EKE-THR-9: hard-locked names do not count towards the bound
                (size,) = self.db.execute(
                    "SELECT COUNT(*) FROM fails WHERE kind=? AND hard=0", (kind,)
                ).fetchone()
            if size >= self.policy.table_entries:
                if F("srv_tables_shared"):
                    victim = self.db.execute(
                        "SELECT kind, key FROM fails ORDER BY updated LIMIT 1"
                    ).fetchone()
                else:
                    victim = self.db.execute(
                        "SELECT kind, key FROM fails WHERE kind=? AND hard=0 "
                        "AND locked_until<=? ORDER BY updated LIMIT 1",
                        (kind, now),
                    ).fetchone()
                if victim:
                    self.db.execute("DELETE FROM fails WHERE kind=? AND key=?", victim)
        self.db.execute(
            "INSERT OR REPLACE INTO fails VALUES (?, ?, ?, ?, ?, ?)",
            (kind, key, count, until, hard, now),
        )

    def admit(self, user: str, address: str) -> tuple[str, int]:
        """('ok', 0), or ('throttled'|'busy', retry_after). 'ok' reserves a pending slot."""
        with self.lock:
            now = time.time()
            _, until_u, hard_u = self._row("u", user)
            _, until_a, _ = self._row("a", address)
            if hard_u and not F("srv_no_hard_lock"):
                return "throttled", max(1, math.ceil(self.policy.cap))
            left = max(until_u, until_a) - now
            if F("b15_throttle_both_locked") and not (until_u > now and until_a > now):
                left = 0.0  # L4: "throttled when the user AND the address are locked"
            if F("b13_expired_lock_resets_count") and 0 < until_u <= now:
                # "the lock has run out: the user starts over"
                self._put("u", user, 0, 0.0, 0)
                self.db.commit()
            if left > 0:
                if F("b10_retry_after_floor"):
                    return "throttled", max(1, int(left))
                return "throttled", max(1, math.ceil(left))
            pu = self.pending.get(("u", user), 0)
            pa = self.pending.get(("a", address), 0)
            if F("b15_pending_caps_and"):  # L4: and for or
                over = pu >= self.policy.per_user and pa >= self.policy.per_address
            else:
                over = pu >= self.policy.per_user or pa >= self.policy.per_address
            if over:
                # b13: "no way to know when a pending login ends: retry at once"
                return "busy", 0 if F("b13_busy_retry_zero") else 1
            if F("srv_pending_check_then_act"):
                return "ok", 0  # the slot is taken later (take_slot), once EKE2 is out
            self.pending[("u", user)] = pu + 1
            self.pending[("a", address)] = pa + 1
            return "ok", 0

    def counts(self, user: str, address: str) -> tuple[int, int]:
        """b15_failure_count_from_admit: the two counts as read at EKE1."""
        with self.lock:
            return self._row("u", user)[0], self._row("a", address)[0]

    def take_slot(self, user: str, address: str) -> None:
        """The planted check-then-act: the pending slot taken after the check, unlocked."""
        for key in (("u", user), ("a", address)):
            self.pending[key] = self.pending.get(key, 0) + 1

    def _release(self, user: str, address: str) -> None:
        for key in (("u", user), ("a", address)):
            n = self.pending.get(key, 0) - 1
            if n > 0:
                self.pending[key] = n
            else:
                self.pending.pop(key, None)

    def release(self, user: str, address: str) -> None:
        with self.lock:
            self._release(user, address)

    def _lock_for(self, count: int) -> float:
        p = self.policy
        if count < p.failures:
            return 0.0
        if F("srv_backoff_linear"):
            seconds = min(p.cap, p.base * (count - p.failures + 1))
        else:
            seconds = min(p.cap, p.base * 2 ** (count - p.failures))
        return float(max(1, math.ceil(seconds)))

    def failure(
        self, user: str, address: str, release: bool = True, base: tuple[int, int] | None = None
    ) -> None:
        with self.lock:
            if release:
                self._release(user, address)
            now = time.monotonic() if F("b13_lock_clock_mixed") else time.time()
            for index, (kind, key) in enumerate((("u", user), ("a", address))):
                count, until, hard = self._row(kind, key)
                if base is not None:  # b15 (L6): the count read at EKE1, written back + 1
                    count = base[index]
                count += 1
                lock = self._lock_for(count)
                if lock:
                    until = now + lock
                if kind == "u" and count >= self.policy.lock_after:
                    # b24 (L1): "lock the account": the hard lock bound to an account row
                    if not (F("b24_hard_lock_accounts_only") and self.has_account
                            and not self.has_account(key)):  # fmt: skip
                        hard = 1
                self._put(kind, key, count, until, hard)
            if not (F("srv_lock_not_committed") and self._row("u", user)[1] > now):
                # b24 (L4): "EKE-THR-1: no wait on durable storage": a failure below the
                # threshold stays in the open transaction; only one that locks is committed
                if not (F("b24_partial_counts_uncommitted") and self._row("u", user)[1] <= now
                        and self._row("a", address)[1] <= now):  # fmt: skip
                    self.db.commit()

    def success(self, user: str, address: str) -> None:
        with self.lock:
            if not F("b10_pending_leak_on_success"):
                self._release(user, address)
            self._put("u", user, 0, 0.0, 0)
            if F("srv_success_resets_address"):
                self._put("a", address, 0, 0.0, 0)
            self.db.commit()

    def unlock(self, user: str) -> None:
        with self.lock:
            self._put("u", user, 0, 0.0, 0)
            self.db.commit()


# --------------------------------------------------------------------------- server


@dataclass
class Config:
    store: Path
    state: Path
    share: Path
    inbox: Path
    handshake_timeout: float
    idle_timeout: float
    max_file_size: int
    max_connections: int
    max_pending_per_address: int
    frame_limit: int
    policy: Policy


@dataclass(eq=False)
class Slot:
    sock: socket.socket
    address: str
    accepted: float
    established: bool = False
    evicted: bool = False
    auth_failed: bool = False  # b24_legacy_relogin


@dataclass
class Registry:
    max_connections: int
    per_address: int
    lock: threading.Lock = field(default_factory=threading.Lock)
    slots: list[Slot] = field(default_factory=list)

    def admit(self, slot: Slot) -> bool:
        with self.lock:
            same = [s for s in self.slots if s.address == slot.address and not s.established]
            cap = self.per_address - (1 if F("srv_per_address_off_by_one") else 0)
            if len(same) >= cap:
                return False
            if len(self.slots) >= self.max_connections:
                waiting = [s for s in self.slots if not s.established]
                if not waiting or F("srv_no_eviction"):
                    return False
                oldest = min(waiting, key=lambda s: s.accepted)
                oldest.evicted = True
                self.slots.remove(oldest)
                try:
                    oldest.sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            self.slots.append(slot)
            return True

    def leave(self, slot: Slot) -> None:
        with self.lock:
            if slot in self.slots:
                self.slots.remove(slot)


def address_key(host: str) -> str:
    """EKE-THR-10: IPv4 per address, IPv6 per /64."""
    if host.startswith("::ffff:") and "." in host:
        return host[7:]
    if ":" in host:
        packed = socket.inet_pton(socket.AF_INET6, host.split("%")[0])
        return socket.inet_ntop(socket.AF_INET6, packed[:8] + bytes(8)) + "/64"
    return host


_HANDSHAKE_LOCK = threading.Lock()  # b15_handshake_lock_across_eke3
_EKE2_MEMO: dict[tuple[bytes, bytes], tuple[int, bytes]] = {}  # b28_eke2_memo_repeat


def log(text: str) -> None:
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    print(f"{stamp} {text}", file=sys.stderr, flush=True)


class Server:
    def __init__(self, cfg: Config) -> None:
        self.cfg = cfg
        self.accounts = open_store(cfg.store)
        self.accounts_lock = threading.Lock()
        self.secret = server_secret(cfg.state)
        self.throttle = Throttle(cfg.state / "throttle.sqlite", cfg.policy)
        self.registry = Registry(cfg.max_connections, cfg.max_pending_per_address)
        self.share = cfg.share.resolve()
        self.inbox = cfg.inbox.resolve()
        self.inflight: set[str] = set()  # b13_put_inflight_name_leak
        self.inflight_lock = threading.Lock()
        if F("b24_hard_lock_accounts_only"):
            self.throttle.has_account = lambda key: (
                self.lookup_pw(bytes.fromhex(key).decode("utf-8", "replace")) is not None
            )
        # b24 (L4): "a SIGHUP restart must not delete the temporaries of puts in progress":
        # the sweep runs on a cold start only
        if not (F("b24_warm_restart_no_sweep") and os.environ.get("EKE6_LISTEN_FD")):
            self.sweep_inbox()

    def sweep_inbox(self) -> None:
        for entry in self.inbox.iterdir():
            if entry.name.startswith(PARTIAL):
                try:
                    entry.unlink()
                except OSError:
                    pass

    def lookup_pw(self, user: str) -> bytes | None:
        with self.accounts_lock:
            # A store made by `user add` has the default (BINARY) collation; the fault is
            # the lookup's own collation.
            query = "SELECT pw FROM accounts WHERE user=?"
            if F("srv_store_nocase"):
                query += " COLLATE NOCASE"
            if F("b13_user_lookup_stripped"):
                user = user.strip()  # "a stray space from a copy-paste is not another user"
            row = self.accounts.execute(query, (user,)).fetchone()
        return bytes(row[0]) if row else None

    # --- one connection --------------------------------------------------

    def handle(self, sock: socket.socket, peer: tuple[Any, ...]) -> None:
        address = address_key(peer[0])
        slot = Slot(sock, address, time.monotonic())
        wire = Wire(sock, self.cfg.idle_timeout)
        if not self.registry.admit(slot):
            try:
                wire.send(frame(b"EROR", encode_object(
                    {"code": 9, "name": "busy", "message": "too many connections",
                     "retry_after": 1})))  # fmt: skip
            except Closed:
                pass
            finish(sock)
            return
        records: Records | None = None
        try:
            records = self.handshake(wire, slot)
            tries = 1
            while records is None and slot.auth_failed and tries < 5:
                # b24 (L2): as sft-eke/0 did after `Not Authenticated`, wait for a new login
                slot.auth_failed = False
                tries += 1
                records = self.handshake(wire, slot)
            if records is not None:
                self.session(wire, records)
        finally:
            if records is not None or not F("b10_slot_leak_on_failed_handshake"):
                self.registry.leave(slot)
            finish(sock)

    def send_clear_error(self, wire: Wire, name: str, message: str, **extra: int) -> None:
        body: dict[str, Any] = {"code": CODE[name], "name": name, "message": message[:200]}
        body.update(extra)
        try:
            wire.send(frame(b"EROR", encode_object(body)))
        except Closed:
            pass

    def handshake(self, wire: Wire, slot: Slot) -> Records | None:
        cfg = self.cfg
        wire.deadline = slot.accepted + cfg.handshake_timeout
        if F("srv_handshake_deadline_per_recv"):
            wire.deadline = None
            wire.idle = cfg.handshake_timeout
        user_key: str | None = None
        spent = False
        held = False  # b15_handshake_lock_across_eke3
        snap: tuple[int, int] | None = None  # b15_failure_count_from_admit
        # b15 (L5): "the records' limit applies after EKE4": handshake frames unbounded
        hs_limit = MAX_INT if F("b15_handshake_frame_unlimited") else cfg.frame_limit
        try:
            kind, payload = wire.read_frame(hs_limit)
            if kind == b"EROR":
                return None
            if kind != b"EKE1":
                raise ProtocolError("unexpected_frame", "expected EKE1")
            check_inner(kind, payload)
            obj = parse_object(payload)
            user_text = member_str(obj, "user")
            a = member_hex(obj, "a", 768)
            try:
                user = user_text.encode("utf-8")
            except UnicodeEncodeError:
                raise ProtocolError("bad_frame", "user is not Unicode text") from None
            user_key = user.hex()
            if F("b24_throttle_key_casefold"):
                # b24 (L4): "attackers dodged the per-name count by changing case"
                user_key = user_text.casefold().encode("utf-8", "surrogatepass").hex()
            if F("b24_throttle_key_prefix"):
                user_key = user[:32].hex()  # b24 (L6): a CHAR(64) column of hex
            verdict, retry = self.throttle.admit(user_key, slot.address)
            if verdict == "throttled" and F("b15_throttled_eke1_counted"):
                # L5: "another try while locked is another failure"
                self.throttle.failure(user_key, slot.address, release=False)
            if verdict != "ok":
                user_key = None
                log(f"{verdict} login user={user_text!r} address={slot.address}")
                if verdict == "busy" and F("b10_busy_no_retry_after"):
                    self.send_clear_error(wire, verdict, "busy; retry later")
                else:
                    self.send_clear_error(
                        wire, verdict, f"{verdict}; retry later", retry_after=retry
                    )
                return None
            if F("b15_failure_count_from_admit"):  # L6: the row read once, at EKE1
                snap = self.throttle.counts(user_key, slot.address)
            if F("b15_handshake_lock_across_eke3"):
                # L1: "EKE2..EKE3 under one lock, so pending counts and exponentiations do
                # not interleave": a silent client holds every other login
                _HANDSHAKE_LOCK.acquire()
                held = True
            valid = 1 <= len(user) <= 64 and not any(_is_control(c) for c in user_text)
            pw = self.lookup_pw(user_text) if valid else None
            if pw is None:
                if F("srv_unknown_user_early"):
                    raise ProtocolError("auth_failed", "authentication failed")
                pw = hmac.new(self.secret, b"sft-eke/1 fake" + user, hashlib.sha256).digest()
            xp = int.from_bytes(feistel_decrypt(pw, a), "big")
            big_x = recover(xp)
            ok = big_x is not None
            if big_x is None:
                if F("srv_xprime_unchecked"):
                    big_x, ok = xp % PRIME, True
                else:
                    r = secrets.randbelow(PRIME - 3) + 2
                    big_x = r * r % PRIME
            memo = _EKE2_MEMO.get((user, a)) if F("b28_eke2_memo_repeat") else None
            if memo is not None:  # b28 (L4): "a retransmitted EKE1 gets the same EKE2"
                y, b = memo
            else:
                y = fresh_exponent()
                b = feistel_encrypt(pw, i2osp(hide(pow(GEN, y, PRIME))))
                if F("b28_eke2_memo_repeat"):
                    _EKE2_MEMO[(user, a)] = (y, b)
            z_int = pow(big_x, y, PRIME)
            if z_int in (0, 1, PRIME - 1) and not F("srv_xprime_unchecked"):
                ok = False
            th = transcript(user, a, b)
            keys = derive(th, i2osp(z_int))
            ns = secrets.token_bytes(32)
            c2 = AESGCM(keys.kcs).encrypt(nonce_n(2), ns, b"EKE2" + th)
            wire.send(frame(b"EKE2", encode_object({"b": b.hex(), "c": c2.hex()})))
            spent = True
            if F("srv_pending_check_then_act"):
                self.throttle.take_slot(user_key, slot.address)
            kind, payload = wire.read_frame(hs_limit)
            if kind == b"EROR":
                raise Closed("the client gave up")
            if kind != b"EKE3":
                raise ProtocolError("unexpected_frame", "expected EKE3")
            check_inner(kind, payload)
            c3 = member_hex(parse_object(payload), "c", 160)
            try:
                plain = AESGCM(keys.kcc).decrypt(nonce_n(3), c3, b"EKE3" + th)
            except InvalidTag:
                plain = b""
                if F("b15_eke3_either_confirm_key"):  # L2: "a client that mixed up Kcc/Kcs"
                    try:
                        plain = AESGCM(keys.kcs).decrypt(nonce_n(3), c3, b"EKE3" + th)
                    except InvalidTag:
                        plain = b""
            good = len(plain) == 64 and (
                F("srv_no_ns_check")
                or (F("b13_ns_half_compared") and hmac.compare_digest(plain[32:48], ns[:16]))
                or hmac.compare_digest(plain[32:], ns)
            )
            if not (ok and good):
                if F("srv_failure_after_reply"):
                    self.send_clear_error(wire, "auth_failed", "authentication failed")
                    wire.sock.close()
                    time.sleep(1.0)  # the slow path: an audit write before the count
                    self.count_failure(user_key, user_text, slot)
                    user_key = None
                    return None
                self.count_failure(user_key, user_text, slot, base=snap)
                user_key = None
                slot.auth_failed = F("b24_legacy_relogin")
                raise ProtocolError("auth_failed", "authentication failed")
            na = plain[:32]
            c4 = AESGCM(keys.kcs).encrypt(nonce_n(4), na, b"EKE4" + th)
            wire.send(frame(b"EKE4", encode_object({"c": c4.hex()})))
            spent = False
            self.throttle.success(user_key, slot.address)
            if F("b24_session_key_id_logged"):
                # b24 (L5): left from interop debugging: a "session id" to match both logs
                kid = hashlib.sha256(keys.key_c2s).hexdigest()[:12]
                log(f"login user={user_text!r} address={slot.address} session={kid}")
            user_key = None
            slot.established = True
            wire.deadline = None
            wire.idle = cfg.idle_timeout
            return Records(wire, keys.key_s2c, keys.iv_s2c, keys.key_c2s, keys.iv_c2s,
                           cfg.frame_limit)  # fmt: skip
        except ProtocolError as exc:
            if exc.name in ("bad_frame", "frame_too_large", "unexpected_frame"):
                # b24 (post-blind): "a broken client's first EKE1 gets a second chance"
                slot.auth_failed = F("b24_relogin_after_malformed") and not spent
            self.send_clear_error(wire, exc.name, exc.message)
            return None
        except TimedOut:
            self.send_clear_error(wire, "timeout", "handshake timeout")
            if F("b24_timeout_forgets_failure") and user_key is not None:
                # b24 (L4): the handler added for EROR timeout frees the pending slot itself
                self.throttle.release(user_key, slot.address)
                user_key = None
            return None
        except Closed:
            return None
        finally:
            if held:
                _HANDSHAKE_LOCK.release()
            if user_key is not None:
                if spent and not F("srv_abandoned_not_counted"):
                    # b13: "the closed socket's pending entry goes with the connection"
                    self.count_failure(
                        user_key, "", slot, release=not F("b13_abandoned_pending_leak"),
                        base=snap,
                    )
                else:
                    self.throttle.release(user_key, slot.address)

    def count_failure(
        self, user_key: str, user_text: str, slot: Slot, release: bool = True,
        base: tuple[int, int] | None = None,
    ) -> None:
        self.throttle.failure(user_key, slot.address, release=release, base=base)
        name = bytes.fromhex(user_key).decode("utf-8", "replace")
        log(f"failed handshake user={name!r} address={slot.address}")

    # --- records phase ---------------------------------------------------

    def session(self, wire: Wire, rec: Records) -> None:
        try:
            while True:
                try:
                    kind, payload = rec.recv()
                except Closed:
                    return
                check_inner(kind, payload)
                if kind in (b"RQFL", b"PUTF"):
                    rec.requests += 1
                if kind in (b"RQFL", b"PUTF", b"BYE_"):
                    rec.draining = False
                if kind == b"DATA" and rec.draining:
                    continue  # b13: the refused put's DATA, already on its way: drop it
                if kind == b"RQFL":
                    self.do_get(rec, payload)
                elif kind == b"PUTF":
                    rec.draining = F("b13_refused_put_drains_data")
                    self.do_put(wire, rec, payload)
                    if rec.draining and rec.put_stored:
                        rec.draining = False
                elif kind == b"BYE_":
                    parse_object(payload)
                    rec.send_obj(b"BYE_", {})
                    if F("b26_bye_keeps_alive"):
                        continue  # b26 (L4): keep-alive: the client closes when it is done
                    return
                elif kind == b"EROR":
                    if F("b26_malformed_eror_ignored"):
                        # b26 (L2): "an EROR without a readable code is no error: ignore it"
                        try:
                            member_int(parse_object(payload), "code")
                        except ProtocolError:
                            continue
                    return
                elif kind in EKE_TYPES and F("b15_inner_eke_frames_ignored"):
                    continue  # L3: "a late handshake retransmission: harmless, drop it"
                elif kind in APP_TYPES or kind in EKE_TYPES:
                    raise ProtocolError("unexpected_frame", f"{kind!r} not allowed now")
                else:
                    raise ProtocolError("unexpected_frame", "unknown frame type")
        except ProtocolError as exc:
            fatal = ERRORS[CODE[exc.name]][1]
            if F("b10_traceback_in_message") and exc.name == "bad_frame":
                exc.message = traceback.format_exc()[-400:]
            try:
                body: dict[str, Any] = {"code": CODE[exc.name], "name": exc.name,
                                        "message": exc.message[:200]}  # fmt: skip
                body.update(exc.extra)
                rec.send_obj(b"EROR", body)
            except Closed:
                return
            if fatal and F("srv_fatal_lingers"):
                try:
                    wire.deadline = None
                    wire.idle = self.cfg.idle_timeout
                    while True:
                        wire.read_exact(1)
                except (Closed, TimedOut):
                    return
            return
        except TimedOut:
            try:
                rec.send_obj(b"EROR", {"code": 10, "name": "timeout", "message": "idle timeout"})
            except Closed:
                pass
        except Closed:
            return

    def refuse(self, rec: Records, name: str, message: str) -> None:
        rec.send_obj(b"EROR", {"code": CODE[name], "name": name, "message": message})

    def do_get(self, rec: Records, payload: bytes) -> None:
        obj = parse_object(payload)
        name = obj.get("name")
        if not isinstance(name, str):
            raise ProtocolError("bad_frame", "`name` must be a string")
        if F("b10_unknown_member_refused") and set(obj) - {"name"}:
            raise ProtocolError("bad_frame", "unexpected member in RQFL")
        checked = rec.requests <= 1 or not F("b10_name_first_request_only")
        if checked and name_refused(name):
            return self.refuse(rec, "forbidden", "name refused")
        if name.split("/")[-1].startswith(PARTIAL):
            return self.refuse(rec, "forbidden", "reserved name")
        try:
            fd = open_in_share(self.share, name)
        except UnicodeEncodeError:
            return self.refuse(rec, "not_found", "no such file")
        except Refusal as exc:
            self.refuse(rec, exc.name, "no such file" if exc.name == "not_found"
                        else "name refused")  # fmt: skip
            if exc.name == "not_found" and F("b10_close_after_not_found"):
                raise Closed("refused a request: the connection ends") from None
            return None
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            os.close(fd)
            return self.refuse(rec, "not_found", "not a regular file")
        with os.fdopen(fd, "rb") as f:
            if info.st_size > self.cfg.max_file_size:
                return self.refuse(rec, "too_large", "file above the size limit")
            size = info.st_size
            shown = name.split("/")[-1] if F("srv_rsfl_basename") else name
            rec.send_obj(b"RSFL", {"name": shown, "size": size})
            digest = hashlib.sha256()
            left = size
            if F("b28_get_streams_to_eof"):
                # b28 (L6): "read until EOF": what the file holds when it is read is sent
                sent = 0
                while chunk := f.read(CHUNK):
                    digest.update(chunk)
                    sent += len(chunk)
                    rec.send(b"DATA", chunk)
                rec.send_obj(b"DONE", {"size": sent, "sha256": digest.hexdigest()})
                return None
            while left > 0:
                chunk = f.read(min(CHUNK, left))
                if not chunk:
                    raise ProtocolError("internal", "the file shrank")
                digest.update(chunk)
                left -= len(chunk)
                rec.send(b"DATA", chunk)
            rec.send_obj(b"DONE", {"size": size, "sha256": digest.hexdigest()})
        return None

    def do_put(self, wire: Wire, rec: Records, payload: bytes) -> None:
        obj = parse_object(payload)
        name = obj.get("name")
        if not isinstance(name, str):
            raise ProtocolError("bad_frame", "`name` must be a string")
        size: int | None
        if F("b13_put_size_absent") and "size" not in obj:
            size = None  # no size announced: no limit to check
        else:
            size = member_int(obj, "size")
        if F("b13_putf_sha_bad_ignored"):
            try:
                want = member_sha(obj, "sha256", optional=True)
            except ProtocolError:  # an optional hash we cannot read is no hash
                want = None
        else:
            want = member_sha(obj, "sha256", optional=True)
        rec.put_stored = False
        checked = rec.requests <= 1 or not F("b10_name_first_request_only")
        if checked and name_refused(name):
            return self.refuse(rec, "forbidden", "name refused")
        base = name.split("/")[-1]
        if F("b10_put_shell_chars_refused") and any(c in " ;&|$`'\"*?<>" for c in base):
            return self.refuse(rec, "forbidden", "unsafe characters in the name")
        if base.startswith(PARTIAL) and not F("srv_put_partial_prefix_ok"):
            return self.refuse(rec, "forbidden", "reserved name")
        if F("b13_put_limit_kib"):
            too_big = size is not None and size // 1024 > self.cfg.max_file_size // 1024
        else:
            too_big = size is not None and size > self.cfg.max_file_size
        if too_big or (
            F("b10_put_size_limit_inclusive") and size == self.cfg.max_file_size
        ):
            return self.refuse(rec, "too_large", "file above the size limit")
        if F("srv_name_nfc"):
            base = unicodedata.normalize("NFC", base)
        target = self.inbox / (name if F("srv_put_keeps_path") else base)
        if F("srv_put_keeps_path"):
            target.parent.mkdir(parents=True, exist_ok=True)
        if F("b13_exists_casefold") and any(
            e.name.casefold() == base.casefold() for e in target.parent.iterdir()
        ):  # "a.txt and A.TXT must not both exist (think of a Windows share)"
            return self.refuse(rec, "exists", "already exists")
        if os.path.lexists(target) and not F("srv_put_overwrites"):
            return self.refuse(rec, "exists", "already exists")
        if F("b13_put_inflight_name_leak"):
            with self.inflight_lock:
                if base in self.inflight:
                    return self.refuse(rec, "exists", "a put of that name is in progress")
                self.inflight.add(base)
        temp = target.parent / (PARTIAL + secrets.token_hex(12))
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        keep = False
        got = 0
        saved_idle = wire.idle
        try:
            rec.send_obj(b"RSFL", {"accept": True, "name": base})
            if F("b10_put_digest_per_connection"):
                if rec.put_digest is None:
                    rec.put_digest = hashlib.sha256()
                digest = rec.put_digest
            else:
                digest = hashlib.sha256()
            if F("b10_put_no_idle_timeout"):
                wire.idle = None  # type: ignore[assignment]  # blocking reads while receiving
            while True:
                kind, data = rec.recv()
                check_inner(kind, data)
                if kind == b"DATA":
                    # b26 (L3): the overflow check on the frame, not the running total
                    over = (len(data) if F("b26_put_overflow_per_frame") else got + len(data))
                    if size is not None and over > size and not F(
                        "srv_put_overflow_ok"
                    ):
                        raise ProtocolError("integrity_failed", "more data than announced")
                    _write_all(fd, data)
                    digest.update(data)
                    got += len(data)
                elif kind == b"DONE":
                    done = parse_object(data)
                    done_size = member_int(done, "size")
                    done_sha = member_sha(done, "sha256")
                    actual = digest.hexdigest()
                    checks = [done_size == got, done_sha == actual, size in (None, got)]
                    if want is not None and not F("srv_put_ignores_putf_sha"):
                        checks.append(want == actual)
                    if not all(checks):
                        if F("b10_put_mismatch_bad_frame"):
                            raise ProtocolError("bad_frame", "size or SHA-256 mismatch")
                        raise ProtocolError("integrity_failed", "size or SHA-256 mismatch")
                    os.fsync(fd)
                    try:
                        if F("srv_put_overwrites") or F("b15_put_checked_at_putf_only"):
                            # b15 (L6): "the name was checked free at PUTF"
                            os.replace(temp, target)
                        else:
                            os.link(temp, target)
                            os.unlink(temp)
                    except FileExistsError:
                        return self.refuse(rec, "exists", "already exists")
                    keep = True
                    dfd = os.open(target.parent, os.O_RDONLY | os.O_DIRECTORY)
                    try:
                        os.fsync(dfd)
                    finally:
                        os.close(dfd)
                    rec.send_obj(b"DONE", {"size": got, "sha256": actual})
                    rec.put_stored = True
                    if F("b13_put_inflight_name_leak"):
                        with self.inflight_lock:
                            self.inflight.discard(base)
                    return None
                elif kind == b"EROR":
                    if F("b26_put_nonfatal_eror_idle"):
                        # b26 (L6): "a non-fatal EROR cancels the put, as ours do": back to IDLE
                        try:
                            code = member_int(parse_object(data), "code")
                        except ProtocolError:
                            code = CODE["internal"]
                        if code in ERRORS and not ERRORS[code][1]:
                            return None
                    raise Closed("the client gave up")
                elif kind == b"BYE_" and F("b15_bye_during_put_clean"):
                    # L3: "the client wants to stop: drop the put and say goodbye"
                    parse_object(data)
                    rec.send_obj(b"BYE_", {})
                    raise Closed("BYE_ during a put")
                else:
                    raise ProtocolError("unexpected_frame", "expected DATA or DONE")
        finally:
            wire.idle = saved_idle
            os.close(fd)
            if not keep and got > 0 and F("b10_put_finally_links"):
                try:  # "keep what arrived": the partial file is committed anyway
                    os.link(temp, target)
                except OSError:
                    pass
            if not keep and not F("srv_put_partial_kept"):
                try:
                    os.unlink(temp)
                except FileNotFoundError:
                    pass


def finish(sock: socket.socket) -> None:
    """Send our FIN at once, then read away what the peer already sent (briefly), so
    that closing with unread bytes does not reset the connection under our last frame."""
    try:
        sock.shutdown(socket.SHUT_WR)
    except OSError:
        return
    end = time.monotonic() + 0.5
    drained = 0
    try:
        while drained < 8 * 1024 * 1024:
            left = end - time.monotonic()
            if left <= 0:
                break
            sock.settimeout(min(left, 0.1))
            chunk = sock.recv(65536)
            if not chunk:
                break
            drained += len(chunk)
    except OSError:
        pass


def _is_control(ch: str) -> bool:
    o = ord(ch)
    return o < 0x20 or o == 0x7F or 0x80 <= o <= 0x9F


class _Handler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        app: Server = getattr(self.server, "app")  # noqa: B009 - set after construction
        try:
            app.handle(self.request, self.client_address)
        except Exception as exc:
            log(f"connection error: {type(exc).__name__}")


class _TCPServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128
    app: Server


class _SerialServer(socketserver.TCPServer):
    allow_reuse_address = True
    request_queue_size = 128
    app: Server


def serve(args: argparse.Namespace) -> int:
    policy = Policy(
        failures=args.throttle_failures, base=args.throttle_base, cap=args.throttle_cap,
        per_user=args.pending_per_user, per_address=args.pending_per_address,
        lock_after=args.lock_after, table_entries=args.table_entries,
    )  # fmt: skip
    cfg = Config(
        store=Path(args.store), state=Path(args.state_dir), share=Path(args.share),
        inbox=Path(args.inbox), handshake_timeout=args.handshake_timeout,
        idle_timeout=args.idle_timeout, max_file_size=args.max_file_size,
        max_connections=args.max_connections,
        max_pending_per_address=args.max_pending_per_address, frame_limit=args.max_frame,
        policy=policy,
    )  # fmt: skip
    app = Server(cfg)
    host, _, port = args.listen.rpartition(":")
    host = host.strip("[]")
    cls: type[socketserver.TCPServer] = _SerialServer if F("srv_single_thread") else _TCPServer
    inherited = os.environ.get("EKE6_LISTEN_FD")
    if inherited:
        tcp = cls((host, int(port)), _Handler, bind_and_activate=False)
        tcp.socket.close()
        tcp.socket = socket.socket(fileno=int(inherited))
    else:
        if ":" in host:
            cls.address_family = socket.AF_INET6
        tcp = cls((host, int(port)), _Handler)
    tcp.app = app  # type: ignore[attr-defined]
    bound = tcp.socket.getsockname()
    shown = f"[{bound[0]}]" if ":" in bound[0] else bound[0]

    def restart(_signum: int, _frame: object) -> None:
        fd = tcp.socket.fileno()
        os.set_inheritable(fd, True)
        env = dict(os.environ, EKE6_LISTEN_FD=str(fd))
        sys.stdout.flush()
        sys.stderr.flush()
        os.execve(  # noqa: S606 - re-executes itself, same argv
            sys.executable, [sys.executable, "-m", __spec__.name, *sys.argv[1:]], env
        )

    def stop(_signum: int, _frame: object) -> NoReturn:
        raise SystemExit(0)

    signal.signal(signal.SIGHUP, restart)
    signal.signal(signal.SIGTERM, stop)
    log(
        f"limits: handshake {cfg.handshake_timeout}s idle {cfg.idle_timeout}s max-file "
        f"{cfg.max_file_size} connections {cfg.max_connections} per-address "
        f"{cfg.max_pending_per_address} frame {cfg.frame_limit} throttle {policy}"
    )
    print(f"listening on {shown}:{bound[1]}", flush=True)
    try:
        tcp.serve_forever(poll_interval=0.2)
    finally:
        tcp.server_close()
    return 0


# --------------------------------------------------------------------------- client


class ClientFailure(Exception):
    pass


class _BusyFailure(ClientFailure):
    """`EROR busy` during the handshake (b28_cli_busy_retry_same_eke1 retries on it)."""

    def __init__(self, message: str, retry_after: object) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def read_password_file(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ClientFailure(f"cannot read the password file: {exc.strerror}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ClientFailure("the password file is not UTF-8") from None
    if F("cli_password_stripped"):
        text = text.strip()
    elif text.endswith("\r\n"):
        text = text[:-2]
    elif text.endswith("\n"):
        text = text[:-1]
    if "\n" in text or "\r" in text:
        raise ClientFailure("the password file holds more than one line")
    if not text:
        raise ClientFailure("the password file is empty")
    return text


@dataclass
class ClientOptions:
    host: str
    port: int
    user: str
    password: str
    connect_timeout: float
    handshake_timeout: float
    idle_timeout: float


class Client:
    def __init__(self, opts: ClientOptions) -> None:
        self.opts = opts
        self.sock: socket.socket | None = None
        self.wire: Wire | None = None
        self.rec: Records | None = None

    def connect(self) -> None:
        o = self.opts
        try:
            self.sock = socket.create_connection((o.host, o.port), timeout=o.connect_timeout)
        except OSError as exc:
            raise ClientFailure(f"cannot connect to {o.host}:{o.port}: {exc}") from None
        self.wire = Wire(self.sock, o.idle_timeout)

    def close(self) -> None:
        if self.sock is not None:
            try:
                self.sock.close()
            except OSError:
                pass
            self.sock = None

    def fatal(self, name: str, message: str) -> NoReturn:
        """Send EROR `name` (sealed when records exist), close, fail."""
        body = {"code": CODE[name], "name": name, "message": message[:200]}
        try:
            if self.rec is not None:
                self.rec.send_obj(b"EROR", body)
            elif self.wire is not None:
                self.wire.send(frame(b"EROR", encode_object(body)))
        except (Closed, OSError):
            pass
        self.close()
        raise ClientFailure(f"{name}: {message}")

    def _handshake_frame(self) -> tuple[bytes, bytes]:
        assert self.wire is not None
        try:
            kind, payload = self.wire.read_frame(DEFAULT_FRAME_LIMIT)
            if kind in APP_TYPES - {b"EROR"} or kind not in APP_TYPES | EKE_TYPES:
                raise ProtocolError("unexpected_frame", f"{kind!r} during the handshake")
            check_inner(kind, payload)
        except ProtocolError as exc:
            self.fatal(exc.name, exc.message)
        except TimedOut:
            self.close()
            raise ClientFailure("timed out before the handshake finished") from None
        except Closed:
            self.close()
            raise ClientFailure("the server closed the connection during the handshake") from None
        if kind == b"EROR":
            self._peer_error(payload, during_handshake=True)
        return kind, payload

    def _peer_error(self, payload: bytes, during_handshake: bool = False) -> NoReturn:
        self.close()
        try:
            obj = parse_object(payload)
            code = member_int(obj, "code")
        except ProtocolError:
            raise ClientFailure("the server sent a malformed error") from None
        name = ERRORS.get(code, ("internal", True))[0]
        if name == "busy":
            raise _BusyFailure("server busy: try later", obj.get("retry_after"))
        if name == "throttled":
            retry = obj.get("retry_after")
            raise ClientFailure(f"throttled: too many failed logins, retry after {retry} s")
        if name == "auth_failed" and during_handshake:
            raise ClientFailure("authentication failed: wrong password or unknown user")
        if name == "timeout" and during_handshake:
            raise ClientFailure("timed out before the handshake finished")
        raise ClientFailure(f"the server answered {name}")

    def handshake(self) -> None:
        o = self.opts
        self.connect()
        assert self.wire is not None
        self.wire.deadline = time.monotonic() + o.handshake_timeout
        if F("b15_cli_handshake_blocking"):  # L1: "block until the server answers"
            self.wire.deadline = None
            self.wire.idle = None  # type: ignore[assignment]
        user = o.user.encode("utf-8")
        pw = scrypt_pw(user, o.password)
        x = fresh_exponent()
        a = feistel_encrypt(pw, i2osp(hide(pow(GEN, x, PRIME))))
        eke1 = frame(b"EKE1", encode_object({"user": o.user, "a": a.hex()}))
        for attempt in range(3):  # b28_cli_busy_retry_same_eke1 only: one pass otherwise
            if attempt:  # b28 (L4): "busy: after retry_after, again, with the EKE1 built"
                self.connect()
                assert self.wire is not None
                self.wire.deadline = time.monotonic() + o.handshake_timeout
            try:
                self.wire.send(eke1)
            except Closed:
                self.close()
                raise ClientFailure("the server closed the connection") from None
            try:
                kind, payload = self._handshake_frame()
            except _BusyFailure as exc:
                wait = exc.retry_after
                if (not F("b28_cli_busy_retry_same_eke1") or attempt == 2
                        or not isinstance(wait, int) or not 1 <= wait <= 10):  # fmt: skip
                    raise
                time.sleep(wait)
                continue
            break
        if kind != b"EKE2":
            self.fatal("unexpected_frame", "expected EKE2")
        try:
            obj = parse_object(payload)
            b = member_hex(obj, "b", 768)
            c2 = member_hex(obj, "c", 96)
        except ProtocolError as exc:
            self.fatal(exc.name, exc.message)
        yp = int.from_bytes(feistel_decrypt(pw, b), "big")
        big_y = recover(yp)
        th = transcript(user, a, b)
        keys: Keys | None = None
        ns = b""
        if big_y is not None:
            z = pow(big_y, x, PRIME)
            if z not in (0, 1, PRIME - 1):
                z_bytes = i2osp(z)
                if F("b28_cli_z_minimal_bytes"):  # b28 (L1): int.to_bytes of its own length
                    z_bytes = z.to_bytes((z.bit_length() + 7) // 8, "big")
                keys = derive(th, z_bytes)
                try:
                    ns = AESGCM(keys.kcs).decrypt(nonce_n(2), c2, b"EKE2" + th)
                except InvalidTag:
                    keys = None
        if keys is None or len(ns) != 32:
            self.fatal_auth()
        assert keys is not None
        na = secrets.token_bytes(32)
        c3 = AESGCM(keys.kcc).encrypt(nonce_n(3), na + ns, b"EKE3" + th)
        try:
            self.wire.send(frame(b"EKE3", encode_object({"c": c3.hex()})))
        except Closed:
            self.close()
            raise ClientFailure("the server closed the connection") from None
        kind, payload = self._handshake_frame()
        if kind != b"EKE4":
            self.fatal("unexpected_frame", "expected EKE4")
        try:
            c4 = member_hex(parse_object(payload), "c", 96)
        except ProtocolError as exc:
            self.fatal(exc.name, exc.message)
        try:
            got = AESGCM(keys.kcs).decrypt(nonce_n(4), c4, b"EKE4" + th)
        except InvalidTag:
            got = b""
        if not hmac.compare_digest(got, na) and not F("cli_no_c4_check"):
            self.fatal_impostor()
        self.wire.deadline = None
        self.wire.idle = o.idle_timeout
        # b15 (L5): "the server is authenticated now": its records' lengths are not limited
        limit = 2**32 if F("b15_cli_record_limit_unchecked") else DEFAULT_FRAME_LIMIT
        self.rec = Records(self.wire, keys.key_c2s, keys.iv_c2s, keys.key_s2c, keys.iv_s2c,
                           limit)  # fmt: skip
        self.rec.client = True

    def fatal_auth(self) -> NoReturn:
        try:
            self.fatal("auth_failed", "authentication failed")
        except ClientFailure:
            raise ClientFailure("authentication failed: wrong password or unknown user") from None

    def fatal_impostor(self) -> NoReturn:
        try:
            self.fatal("auth_failed", "server confirmation failed")
        except ClientFailure:
            raise ClientFailure(
                "the server failed to prove it knows the password (possible impostor)"
            ) from None

    def recv(self) -> tuple[bytes, bytes]:
        """One application frame; EROR from the server raises ClientFailure."""
        assert self.rec is not None
        try:
            kind, payload = self.rec.recv()
            if kind not in APP_TYPES:
                raise ProtocolError("unexpected_frame", "unknown frame type")
            check_inner(kind, payload)
        except ProtocolError as exc:
            self.fatal(exc.name, exc.message)
        except TimedOut:
            self.fatal("timeout", "the server sent nothing in time")
        except Closed as exc:
            self.close()
            raise ClientFailure(f"connection lost: {exc}") from None
        if kind == b"EROR":
            if F("b10_cli_unknown_code_ignored"):
                try:
                    code = parse_object(payload).get("code")
                except ProtocolError:
                    code = None
                if isinstance(code, int) and code not in ERRORS:
                    return self.recv()  # a code from a newer version: skip it
            if F("b26_cli_malformed_eror_skipped"):
                # b26 (L6): "an EROR we cannot read is line noise: keep receiving"
                try:
                    member_int(parse_object(payload), "code")
                except ProtocolError:
                    return self.recv()
            self._peer_error(payload)
        return kind, payload

    def bye(self) -> None:
        if self.rec is not None:
            try:
                self.rec.send_obj(b"BYE_", {})
            except Closed:
                pass
        self.close()


_TEMPS: list[Path] = []


def _cleanup_and_exit(signum: int, _frame: object) -> NoReturn:
    for path in _TEMPS:
        try:
            path.unlink()
        except OSError:
            pass
    raise SystemExit(128 + signum)


def sweep_stale(directory: Path, idle: float) -> None:
    now = time.time()
    try:
        entries = list(directory.iterdir())
    except OSError:
        return
    for entry in entries:
        if entry.name.startswith(PARTIAL):
            try:
                if now - entry.stat().st_mtime > idle:
                    entry.unlink()
            except OSError:
                pass


def client_get(args: argparse.Namespace, opts: ClientOptions) -> None:
    out = Path(args.out)
    directory = out.parent if str(out.parent) else Path(".")
    if os.path.lexists(out) and not args.force:
        raise ClientFailure(f"{out} exists (use --force to replace it)")
    sweep_stale(directory, opts.idle_timeout)
    client = Client(opts)
    client.handshake()
    assert client.rec is not None
    try:
        client.rec.send_obj(b"RQFL", {"name": args.name})
    except Closed:
        client.close()
        raise ClientFailure("connection lost") from None
    kind, payload = client.recv()
    if kind != b"RSFL":
        client.fatal("unexpected_frame", "expected RSFL")
    try:
        head = parse_object(payload)
        shown = member_str(head, "name")
        size: int | None
        raw_size = head.get("size")
        if F("b13_cli_rsfl_size_absent") and raw_size is None:
            size = None  # the server did not say: take what comes until DONE
        elif F("b13_cli_size_float_ok") and isinstance(raw_size, (int, float)):
            size = raw_size if raw_size >= 0 else member_int(head, "size")  # type: ignore[assignment]
        else:
            size = member_int(head, "size")
        announced = member_sha(head, "sha256", optional=True)
    except ProtocolError as exc:
        client.fatal(exc.name, exc.message)
    if shown != args.name and not F("cli_stores_under_rsfl_name"):
        client.fatal("bad_frame", "the server answered for another name")
    if F("cli_stores_under_rsfl_name"):
        out = directory / shown
    if F("cli_writes_final_directly"):
        temp = out
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    else:
        temp = directory / (PARTIAL + secrets.token_hex(12))
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    _TEMPS.append(temp)
    done_ok = False
    try:
        digest = hashlib.sha256()
        got = 0
        while True:
            kind, payload = client.recv()
            if kind == b"DATA":
                over = size is not None and got + len(payload) > size
                if over and not F("b28_cli_overflow_at_done"):  # b28: judged by DONE's checks
                    client.fatal("integrity_failed", "more data than announced")
                if F("b14_cli_short_write_ignored"):
                    os.write(fd, payload)  # its count unread: a short write goes unseen
                else:
                    _write_all(fd, payload)
                digest.update(payload)
                got += len(payload)
            elif kind == b"DONE":
                try:
                    done = parse_object(payload)
                    done_size = member_int(done, "size")
                    done_sha = member_sha(done, "sha256")
                except ProtocolError as exc:
                    if not F("b13_cli_done_parse_open"):
                        client.fatal(exc.name, exc.message)
                    # "a DONE we cannot read: the bytes already match RSFL.size"
                    done_size, done_sha = got, digest.hexdigest()
                actual = digest.hexdigest()
                if F("b15_cli_sizes_either"):  # L4: "either announced size will do"
                    checks = [size in (None, got) or done_size == got]
                else:
                    checks = [size in (None, got), done_size == got]
                if F("b13_cli_done_sha_prefix"):
                    checks.append(hmac.compare_digest(str(done_sha)[:32], actual[:32]))
                elif not F("cli_done_sha_unchecked"):
                    checks.append(done_sha == actual)
                if announced is not None and not F("b10_cli_rsfl_sha_unchecked"):
                    checks.append(announced == actual)
                if not all(checks):
                    client.fatal("integrity_failed", "size or SHA-256 mismatch")
                break
            else:
                client.fatal("unexpected_frame", "expected DATA or DONE")
        os.fsync(fd)
        if temp != out:
            try:
                if args.force or F("b15_cli_out_checked_at_start_only"):
                    os.replace(temp, out)  # b15 (L6): "checked free before connecting"
                else:
                    os.link(temp, out)
                    os.unlink(temp)
            except FileExistsError:
                raise ClientFailure(f"{out} exists (use --force to replace it)") from None
        done_ok = True
        dfd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    finally:
        os.close(fd)
        if not done_ok and not (F("cli_truncation_kept") and temp != out):
            try:
                temp.unlink()
            except FileNotFoundError:
                pass
        elif not done_ok and F("cli_truncation_kept"):
            try:
                os.replace(temp, out)
            except OSError:
                pass
    client.bye()
    print(f"received {args.name} ({got} bytes, sha256 {digest.hexdigest()})", file=sys.stderr)


def _write_all(fd: int, data: bytes) -> None:
    """Every byte, or the OSError of the write that could not go on (EFBIG, ENOSPC)."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def client_put(args: argparse.Namespace, opts: ClientOptions) -> None:
    path = Path(args.file)
    name = args.as_name or path.name
    try:
        with open(path, "rb") as f:
            content = f.read()
    except OSError as exc:
        raise ClientFailure(f"cannot read {path}: {exc.strerror}") from None
    digest = hashlib.sha256(content).hexdigest()
    client = Client(opts)
    client.handshake()
    assert client.rec is not None
    try:
        client.rec.send_obj(b"PUTF", {"name": name, "size": len(content), "sha256": digest})
    except Closed:
        client.close()
        raise ClientFailure("connection lost") from None
    early = False
    if F("b26_cli_put_continue_timer") and client.sock is not None and not client.rec.pending:
        # b26 (L4): Expect: 100-continue: no answer within a second, the data goes anyway
        ready, _, _ = select.select([client.sock], [], [], 1.0)
        if not ready and not client.wire.buf:  # type: ignore[union-attr]
            early = True
            try:
                for start in range(0, len(content), CHUNK):
                    client.rec.send(b"DATA", content[start : start + CHUNK])
                client.rec.send_obj(b"DONE", {"size": len(content), "sha256": digest})
            except Closed:
                client.close()
                raise ClientFailure("connection lost during the put") from None
    try:
        kind, payload = client.recv()
    except ClientFailure:
        raise
    if kind != b"RSFL":
        client.fatal("unexpected_frame", "expected RSFL")
    try:
        answer = parse_object(payload)
    except ProtocolError as exc:
        client.fatal(exc.name, exc.message)
    accepted = answer.get("accept")
    if F("cli_accept_truthy"):
        accepted = bool(accepted) or "size" in answer
    if accepted is not True:
        client.fatal("bad_frame", "the put was not accepted")
    try:
        for start in range(0, len(content) if not early else 0, CHUNK):
            client.rec.send(b"DATA", content[start : start + CHUNK])
        if not early:
            client.rec.send_obj(b"DONE", {"size": len(content), "sha256": digest})
    except Closed:
        client.close()
        if F("cli_put_close_is_success"):
            return
        raise ClientFailure("connection lost during the put") from None
    try:
        kind, payload = client.recv()
    except ClientFailure:
        if F("cli_put_close_is_success"):
            return
        raise
    if kind != b"DONE":
        if F("b15_cli_put_not_error_is_success"):  # L3: "no EROR came: it went through"
            client.bye()
            print(f"stored {name} ({len(content)} bytes)", file=sys.stderr)
            return
        client.fatal("unexpected_frame", "expected DONE")
    try:
        done = parse_object(payload)
        if F("b28_cli_put_receipt_strict") and set(done) - {"size", "sha256"}:
            # b28 (L5): the receipt checked against its exact schema (the get's is not)
            raise ProtocolError("bad_frame", "unexpected member in the put's DONE")
        if F("b28_cli_receipt_null_member_refused") and None in done.values():
            raise ProtocolError("bad_frame", "a null member in the put's DONE")
        ok = member_int(done, "size") == len(content) and member_sha(done, "sha256") == digest
    except ProtocolError as exc:
        client.fatal(exc.name, exc.message)
    if not ok:
        client.fatal("integrity_failed", "the server's DONE does not match")
    client.bye()
    print(f"stored {name} ({len(content)} bytes)", file=sys.stderr)


def run_client(args: argparse.Namespace) -> int:
    if not F("cli_temp_kept_on_signal"):
        signal.signal(signal.SIGTERM, _cleanup_and_exit)
        signal.signal(signal.SIGINT, _cleanup_and_exit)
    try:
        host, _, port = args.address.rpartition(":")
        password = read_password_file(Path(args.password_file))
        opts = ClientOptions(
            host=host.strip("[]"), port=int(port), user=args.user, password=password,
            connect_timeout=args.connect_timeout, handshake_timeout=args.handshake_timeout,
            idle_timeout=args.idle_timeout,
        )  # fmt: skip
        if args.command == "get":
            client_get(args, opts)
        else:
            client_put(args, opts)
    except ClientFailure as exc:
        print(f"eke6: {exc}", file=sys.stderr)
        return 1
    return 0


# --------------------------------------------------------------------------- admin


def user_add(args: argparse.Namespace) -> int:
    raw = sys.stdin.buffer.read()
    try:
        password = raw.decode("utf-8")
    except UnicodeDecodeError:
        print("eke6: the password is not UTF-8", file=sys.stderr)
        return 1
    if password.endswith("\r\n"):
        password = password[:-2]
    elif password.endswith("\n"):
        password = password[:-1]
    user = args.name
    raw_user = user.encode("utf-8")
    if not password or not 1 <= len(raw_user) <= 64 or any(_is_control(c) for c in user):
        print("eke6: invalid user name or empty password", file=sys.stderr)
        return 1
    db = open_store(Path(args.store))
    pw = scrypt_pw(raw_user, password)
    db.execute("INSERT OR REPLACE INTO accounts VALUES (?, ?)", (user, pw))
    db.commit()
    os.chmod(args.store, 0o600)
    return 0


def user_unlock(args: argparse.Namespace) -> int:
    policy = Policy(5, 1.0, 300.0, 4, 8, 100, 100000)
    Throttle(Path(args.state_dir) / "throttle.sqlite", policy).unlock(
        args.name.encode("utf-8").hex()
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="eke6")
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("serve")
    s.add_argument("--listen", default="127.0.0.1:0")
    s.add_argument("--store", required=True)
    s.add_argument("--state-dir", required=True)
    s.add_argument("--share", required=True)
    s.add_argument("--inbox", required=True)
    s.add_argument("--handshake-timeout", type=float, default=10.0)
    s.add_argument("--idle-timeout", type=float, default=60.0)
    s.add_argument("--max-file-size", type=int, default=4 * 1024**3)
    s.add_argument("--max-connections", type=int, default=64)
    s.add_argument("--max-pending-per-address", type=int, default=8)
    s.add_argument("--max-frame", type=int, default=DEFAULT_FRAME_LIMIT)
    s.add_argument("--throttle-failures", type=int, default=5)
    s.add_argument("--throttle-base", type=float, default=1.0)
    s.add_argument("--throttle-cap", type=float, default=300.0)
    s.add_argument("--pending-per-user", type=int, default=4)
    s.add_argument("--pending-per-address", type=int, default=8)
    s.add_argument("--lock-after", type=int, default=100)
    s.add_argument("--table-entries", type=int, default=100000)
    u = sub.add_parser("user")
    usub = u.add_subparsers(dest="action", required=True)
    ua = usub.add_parser("add")
    ua.add_argument("name")
    ua.add_argument("--store", required=True)
    ua.add_argument("--password-stdin", action="store_true", required=True)
    uu = usub.add_parser("unlock")
    uu.add_argument("name")
    uu.add_argument("--state-dir", required=True)
    for cmd in ("get", "put"):
        c = sub.add_parser(cmd)
        c.add_argument("address")
        if cmd == "get":
            c.add_argument("name")
            c.add_argument("-o", "--out", required=True)
            c.add_argument("--force", action="store_true")
        else:
            c.add_argument("file")
            c.add_argument("--as", dest="as_name", default=None)
        c.add_argument("--user", required=True)
        c.add_argument("--password-file", required=True)
        c.add_argument("--connect-timeout", type=float, default=10.0)
        c.add_argument("--handshake-timeout", type=float, default=10.0)
        c.add_argument("--idle-timeout", type=float, default=60.0)
    args = parser.parse_args(argv)
    if args.command == "serve":
        return serve(args)
    if args.command == "user":
        return user_add(args) if args.action == "add" else user_unlock(args)
    return run_client(args)


# --------------------------------------------------------------------------- fault table


def _fault(
    requirement: str, test_file: str, description: str, client: bool = False,
    thorough: bool = False,
) -> Fault:  # fmt: skip
    return Fault(requirement, test_file, description, client, thorough)


FAULTS.update(
    {
        # threads, SQLite, blocking I/O
        "srv_counts_per_thread": _fault(
            "EKE-THR-1", "test_eke_throttling.py",
            "failure counts kept in a threading.local: every connection starts from zero",
        ),
        "srv_pending_check_then_act": _fault(
            "EKE-THR-7",
            "test_eke_throttling.py",
            "check-then-act on shared state: the pending cap is checked under the lock, the "
            "slot taken later without it (after EKE2), so a burst passes the check at once",
        ),
        "srv_failure_after_reply": _fault(
            "EKE-THR-1", "test_eke_throttling.py",
            "the failure is written after EROR auth_failed and the close (a slow audit "
            "write first): the next EKE1 arrives before the count",
        ),
        "srv_lock_not_committed": _fault(
            "EKE-THR-8", "test_eke_restart.py",
            "the transaction of a failure that sets a lock is not committed: lost at restart",
        ),
        "srv_store_nocase": _fault(
            "EKE-PW-4", "test_eke_handshake.py",
            "the account lookup says COLLATE NOCASE: `ALICE` logs in as alice",
        ),
        "srv_tables_shared": _fault(
            "EKE-THR-9", "test_eke_tables.py",
            "user names and addresses share one bounded table; eviction takes the oldest "
            "of either kind, locks included",
        ),
        "srv_send_no_timeout": _fault(
            "LIM-10", "test_limits.py",
            "replies go out through a blocking sendall with no timeout",
        ),
        "srv_handshake_deadline_per_recv": _fault(
            "LIM-1", "test_eke_handshake_stalls.py",
            "the handshake timeout is a socket timeout reset by every recv: trickling bytes "
            "keep a handshake alive",
        ),
        "srv_single_thread": _fault(
            "LIM-5", "test_limits.py",
            "socketserver.TCPServer instead of ThreadingTCPServer: one connection at a time",
        ),
        "srv_per_address_off_by_one": _fault(
            "LIM-8", "test_lockout.py",
            "the per-address cap of unfinished handshakes refuses at cap - 1",
        ),
        "srv_no_eviction": _fault(
            "LIM-9", "test_lockout.py",
            "a full server refuses new connections even when some are still handshaking",
        ),
        # frames and JSON
        "srv_frame_limit_late": _fault(
            "FRM-3", "test_framing.py",
            "the frame limit is checked after the payload has been read",
        ),
        "srv_json_dup_keys": _fault(
            "FRM-9", "test_framing.py", "duplicate JSON keys: the last one wins",
        ),
        "srv_fatal_lingers": _fault(
            "ERR-3", "test_framing.py",
            "after a fatal EROR the server waits for the client to close (idle timeout)",
        ),
        # handshake
        "srv_unknown_user_early": _fault(
            "EKE-HS-3", "test_eke_handshake.py", "an unknown user is refused at EKE1",
        ),
        "srv_no_ns_check": _fault(
            "EKE-HS-6", "test_eke_handshake.py", "the Ns half of EKE3's plaintext is not compared",
        ),
        "srv_xprime_unchecked": _fault(
            "EKE-X-3", "test_eke_handshake.py",
            "X' of 0, 1, p-1 or >= p is not rejected (reduced mod p), nor Z of 0, 1, p-1",
        ),
        # records
        "srv_record_seq_stuck": _fault(
            "EKE-REC-2", "test_eke_records.py",
            "the send sequence number is not advanced for DATA records (nonce reuse)",
        ),
        "srv_plaintext_after_eke4": _fault(
            "EKE-REC-5", "test_eke_records.py",
            "a plaintext application frame after EKE4 is served",
        ),
        "srv_record_skip_tolerant": _fault(
            "EKE-REC-4", "test_eke_records.py",
            "a record that fails is retried with the next sequence number (a drop is "
            "tolerated)",
        ),
        "srv_record_many_frames": _fault(
            "EKE-REC-1", "test_eke_records.py", "a record holding two frames: both are served",
        ),
        # throttling
        "srv_backoff_linear": _fault(
            "EKE-THR-6", "test_eke_throttling.py",
            "the backoff grows linearly (base, 2 base, 3 base ...), not doubling",
        ),
        "srv_success_resets_address": _fault(
            "EKE-THR-6", "test_eke_throttling.py", "a success resets the address's count too",
        ),
        "srv_abandoned_not_counted": _fault(
            "EKE-THR-5", "test_eke_throttling.py",
            "a handshake abandoned after EKE2 is not counted as a failure",
        ),
        "srv_no_hard_lock": _fault(
            "EKE-THR-11", "test_eke_throttling.py", "the hard lock is stored but never checked",
        ),
        # names, get, put
        "srv_name_c1_ok": _fault(
            "APP-NAME-8", "test_app_names_controls.py", "C1 controls in a name are allowed",
        ),
        "srv_name_total_255": _fault(
            "APP-NAME-7", "test_app_names.py test_app_names_controls.py",
            "a whole name is limited to 255 bytes (the component limit)",
        ),
        "srv_name_nfc": _fault(
            "APP-NAME-3", "test_app_names.py test_app_put.py", "names are NFC-normalised",
        ),
        "srv_name_prefix_confinement": _fault(
            "APP-NAME-4", "test_app_names.py",
            "confinement by realpath and a string-prefix check",
        ),
        "srv_rsfl_basename": _fault(
            "APP-GET-7", "test_app_get.py", "RSFL names the basename of the request",
        ),
        "srv_put_partial_prefix_ok": _fault(
            "APP-NAME-9", "test_app_reserved_names.py", "a put named .sft-partial-* is accepted",
        ),
        "srv_put_keeps_path": _fault(
            "APP-PUT-2", "test_app_put.py", "a put is stored under its whole relative path",
        ),
        "srv_put_overwrites": _fault(
            "APP-PUT-3", "test_app_put.py", "a put replaces an existing file (os.replace)",
        ),
        "srv_put_overflow_ok": _fault(
            "APP-PUT-6", "test_app_put.py", "DATA beyond the announced size is written",
        ),
        "srv_put_ignores_putf_sha": _fault(
            "APP-PUT-5", "test_app_put.py", "PUTF.sha256 is not compared",
        ),
        "srv_put_partial_kept": _fault(
            "APP-STORE-3", "test_app_put.py", "a failed put's temporary file is left behind",
        ),
        # the client
        "cli_password_stripped": _fault(
            "PWF-1", "test_eke_client_password_file.py",
            "the password file's content is strip()ped", client=True,
        ),
        "cli_no_c4_check": _fault(
            "EKE-HS-7", "test_eke_client.py", "EKE4 is not checked", client=True,
        ),
        "cli_stores_under_rsfl_name": _fault(
            "APP-GET-7", "test_eke_client_transfer.py", "the file is stored under RSFL.name",
            client=True,
        ),
        "cli_writes_final_directly": _fault(
            "APP-GET-6", "test_eke_client_transfer.py",
            "the get is written straight into the output file", client=True,
        ),
        "cli_done_sha_unchecked": _fault(
            "APP-GET-3", "test_eke_client_transfer.py", "DONE.sha256 is not compared",
            client=True,
        ),
        "cli_truncation_kept": _fault(
            "APP-GET-5", "test_eke_client_transfer.py",
            "a transfer cut before DONE is kept under the final name", client=True,
        ),
        "cli_temp_kept_on_signal": _fault(
            "APP-STORE-3", "test_eke_client_transfer.py",
            "no SIGTERM/SIGINT handler: a signal kills the client, its temporary file "
            "stays", client=True,
        ),
        "cli_accept_truthy": _fault(
            "APP-PUT-9", "test_client_put.py", "any truthy `accept` (or a get's RSFL) accepts",
            client=True,
        ),
        "cli_put_close_is_success": _fault(
            "APP-PUT-10", "test_client_put.py", "a close instead of DONE is reported success",
            client=True,
        ),
    }
)  # fmt: skip


# Session 10, helper I5 (blind, written from docs/SPEC.md and this module only). Lenses:
# L1 misreading, L2 lazy feature, L3 state across sessions, L4 over-eager hardening,
# L5 layer seams.
FAULTS.update(
    {
        "b10_put_size_limit_inclusive": _fault(  # L1
            "APP-PUT-7", "test_app_put.py test_eke_later_requests.py test_framing.py",
            "`size >= max_file_size` is too_large: a put of exactly the limit is refused",
        ),
        "b10_control_limit_inclusive": _fault(  # L1
            "FRM-8",
            "test_framing.py test_client_lies.py test_eke_handshake.py test_vectors.py",
            "a control payload of exactly 65 536 bytes is refused frame_too_large",
        ),
        "b10_bidi_isolates_missed": _fault(  # L1
            "APP-NAME-8", "test_app_names_controls.py test_eke_later_requests.py",
            "only the embeddings/overrides U+202A-202E are refused, not the isolates "
            "U+2066-2069",
        ),
        "b10_retry_after_floor": _fault(  # L1
            "EKE-THR-6", "test_eke_throttling.py test_eke_restart_locks.py",
            "retry_after is int(time left): rounded down, not up",
        ),
        "b10_name_c1_on_bytes": _fault(  # L1/L4
            "APP-NAME-8", "test_app_names_controls.py test_eke_later_requests.py",
            "C1 controls looked for in the UTF-8 bytes: `\u20ac` (0xE2 0x82 0xAC) refused",
        ),
        "b10_name_first_request_only": _fault(  # L2
            "APP-NAME-2", "test_app_names.py test_eke_later_requests.py test_framing.py",
            "names are checked on a connection's first request only",
        ),
        "b10_put_no_idle_timeout": _fault(  # L2
            "LIM-2", "test_limits.py test_limits_slot_release.py",
            "the idle timeout is armed between requests only, not while receiving a put",
        ),
        "b10_busy_no_retry_after": _fault(  # L2
            "EKE-THR-7",
            "test_eke_throttling.py test_eke_second_use.py test_eke_client.py "
            "test_eke_client_busy_retries.py",
            "EROR busy for the pending cap carries no retry_after",
        ),
        "b10_cli_rsfl_sha_unchecked": _fault(  # L2
            "APP-GET-3", "test_eke_client_transfer.py test_client_lies.py",
            "the client ignores RSFL.sha256 (only DONE's is compared)", client=True,
        ),
        "b10_put_digest_per_connection": _fault(  # L3
            "APP-2",
            "test_app_put_sequence.py test_eke_later_requests.py test_app_refusals.py "
            "test_interop_transfer_state.py test_eke_records.py",
            "the put's SHA-256 object lives on the connection: a second put hashes on top "
            "of the first",
        ),
        "b10_pending_leak_on_success": _fault(  # L3
            "EKE-THR-7",
            "test_eke_throttling.py test_eke_second_use.py test_eke_client.py "
            "test_eke_client_busy_retries.py",
            "a successful handshake does not release its pending slot: after P logins of a "
            "user every EKE1 of it is busy",
        ),
        "b10_slot_leak_on_failed_handshake": _fault(  # L3
            "LIM-4",
            "test_limits_slot_release.py test_limits.py test_limits_slots.py "
            "test_eke_second_use.py test_lockout.py",
            "a connection whose handshake fails keeps its connection slot",
        ),
        "b10_put_shell_chars_refused": _fault(  # L4
            "APP-PUT-2", "test_app_put_names.py test_app_put.py test_app_names.py",
            "a put name with a space or shell metacharacter is refused forbidden",
        ),
        "b10_close_after_not_found": _fault(  # L4
            "ERR-3",
            "test_app_refusals.py test_app_get.py test_app_names.py test_eke_later_requests.py",
            "after EROR not_found the server closes the connection",
        ),
        "b10_unknown_member_refused": _fault(  # L4
            "FRM-10", "test_framing.py test_client_lies.py",
            "an RQFL with a member beside `name` is bad_frame",
        ),
        "b10_traceback_in_message": _fault(  # L5
            "ERR-6", "test_error_disclosure.py test_framing.py test_eke_handshake.py",
            "bad_frame after the handshake carries traceback.format_exc() as its message",
        ),
        "b10_put_finally_links": _fault(  # L5
            "APP-STORE-3",
            "test_app_put.py test_app_integrity.py test_limits.py test_eke_restart_state.py",
            "a failed put's partial data is linked under the final name in `finally`",
        ),
        "b10_put_mismatch_bad_frame": _fault(  # L5
            "APP-PUT-5", "test_app_put.py test_app_put_sequence.py test_framing.py",
            "a size/SHA-256 mismatch at DONE is answered bad_frame, not integrity_failed",
        ),
        "b10_record_fail_clear_eror": _fault(  # L5
            "EKE-REC-4", "test_eke_records.py",
            "a record that fails to authenticate is answered with a plaintext EROR "
            "bad_frame before the close",
        ),
        "b10_cli_unknown_code_ignored": _fault(  # L5
            "ERR-4",
            "test_client_fatal_errors.py test_eke_client_transfer.py",
            "the client skips an EROR whose code it does not know and reads on",
            client=True,
        ),
        # Session 13, helper I11 (blind; lens L1-L6 of lenses13.md in the comment).
        "b13_putf_sha_bad_ignored": _fault(  # L1
            "FRM-9",
            "test_app_control_bytes.py test_app_integrity.py test_app_json_nulls.py "
            "test_app_schema_refusal_close.py test_framing.py test_interop_json_grammar.py "
            "test_eke_handshake.py",
            "a PUTF whose optional sha256 is malformed (null, uppercase, short) is taken as one "
            "without sha256 and accepted",
        ),
        "b13_cli_done_parse_open": _fault(  # L1
            "FRM-9",
            "test_client_json_nulls.py test_client_lies.py test_client_put_wire.py "
            "test_eke_client.py test_eke_client_answers.py test_eke_client_fallbacks.py "
            "test_eke_client_transfer.py",
            "the get client takes a DONE it cannot parse (sha256 missing, null, wrong type) as "
            "matching and keeps the file",
            client=True,
        ),
        "b13_surrogate_name_unchecked": _fault(  # L1
            "FRM-15",
            "test_framing.py",
            "a name that cannot be UTF-8 encoded (lone surrogate) is judged on surrogatepass "
            "bytes and passes name_refused: a get answers not_found, a put is accepted",
        ),
        "b13_put_size_absent": _fault(  # L2
            "FRM-9",
            "test_app_control_bytes.py test_app_integrity.py test_app_json_nulls.py "
            "test_app_schema_refusal_close.py test_framing.py test_interop_json_grammar.py "
            "test_eke_handshake.py",
            "a PUTF without `size` is accepted as a put of unlimited size (no too_large, no "
            "overflow check)",
        ),
        "b13_cli_rsfl_size_absent": _fault(  # L2
            "FRM-9",
            "test_client_json_nulls.py test_client_lies.py test_client_put_wire.py "
            "test_eke_client.py test_eke_client_answers.py test_eke_client_fallbacks.py "
            "test_eke_client_transfer.py",
            "the get client accepts an RSFL without `size` and takes whatever DATA comes until "
            "DONE",
            client=True,
        ),
        "b13_busy_retry_zero": _fault(  # L2
            "EKE-THR-7",
            "test_eke_client.py test_eke_client_busy_retries.py test_eke_login_bookkeeping.py "
            "test_eke_second_use.py test_eke_throttling.py",
            "`EROR busy` above the pending-login caps carries retry_after 0",
        ),
        "b13_abandoned_pending_leak": _fault(  # L3
            "EKE-THR-7",
            "test_eke_client.py test_eke_client_busy_retries.py test_eke_login_bookkeeping.py "
            "test_eke_second_use.py test_eke_throttling.py",
            "a handshake abandoned after EKE2 (closed, timed out) is counted as a failure but its"
            " pending-login slot is never released: after P abandons the user gets busy for ever",
        ),
        "b13_put_inflight_name_leak": _fault(  # L3
            "APP-PUT-8",
            "test_app_put.py test_app_put_race_loser.py test_app_put_visibility.py "
            "test_interop_failed_put_names.py",
            "an in-progress-names set guards concurrent puts; a failed put never removes its "
            "name, so every later PUTF of it is answered exists",
        ),
        "b13_lock_clock_mixed": _fault(  # L4
            "EKE-THR-1",
            "test_eke_login_bookkeeping.py test_eke_restart.py test_eke_second_use.py "
            "test_eke_tables.py test_eke_throttling.py test_ops_eke_abandon_boundaries.py "
            "test_ops_eke_interleaved_logins.py test_ops_eke_table_order.py "
            "test_ops_throttle_principals.py",
            "failure() stamps locked_until with time.monotonic() while admit() compares with "
            "time.time(): no lock ever holds",
        ),
        "b13_put_limit_kib": _fault(  # L4
            "APP-PUT-7",
            "test_app_put.py test_eke_later_requests.py test_framing.py",
            "the put size limit compared in whole KiB (size // 1024 > max // 1024): up to max + "
            "1023 bytes accepted",
        ),
        "b13_cli_size_float_ok": _fault(  # L4
            "FRM-11",
            "test_client_lies.py test_eke_client_answers.py test_eke_client_transfer.py "
            "test_interop_answer_frames.py",
            "the get client takes RSFL.size as any JSON number >= 0 (isinstance int, float): 5.0 "
            "or 5e0 accepted",
            client=True,
        ),
        "b13_user_lookup_stripped": _fault(  # L5
            "EKE-PW-4",
            "test_eke_handshake.py test_eke_user_names_invalid.py",
            "the account lookup strips the user name: `alice ` logs in as alice",
        ),
        "b13_ns_half_compared": _fault(  # L5
            "EKE-HS-6",
            "test_eke_handshake.py test_eke_handshake_encodings.py test_eke_throttling.py "
            "test_vectors.py",
            "EKE3's Ns checked on its first 16 bytes only",
        ),
        "b13_cli_done_sha_prefix": _fault(  # L5
            "APP-GET-3",
            "test_app_integrity.py test_eke_client.py test_eke_client_transfer.py "
            "test_interop_empty_transfers.py",
            "the get client compares DONE.sha256 with its digest on the first 32 hex digits only",
            client=True,
        ),
        "b13_exists_casefold": _fault(  # L5
            "APP-NAME-3",
            "test_app_names.py test_app_put.py",
            "a put is answered exists when a name equal but for case (casefold) is in the inbox",
        ),
        "b13_refused_put_drains_data": _fault(  # L6
            "FRM-6",
            "test_app_integrity.py test_app_put.py test_framing.py test_eke_records.py "
            "test_interop_refused_put_state.py",
            "after a refused PUTF the connection stays in a draining state: DATA in IDLE is "
            "dropped silently, not unexpected_frame",
        ),
        "b13_expired_lock_resets_count": _fault(  # L6
            "EKE-THR-6",
            "test_eke_restart_locks.py test_eke_throttling.py test_ops_throttle_principals.py",
            "a user whose lock has run out has its failure count reset at its next EKE1: the "
            "backoff never grows past base",
        ),
        "b14_hard_locks_fill_table": _fault(
            "EKE-THR-9",
            "test_eke_hard_lock_bound.py",
            "hard-locked names count towards the user table's bound: with E of them each new "
            "name evicts the oldest partial count",
        ),
        "b14_cli_short_write_ignored": _fault(
            "APP-STORE-3",
            "test_client_run_temporaries.py",
            "the get client ignores os.write's count: a write cut short (file-size limit, full "
            "disk) leaves a truncated file under the final name, exit 0",
            client=True,
        ),
        # Session 15, helper I17, blind, through the six lenses of lenses15.md (L1 one
        # blocks all, L2 reflection and cross-context, L3 the default branch, L4 compound
        # conditions, L5 asymmetric cost, L6 check-then-act under concurrency).
        "b15_handshake_lock_across_eke3": _fault(  # L1
            "LIM-5",
            "test_limits.py test_limits_responder.py test_eke_handshake_stalls.py "
            "test_interop_live_slow_senders.py test_ops_eke_interleaved_logins.py",
            "one module lock held from EKE1 to the EKE3 read (pending counts and exponentiations "
            "must not interleave): a client silent after EKE1 stalls every other login",
        ),
        "b15_cli_handshake_blocking": _fault(  # L1
            "LIM-9",
            "test_eke_client.py test_eke_client_login_rules.py test_eke_client_login_edges.py "
            "test_lockout.py test_client_run_busy_answers.py",
            "the client's handshake reads block with no deadline ('until the server answers'): "
            "a server silent after accept hangs it instead of a timed-out report",
            client=True,
        ),
        "b15_eke3_either_confirm_key": _fault(  # L2
            "EKE-KS-4",
            "test_eke_handshake.py test_eke_confirmation_failures.py test_eke_shared_secret.py",
            "an EKE3 that fails under Kcc is retried under Kcs ('a client that mixed up the "
            "keys'): a confirmation sealed with the server's key is accepted",
        ),
        "b15_record_reflected_accepted": _fault(  # L2
            "EKE-REC-4",
            "test_eke_records.py test_interop_answer_frames.py",
            "a record failing under the c2s key is retried under the server's own s2c key and "
            "IV: a record sealed for the other direction is delivered",
        ),
        "b15_cli_record_reflected_accepted": _fault(  # L2
            "EKE-REC-4",
            "test_eke_client_transfer.py test_eke_client_undecodable.py test_client_put_wire.py "
            "test_eke_client_keys.py test_interop_client_reflected_records.py",
            "the client retries a record that fails under s2c with its own c2s key and IV: a "
            "record sealed for the other direction (its own, reflected) is delivered",
            client=True,
        ),
        "b15_inner_eke_frames_ignored": _fault(  # L3
            "FRM-6",
            "test_framing.py test_eke_records.py test_eke_stray_frames.py "
            "test_eke_undefined_types.py",
            "EKE1..EKE4 inside a record after the handshake are dropped silently ('a late "
            "retransmission'), not unexpected_frame",
        ),
        "b15_bye_during_put_clean": _fault(  # L3
            "APP-BYE-1",
            "test_app_put.py test_framing.py test_eke_records.py test_app_error_frames.py "
            "test_interop_transfer_state.py",
            "BYE_ during a put is taken as the end: the put is dropped and BYE_ echoed, not "
            "unexpected_frame",
        ),
        "b15_cli_put_not_error_is_success": _fault(  # L3
            "APP-PUT-10",
            "test_client_put.py test_eke_client_put_ack.py test_eke_client_put_receipts.py "
            "test_client_report_put_frames.py test_client_put_wire.py test_client_lifetime.py "
            "test_client_put_renamed.py test_interop_put_receipt_frames.py",
            "the put client reports success for any answer to its DONE that is not an EROR "
            "(an RSFL, a BYE_), not only DONE",
            client=True,
        ),
        "b15_dotdot_last_component_passes": _fault(  # L4
            "APP-NAME-2",
            "test_app_names.py test_app_name_shapes.py test_app_put_names.py "
            "test_eke_put_name_rules.py",
            "`..` refused only before another component (`p == '..' and i < last`): a name "
            "ending in `..` is not_found / exists, not forbidden",
        ),
        "b15_pending_caps_and": _fault(  # L4
            "EKE-THR-7",
            "test_eke_throttling.py test_eke_busy_refusals.py test_ops_eke_pending_ledger.py "
            "test_interop_x_pending_endings.py",
            "busy only when the user cap AND the address cap are both reached (and for or)",
        ),
        "b15_throttle_both_locked": _fault(  # L4
            "EKE-THR-1",
            "test_eke_throttling.py test_ops_throttle_principals.py test_eke_failure_addresses.py "
            "test_eke_address_units.py test_lockout.py",
            "throttled only while the user name AND the address are both locked: a locked user "
            "from another address (or a locked address with another user) is served",
        ),
        "b15_cli_sizes_either": _fault(  # L4
            "APP-GET-3",
            "test_eke_client_transfer.py test_client_lies.py test_interop_done_members.py "
            "test_client_encodings.py",
            "the get client accepts the bytes when either RSFL.size or DONE.size matches them "
            "(`or` for `and`)",
            client=True,
        ),
        "b15_handshake_frame_unlimited": _fault(  # L5
            "FRM-3",
            "test_framing.py test_eke_handshake.py test_interop_frame_length_bytes.py "
            "test_eke_clear_errors.py",
            "handshake frames are read with no length limit ('the limit is the records''): an "
            "EKE1 header announcing 4 GiB is waited for, not refused frame_too_large",
        ),
        "b15_throttled_eke1_counted": _fault(  # L5
            "EKE-THR-6",
            "test_eke_throttling.py test_ops_eke_lock_moments.py test_eke_restart_locks.py "
            "test_ops_throttle_principals.py",
            "an EKE1 refused throttled is counted as one more failure: every refused try "
            "lengthens the lock past the law's time left",
        ),
        "b15_cli_record_limit_unchecked": _fault(  # L5
            "FRM-3",
            "test_eke_client_answers.py test_eke_client_login_rules.py "
            "test_eke_client_transfer.py test_client_run_control_limits.py",
            "after the handshake the client reads records up to 4 GiB ('the server is "
            "authenticated'): an oversize record header is waited for, not frame_too_large",
            client=True,
        ),
        "b15_put_checked_at_putf_only": _fault(  # L6
            "APP-PUT-8",
            "test_app_put_concurrent.py test_app_put_race_loser.py test_app_put_interleaved.py "
            "test_app_put.py",
            "the inbox name is checked free at PUTF only; DONE commits with os.replace: of two "
            "accepted puts of one name the second replaces the first",
        ),
        "b15_failure_count_from_admit": _fault(  # L6
            "EKE-THR-5",
            "test_eke_throttling.py test_ops_eke_interleaved_logins.py "
            "test_ops_eke_pending_ledger.py test_eke_login_bookkeeping.py",
            "the failure counts are read at EKE1 and written back + 1 when the handshake fails: "
            "parallel failed handshakes of one user count as one",
        ),
        "b15_cli_out_checked_at_start_only": _fault(  # L6
            "APP-GET-6",
            "test_eke_client_transfer.py test_client_temporaries.py "
            "test_client_store_side_by_side.py test_client_run_output_dir.py "
            "test_client_lifetime.py",
            "the get client checks the output name before connecting and commits with "
            "os.replace: a file created there meanwhile is overwritten",
            client=True,
        ),
    }
)  # fmt: skip


# Session 24, helper B164 (blind, foreign pass; written from docs/SPEC.md and this module
# only), through the round-24 lenses: L1 what the authenticator does not cover, L2 legacy
# and downgrade bleed, L3 the scanner's checklist, L4 the second-order fix, L5 debug and
# test leftovers, L6 fitted to the examples.
FAULTS.update(
    {
        "b24_hard_lock_accounts_only": _fault(  # L1 (ops: throttling tables)
            "EKE-THR-11",
            "test_eke_throttling.py test_eke_hard_lock_bound.py",
            "(L1) the hard lock is bound to the account, not the user name: after L failures "
            "an unknown user name keeps the ordinary backoff, never the lock",
        ),
        "b24_throttle_key_casefold": _fault(  # L4 (ops: throttling tables)
            "EKE-THR-2",
            "test_eke_throttling.py test_eke_throttle_name_folds.py",
            "(L4) 'attackers dodged the per-name count by changing case': failures counted "
            "under the casefolded name, so bob's lock refuses the account Bob too",
        ),
        "b24_throttle_key_prefix": _fault(  # L6 (ops: throttling tables)
            "EKE-THR-2",
            "test_eke_throttle_long_names.py",
            "(L6) the throttle key is the first 32 bytes of the user name (a column sized for "
            "the examples' names): names sharing 32 bytes share one count and one lock",
        ),
        "b24_warm_restart_no_sweep": _fault(  # L4 (ops: restart, inbox)
            "APP-STORE-3",
            "test_eke_restart_state.py test_ops_eke_restart_midway.py",
            "(L4) 'a SIGHUP restart must not delete the temporaries of puts in progress': the "
            "start-up sweep of .sft-partial-* runs on a cold start only, not on a restart",
        ),
        "b24_partial_counts_uncommitted": _fault(  # L4 (ops: store)
            "EKE-THR-8",
            "test_ops_eke_restart_counts.py test_eke_restart.py",
            "(L4) 'no wait on durable storage': a failure below the threshold stays in the "
            "open SQLite transaction, only a locking one is committed: a restart forgets "
            "partial counts",
        ),
        "b24_timeout_forgets_failure": _fault(  # L4
            "EKE-THR-5",
            "test_ops_eke_abandon_boundaries.py test_eke_throttling.py",
            "(L4) the handler added to send EROR timeout frees the pending slot itself: a "
            "handshake that times out after EKE2 is never counted as a failure",
        ),
        "b24_session_key_id_logged": _fault(  # L5
            "EKE-THR-3",
            "test_eke_log_nonces.py test_eke_server_log_secrets.py",
            "(L5) an interop-debugging leftover: each login logged with a 'session id', the "
            "first 12 hex digits of SHA-256(c2s record key)",
        ),
        "b24_legacy_relogin": _fault(  # L2
            "EKE-HS-8",
            "test_eke_no_login_after_fatal.py",
            "(L2) as sft-eke/0 after `Not Authenticated`: after EROR auth_failed the server "
            "keeps the connection and takes a new EKE1 (up to 5 logins a connection)",
        ),
        "b24_relogin_after_malformed": _fault(  # L2 (post-blind sibling)
            "ERR-3",
            "test_eke_no_login_after_fatal.py",
            "(L2, post-blind) after EROR bad_frame/unexpected_frame before EKE2 (a malformed "
            "or out-of-order first frame) the server keeps the connection for a new EKE1",
        ),
    }
)  # fmt: skip



# Session 26, helper B195 (blind, foreign pass; written from docs/SPEC.md and this module
# only), through the round-26 lenses: L1 the thin MUSTs, L2 the second half of the
# sentence, L3 passing the vectors, L4 neighbouring-protocol habits, L5 insecure defaults,
# L6 crossing frames.
FAULTS.update(
    {
        "b26_put_nonfatal_eror_idle": _fault(  # L6 (L1: APP-3)
            "APP-3",
            "test_app_put_cut_by_eror.py",
            "(L6) an EROR with a non-fatal code (exists, not_found ...) arriving during a put "
            "cancels the put and returns to IDLE, as the server's own non-fatal refusals do; "
            "the requests that follow are served",
        ),
        "b26_bye_keeps_alive": _fault(  # L4 (L2: 'and MUST then close')
            "APP-BYE-1",
            "test_app_bye_behind_requests.py",
            "(L4) HTTP keep-alive: BYE_ is echoed but the connection stays open (the client "
            "closes when done); requests after BYE_ are served",
        ),
        "b26_malformed_eror_ignored": _fault(  # L2 (L1: ERR-8)
            "ERR-8",
            "test_framing.py",
            "(L2) between requests an EROR whose payload has no readable integer `code` (not "
            "JSON, no code, a string code) is ignored and the connection goes on",
        ),
        "b26_eof_short_eke_frame": _fault(  # L2 (L1: FRM-7)
            "FRM-7",
            "test_eke_handshake_frame_edges.py",
            "(L2) a handshake frame cut by EOF is taken with the bytes that came ('the client "
            "half-closed after its EKE1'): a short EKE1 whose bytes parse is answered EKE2",
        ),
        "b26_put_overflow_per_frame": _fault(  # L3 (L1: APP-STORE-4)
            "APP-STORE-4",
            "test_app_put.py",
            "(L3) the put's overflow check compares each DATA frame with the announced size, "
            "not the running total: DATA beyond the size over several frames is written to "
            "disk until DONE",
        ),
        "b26_cli_put_continue_timer": _fault(  # L4 (L1: APP-PUT-1)
            "APP-PUT-1",
            "test_eke_client_put_answer_waits.py",
            "(L4) Expect: 100-continue: the put client waits one second for the answer to its "
            "PUTF, then sends the DATA and DONE anyway",
            client=True,
        ),
        "b26_cli_malformed_eror_skipped": _fault(  # L6 (L1: ERR-8)
            "ERR-8",
            "test_client_lies.py",
            "(L6) the client skips an EROR without a readable integer `code` (line noise) and "
            "goes on receiving: a malformed EROR in a get's DATA is ignored",
            client=True,
        ),
        "b26_residue_unblinded": _fault(  # L1 (EKE-SEC-4)
            "EKE-SEC-4",
            "test_eke_residue_shapes_timing.py",
            "(L1) the residuosity test runs its Jacobi loop (a %= n, one halving at a time) on "
            "D_pw(A) itself, the blinding by r^2 dropped as a wasted multiplication: EKE2 "
            "comes ms sooner for X' = (p-1)/2 than for 2^3070 (thorough timing tier)",
            thorough=True,
        ),
    }
)  # fmt: skip


# Session 28, helper B222 (blind, foreign pass; written from docs/SPEC.md and this module
# only), through the round-28 lenses: L1 the thin MUSTs, L2 lost errors, L3 every ending
# of a one-shot program, L4 retries, reconnects and resumes, L5 two implementations of one
# rule, L6 concurrency in the idiom.
FAULTS.update(
    {
        "b28_eke2_memo_repeat": _fault(  # L4 (L1: EKE-X-1, server)
            "EKE-X-1",
            "test_eke_handshake.py test_eke_server_ephemeral_window.py",
            "(L4) 'a retransmitted EKE1 gets the same answer': the server memoises (user, A') "
            "-> (y, B'): an identical EKE1 on a new connection is answered with the same B' "
            "under the same exponent y",
        ),
        "b28_open_realpath_nofollow": _fault(  # L6 (L1: APP-NAME-5)
            "APP-NAME-5",
            "test_app_toctou.py",
            "(L6) the name is resolved once with os.path.realpath (a link anywhere: forbidden) "
            "and the resolved path opened with O_NOFOLLOW, which guards its last component "
            "only: a directory swapped for a link between the two is followed",
        ),
        "b28_get_streams_to_eof": _fault(  # L6 (L1: APP-GET-4)
            "APP-GET-4",
            "test_app_share_files.py test_app_integrity.py",
            "(L6) the get streams the file until read() returns b'' after announcing fstat's "
            "size: a file that grows meanwhile sends more DATA than RSFL.size (DONE tells the "
            "bytes sent)",
        ),
        "b28_cli_busy_retry_same_eke1": _fault(  # L4 (L1: EKE-X-1, client)
            "EKE-X-1",
            "test_eke_client_busy_retries.py",
            "(L4) after `EROR busy` in the handshake the client waits retry_after and retries "
            "(up to 3 connections) re-sending the EKE1 it built: the same x and A' on every "
            "connection",
            client=True,
        ),
        "b28_cli_z_minimal_bytes": _fault(  # L1 (EKE-KS-2)
            "EKE-KS-2",
            "test_eke_client_keys.py test_eke_client_group_edges.py",
            "(L1) the client's Z is z.to_bytes((z.bit_length() + 7) // 8): a Z whose top byte "
            "is 0 (1 in 256 handshakes) is hashed short, the login fails as auth_failed",
            client=True,
        ),
        "b28_cli_inner_type_casefold": _fault(  # L5 (L1: FRM-2)
            "FRM-2",
            "test_eke_client_transfer.py test_client_lenient_frames.py",
            "(L5) the header check is strict but the client's record layer upper-cases the "
            "inner frame's type first ('type names are case-insensitive tokens'): `rsfl`, "
            "`Data`, `done` inside a record are taken as RSFL, DATA, DONE",
            client=True,
        ),
        "b28_cli_put_receipt_strict": _fault(  # L5 (FRM-10)
            "FRM-10",
            "test_eke_client_put_receipt_members.py",
            "(L5) the get's parsers ignore members they do not define, the put's receipt DONE "
            "is checked against its exact schema: a receipt with an extra member is answered "
            "bad_frame and the put reported failed",
            client=True,
        ),
        "b28_cli_receipt_null_member_refused": _fault(  # L5 (FRM-10), post-blind sibling
            "FRM-10",
            "test_eke_client_put_receipt_members.py",
            "(L5, post-blind) the put's receipt DONE is refused bad_frame when any member is "
            "null ('a null is a value the server lost'), defined or not: an honest receipt "
            "with an undefined null member fails the put",
            client=True,
        ),
        "b28_cli_overflow_at_done": _fault(  # L5 (L1: APP-STORE-4)
            "APP-STORE-4",
            "test_eke_client_overrun_paths.py test_eke_client_transfer.py",
            "(L5) the server's put stops at the first DATA beyond the size, the get client "
            "judges the size only with DONE's checks: every DATA of a lying server is written "
            "to the temporary file until DONE (then integrity_failed)",
            client=True,
        ),
    }
)  # fmt: skip


if __name__ == "__main__":
    raise SystemExit(main())
