"""A revocation committed between an enrolment's login and its certificate [CA-ENR-11].

The CA checks the password (scrypt, ~0.1 s), signs, then records the certificate;
`sft ca revoke` runs in another process with its own database connection. Revoked in
that window, the alias must not end up with an issued certificate the CRL never lists:
the CA re-checks the revocation in the transaction that records the certificate, and
refuses. Sequential here (login, revoke, enrol), so the window is hit every time.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import NameOID

from reference.pki.ca import REVOKED_MEANWHILE, CaError, CertificateAuthority, generate_key


def _csr(alias: str) -> bytes:
    key = generate_key()
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, alias)])
    csr = x509.CertificateSigningRequestBuilder().subject_name(name).sign(key, hashes.SHA256())
    return csr.public_bytes(serialization.Encoding.PEM)


def test_a_revocation_after_the_login_refuses_the_enrolment(tmp_path: Path) -> None:
    ca = CertificateAuthority.init(tmp_path / "ca")
    ca.add_user("bob", "a-password-of-bob")
    first = ca.enroll("bob", _csr("bob"))  # enrolled once, before anything happens
    assert ca.authenticate("bob", "a-password-of-bob")
    admin = CertificateAuthority(tmp_path / "ca")  # `sft ca revoke bob`: its own process
    try:
        assert admin.revoke("bob") == 1
    finally:
        admin.close()
    with pytest.raises(CaError, match=REVOKED_MEANWHILE):
        ca.enroll("bob", _csr("bob"))
    listed = {entry.serial_number for entry in ca.crl()}
    with sqlite3.connect(tmp_path / "ca" / CertificateAuthority.DB) as db:
        recorded = {int(r[0]) for r in db.execute("SELECT serial FROM certificates")}
    assert recorded == {first.serial_number}, "a certificate was recorded for a revoked alias"
    assert recorded <= listed, "a certificate of the revoked alias is missing from the CRL"
