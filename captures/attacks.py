"""Offline dictionary attacks from a capture alone (`--wordlist`).

sft-eke/0 (docs/SPEC.md §7.3, after the second seed): the client sends
`str(p)`, `str(g)` and `xor(str(g^Xa mod p), pw39)`, where `pw39` is the password
padded with ASCII '0' to 39 bytes and the XOR stops at the shorter input; the
server answers `xor(str(g^Xs mod p), pw39)` right after "xorAck". A guess w is
tested by XOR-ing both values with pad(w): for the right password the results are
decimal numbers below p; for a wrong one each of the ~39 bytes is a digit with
probability 10/256, so a false positive has probability about (10/256)^78. The
password also travels in clear (message 3), so the attack confirms that candidate
too. This module reimplements the test from the wire format; it imports nothing
from `reference`.

sft-eke/1: no guess can be tested. A and B are E_pw(X'), E_pw(Y') under a
password-keyed 384-byte permutation; decrypting with any candidate yields a value
that is a valid X' with probability above 1 − 2^−64 (EKE-FEI-2), and X' is close
to uniform on [1, p−1] whatever s is (EKE-X-2), so a wrong decryption looks exactly
like a right one; the confirmations C2–C4 are keyed from Z = g^xy, which needs an
exponent the eavesdropper never sees. Nothing in the capture depends on the
password in a way a passive observer can compute (EKE-SEC-1).
"""

from __future__ import annotations

__all__ = ["AttackResult", "eke0_dictionary_attack", "EKE1_NO_OFFLINE_TEST", "pad_password"]

from collections.abc import Iterable
from dataclasses import dataclass

from captures.reassembly import TcpStream

_WIDTH = 39
_MAX_CANDIDATES = 20
EKE1_NO_OFFLINE_TEST = (
    "no offline test of a password guess is possible from this capture: A and B are "
    "E_pw of near-uniform 384-byte values (every candidate password decrypts them to a "
    "valid-looking group element, EKE-X-2, EKE-FEI-2), and C2/C3/C4 are keyed from "
    "g^xy, which needs a secret exponent absent from the wire (EKE-SEC-1)"
)


@dataclass(frozen=True)
class AttackResult:
    stream: int
    protocol: str
    testable: bool  # can a guess be checked offline from the capture?
    recovered: str | None  # the password, when found
    source: str  # "wordlist", "cleartext message 3", or ""
    tried: int
    explanation: str


def pad_password(password: bytes) -> bytes:
    return password.ljust(_WIDTH, b"0")


def _xor(a: bytes, b: bytes) -> bytes:
    return bytes(x ^ y for x, y in zip(a, b, strict=False))


def _is_public(candidate: bytes, p: int) -> bool:
    if not candidate or not candidate.isdigit():
        return False
    if len(candidate) > 1 and candidate[:1] == b"0":
        return False  # str(int) never has a leading zero
    value = int(candidate)
    return 1 < value < p


def _eke0_messages(stream: TcpStream) -> tuple[list[bytes], list[bytes]]:
    client = [data for _, d, data in stream.turns if d == 0]
    server = [data for _, d, data in stream.turns if d == 1]
    return client, server


def eke0_dictionary_attack(stream: TcpStream, words: Iterable[bytes]) -> AttackResult:
    client, server = _eke0_messages(stream)
    # client turns: username, password, str(p), str(g), xor; server: ..., "xorAck"+xor
    p_idx = next((i for i, m in enumerate(client[:8]) if m.isdigit() and len(m) > 3), None)
    if p_idx is None or p_idx + 2 >= len(client):
        return AttackResult(stream.index, "sft-eke/0", False, None, "", 0,
                            "the capture does not contain the sft-eke/0 exchange of p, g, XOR")
    p = int(client[p_idx])
    hidden_c = client[p_idx + 2]
    hidden_s = b""
    for m in server:
        if m.startswith(b"xorAck"):
            hidden_s = m[len(b"xorAck") :]
            break
    cleartext = client[p_idx - 1] if p_idx >= 1 else b""

    def test(word: bytes) -> bool:
        pw = pad_password(word)
        ok = _is_public(_xor(hidden_c, pw), p)
        if ok and hidden_s:
            ok = _is_public(_xor(hidden_s, pw), p)
        return ok

    tried = 0
    candidates: list[bytes] = []
    for word in words:
        tried += 1
        if test(word) and word not in candidates:
            candidates.append(word)
            if len(candidates) >= _MAX_CANDIDATES:
                break
    from_wordlist = set(candidates)
    if cleartext and cleartext not in candidates and test(cleartext):
        candidates.append(cleartext)
    if not candidates:
        return AttackResult(stream.index, "sft-eke/0", True, None, "", tried,
                            "guesses can be tested offline, but none of the words matched")
    # Passwords that differ from the right one only by XOR-ing digits into digits
    # (e.g. a trailing "1" against the "0" padding) pass the test too. When the seed's
    # small exponents are used, the right candidate is confirmed by finding x with
    # g^x = X; otherwise the cleartext message 3, if it passes, is the password.
    confirmed = [c for c in candidates if _small_exponent(_xor(hidden_c, pad_password(c)), p)]
    if confirmed:
        best, how = confirmed[0], "confirmed by the seed's small secret exponent"
    elif cleartext in candidates:
        best, how = cleartext, "the cleartext message 3 passes the test"
    else:
        best, how = candidates[0], "first of the words that pass the test"
    source = "wordlist" if best in from_wordlist else "cleartext message 3"
    others = [c.decode("utf-8", "replace") for c in candidates if c != best]
    return AttackResult(
        stream.index, "sft-eke/0", True, best.decode("utf-8", "replace"), source, tried,
        "password found offline: XOR with the padded guess turns both hidden values into "
        f"decimal numbers below p ({how})"
        + (f"; other words passing the XOR test: {others}" if others else ""),
    )


def _small_exponent(value: bytes, p: int, limit: int = 1 << 16) -> bool:
    """True when int(value) = 2^x mod p for some x < limit (the seed used 4597 and 5516)."""
    if not value.isdigit():
        return False
    target = int(value)
    acc = 1
    for _ in range(limit):  # bounded search, ~30 ms
        acc = acc * 2 % p
        if acc == target:
            return True
    return False
