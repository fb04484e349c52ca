"""Profile pki-legacy: whom the sft-pki/0 CA certifies, for what, from when (§7.2).

test_legacy_ca0.py's format cases enrol the --enroll account as typed, with a payload
sealed the one right way, and read the answer's name, key and signature. A CA can pass
them and still:
- match the alias loosely (case-folded, trimmed): a name the organisation never gave,
  'ALICE' or ' alice', gets a certificate with alice's password, where an unknown alias
  MUST be answered 401 (LEG-CA-FMT-3);
- accept credentials sealed otherwise than OAEP-SHA-256 under the root (PKCS#1 v1.5,
  OAEP with SHA-1: a "compatibility" fallback), where the payload MUST be that OAEP block
  (LEG-CA-FMT-1);
- issue a certificate that is not valid when issued (a validity computed in the wrong
  unit, notBefore and notAfter swapped), or hand out a certificate issued earlier for the
  alias (a cache) instead of one for the key just posted (LEG-CA-FMT-2: the certificate
  carries the posted key; the seed issues it for 365 days from now).
"""

from __future__ import annotations

import base64
import datetime
import json

import pytest
from Crypto.Cipher import PKCS1_OAEP, PKCS1_v1_5
from Crypto.Hash import SHA1, SHA256
from Crypto.PublicKey import RSA

from conformance.legacy import der, pki0
from conformance.legacy.embedded import LegacyPkiTarget

pytestmark = pytest.mark.xdist_group("pki-legacy")

# The clock difference between the suite and the CA a case tolerates.
SKEW = datetime.timedelta(minutes=10)


def _fail(ids: str, evidence: str) -> None:
    pytest.fail(f"{ids} violated: {evidence}", pytrace=False)


def _enrolment(target: LegacyPkiTarget) -> tuple[str, str, bytes, str]:
    if not (target.ca_url and target.enroll and target.root):
        pytest.skip("needs the CA: --ca-url, --enroll ALIAS:PASSWORDFILE and --root")
    alias, password = target.enroll
    return alias, password, target.root.read_bytes(), target.ca_url


def _public_pem(key: RSA.RsaKey) -> bytes:
    return key.public_key().export_key("PEM") + b"\n"


def _body(payload: bytes, public_pem: bytes) -> bytes:
    return json.dumps(
        {"payload": base64.b64encode(payload).decode(), "public_key": public_pem.decode()}
    ).encode()


@pytest.mark.req("LEG-CA-FMT-3")
def test_an_alias_is_matched_exactly(pki_legacy: LegacyPkiTarget) -> None:
    """Names that are not the account's, with the account's password: each an unknown
    alias (401), not the account under another spelling."""
    alias, password, root_pem, url = _enrolment(pki_legacy)
    variants = [alias.upper(), alias.swapcase(), alias.capitalize(), f" {alias}", f"{alias} "]
    variants.append(f"{alias}\n")
    public_pem = _public_pem(pki0.suite_key(1))
    issued = []
    for name in dict.fromkeys(v for v in variants if v != alias):
        status, answer = pki0.post_verify(
            url, pki0.verify_body(root_pem, name, password, public_pem)
        )
        # Another refusal than 401 (400, 404, 429 of a throttling CA) is the status cases'
        # business (test_legacy_ca0.py); the finding here is a certificate.
        if status == 200:
            try:
                shown = f"CN={der.read_certificate_leniently(answer).subject_cn!r}"
            except ValueError:
                shown = f"{answer[:40]!r}"
            issued.append(f"{name!r} answered 200 ({shown})")
    assert not issued, (
        f"LEG-CA-FMT-3 (an unknown alias MUST be answered 401, not served): with the "
        f"password of {alias!r}, " + "; ".join(issued)
    )


@pytest.mark.req("LEG-CA-FMT-1")
def test_credentials_sealed_otherwise_earn_no_certificate(pki_legacy: LegacyPkiTarget) -> None:
    """The account's right credentials, sealed under the root's key in ways that are not
    the format's OAEP (SHA-256, MGF1-SHA-256, empty label), or not sealed: none may be
    answered with a certificate (400 is the format's answer, LEG-CA-FMT-3)."""
    alias, password, root_pem, url = _enrolment(pki_legacy)
    root = RSA.import_key(root_pem)
    credentials = json.dumps({"name": alias, "password": password}).encode()
    sealed = {
        "RSA PKCS#1 v1.5": PKCS1_v1_5.new(root).encrypt(credentials),
        "RSA-OAEP with SHA-1": PKCS1_OAEP.new(root, hashAlgo=SHA1).encrypt(credentials),
        "RSA-OAEP SHA-256 with the label 'sft'": PKCS1_OAEP.new(
            root, hashAlgo=SHA256, label=b"sft"
        ).encrypt(credentials),
        "not sealed (the credentials' JSON itself)": credentials,
    }
    public_pem = _public_pem(pki0.suite_key(1))
    issued = []
    for how, payload in sealed.items():
        status, answer = pki0.post_verify(url, _body(payload, public_pem))
        if status == 200 or b"-----BEGIN CERTIFICATE-----" in answer:
            issued.append(f"{how}: {status} {answer[:28]!r}")
    assert not issued, (
        f"LEG-CA-FMT-1 (payload is base64 of OAEP(root public key, CRED), SHA-256): the "
        f"credentials of {alias!r} sealed otherwise got a certificate: " + "; ".join(issued)
    )


@pytest.mark.req("LEG-CA-FMT-2")
def test_each_certificate_is_valid_when_issued_and_for_the_posted_key(
    pki_legacy: LegacyPkiTarget,
) -> None:
    """Two enrolments of the account, with two new keys: each answer is a certificate for
    THAT key, valid now (notBefore at most now, notAfter after now: the seed issues it
    for 365 days)."""
    alias, password, root_pem, url = _enrolment(pki_legacy)
    wrong = []
    for slot in (2, 3):
        key = pki0.suite_key(slot)
        before = datetime.datetime.now(datetime.UTC)
        status, answer = pki0.post_verify(
            url, pki0.verify_body(root_pem, alias, password, _public_pem(key))
        )
        if status != 200:
            pytest.skip(
                f"not judged: enrolment {slot - 1} of {alias!r} answered {status} (the format "
                "cases say why; a CA refusing a second key is LEG-CA-3's business)"
            )
        try:
            cert = der.read_certificate_leniently(answer)
        except ValueError:
            pytest.skip("not judged: the answer is no certificate (the format cases say how)")
        if cert.public_key != key.public_key():
            same = "an earlier enrolment's key" if slot == 3 else "another key"
            wrong.append(
                f"enrolment {slot - 1}: the certificate carries {same}, not the one posted"
            )
        not_before, not_after = cert.not_before, cert.not_after  # UTC (der._time)
        if not (not_before <= before + SKEW and not_after > before + SKEW):
            wrong.append(
                f"enrolment {slot - 1}: issued at about {before:%Y-%m-%d %H:%M:%S}Z, valid from "
                f"{not_before:%Y-%m-%d %H:%M:%S}Z to {not_after:%Y-%m-%d %H:%M:%S}Z: not valid "
                "when issued"
            )
    assert not wrong, (
        f"LEG-CA-FMT-2 (a certificate with CN = alias and the POSTED public key, signed by "
        f"the root; the seed's valid from issue for 365 days), for {alias!r}: " + "; ".join(wrong)
    )
