"""A login whose request head spells a case-insensitive token in another case, or asks
for the JSON answer through another media range, is the same login (docs/SPEC.md §4.4,
CA-ENR-2).

CA-ENR-2: the CA MUST answer `200 {"certificate": PEM}` when the alias exists, the
password is right and the CSR valid, and the rest of the request head is the client's
choice within HTTP/1.1: it does not change the answer. HTTP leaves the letter case of
some tokens to the client, and a CA that compares them as written refuses a legal login:
- the scheme of an absolute-form request target (`POST HTTPS://HOST:PORT/v1/enroll`): a
  scheme is case-insensitive (RFC 3986 §3.1, RFC 9110 §4.2.3), and RFC 9112 §3.2.2 says a
  server MUST accept the absolute form — a CA that recognises it by a lower-case
  `https://` prefix looks `HTTPS://…` up as a path and answers `404`;
- the media range of an `Accept` field: a type and subtype are case-insensitive (RFC 9110
  §8.3.1) and `application/*` names JSON too (§12.5.1). A CA MAY ignore `Accept` (the
  reference does); one that negotiates must not refuse a range that covers
  `application/json` — `Accept: Application/JSON` or `application/*` answered `406` is a
  legal login refused.

Each variant sends the enrolee's login (right password, valid P-256 CSR) with the one
head token changed, on a connection of its own, and expects `200` with a certificate.
"""

from __future__ import annotations

import pytest

from conformance import ca_support as ca
from conformance.target import Target
from conformance.test_ca_head_field_freedom import _final_answer as _answers_until_final
from conformance.test_ca_request_pieces import _csr
from conformance.wire import ConformanceFailure

pytestmark = [
    pytest.mark.profile("pki"),
    pytest.mark.side("ca"),
    pytest.mark.xdist_group("ca-case-insensitive-head-tokens"),
]

# variant -> (request target template, extra head fields, what the evidence says)
_VARIANTS: dict[str, tuple[str, list[str], str]] = {
    "scheme-in-capitals": (
        "HTTPS://{authority}/v1/enroll",
        [],
        "its request target in absolute form with the scheme in capitals "
        "(`POST HTTPS://HOST:PORT/v1/enroll`)",
    ),
    "accept-type-in-capitals": (
        "/v1/enroll",
        ["Accept: Application/JSON"],
        "`Accept: Application/JSON` (a media type in another case)",
    ),
    "accept-subtype-wildcard": (
        "/v1/enroll",
        ["Accept: application/*"],
        "`Accept: application/*` (a range that covers application/json)",
    ),
}


def _request(target: Target, body: bytes, request_target: str, extra: list[str]) -> bytes:
    host, port = ca.ca_address(target)
    authority = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    lines = [
        f"POST {request_target.format(authority=authority)} HTTP/1.1",
        f"Host: {authority}",
        "Content-Type: application/json",
        f"Content-Length: {len(body)}",
        *extra,
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("ascii") + body


def _final_answer(target: Target, data: bytes) -> tuple[tuple[int, bytes] | None, str]:
    """Sends `data` on a fresh connection; the first final (non-1xx) answer, or why none."""
    answers, ended = _answers_until_final(target, data)
    final = next(((s, b) for s, b in answers if s >= 200), None)
    return (final, "") if final is not None else (None, ended)


@pytest.mark.req("CA-ENR-2")
@pytest.mark.parametrize("variant", list(_VARIANTS))
def test_a_case_insensitive_head_token_in_another_spelling_enrols(
    pki_target: Target, variant: str
) -> None:
    request_target, extra, what = _VARIANTS[variant]
    account = ca.enrolee(pki_target)
    body = ca.enrol_body(account.user, account.password, _csr(account.user))
    final, ended = _final_answer(pki_target, _request(pki_target, body, request_target, extra))
    context = f"CA-ENR-2: the enrolee's login (right password, valid CSR) with {what}"
    expected = (
        "200 with a certificate: the token is case-insensitive in HTTP (or the range covers "
        "the JSON answer), so the login is the same"
    )
    if final is None:
        raise ConformanceFailure.evidence(context, expected, f"no final answer: {ended}")
    status, answer = final
    if status == 200 and b"BEGIN CERTIFICATE" in answer:
        return
    raise ConformanceFailure.evidence(
        context,
        expected,
        f"{status} {answer[:200]!r}",
        note="the token compared as written: the scheme of an absolute-form target "
        "(404), or the Accept field's media range (406)",
    )
