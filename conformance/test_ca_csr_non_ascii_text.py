"""A csr holding characters outside ASCII, sent with the right password, is answered as
a CSR, never as a server failure (docs/SPEC.md §4.4: CA-ENR-13, CA-ENR-9).

A PEM request is ASCII, and a CA may well hand the csr to its PEM reader as ASCII bytes
(`csr.encode("ascii")`, `[]byte` checks, `US-ASCII` charsets). The JSON member is any
Unicode text, though, and a CA that encodes it as ASCII where only its CSR errors are
caught (a `try` around the PEM reader that catches the CSR library's errors, not the
encoder's `UnicodeEncodeError`) answers a csr holding one `é` with `500` after the
password was verified. CA-ENR-13: a csr that is not one PEM `CERTIFICATE REQUEST` is
refused `400 bad_csr`; CA-ENR-9: an error answer is never the CA's own failure. (The
lone surrogates, which no UTF-8 holds, are test_ca_csr_unencodable_text.py's.)

A fresh account enrols once with a valid CSR (`200`: its password is right); then, with
that password and each from a fresh address:
- csr texts that are no PEM request — `é` alone, a base64 line with a `é`, `ü` or a
  non-breaking space in it, the request with its BEGIN label spelled with a Cyrillic
  `Е` — each MUST be answered `400` with an error object (`bad_csr`; `bad_request` for a
  CA that refuses non-ASCII text as such is CA-ENR-9's form too);
- a valid request with a line of explanatory text around it (RFC 7468 §2 lets text
  precede a PEM block; here `Zertifikatsanforderung für …` before BEGIN, or a `✓` after
  END): the CA MAY certify it (`200`) or refuse it (`400` error object) — never `5xx`.
Needs `ca_user_add_cmd`.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from conformance import ca_support as ca
from conformance.target import Target
from conformance.test_ca_vanished_logins import _account
from conformance.wire import ConformanceFailure

pytestmark = [
    pytest.mark.profile("pki"),
    pytest.mark.side("ca"),
    pytest.mark.xdist_group("ca-csr-non-ascii-text"),
]


def _in_base64(char: str) -> Callable[[str], str]:
    def make(pem: str) -> str:
        lines = pem.splitlines(keepends=True)
        lines[1] = lines[1][:10] + char + lines[1][11:]
        return "".join(lines)

    return make


# variant -> the csr built from a valid PEM request for the account: no PEM request
_REFUSED: dict[str, Callable[[str], str]] = {
    "e-acute-alone": lambda pem: "é",
    "e-acute-in-base64": _in_base64("é"),
    "u-umlaut-in-base64": _in_base64("ü"),
    "no-break-space-in-base64": _in_base64("\u00a0"),
    "cyrillic-ie-in-begin-label": lambda pem: pem.replace(
        "BEGIN CERTIFICATE", "BEGIN C\u0415RTIFICATE", 1
    ),
}
# variant -> a valid request with non-ASCII explanatory text: 200 or 400, never 5xx
_EITHER: dict[str, Callable[[str], str]] = {
    "text-before-begin": lambda pem: "Zertifikatsanforderung für Ä\n" + pem,
    "text-after-end": lambda pem: pem + "✓ geprüft\n",
}


def _error_object(answer: ca.CaAnswer) -> tuple[object, object]:
    try:
        parsed = json.loads(answer.body)
    except ValueError:
        return None, None
    if not isinstance(parsed, dict):
        return None, None
    return parsed.get("error"), parsed.get("message")


@pytest.mark.req("CA-ENR-13", "CA-ENR-9")
def test_right_password_with_non_ascii_csr_is_answered_as_a_csr(pki_target: Target) -> None:
    alias, password = _account(pki_target, "csrascii")
    pool = ca.sources(pki_target)
    pem = ca.csr_pem(ca.CsrKey.ec(), ca.name((ca.OID_CN, alias)))
    honest = ca.enrol(pki_target, alias, password, pem, source=pool.fresh())
    if honest.status != 200:
        pytest.skip(f"the fresh account {alias!r} does not enrol: {honest.describe()}")
    wrong: list[str] = []
    for variant, make in {**_REFUSED, **_EITHER}.items():
        answer = ca.enrol(pki_target, alias, password, make(pem), source=pool.fresh())
        error, message = _error_object(answer)
        if (
            answer.status == 400
            and error in ("bad_csr", "bad_request")
            and isinstance(message, str)
        ):
            continue
        if variant in _EITHER and answer.status == 200:
            continue
        wrong.append(f"{variant}: {answer.describe()}")
    if wrong:
        raise ConformanceFailure.evidence(
            f"CA-ENR-13/CA-ENR-9: the account {alias!r} enrols with a valid CSR (200); then, "
            "with its right password, csr strings holding non-ASCII characters, each from a "
            "fresh address",
            "400 {error: bad_csr (or bad_request), message: str} for each csr that is no PEM "
            "request; for a valid request with non-ASCII text before BEGIN or after END, 200 "
            "or that 400 — never 5xx",
            "; ".join(wrong),
            note="the csr encoded as ASCII where only the CSR reader's errors are caught: the "
            "encoder's UnicodeEncodeError escapes after the password",
        )
