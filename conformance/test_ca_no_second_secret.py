"""The enrolment password is the body's `password` member and nothing else (docs/SPEC.md
§4.4, CA-ENR-6, CA-ENR-2, CA-ENR-4).

CA-ENR-6: a wrong password MUST get `401 auth_failed`, and every request is a login of its
own: none is inherited from an earlier request or connection. CA-ENR-4: the CA ignores the
CSR's attributes, `challengePassword` among them. Two second secrets a CA may grow:

* a token handed out with a `200` — a cookie (`Set-Cookie`), a member of the JSON answer
  beside `certificate`, a header naming a token or session — and honoured later instead
  of the password ("renewal without retyping"): whoever captures it (a proxy log, a
  browser, a shared machine) enrols that alias with any password;
* the CSR's `challengePassword` (what `openssl req` prompts for; SCEP's enrolment secret)
  verified as the password, or when the JSON password fails: the password then travels
  inside the CSR, which CAs log and archive, and a wrong JSON password is certified.

Cases (a fresh account through `ca_user_add_cmd`, else the enrolee; one fresh address):
the right password (`200`), then wrong passwords carrying everything the `200` handed out
— its cookies in `Cookie`, each token as `Authorization: Bearer` and as the same JSON
member — and a CSR whose `challengePassword` is the right password beside a wrong or empty
JSON password. None may be answered `200` (a `401`, or `429`/`503` once the throttle
counts them, or `400` for the empty password, is conforming). A last right password
clears the failures (its answer is not judged).
"""

from __future__ import annotations

import http.client
import json
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from conformance import ca_support as ca
from conformance import x509
from conformance.target import Target
from conformance.wire import ConformanceFailure

pytestmark = [
    pytest.mark.profile("pki"),
    pytest.mark.side("ca"),
    pytest.mark.xdist_group("ca-no-second-secret"),
]

_OID_CHALLENGE = "1.2.840.113549.1.9.7"  # challengePassword (RFC 2985 §5.4.1)
_UTF8_STRING = 0x0C
_MAX_TOKENS = 4  # tokens replayed (bounded: each is one wrong password)
# Response headers that carry no credential whatever their value.
_PLAIN_HEADERS = frozenset(
    {
        "content-type",
        "content-length",
        "cache-control",
        "connection",
        "date",
        "server",
        "keep-alive",
        "strict-transport-security",
        "vary",
        "pragma",
        "expires",
        "x-content-type-options",
    }
)


def _account(target: Target) -> tuple[str, str]:
    if target.ca_user_add_cmd:
        alias, secret = f"second-{secrets.token_hex(5)}", secrets.token_urlsafe(15)
        ca.admin_command(target, "add", alias, stdin=secret + "\n")
        return alias, secret
    account = ca.enrolee(target)
    return account.user, account.password


@contextmanager
def _connection(target: Target, source: str | None) -> Iterator[http.client.HTTPSConnection]:
    host, port = ca.ca_address(target)
    conn = http.client.HTTPSConnection(
        host,
        port,
        timeout=ca.TIMEOUT,
        context=ca.tls_context(target),
        source_address=(source, 0) if source else None,
    )
    try:
        yield conn
    finally:
        conn.close()


def _post(
    target: Target, source: str | None, body: dict[str, str], headers: dict[str, str]
) -> tuple[int, list[tuple[str, str]], bytes]:
    """One enrolment on a new connection: status, every header (repeats kept), body."""
    with _connection(target, source) as conn:
        conn.request(
            "POST",
            "/v1/enroll",
            body=json.dumps(body).encode(),
            headers={"Content-Type": "application/json", **headers},
        )
        response = conn.getresponse()
        return response.status, response.getheaders(), response.read()


def _csr(alias: str, attributes: bytes = b"\xa0\x00") -> str:
    key = ca.CsrKey.ec("P-256")
    return ca.csr_pem(key, ca.name((ca.OID_CN, alias)), attributes=attributes)


