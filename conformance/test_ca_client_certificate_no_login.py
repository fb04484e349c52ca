"""An employee certificate presented in the CA's TLS handshake logs no one in (docs/SPEC.md
§4.4: CA-ENR-6, CA-ENR-2).

The login of CA-ENR-2 is the alias and password of the JSON body; CA-ENR-6: a wrong
password MUST be answered `401 auth_failed`. A CA that also asks for an optional client
certificate in its TLS handshake — "employees renew with the certificate they hold;
newcomers use their password" — and takes a presented certificate whose CN is the body's
alias as the login confuses two roles: the employee certificate is a credential of the
peer-to-peer protocol (§4.1), with its own life (revocation reaches peers through the CRL
and only at its next refresh, PKI-CERT-7), and holding it is not knowing the enrolment
password. Such a CA renews a stolen or revoked key's certificate for whoever holds it,
without the password, for as long as that certificate is valid.

A fresh account enrols (`200`) with a key the suite made; then, on a TLS connection that
offers that certificate and key to the CA (if the CA asks for one; a CA that does not ask
simply gets none), a login for the account with a wrong password: `401 auth_failed` —
never a certificate. Needs `ca_user_add_cmd`.
"""

from __future__ import annotations

import http.client
import json
import secrets
from pathlib import Path

import pytest

from conformance import ca_support as ca
from conformance.target import Target
from conformance.test_ca_vanished_logins import _account
from conformance.wire import ConformanceFailure

pytestmark = [
    pytest.mark.profile("pki"),
    pytest.mark.side("ca"),
    pytest.mark.xdist_group("ca-client-certificate-no-login"),
]


@pytest.mark.req("CA-ENR-6")
def test_a_presented_employee_certificate_does_not_replace_the_password(
    pki_target: Target, tmp_path: Path
) -> None:
    host, port = ca.ca_address(pki_target)
    alias, password = _account(pki_target, "tlscred")
    key = ca.CsrKey.ec("P-256")
    csr = ca.csr_pem(key, ca.name((ca.OID_CN, alias)))
    first = ca.enrol(pki_target, alias, password, csr)
    obj = ca.json_body(first, f"the fresh account {alias!r}'s login")
    certificate = obj.get("certificate")
    if first.status != 200 or not isinstance(certificate, str):
        pytest.skip(f"the fresh account {alias!r} does not enrol: {first.describe()}")
    cert_file, key_file = tmp_path / "employee.pem", tmp_path / "employee.key"
    cert_file.write_text(certificate)
    key_file.write_text(key.key.export_key(format="PEM"))
    key_file.chmod(0o600)
    context = ca.tls_context(pki_target)
    context.load_cert_chain(str(cert_file), str(key_file))
    source = ca.sources(pki_target).fresh()
    conn = http.client.HTTPSConnection(
        host,
        port,
        timeout=ca.TIMEOUT,
        context=context,
        source_address=(source, 0) if source else None,
    )
    wrong = f"wrong-{secrets.token_hex(6)}"
    try:
        conn.request(
            "POST",
            "/v1/enroll",
            body=ca.enrol_body(alias, wrong, ca.csr_pem(key, ca.name((ca.OID_CN, alias)))),
            headers={"Content-Type": "application/json"},
        )
        response = conn.getresponse()
        answer = ca.CaAnswer(response.status, {}, response.read())
    finally:
        conn.close()
    error = None
    try:
        parsed = json.loads(answer.body)
        error = parsed.get("error") if isinstance(parsed, dict) else None
    except ValueError:
        pass
    if answer.status == 401 and error == "auth_failed":
        return
    raise ConformanceFailure.evidence(
        f"CA-ENR-6: the fresh account {alias!r} enrols (200); then, on a TLS connection "
        "offering that certificate and its key as a client certificate, a login for "
        f"{alias!r} with a wrong password (from a fresh address)",
        "401 auth_failed: the login is the body's alias and password; a certificate held "
        "is not the password",
        answer.describe(),
        note="the CA took the presented certificate (CN = the alias) as the login"
        if answer.status == 200
        else "",
    )
