"""The conformance toolkit's own sft-eke/1 cryptography and handshake (docs/SPEC.md §5).

Written from the specification with pycryptodome, independently of `reference/`
(which uses `cryptography`): when both agree on the vectors and on the wire, the
agreement means something. The module is sans-IO: it turns values into bytes and
bytes into values; `conformance.eke_channel` and the tests move the bytes.

Both sides are here because the suite plays both: `ClientHandshake` drives a server
under test, `ServerHandshake` is the hostile server that tests a client. Every
random value can be pinned through keyword arguments so that the vector generator
and the attack tests (replays, chosen X') control every byte.
"""

from __future__ import annotations

import hmac
import json
import secrets
import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from Crypto.Cipher import AES
from Crypto.Hash import HMAC, SHA256, SHAKE256
from Crypto.Math.Numbers import Integer
from Crypto.Protocol.KDF import scrypt

__all__ = [
    "ELEMENT_LEN",
    "EXPONENT_BITS",
    "FEISTEL_ROUNDS",
    "G",
    "keys_from_prk",
    "N2",
    "N3",
    "N4",
    "NONCE_LEN",
    "P",
    "Q",
    "RECORD_TAG_LEN",
    "ClientHandshake",
    "EkeError",
    "RecordReceiver",
    "RecordSender",
    "ServerHandshake",
    "SessionKeys",
    "aead_open",
    "aead_seal",
    "decode_frame_payload",
    "derive_keys",
    "element_to_bytes",
    "encode_frame",
    "encode_json",
    "fake_password_key",
    "feistel_decrypt",
    "feistel_encrypt",
    "hkdf_expand",
    "hkdf_extract",
    "i2osp",
    "jacobi",
    "modexp",
    "open_record",
    "password_key",
    "pm_decode",
    "pm_encode",
    "random_exponent",
    "record_nonce",
    "seal_record",
    "shared_secret",
    "transcript_hash",
]

# RFC 7919 ffdhe3072 (EKE-GRP-1).
P = int(
    "FFFFFFFFFFFFFFFFADF85458A2BB4A9AAFDC5620273D3CF1D8B9C583CE2D3695"
    "A9E13641146433FBCC939DCE249B3EF97D2FE363630C75D8F681B202AEC4617A"
    "D3DF1ED5D5FD65612433F51F5F066ED0856365553DED1AF3B557135E7F57C935"
    "984F0C70E0E68B77E2A689DAF3EFE8721DF158A136ADE73530ACCA4F483A797A"
    "BC0AB182B324FB61D108A94BB2C8E3FBB96ADAB760D7F4681D4F42A3DE394DF4"
    "AE56EDE76372BB190B07A7C8EE0A6D709E02FCE1CDF7E2ECC03404CD28342F61"
    "9172FE9CE98583FF8E4F1232EEF28183C3FE3B1B4C6FAD733BB5FCBC2EC22005"
    "C58EF1837D1683B2C6F34A26C1B2EFFA886B4238611FCFDCDE355B3B6519035B"
    "BC34F4DEF99C023861B46FC9D6E6C9077AD91D2691F7F7EE598CB0FAC186D91C"
    "AEFE130985139270B4130C93BC437944F4FD4452E2D74DD364F2E21E71F54BFF"
    "5CAE82AB9C9DF69EE86D2BC522363A0DABC521979B0DEADA1DBF9A42D5C4484E"
    "0ABCD06BFA53DDEF3C1B20EE3FD59D7C25E41D2B66C62E37FFFFFFFFFFFFFFFF",
    16,
)
G = 2
Q = (P - 1) // 2
ELEMENT_LEN = 384
EXPONENT_BITS = 320
FEISTEL_ROUNDS = 14
NONCE_LEN = 32
RECORD_TAG_LEN = 16
_HALF = ELEMENT_LEN // 2

# Confirmation nonces (§5.3): each confirmation key is fresh per session and each of
# these is used once per key, so fixed values are safe.
N2 = bytes(11) + b"\x02"
N3 = bytes(11) + b"\x03"
N4 = bytes(11) + b"\x04"

