"""An RSA key whose public exponent is not 65537 is an RSA key of PKI-CERT-1 (docs/SPEC.md
§4.2, §4.4, CA-ENR-2).

PKI-CERT-1 and CA-ENR-13 judge an RSA key by its modulus: "RSA of at least 2048 bits",
and CA-ENR-13 says the CA MUST NOT refuse a key whose public exponent is odd and from
65537 to 2^256 − 1 (smaller ones MAY be refused, as the CA/Browser Forum's rules do).
The exponent is the key holder's choice: 65537 (F4) is every library's default, but
tokens and other tools use other values. A CA that refuses every exponent but 65537, or
reads the exponent into a 32-bit field, or compares the key's encoding with an F4
template, answers a valid CSR `400 bad_csr`: a legal enrolment refused (CA-ENR-2: `200`
when the alias exists, the password is right and the CSR is valid).

Each case sends the enrolee's right password with a valid SHA-256 CSR for an RSA-2048 key
of one exponent — the first above F4 (65539) and, with the slow cases, the first prime
past 2^32 (4294967311: a fixed 32-bit field overflows) — and expects `200` with a
certificate for that very key. The keys are made once per run.
"""

from __future__ import annotations

import pytest

from conformance import ca_support as ca
from conformance.plugin import run_shared_bytes
from conformance.target import Target
from conformance.wire import ConformanceFailure

pytestmark = [pytest.mark.profile("pki"), pytest.mark.xdist_group("ca")]

# The first exponent above F4 in the default run (the key takes ~1-2 s to make); the first
# prime past 2^32 with the slow cases.
_EXPONENTS = (65539, pytest.param(2**32 + 15, marks=pytest.mark.slow))


def _key(config: pytest.Config, exponent: int) -> ca.CsrKey:
    from Crypto.PublicKey import RSA

    pem = run_shared_bytes(
        config,
        f"csr-rsa-2048-e{exponent}.pem",
        lambda: bytes(RSA.generate(2048, e=exponent).export_key()),
    )
    return ca.CsrKey(RSA.import_key(pem), "rsa")


@pytest.mark.req("CA-ENR-2")
@pytest.mark.parametrize("exponent", _EXPONENTS)
def test_an_rsa_key_with_another_public_exponent_gets_a_certificate(
    pki_target: Target, pytestconfig: pytest.Config, exponent: int
) -> None:
    ca.ca_address(pki_target)
    key = _key(pytestconfig, exponent)
    account = ca.enrolee(pki_target)
    csr = ca.csr_pem(key, ca.name((ca.OID_CN, account.user)))
    answer = ca.enrol(pki_target, account.user, account.password, csr)
    obj = ca.json_body(answer, f"enrolment with an RSA-2048 key, e = {exponent}")
    if answer.status != 200 or not isinstance(obj.get("certificate"), str):
        raise ConformanceFailure.evidence(
            f"CA-ENR-2: the enrolee's right password and a valid SHA-256 CSR for an RSA-2048 "
            f"key whose public exponent is {exponent}",
            "200 with a certificate: CA-ENR-13 judges an RSA key by its modulus, and an odd "
            "public exponent from 65537 to 2^256 - 1 MUST NOT be refused",
            answer.describe(),
            note="the exponent judged (65537 only) where PKI-CERT-1 judges the modulus size",
        )
    cert = ca.read_issued(obj["certificate"])
    if cert.spki != key.spki():
        raise ConformanceFailure(
            f"CA-ENR-2: the certificate answered for the RSA key with e = {exponent} is not "
            "for that key (its SubjectPublicKeyInfo differs from the CSR's)"
        )
