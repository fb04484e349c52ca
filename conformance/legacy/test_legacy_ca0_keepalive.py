"""Profile pki-legacy: each request on a kept-alive connection is checked on its own (§7.2).

The CA answers every `POST /verify` by its own credentials: a known alias with the right
password `200`, a wrong password or an unknown alias `401` (LEG-CA-FMT-2, -3). The seed's
`BaseHTTPServer` speaks HTTP/1.0 and closes after each answer, but a CA written on
another server library (Node's `http`, Go's `net/http`, a servlet container) keeps an
HTTP/1.1 connection open for the next request — and a programmer who ties state to the
connection ("this socket already proved alice's password", a session object per
connection, a per-connection cache of the last credentials, a request object reused by
the keep-alive loop) lets the next request on it through unchecked. The other CA cases
open a connection per request (`http.client`, one `POST` each), so they never see it.
Here, on ONE HTTP/1.1 connection (reopened only if the CA closes it): the right password
for the --enroll account (`200` and its certificate), then a wrong password for that
alias, an empty password, and an unknown alias — each MUST be `401` (a `429`, throttling,
is LEG-CA-5's business: not judged), and the evidence says whether the connection was
still the first one.
"""

from __future__ import annotations

import http.client
import secrets
import urllib.parse

import pytest

from conformance.legacy import der, pki0
from conformance.legacy.embedded import LegacyPkiTarget

pytestmark = pytest.mark.xdist_group("pki-legacy")


@pytest.mark.req("LEG-CA-FMT-3")
def test_a_kept_alive_connection_carries_no_credentials(pki_legacy: LegacyPkiTarget) -> None:
    if not (pki_legacy.ca_url and pki_legacy.enroll and pki_legacy.root):
        pytest.skip("needs the CA: --ca-url, --enroll ALIAS:PASSWORDFILE and --root")
    alias, password = pki_legacy.enroll
    root_pem = pki_legacy.root.read_bytes()
    public = pki0.suite_key(1).public_key().export_key("PEM") + b"\n"
    url = urllib.parse.urlsplit(pki_legacy.ca_url)
    conn = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port or 80, timeout=10)
    first_socket: object = None
    try:

        def post(name: str, secret: str) -> tuple[int, bytes, str]:
            body = pki0.verify_body(root_pem, name, secret, public)
            conn.request("POST", "/verify", body, {"Content-Type": "application/json"})
            on = "the same connection" if conn.sock is first_socket else "a new connection"
            response = conn.getresponse()
            return response.status, response.read(1 << 20), on

        conn.connect()
        first_socket = conn.sock
        status, answer, _ = post(alias, password)
        if status != 200:
            pytest.skip(f"not judged: the right password was answered {status} (test_legacy_ca0)")
        try:
            if der.read_certificate_leniently(answer).subject_cn != alias:
                pytest.skip("not judged: the 200 carried no certificate for the alias")
        except ValueError:
            pytest.skip("not judged: the 200 carried no certificate (test_legacy_ca0 reports it)")
        wrong = []
        for what, name, secret in (
            (f"a wrong password for {alias!r}", alias, password + "x"),
            (f"an empty password for {alias!r}", alias, ""),
            ("an unknown alias", f"nobody-{secrets.token_hex(4)}", password),
        ):
            status, answer, on = post(name, secret)
            if status not in (401, 429):
                wrong.append(f"{what}, on {on}: {status} {answer[:48]!r}")
    finally:
        conn.close()
    assert not wrong, (
        "LEG-CA-FMT-3 (a wrong password or an unknown alias MUST be answered 401): after the "
        f"right password for {alias!r} was answered 200 on an HTTP/1.1 connection, the next "
        "requests were answered: " + "; ".join(wrong)
    )
