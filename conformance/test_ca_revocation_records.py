"""Every certificate the CA hands out is on record for its alias (CA-ENR-11).

test_ca.py revokes an alias whose CSRs named it, enrolled over connections that closed
at once. Two ways an implementation's record of a certificate can miss the alias's
revocation all the same: a certificate filed under the name the CSR asked for rather
than the alias that enrolled (the CSR's subject is ignored for the certificate,
CA-ENR-4 — and must be for the record too), and a record written only when the client's
connection ends (a revocation while that client keeps its connection alive misses it —
"acknowledged before done"). Either way the revocation returns and the CRL lacks a
certificate the CA handed out: CA-ENR-11 says that once the revoke command has
returned, every certificate the CA has handed out for the alias is on the CRL.
"""

from __future__ import annotations

import http.client
import json
import secrets

import pytest

from conformance import ca_support as ca
from conformance.target import Account, Target
from conformance.wire import ConformanceFailure

pytestmark = [pytest.mark.profile("pki"), pytest.mark.xdist_group("ca")]

_JSON = {"Content-Type": "application/json"}


def _fresh_account(target: Target, prefix: str) -> Account:
    account = Account(f"{prefix}-{secrets.token_hex(5)}", secrets.token_urlsafe(15))
    ca.admin_command(target, "add", account.user, stdin=account.password + "\n")
    return account


def _certificate(answer: ca.CaAnswer, what: str) -> ca.IssuedCertificate:
    obj = ca.json_body(answer, what)
    if answer.status != 200 or not isinstance(obj.get("certificate"), str):
        raise ConformanceFailure(f"CA-ENR-2: {what}: {answer.describe()}")
    return ca.read_issued(obj["certificate"])


def _revoke_and_check(target: Target, alias: str, issued: dict[int, str]) -> None:
    ca.admin_command(target, "revoke", alias)
    crl = ca.fetch_crl(target)
    missing = [
        f"{serial:#x} ({how})" for serial, how in issued.items() if serial not in crl.serials
    ]
    if missing:
        raise ConformanceFailure(
            f"CA-ENR-11: {alias!r} was revoked (the command returned); the CRL fetched "
            f"after it ({len(crl.serials)} entries, thisUpdate {crl.this_update}) lacks "
            f"certificates the CA handed out for it: {'; '.join(missing)}"
        )


@pytest.mark.req("CA-ENR-11")
def test_certificates_whose_csr_named_another_subject_are_revoked(pki_target: Target) -> None:
    """A fresh user enrols with CSRs whose subject is another name, an upper-case
    spelling of its alias, and empty (each certificate names the alias, CA-ENR-4);
    revoking the alias lists all of them."""
    ca.ca_address(pki_target)
    account = _fresh_account(pki_target, "rc")
    subjects = {
        "CN = another alias": ca.name((ca.OID_CN, f"other-{secrets.token_hex(4)}")),
        "CN = the alias upper-cased": ca.name((ca.OID_CN, account.user.upper())),
        "an empty subject": ca.name(),
    }
    issued: dict[int, str] = {}
    for how, subject in subjects.items():
        key = ca.CsrKey.ec("P-256")
        answer = ca.enrol(pki_target, account.user, account.password, ca.csr_pem(key, subject))
        cert = _certificate(answer, f"enrolment of {account.user!r} with a CSR of {how}")
        issued[cert.serial] = f"CSR with {how}"
    _revoke_and_check(pki_target, account.user, issued)


@pytest.mark.req("CA-ENR-11")
def test_a_certificate_enrolled_on_a_kept_alive_connection_is_revoked(
    pki_target: Target,
) -> None:
    """A fresh user enrols twice on ONE kept-alive HTTP/1.1 connection and keeps it open
    while the administrator revokes the alias and the suite fetches the CRL over another
    connection: both certificates are listed. The 200 announced a certificate the CA
    handed out; its record cannot wait for the client to hang up. Then a third login with
    the right password on that same connection: refused (a connection that read the
    account before its revocation holds no stale verdict)."""
    host, port = ca.ca_address(pki_target)
    account = _fresh_account(pki_target, "rk")
    conn = http.client.HTTPSConnection(
        host,
        port,
        timeout=ca.TIMEOUT,
        context=ca.tls_context(pki_target),
        source_address=(source, 0) if (source := ca.sources(pki_target).fresh()) else None,
    )
    issued: dict[int, str] = {}
    try:
        for n in range(2):
            key = ca.CsrKey.ec("P-256")
            body = json.dumps(
                {
                    "alias": account.user,
                    "password": account.password,
                    "csr": ca.csr_pem(key, ca.name((ca.OID_CN, account.user))),
                }
            ).encode()
            conn.request("POST", "/v1/enroll", body=body, headers=_JSON)
            response = conn.getresponse()
            answer = ca.CaAnswer(
                response.status,
                {k.lower(): v for k, v in response.getheaders()},
                response.read(),
            )
            cert = _certificate(answer, f"enrolment {n + 1} on one kept-alive connection")
            issued[cert.serial] = f"enrolment {n + 1}, its connection still open"
            if response.will_close:
                break  # the CA closes after each answer: the second enrolment is not needed
        _revoke_and_check(pki_target, account.user, issued)
        # The same client, still on its connection, asks again: the revocation is the
        # account's state now, whatever the connection saw of it before (CA-ENR-11).
        body = json.dumps(
            {
                "alias": account.user,
                "password": account.password,
                "csr": ca.csr_pem(ca.CsrKey.ec("P-256"), ca.name((ca.OID_CN, account.user))),
            }
        ).encode()
        try:
            conn.request("POST", "/v1/enroll", body=body, headers=_JSON)
            response = conn.getresponse()
            again = ca.CaAnswer(response.status, {}, response.read())
            where = "on the same kept-alive connection"
        except (OSError, http.client.HTTPException):
            again = ca.request(
                pki_target,
                "POST",
                "/v1/enroll",
                body,
                source=ca.sources(pki_target).fresh(),
                headers=_JSON,
            )
            where = "on a new connection (the CA had closed the kept-alive one)"
        if again.status == 200 or b"BEGIN CERTIFICATE" in again.body:
            raise ConformanceFailure.evidence(
                f"CA-ENR-11: {account.user!r} enrolled on a kept-alive connection, was "
                f"revoked while it stayed open; then its right password again {where}",
                "401 auth_failed: a revoked alias does not enrol again",
                again.describe(),
                note="the CA judged the login on what it read of the account earlier",
            )
    finally:
        conn.close()
