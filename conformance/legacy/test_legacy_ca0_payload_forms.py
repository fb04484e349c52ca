"""Profile pki-legacy: the CA's `payload` is standard base64 of one OAEP block (§7.2).

`payload` is "standard base64, with padding, of a 256-byte OAEP(root public key, CRED)"
(LEG-CA-FMT-1); anything else is a malformed request, answered `400` (LEG-CA-FMT-3).
test_legacy_ca0*.py's refusals send garbage that no decoder takes, so a CA can refuse
them and still take, with the right credentials, a payload of another form:
- base64 decoded by a lenient decoder (Node's `Buffer.from(s, 'base64')`, Python's
  `b64decode` without `validate`, a hand-made table), behind a check whose two clauses
  are joined by `and` where `or` was meant (`!alphabet.test(s) && s.length % 4`): the
  URL-safe alphabet (`-`, `_`) decodes to the same 256 bytes and enrols (the same block
  without its `=` padding is not judged: many standard decoders, Java's among them, take
  it, and it names the same bytes);
- a payload that does not decrypt tried as the credentials JSON in clear ("clients that
  cannot do OAEP"): the password then travels in plain base64 and is accepted;
- a decoder that skips what is not in the alphabet (Java's `Base64.getMimeDecoder()`,
  Node's `Buffer.from`, `b64decode` without `validate`, "tolerate line breaks"): the
  standard payload with a character outside the alphabet inserted (`*`, `.`) decodes to
  the same 256 bytes and enrols, where RFC 4648 §3.3 has base64 data with a character
  outside the base alphabet rejected (line breaks, which several standard decoders skip,
  are not judged).
Each is posted with the --enroll account's right credentials and a key of its own: each
MUST be answered `400`, never a certificate.
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


def _body(payload: str, public_pem: bytes) -> bytes:
    return json.dumps({"payload": payload, "public_key": public_pem.decode()}).encode()


@pytest.mark.req("LEG-CA-FMT-1", "LEG-CA-FMT-3")
def test_a_payload_of_another_form_is_malformed(pki_legacy: LegacyPkiTarget) -> None:
    alias, password, root_pem, url = _enrolment(pki_legacy)
    root = RSA.import_key(root_pem)
    credentials = json.dumps({"name": alias, "password": password}).encode()
    public = _public_pem(pki0.suite_key(5))
    # The control: the right credentials in the format's form are certified.
    status, answer = pki0.post_verify(url, _body(
        base64.b64encode(pki0.oaep_encrypt(root, credentials)).decode(), public))  # fmt: skip
    if status != 200:
        pytest.skip(f"not judged: the right credentials got {_what(status, answer)} (the "
                    "format cases say why)")  # fmt: skip
    for _ in range(64):  # a block whose base64 has '+' or '/' (nearly every one)
        standard = base64.b64encode(pki0.oaep_encrypt(root, credentials)).decode()
        if "+" in standard or "/" in standard:
            break
    forms = {
        "the URL-safe alphabet ('-', '_')": standard.replace("+", "-").replace("/", "_"),
        "the credentials JSON in clear, base64": base64.b64encode(credentials).decode(),
        "a '*' inserted in its middle": standard[:172] + "*" + standard[172:],
        "a '.' inserted before it": "." + standard,
    }
    wrong = []
    for what, payload in forms.items():
        status, answer = pki0.post_verify(url, _body(payload, public))
        if status != 400:
            wrong.append(f"{what}: {_what(status, answer)}")
    if wrong:
        _fail(
            "LEG-CA-FMT-1 (payload is standard base64, with padding, of a 256-byte "
            "OAEP(root public key, CRED)), LEG-CA-FMT-3 (a malformed request is answered 400)",
            f"the right credentials of {alias!r} (certified in the format's form) posted with "
            "a payload of " + "; ".join(wrong),
        )