_PW_SALT_LABEL = b"sft-eke/1"
_FAKE_LABEL = b"sft-eke/1 fake"
_FEISTEL_LABEL = b"sft-eke/1 feistel"
_TRANSCRIPT_LABEL = b"sft-eke/1 transcript"
_SCRYPT_N = 2**15
_SCRYPT_R = 8
_SCRYPT_P = 1

_KEY_INFOS = {
    "kcs": (b"sft-eke/1 confirm s", 32),
    "kcc": (b"sft-eke/1 confirm c", 32),
    "key_c2s": (b"sft-eke/1 key c2s", 32),
    "iv_c2s": (b"sft-eke/1 iv c2s", 12),
    "key_s2c": (b"sft-eke/1 key s2c", 32),
    "iv_s2c": (b"sft-eke/1 iv s2c", 12),
}


class EkeError(Exception):
    """A check of §5 failed. `name` is the ERR-2 name the spec attaches to it."""

    def __init__(self, name: str, detail: str) -> None:
        super().__init__(f"{name}: {detail}")
        self.name = name
        self.detail = detail


# ---------------------------------------------------------------- encodings


def i2osp(n: int, length: int) -> bytes:
    if n < 0 or n >= 1 << (8 * length):
        raise ValueError(f"integer does not fit in {length} bytes")
    return n.to_bytes(length, "big")


def element_to_bytes(n: int) -> bytes:
    return i2osp(n, ELEMENT_LEN)


def encode_json(obj: dict[str, Any]) -> bytes:
    """The toolkit's canonical control payload: compact UTF-8 JSON, keys in given order.

    The spec fixes no canonical form (receivers parse JSON); vectors use this one so
    that the files are reproducible byte for byte.
    """
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def encode_frame(frame_type: bytes, payload: bytes) -> bytes:
    """FRM-1: type | u32be(length) | payload (no checks: the suite builds bad frames too)."""
    return frame_type + struct.pack(">I", len(payload)) + payload


def decode_frame_payload(frame: bytes) -> tuple[bytes, bytes]:
    """Split exactly one complete frame into (type, payload); EkeError otherwise."""
    if len(frame) < 8:
        raise EkeError("bad_frame", "fewer than 8 bytes")
    (length,) = struct.unpack(">I", frame[4:8])
    if len(frame) != 8 + length:
        raise EkeError("bad_frame", f"length field {length} but {len(frame) - 8} payload bytes")
    return frame[:4], frame[8:]


# ---------------------------------------------------------------- password key


def password_key(password: str | bytes, user: str) -> bytes:
    """EKE-PW-1: scrypt(password, "sft-eke/1" ‖ u16be(len(user)) ‖ user, 2^15, 8, 1, 32)."""
    pw_bytes = password.encode("utf-8") if isinstance(password, str) else password
    user_bytes = user.encode("utf-8")
    salt = _PW_SALT_LABEL + struct.pack(">H", len(user_bytes)) + user_bytes
    key = scrypt(pw_bytes, salt, 32, N=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P)
    assert isinstance(key, bytes)
    return key


def fake_password_key(server_secret: bytes, user: str) -> bytes:
    """EKE-HS-3: the key a server uses for a user it does not know."""
    mac = HMAC.new(server_secret, _FAKE_LABEL + user.encode("utf-8"), digestmod=SHA256)
    return mac.digest()


# ---------------------------------------------------------------- Feistel E_pw


def _round_function(pw: bytes, round_index: int, half: bytes) -> bytes:
    shake = SHAKE256.new(_FEISTEL_LABEL + pw + bytes([round_index]) + half)
    out: bytes = shake.read(_HALF)
    return out


def _xor(a: bytes, b: bytes) -> bytes:
    return (int.from_bytes(a, "big") ^ int.from_bytes(b, "big")).to_bytes(len(a), "big")


