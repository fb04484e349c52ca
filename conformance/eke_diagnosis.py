"""Why an honest sft-eke/1 exchange with a target broke, named by requirement.

When the target's C2 does not verify, or one of its records does not open, the suite
knows every secret of the session (it is the other endpoint), so it can try the
deviations from §5.3–§5.5 that implementers really make — a transcript without its
length prefix, HKDF's salt and key swapped, one record key for both directions, a nonce
without the sequence number, the header left out of the associated data — and see which
one the target's bytes verify under. A match is proof, not a guess: AES-GCM only opens
under the key, nonce and associated data it was sealed with. So a FAIL names the
requirement the target got wrong (EKE-KS-1 … EKE-REC-3), and a C2 that opens under a
variant also proves that the password in the target file is right (not a
misconfiguration, so not "target down").

Each diagnosis is a pure function of the session's values; nothing here touches a socket.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from Crypto.Hash import SHA256

from conformance import eke

__all__ = ["Diagnosis", "diagnose_c2", "diagnose_record"]


@dataclass(frozen=True)
class Diagnosis:
    """The requirement a target's bytes break, and how they were made instead."""

    requirement: str
    finding: str

    def describe(self) -> str:
        return f"{self.requirement} violated: {self.finding}"


def _opens(key: bytes, nonce: bytes, sealed: bytes, ad: bytes) -> bytes | None:
    try:
        return eke.aead_open(key, nonce, sealed, ad)
    except eke.EkeError:
        return None


# ---------------------------------------------------------------- records


def _u64le_nonce(iv: bytes, seq: int) -> bytes:
    return bytes(a ^ b for a, b in zip(iv, bytes(4) + struct.pack("<Q", seq), strict=True))


def _seq_at_front(iv: bytes, seq: int) -> bytes:
    return bytes(a ^ b for a, b in zip(iv, struct.pack(">Q", seq) + bytes(4), strict=True))


def _record_variants(
    keys: eke.SessionKeys, seq: int, header: bytes, sealed_len: int, *, from_server: bool
) -> Iterator[tuple[str, str, bytes, bytes, bytes]]:
    """(requirement, finding, key, nonce, ad) for each plausible mis-sealing."""
    key, iv = (keys.key_s2c, keys.iv_s2c) if from_server else (keys.key_c2s, keys.iv_c2s)
    other_key, other_iv = (
        (keys.key_c2s, keys.iv_c2s) if from_server else (keys.key_s2c, keys.iv_s2c)
    )
    mine, theirs = (
        ("server→client", "client→server")
        if from_server
        else (
            "client→server",
            "server→client",
        )
    )
    nonce = eke.record_nonce(iv, seq)
    yield (
        "EKE-KS-4",
        f"the record is sealed with the {theirs} key and IV: one key for both directions",
        other_key,
        eke.record_nonce(other_iv, seq),
        header,
    )
    yield ("EKE-KS-4", f"the record is sealed with the {theirs} key", other_key, nonce, header)
    yield (
        "EKE-KS-4",
        f"the record is sealed with the {theirs} IV",
        key,
        eke.record_nonce(other_iv, seq),
        header,
    )
    for name, confirm in (("Kcs", keys.kcs), ("Kcc", keys.kcc)):
        yield (
            "EKE-KS-4",
            f"the record is sealed with the confirmation key {name}",
            confirm,
            nonce,
            header,
        )
    yield (
        "EKE-REC-2",
        f"the nonce is the {mine} IV itself: the sequence number is not XORed in",
        key,
        iv,
        header,
    )
    yield (
        "EKE-REC-2",
        "the sequence number is XORed in little-endian",
        key,
        _u64le_nonce(iv, seq),
        header,
    )
    yield (
        "EKE-REC-2",
        "the sequence number is XORed into the first 8 bytes of the IV",
        key,
        _seq_at_front(iv, seq),
        header,
    )
    for other in (seq + 1, seq - 1, seq + 2, seq + 3, 0):
        if other != seq and other >= 0:
            yield (
                "EKE-REC-2",
                f"record #{seq} is sealed with sequence number {other} "
                "(not started at 0 for the direction, or not advanced by one per record)",
                key,
                eke.record_nonce(iv, other),
                header,
            )
    inner_len = sealed_len - eke.RECORD_TAG_LEN
    yield (
        "EKE-REC-3",
        "the associated data is empty (the header is not authenticated)",
        key,
        nonce,
        b"",
    )
    yield ("EKE-REC-3", "the associated data is only the type 'RECD'", key, nonce, header[:4])
    yield (
        "EKE-REC-3",
        "the associated data's length is the plaintext's, not the sealed record's",
        key,
        nonce,
        b"RECD" + struct.pack(">I", inner_len),
    )


def diagnose_record(
    keys: eke.SessionKeys, record: bytes, seq: int, *, from_server: bool = True
) -> Diagnosis | None:
    """The deviation under which `record` (#seq of its direction) opens, if any."""
    if len(record) < 8 + eke.RECORD_TAG_LEN or record[:4] != b"RECD":
        return None
    header, sealed = record[:8], record[8:]
    for requirement, finding, key, nonce, ad in _record_variants(
        keys, seq, header, len(sealed), from_server=from_server
    ):
        if _opens(key, nonce, sealed, ad) is not None:
            return Diagnosis(requirement, finding)
    return None


