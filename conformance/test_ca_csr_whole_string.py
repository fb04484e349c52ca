"""The `csr` member is read as the whole JSON string it is: a NUL does not end it
(docs/SPEC.md §4.4: CA-ENR-13).

JSON strings carry their length, and a `csr` may hold U+0000 (`\\u0000`). A CA that hands
the string to its PEM reader as a C string (`BIO_new_mem_buf(csr, -1)`: strlen) sees
nothing after a NUL — neither does its one-block check, if it runs on the same C string.
A request, a NUL and a second PEM block is then certified as one request; it is two
blocks, not ONE PEM `CERTIFICATE REQUEST` (CA-ENR-13: `400 bad_csr`), as a second block
after a line end is (test_ca_csr_forms.py). (The other end of the string — a request
without a final line end, which a CA that drops "the" trailing newline as a slice
refuses — is test_interop_ca_csr_line_ends.py's.)

Right passwords only (the enrolee's), each request from a fresh address.
"""

from __future__ import annotations

import pytest

from conformance import ca_support as ca
from conformance.target import Target
from conformance.wire import ConformanceFailure

pytestmark = [
    pytest.mark.profile("pki"),
    pytest.mark.side("ca"),
    pytest.mark.xdist_group("ca-csr-whole-string"),
]


def _request(alias: str) -> str:
    return ca.csr_pem(ca.CsrKey.ec("P-256"), ca.name((ca.OID_CN, alias)))


def _answer(target: Target, csr: str, what: str) -> tuple[ca.CaAnswer, dict[str, object]]:
    account = ca.enrolee(target)
    answer = ca.enrol(target, account.user, account.password, csr)
    return answer, ca.json_body(answer, what)


@pytest.mark.req("CA-ENR-13")
@pytest.mark.parametrize(
    "second", ["another-request", pytest.param("the-root", marks=pytest.mark.slow)]
)
def test_a_block_behind_a_nul_is_a_second_block(pki_target: Target, second: str) -> None:
    """The enrolee's valid request, then U+0000, then a second PEM block (another valid
    request for another key, or the organisation root): two blocks, not one request."""
    account = ca.enrolee(pki_target)
    assert pki_target.root is not None
    first = _request(account.user)
    other = _request(account.user) if second == "another-request" else pki_target.root.read_text()
    csr = first + "\x00" + other
    answer, obj = _answer(pki_target, csr, "a request, a NUL and a second block")
    if answer.status == 400 and obj.get("error") == "bad_csr":
        return
    detail = answer.describe()
    if answer.status == 200 and isinstance(obj.get("certificate"), str):
        cert = ca.read_issued(obj["certificate"])
        detail = f"HTTP 200, a certificate was issued: serial {cert.serial:#x}"
    raise ConformanceFailure.evidence(
        f"CA-ENR-13: enrolment of {account.user!r} (right password, fresh address), `csr` "
        f"holding a valid request, U+0000 (sent as \\u0000) and then {second.replace('-', ' ')} "
        "as a second PEM block",
        '400 {"error": "bad_csr"}: the string holds two PEM blocks, not ONE PEM '
        "CERTIFICATE REQUEST (as with a line end between them)",
        detail,
        note="the csr read as a C string (up to its first NUL): the second block is "
        "invisible to the one-block check",
    )