def _challenge(text: str) -> bytes:
    """The attributes field holding one challengePassword (a UTF8String DirectoryString)."""
    value = x509._prim(_UTF8_STRING, text.encode("utf-8"))
    values = bytes([0x31]) + ca._length(value) + value
    attribute = x509._seq(x509._oid(_OID_CHALLENGE), values)
    return bytes([0xA0]) + ca._length(attribute) + attribute


def _handed_out(
    headers: list[tuple[str, str]], body: bytes
) -> tuple[list[str], dict[str, str], list[str]]:
    """What a 200 handed out: cookies (name=value), extra JSON string members, tokens."""
    cookies = [
        value.split(";", 1)[0].strip()
        for name, value in headers
        if name.lower() == "set-cookie" and "=" in value.split(";", 1)[0]
    ]
    try:
        obj = json.loads(body)
    except ValueError:
        obj = {}
    members = {
        k: v
        for k, v in (obj.items() if isinstance(obj, dict) else [])
        if k not in ("certificate", "alias", "password", "csr") and isinstance(v, str) and v
    }
    tokens = list(members.values())
    for name, value in headers:
        lowered = name.lower()
        if lowered in _PLAIN_HEADERS or lowered == "set-cookie":
            continue
        if any(word in lowered for word in ("token", "session", "auth", "ticket")):
            tokens.append(value.removeprefix("Bearer ").strip())
    return cookies, members, tokens[:_MAX_TOKENS]


def _refused(status: int, what: str, alias: str, body: bytes) -> None:
    if status == 200:
        raise ConformanceFailure.evidence(
            f"CA-ENR-6: {what} (fresh account {alias!r})",
            "401 auth_failed (or 429/503 once the throttle counts it): the password is the "
            "body's password member, verified on every request",
            f"HTTP 200 {body[:200]!r}",
            note="a second secret honoured in place of the password",
        )


@pytest.mark.req("CA-ENR-6")
def test_nothing_a_200_hands_out_stands_for_the_password(pki_target: Target) -> None:
    ca.ca_address(pki_target)
    alias, secret = _account(pki_target)
    source = ca.sources(pki_target).fresh()
    status, headers, body = _post(
        pki_target, source, {"alias": alias, "password": secret, "csr": _csr(alias)}, {}
    )
    if status != 200:
        pytest.skip(f"the right password was answered {status} {body[:120]!r}: inconclusive")
    cookies, members, tokens = _handed_out(headers, body)
    wrong = "wrong-" + secrets.token_urlsafe(9)
    attempts: list[tuple[str, dict[str, str], dict[str, str]]] = [
        (
            "a wrong password carrying every cookie and JSON member the 200 handed out"
            f" (cookies {[c.split('=', 1)[0] for c in cookies]}, members {sorted(members)})",
            {"Cookie": "; ".join(cookies)} if cookies else {},
            members,
        )
    ]
    for n, token in enumerate(tokens):
        attempts.append(
            (
                f"a wrong password with token #{n + 1} of the 200 as Authorization: Bearer",
                {"Authorization": f"Bearer {token}"},
                {},
            )
        )
    try:
        for what, extra_headers, extra_members in attempts:
            request = {**extra_members, "alias": alias, "password": wrong, "csr": _csr(alias)}
            got, _headers, answer = _post(pki_target, source, request, extra_headers)
            _refused(got, what, alias, answer)
    finally:
        _post(pki_target, source, {"alias": alias, "password": secret, "csr": _csr(alias)}, {})


@pytest.mark.req("CA-ENR-6")
def test_the_csr_challenge_password_is_not_the_password(pki_target: Target) -> None:
    ca.ca_address(pki_target)
    alias, secret = _account(pki_target)
    source = ca.sources(pki_target).fresh()
    csr = _csr(alias, _challenge(secret))
    try:
        for password, what in (
            ("wrong-" + secrets.token_urlsafe(9), "a wrong JSON password"),
            ("", "an empty JSON password"),
        ):
            got, _headers, answer = _post(
                pki_target, source, {"alias": alias, "password": password, "csr": csr}, {}
            )
            _refused(
                got,
                f"{what} with a CSR whose challengePassword is the right password",
                alias,
                answer,
            )
    finally:
        _post(pki_target, source, {"alias": alias, "password": secret, "csr": _csr(alias)}, {})
