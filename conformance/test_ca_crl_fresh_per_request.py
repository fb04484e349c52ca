"""Every GET /v1/crl answers the CRL as it is at that request, in exactly its DER
(CA-ENR-8).

"GET /v1/crl [MUST return] the current CRL (DER) ... and it lists every revocation made
before the request" (CA-ENR-8). Two ways a CA serves something else while each answer,
fetched the way the other cases fetch it (a fresh connection, the body's first byte
looked at), looks right:

- the CRL is kept per client: signed at the first GET of a kept-alive connection (the
  handler object lives as long as the connection) or per source address for a while,
  and served again to that client — a revocation made since is missing. An endpoint
  that refreshes its CRL over one kept-alive connection, the way an HTTP client library
  pools connections, never learns of it;
- the DER goes out with something after it (a newline, from the writer that serves the
  root's PEM): a strict DER reader (Go's x509.ParseRevocationList, "trailing data")
  refuses the CRL, so the endpoints relying on it fail closed or keep an older one.

The freshness case needs the target's `ca_user_add_cmd` and `ca_revoke_cmd` (CA-ENR-11).
"""

from __future__ import annotations

import http.client
import secrets

import pytest

from conformance import ca_support as ca
from conformance.plugin import inconclusive
from conformance.target import Account, Target
from conformance.wire import ConformanceFailure

pytestmark = [
    pytest.mark.profile("pki"),
    pytest.mark.side("ca"),
    pytest.mark.xdist_group("ca-crl-fresh"),
]


def _der_length(body: bytes) -> int | None:
    """The length of the DER element at the start of `body` (tag, length, content), or
    None when the header does not parse."""
    if len(body) < 2:
        return None
    first = body[1]
    if first < 0x80:
        return 2 + first
    count = first & 0x7F
    if count == 0 or count > 4 or len(body) < 2 + count:
        return None
    return 2 + count + int.from_bytes(body[2 : 2 + count], "big")


def _connection(target: Target, source: str | None) -> http.client.HTTPSConnection:
    host, port = ca.ca_address(target)
    return http.client.HTTPSConnection(
        host,
        port,
        timeout=ca.TIMEOUT,
        context=ca.tls_context(target),
        source_address=(source, 0) if source else None,
    )


def _get_crl(conn: http.client.HTTPSConnection, what: str) -> tuple[ca.CrlInfo, bool]:
    """The CRL fetched on `conn`, and whether the CA keeps the connection open after it."""
    conn.request("GET", "/v1/crl")
    response = conn.getresponse()
    body = response.read()
    if response.status != 200 or body[:1] != b"\x30":
        raise ConformanceFailure(f"CA-ENR-8: {what}: HTTP {response.status} {body[:200]!r}")
    closing = (response.getheader("Connection") or "").strip().lower() == "close"
    return ca.read_crl(body), not closing


@pytest.mark.req("CA-ENR-8")
def test_the_crl_body_is_one_der_structure(pki_target: Target) -> None:
    """GET /v1/crl: the body is exactly one DER CertificateList — its outer SEQUENCE's
    length is the body's length, nothing before or after it."""
    answer = ca.request(pki_target, "GET", "/v1/crl")
    if answer.status != 200:
        raise ConformanceFailure(f"CA-ENR-8: GET /v1/crl: {answer.describe()}")
    body = answer.body
    length = _der_length(body) if body[:1] == b"\x30" else None
    if length != len(body):
        raise ConformanceFailure.evidence(
            "GET /v1/crl",
            "a body that is the CRL's DER exactly: one SEQUENCE whose encoded length is the "
            "body's length (CA-ENR-8: the CRL in DER)",
            f"{len(body)} bytes whose first element spans {length} bytes; the bytes after "
            f"it: {body[length:][:40]!r}"
            if length is not None
            else f"{len(body)} bytes that do not start with a DER SEQUENCE: {body[:40]!r}",
            "a strict DER reader (Go's x509.ParseRevocationList) refuses trailing data",
        )


def _fresh_revocable(target: Target) -> tuple[Account, int]:
    """A fresh account, enrolled once: its certificate's serial."""
    if not target.ca_user_add_cmd or not target.ca_revoke_cmd:
        pytest.skip("needs the CA's administration commands ([pki] ca_user_add_cmd, ca_revoke_cmd)")
    account = Account(f"crlf-{secrets.token_hex(5)}", secrets.token_urlsafe(15))
    ca.admin_command(target, "add", account.user, stdin=account.password + "\n")
    csr = ca.csr_pem(ca.CsrKey.ec("P-256"), ca.name((ca.OID_CN, account.user)))
    answer = ca.enrol(target, account.user, account.password, csr)
    obj = ca.json_body(answer, f"the enrolment of {account.user!r}")
    if answer.status != 200 or not isinstance(obj.get("certificate"), str):
        inconclusive(f"the fresh account {account.user!r} did not enrol: {answer.describe()}")
    return account, ca.read_issued(obj["certificate"]).serial


@pytest.mark.req("CA-ENR-8")
def test_a_revocation_reaches_a_client_that_fetched_the_crl_before(pki_target: Target) -> None:
    """A client fetches the CRL on a kept-alive connection; a fresh alias's certificate is
    then revoked; the client fetches the CRL again — on the same connection (if the CA kept
    it open), and on a new connection from the same address. Each later CRL lists the
    revoked serial: it is the current CRL, whoever asked for one before."""
    account, serial = _fresh_revocable(pki_target)
    source = ca.sources(pki_target).fresh()
    conn = _connection(pki_target, source)
    try:
        before, kept = _get_crl(conn, "the first GET /v1/crl")
        if serial in before.serials:
            inconclusive(f"{account.user!r}'s serial {serial:#x} is listed before its revocation")
        ca.admin_command(pki_target, "revoke", account.user)
        fetched: list[tuple[str, ca.CrlInfo]] = []
        if kept:
            try:
                again, _ = _get_crl(conn, "GET /v1/crl again on the same connection")
                fetched.append(("on the same kept-alive connection", again))
            except (http.client.RemoteDisconnected, ConnectionError):
                pass  # closed without saying so before: nothing to judge on it
    finally:
        conn.close()
    other = _connection(pki_target, source)
    try:
        fresh, _ = _get_crl(other, "GET /v1/crl on a new connection")
        fetched.append(("on a new connection from the same address", fresh))
    finally:
        other.close()
    stale = [how for how, crl in fetched if serial not in crl.serials]
    if stale:
        raise ConformanceFailure.evidence(
            f"GET /v1/crl from {source} ({len(before.serials)} entries), then the fresh alias "
            f"{account.user!r} revoked (ca_revoke_cmd returned), then GET /v1/crl again",
            f"every later CRL lists the revoked serial {serial:#x}: the CRL of CA-ENR-8 lists "
            "every revocation made before the request",
            "it is missing from the CRL fetched "
            + " and ".join(stale)
            + "; "
            + "; ".join(
                f"{how}: {len(crl.serials)} entries, thisUpdate {crl.this_update}"
                for how, crl in fetched
            ),
            "a CRL kept per connection or per client is served to the endpoints that refresh "
            "over a pooled connection",
        )
