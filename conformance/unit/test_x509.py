"""The lab-mode certificate builder produces what OpenSSL parses and verifies as intended.

Each kind of bad certificate is checked with `openssl verify` so the suite knows that a
target refusing it is refusing for the intended reason (and that a valid one verifies).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from conformance.x509 import CertificateAuthority, LabPKI

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl not installed")


def _openssl(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["openssl", *args], capture_output=True, text=True, timeout=30, check=False
    )


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> tuple[LabPKI, Path]:
    directory = tmp_path_factory.mktemp("lab")
    pki = LabPKI(CertificateAuthority.create())
    (directory / "root.pem").write_text(pki.root.certificate.pem)
    return pki, directory


def _verify(directory: Path, cert_pem: str, *extra: str, purpose: str = "sslclient") -> str:
    leaf = directory / "leaf.pem"
    leaf.write_text(cert_pem)
    result = _openssl(
        "verify",
        "-x509_strict",
        "-purpose",
        purpose,
        "-CAfile",
        str(directory / "root.pem"),
        *extra,
        str(leaf),
    )
    return result.stdout + result.stderr


def test_root_parses_with_the_spec_extensions(lab: tuple[LabPKI, Path]) -> None:
    _, directory = lab
    text = _openssl("x509", "-noout", "-text", "-in", str(directory / "root.pem")).stdout
    assert "CA:TRUE, pathlen:0" in text
    assert "Certificate Sign, CRL Sign" in text
    assert "ecdsa-with-SHA256" in text


def test_employee_certificate_parses_and_verifies(lab: tuple[LabPKI, Path]) -> None:
    pki, directory = lab
    cert = pki.employee("alice")
    path = directory / "alice.pem"
    path.write_text(cert.pem)
    text = _openssl("x509", "-noout", "-text", "-in", str(path)).stdout
    assert "Subject: CN = alice" in text
    assert "CA:FALSE" in text and "Digital Signature" in text
    assert "TLS Web Client Authentication" in text and "TLS Web Server Authentication" in text
    assert ": OK" in _verify(directory, cert.pem, purpose="sslclient")
    assert ": OK" in _verify(directory, cert.pem, purpose="sslserver")


def test_rsa_root_issues_verifiable_certificates(tmp_path: Path) -> None:
    pki = LabPKI(CertificateAuthority.create(key_kind="rsa"))
    (tmp_path / "root.pem").write_text(pki.root.certificate.pem)
    assert ": OK" in _verify(tmp_path, pki.employee("bob").pem)


@pytest.mark.parametrize(
    ("kind", "purpose", "openssl_says"),
    [
        ("expired", "sslclient", "certificate has expired"),
        ("not_yet_valid", "sslclient", "certificate is not yet valid"),
        ("foreign_ca", "sslclient", "unable to get local issuer certificate"),
        ("self_signed", "sslclient", "self-signed certificate"),
        ("no_client_auth", "sslclient", "unsuitable certificate purpose"),
        ("no_server_auth", "sslserver", "unsuitable certificate purpose"),
    ],
)
def test_bad_certificates_fail_for_the_intended_reason(
    lab: tuple[LabPKI, Path], kind: str, purpose: str, openssl_says: str
) -> None:
    pki, directory = lab
    assert openssl_says in _verify(directory, pki.bad(kind).pem, purpose=purpose)


def test_ca_true_leaf_is_a_ca(lab: tuple[LabPKI, Path]) -> None:
    pki, directory = lab
    path = directory / "ca_true.pem"
    path.write_text(pki.bad("ca_true").pem)
    assert "CA:TRUE" in _openssl("x509", "-noout", "-text", "-in", str(path)).stdout


def test_revoked_certificate_is_listed_in_a_root_signed_crl(lab: tuple[LabPKI, Path]) -> None:
    pki, directory = lab
    cert = pki.bad("revoked")
    crl = directory / "crl.pem"
    crl.write_text(pki.root.crl_pem())
    text = _openssl("crl", "-noout", "-text", "-in", str(crl)).stdout
    assert f"Serial Number: {cert.serial:X}".upper() in text.upper()
    assert "Next Update" in text
    checked = _openssl("crl", "-noout", "-in", str(crl), "-CAfile", str(directory / "root.pem"))
    assert "verify OK" in checked.stdout + checked.stderr
    assert "certificate revoked" in _verify(directory, cert.pem, "-crl_check", "-CRLfile", str(crl))


def test_loaded_root_issues_chain_that_verifies(lab: tuple[LabPKI, Path], tmp_path: Path) -> None:
    pki, _ = lab
    loaded = CertificateAuthority.load(pki.root.certificate.pem, pki.root.key.private_pem())
    assert loaded.key_id == pki.root.key_id and loaded.name_der == pki.root.name_der
    (tmp_path / "root.pem").write_text(pki.root.certificate.pem)
    assert ": OK" in _verify(tmp_path, LabPKI(loaded).employee("carol").pem)


def test_read_certificate_reports_what_was_minted(lab: tuple[LabPKI, Path]) -> None:
    from conformance.x509 import read_certificate

    pki, _ = lab
    good = read_certificate(pki.employee("alice").der)
    assert good.common_name == "alice" and good.version == 3
    assert good.violations_as_employee() == []
    root = read_certificate(pki.root.certificate.der)
    assert root.violations_as_root() == [] and root.path_len == 0
    assert read_certificate(pki.bad("ca_true").der).violations_as_employee()
    assert "serverAuth" not in (read_certificate(pki.bad("no_server_auth").der).eku or ())
    assert read_certificate(pki.employee("x").der).violations_as_root()


@pytest.mark.parametrize(
    ("kind", "openssl_says"),
    [
        ("any_eku", "unsuitable certificate purpose"),
        ("foreign_same_dn", "certificate signature failure"),
        ("wrong_key_usage", "unsuitable certificate purpose"),
    ],
)
def test_more_bad_certificates_fail_for_the_intended_reason(
    lab: tuple[LabPKI, Path], kind: str, openssl_says: str
) -> None:
    pki, directory = lab
    assert openssl_says in _verify(directory, pki.bad(kind).pem)


def test_intermediate_breaks_the_roots_pathlen(lab: tuple[LabPKI, Path]) -> None:
    pki, directory = lab
    cert = pki.bad("intermediate_ca")
    assert len(cert.chain) == 1
    untrusted = directory / "untrusted.pem"
    untrusted.write_text(cert.chain[0])
    said = _verify(directory, cert.pem, "-untrusted", str(untrusted))
    assert "path length constraint exceeded" in said


def test_weak_certificates_are_what_they_say(lab: tuple[LabPKI, Path]) -> None:
    """RSA-1024 and SHA-1 verify at OpenSSL's default level: only a strict endpoint
    refuses them (PKI-CERT-9); no EKU at all passes OpenSSL's purpose check."""
    from conformance.x509 import read_certificate

    pki, directory = lab
    sha1 = pki.bad("sha1_signature")
    assert read_certificate(sha1.der).signature_algorithm == "ecdsa-with-SHA1"
    path = directory / "weak.pem"
    path.write_text(pki.bad("rsa_1024").pem)
    assert "(1024 bit)" in _openssl("x509", "-noout", "-text", "-in", str(path)).stdout
    assert read_certificate(pki.bad("no_eku").der).eku is None


def test_loaded_certificate_keeps_serial_and_name(lab: tuple[LabPKI, Path]) -> None:
    from conformance.x509 import Certificate

    pki, _ = lab
    cert = pki.employee("dave")
    loaded = Certificate.load(cert.pem, cert.key.private_pem())
    assert (loaded.serial, loaded.common_name, loaded.der) == (cert.serial, "dave", cert.der)
