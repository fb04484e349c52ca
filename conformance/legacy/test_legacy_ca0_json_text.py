"""Profile pki-legacy: the CA's request body and CRED are each ONE JSON text (§7.2).

The request body "MUST be a JSON object with `payload` … and `public_key`"
(LEG-CA-FMT-1) and CRED is "UTF-8 JSON {"name", "password"}"; anything else is a
malformed request, answered `400` (LEG-CA-FMT-3). test_legacy_ca0.py's refusals send
bodies that no JSON reader takes (form text, an array, a member missing). A CA can refuse
all of them and still take a body that BEGINS with a good request: a streaming decoder
that reads one value and never looks at what follows (Go's
`json.NewDecoder(r.Body).Decode(&req)`, Jackson's `readValue` without
FAIL_ON_TRAILING_TOKENS, a hand-made parser that returns at the closing brace) certifies
`{…good request…}` followed by a second object, by stray text, or by the start of another
request; the same reader on the decrypted CRED takes `{"name", "password"}` followed by
anything. Each such body is posted with the --enroll account's right credentials and a
key of the suite's own: each MUST be answered `400`, never a certificate. (Whitespace
around a JSON text is part of JSON and is not judged here.)
"""

from __future__ import annotations

import base64
import json

import pytest
from Crypto.PublicKey import RSA

from conformance.legacy import pki0
from conformance.legacy.embedded import LegacyPkiTarget
from conformance.legacy.test_legacy_ca0_credentials import _enrolment, _public_pem, _what

pytestmark = pytest.mark.xdist_group("pki-legacy")


def _fail(ids: str, evidence: str) -> None:
    pytest.fail(f"{ids} violated: {evidence}", pytrace=False)


def _request(root: RSA.RsaKey, credentials: bytes, public_pem: bytes) -> bytes:
    sealed = base64.b64encode(pki0.oaep_encrypt(root, credentials)).decode()
    return json.dumps({"payload": sealed, "public_key": public_pem.decode()}).encode()


@pytest.mark.req("LEG-CA-FMT-1", "LEG-CA-FMT-3")
def test_text_after_the_json_value_is_malformed(pki_legacy: LegacyPkiTarget) -> None:
    alias, password, root_pem, url = _enrolment(pki_legacy)
    root = RSA.import_key(root_pem)
    credentials = json.dumps({"name": alias, "password": password}).encode()
    public = _public_pem(pki0.suite_key(6))
    # The control: the same credentials and key, as the format writes them, are certified.
    status, answer = pki0.post_verify(url, _request(root, credentials, public))
    if status != 200:
        pytest.skip(f"not judged: the right credentials got {_what(status, answer)} (the "
                    "format cases say why)")  # fmt: skip
    good = _request(root, credentials, public)
    forms = {
        # the request body
        "the body followed by a second JSON object": good + b" {}",
        "the body followed by stray text": good + b"x",
        "the body followed by the start of another request": good + b'{"payload": ',
        # CRED, inside the OAEP block
        "CRED followed by a second JSON object": _request(root, credentials + b" {}", public),
        "CRED followed by a closing brace": _request(root, credentials + b"}", public),
    }
    wrong = []
    for what, body in forms.items():
        status, answer = pki0.post_verify(url, body)
        if status != 400:
            wrong.append(f"{what}: {_what(status, answer)}")
    if wrong:
        _fail(
            "LEG-CA-FMT-1 (the body is a JSON object; CRED is UTF-8 JSON {name, password}), "
            "LEG-CA-FMT-3 (a malformed request is answered 400)",
            f"the right credentials of {alias!r} (certified as the format writes them) "
            "posted as " + "; ".join(wrong),
        )
