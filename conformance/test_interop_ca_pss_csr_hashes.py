"""A CSR signed with RSASSA-PSS over a weak hash is refused (SPEC §4.4: CA-ENR-13).

CA-ENR-13: a CSR signed with a hash weaker than SHA-256 (SHA-1, MD5) MUST be refused
`400 {"error": "bad_csr"}`. With PKCS#1 v1.5 and ECDSA the hash is in the signature
algorithm's OID (`sha1WithRSAEncryption`, `ecdsa-with-SHA1`), and the CSR cases of the
suite send those. RSASSA-PSS has ONE OID (`id-RSASSA-PSS`) for every hash: the hash is
in its parameters, and when they are left out (an empty SEQUENCE) it is SHA-1 with
MGF1-SHA-1 (RFC 4055 §3.1). A CA that judges the signature by its algorithm's NAME —
"rsassaPss" taken for a modern scheme, a list of allowed OIDs holding id-RSASSA-PSS —
issues for a SHA-1 signature.

Each case sends the enrolment account's right password with an RSA-2048 CSR whose PSS
signature (checked here before sending) is over a hash weaker than SHA-256, from a new
address: `400 bad_csr`, never a certificate.
"""

from __future__ import annotations

import functools
from typing import Any

import pytest
from Crypto.Hash import MD5, SHA1, SHA224
from Crypto.PublicKey import RSA
from Crypto.Signature import pss

from conformance import ca_support as ca
from conformance import x509
from conformance.target import Target
from conformance.wire import ConformanceFailure

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("ca"), pytest.mark.xdist_group("ca")]

_OID_PSS = "1.2.840.113549.1.1.10"
_OID_MGF1 = "1.2.840.113549.1.1.8"
_HASHES: dict[str, tuple[Any, str]] = {
    "sha1": (SHA1, "1.3.14.3.2.26"),
    "sha224": (SHA224, "2.16.840.1.101.3.4.2.4"),
    "md5": (MD5, "1.2.840.113549.2.5"),
}
# form -> (hash, parameters written out): "default" is the empty SEQUENCE (RFC 4055's
# defaults: SHA-1, MGF1-SHA-1, a 20-byte salt).
_FORMS = {
    "sha1-default-parameters": ("sha1", False),
    "sha1-explicit": ("sha1", True),
    "sha224-explicit": ("sha224", True),
    "md5-explicit": ("md5", True),
}


@functools.cache
def _key() -> Any:
    return RSA.generate(2048)


def _algorithm(hash_name: str, explicit: bool) -> bytes:
    if not explicit:
        return x509._seq(x509._oid(_OID_PSS), x509._seq())
    module, oid = _HASHES[hash_name]
    hash_id = x509._seq(x509._oid(oid), b"\x05\x00")
    return x509._seq(
        x509._oid(_OID_PSS),
        x509._seq(
            x509._context(0, hash_id),
            x509._context(1, x509._seq(x509._oid(_OID_MGF1), hash_id)),
            x509._context(2, x509._int(module.digest_size)),
        ),
    )


def _csr(alias: str, hash_name: str, explicit: bool) -> str:
    key = _key()
    spki = bytes(key.public_key().export_key(format="DER"))
    info = x509._seq(x509._int(0), ca.name((ca.OID_CN, alias)), spki, b"\xa0\x00")
    module, _oid = _HASHES[hash_name]
    signature = pss.new(key, salt_bytes=module.digest_size).sign(module.new(info))
    # Our own signature verifies (so a refusal is the CA's judgement of the hash).
    pss.new(key.public_key(), salt_bytes=module.digest_size).verify(module.new(info), signature)
    der = x509._seq(info, _algorithm(hash_name, explicit), x509._prim(0x03, b"\x00" + signature))
    return x509.pem_encode(der, "CERTIFICATE REQUEST")


@pytest.mark.req("CA-ENR-13")
@pytest.mark.parametrize("form", list(_FORMS))
def test_pss_csr_over_a_weak_hash_is_refused(pki_target: Target, form: str) -> None:
    ca.ca_address(pki_target)
    account = ca.enrolee(pki_target)
    hash_name, explicit = _FORMS[form]
    answer = ca.enrol(pki_target, account.user, account.password, _csr(account.user, *_FORMS[form]))
    if answer.status == 200:
        obj = ca.json_body(answer, "the enrolment")
        serial = "?"
        if isinstance(obj.get("certificate"), str):
            serial = hex(ca.read_issued(obj["certificate"]).serial)
        raise ConformanceFailure.evidence(
            f"CA-ENR-13: {account.user!r} with its right password and an RSA-2048 CSR "
            f"signed with RSASSA-PSS over {hash_name.upper()} "
            f"({'parameters written out' if explicit else 'empty parameters: the defaults'}), "
            "from a new address",
            "400 bad_csr: the hash is weaker than SHA-256",
            f"HTTP 200, a certificate was issued (serial {serial})",
            note="id-RSASSA-PSS names no hash: the CA must read its parameters (RFC 4055)",
        )
    if answer.status in (429, 503):
        pytest.skip(f"the enrolment account was held off: {answer.describe()}")
    obj = ca.json_body(answer, "the enrolment")
    if answer.status != 400 or obj.get("error") != "bad_csr":
        raise ConformanceFailure.evidence(
            f"CA-ENR-13: {account.user!r}, its right password, an RSASSA-PSS CSR over "
            f"{hash_name.upper()}",
            '400 {"error": "bad_csr"}',
            answer.describe(),
        )