def feistel_encrypt(pw: bytes, block: bytes) -> bytes:
    """EKE-FEI-1: E_pw, a 14-round balanced Feistel permutation of 384-byte strings."""
    if len(block) != ELEMENT_LEN:
        raise ValueError("E_pw works on 384-byte strings")
    left, right = block[:_HALF], block[_HALF:]
    for i in range(FEISTEL_ROUNDS):
        left, right = right, _xor(left, _round_function(pw, i, right))
    return left + right


def feistel_decrypt(pw: bytes, block: bytes) -> bytes:
    """EKE-FEI-2: D_pw, the inverse of E_pw."""
    if len(block) != ELEMENT_LEN:
        raise ValueError("D_pw works on 384-byte strings")
    left, right = block[:_HALF], block[_HALF:]
    for i in reversed(range(FEISTEL_ROUNDS)):
        left, right = _xor(right, _round_function(pw, i, left)), left
    return left + right


# ---------------------------------------------------------------- ±X encoding


def jacobi(a: int, n: int) -> int:
    """The Jacobi symbol (a/n) for odd n > 0, by quadratic reciprocity (no exponentiation)."""
    if n <= 0 or n % 2 == 0:
        raise ValueError("n must be odd and positive")
    a %= n
    result = 1
    while a:
        # All factors of two at once (one shift, not a loop of halvings: 2x faster on
        # 3072-bit numbers, issue 17); (2/n) = -1 iff n = 3, 5 mod 8.
        zeros = (a & -a).bit_length() - 1
        a >>= zeros
        if zeros & 1 and n & 7 in (3, 5):
            result = -result
        if a & 3 == 3 and n & 3 == 3:
            result = -result
        a, n = n % a, a
    return result if n == 1 else 0


def pm_encode(element: int, sign_bit: int) -> int:
    """EKE-X-2: X' = X if s = 0, p − X if s = 1."""
    if sign_bit not in (0, 1):
        raise ValueError("the sign bit is 0 or 1")
    return element if sign_bit == 0 else P - element


def pm_decode(encoded: int) -> int:
    """EKE-X-3: reject 0, 1, p−1 and ≥ p, then keep whichever of X', p−X' is a residue."""
    if encoded in (0, 1, P - 1) or encoded >= P:
        raise EkeError("auth_failed", "X' is 0, 1, p-1 or not below p")
    return encoded if jacobi(encoded, P) == 1 else P - encoded


def _integer_modexp(base: int, exponent: int) -> int:
    return int(pow(Integer(base % P), exponent, _P_INTEGER))


def _pick_modexp() -> Callable[[int, int], int] | None:
    """pycryptodome's modexp (C), if it agrees with Python's `pow` on probes, else `pow`."""
    # A 64-bit probe, not EXPONENT_BITS: Python's `pow` with a 320-bit exponent costs
    # ~7 ms, six times at every import (each xdist worker, issue 17); the C modexp takes
    # the same path for any exponent size.
    probe = (1 << 63) | 0x1234567
    try:
        for base in (0, 1, G, P - 1, P - 3, P + 2):
            for exponent in (0, 1, 2, probe):
                if _integer_modexp(base, exponent) != pow(base, exponent, P):
                    return None
    except Exception:  # any failure of the fast path (another pycryptodome): use pow
        return None
    return _integer_modexp


_P_INTEGER = Integer(P)
_FAST_MODEXP = _pick_modexp()


def modexp(base: int, exponent: int) -> int:
    """base^exponent mod p. Python's `pow` on 3072-bit numbers costs ~8 ms of CPU, and a
    default run makes thousands (the suite's largest tester-side cost, issue 17);
    pycryptodome's constant-time C arithmetic gives the same numbers in ~1 ms."""
    if _FAST_MODEXP is None:
        return pow(base, exponent, P)
    return _FAST_MODEXP(base, exponent)


def random_exponent() -> int:
    """EKE-X-1: 320 random bits below a set bit 320 (at least 320 random bits)."""
    return secrets.randbits(EXPONENT_BITS) | (1 << EXPONENT_BITS)


# ---------------------------------------------------------------- key schedule


