"""A certificate is no certificate request: the alias's own certificate, or the root, sent
as the `csr` is refused (docs/SPEC.md §4.4: CA-ENR-13, CA-ENR-3).

CA-ENR-13: a body whose `csr` is not one PEM `CERTIFICATE REQUEST` holding a well-formed
PKCS#10 request MUST be refused `400 {"error": "bad_csr"}`; CA-ENR-3: the CSR's signature
is the proof of possession of the key. A CA that offers "renewal" by taking the
employee's current certificate in place of a CSR (it was issued by the root, its CN is
the alias: "the key was proven once") certifies a key whose holder proved nothing in this
request: anyone with the account's password and any certificate of the alias — they are
public, every peer sees them — gets a fresh certificate, after a revocation too, for a
key that may be long compromised, and the CSR rules (the key types and hashes of
CA-ENR-13) are skipped for it. The role of the object is the point: an answer of the CA
(its certificate) is sent back to it as a request.

The enrolee enrols (`200`), then sends, with its right password, in the `csr` member:
the certificate it just got; the same DER armoured as `CERTIFICATE REQUEST`; the
organisation root (PEM). Each: `400 bad_csr`, never a certificate.
"""

from __future__ import annotations

import json

import pytest

from conformance import ca_support as ca
from conformance import x509
from conformance.target import Target
from conformance.test_ca_request_pieces import _csr
from conformance.wire import ConformanceFailure

pytestmark = [
    pytest.mark.profile("pki"),
    pytest.mark.side("ca"),
    pytest.mark.xdist_group("ca-certificate-as-csr"),
]

_VARIANTS = ("own-certificate", "own-certificate-as-request-label", "root-certificate")


def _payload(target: Target, variant: str, issued: str) -> str:
    if variant == "own-certificate":
        return issued
    if variant == "own-certificate-as-request-label":
        return x509.pem_encode(x509.pem_decode(issued), "CERTIFICATE REQUEST")
    assert target.root is not None
    return target.root.read_text()


@pytest.mark.req("CA-ENR-13")
@pytest.mark.parametrize("variant", _VARIANTS)
def test_a_certificate_in_the_csr_member_is_a_bad_csr(pki_target: Target, variant: str) -> None:
    account = ca.enrolee(pki_target)
    ca.ca_address(pki_target)
    first = ca.enrol(pki_target, account.user, account.password, _csr(account.user))
    obj = ca.json_body(first, "the enrolee's login with a valid CSR")
    issued = obj.get("certificate")
    if first.status != 200 or not isinstance(issued, str):
        pytest.skip(f"the enrolee does not enrol: {first.describe()}")
    payload = _payload(pki_target, variant, issued)
    answer = ca.enrol(pki_target, account.user, account.password, payload)
    error = None
    try:
        parsed = json.loads(answer.body)
        error = parsed.get("error") if isinstance(parsed, dict) else None
    except ValueError:
        pass
    if answer.status == 400 and error == "bad_csr":
        return
    raise ConformanceFailure.evidence(
        f"CA-ENR-13: the enrolee {account.user!r} enrols (200); then its right password "
        f"with, as `csr`, {variant.replace('-', ' ')} ({payload.splitlines()[0]!r}...)",
        '400 {"error": "bad_csr"}: a certificate is not a PKCS#10 request, and proves '
        "possession of nothing (CA-ENR-3)",
        answer.describe(),
        note="a 'renewal' path takes a certificate the CA issued as the key's proof: its "
        "key is certified again without a signature from its holder"
        if answer.status == 200
        else "",
    )