# ---------------------------------------------------------------- C2 (the server's proof)


def _th_variants(user: str, a: bytes, b: bytes) -> Iterator[tuple[str, bytes]]:
    raw = user.encode("utf-8")
    label = b"sft-eke/1 transcript"

    def h(data: bytes) -> bytes:
        digest: bytes = SHA256.new(data).digest()
        return digest

    yield "th without the u16be length of U", h(label + raw + a + b)
    yield "th with a one-byte length of U", h(label + bytes([len(raw) & 0xFF]) + raw + a + b)
    yield "th with a u32be length of U", h(label + struct.pack(">I", len(raw)) + raw + a + b)
    yield (
        "th with U's length in characters, not bytes",
        h(label + struct.pack(">H", len(user)) + raw + a + b),
    )
    yield "th without its label", h(struct.pack(">H", len(raw)) + raw + a + b)
    yield "th with A and B swapped", h(label + struct.pack(">H", len(raw)) + raw + b + a)
    yield (
        "th over the hex strings of A and B",
        h(label + struct.pack(">H", len(raw)) + raw + a.hex().encode() + b.hex().encode()),
    )


def _keys_with(
    z: bytes, th: bytes, extract: Callable[[bytes, bytes], bytes] = eke.hkdf_extract
) -> eke.SessionKeys:
    return eke.keys_from_prk(extract(th, z), z=z, th=th)


def _c2_opens(keys: eke.SessionKeys, c2: bytes) -> bool:
    return _opens(keys.kcs, eke.N2, c2, b"EKE2" + keys.th) is not None


def diagnose_c2(client: eke.ClientHandshake, message: dict[str, object]) -> Diagnosis | None:
    """Why the target's C2 does not verify under §5.3–§5.4, if a known deviation explains
    it. `client` is the suite's handshake state after EKE1 (its exponent, A, pw)."""
    try:
        b = bytes.fromhex(str(message.get("b", "")))
        c2 = bytes.fromhex(str(message.get("c", "")))
    except ValueError:
        return None
    if len(b) != eke.ELEMENT_LEN or not client.a:
        return None
    th = eke.transcript_hash(client.user, client.a, b)
    try:
        y = eke.pm_decode(int.from_bytes(eke.feistel_decrypt(client.pw, b), "big"))
    except eke.EkeError:
        y = None
    z_int = pow(y, client.exponent, eke.P) if y is not None else None
    z = eke.element_to_bytes(z_int) if z_int is not None else None
    if z is not None:
        for finding, th_variant in _th_variants(client.user, client.a, b):
            if _c2_opens(_keys_with(z, th_variant), c2):
                return Diagnosis("EKE-KS-1", f"C2 verifies under {finding}")
        assert z_int is not None
        minimal = z_int.to_bytes(max(1, (z_int.bit_length() + 7) // 8), "big")
        for finding, z_variant in (
            ("Z without its leading zero bytes (not I2OSP to 384 bytes)", minimal),
            ("Z little-endian", z[::-1]),
        ):
            if z_variant != z and _c2_opens(_keys_with(z_variant, th), c2):
                return Diagnosis("EKE-KS-2", f"C2 verifies with {finding}")
        for finding, extract in (
            (
                "HKDF-Extract with salt and key swapped (salt = Z, IKM = th)",
                lambda salt, ikm: eke.hkdf_extract(ikm, salt),
            ),
            (
                "HKDF-Extract with an empty salt (th not used as the salt)",
                lambda salt, ikm: eke.hkdf_extract(b"", ikm),
            ),
            ("no HKDF-Extract (PRK = Z)", lambda salt, ikm: ikm),
        ):
            if _c2_opens(_keys_with(z, th, extract), c2):
                return Diagnosis("EKE-KS-3", f"C2 verifies under {finding}")
        keys = _keys_with(z, th)
        for name in ("kcc", "key_s2c", "key_c2s"):
            if _opens(getattr(keys, name), eke.N2, c2, b"EKE2" + th) is not None:
                return Diagnosis("EKE-KS-4", f"C2 is sealed with {name}, not Kcs")
        for finding, nonce, ad in (
            ("C2's associated data is th alone (no 'EKE2' label)", eke.N2, th),
            ("C2's associated data is empty", eke.N2, b""),
            ("C2's nonce is all zeros (not N2 = 0^11 ‖ 0x02)", bytes(12), b"EKE2" + th),
            ("C2's nonce is N4", eke.N4, b"EKE2" + th),
        ):
            if _opens(keys.kcs, nonce, c2, ad) is not None:
                return Diagnosis("EKE-HS-2", finding)
    # B hidden with the inverse permutation (E_pw and D_pw swapped).
    try:
        y_swapped = eke.pm_decode(int.from_bytes(eke.feistel_encrypt(client.pw, b), "big"))
        z_swapped = eke.element_to_bytes(pow(y_swapped, client.exponent, eke.P))
    except (eke.EkeError, ValueError):
        return None
    if _c2_opens(_keys_with(z_swapped, th), c2):
        return Diagnosis("EKE-FEI-2", "B is hidden with D_pw instead of E_pw")
    return None