def transcript_hash(user: str, a: bytes, b: bytes) -> bytes:
    """EKE-KS-1: SHA-256("sft-eke/1 transcript" ‖ u16be(len(U)) ‖ U ‖ A ‖ B)."""
    user_bytes = user.encode("utf-8")
    data = _TRANSCRIPT_LABEL + struct.pack(">H", len(user_bytes)) + user_bytes + a + b
    digest: bytes = SHA256.new(data).digest()
    return digest


def shared_secret(peer_element: int, exponent: int) -> bytes:
    """EKE-KS-2: Z = I2OSP(peer^exponent mod p, 384); degenerate values abort."""
    z = modexp(peer_element, exponent)
    if z in (0, 1, P - 1):
        raise EkeError("auth_failed", "degenerate shared secret")
    return element_to_bytes(z)


def hkdf_extract(salt: bytes, ikm: bytes) -> bytes:
    """RFC 5869 HKDF-Extract with SHA-256."""
    prk: bytes = HMAC.new(salt, ikm, digestmod=SHA256).digest()
    return prk


def hkdf_expand(prk: bytes, info: bytes, length: int) -> bytes:
    """RFC 5869 HKDF-Expand with SHA-256."""
    out = b""
    block = b""
    counter = 1
    while len(out) < length:
        block = HMAC.new(prk, block + info + bytes([counter]), digestmod=SHA256).digest()
        out += block
        counter += 1
    return out[:length]


@dataclass(frozen=True)
class SessionKeys:
    """Everything EKE-KS-3 derives from Z and th."""

    th: bytes
    z: bytes
    prk: bytes
    kcs: bytes
    kcc: bytes
    key_c2s: bytes
    iv_c2s: bytes
    key_s2c: bytes
    iv_s2c: bytes

    def as_hex(self) -> dict[str, str]:
        return {name: getattr(self, name).hex() for name in self.__dataclass_fields__}


def derive_keys(z: bytes, th: bytes) -> SessionKeys:
    return keys_from_prk(hkdf_extract(th, z), z=z, th=th)


def keys_from_prk(prk: bytes, *, z: bytes, th: bytes) -> SessionKeys:
    """The six keys of EKE-KS-3 expanded from `prk` (a diagnosis passes other PRKs)."""
    derived = {name: hkdf_expand(prk, info, n) for name, (info, n) in _KEY_INFOS.items()}
    return SessionKeys(th=th, z=z, prk=prk, **derived)


def aead_seal(key: bytes, nonce: bytes, plaintext: bytes, ad: bytes) -> bytes:
    """AES-256-GCM, 16-byte tag, output ciphertext ‖ tag."""
    cipher = AES.new(key, AES.MODE_GCM, nonce=nonce, mac_len=RECORD_TAG_LEN)
    cipher.update(ad)
    ciphertext, tag = cipher.encrypt_and_digest(plaintext)
    return bytes(ciphertext) + bytes(tag)


def aead_open(key: bytes, nonce: bytes, sealed: bytes, ad: bytes) -> bytes:
    if len(sealed) < RECORD_TAG_LEN:
        raise EkeError("auth_failed", "sealed value shorter than its tag")
    cipher = AES.new(key, AES.MODE_GCM, nonce=nonce, mac_len=RECORD_TAG_LEN)
    cipher.update(ad)
    try:
        plaintext = cipher.decrypt_and_verify(sealed[:-RECORD_TAG_LEN], sealed[-RECORD_TAG_LEN:])
    except ValueError as exc:
        raise EkeError("auth_failed", "AEAD tag does not verify") from exc
    return bytes(plaintext)


# ---------------------------------------------------------------- records


def record_nonce(iv: bytes, seq: int) -> bytes:
    """EKE-REC-2: iv XOR the 96-bit big-endian sequence number."""
    if not 0 <= seq < 1 << 64:
        raise ValueError("sequence number out of range")
    return _xor(iv, bytes(4) + struct.pack(">Q", seq))


def seal_record(key: bytes, iv: bytes, seq: int, inner: bytes) -> bytes:
    """RECD | u32be(len(C)) | C with the 8-byte header as associated data (EKE-REC-3)."""
    header = b"RECD" + struct.pack(">I", len(inner) + RECORD_TAG_LEN)
    return header + aead_seal(key, record_nonce(iv, seq), inner, header)


