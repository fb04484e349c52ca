"""Every way a CSR fails to parse is `400`, not an internal error (docs/SPEC.md §4.4:
CA-ENR-13).

CA-ENR-13: the CA MUST refuse with `400 {"error": "bad_csr"}` "a body whose `csr` is not
one PEM `CERTIFICATE REQUEST` holding a well-formed PKCS#10 request", and any CSR whose
key or signature is not one PKI-CERT-1 allows. X.509 libraries report those faults
through SEVERAL exception classes: pyca/cryptography raises `ValueError` for bad DER but
`UnsupportedAlgorithm` for a signature or key algorithm it does not know (and `TypeError`
elsewhere); Go's x509 returns distinct errors; Java throws several checked exceptions. A
CA that catches the one it expects (`except ValueError`) lets the others escape as
`500 internal` — or, when the csr member is not a string at all, an `AttributeError`
from calling its `encode()`.

Each case sends the enrolment account's RIGHT password (so the CSR is certainly read)
from a fresh address with a csr that is:
* a PKCS#10 request whose signature algorithm is an OID no library knows
  (1.3.6.1.4.1.99999.1.1), signed by a P-256 key;
* a PKCS#10 request whose public key algorithm is an OID no library knows, signed
  ecdsa-with-SHA256 by another key;
* not a string at all: a number, null, true, a list, an object.
The answer MUST be `400`, its error `bad_csr` — or `bad_request` for a csr member that is
not a string (the request is then malformed before any CSR, as the reference answers) —
never a certificate and never a 5xx.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from conformance import ca_support as ca
from conformance import x509
from conformance.target import Target
from conformance.wire import ConformanceFailure

pytestmark = [
    pytest.mark.profile("pki"),
    pytest.mark.side("ca"),
    pytest.mark.xdist_group("ca-csr-parse-failures"),
]

_UNKNOWN_OID = "1.3.6.1.4.1.99999.1.1"


def _unknown_signature_algorithm(alias: str) -> str:
    key = ca.CsrKey.ec("P-256")
    info = x509._seq(x509._int(0), ca.name((ca.OID_CN, alias)), key.spki(), b"\xa0\x00")
    signature = key.sign(info, "sha256")
    der = x509._seq(
        info, x509._seq(x509._oid(_UNKNOWN_OID)), x509._prim(0x03, b"\x00" + signature)
    )
    return x509.pem_encode(der, "CERTIFICATE REQUEST")


def _unknown_key_algorithm(alias: str) -> str:
    signer = ca.CsrKey.ec("P-256")
    spki = x509._seq(
        x509._seq(x509._oid(_UNKNOWN_OID)), x509._prim(0x03, b"\x00" + bytes(range(1, 66)))
    )
    info = x509._seq(x509._int(0), ca.name((ca.OID_CN, alias)), spki, b"\xa0\x00")
    signature = signer.sign(info, "sha256")
    der = x509._seq(info, signer.algorithm("sha256"), x509._prim(0x03, b"\x00" + signature))
    return x509.pem_encode(der, "CERTIFICATE REQUEST")


_PEM_CASES = {
    "unknown signature algorithm": _unknown_signature_algorithm,
    "unknown public key algorithm": _unknown_key_algorithm,
}
_NOT_STRINGS: dict[str, Any] = {
    "csr a number": 3,
    "csr null": None,
    "csr true": True,
    "csr a list": ["-----BEGIN CERTIFICATE REQUEST-----"],
    "csr an object": {"pem": "-----BEGIN CERTIFICATE REQUEST-----"},
}


def _judge(target: Target, what: str, csr: Any, codes: tuple[str, ...]) -> None:
    account = ca.enrolee(target)
    body = json.dumps({"alias": account.user, "password": account.password, "csr": csr})
    answer = ca.request(
        target,
        "POST",
        "/v1/enroll",
        body.encode(),
        source=ca.sources(target).fresh(),
        headers={"Content-Type": "application/json"},
    )
    error = None
    try:
        obj = json.loads(answer.body)
        error = obj.get("error") if isinstance(obj, dict) else None
    except ValueError:
        pass
    if answer.status == 400 and error in codes:
        return
    raise ConformanceFailure.evidence(
        f"CA-ENR-13: POST /v1/enroll with the enrolment account's right password and {what}",
        " or ".join(f'400 {{"error": "{code}"}}' for code in codes)
        + ": the CSR cannot be read, whatever exception the parser raises for it",
        answer.describe(),
        note="the CSR parser's exception caught by a too narrow class (ValueError only): "
        "the others escape as an internal error",
    )


@pytest.mark.req("CA-ENR-13")
@pytest.mark.parametrize("case", list(_PEM_CASES))
def test_a_csr_with_an_unknown_algorithm_is_a_bad_csr(pki_target: Target, case: str) -> None:
    account = ca.enrolee(pki_target)
    csr = _PEM_CASES[case](account.user)
    _judge(pki_target, f"a PKCS#10 request with an {case} ({_UNKNOWN_OID})", csr, ("bad_csr",))


@pytest.mark.req("CA-ENR-13")
@pytest.mark.parametrize("case", list(_NOT_STRINGS))
def test_a_csr_member_that_is_no_string_is_refused_400(pki_target: Target, case: str) -> None:
    value = _NOT_STRINGS[case]
    _judge(
        pki_target,
        f"{case}: {json.dumps(value)}",
        value,
        ("bad_csr", "bad_request"),
    )
