"""Profile pki-legacy: `public_key` is a PEM key and CRED names `name` and `password` (§7.2).

The request body is `{"payload": …, "public_key": PEM(SubjectPublicKeyInfo)}` and CRED the
JSON `{"name": ALIAS, "password": PASSWORD}` (LEG-CA-FMT-1); anything else is a malformed
request, answered `400` (LEG-CA-FMT-3). test_legacy_ca0*.py's refusals post garbage as
the key ("not a key") and CRED that is no JSON object, which no shim takes. A CA can
refuse those and still take, with the right credentials, a request of another form, a
compatibility shim left on for every peer:
- `public_key` without its PEM armour: the base64 of the DER SubjectPublicKeyInfo ("Java
  clients send getEncoded()"), of a PKCS#1 RSAPublicKey, the same DER in hex or in the
  URL-safe alphabet — a key decoder tried on the bare text;
- CRED whose alias member is spelt otherwise (`alias`, `user`, `username`: "the old
  client said alias") or whose password member is (`pass`, `pwd`): a fallback that reads
  the other spelling when `name` or `password` is absent.
Each is posted with the --enroll account's right credentials and a key of the suite's own.
An unarmoured key MUST be answered `400`. A CRED without `name` or without `password` MUST
NOT be certified (a CA that reads the absent member as "" and answers `401`, as a typed
JSON decoder does, is not judged here). Not asked: a PEM key of another label (PKCS#1
`RSA PUBLIC KEY`, a certificate), which common PEM loaders (Python's `cryptography`,
Node's createPublicKey) take as they are, and member names differing only in case, which
Go's encoding/json matches by default (the language's decoder, not a choice of the CA).
"""

from __future__ import annotations

import base64
import json

import pytest

from conformance.legacy import pki0
from conformance.legacy.embedded import LegacyPkiTarget
from conformance.legacy.test_legacy_ca0_credentials import (
    _enrolment,
    _public_pem,
    _sealed_body,
    _what,
)

pytestmark = pytest.mark.xdist_group("pki-legacy")


def _fail(ids: str, evidence: str) -> None:
    pytest.fail(f"{ids} violated: {evidence}", pytrace=False)


def _control(url: str, root_pem: bytes, alias: str, password: str) -> None:
    """The right credentials in the format's form are certified, or the case is not judged."""
    credentials = json.dumps({"name": alias, "password": password}).encode()
    status, answer = pki0.post_verify(
        url, _sealed_body(root_pem, credentials, _public_pem(pki0.suite_key(6)))
    )
    if status != 200:
        pytest.skip(
            f"not judged: the right credentials got {_what(status, answer)} (the format cases "
            "say why)"
        )


@pytest.mark.req("LEG-CA-FMT-1", "LEG-CA-FMT-3")
def test_a_public_key_without_pem_armour_is_malformed(pki_legacy: LegacyPkiTarget) -> None:
    alias, password, root_pem, url = _enrolment(pki_legacy)
    _control(url, root_pem, alias, password)
    credentials = json.dumps({"name": alias, "password": password}).encode()
    key = pki0.suite_key(7).public_key()
    spki = key.export_key("DER")
    pkcs1 = key.export_key("DER", pkcs=1)
    forms = {
        "the base64 of its DER SubjectPublicKeyInfo, no armour": base64.b64encode(spki),
        "the base64 of its DER SubjectPublicKeyInfo in 64-column lines, no armour": b"\n".join(
            base64.b64encode(spki)[i : i + 64] for i in range(0, len(base64.b64encode(spki)), 64)
        )
        + b"\n",
        "the base64 of its DER PKCS#1 RSAPublicKey, no armour": base64.b64encode(pkcs1),
        "its DER SubjectPublicKeyInfo in hex": spki.hex().encode(),
        "the URL-safe base64 of its DER SubjectPublicKeyInfo": base64.urlsafe_b64encode(spki),
    }
    wrong = []
    for what, public in forms.items():
        status, answer = pki0.post_verify(url, _sealed_body(root_pem, credentials, public))
        if status != 400:
            wrong.append(f"{what}: {_what(status, answer)}")
    if wrong:
        _fail(
            "LEG-CA-FMT-1 (public_key is the enrolling peer's RSA public key, PEM "
            "SubjectPublicKeyInfo), LEG-CA-FMT-3 (a malformed request is answered 400)",
            f"{alias!r}'s right credentials (certified with a PEM key) posted with a public_key "
            "of " + "; ".join(wrong),
        )


@pytest.mark.req("LEG-CA-FMT-1", "LEG-CA-FMT-3")
def test_credentials_without_name_or_password_are_not_certified(
    pki_legacy: LegacyPkiTarget,
) -> None:
    alias, password, root_pem, url = _enrolment(pki_legacy)
    _control(url, root_pem, alias, password)
    public = _public_pem(pki0.suite_key(8))
    forms = {
        '"alias" for "name"': {"alias": alias, "password": password},
        '"user" for "name"': {"user": alias, "password": password},
        '"username" for "name"': {"username": alias, "password": password},
        '"pass" for "password"': {"name": alias, "pass": password},
        '"pwd" for "password"': {"name": alias, "pwd": password},
    }
    wrong = []
    for what, cred in forms.items():
        status, answer = pki0.post_verify(
            url, _sealed_body(root_pem, json.dumps(cred).encode(), public)
        )
        if status == 200 or not 400 <= status < 500:
            wrong.append(f"{what}: {_what(status, answer)}")
    if wrong:
        _fail(
            'LEG-CA-FMT-1 (CRED is {"name": ALIAS, "password": PASSWORD}), LEG-CA-FMT-3 (a '
            "malformed request is answered 400, a wrong password or unknown alias 401)",
            f"{alias!r}'s right credentials with a member spelt otherwise, sealed to the root: "
            + "; ".join(wrong),
        )
