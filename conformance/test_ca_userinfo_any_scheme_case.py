"""Userinfo in an absolute-form target is refused whatever the letter case of its scheme
(docs/SPEC.md §4.4 CA-ENR-15, CA-ENR-2).

CA-ENR-15: a target with userinfo (`https://user:pw@host/...`, which RFC 9110 §4.2.4
forbids) MUST be refused `400 bad_request`, like a query string: credentials never travel
in a URL. CA-ENR-2 makes the CA accept an absolute-form target with its scheme "in any
letter case" (RFC 9110 §4.2.3: schemes are case-insensitive).
test_ca_query_in_every_target_form.py sends the userinfo with `https://`. A CA whose
userinfo check and router each recognise the absolute form their own way — the check on a
lower-case `https://` (or on two fixed spellings), the router on any case — serves
`HTTPS://user:pw@HOST/v1/enroll` and logs the password with its request line.

`test_userinfo_is_refused_in_any_scheme_case`: `METHOD SCHEME://USER:PW@HOST:PORT/v1/ROUTE`
with the scheme spelt `HTTPS`, `Https`, `hTtPs`, on the enrolment (a ghost alias's wrong
password in the body) and on the root: `400 bad_request`, as for `https://`.
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
    pytest.mark.xdist_group("ca-userinfo-any-scheme-case"),
]


@pytest.mark.req("CA-ENR-15", "CA-ENR-2")
@pytest.mark.parametrize("scheme", ["HTTPS", "Https", "hTtPs"])
@pytest.mark.parametrize("route", ["enroll", "root"])
def test_userinfo_is_refused_in_any_scheme_case(
    pki_target: Target, scheme: str, route: str
) -> None:
    host, port = ca.ca_address(pki_target)
    userinfo = f"u-{secrets.token_hex(3)}:pw-{secrets.token_hex(6)}"
    target_text = f"{scheme}://{userinfo}@{host}:{port}/v1/{route}"
    method, body, headers = "GET", None, {}
    if route == "enroll":
        alias, password = ca.ghost_alias(), f"wrong-{secrets.token_hex(6)}"
        csr = ca.csr_pem(ca.CsrKey.ec("P-256"), ca.name((ca.OID_CN, alias)))
        method, body = "POST", ca.enrol_body(alias, password, csr)
        headers = {"Content-Type": "application/json"}
    answer = ca.request(
        pki_target,
        method,
        target_text,
        body,
        source=ca.sources(pki_target).fresh(),
        headers=headers,
    )
    what = f"{method} {scheme}://USER:PASSWORD@{host}:{port}/v1/{route}"
    obj = ca.json_body(answer, what) if answer.status >= 400 else {}
    if answer.status != 400 or obj.get("error") != "bad_request":
        raise ConformanceFailure.evidence(
            f"CA-ENR-15: {what} (userinfo in an absolute-form target, its scheme in another "
            "letter case: CA-ENR-2 makes the CA accept it)",
            "400 bad_request, as for https://USER:PASSWORD@...: no credentials in a URL",
            answer.describe(),
            note="the userinfo check and the router must recognise the absolute form alike",
        )
