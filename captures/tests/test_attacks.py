"""Offline dictionary attacks: sft-eke/0 gives the password away; sft-eke/1 allows no test."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from captures.attacks import EKE1_NO_OFFLINE_TEST, pad_password
from captures.checker import LEAK, CheckConfig, check_capture
from captures.secrets import Secret
from captures.tests.synth import conversation, frame

# The second seed's public group and fixed exponents (docs/SPEC.md §7.3); computed
# here from the wire format, independently of reference/legacy.
P = 197221152031991558322935568090317202983
G = 2


def _xor(a: bytes, b: bytes) -> bytes:
    return bytes(x ^ y for x, y in zip(a, b, strict=False))


def _eke0_turns(password: bytes, file: bytes, xa: int, xs: int) -> list[tuple[int, bytes]]:
    pw = pad_password(password)
    hidden_c = _xor(str(pow(G, xa, P)).encode(), pw)
    hidden_s = _xor(str(pow(G, xs, P)).encode(), pw)
    return [
        (0, b"alice"), (1, b"u_ack"), (0, password), (1, b"Authenticated"),
        (0, str(P).encode()), (1, b"pAck"), (0, str(G).encode()), (1, b"gAck"),
        (0, hidden_c), (1, b"xorAck" + hidden_s), (0, b"xorServerAck"),
        (1, os.urandom(32)), (0, b"aesAck" + os.urandom(64)), (1, b"clientAesAck"),
        (0, b"send_aes_nonceNa"), (1, os.urandom(16) + str(len(file)).encode()),
        (0, b"LnACK"), (1, b"ok" + file), (0, b"File delivered"), (1, b"0" * 40),
    ]


@pytest.mark.parametrize("xa", [4597, 2**100 + 12345])
def test_eke0_password_recovered_from_wordlist(tmp_path: Path, xa: int) -> None:
    password = b"tulip-" + os.urandom(3).hex().encode()
    p = tmp_path / "eke0.pcapng"
    conversation(p, _eke0_turns(password, os.urandom(3000), xa, 5516))
    words = tmp_path / "words.txt"
    decoys = [os.urandom(5).hex().encode() for _ in range(200)]
    words.write_bytes(b"\n".join([*decoys[:150], password, *decoys[150:]]) + b"\n")
    r = check_capture(CheckConfig(p, wordlist=words, facts=False))
    assert r.verdict == LEAK
    (attack,) = r.attacks
    assert attack["recovered"] == password.decode() and attack["source"] == "wordlist"
    assert attack["tried"] == 201  # every word is tried: equivalent passwords are listed
    assert any(f.kind == "password" and password.decode() in f.message for f in r.findings)


def test_eke0_wrong_words_are_rejected_and_cleartext_password_is_confirmed(tmp_path: Path) -> None:
    password = b"niceday"
    p = tmp_path / "eke0.pcapng"
    conversation(p, _eke0_turns(password, os.urandom(100), 4597, 5516))
    words = tmp_path / "words.txt"
    words.write_bytes(b"niceday1\nNiceday\nnicedax\n")
    r = check_capture(CheckConfig(p, wordlist=words, facts=False))
    (attack,) = r.attacks
    assert attack["tried"] == 3
    # "niceday1" passes the XOR test too (digit XOR 1 is a digit); the small exponent decides
    assert "niceday1" in attack["explanation"]
    assert attack["recovered"] == "niceday"


def test_eke1_capture_allows_no_offline_guess(tmp_path: Path) -> None:
    p = tmp_path / "eke1.pcapng"
    a, b = os.urandom(384).hex(), os.urandom(384).hex()
    turns = [
        (0, frame(b"EKE1", f'{{"user": "alice", "a": "{a}"}}'.encode())),
        (1, frame(b"EKE2", f'{{"b": "{b}", "c": "{os.urandom(48).hex()}"}}'.encode())),
        (0, frame(b"EKE3", f'{{"c": "{os.urandom(80).hex()}"}}'.encode())),
        (1, frame(b"EKE4", f'{{"c": "{os.urandom(48).hex()}"}}'.encode())),
        (0, frame(b"RECD", os.urandom(60))),
        (1, frame(b"RECD", os.urandom(9000))),
    ]
    conversation(p, turns)
    words = tmp_path / "words.txt"
    words.write_bytes(b"alice\npassword\n")
    r = check_capture(CheckConfig(p, (Secret("user", b"wonderland"),), wordlist=words,
                                  facts=False))
    assert r.verdict == "clean", [f.message for f in r.findings]
    (attack,) = r.attacks
    assert attack["testable"] is False and attack["recovered"] is None
    assert attack["explanation"] == EKE1_NO_OFFLINE_TEST
    s = r.streams[0]
    assert s.protocol == "sft-eke/1"
    assert s.forward.channel_offset is not None and s.backward.channel_offset is not None


def test_eke1_application_frame_in_clear_is_a_leak(tmp_path: Path) -> None:
    p = tmp_path / "eke1-bad.pcapng"
    conversation(p, [
        (0, frame(b"EKE1", b'{"user": "u", "a": "00"}')),
        (0, frame(b"RQFL", b'{"name": "salaries.xlsx"}')),
    ])
    r = check_capture(CheckConfig(p, facts=False))
    assert r.verdict == LEAK
    assert any(f.kind == "protocol" and "RQFL" in f.message for f in r.findings)
