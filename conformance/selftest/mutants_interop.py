"""Mutants of the sft-eke/1 key schedule and record protection that an implementation's
own client and server would AGREE on (the bug sits in code both sides share), so only an
independent peer notices: the suite's honest handshake or records then break, and the
diagnosis (conformance/eke_diagnosis.py) must name the requirement — a FAIL under it, not
a "target down".
"""

from __future__ import annotations

import struct
from typing import Any

from conformance.selftest.mutant import Mutant, _module

__all__ = ["MUTANTS"]


def _crypto() -> Any:
    return _module("reference.eke.crypto")


def _one_key_both_directions() -> None:
    crypto = _crypto()
    infos = list(crypto._KEY_INFOS)
    infos[4] = (b"sft-eke/1 key c2s", infos[4][1])  # "s2c" was a copy-paste of "c2s"
    infos[5] = (b"sft-eke/1 iv c2s", infos[5][1])
    crypto._KEY_INFOS = tuple(infos)


def _nonce_without_sequence() -> None:
    crypto = _crypto()

    def next_nonce(self: Any) -> bytes:  # the counter advances but never reaches the nonce
        self.sequence += 1
        return bytes(self._iv.to_bytes(crypto.IV_LEN, "big"))

    crypto._RecordCipher._next_nonce = next_nonce


def _nonce_little_endian() -> None:
    crypto = _crypto()

    def next_nonce(self: Any) -> bytes:
        seq = self.sequence
        self.sequence = seq + 1
        iv = self._iv.to_bytes(crypto.IV_LEN, "big")
        pad = bytes(4) + struct.pack("<Q", seq)
        return bytes(a ^ b for a, b in zip(iv, pad, strict=True))

    crypto._RecordCipher._next_nonce = next_nonce


def _sequence_starts_at_one() -> None:
    crypto = _crypto()
    original = crypto._RecordCipher.__init__

    def init(self: Any, key: bytes, iv: bytes, *args: Any, **kwargs: Any) -> None:
        original(self, key, iv, *args, **kwargs)
        self.sequence = 1  # "record numbers start at 1, like the handshake's EKE1"

    crypto._RecordCipher.__init__ = init


def _header_not_authenticated() -> None:
    crypto = _crypto()

    def seal(self: Any, inner: Any) -> memoryview:  # the header is not the AD
        sealed_len = len(inner) + crypto.TAG_LEN
        header = struct.pack("!4sI", b"RECD", sealed_len)
        out = bytes(self._aead.encrypt(self._next_nonce(), bytes(inner), b""))
        self._record[: 8 + sealed_len] = header + out
        return memoryview(self._record)[: 8 + sealed_len]

    crypto.RecordSealer._seal = seal


def _transcript_without_length() -> None:
    crypto = _crypto()
    hashlib = _module("hashlib")

    def transcript_hash(user: str, a: bytes, b: bytes) -> bytes:
        digest: bytes = hashlib.sha256(
            b"sft-eke/1 transcript" + user.encode("utf-8") + bytes(a) + bytes(b)
        ).digest()
        return digest

    crypto.transcript_hash = transcript_hash


def _hkdf_salt_and_key_swapped() -> None:
    crypto = _crypto()
    crypto.derive_keys = lambda z, th: crypto._derive_from_prk(crypto._hkdf_extract(z, th))


def _z_little_endian() -> None:
    crypto = _crypto()
    original = crypto.shared_secret

    def shared_secret(ours: Any, peer_element: int) -> bytes:  # to_bytes(384, "little")
        return bytes(original(ours, peer_element)[::-1])

    crypto.shared_secret = shared_secret


def _confirm_with_client_key() -> None:
    crypto = _crypto()
    original = crypto.derive_keys

    def derive_keys(z: bytes, th: bytes) -> Any:  # "confirm c" read as the client's copy
        keys = original(z, th)
        return type(keys)(keys.kcc, keys.kcc, keys.key_c2s, keys.iv_c2s, keys.key_s2c, keys.iv_s2c)

    crypto.derive_keys = derive_keys


def _mutant(name: str, requirement: str, description: str, apply: Any) -> Mutant:
    return Mutant(
        f"interop-{name}",
        "eke-interop",
        "eke",
        requirement,
        "test_eke_records.py",
        description,
        apply,
    )


MUTANTS: tuple[Mutant, ...] = (
    _mutant(
        "one-key-both-directions",
        "EKE-KS-4",
        "the s2c record key and IV are derived with the c2s labels",
        _one_key_both_directions,
    ),
    _mutant(
        "nonce-without-sequence",
        "EKE-REC-2",
        "every record nonce is the IV itself",
        _nonce_without_sequence,
    ),
    _mutant(
        "nonce-little-endian",
        "EKE-REC-2",
        "the sequence number is XORed in little-endian",
        _nonce_little_endian,
    ),
    _mutant(
        "sequence-starts-at-one",
        "EKE-REC-2",
        "record sequence numbers start at 1",
        _sequence_starts_at_one,
    ),
    _mutant(
        "header-not-authenticated",
        "EKE-REC-3",
        "records are sealed with empty associated data",
        _header_not_authenticated,
    ),
    _mutant(
        "transcript-without-length",
        "EKE-KS-1",
        "th leaves out u16be(len(U))",
        _transcript_without_length,
    ),
    _mutant(
        "hkdf-salt-and-key-swapped",
        "EKE-KS-3",
        "HKDF-Extract(salt = Z, IKM = th)",
        _hkdf_salt_and_key_swapped,
    ),
    _mutant("z-little-endian", "EKE-KS-2", "Z is encoded little-endian", _z_little_endian),
    _mutant(
        "confirm-with-client-key",
        "EKE-KS-4",
        "the server's confirmations use Kcc",
        _confirm_with_client_key,
    ),
)