def open_record(key: bytes, iv: bytes, seq: int, record: bytes) -> bytes:
    """Open one complete record; the inner plaintext must be exactly one frame."""
    if len(record) < 8 or record[:4] != b"RECD":
        raise EkeError("auth_failed", "not a RECD frame")
    (length,) = struct.unpack(">I", record[4:8])
    if len(record) != 8 + length:
        raise EkeError("auth_failed", "record length does not match its header")
    inner = aead_open(key, record_nonce(iv, seq), record[8:], record[:8])
    decode_frame_payload(inner)  # EKE-REC-1: exactly one well-formed frame
    return inner


@dataclass
class RecordSender:
    """One direction's sealing state: the sequence number only ever increases."""

    key: bytes
    iv: bytes
    seq: int = 0

    def seal(self, inner: bytes) -> bytes:
        record = seal_record(self.key, self.iv, self.seq, inner)
        self.seq += 1
        return record


@dataclass
class RecordReceiver:
    key: bytes
    iv: bytes
    seq: int = 0

    def open(self, record: bytes) -> bytes:
        inner = open_record(self.key, self.iv, self.seq, record)
        self.seq += 1
        return inner


# ---------------------------------------------------------------- handshake


def _hidden_element(pw: bytes, exponent: int, sign_bit: int) -> tuple[int, int, bytes]:
    element = modexp(G, exponent)
    encoded = pm_encode(element, sign_bit)
    return element, encoded, feistel_encrypt(pw, element_to_bytes(encoded))


def _unhide(pw: bytes, hidden: bytes) -> int:
    if len(hidden) != ELEMENT_LEN:
        raise EkeError("bad_frame", "hidden element is not 384 bytes")
    return pm_decode(int.from_bytes(feistel_decrypt(pw, hidden), "big"))


def _hex_field(obj: dict[str, Any], name: str, nbytes: int) -> bytes:
    value = obj.get(name)
    if not isinstance(value, str) or len(value) != 2 * nbytes or value != value.lower():
        raise EkeError("bad_frame", f"{name!r} is not {2 * nbytes} lowercase hex characters")
    try:
        return bytes.fromhex(value)
    except ValueError as exc:
        raise EkeError("bad_frame", f"{name!r} is not hex") from exc


@dataclass
class ClientHandshake:
    """The initiator's side of §5.3. Pass `exponent`, `sign_bit`, `na` to pin them."""

    user: str
    pw: bytes
    exponent: int = field(default_factory=random_exponent)
    sign_bit: int = field(default_factory=lambda: secrets.randbits(1))
    na: bytes = field(default_factory=lambda: secrets.token_bytes(NONCE_LEN))
    a: bytes = b""
    keys: SessionKeys | None = None
    ns: bytes = b""

    def eke1(self) -> dict[str, Any]:
        _element, _encoded, self.a = _hidden_element(self.pw, self.exponent, self.sign_bit)
        return {"user": self.user, "a": self.a.hex()}

    def on_eke2(self, message: dict[str, Any], *, verify: bool = True) -> dict[str, Any]:
        """Verify C2 and return the EKE3 object (EKE-HS-4, EKE-HS-5).

        `verify=False` is the attacker's move: answer with an EKE3 even though C2 did not
        verify (Ns is then unknown and replaced by zeros), to see what the server does.
        """
        if not self.a:
            raise EkeError("unexpected_frame", "EKE2 before EKE1")
        b = _hex_field(message, "b", ELEMENT_LEN)
        c2 = _hex_field(message, "c", NONCE_LEN + RECORD_TAG_LEN)
        try:
            peer = _unhide(self.pw, b)
            z = shared_secret(peer, self.exponent)
        except EkeError:
            if verify:
                raise
            z = element_to_bytes(2)
        keys = derive_keys(z, transcript_hash(self.user, self.a, b))
        try:
            self.ns = aead_open(keys.kcs, N2, c2, b"EKE2" + keys.th)
        except EkeError:
            if verify:
                raise
            self.ns = bytes(NONCE_LEN)
        self.keys = keys
        c3 = aead_seal(keys.kcc, N3, self.na + self.ns, b"EKE3" + keys.th)
        return {"c": c3.hex()}

    def on_eke4(self, message: dict[str, Any]) -> None:
        """EKE-HS-7: C4 must decrypt to our own Na."""
        if self.keys is None:
            raise EkeError("unexpected_frame", "EKE4 before EKE2")
        c4 = _hex_field(message, "c", NONCE_LEN + RECORD_TAG_LEN)
        na = aead_open(self.keys.kcs, N4, c4, b"EKE4" + self.keys.th)
        if not hmac.compare_digest(na, self.na):
            raise EkeError("auth_failed", "EKE4 does not carry our Na")

    def record_layer(self) -> tuple[RecordSender, RecordReceiver]:
        if self.keys is None:
            raise EkeError("unexpected_frame", "no keys before the handshake ends")
        return (
            RecordSender(self.keys.key_c2s, self.keys.iv_c2s),
            RecordReceiver(self.keys.key_s2c, self.keys.iv_s2c),
        )


