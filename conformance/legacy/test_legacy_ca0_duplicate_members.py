"""Profile pki-legacy: the alias and key a CA checks are the ones it certifies (§7.2).

CRED is the JSON object `{"name": ALIAS, "password": PASSWORD}` and the request body
`{"payload": …, "public_key": …}`; §7.2 gives each member once. A JSON text may still
carry a member twice, and parsers disagree on which one counts (Python's `json`, Go's
`encoding/json`, `JSON.parse` and most maps keep the last; a hand-written scanner finds
the first). A CA whose two steps read the same text two ways — a quick scan for the name
it looks up, a parsed map for the name it certifies; the key's type checked on one
member, the certificate built from the other — issues a certificate for an alias whose
password it never checked, or certifies a key it would have refused:
- `name` twice, the --enroll account's alias and an alias that is not in the accounts,
  in both orders, with the account's password: the CA may refuse the request as
  malformed (400), refuse the unknown alias (401), or take the account's alias for both
  steps (200, CN = that alias); a certificate for the unknown alias is an unknown alias
  not answered 401 (LEG-CA-FMT-3);
- `public_key` twice, an EC (P-256) key and the suite's RSA key, in both orders, with the
  account's right credentials: 400, or a certificate of the RSA key; a certificate of the
  EC key is a key that is not the peer's RSA key certified where a malformed request MUST
  be answered 400 (LEG-CA-FMT-1, LEG-CA-FMT-3). Judged only for a CA that refuses the EC
  key posted once (one that certifies it is reported by test_legacy_ca0_credentials.py).
The bodies are written by hand (a dict cannot hold a member twice).
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


def _sealed(root_pem: bytes, credentials: bytes) -> str:
    return base64.b64encode(pki0.oaep_encrypt(RSA.import_key(root_pem), credentials)).decode()


def _certificate(status: int, answer: bytes) -> der.CertificateInfo | None:
    if status != 200:
        return None
    try:
        return der.read_certificate_leniently(answer)
    except ValueError:
        return None


@pytest.mark.req("LEG-CA-FMT-3")
def test_a_certificate_names_the_alias_whose_password_was_checked(
    pki_legacy: LegacyPkiTarget,
) -> None:
    """CRED with `name` twice (the account's alias and an unknown one, both orders) and
    the account's password: never a certificate for the unknown alias."""
    alias, password, root_pem, url = _enrolment(pki_legacy)
    public = pki0.suite_key(3).public_key().export_key("PEM").decode() + "\n"
    stranger = f"nobody-{os.urandom(4).hex()}"
    wrong = []
    for first, last in ((alias, stranger), (stranger, alias)):
        credentials = (
            f'{{"name": {json.dumps(first)}, "password": {json.dumps(password)}, '
            f'"name": {json.dumps(last)}}}'
        ).encode()
        body = json.dumps({"payload": _sealed(root_pem, credentials), "public_key": public})
        status, answer = pki0.post_verify(url, body.encode())
        cert = _certificate(status, answer)
        if status == 200 and (cert is None or cert.subject_cn != alias):
            got = f"CN={cert.subject_cn!r}" if cert else f"{answer[:60]!r}"
            wrong.append(
                f"credentials {credentials.decode().replace(password, '<password>')!r} "
                f"were answered 200 with {got}"
            )
    assert not wrong, (
        "LEG-CA-FMT-3 (an unknown alias MUST be answered 401; a certificate is for the "
        f"alias whose password was checked): {'; '.join(wrong)} — {stranger!r} is no "
        f"account; only {alias!r}'s password was sent: the alias looked up is not the "
        "alias certified"
    )


@pytest.mark.req("LEG-CA-FMT-3", "LEG-CA-FMT-1")
def test_a_key_posted_twice_is_never_certified_as_the_one_refused(
    pki_legacy: LegacyPkiTarget,
) -> None:
    """The account's right credentials with the EC key once (refused, or not judged), then
    with `public_key` twice (an EC P-256 key and the suite's RSA key, both orders): 400, or
    a certificate of the RSA key; never of the EC key."""
    alias, password, root_pem, url = _enrolment(pki_legacy)
    rsa_key = pki0.suite_key(3)
    rsa_pem = rsa_key.public_key().export_key("PEM").decode() + "\n"
    ec_pem = ECC.generate(curve="P-256").public_key().export_key(format="PEM") + "\n"
    credentials = json.dumps({"name": alias, "password": password}).encode()
    once = json.dumps({"payload": _sealed(root_pem, credentials), "public_key": ec_pem})
    status, answer = pki0.post_verify(url, once.encode())
    if status == 200:
        pytest.skip(
            "not judged: an EC key posted once is certified too (no type check at all: "
            "test_legacy_ca0_credentials.py reports it)"
        )
    wrong = []
    for first, last, order in (
        (ec_pem, rsa_pem, "EC, then RSA"),
        (rsa_pem, ec_pem, "RSA, then EC"),
    ):
        payload = _sealed(root_pem, credentials)
        body = (
            f'{{"payload": {json.dumps(payload)}, "public_key": {json.dumps(first)}, '
            f'"public_key": {json.dumps(last)}}}'
        ).encode()
        status, answer = pki0.post_verify(url, body)
        if status != 200:
            continue
        cert = _certificate(status, answer)
        if cert is None:
            wrong.append(f"public_key {order}: 200 with {answer[:60]!r}, no certificate")
        elif cert.public_key != rsa_key.public_key():
            wrong.append(f"public_key {order}: a certificate for CN={cert.subject_cn!r} whose "
                         "key is not the posted RSA key (the EC key certified)")  # fmt: skip
    assert not wrong, (
        "LEG-CA-FMT-3, LEG-CA-FMT-1 (public_key is the enrolling peer's RSA public key; a "
        f"request that is not MUST be answered 400): {alias!r}'s right credentials with "
        f"public_key given twice: {'; '.join(wrong)} — the key whose type was checked is not "
        "the key certified"
    )
