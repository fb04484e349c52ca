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
from conformance.wire import Closed, ReceivedFrame

__all__ = [
    "ClientVariant",
    "Diagnosis",
    "RecordVariant",
    "client_record_variants",
    "client_swapped_permutation",
    "client_variants",
    "diagnose_c2",
    "diagnose_c3",
    "diagnose_c4",
    "diagnose_record",
    "diagnose_refused_c3",
]


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
        if _c2_opens(_keys_with(z, th), c2):
            # The keys are right: what the strict reading refused is the form of EKE2.
            b_text, c_text = str(message.get("b", "")), str(message.get("c", ""))
            case = ", upper case" if (b_text + c_text).lower() != b_text + c_text else ""
            return Diagnosis(
                "EKE-HS-2",
                "C2 verifies under the right keys, but EKE2 is not written as EKE-HS-2 "
                f"says (b: 768, c: 96 lowercase hex characters; got {len(b_text)} and "
                f"{len(c_text)} characters{case})",
            )
        for finding, th_variant in _th_variants(client.user, client.a, b):
            if th_variant == th:
                continue  # (a variant that coincides for this user, e.g. ASCII U)
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
        # A server that takes X' as X (never folds the sign back) computes (p − X)^y =
        # (−1)^y·X^y: for an odd y its Z is p − Z. Only when the suite sent X' = p − X.
        if _c2_opens(_keys_with(eke.element_to_bytes(eke.P - z_int), th), c2):
            return Diagnosis(
                "EKE-X-3",
                "C2 verifies under p − Z: the server used X' = p − X as X, without "
                "recovering the quadratic residue of X', p − X'",
            )
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


# ---------------------------------------------------------------- C4 (the server's last word)
#
# Once C2 has verified, the suite holds the session's right keys and the target file's
# password is proven right: whatever the server does wrong after the suite's honest EKE3
# is the server's fault, never a misconfiguration — so it is judged under EKE-HS-6 (or the
# key rule its C4 breaks), not reported as "target down".


def diagnose_c4(client: eke.ClientHandshake, message: dict[str, object]) -> Diagnosis:
    """Why the target's C4 does not verify, after its C2 did (EKE-HS-6)."""
    keys = client.keys
    assert keys is not None  # only after a verified C2
    text = message.get("c")
    try:
        c4 = bytes.fromhex(text) if isinstance(text, str) else b""
    except ValueError:
        c4 = b""
    th = keys.th
    if not c4:
        return Diagnosis(
            "EKE-HS-6", f"EKE4's `c` is not hex (got {str(text)[:40]!r}), after a verified C2"
        )
    plain = _opens(keys.kcs, eke.N4, c4, b"EKE4" + th)
    if plain is not None:
        if plain == client.ns:
            return Diagnosis(
                "EKE-HS-6", "C4's plaintext is the server's own Ns, not the client's Na"
            )
        if plain[: eke.NONCE_LEN] == client.na and len(plain) != eke.NONCE_LEN:
            return Diagnosis("EKE-HS-6", f"C4's plaintext is Na plus {len(plain) - 32} more bytes")
        return Diagnosis(
            "EKE-HS-6", "C4 opens under the right key but does not carry the client's Na"
        )
    for name in ("kcc", "key_s2c", "key_c2s"):
        if _opens(getattr(keys, name), eke.N4, c4, b"EKE4" + th) is not None:
            return Diagnosis("EKE-KS-4", f"C4 is sealed with {name}, not Kcs")
    for finding, nonce, ad in (
        ("C4's associated data is th alone (no 'EKE4' label)", eke.N4, th),
        ("C4's associated data is empty", eke.N4, b""),
        ("C4's associated data is 'EKE3' ‖ th", eke.N4, b"EKE3" + th),
        ("C4's nonce is N2", eke.N2, b"EKE4" + th),
        ("C4's nonce is N3", eke.N3, b"EKE4" + th),
        ("C4's nonce is all zeros (not N4 = 0^11 ‖ 0x04)", bytes(12), b"EKE4" + th),
    ):
        if _opens(keys.kcs, nonce, c4, ad) is not None:
            return Diagnosis("EKE-HS-6", finding)
    return Diagnosis(
        "EKE-HS-6",
        "C4 does not open under Kcs, N4, 'EKE4' ‖ th (nor a known deviation), although the "
        "server's C2 proved the same keys",
    )


