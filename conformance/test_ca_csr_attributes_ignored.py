"""A CSR that carries a PKCS#9 attribute other than an extension request is a valid CSR
(docs/SPEC.md §4.4, CA-ENR-2, CA-ENR-4).

A PKCS#10 request's `attributes` field (RFC 2986 §4.1) may hold any attributes the
requester chose: `openssl req` writes a `challengePassword` (RFC 2985 §5.4.1) when its
prompt "A challenge password []" is answered, and an `unstructuredName` (§5.4.2) when
"An optional company name" is; tokens and enrolment tools add their own. The CA sets the
certificate's subject and extensions itself and ignores what the CSR asks for
(CA-ENR-4), so these attributes change nothing: the CSR is valid, and CA-ENR-2 says the
answer to the right password is `200` with a certificate. A CA that allows only an
`extensionRequest` among the attributes ("attributes we do not understand"), or that
parses the attributes field as the extension request it usually holds, answers
`400 bad_csr` to a legal enrolment.

Each case sends the enrolee's right password with a valid SHA-256 P-256 CSR whose
attributes hold one such attribute, and expects `200` with a certificate for that key.
"""

from __future__ import annotations

import pytest

from conformance import ca_support as ca
from conformance import x509
from conformance.target import Target
from conformance.wire import ConformanceFailure

pytestmark = [pytest.mark.profile("pki"), pytest.mark.xdist_group("ca")]

_OID_CHALLENGE = "1.2.840.113549.1.9.7"  # challengePassword
_UNSTRUCTURED_NAME = "1.2.840.113549.1.9.2"
_PRINTABLE_STRING, _UTF8_STRING = 0x13, 0x0C


def _attributes(oid: str, tag: int, text: str) -> bytes:
    """The attributes field ([0] IMPLICIT SET OF Attribute) holding one attribute."""
    value = x509._prim(tag, text.encode("utf-8"))
    values = bytes([0x31]) + ca._length(value) + value  # SET OF AttributeValue
    attribute = x509._seq(x509._oid(oid), values)
    return bytes([0xA0]) + ca._length(attribute) + attribute


_VARIANTS = {
    "challenge-password": (
        _attributes(_OID_CHALLENGE, _PRINTABLE_STRING, "not-a-login-password"),
        "a challengePassword attribute (openssl req's prompt answered)",
    ),
    "unstructured-name": (
        _attributes(_UNSTRUCTURED_NAME, _UTF8_STRING, "Example Org"),
        "an unstructuredName attribute (openssl req's 'optional company name')",
    ),
}


@pytest.mark.req("CA-ENR-2")
@pytest.mark.parametrize("variant", list(_VARIANTS))
def test_a_csr_with_another_pkcs9_attribute_gets_a_certificate(
    pki_target: Target, variant: str
) -> None:
    attributes, what = _VARIANTS[variant]
    ca.ca_address(pki_target)
    account = ca.enrolee(pki_target)
    key = ca.CsrKey.ec("P-256")
    csr = ca.csr_pem(key, ca.name((ca.OID_CN, account.user)), attributes=attributes)
    answer = ca.enrol(pki_target, account.user, account.password, csr)
    obj = ca.json_body(answer, f"enrolment with a CSR holding {what}")
    if answer.status != 200 or not isinstance(obj.get("certificate"), str):
        raise ConformanceFailure.evidence(
            f"CA-ENR-2: the enrolee's right password and a valid SHA-256 P-256 CSR holding {what}",
            "200 with a certificate: the attribute asks for nothing the CA must honour "
            "(CA-ENR-4: it sets subject and extensions itself), the CSR is valid",
            answer.describe(),
            note="CSR attributes allowed by a list (extensionRequest only), or the "
            "attributes field read as an extension request",
        )
    cert = ca.read_issued(obj["certificate"])
    if cert.spki != key.spki():
        raise ConformanceFailure(
            f"CA-ENR-2: the certificate answered for the CSR holding {what} is not for the "
            "CSR's key (its SubjectPublicKeyInfo differs)"
        )
