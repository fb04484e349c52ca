"""What a secret looks like in bytes a target wrote (a frame, its output, a log): the forms
the cases search for. Needles are lower-cased; search `text.lower()` with `found_in`.

The forms are those of ERR-5, EKE-THR-3 and PWF-2: the value whole in any usual encoding,
a part of it (a "key id": the first 4 bytes in hex, any 5 consecutive bytes in hex, any 6
raw or in base64) and the same of its digests under the hashes people reach for. A chance
match of one needle in a few KiB of text is below 1e-7.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Iterator, Mapping
from urllib.parse import quote, quote_plus

from conformance import eke
from conformance.disclosure import decoded_views

__all__ = ["found_in", "key_needles", "password_needles", "value_needles"]

SESSION_SECRETS = ("z", "prk", "kcs", "kcc", "key_c2s", "iv_c2s", "key_s2c", "iv_s2c")
_DIGESTS = ("sha256", "sha1", "sha512", "sha3_256", "blake2b", "blake2s", "md5")


def _forms(value: bytes) -> Iterator[tuple[str, bytes]]:
    yield "", value
    for name in _DIGESTS:
        yield f"{name.upper()} of ", hashlib.new(name, value).digest()
    yield "HMAC-SHA256(·, '') of ", hmac.new(value, b"", hashlib.sha256).digest()


def value_needles(label: str, value: bytes, *, digests: bool = True) -> dict[bytes, str]:
    """`value` (and, with `digests`, its digests): whole and in pieces, raw, hex, base64."""
    needles: dict[bytes, str] = {}
    for how, data in _forms(value) if digests else iter([("", value)]):
        name = f"{how}{label}"
        digits = data.hex().encode()
        needles.setdefault(digits, f"{name} in hex")
        needles.setdefault(base64.b64encode(data).lower(), f"{name} in base64")
        needles.setdefault(
            base64.urlsafe_b64encode(data).rstrip(b"=").lower(), f"{name} in base64url"
        )
        needles.setdefault(digits[:8], f"the first 4 bytes of {name} in hex")
        for start in range(0, len(digits) - 9, 2):
            needles.setdefault(digits[start : start + 10], f"5 bytes of {name} in hex")
        for start in range(len(data) - 5):
            piece = data[start : start + 6]
            needles.setdefault(piece.lower(), f"6 bytes of {name} raw")
            for coded in (base64.b64encode(piece), base64.urlsafe_b64encode(piece)):
                needles.setdefault(coded.lower(), f"6 bytes of {name} in base64")
    return needles


def key_needles(keys: eke.SessionKeys) -> dict[bytes, str]:
    """Every piece of a session's secrets (Z, PRK, Kcs, Kcc, record keys and IVs) and of
    their digests that a leak would put in a message."""
    needles: dict[bytes, str] = {}
    for name in SESSION_SECRETS:
        for needle, label in value_needles(name, getattr(keys, name)).items():
            needles.setdefault(needle, label)
    return needles


def password_needles(password: str, *, window: int = 6) -> dict[bytes, str]:
    """A password as typed, JSON-escaped, URL-encoded, in base64 (alone or inside a longer
    text) and hex, and every run of `window` of its characters (a "masked" password that
    shows its first ones)."""
    raw = password.encode()
    forms = {
        "the password": raw,
        "the password JSON-escaped": json.dumps(password)[1:-1].encode(),
        "the password URL-encoded": quote(password, safe="").encode(),
        "the password form-encoded": quote_plus(password).encode(),
        "the password in base64": base64.b64encode(raw),
        "the password in hex": raw.hex().encode(),
    }
    needles = {form.lower(): label for label, form in forms.items()}
    # Base64 of a longer text that holds the password ("alias:password", a JSON body):
    # the password's bytes from the first one on a 3-byte boundary appear verbatim.
    for skip in range(3):
        whole = (len(raw) - skip) // 3 * 3
        if whole >= 6:
            for code in (base64.b64encode, base64.urlsafe_b64encode):
                coded = code(raw[skip : skip + whole]).lower()
                needles.setdefault(coded, "the password inside a base64 text")
    for start in range(len(password) - window + 1):
        piece = password[start : start + window]
        needles.setdefault(piece.encode().lower(), f"{window} characters of the password")
    return needles


def found_in(text: bytes, needles: Mapping[bytes, str]) -> list[str]:
    """The labels of the needles `text` holds (case-insensitively), most telling first."""
    low = text.lower()
    found = {label for needle, label in needles.items() if needle in low}
    # The same bytes spelt as escapes (`b'\\x8f...'`), separated hex or decimal byte lists.
    for how, data in decoded_views(text.decode("latin-1")):
        view = data.lower()
        found |= {f"{label} ({how})" for needle, label in needles.items() if needle in view}
    return sorted(found, key=len)
