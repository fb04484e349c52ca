"""The enrolment's credential is the one in its JSON body, for the alias in its JSON body
(SPEC §4.4: CA-ENR-2, CA-ENR-6).

CA-ENR-2 defines the login: `POST /v1/enroll` with `{"alias", "password", "csr"}`; the
certificate names that alias. A CA that also takes a credential from elsewhere in the
request — HTTP Basic authentication "for scripts" (RFC 7617), checked instead of the
body's password when the header is there — while the certificate still names the body's
alias verifies one identity and certifies another: anyone with an account (here the
suite's enrolee) gets a certificate for any alias. CA-ENR-6: a wrong password MUST be
answered `401 auth_failed`; the body's password is wrong in every case below, so the
answer is `401` (or `400 bad_request` for a CA that refuses the header), never a
certificate.

A fresh account is made through `ca_user_add_cmd` (one for the file) and first enrols
with its own right password (200: the CA answers this account); then one request per
variant from a fresh address, with the body's alias and a wrong body password, and an
Authorization header holding the enrolee's right alias and password (one failure per
alias and address: far below any throttle).
"""

from __future__ import annotations

import base64
import json
import secrets

import pytest

from conformance import ca_support as ca
from conformance.target import Target
from conformance.test_ca_vanished_logins import _account, _csr
from conformance.wire import ConformanceFailure

pytestmark = [
    pytest.mark.profile("pki"),
    pytest.mark.side("ca"),
    pytest.mark.xdist_group("ca-credentials-in-body-only"),
]

# variant: (the body's alias: the fresh account's or the enrolee's own, the header's form)
_VARIANTS = {
    "basic-of-another-account": ("fresh", "Basic"),
    "basic-lower-case-scheme": ("fresh", "basic"),
    "basic-of-the-same-account": ("enrolee", "Basic"),
}


_FRESH: dict[str, str] = {}  # one fresh account per CA for the whole file (an account costs)


def _fresh_account(target: Target) -> str:
    """A fresh account that has enrolled once with its own right password (200)."""
    key = str(target.ca_url)
    if key not in _FRESH:
        alias, password = _account(target, "in-body")
        honest = ca.enrol(target, alias, password, _csr(alias))
        if honest.status != 200:
            pytest.skip(f"the fresh account {alias!r} does not enrol: {honest.describe()}")
        _FRESH[key] = alias
    return _FRESH[key]


@pytest.mark.req("CA-ENR-6")
@pytest.mark.parametrize("variant", list(_VARIANTS))
def test_a_credential_outside_the_body_is_no_credential(pki_target: Target, variant: str) -> None:
    whose, scheme = _VARIANTS[variant]
    enrolee = ca.enrolee(pki_target)
    pool = ca.sources(pki_target)
    if whose == "fresh":
        alias = _fresh_account(pki_target)
    body_alias = alias if whose == "fresh" else enrolee.user
    token = base64.b64encode(f"{enrolee.user}:{enrolee.password}".encode()).decode()
    answer = ca.request(
        pki_target,
        "POST",
        "/v1/enroll",
        ca.enrol_body(body_alias, f"wrong-{secrets.token_hex(6)}", _csr(body_alias)),
        source=pool.fresh(),
        headers={"Content-Type": "application/json", "Authorization": f"{scheme} {token}"},
    )
    error = None
    try:
        parsed = json.loads(answer.body)
        error = parsed.get("error") if isinstance(parsed, dict) else None
    except ValueError:
        pass
    if (answer.status, error) in {(401, "auth_failed"), (400, "bad_request")} and (
        b"BEGIN CERTIFICATE" not in answer.body
    ):
        return
    raise ConformanceFailure.evidence(
        f"CA-ENR-6: a login for {body_alias!r} with a wrong password in its JSON body and "
        f"'Authorization: {scheme} <{enrolee.user}:its right password>', from a fresh address",
        "401 auth_failed (or 400 bad_request for the header): the credential is the body's "
        "password, for the body's alias — never a certificate",
        answer.describe(),
        note="a credential taken from the Authorization header while the certificate names "
        "the body's alias: one account's password buys any alias",
    )
