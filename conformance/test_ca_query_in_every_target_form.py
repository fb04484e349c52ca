"""A query string is refused in an absolute-form target too (docs/SPEC.md §4.4, CA-ENR-15).

CA-ENR-15: a request whose target has a query string (`?`) MUST be refused `400
bad_request` before any credential is read. CA-ENR-2 makes the CA accept a target in
absolute form (`https://HOST:PORT/v1/enroll`, RFC 9112 §3.2.2, scheme in any letter case).
A CA that turns an absolute-form target into its path (urlsplit's `.path`, a router's
`URL.Path`) BEFORE its query check refuses `/v1/enroll?x` and serves
`https://HOST:PORT/v1/enroll?x`: the query, and any password in it, is dropped silently
and reaches every log that records request lines. Each route, in each spelling of the
absolute form, with a query (an empty one, a bare `?`, included).
"""

from __future__ import annotations

import secrets

import pytest

from conformance import ca_support as ca
from conformance.target import Target
from conformance.wire import ConformanceFailure

pytestmark = [
    pytest.mark.profile("pki"),
    pytest.mark.side("ca"),
    pytest.mark.xdist_group("ca-query-in-every-target-form"),
]

_ROUTES = {"enroll": "POST", "root": "GET", "crl": "GET"}
_SCHEMES = ("https://", "HTTPS://")


@pytest.mark.req("CA-ENR-15")
@pytest.mark.parametrize("route", list(_ROUTES))
@pytest.mark.parametrize("query", ["named", "bare"])
@pytest.mark.parametrize("scheme", _SCHEMES)
def test_absolute_form_query_is_refused(
    pki_target: Target, route: str, query: str, scheme: str
) -> None:
    """`METHOD https://HOST:PORT/v1/ROUTE?...`: `400 bad_request`, nothing served. The
    enrolment carries the enrolee's right password in its body (or a ghost alias's wrong
    one when the target declares no enrolee): a 200 or a 401 says the credentials were
    read although the target had a query."""
    host, port = ca.ca_address(pki_target)
    method = _ROUTES[route]
    suffix = f"?alias=q-{secrets.token_hex(3)}&password=pw-{secrets.token_hex(6)}"
    if query == "bare":
        suffix = "?"
    target_text = f"{scheme}{host}:{port}/v1/{route}{suffix}"
    body: bytes | None = None
    headers: dict[str, str] = {}
    if method == "POST":
        if pki_target.enroll:
            account = ca.enrolee(pki_target)
            alias, password = account.user, account.password
        else:
            alias, password = ca.ghost_alias(), f"wrong-{secrets.token_hex(6)}"
        csr = ca.csr_pem(ca.CsrKey.ec("P-256"), ca.name((ca.OID_CN, alias)))
        body = ca.enrol_body(alias, password, csr)
        headers["Content-Type"] = "application/json"
    answer = ca.request(
        pki_target,
        method,
        target_text,
        body,
        source=ca.sources(pki_target).fresh(),
        headers=headers,
    )
    what = f"{method} {target_text.replace(suffix, '?...') if query == 'named' else target_text}"
    obj = ca.json_body(answer, what) if answer.status >= 400 else {}
    if answer.status != 400 or obj.get("error") != "bad_request":
        raise ConformanceFailure.evidence(
            f"CA-ENR-15: {what} (an absolute-form target, CA-ENR-2, with a query string)",
            "400 bad_request before any credential is read, as for /v1/" + route + "?...",
            answer.describe(),
            note="the query check must see the whole target, whatever its form",
        )


@pytest.mark.req("CA-ENR-15")
@pytest.mark.parametrize("route", list(_ROUTES))
def test_absolute_form_userinfo_is_refused(pki_target: Target, route: str) -> None:
    """`METHOD https://USER:PASSWORD@HOST:PORT/v1/ROUTE` (userinfo, which RFC 9110 §4.2.4
    forbids in https URIs): `400 bad_request`, nothing served — credentials never travel
    in a URL. A CA that takes the target's path (urlsplit's `.path`) serves it, and logs
    the password with the request line."""
    host, port = ca.ca_address(pki_target)
    method = _ROUTES[route]
    userinfo = f"u-{secrets.token_hex(3)}:pw-{secrets.token_hex(6)}"
    target_text = f"https://{userinfo}@{host}:{port}/v1/{route}"
    body: bytes | None = None
    headers: dict[str, str] = {}
    if method == "POST":
        alias, password = ca.ghost_alias(), f"wrong-{secrets.token_hex(6)}"
        csr = ca.csr_pem(ca.CsrKey.ec("P-256"), ca.name((ca.OID_CN, alias)))
        body = ca.enrol_body(alias, password, csr)
        headers["Content-Type"] = "application/json"
    answer = ca.request(
        pki_target,
        method,
        target_text,
        body,
        source=ca.sources(pki_target).fresh(),
        headers=headers,
    )
    what = f"{method} https://USER:PASSWORD@{host}:{port}/v1/{route}"
    obj = ca.json_body(answer, what) if answer.status >= 400 else {}
    if answer.status != 400 or obj.get("error") != "bad_request":
        raise ConformanceFailure.evidence(
            f"CA-ENR-15: {what} (an absolute-form target with userinfo)",
            "400 bad_request before any credential is read: no credentials in a URL",
            answer.describe(),
            note="a CA that keeps only the target's path serves it and logs the password",
        )
