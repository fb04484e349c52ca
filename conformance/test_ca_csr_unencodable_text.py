"""A csr that no UTF-8 can hold, sent with the right password, is refused 400
(docs/SPEC.md §4.4: CA-ENR-13, CA-ENR-9).

A JSON string may carry a lone surrogate as an escape (`"\\ud800"`: valid JSON text, RFC
8259 §8.2, but no Unicode text). A csr holding one is not one PEM `CERTIFICATE REQUEST`:
CA-ENR-13 says such a body is refused `400`, and CA-ENR-9 that an error answer is never
a server failure of the CA's own. A CA that checks its members' text one by one and stops
after the first (a `break` or an early `return` in the loop), or checks the alias only,
meets the csr's surrogate only when it encodes the csr for its PEM reader — after the
password was verified — and answers `500` (or drops the connection). With a wrong
password the login ends at `401` before the csr is ever read (test_ca_hostile_values_spill
.py sends those), so the case sends the account's RIGHT password.

The account first enrols with a valid CSR (`200`: its password is right and its alias
enrols), then each variant — the surrogate alone, inside the base64 body, after the END
line, and a low surrogate — with that password, from a fresh address. Each must be
answered `400` with an error object (`bad_csr`, or `bad_request` for text that is not
Unicode: both are CA-ENR-9's form), never `200` and never `5xx`. Needs `ca_user_add_cmd`.
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
    pytest.mark.xdist_group("ca-csr-unencodable-text"),
]


def _inside(pem: str) -> str:
    lines = pem.splitlines(keepends=True)
    lines[1] = lines[1][:8] + "\ud800" + lines[1][8:]
    return "".join(lines)


# variant -> the csr built from a valid PEM request for the account
_VARIANTS: dict[str, Callable[[str], str]] = {
    "surrogate-alone": lambda pem: "\ud800",
    "surrogate-inside-base64": _inside,
    "surrogate-after-end-line": lambda pem: pem + "\ud800",
    "low-surrogate-before-begin": lambda pem: "\udfff" + pem,
}


@pytest.mark.req("CA-ENR-13", "CA-ENR-9")
def test_right_password_with_unencodable_csr_is_refused_400(pki_target: Target) -> None:
    alias, password = _account(pki_target, "csrtext")
    pool = ca.sources(pki_target)
    pem = ca.csr_pem(ca.CsrKey.ec(), ca.name((ca.OID_CN, alias)))
    honest = ca.enrol(pki_target, alias, password, pem, source=pool.fresh())
    if honest.status != 200:
        pytest.skip(f"the fresh account {alias!r} does not enrol: {honest.describe()}")
    wrong: list[str] = []
    for variant, make in _VARIANTS.items():
        answer = ca.enrol(pki_target, alias, password, make(pem), source=pool.fresh())
        error = None
        message = None
        try:
            parsed = json.loads(answer.body)
            if isinstance(parsed, dict):
                error, message = parsed.get("error"), parsed.get("message")
        except ValueError:
            pass
        if (
            answer.status == 400
            and error in ("bad_csr", "bad_request")
            and isinstance(message, str)
        ):
            continue
        wrong.append(f"{variant}: {answer.describe()}")
    if wrong:
        raise ConformanceFailure.evidence(
            f"CA-ENR-13/CA-ENR-9: the account {alias!r} enrols with a valid CSR (200); then, "
            "with its right password, csr strings holding a lone surrogate (a JSON \\ud800 "
            "escape: no UTF-8 encoding), each from a fresh address",
            "400 {error: bad_csr or bad_request, message: str} for each: the csr is not one "
            "PEM request",
            "; ".join(wrong),
            note="the members' text checked for the alias only (or the check loop left after "
            "its first member): the csr's surrogate meets its encoding after the password",
        )
