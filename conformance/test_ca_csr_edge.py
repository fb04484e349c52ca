"""RSA keys above the minimum (SPEC §4.2, §4.4). Belongs beside test_ca_csr.py.

PKI-CERT-1 and CA-ENR-13 allow RSA keys of *at least* 2048 bits; test_ca_csr.py enrols
the smallest allowed (2048). A CA whose key check is an equality (`key_size != 2048`,
"RSA keys are 2048 bits") refuses every larger key, and a right password with a valid
CSR for an RSA 3072 key (NIST's 128-bit level, a common default) must be answered 200
with a certificate of the profile (CA-ENR-2).
"""

from __future__ import annotations

import pytest
from Crypto.PublicKey import RSA

from conformance import ca_support as ca
from conformance.plugin import run_shared_bytes
from conformance.target import Target
from conformance.wire import ConformanceFailure

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("ca"), pytest.mark.xdist_group("ca-csr")]


def _rsa_3072() -> bytes:
    return bytes(RSA.generate(3072).export_key())


@pytest.mark.req("CA-ENR-2", "PKI-CERT-1")
def test_an_rsa_key_above_2048_bits_gets_a_certificate(
    pki_target: Target, pytestconfig: pytest.Config
) -> None:
    ca.ca_address(pki_target)
    root = ca.root_info(pki_target)
    pem = run_shared_bytes(pytestconfig, "csr-rsa-3072.pem", _rsa_3072)
    key = ca.CsrKey(RSA.import_key(pem), "rsa")
    account = ca.enrolee(pki_target)
    csr = ca.csr_pem(key, ca.name((ca.OID_CN, account.user)))
    # CA-ENR-2 FAILs inside when the answer is not 200 with a certificate.
    _cert, problems = ca.enrol_and_read(pki_target, account, key, csr, root)
    hits = [(rid, text) for rid, text in problems if rid == "PKI-CERT-1"]
    if hits:
        raise ConformanceFailure(
            "the certificate issued for an RSA 3072 CSR:\n"
            + "\n".join(f"{rid}: {text}" for rid, text in hits),
            violates=sorted({rid for rid, _ in hits}),
        )
