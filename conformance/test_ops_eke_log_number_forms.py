"""sft-eke/1: no password key or session key in the server's log written as NUMBERS
(EKE-THR-3), read from the file the target declares (`[eke] server_log`).

EKE-THR-3: the server MUST NOT log passwords, `pw`, keys or handshake secrets, "in any
encoding, nor any part or digest of them". test_eke_server_log_secrets.py and
test_eke_log_nonces.py look for the secrets as raw bytes, contiguous hex, base64 and a
Python bytes literal. A debugging print left in a server writes a byte string the way its
language prints an array of numbers, which none of those forms matches: Go's `%v` of a
[]byte (`[12 201 7 ...]`), Python's list (`[12, 201, 7]`), Java's `Arrays.toString` of a
signed byte[] (`[12, -55, 7]`), a C initialiser (`{0x0c, 0xc9, 0x07}`), an OpenSSL-style
fingerprint or a hexdump (`0c:c9:07`, `0c c9 07`), or the whole key as one big integer.

The case makes one failed login of an account (right name, wrong key) and one successful
login of it, reads what the log gained (once it has taken them), and parses every run of
numbers in it: decimal numbers (signed bytes too) separated by up to three characters of
white space or punctuation, two-digit hex bytes (with or without `0x` / `\\x`) separated
likewise, and every decimal number of 9 digits or more read as a big-endian or
little-endian integer. It fails when four consecutive values of a run are four
consecutive bytes of the account's `pw` or of a key of the successful session (Z, PRK,
Kcs, Kcc, record keys and IVs). A chance match needs 32 bits to agree at one of a few
hundred windows: far below one false FAIL in a million runs. SKIP without a log file or an
account.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest

from conformance.eke_channel import EkeChannel, password_key_cached
from conformance.eke_support import SourceAddresses
from conformance.target import Target
from conformance.test_eke_server_log_secrets import logins_logged
from conformance.wire import ConformanceFailure

__all__: list[str] = []

pytestmark = [pytest.mark.profile("eke")]

_KEYS = ("z", "prk", "kcs", "kcc", "key_c2s", "iv_c2s", "key_s2c", "iv_s2c")
_WINDOW = 4  # bytes: a part of a secret, as a "key id" shows it
_GAP = r"[\s,;:|/\[\]{}()]{1,3}"  # what separates two numbers of one printed array
_DECIMAL = re.compile(r"(?<![\w.])-?\d{1,3}(?![\w.])")
_HEX_BYTE = re.compile(r"(?<![0-9A-Za-z])(?:0[xX]|\\x)?([0-9a-fA-F]{2})(?![0-9A-Za-z])")
_BIG = re.compile(r"(?<!\d)\d{9,}(?!\d)")


def _runs(
    text: str, pattern: re.Pattern[str], value: Callable[[re.Match[str]], int | None]
) -> Iterator[bytes]:
    """The runs of byte values `pattern` finds in `text`, consecutive when only a short
    separator lies between two matches."""
    run = bytearray()
    end = -1
    for match in pattern.finditer(text):
        byte = value(match)
        gap = text[end : match.start()] if end >= 0 else ""
        if byte is None or end < 0 or not re.fullmatch(_GAP, gap):
            if len(run) >= _WINDOW:
                yield bytes(run)
            run = bytearray()
        if byte is not None:
            run.append(byte)
        end = match.end()
    if len(run) >= _WINDOW:
        yield bytes(run)


def _decimal_byte(match: re.Match[str]) -> int | None:
    number = int(match.group(0))
    if -128 <= number < 0:
        return number + 256  # a signed byte (Java)
    return number if 0 <= number <= 255 else None


def _hex_byte(match: re.Match[str]) -> int | None:
    return int(match.group(1), 16)


def _number_runs(log: bytes) -> list[tuple[str, bytes]]:
    """Every byte sequence the log spells as numbers, with how it spelled it."""
    text = log.decode("utf-8", "replace")
    found: list[tuple[str, bytes]] = []
    found += [("decimal bytes", run) for run in _runs(text, _DECIMAL, _decimal_byte)]
    found += [("hex bytes with separators", run) for run in _runs(text, _HEX_BYTE, _hex_byte)]
    for match in _BIG.finditer(text):
        number = int(match.group(0))
        length = max(1, (number.bit_length() + 7) // 8)
        found.append(("a big-endian integer", number.to_bytes(length, "big")))
        found.append(("a little-endian integer", number.to_bytes(length, "little")))
    return found


def _windows(value: bytes) -> set[bytes]:
    return {value[i : i + _WINDOW] for i in range(len(value) - _WINDOW + 1)}


@pytest.mark.req("EKE-THR-3")
def test_the_servers_log_spells_no_key_as_numbers(
    eke_target: Target,
    eke_sources: SourceAddresses,
    eke_channel_factory: Callable[..., EkeChannel],
) -> None:
    logged = logins_logged(eke_target, eke_sources, eke_channel_factory)
    log, account, keys, added = logged.log, logged.account, logged.keys, logged.added
    secrets = {"pw": password_key_cached(account.password, account.user)}
    secrets.update({f"the session's {name}": getattr(keys, name) for name in _KEYS})
    windows = {label: _windows(value) for label, value in secrets.items()}
    found: list[str] = []
    for spelling, run in _number_runs(added):
        for label, parts in windows.items():
            hits = [run[i : i + _WINDOW] for i in range(len(run) - _WINDOW + 1)]
            if any(part in parts for part in hits):
                found.append(f"{label} ({spelling}: {list(run[:12])}...)")
    if found:
        raise ConformanceFailure.evidence(
            f"EKE-THR-3: a failed login of {account.user!r} (a wrong key), then a successful "
            f"one; what the server's log ({log}) gained meanwhile ({len(added)} bytes), its "
            "runs of numbers read as bytes",
            "no password key or session key, nor 4 consecutive bytes of one, spelled as "
            "numbers in the log",
            "the log holds " + "; ".join(sorted(set(found))),
        )