def diagnose_refused_c3(event: object) -> Diagnosis | None:
    """What a server that proved the password with C2 did instead of EKE4, answering the
    suite's honest EKE3 (C3 was right: the keys are C2's): EKE-HS-6 says it MUST send
    EKE4. `EROR auth_failed`, another `EROR`, another frame, an EKE4 that is not JSON, or
    a close with nothing are judged; `EROR timeout` is not (the handshake timeout, LIM-1,
    may have run out), nor is silence (a slow machine looks the same)."""
    honest = "the suite's honest EKE3, although its own C2 had proved the same password and keys"
    if isinstance(event, ReceivedFrame):
        if event.type == b"EROR":
            name = event.error_name
            if name == "timeout":
                return None
            return Diagnosis("EKE-HS-6", f"the server answered {honest} with EROR {name}")
        kind = event.type.decode("ascii", "replace")
        what = "an EKE4 that is not a JSON object" if event.type == b"EKE4" else kind
        return Diagnosis("EKE-HS-6", f"the server answered {honest} with {what}, not EKE4")
    if isinstance(event, Closed):
        return Diagnosis(
            "EKE-HS-6", f"the server closed ({event.kind}) with no EKE4 and no EROR after {honest}"
        )
    return None


# ---------------------------------------------------------------- the CLIENT's key schedule
#
# A client whose key schedule deviates refuses the suite's honest C2 and never sends C3:
# its bytes hold nothing to diagnose. The suite, as the server, then offers C2 sealed the
# way each deviation would seal it, one client run per variant: the variant the client
# accepts (it answers EKE3) is the one it computes — AES-GCM opens under nothing else.


@dataclass(frozen=True)
class ClientVariant:
    """A deviation a client may make, and how a server would have to seal C2 for it."""

    requirement: str
    finding: str
    keys: eke.SessionKeys  # the keys such a client derives (th included)
    c2_key: bytes
    c2_nonce: bytes
    c2_ad: bytes
    b: bytes = b""  # the B to send instead of the honest one (empty: the honest one)

    def seal_c2(self, ns: bytes) -> bytes:
        return eke.aead_seal(self.c2_key, self.c2_nonce, ns, self.c2_ad)


