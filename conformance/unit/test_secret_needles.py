"""The forms conformance/secret_needles.py searches for: every leak form the cases name
is found inside ordinary output, and ordinary output (hex digests, base64, paths) holds
none by chance, so a FAIL from a secret search is evidence, not noise."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from urllib.parse import quote

import pytest

from conformance import eke
from conformance.eke_hostile import fresh_password
from conformance.secret_needles import found_in, key_needles, password_needles, value_needles


def _noise(size: int) -> bytes:
    """Output an honest tool prints: digests, base64, paths, numbers."""
    parts: list[bytes] = []
    while sum(len(p) for p in parts) < size:
        blob = secrets.token_bytes(32)
        parts += [
            b"saved /tmp/out/received.bin (4096 bytes, sha256 ",
            hashlib.sha256(blob).hexdigest().encode(),
            b")\nserial ",
            base64.b64encode(blob),
            b" ",
            secrets.token_urlsafe(24).encode(),
            b"\n",
        ]
    return b"".join(parts)


@pytest.mark.parametrize(
    "form",
    [
        lambda p: p.encode(),
        lambda p: json.dumps(p).encode(),  # ASCII-escaped
        lambda p: json.dumps({"password": p}, ensure_ascii=False).encode(),
        lambda p: quote(p, safe="").encode(),
        lambda p: base64.b64encode(p.encode()),
        lambda p: base64.b64encode(f"alias:{p}".encode()),
        lambda p: base64.b64encode(f"ab:{p}".encode()),
        lambda p: p.encode().hex().upper().encode(),
        lambda p: f"{p[:8]}****".encode(),
    ],
)
def test_every_password_form_is_found_inside_output(form: object) -> None:
    password = fresh_password()
    text = _noise(2000) + form(password) + _noise(2000)  # type: ignore[operator]
    assert found_in(text, password_needles(password))


def test_a_key_id_is_found_whatever_the_digest() -> None:
    value = secrets.token_bytes(32)
    needles = value_needles("k", value)
    for shown in (
        value.hex()[:8],
        hashlib.sha256(value).hexdigest()[10:20].upper(),
        hashlib.md5(value).hexdigest()[:8],  # noqa: S324 - a leak form, not a use
        base64.b64encode(value).decode(),
    ):
        assert found_in(_noise(500) + f"key id {shown}".encode(), needles), shown


def test_honest_output_holds_no_needle_by_chance() -> None:
    """100 KiB of output of the kinds tools print, against the needles of a password, a
    pw and a whole session's keys: no hit (each would be a false FAIL)."""
    password = fresh_password()
    keys = eke.derive_keys(secrets.token_bytes(384), secrets.token_bytes(32))
    needles = {
        **password_needles(password),
        **value_needles("pw", secrets.token_bytes(32)),
        **key_needles(keys),
    }
    assert found_in(_noise(100_000), needles) == []
