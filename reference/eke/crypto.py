"""sft-eke/1 cryptography: the only module of the EKE profile that touches primitives.

Named recipes for docs/SPEC.md §5 (docs/ARCHITECTURE.md §5 rule 3): protocol code calls
`password_key`, `hide_element`, `reveal_element`, `shared_secret`, `derive_keys`,
`seal_confirm`/`open_confirm` and the record sealer/opener, never a raw primitive.
Public functions draw their own randomness; the private `_..._from_parts` variants
take it as arguments so that the known-answer vectors of conformance/vectors/ pin
every byte.

Every authentication failure raises the one `AuthenticationFailed` of
reference.errors, whatever its cause [EKE-HS-8], [ERR-6].

Primitives: `cryptography` for scrypt, HKDF-Expand, AES-256-GCM and the modular
exponentiations (OpenSSL's constant-time Montgomery ladder through the FFDH API,
about ten times faster than Python's `pow` for 3072-bit numbers); `hashlib`/`hmac`
from the standard library (OpenSSL too) for SHA-256, SHAKE256 and HMAC, which are
cheaper to call there for the many small inputs of the Feistel rounds.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import struct
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDFExpand
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from cryptography.utils import CryptographyDeprecationWarning

from reference.buffers import lazy_buffer, release
from reference.errors import AuthenticationFailed, ErrorCode, LocalProtocolError

__all__ = [
    "P",
    "G",
    "Q",
    "ELEMENT_LEN",
    "EXPONENT_BITS",
    "NONCE_LEN",
    "TAG_LEN",
    "KEY_LEN",
    "FEISTEL_ROUNDS",
    "RECORD_HEADER_LEN",
    "MAX_RECORD_BLOCKS",
    "MAX_SEQUENCE",
    "Ephemeral",
    "SessionKeys",
    "RecordSealer",
    "RecordOpener",
    "check_user_name",
    "password_key",
    "fake_password_key",
    "feistel_encrypt",
    "feistel_decrypt",
    "jacobi",
    "pm_encode",
    "pm_decode",
    "new_ephemeral",
    "hide_element",
    "reveal_element",
    "shared_secret",
    "transcript_hash",
    "derive_keys",
    "seal_confirm",
    "open_confirm",
    "new_nonce",
    "random_bytes",
]

# RFC 7919 ffdhe3072 [EKE-GRP-1].
P: Final = int(
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
G: Final = 2
Q: Final = (P - 1) // 2
ELEMENT_LEN: Final = 384  # k of I2OSP(n, k) [EKE-GRP-1]
EXPONENT_BITS: Final = 320  # random bits per exponent [EKE-X-1]
NONCE_LEN: Final = 32  # Ns, Na
KEY_LEN: Final = 32
IV_LEN: Final = 12
TAG_LEN: Final = 16
FEISTEL_ROUNDS: Final = 14  # [EKE-FEI-1]
_HALF: Final = ELEMENT_LEN // 2
RECORD_HEADER_LEN: Final = 8
MAX_SEQUENCE: Final = 2**64 - 1  # nonce = iv XOR (0^4 ‖ u64be(seq)) [EKE-REC-2]
# [EKE-REC-7]: AES blocks per direction key, ceil(len(inner)/16) + 1 per record (RFC 8446
# §5.5's 2^24.5 records of 2^14 bytes, restated in blocks for records of up to 1 MiB).
MAX_RECORD_BLOCKS: Final = 2**34
MAX_USER_BYTES: Final = 64

_SCRYPT_N: Final = 2**15
_SCRYPT_R: Final = 8
_SCRYPT_P: Final = 1
_PROTOCOL: Final = b"sft-eke/1"
_FEISTEL_LABEL: Final = b"sft-eke/1 feistel"
_FAKE_LABEL: Final = b"sft-eke/1 fake"
_TRANSCRIPT_LABEL: Final = b"sft-eke/1 transcript"
_RECORD_TYPE: Final = b"RECD"
_HEADER: Final = struct.Struct("!4sI")


# --- modular exponentiation --------------------------------------------------------------

# The FFDH API of `cryptography` is deprecated (it warns at every call) but is the only
# way to reach OpenSSL's constant-time modexp; the filter is narrow (this message, this
# category). If a future release removes it, `_modexp` falls back to Python's `pow`.
warnings.filterwarnings(
    "ignore",
    message="Diffie-Hellman over finite fields",
    category=CryptographyDeprecationWarning,
)


def _python_modexp(base: int, exponent: int) -> int:
    return pow(base, exponent, P)


def _make_openssl_modexp() -> Callable[[int, int], int] | None:
    try:
        from cryptography.hazmat.primitives.asymmetric import dh
    except ImportError:  # pragma: no cover - depends on the installed release
        return None
    numbers = dh.DHParameterNumbers(P, G, Q)
    # DHPrivateNumbers wants the matching public value, but exchange() never reads it:
    # a placeholder avoids computing g^x twice. The self-check below guards that.
    placeholder = dh.DHPublicNumbers(G, numbers)

    def openssl_modexp(base: int, exponent: int) -> int:
        key = dh.DHPrivateNumbers(exponent, placeholder).private_key()
        peer = dh.DHPublicNumbers(base, numbers).public_key()
        return int.from_bytes(key.exchange(peer), "big")

    try:
        # 64 bits, not EXPONENT_BITS: Python's `pow` with a 320-bit exponent costs ~7 ms,
        # twice at every import, in every `sft eke` process (the suite starts ~60 per run,
        # issue 17); OpenSSL's modexp takes the same path for any exponent size.
        probe_exponent = (1 << 63) | 0x1234567
        for base in (G, P - 3):
            if openssl_modexp(base, probe_exponent) != pow(base, probe_exponent, P):
                return None
    except Exception:  # pragma: no cover - any failure of the fast path: use pow
        return None
    return openssl_modexp


_openssl_modexp = _make_openssl_modexp()


def _modexp(base: int, exponent: int) -> int:
    """base^exponent mod P, for 1 < base < P - 1 and 1 < exponent < Q."""
    if _openssl_modexp is not None:
        try:
            return _openssl_modexp(base, exponent)
        except ValueError:  # OpenSSL refused the value; pow gives the same answer
            pass
    return _python_modexp(base, exponent)


# --- password keys [EKE-PW-1], [EKE-HS-3] --------------------------------------------------


def check_user_name(user: str) -> bytes:
    """The UTF-8 bytes of a valid user name (1-64 bytes, no control characters)."""
    try:
        raw = user.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("user name is not valid UTF-8 text") from None
    if not 1 <= len(raw) <= MAX_USER_BYTES:
        raise ValueError(f"user name must be 1 to {MAX_USER_BYTES} UTF-8 bytes")
    if any(ord(ch) < 0x20 or 0x7F <= ord(ch) <= 0x9F for ch in user):
        raise ValueError("user name contains a control character")
    return raw


def _user_salt(user_bytes: bytes) -> bytes:
    return _PROTOCOL + struct.pack("!H", len(user_bytes)) + user_bytes


def password_key(user: str, password: str | bytes) -> bytes:
    """pw = scrypt(password, "sft-eke/1" ‖ u16be(len(user)) ‖ user, 2^15, 8, 1, 32).

    The password is used as given (no trimming, no Unicode normalisation). About
    0.1 s and 32 MiB: that is the point of it.
    """
    secret = password.encode("utf-8") if isinstance(password, str) else bytes(password)
    kdf = Scrypt(
        salt=_user_salt(check_user_name(user)),
        length=KEY_LEN,
        n=_SCRYPT_N,
        r=_SCRYPT_R,
        p=_SCRYPT_P,
    )
    return kdf.derive(secret)


def fake_password_key(server_secret: bytes, user: str) -> bytes:
    """The key the server uses for a user it does not know [EKE-HS-3]."""
    return hmac.new(server_secret, _FAKE_LABEL + user.encode("utf-8"), hashlib.sha256).digest()


if TYPE_CHECKING:
    from _hashlib import HASHXOF as _Shake


# --- E_pw: a 14-round Feistel permutation of 384-byte strings [EKE-FEI-1/2] ---------------


def _round_keys(pw: bytes) -> list[_Shake]:
    # The prefix "label ‖ pw ‖ u8(i)" of each round is hashed once and copied per call.
    prefix = _FEISTEL_LABEL + pw
    return [hashlib.shake_256(prefix + bytes((i,))) for i in range(FEISTEL_ROUNDS)]


def _round(state: _Shake, half: int) -> int:
    h = state.copy()
    h.update(half.to_bytes(_HALF, "big"))
    return int.from_bytes(h.digest(_HALF), "big")


def _check_block(block: bytes) -> None:
    if len(block) != ELEMENT_LEN:
        raise ValueError(f"E_pw works on {ELEMENT_LEN}-byte strings, got {len(block)}")


def feistel_encrypt(pw: bytes, block: bytes) -> bytes:
    """E_pw(block): L(i+1) = R(i), R(i+1) = L(i) XOR F(i, R(i)), i = 0..13."""
    _check_block(block)
    rounds = _round_keys(pw)
    left = int.from_bytes(block[:_HALF], "big")
    right = int.from_bytes(block[_HALF:], "big")
    for state in rounds:
        left, right = right, left ^ _round(state, right)
    return left.to_bytes(_HALF, "big") + right.to_bytes(_HALF, "big")


def feistel_decrypt(pw: bytes, block: bytes) -> bytes:
    """D_pw(block) = E_pw^-1(block): R(i) = L(i+1), L(i) = R(i+1) XOR F(i, L(i+1))."""
    _check_block(block)
    rounds = _round_keys(pw)
    left = int.from_bytes(block[:_HALF], "big")
    right = int.from_bytes(block[_HALF:], "big")
    for state in reversed(rounds):
        left, right = right ^ _round(state, left), left
    return left.to_bytes(_HALF, "big") + right.to_bytes(_HALF, "big")


# --- ±X encoding [EKE-X-2/3] --------------------------------------------------------------


def jacobi(a: int, n: int) -> int:
    """The Jacobi symbol (a/n) for odd n > 0 (binary algorithm, no exponentiation)."""
    if n <= 0 or n % 2 == 0:
        raise ValueError("the Jacobi symbol needs an odd positive modulus")
    a %= n
    result = 1
    while a:
        zeros = (a & -a).bit_length() - 1
        if zeros:
            a >>= zeros
            # (2/n) = -1 exactly when n = 3 or 5 (mod 8).
            if zeros & 1 and n & 7 in (3, 5):
                result = -result
        # Quadratic reciprocity: the sign flips when both are 3 (mod 4).
        if a & 3 == 3 and n & 3 == 3:
            result = -result
        a, n = n % a, a
    return result if n == 1 else 0


def _is_residue_blinded(value: int) -> bool:
    """(value/p) = 1, in a time that does not depend on value [EKE-SEC-4].

    value is D_pw(A): password-dependent. The binary Jacobi loop runs a number of steps
    that follows its input (2 µs for X' = 4, 0.7 ms for a full-size value), so a timed,
    replayed A would tell which passwords decrypt it to a short-loop value (Dragonblood).
    The loop is given value·r² mod p for a fresh random r instead: the same symbol
    ((r²/p) = 1), and a uniformly random member of value's class, so its length tells
    nothing about value. Adding 2p first keeps the multiplication's operand at one size
    (Python ints are variable-length: a small value would multiply faster). Euler's
    criterion would be the textbook fix, but Python's pow takes ~70 ms for it here.
    """
    r = secrets.randbelow(P - 1) + 1
    return jacobi((value + 2 * P) * (r * r % P) % P, P) == 1


def _pm_encode_from_parts(element: int, *, sign_bit: int) -> bytes:
    if not 1 < element < P - 1:
        raise LocalProtocolError(ErrorCode.INTERNAL, "not a group element")
    if sign_bit not in (0, 1):
        raise ValueError("sign_bit must be 0 or 1")
    encoded = element if sign_bit == 0 else P - element
    return encoded.to_bytes(ELEMENT_LEN, "big")


def pm_encode(element: int) -> bytes:
    """I2OSP(±X, 384) with a fresh random sign, so X' is near-uniform on [1, p-1]."""
    return _pm_encode_from_parts(element, sign_bit=secrets.randbits(1))


def pm_decode(encoded: bytes) -> int:
    """Recovers X from X' [EKE-X-3]; rejects 0, 1, p-1 and X' >= p."""
    if len(encoded) != ELEMENT_LEN:
        raise AuthenticationFailed()
    value = int.from_bytes(encoded, "big")
    # p = 3 (mod 4): exactly one of value, p - value is a residue (Jacobi symbol 1).
    # Computed before the range check so that an invalid X' costs the same [EKE-HS-8].
    residue = _is_residue_blinded(value)
    if value in (0, 1, P - 1) or value >= P:
        raise AuthenticationFailed()
    return value if residue else P - value


# --- ephemeral Diffie-Hellman and the hidden public values ------------------------------


@dataclass(frozen=True, slots=True, repr=False)
class Ephemeral:
    """A secret exponent and its public element g^exponent mod p."""

    exponent: int
    element: int

    def __repr__(self) -> str:  # never print the exponent
        return "Ephemeral(<secret>)"


def _ephemeral_from_parts(*, exponent: int) -> Ephemeral:
    if not 1 < exponent < Q:
        raise ValueError("exponent out of range")
    return Ephemeral(exponent, _modexp(G, exponent))


def new_ephemeral() -> Ephemeral:
    """A fresh exponent of EXPONENT_BITS random bits, plus bit 320 set [EKE-X-1].

    The fixed top bit gives every exponent the same length (so the modexp's running
    time does not depend on it) and lies ABOVE the random bits: setting bit 319 of a
    320-bit draw would leave only 319 random bits, below the spec's 320.
    """
    return _ephemeral_from_parts(exponent=secrets.randbits(EXPONENT_BITS) | (1 << EXPONENT_BITS))


def _hide_element_from_parts(pw: bytes, element: int, *, sign_bit: int) -> bytes:
    return feistel_encrypt(pw, _pm_encode_from_parts(element, sign_bit=sign_bit))


def hide_element(pw: bytes, element: int) -> bytes:
    """A or B: E_pw(I2OSP(±X, 384))."""
    return _hide_element_from_parts(pw, element, sign_bit=secrets.randbits(1))


def reveal_element(pw: bytes, hidden: bytes) -> int:
    """X from A (or Y from B); raises AuthenticationFailed for an invalid X'."""
    if len(hidden) != ELEMENT_LEN:
        raise AuthenticationFailed()
    return pm_decode(feistel_decrypt(pw, hidden))


def shared_secret(ours: Ephemeral, peer_element: int) -> bytes:
    """Z = I2OSP(peer^ours mod p, 384); 0, 1 and p-1 are refused [EKE-KS-2]."""
    if not 1 < peer_element < P - 1:
        raise AuthenticationFailed()
    z = _modexp(peer_element, ours.exponent)
    if z in (0, 1, P - 1):
        raise AuthenticationFailed()
    return z.to_bytes(ELEMENT_LEN, "big")


# --- key schedule [EKE-KS-1..4] ---------------------------------------------------------


def transcript_hash(user: str, a: bytes, b: bytes) -> bytes:
    """th = SHA-256("sft-eke/1 transcript" ‖ u16be(len(U)) ‖ U ‖ A ‖ B)."""
    raw = user.encode("utf-8")
    return hashlib.sha256(
        _TRANSCRIPT_LABEL + struct.pack("!H", len(raw)) + raw + bytes(a) + bytes(b)
    ).digest()


@dataclass(frozen=True, slots=True, repr=False)
class SessionKeys:
    """Everything HKDF derives from Z and th; confirmation and record keys stay apart."""

    kcs: bytes
    kcc: bytes
    key_c2s: bytes
    iv_c2s: bytes
    key_s2c: bytes
    iv_s2c: bytes

    def __repr__(self) -> str:  # never print keys
        return "SessionKeys(<secret>)"


_KEY_INFOS: Final = (
    (b"sft-eke/1 confirm s", KEY_LEN),
    (b"sft-eke/1 confirm c", KEY_LEN),
    (b"sft-eke/1 key c2s", KEY_LEN),
    (b"sft-eke/1 iv c2s", IV_LEN),
    (b"sft-eke/1 key s2c", KEY_LEN),
    (b"sft-eke/1 iv s2c", IV_LEN),
)


def _hkdf_extract(salt: bytes, ikm: bytes) -> bytes:
    # RFC 5869 §2.2: PRK = HMAC-Hash(salt, IKM). cryptography exposes Extract only
    # combined with Expand, and the vectors pin PRK, so it is spelled out here.
    return hmac.new(salt, ikm, hashlib.sha256).digest()


def _derive_from_prk(prk: bytes) -> SessionKeys:
    parts = [
        HKDFExpand(algorithm=hashes.SHA256(), length=length, info=info).derive(prk)
        for info, length in _KEY_INFOS
    ]
    return SessionKeys(*parts)


def derive_keys(z: bytes, th: bytes) -> SessionKeys:
    """PRK = HKDF-Extract(salt = th, IKM = Z); the six keys of [EKE-KS-3]."""
    return _derive_from_prk(_hkdf_extract(th, z))


# --- key confirmation (C2, C3, C4) ------------------------------------------------------

_CONFIRM_STEPS: Final = (2, 3, 4)


def _confirm_nonce_and_ad(step: int, th: bytes) -> tuple[bytes, bytes]:
    if step not in _CONFIRM_STEPS:
        raise ValueError("confirmation step must be 2, 3 or 4")
    return bytes(11) + bytes((step,)), b"EKE%d" % step + th


def seal_confirm(key: bytes, step: int, plaintext: bytes, th: bytes) -> bytes:
    """C_step = AES-256-GCM(key, 0^11 ‖ u8(step), plaintext, "EKE<step>" ‖ th)."""
    nonce, ad = _confirm_nonce_and_ad(step, th)
    return AESGCM(key).encrypt(nonce, plaintext, ad)


def open_confirm(key: bytes, step: int, sealed: bytes, th: bytes) -> bytes:
    """The plaintext of C_step; any failure is AuthenticationFailed."""
    nonce, ad = _confirm_nonce_and_ad(step, th)
    try:
        return AESGCM(key).decrypt(nonce, sealed, ad)
    except InvalidTag:
        raise AuthenticationFailed() from None


def random_bytes(n: int) -> bytes:
    return secrets.token_bytes(n)


def new_nonce() -> bytes:
    """Ns or Na: 32 fresh random bytes."""
    return secrets.token_bytes(NONCE_LEN)


# --- records [EKE-REC-1..6] ---------------------------------------------------------------


class _RecordCipher:
    """Shared by sealer and opener: one key, one IV, one sequence counter."""

    def __init__(self, key: bytes, iv: bytes, block_limit: int = MAX_RECORD_BLOCKS) -> None:
        if len(key) != KEY_LEN or len(iv) != IV_LEN:
            raise ValueError("record key must be 32 bytes and IV 12 bytes")
        if not 0 < block_limit <= MAX_RECORD_BLOCKS:
            raise ValueError("the block limit may only be lowered (tests)")
        self._aead = AESGCM(key)
        self._iv = int.from_bytes(iv, "big")
        self.sequence = 0
        self.block_limit = block_limit
        self.blocks = 0  # AES blocks this key has processed so far [EKE-REC-7]

    def _within_usage_limit(self, inner_len: int) -> bool:
        """Counts a record's blocks; False (nothing counted) if it would pass the limit."""
        blocks = -(-inner_len // 16) + 1  # the payload's blocks + the tag's
        if self.blocks + blocks > self.block_limit:
            return False
        self.blocks += blocks
        return True

    def _next_nonce(self) -> bytes:
        seq = self.sequence
        if seq > MAX_SEQUENCE:
            # [EKE-REC-2]: close before the counter wraps; never reuse a nonce.
            raise LocalProtocolError(ErrorCode.INTERNAL, "record sequence number exhausted")
        self.sequence = seq + 1
        return (self._iv ^ seq).to_bytes(IV_LEN, "big")


class RecordSealer(_RecordCipher):
    """Seals one direction's records into a preallocated buffer.

    For the fast path the caller writes a frame's payload straight into
    `payload_buffer()` (e.g. with `file.readinto`), then `seal_payload(type, n)`
    encrypts header+payload with `encrypt_into` into the record buffer and returns
    a view of the record, valid until the next call. No per-record allocation.
    """

    def __init__(
        self, key: bytes, iv: bytes, max_inner: int, *, block_limit: int = MAX_RECORD_BLOCKS
    ) -> None:
        super().__init__(key, iv, block_limit)
        self.max_inner = max_inner
        # Two plaintext buffers, alternating: the payload of record k may still be
        # hashed on a helper thread while record k+1 is read into the other one.
        # Lazy (reference.buffers): pages cost memory only once a large record is sealed,
        # and `release_buffers` returns them between transfers [LIM-6].
        self._plains = (lazy_buffer(max_inner), lazy_buffer(max_inner))
        self._turn = 0
        self._plain = self._plains[0]
        self._record = lazy_buffer(RECORD_HEADER_LEN + max_inner + TAG_LEN)

    def release_buffers(self) -> None:
        """Gives back the pages of the buffers; only between records (no view is in use)."""
        for buffer in (*self._plains, self._record):
            release(buffer)

    def payload_buffer(self) -> memoryview:
        """Where to put the payload of the next frame (after its 8-byte header).

        Each call switches to the other of two buffers; `seal_payload` seals the one
        handed out last, so a payload stays untouched until the call after next.
        """
        self._turn ^= 1
        self._plain = self._plains[self._turn]
        return memoryview(self._plain)[RECORD_HEADER_LEN:]

    def seal_payload(self, frame_type: bytes, length: int) -> memoryview:
        """Seals the frame `frame_type | u32be(length) | payload_buffer()[:length]`."""
        if not 0 <= length <= self.max_inner - RECORD_HEADER_LEN:
            raise LocalProtocolError(ErrorCode.INTERNAL, "frame too large for a record")
        _HEADER.pack_into(self._plain, 0, frame_type, length)
        return self._seal(memoryview(self._plain)[: RECORD_HEADER_LEN + length])

    def seal(self, inner: bytes | bytearray | memoryview) -> memoryview:
        """Seals one complete inner frame given as bytes."""
        if len(inner) > self.max_inner:
            raise LocalProtocolError(ErrorCode.INTERNAL, "frame too large for a record")
        return self._seal(inner)

    def _seal(self, inner: bytes | bytearray | memoryview) -> memoryview:
        if not self._within_usage_limit(len(inner)):
            # [EKE-REC-7]: this key has done its share; a new connection brings new keys.
            raise LocalProtocolError(ErrorCode.INTERNAL, "AES-GCM usage limit reached: reconnect")
        sealed_len = len(inner) + TAG_LEN
        header = _HEADER.pack(_RECORD_TYPE, sealed_len)  # also the AD [EKE-REC-3]
        self._record[:RECORD_HEADER_LEN] = header
        out = memoryview(self._record)[RECORD_HEADER_LEN : RECORD_HEADER_LEN + sealed_len]
        self._aead.encrypt_into(self._next_nonce(), inner, header, out)
        return memoryview(self._record)[: RECORD_HEADER_LEN + sealed_len]


class RecordOpener(_RecordCipher):
    """Opens one direction's records into a preallocated plaintext buffer."""

    def __init__(
        self, key: bytes, iv: bytes, max_inner: int, *, block_limit: int = MAX_RECORD_BLOCKS
    ) -> None:
        super().__init__(key, iv, block_limit)
        # Alternating, as in RecordSealer: a payload stays valid until the call after
        # next, so it can be hashed on a helper thread while the next record is opened.
        self._plains = (lazy_buffer(max_inner), lazy_buffer(max_inner))
        self._turn = 0

    def release_buffers(self) -> None:
        """Gives back the pages of the plaintext buffers; only once no payload is in use."""
        for buffer in self._plains:
            release(buffer)

    def open(self, header: bytes | bytearray | memoryview, sealed: memoryview) -> memoryview:
        """The inner bytes of the record `header ‖ sealed`, valid until the call after next.

        The sequence number advances only when a record authenticates; a failure
        raises AuthenticationFailed and the caller must close [EKE-REC-4].
        """
        plain_len = len(sealed) - TAG_LEN
        if plain_len < 0 or plain_len > len(self._plains[0]):
            raise AuthenticationFailed()
        seq = self.sequence
        # [EKE-REC-7]: a record past the usage limit is refused like a forged one: close.
        if seq > MAX_SEQUENCE or self.blocks + (-(-plain_len // 16) + 1) > self.block_limit:
            raise AuthenticationFailed()
        nonce = (self._iv ^ seq).to_bytes(IV_LEN, "big")
        out = memoryview(self._plains[self._turn ^ 1])[:plain_len]
        try:
            self._aead.decrypt_into(nonce, sealed, bytes(header), out)
        except InvalidTag:
            raise AuthenticationFailed() from None
        self._turn ^= 1
        self.sequence = seq + 1
        self.blocks += -(-plain_len // 16) + 1
        return out