def client_variants(user: str, a: bytes, b: bytes, z_int: int) -> Iterator[ClientVariant]:
    """Every deviation of §5.3–§5.4 a client can make in what it expects of C2, for the
    session (U, A, B) whose honest shared secret is `z_int` (most common first)."""
    z = eke.element_to_bytes(z_int)
    th = eke.transcript_hash(user, a, b)

    def plain(requirement: str, finding: str, keys: eke.SessionKeys) -> ClientVariant:
        return ClientVariant(requirement, finding, keys, keys.kcs, eke.N2, b"EKE2" + keys.th)

    for finding, th_variant in _th_variants(user, a, b):
        yield plain("EKE-KS-1", f"the client computes {finding}", _keys_with(z, th_variant))
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
        yield plain(
            "EKE-KS-3", f"the client derives its keys with {finding}", _keys_with(z, th, extract)
        )
    minimal = z_int.to_bytes(max(1, (z_int.bit_length() + 7) // 8), "big")
    for finding, z_variant in (  # yielded even when equal to Z: a length fixed per session
        ("Z without its leading zero bytes (not I2OSP to 384 bytes)", minimal),
        ("Z little-endian", z[::-1]),
    ):
        yield plain("EKE-KS-2", f"the client uses {finding}", _keys_with(z_variant, th))
    keys = _keys_with(z, th)
    for name in ("kcc", "key_s2c", "key_c2s"):
        yield ClientVariant(
            "EKE-KS-4",
            f"the client verifies C2 with {name}, not Kcs",
            keys,
            getattr(keys, name),
            eke.N2,
            b"EKE2" + th,
        )
    for finding, nonce, ad in (
        ("C2's associated data is th alone (no 'EKE2' label)", eke.N2, th),
        ("C2's associated data is empty", eke.N2, b""),
        ("C2's nonce is all zeros (not N2 = 0^11 ‖ 0x02)", bytes(12), b"EKE2" + th),
    ):
        yield ClientVariant("EKE-HS-4", f"the client expects {finding}", keys, keys.kcs, nonce, ad)


def client_swapped_permutation(
    pw: bytes, user: str, a: bytes, exponent: int, b: bytes
) -> ClientVariant | None:
    """A client with E_pw and D_pw swapped: it hid A with D_pw and reveals B with E_pw.
    The server's answer for it: X from E_pw(A), and B' = D_pw(±Y) (`b` is the honest
    B = E_pw(±Y)); None if A does not decode that way either."""
    try:
        x = eke.pm_decode(int.from_bytes(eke.feistel_encrypt(pw, a), "big"))
    except (eke.EkeError, ValueError):
        return None
    z_int = pow(x, exponent, eke.P)
    if z_int in (0, 1, eke.P - 1):
        return None
    swapped_b = eke.feistel_decrypt(pw, eke.feistel_decrypt(pw, b))
    th = eke.transcript_hash(user, a, swapped_b)
    keys = _keys_with(eke.element_to_bytes(z_int), th)
    return ClientVariant(
        "EKE-FEI-2",
        "the client hides A with D_pw and reveals B with E_pw (the permutations swapped)",
        keys,
        keys.kcs,
        eke.N2,
        b"EKE2" + th,
        swapped_b,
    )


def diagnose_c3(keys: eke.SessionKeys, c3: bytes, ns: bytes) -> Diagnosis | None:
    """Why a client's C3 does not verify under §5.3 (the keys are right: it accepted C2)."""
    th = keys.th
    plain = _opens(keys.kcc, eke.N3, c3, b"EKE3" + th)
    if plain is not None:
        if plain[: eke.NONCE_LEN] == ns:
            return Diagnosis("EKE-HS-5", "C3's plaintext is Ns ‖ Na (the nonces swapped)")
        return Diagnosis("EKE-HS-5", "C3's plaintext does not end with the server's Ns")
    for name in ("kcs", "key_c2s", "key_s2c"):
        if _opens(getattr(keys, name), eke.N3, c3, b"EKE3" + th) is not None:
            return Diagnosis("EKE-KS-4", f"C3 is sealed with {name}, not Kcc")
    for finding, nonce, ad in (
        ("C3's associated data is th alone (no 'EKE3' label)", eke.N3, th),
        ("C3's associated data is empty", eke.N3, b""),
        ("C3's nonce is N2", eke.N2, b"EKE3" + th),
        ("C3's nonce is all zeros (not N3 = 0^11 ‖ 0x03)", bytes(12), b"EKE3" + th),
    ):
        if _opens(keys.kcc, nonce, c3, ad) is not None:
            return Diagnosis("EKE-HS-5", finding)
    return None


# ---------------------------------------------------------------- the CLIENT's record opener
#
# A client that seals its records right may still open the server's wrongly (the opener
# is separate code): it then fails an honest get and says nothing the suite could open.
# The suite serves the get again, once per deviation, its records sealed the way that
# deviation expects; the one under which the client completes the get is what it does.


@dataclass(frozen=True)
class RecordVariant:
    """A way a client may open server→client records, and how to seal for it."""

    requirement: str
    finding: str
    key: bytes
    iv: bytes
    nonce_of: Callable[[bytes, int], bytes]  # (iv, seq) -> nonce
    ad_of: Callable[[bytes, int], bytes]  # (header, plaintext length) -> associated data

    def seal(self, inner: bytes, seq: int) -> bytes:
        header = b"RECD" + struct.pack(">I", len(inner) + eke.RECORD_TAG_LEN)
        nonce = self.nonce_of(self.iv, seq)
        return header + eke.aead_seal(self.key, nonce, inner, self.ad_of(header, len(inner)))


def client_record_variants(keys: eke.SessionKeys) -> list[RecordVariant]:
    """Every known deviation of a client's opener of server→client records (§5.4–§5.5)."""
    key, iv = keys.key_s2c, keys.iv_s2c
    right_nonce = eke.record_nonce

    def header_ad(header: bytes, _inner_len: int) -> bytes:
        return header

    def variant(
        requirement: str,
        finding: str,
        key: bytes = key,
        iv: bytes = iv,
        nonce_of: Callable[[bytes, int], bytes] = right_nonce,
        ad_of: Callable[[bytes, int], bytes] = header_ad,
    ) -> RecordVariant:
        return RecordVariant(requirement, finding, key, iv, nonce_of, ad_of)

    return [
        variant(
            "EKE-KS-4",
            "the client opens the server's records with the client→server key and IV "
            "(one key for both directions)",
            keys.key_c2s,
            keys.iv_c2s,
        ),
        variant("EKE-KS-4", "the client opens the server's records with the client→server key",
                keys.key_c2s),
        variant("EKE-KS-4", "the client opens the server's records with the client→server IV",
                iv=keys.iv_c2s),
        variant("EKE-KS-4", "the client opens the server's records with Kcs", keys.kcs),
        variant("EKE-KS-4", "the client opens the server's records with Kcc", keys.kcc),
        variant("EKE-REC-2", "the client's nonce is the IV itself (no sequence number)",
                nonce_of=lambda iv, _seq: iv),
        variant("EKE-REC-2", "the client XORs the sequence number in little-endian",
                nonce_of=_u64le_nonce),
        variant("EKE-REC-2", "the client XORs the sequence number into the IV's first 8 bytes",
                nonce_of=_seq_at_front),
        variant("EKE-REC-2", "the client counts the server's records from 1, not 0",
                nonce_of=lambda iv, seq: right_nonce(iv, seq + 1)),
        variant("EKE-REC-3", "the client opens with empty associated data",
                ad_of=lambda _h, _n: b""),
        variant("EKE-REC-3", "the client's associated data is only the type 'RECD'",
                ad_of=lambda h, _n: h[:4]),
        variant("EKE-REC-3", "the client's associated data holds the plaintext's length",
                ad_of=lambda _h, n: b"RECD" + struct.pack(">I", n)),
    ]  # fmt: skip