@dataclass
class ServerHandshake:
    """The responder's side of §5.3, used by the suite as a (possibly hostile) server.

    `pw` is the key the server holds for the user named in EKE1 (or a fake one).
    """

    pw: bytes
    exponent: int = field(default_factory=random_exponent)
    sign_bit: int = field(default_factory=lambda: secrets.randbits(1))
    ns: bytes = field(default_factory=lambda: secrets.token_bytes(NONCE_LEN))
    user: str = ""
    keys: SessionKeys | None = None
    na: bytes = b""
    b: bytes = b""

    def on_eke1(self, message: dict[str, Any]) -> dict[str, Any]:
        """EKE-HS-2. Invalid X' is only reported at EKE3 (EKE-X-3), as the spec asks."""
        user = message.get("user")
        if not isinstance(user, str):
            raise EkeError("bad_frame", "'user' is not a string")
        self.user = user
        a = _hex_field(message, "a", ELEMENT_LEN)
        _element, _encoded, self.b = _hidden_element(self.pw, self.exponent, self.sign_bit)
        th = transcript_hash(user, a, self.b)
        try:
            peer = _unhide(self.pw, a)
            z = shared_secret(peer, self.exponent)
        except EkeError:
            # Carry on with a throw-away key: the failure shows at EKE3 like a bad password.
            z = element_to_bytes(modexp(G, random_exponent()))
            self.keys = None
            fake = derive_keys(z, th)
            c2 = aead_seal(fake.kcs, N2, self.ns, b"EKE2" + th)
            return {"b": self.b.hex(), "c": c2.hex()}
        self.keys = derive_keys(z, th)
        c2 = aead_seal(self.keys.kcs, N2, self.ns, b"EKE2" + th)
        return {"b": self.b.hex(), "c": c2.hex()}

    def on_eke3(self, message: dict[str, Any]) -> dict[str, Any]:
        """EKE-HS-6: verify C3 and that it ends with our Ns; return EKE4."""
        c3 = _hex_field(message, "c", 2 * NONCE_LEN + RECORD_TAG_LEN)
        if self.keys is None:
            raise EkeError("auth_failed", "handshake failed")
        plain = aead_open(self.keys.kcc, N3, c3, b"EKE3" + self.keys.th)
        if not hmac.compare_digest(plain[NONCE_LEN:], self.ns):
            raise EkeError("auth_failed", "handshake failed")
        self.na = plain[:NONCE_LEN]
        c4 = aead_seal(self.keys.kcs, N4, self.na, b"EKE4" + self.keys.th)
        return {"c": c4.hex()}

    def record_layer(self) -> tuple[RecordSender, RecordReceiver]:
        if self.keys is None:
            raise EkeError("unexpected_frame", "no keys before the handshake ends")
        return (
            RecordSender(self.keys.key_s2c, self.keys.iv_s2c),
            RecordReceiver(self.keys.key_c2s, self.keys.iv_c2s),
        )
