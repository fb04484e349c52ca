"""Does a text the target sent carry a secret the suite knows? [ERR-5]

An `EROR` message is for people, and people debugging put what they have at hand in it:
a key, a nonce, the password tried, the first bytes of a file. The suite knows many such
values (the account's password, pw, every key it derived alongside the target, the file
it sent), so it can look for them in what comes back, in the encodings a message would
use: the text itself, hex (either case) and base64 (standard or URL-safe, at any byte
alignment). A window of 8 bytes is enough to count: no honest message reproduces 8
bytes of a random secret by chance.
"""

from __future__ import annotations

import base64
import re
import secrets
from collections.abc import Iterable, Mapping

__all__ = [
    "QUOTE_LIMIT",
    "WINDOW",
    "attacker_text",
    "decoded_views",
    "find_secret",
    "quoted_run",
]

WINDOW = 8  # bytes of a secret that, found in a message, count as disclosed
QUOTE_LIMIT = 64  # characters of the peer's input an `EROR` message may quote (ERR-5)
_ATTACKER_LETTERS = "ghijklmnopqrstuvwxyz"  # no hex digit: never taken for a digest


def attacker_text(length: int = 400) -> str:
    """Random letters the suite puts in its input, to find them again in a message."""
    return "".join(secrets.choice(_ATTACKER_LETTERS) for _ in range(length))


def quoted_run(marker: str, message: str) -> int:
    """The longest run of `marker` that `message` quotes, if longer than QUOTE_LIMIT; else 0."""
    window = QUOTE_LIMIT + 1
    for start in range(len(marker) - window + 1):
        if marker[start : start + window] in message:
            end = start + window
            while end < len(marker) and marker[start : end + 1] in message:
                end += 1
            return end - start
    return 0


def _hex_windows(secret: bytes) -> Iterable[str]:
    text = secret.hex()
    span = 2 * WINDOW
    for start in range(0, max(1, len(text) - span + 1), 2):
        window = text[start : start + span]
        yield window
        yield window.upper()


def _base64_windows(secret: bytes) -> Iterable[str]:
    # Base64 groups 3 bytes into 4 characters: a run of the secret appears in a message's
    # base64 only at one of three alignments; 12 characters (9 bytes) of each alignment.
    for shift in range(3):
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            text = encode(secret[shift:]).decode("ascii").rstrip("=")
            for start in range(0, max(1, len(text) - 12 + 1), 4):
                yield text[start : start + 12]


def _text_windows(secret: bytes) -> Iterable[str]:
    try:
        text = secret.decode("utf-8")
    except UnicodeDecodeError:
        return
    if len(text) <= WINDOW:
        if text:
            yield text
        return
    for start in range(len(text) - WINDOW + 1):
        yield text[start : start + WINDOW]


_ESCAPE = re.compile(r"\\(x[0-9a-fA-F]{2}|u00[0-9a-fA-F]{2}|[0-7]{1,3}|.)", re.DOTALL)
_SIMPLE_ESCAPES = {"n": 10, "r": 13, "t": 9, "a": 7, "b": 8, "f": 12, "v": 11}
_SPACED_HEX = re.compile(
    r"(?:0x)?[0-9a-fA-F]{2}(?:(?:[:\s,\-]|\\x|, ?0x|\s0x){1,2}[0-9a-fA-F]{2}){7,}"
)
_DECIMALS = re.compile(r"-?\d{1,3}(?:\s*[,;\s]\s*-?\d{1,3}){7,}")


def _latin(text: str) -> bytes:
    return b"".join(
        bytes([ord(c)]) if ord(c) < 256 else c.encode("utf-8", "replace") for c in text
    )


def _unescaped(message: str) -> bytes:
    """`message` with backslash escapes read as bytes: Python's `repr(bytes)` (`\\x8f`),
    C/JSON-style `\\u00NN`, octal and one-letter escapes."""

    def one(match: re.Match[str]) -> str:
        body = match.group(1)
        if body[0] == "x" or body.startswith("u00"):
            return chr(int(body[-2:], 16))
        if body[0] in "01234567":
            return chr(int(body, 8) & 0xFF)
        return chr(_SIMPLE_ESCAPES.get(body, ord(body[0])) & 0xFFFF)

    return _latin(_ESCAPE.sub(one, message))


def decoded_views(message: str) -> list[tuple[str, bytes]]:
    """The bytes a message spells out in forms a text search misses: backslash-escaped
    bytes (`b'\\x8f\\x12...'`), hex pairs with separators (`8f:12:...`, `8f 12`,
    `0x8f, 0x12`) and lists of byte values in decimal (`[143, 18, ...]`, JSON of a Node
    Buffer; Java's signed bytes too)."""
    views: list[tuple[str, bytes]] = []
    if "\\" in message:
        views.append(("escaped bytes", _unescaped(message)))
    spaced: list[bytes] = []
    for m in _SPACED_HEX.finditer(message):
        digits = re.sub(r"0x|\\x|[^0-9a-fA-F]", "", m.group(0))
        if len(digits) % 2 == 0:
            spaced.append(bytes.fromhex(digits))
    if spaced:
        views.append(("hex with separators", b"\x00".join(spaced)))
    numbers: list[bytes] = []
    for m in _DECIMALS.finditer(message):
        values = [int(v) for v in re.findall(r"-?\d+", m.group(0))]
        if all(-128 <= v <= 255 for v in values):
            numbers.append(bytes(v & 0xFF for v in values))
    if numbers:
        views.append(("bytes in decimal", b"\x00".join(numbers)))
    return views


def find_secret(message: str, secrets: Mapping[str, bytes]) -> str | None:
    """The name and encoding of the first secret found in `message`, or None.

    `secrets` maps a name for the report (e.g. "kcc") to the secret's bytes; a secret
    given as text (a password) is found as text as well."""
    for name, secret in secrets.items():
        if not secret:
            continue
        for encoding, windows in (
            ("text", _text_windows(secret)),
            ("hex", _hex_windows(secret) if len(secret) >= WINDOW else ()),
            ("base64", _base64_windows(secret) if len(secret) >= 9 else ()),
        ):
            for window in windows:
                if window and window in message:
                    return f"{name} ({encoding}: {window!r})"
    views = decoded_views(message)
    for name, secret in secrets.items():
        if len(secret) < WINDOW:
            continue
        for encoding, data in views:
            for start in range(len(secret) - WINDOW + 1):
                window_bytes = secret[start : start + WINDOW]
                if window_bytes in data:
                    return f"{name} ({encoding}: {window_bytes.hex()} in the message)"
    return None
