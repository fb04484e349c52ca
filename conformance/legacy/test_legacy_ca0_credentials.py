"""Profile pki-legacy: what the sft-pki/0 CA takes for credentials and for a key (§7.2).

test_legacy_ca0.py's refusals send an unknown alias with the --enroll account's password,
garbage where the payload or the key should be, and a body that is not JSON. A CA can
refuse all of them and still fail open on the ones in between:
- an unknown alias looked up without asking whether it is there: a map's zero value
  (Go's `users[name]`, a `dict.get(name, "")`, an empty C string) is the password "",
  and an unknown alias with an EMPTY password is enrolled, where an unknown alias MUST be
  answered 401 (LEG-CA-FMT-3);
- a payload that decrypts but holds no JSON object (`alice:pw`, an array, nothing): the
  decoding error ignored (`_ = json.Unmarshal`, an unchecked parser return), the empty
  credentials then refused 401 as a wrong password, where a malformed request MUST be
  answered 400 (LEG-CA-FMT-3: the format says which is which);
- a `public_key` that is a well-formed PEM SubjectPublicKeyInfo but not RSA (an EC key):
  a check that the PEM parses and nothing else certifies it, where the request's key is
  "the enrolling peer's RSA public key" (LEG-CA-FMT-1) and anything else is malformed:
  400 (LEG-CA-FMT-3).
"""

from __future__ import annotations

import base64
import json
import os

import pytest
from Crypto.PublicKey import ECC, RSA

from conformance.legacy import der, pki0
from conformance.legacy.embedded import LegacyPkiTarget

pytestmark = pytest.mark.xdist_group("pki-legacy")


def _enrolment(target: LegacyPkiTarget) -> tuple[str, str, bytes, str]:
    if not (target.ca_url and target.enroll and target.root):
        pytest.skip("needs the CA: --ca-url, --enroll ALIAS:PASSWORDFILE and --root")
    alias, password = target.enroll
    return alias, password, target.root.read_bytes(), target.ca_url


def _public_pem(key: RSA.RsaKey) -> bytes:
    return key.public_key().export_key("PEM") + b"\n"


def _sealed_body(root_pem: bytes, credentials: bytes, public_pem: bytes) -> bytes:
    sealed = pki0.oaep_encrypt(RSA.import_key(root_pem), credentials)
    return json.dumps(
        {"payload": base64.b64encode(sealed).decode(), "public_key": public_pem.decode()}
    ).encode()


def _what(status: int, answer: bytes) -> str:
    if status == 200:
        try:
            cert = der.read_certificate_leniently(answer)
            return f"200 and a certificate for CN={cert.subject_cn!r}"
        except ValueError:
            return f"200 {answer[:40]!r}"
    return f"{status} {answer[:40]!r}"


@pytest.mark.req("LEG-CA-FMT-3")
def test_an_unknown_alias_is_refused_whatever_its_password(pki_legacy: LegacyPkiTarget) -> None:
    """An alias the accounts file does not have, with an empty password, then with the
    --enroll account's password, then the empty alias with an empty password: 401 each
    time (an empty name or password may also be taken for a malformed request, 400);
    never a certificate."""
    alias, password, root_pem, url = _enrolment(pki_legacy)
    public = _public_pem(pki0.suite_key(3))
    unknown = f"nobody-{os.urandom(4).hex()}"
    wrong = []
    for name, tried, allowed in (
        (unknown, "", (401, 400)),
        (unknown, password, (401,)),
        ("", "", (401, 400)),
    ):
        credentials = json.dumps({"name": name, "password": tried}).encode()
        status, answer = pki0.post_verify(url, _sealed_body(root_pem, credentials, public))
        if status not in allowed:
            shown = "an empty password" if not tried else f"{alias!r}'s password"
            wrong.append(f"{name!r} with {shown}: {_what(status, answer)}")
    assert not wrong, (
        "LEG-CA-FMT-3 (an unknown alias MUST be answered 401): "
        + "; ".join(wrong)
        + " — an alias that is not in the accounts was looked up as if it were"
    )


@pytest.mark.req("LEG-CA-FMT-3")
def test_credentials_that_are_no_json_object_get_400(pki_legacy: LegacyPkiTarget) -> None:
    """Payloads sealed the right way (OAEP-SHA-256 under the root) around `ALIAS:PASSWORD`,
    a JSON array of the two, and nothing: each a malformed request, 400 — not 401 (the
    credentials were never read) and never a certificate."""
    alias, password, root_pem, url = _enrolment(pki_legacy)
    public = _public_pem(pki0.suite_key(3))
    probes = {
        "'ALIAS:PASSWORD' (no JSON)": f"{alias}:{password}".encode(),
        "a JSON array [ALIAS, PASSWORD]": json.dumps([alias, password]).encode(),
        "nothing (0 bytes)": b"",
    }
    wrong = []
    for what, credentials in probes.items():
        status, answer = pki0.post_verify(url, _sealed_body(root_pem, credentials, public))
        if status != 400:
            wrong.append(f"credentials {what}: {_what(status, answer)}")
    assert not wrong, (
        "LEG-CA-FMT-3 (a malformed request MUST be answered 400; 401 is for a wrong password "
        "or an unknown alias): " + "; ".join(wrong)
    )


@pytest.mark.req("LEG-CA-FMT-3", "LEG-CA-FMT-1")
def test_a_public_key_that_is_not_rsa_gets_400(pki_legacy: LegacyPkiTarget) -> None:
    """The --enroll account's right credentials with an EC (P-256) public key, a valid PEM
    SubjectPublicKeyInfo: `public_key` is the peer's RSA key, so the request is malformed:
    400, and no certificate."""
    alias, password, root_pem, url = _enrolment(pki_legacy)
    ec_public = ECC.generate(curve="P-256").public_key().export_key(format="PEM").encode() + b"\n"
    credentials = json.dumps({"name": alias, "password": password}).encode()
    status, answer = pki0.post_verify(url, _sealed_body(root_pem, credentials, ec_public))
    assert status == 400, (
        "LEG-CA-FMT-3, LEG-CA-FMT-1 (public_key is the enrolling peer's RSA public key; a "
        f"malformed request MUST be answered 400): {alias!r}'s right credentials with an EC "
        f"P-256 public key were answered {_what(status, answer)}: the key's type was not checked"
    )
