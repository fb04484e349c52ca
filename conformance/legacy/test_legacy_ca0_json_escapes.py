"""Profile pki-legacy: the CA reads its request body as JSON, escapes and all (§7.2).

LEG-CA-FMT-1: the body "MUST be a JSON object with `payload` … and `public_key`". JSON
lets a writer escape any character of a string (`\\/` for `/`, as PHP's json_encode and
several Java writers do by default; `\\uXXXX` for any character) and put the members in
any order. A CA that reads a member by a second, hand-made rule next to its JSON parser
(a regex over the raw body for `"payload": "…"` — for a log line, a replay check, a
size check — or a "find the value after the key" scan) gets the escaped text, not the
string, and refuses a well-formed request from such a client. Each body below is the
request of the format with the --enroll account's right credentials and a key of the
suite's own, written another way JSON allows: each MUST be answered like the plain one,
`200` and a certificate for the alias (LEG-CA-FMT-2).
"""

from __future__ import annotations

import base64
import json

import pytest
from Crypto.PublicKey import RSA

from conformance.legacy import der, pki0
from conformance.legacy.embedded import LegacyPkiTarget
from conformance.legacy.test_legacy_ca0_credentials import _enrolment, _public_pem, _what

pytestmark = pytest.mark.xdist_group("pki-legacy")


def _fail(ids: str, evidence: str) -> None:
    pytest.fail(f"{ids} violated: {evidence}", pytrace=False)


def _escape_all(text: str) -> str:
    """`text` as a JSON string literal body with every character as \\uXXXX."""
    return "".join(f"\\u{ord(c):04x}" for c in text)


def _body(payload: str, public: str, order: str = "pp") -> bytes:
    members = [f'"payload": "{payload}"', f'"public_key": {public}']
    if order == "kp":
        members.reverse()
    return ("{" + ", ".join(members) + "}").encode()


@pytest.mark.req("LEG-CA-FMT-1", "LEG-CA-FMT-2")
def test_json_escapes_in_the_request_are_read_as_json(pki_legacy: LegacyPkiTarget) -> None:
    alias, password, root_pem, url = _enrolment(pki_legacy)
    root = RSA.import_key(root_pem)
    credentials = json.dumps({"name": alias, "password": password}).encode()
    public = _public_pem(pki0.suite_key(6))
    public_json = json.dumps(public.decode())

    def sealed() -> str:
        return base64.b64encode(pki0.oaep_encrypt(root, credentials)).decode()

    # The control: the request as the format writes it is certified.
    status, answer = pki0.post_verify(url, _body(sealed(), public_json))
    if status != 200:
        pytest.skip(f"not judged: the right credentials got {_what(status, answer)} (the "
                    "format cases say why)")  # fmt: skip
    slashed = sealed()
    for _ in range(64):  # bounded: nearly every 344-character base64 text has a '/'
        if "/" in slashed:
            break
        slashed = sealed()
    forms = {
        "payload with '/' written '\\/'": _body(slashed.replace("/", "\\/"), public_json),
        "payload with every character written \\uXXXX": _body(_escape_all(sealed()), public_json),
        "public_key with '/' written '\\/'": _body(sealed(), public_json.replace("/", "\\/")),
        "public_key before payload": _body(sealed(), public_json, order="kp"),
    }
    wrong = []
    for what, body in forms.items():
        status, answer = pki0.post_verify(url, body)
        if status != 200:
            wrong.append(f"{what}: {_what(status, answer)}")
            continue
        try:
            cn = der.read_certificate_leniently(answer).subject_cn
        except ValueError:
            wrong.append(f"{what}: 200 but no certificate ({answer[:40]!r})")
            continue
        if cn != alias:
            wrong.append(f"{what}: a certificate for CN={cn!r}")
    if wrong:
        _fail(
            "LEG-CA-FMT-1 (the body is a JSON object with payload and public_key), "
            "LEG-CA-FMT-2 (the right credentials are answered 200 and a certificate)",
            f"the right credentials of {alias!r} (certified as the format writes them) "
            "posted in JSON written another way: " + "; ".join(wrong),
        )
