"""sft-pki/1: the ENROLMENT client under test frames its request body so that a CA that
reads HTTP by the book receives the password exactly (docs/SPEC.md PWF-1, CA-ENR-2).

test_enroll_client.py's hostile CA takes every byte that came after the request head as
the body; a real CA reads exactly `Content-Length` bytes (RFC 9112 §6.3) and parses
them as UTF-8 JSON (CA-ENR-2). Here the suite reads the `POST /v1/enroll` it received as
such a CA does and requires the password the file holds (PWF-1: "the CA MUST receive
exactly that password"), for passwords whose UTF-8 form is longer than their count of
characters: é (2 bytes), € (3), 漢字 (3 each), 🔑 (4, a surrogate pair in a JSON escape).
The class this catches is a body whose bytes and framing disagree:

- a `Content-Length` counted in characters (or UTF-16 units) for a body sent as UTF-8:
  the CA reads a truncated JSON text (and takes the rest for a next request);
- a body handed to an HTTP library as text and encoded ISO-8859-1 (Python's
  http.client) or another legacy charset: the CA reads bytes that are not UTF-8, or a
  password it was not given; a client that fails on such a password is refused too
  (PWF-1: every UTF-8 password is used, not the part an encoder could carry).

Judged: one `POST /v1/enroll` whose body is `Content-Length` bytes exactly (or a
well-formed `Transfer-Encoding: chunked` body), valid UTF-8 JSON (any escapes: CA-ENR-2),
whose `password` is the file's first line; and exit 0 at this honest CA.

Fixtures (conformance/plugin.py): `target` (pki, lab mode), `tmp_path`.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conformance._wire_fixtures import lab_pki
from conformance.plugin import inconclusive
from conformance.target import Target
from conformance.test_enroll_client import (
    Run,
    _ca_certificate,
    _fail,
    _honest,
    _run,
)

__all__: list[str] = []

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("initiator")]

_PASSWORDS = {
    "two_byte": "Zq7 caf\u00e9 pw",
    "three_byte": "Zq7 \u20ac 100 pw",
    "cjk": "Zq7 \u6f22\u5b57 pw",
    "four_byte": "Zq7 \U0001f511 key pw",
}


def _dechunk(data: bytes) -> bytes | None:
    """A chunked body (RFC 9112 §7.1), or None when it is not well formed or ends early."""
    body = b""
    for _ in range(1 << 16):
        line, sep, rest = data.partition(b"\r\n")
        if not sep:
            return None
        size_text = line.split(b";", 1)[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError:
            return None
        if size == 0:
            return body
        if len(rest) < size + 2 or rest[size : size + 2] != b"\r\n":
            return None
        body += rest[:size]
        data = rest[size + 2 :]
    return None


def _framed_body(raw: bytes) -> tuple[bytes | None, str]:
    """The body as a by-the-book CA reads it, and what its head announced."""
    head, sep, rest = raw.partition(b"\r\n\r\n")
    if not sep:
        return None, "no complete request head"
    fields: dict[str, list[str]] = {}
    for line in head.decode("latin-1").split("\r\n")[1:]:
        name, _, value = line.partition(":")
        fields.setdefault(name.strip().lower(), []).append(value.strip())
    if any("chunked" in v.lower() for v in fields.get("transfer-encoding", [])):
        return _dechunk(rest), "Transfer-Encoding: chunked"
    lengths = fields.get("content-length", [])
    if len(set(lengths)) != 1 or not lengths[0].isascii() or not lengths[0].isdigit():
        return None, f"Content-Length {lengths!r} (none, several, or not decimal digits)"
    length = int(lengths[0])
    announced = f"Content-Length: {length}; {len(rest)} bytes followed the head"
    if len(rest) < length:
        return None, announced + " (the body ends before its announced length)"
    extra = rest[length:]
    if extra and not extra.split(b" ", 1)[0].isalpha():
        # What follows the announced body is a next request to the CA: it must look like one.
        return None, announced + f" (then {extra[:40]!r}, which is no request line)"
    return rest[:length], announced


@pytest.mark.req("PWF-1")
@pytest.mark.parametrize("kind", list(_PASSWORDS))
def test_enrolment_client_body_holds_the_password_as_framed(
    target: Target, tmp_path: Path, kind: str
) -> None:
    lab = lab_pki(target)
    password = _PASSWORDS[kind]
    run: Run = _run(
        target,
        tmp_path,
        _ca_certificate(lab),
        _honest(lab),
        lab=lab,
        password_file=(password + "\n").encode(),
    )
    context = (
        f"PWF-1: enrolment with the password {password!r} ({len(password)} characters, "
        f"{len(password.encode())} UTF-8 bytes), read by a CA that takes exactly the "
        "announced body"
    )
    if run.ca.connections == 0:
        inconclusive(f"the enrolment client never connected to the CA ({run.describe()})")
    posts = [r for r in run.ca.raw if r.startswith(b"POST ") and b"/v1/enroll" in r[:200]]
    if not posts:
        _fail(
            context,
            f"a POST /v1/enroll carrying the password {password!r}, and exit 0",
            run,
            "no enrolment request reached the CA",
        )
    for raw in posts:
        body, announced = _framed_body(raw)
        if body is None:
            _fail(context, "a request body framed as its head announces", run, announced)
        assert body is not None
        try:
            value = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            _fail(
                context,
                "the announced body is UTF-8 JSON (CA-ENR-2)",
                run,
                f"{announced}; the CA cannot parse it: {exc}; its last bytes "
                f"{body[-60:]!r}",
            )
        sent = value.get("password") if isinstance(value, dict) else None
        if sent != password:
            _fail(context, f"the password {password!r} exactly", run, f"the CA read {sent!r}")
    if run.returncode != 0:
        _fail(context, "exit 0 (an honest CA answered with a root-issued certificate)", run)
