"""A PEM request with CRLF line ends is the same request (SPEC §4.4, CA-ENR-2).

CA-ENR-2: a valid CSR gets `200 {"certificate": PEM}`; CA-ENR-13 asks for "one PEM
`CERTIFICATE REQUEST`", and PEM (RFC 7468 §3) ends its lines with CRLF, CR or LF — the
strict form included. A CSR made on Windows, or passed through a tool that writes CRLF,
carries `\\r\\n`; a CA that checks the PEM by hand — its lines split on `\\n` and each
matched against the base64 alphabet, or the END line compared with a trailing `\\n` —
refuses it `400 bad_csr` though every parser of RFC 7468 reads it. The JSON escapes the
CR (`\\r`), so the body is ordinary JSON.

Right password only (the enrolee's), from fresh addresses: nothing is throttled.

Fixtures (conformance/plugin.py): `pki_target` (its `ca_url`, `root`, `enroll`).
"""

from __future__ import annotations

import pytest

from conformance import ca_support as ca
from conformance.target import Target
from conformance.wire import ConformanceFailure

pytestmark = [
    pytest.mark.profile("pki"),
    pytest.mark.side("ca"),
    pytest.mark.xdist_group("ca"),
]


def _forms(pem: str) -> dict[str, str]:
    lf = pem.replace("\r\n", "\n").strip("\n") + "\n"
    return {
        "crlf": lf.replace("\n", "\r\n"),
        "crlf-without-final-line-end": lf.replace("\n", "\r\n").rstrip("\r\n"),
        "lf-without-final-line-end": lf.rstrip("\n"),
    }


@pytest.mark.req("CA-ENR-2")
@pytest.mark.parametrize(
    "form", ["crlf", "crlf-without-final-line-end", "lf-without-final-line-end"]
)
def test_a_csr_with_other_pem_line_ends_is_enrolled(pki_target: Target, form: str) -> None:
    account = ca.enrolee(pki_target)
    key = ca.CsrKey.ec("P-256")
    csr = _forms(ca.csr_pem(key, ca.name((ca.OID_CN, account.user))))[form]
    answer = ca.enrol(pki_target, account.user, account.password, csr)
    if answer.status != 200:
        raise ConformanceFailure.evidence(
            f"CA-ENR-2: the enrolee's login with a valid P-256 CSR whose PEM lines end "
            f"{form!r} (RFC 7468 §3 allows CRLF, and a missing last line end)",
            '200 {"certificate": PEM}, as for the same CSR with LF line ends',
            answer.describe(),
            note=f"csr member starts {csr[:80]!r}",
        )
    body = ca.json_body(answer, f"an enrolment with a {form} CSR")
    if (
        not isinstance(body.get("certificate"), str)
        or "BEGIN CERTIFICATE" not in body["certificate"]
    ):
        raise ConformanceFailure(f"CA-ENR-2: 200 without a PEM certificate: {answer.describe()}")
