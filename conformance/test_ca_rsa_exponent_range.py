"""Every odd RSA public exponent from 65537 to 2^256 − 1 is allowed, the large ones too
(docs/SPEC.md §4.4, CA-ENR-13, CA-ENR-2).

CA-ENR-13: "An RSA key is judged by its modulus: the CA MUST NOT refuse one whose public
exponent is odd and from 65537 to 2^256 − 1". The range's top is the SPEC's number, and
the common ways to get it wrong sit at machine-word boundaries: Go's crypto/rsa refuses
exponents above 2^31 − 1, a C `unsigned long` or a Java `int` field holds 32 bits, a
database column or a struct 64; a CA on such a stack answers a valid CSR `400 bad_csr`.
test_ca_rsa_public_exponents.py sends 65539 (and, slow, one prime past 2^32, each exponent
a new key); here one RSA-2048 modulus — the run's shared test key's primes — carries an
exponent just past each boundary, so no new key is made: the first primes above 2^31,
2^32 and 2^64, and the largest prime below 2^256 (the range's top end).

Each case sends the enrolee's right password and a valid SHA-256 CSR signed by that key,
and MUST get `200` with a certificate for that very key (its SubjectPublicKeyInfo).
"""

from __future__ import annotations

import math

import pytest
from Crypto.PublicKey import RSA
from Crypto.Util.number import isPrime

from conformance import ca_support as ca
from conformance.plugin import run_shared_bytes
from conformance.target import Target
from conformance.wire import ConformanceFailure

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("ca"), pytest.mark.xdist_group("ca")]

_BOUNDARIES = {
    "past-2^31": 2**31,
    "past-2^32": 2**32,
    "past-2^64": 2**64,
    "below-2^256": 2**256,
}


def _exponent(boundary: int, modulus_lambda: int) -> int:
    """The first prime above `boundary` (below it for 2^256), coprime to lambda(n)."""
    step = -1 if boundary == 2**256 else 1
    e = boundary - 1 if step < 0 else boundary + 1
    for _ in range(100_000):
        if e % 2 and isPrime(e) and math.gcd(e, modulus_lambda) == 1:
            return e
        e += step
    raise AssertionError(f"no prime exponent near {boundary}")


def _key(config: pytest.Config, boundary: int) -> tuple[ca.CsrKey, int]:
    pem = run_shared_bytes(
        config, "csr-rsa-2048.pem", lambda: bytes(ca.CsrKey.rsa(2048).key.export_key())
    )
    base = RSA.import_key(pem)
    p, q = int(base.p), int(base.q)
    lam = math.lcm(p - 1, q - 1)
    e = _exponent(boundary, lam)
    d = pow(e, -1, lam)
    return ca.CsrKey(RSA.construct((p * q, e, d, p, q)), "rsa"), e


@pytest.mark.req("CA-ENR-13", "CA-ENR-2")
@pytest.mark.parametrize("where", list(_BOUNDARIES))
def test_an_rsa_key_with_a_large_public_exponent_gets_a_certificate(
    pki_target: Target, pytestconfig: pytest.Config, where: str
) -> None:
    ca.ca_address(pki_target)
    key, e = _key(pytestconfig, _BOUNDARIES[where])
    account = ca.enrolee(pki_target)
    csr = ca.csr_pem(key, ca.name((ca.OID_CN, account.user)))
    answer = ca.enrol(pki_target, account.user, account.password, csr)
    obj = ca.json_body(answer, f"enrolment with an RSA-2048 key, e = {e}")
    if answer.status != 200 or not isinstance(obj.get("certificate"), str):
        raise ConformanceFailure.evidence(
            f"CA-ENR-13: the enrolee's right password and a valid SHA-256 CSR for an RSA-2048 "
            f"key whose public exponent is {e} ({e.bit_length()} bits, {where})",
            "200 with a certificate: the CA MUST NOT refuse an odd public exponent from "
            "65537 to 2^256 - 1",
            answer.describe(),
            note="the exponent read into a machine word, or capped as some RSA libraries do",
        )
    cert = ca.read_issued(obj["certificate"])
    if cert.spki != key.spki():
        raise ConformanceFailure(
            f"CA-ENR-2: the certificate answered for the RSA key with e = {e} is not for "
            "that key (its SubjectPublicKeyInfo differs from the CSR's)"
        )
