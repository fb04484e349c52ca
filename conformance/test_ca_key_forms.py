"""Keys at the edges of PKI-CERT-1, and the key identifiers of what the CA issues.

test_ca_csr.py tries the usual sizes and the listed bad keys. Here: an RSA key of a
size between the common ones (PKI-CERT-1 says "RSA ≥ 2048", not "2048, 3072 or 4096":
CA-ENR-2), a key type no list of weak keys names (DSA: CA-ENR-13 allows ECDSA P-256 and
RSA only, so a deny list of Ed25519/Ed448 lets it through), and the
SubjectKeyIdentifier of employee certificates (PKI-CERT-13, RFC 5280 §4.2.1.2: it
identifies the certificate's own key — two certificates for two keys carry two
identifiers, and none is the root's).
"""

from __future__ import annotations

import pytest

from conformance import ca_support as ca
from conformance.plugin import run_shared_bytes
from conformance.target import Target
from conformance.wire import ConformanceFailure

pytestmark = [pytest.mark.profile("pki"), pytest.mark.xdist_group("ca")]


@pytest.fixture
def root(pki_target: Target) -> ca.RootInfo:
    ca.ca_address(pki_target)
    return ca.root_info(pki_target)


@pytest.mark.req("PKI-CERT-13")
def test_each_certificate_identifies_its_own_key(pki_target: Target, root: ca.RootInfo) -> None:
    """Two enrolments with two fresh keys: each certificate's SubjectKeyIdentifier is
    present, differs from the other's and from the root's (which its
    AuthorityKeyIdentifier names): a leaf SKI computed from the root's key (a copy of
    the AKI line) tells a verifier that builds chains by key identifier that the leaf
    holds the root's key."""
    account = ca.enrolee(pki_target)
    identifiers = []
    for _ in range(2):
        key = ca.CsrKey.ec("P-256")
        csr = ca.csr_pem(key, ca.name((ca.OID_CN, account.user)))
        cert, _problems = ca.enrol_and_read(pki_target, account, key, csr, root)
        ski = ca.subject_key_id(cert)
        if ski is None:
            raise ConformanceFailure(
                "PKI-CERT-13: an employee certificate without a SubjectKeyIdentifier"
            )
        if root.key_id is not None and ski == root.key_id:
            raise ConformanceFailure(
                f"PKI-CERT-13: the employee certificate (serial {cert.serial:#x}) carries the "
                f"root's SubjectKeyIdentifier {ski.hex()} as its own: it identifies the root's "
                "key, not the employee's"
            )
        identifiers.append(ski)
    if identifiers[0] == identifiers[1]:
        raise ConformanceFailure(
            f"PKI-CERT-13: certificates for two different keys carry the same "
            f"SubjectKeyIdentifier {identifiers[0].hex()}: it does not identify their keys"
        )


@pytest.fixture(scope="module")
def rsa_2304(pytestconfig: pytest.Config) -> ca.CsrKey:
    pem = run_shared_bytes(
        pytestconfig, "csr-rsa-2304.pem", lambda: bytes(ca.CsrKey.rsa(2304).key.export_key())
    )
    from Crypto.PublicKey import RSA

    return ca.CsrKey(RSA.import_key(pem), "rsa")


@pytest.mark.req("CA-ENR-2")
def test_an_rsa_key_of_an_uncommon_size_gets_a_certificate(
    pki_target: Target, root: ca.RootInfo, rsa_2304: ca.CsrKey
) -> None:
    """RSA-2304 (≥ 2048, neither 2048, 3072 nor 4096): a valid CSR with the right
    password gets 200 and a certificate for that key. PKI-CERT-1 sets a floor, not a
    list of sizes."""
    account = ca.enrolee(pki_target)
    csr = ca.csr_pem(rsa_2304, ca.name((ca.OID_CN, account.user)))
    answer = ca.enrol(pki_target, account.user, account.password, csr)
    obj = ca.json_body(answer, "enrolment with an RSA-2304 key")
    if answer.status != 200 or not isinstance(obj.get("certificate"), str):
        raise ConformanceFailure(
            f"CA-ENR-2: a valid CSR for an RSA-2304 key (PKI-CERT-1: RSA of at least 2048 "
            f"bits) with the right password: {answer.describe()}"
        )
    cert = ca.read_issued(obj["certificate"])
    if cert.spki != rsa_2304.spki():
        raise ConformanceFailure("CA-ENR-2: the certificate is not for the CSR's RSA-2304 key")


@pytest.mark.req("CA-ENR-13")
def test_a_dsa_key_is_refused(pki_target: Target) -> None:
    """A well-formed CSR for a DSA-2048 key, signed with dsa-with-sha256: a key type
    PKI-CERT-1 does not allow (ECDSA P-256 or RSA only) — `400 bad_csr`, no
    certificate."""
    ca.ca_address(pki_target)
    account = ca.enrolee(pki_target)
    key = ca.CsrKey.dsa(2048)
    answer = ca.enrol(
        pki_target,
        account.user,
        account.password,
        ca.csr_pem(key, ca.name((ca.OID_CN, account.user))),
    )
    obj = ca.json_body(answer, "enrolment with a DSA key")
    if answer.status == 400 and obj.get("error") == "bad_csr":
        return
    detail = answer.describe()
    if answer.status == 200 and isinstance(obj.get("certificate"), str):
        detail = f"HTTP 200, certificate serial {ca.read_issued(obj['certificate']).serial:#x}"
    raise ConformanceFailure(
        f"CA-ENR-13: a CSR for a DSA key (not ECDSA P-256 or RSA): want 400 bad_csr, got {detail}"
    )
