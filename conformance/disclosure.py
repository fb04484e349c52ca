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
import secrets
from collections.abc import Iterable, Mapping

__all__ = ["QUOTE_LIMIT", "WINDOW", "attacker_text", "find_secret", "quoted_run"]

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
    return None
