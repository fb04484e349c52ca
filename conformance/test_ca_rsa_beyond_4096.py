"""An RSA key larger than 4096 bits is a key of PKI-CERT-1 too (SPEC §4.4: CA-ENR-2,
CA-ENR-13).

PKI-CERT-1 and CA-ENR-13 set a floor ("RSA of at least 2048 bits"), not a ceiling, and
CA-ENR-2 says a valid CSR with the right password MUST get `200 {"certificate": PEM}`.
test_ca_csr.py tries the usual sizes and test_ca_key_forms.py one between them (2304);
none goes past 4096 bits, where a CA copying a public CA's key policy stops (Let's
Encrypt's "goodkey" allows RSA 2048, 3072 and 4096 only; other stacks cap the modulus
at 4096 bits or 512 bytes "against slow signatures"). An employee whose tool makes a
4352-bit key is then refused `bad_csr` for a key the SPEC allows.

The case enrols the enrolment identity with a fresh RSA-4352 key (4096 + 256 bits, made
once per run, by `openssl genpkey` when there, else by pycryptodome): `200` and a
certificate for that very key.
"""

from __future__ import annotations

import shutil
import subprocess

import pytest

from conformance import ca_support as ca
from conformance.plugin import run_shared_bytes
from conformance.target import Target
from conformance.wire import ConformanceFailure

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("ca"), pytest.mark.xdist_group("ca")]

_BITS = 4352  # past the 4096-bit ceilings; a multiple of 256 (pycryptodome's step)


def _new_key() -> bytes:
    """A fresh RSA key (PEM): OpenSSL's generator when the command is there (several
    times faster for this size), else pycryptodome's."""
    openssl = shutil.which("openssl")
    if openssl is not None:
        try:
            made = subprocess.run(
                [openssl, "genpkey", "-algorithm", "RSA", "-pkeyopt", f"rsa_keygen_bits:{_BITS}"],
                capture_output=True,
                timeout=60,
                check=True,
            ).stdout
            if b"PRIVATE KEY-----" in made:
                return made
        except (OSError, subprocess.SubprocessError):
            pass
    return bytes(ca.CsrKey.rsa(_BITS).key.export_key())


@pytest.fixture(scope="module")
def rsa_key(pytestconfig: pytest.Config) -> ca.CsrKey:
    pem = run_shared_bytes(pytestconfig, f"csr-rsa-{_BITS}.pem", _new_key)
    from Crypto.PublicKey import RSA

    return ca.CsrKey(RSA.import_key(pem), "rsa")


@pytest.mark.req("CA-ENR-2", "CA-ENR-13")
def test_an_rsa_key_over_4096_bits_gets_a_certificate(
    pki_target: Target, rsa_key: ca.CsrKey
) -> None:
    """A valid CSR for an RSA-4352 key, signed with SHA-256, with the right password:
    `200` and a certificate whose key is the CSR's."""
    ca.ca_address(pki_target)
    account = ca.enrolee(pki_target)
    csr = ca.csr_pem(rsa_key, ca.name((ca.OID_CN, account.user)))
    answer = ca.enrol(pki_target, account.user, account.password, csr)
    obj = ca.json_body(answer, f"enrolment with an RSA-{_BITS} key")
    if answer.status != 200 or not isinstance(obj.get("certificate"), str):
        raise ConformanceFailure.evidence(
            f"CA-ENR-2: a valid CSR for an RSA-{_BITS} key (SHA-256 signature) with the "
            f"right password of {account.user!r}",
            "200 and a certificate: PKI-CERT-1 allows RSA of at least 2048 bits, with no "
            "upper bound",
            answer.describe(),
            note="a 2048/3072/4096-only key policy (or a 4096-bit cap) refuses a key the "
            "SPEC allows",
        )
    cert = ca.read_issued(obj["certificate"])
    if cert.spki != rsa_key.spki():
        raise ConformanceFailure(
            f"CA-ENR-2: the certificate (serial {cert.serial:#x}) is not for the CSR's "
            f"RSA-{_BITS} key"
        )
