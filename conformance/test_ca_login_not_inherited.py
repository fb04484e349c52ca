"""A login is never inherited from an earlier connection: not by a resumed TLS session,
not by the address it came from (docs/SPEC.md §4.4, CA-ENR-6, CA-ENR-2).

CA-ENR-6: a wrong password MUST get `401 auth_failed`. Each enrolment request carries its
own credentials (CA-ENR-2); nothing of an earlier login stands for them. A CA that issues
TLS session tickets and takes a resumed session for the client that logged in on the
session it resumes ("it proved itself a minute ago"), or remembers the address an alias
logged in from, enrols whoever comes next with any password — a resumption ticket is a
bearer token a client may hand on, and an address is shared (NAT, a proxy, a
multi-user host). (The kept-alive connection is test_ca_keep_alive_logins.py's.)

From one fresh address: a fresh account's right password (`200`; the enrolee's when the
target declares no `ca_user_add_cmd`), remembering the TLS session;
then the same alias with a wrong password on a new connection that offers that session
for resumption (whether the CA resumes it is its choice, and the evidence says), and on a
new connection without it. Both MUST be `401`. A last login with the right password
clears the two failures (and MUST be `200`, else the case is inconclusive).
"""

from __future__ import annotations

import secrets
import socket
import ssl
import time

import pytest

from conformance import ca_support as ca
from conformance.target import Account, Target
from conformance.wire import ConformanceFailure

pytestmark = [
    pytest.mark.profile("pki"),
    pytest.mark.side("ca"),
    pytest.mark.xdist_group("ca-login-not-inherited"),
]

_WAIT = 10.0


def _login(
    target: Target,
    context: ssl.SSLContext,
    source: str | None,
    body: bytes,
    session: ssl.SSLSession | None,
) -> tuple[int, ssl.SSLSession | None, bool]:
    """One login on a new connection: the final status (0: none), the TLS session after
    the answer (with its tickets), and whether the handshake resumed `session`."""
    host, port = ca.ca_address(target)
    authority = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    head = (
        f"POST /v1/enroll HTTP/1.1\r\nHost: {authority}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode("ascii")
    received = b""
    deadline = time.monotonic() + _WAIT
    with socket.create_connection(
        (host, port), timeout=_WAIT, source_address=(source, 0) if source else None
    ) as raw:
        tls = context.wrap_socket(raw, session=session)
        try:
            resumed = bool(tls.session_reused)
            tls.sendall(head + body)
            while time.monotonic() < deadline:
                tls.settimeout(max(0.01, deadline - time.monotonic()))
                try:
                    chunk = tls.recv(65536)
                except (TimeoutError, ssl.SSLError, OSError):
                    break
                if not chunk:
                    break
                received += chunk
                answers, _rest = ca.split_answers(received)
                final = next((status for status, _ in answers if status >= 200), None)
                if final is not None:
                    return final, tls.session, resumed
            return 0, tls.session, resumed
        finally:
            tls.close()


@pytest.mark.req("CA-ENR-6")
def test_a_wrong_password_after_a_right_one_is_refused_on_a_new_connection(
    pki_target: Target,
) -> None:
    ca.ca_address(pki_target)
    if pki_target.ca_user_add_cmd:
        # An account of its own: its two failures meet no other case's logins.
        account = Account(f"inherit-{secrets.token_hex(5)}", secrets.token_urlsafe(15))
        ca.admin_command(pki_target, "add", account.user, stdin=account.password + "\n")
    else:
        account = ca.enrolee(pki_target)
    context = ca.tls_context(pki_target)  # one context: its sessions may resume
    source = ca.sources(pki_target).fresh()
    csr = ca.csr_pem(ca.CsrKey.ec("P-256"), ca.name((ca.OID_CN, account.user)))
    right = ca.enrol_body(account.user, account.password, csr)
    status, session, _ = _login(pki_target, context, source, right, None)
    if status != 200:
        pytest.skip(f"the enrolee's right password was answered {status} (judged elsewhere)")
    wrong = ca.enrol_body(account.user, account.password + "-not", csr)
    answers: list[tuple[str, int]] = []
    resumed_any = False
    for how, offered in (("offering the first session for resumption", session),
                         ("as a new session", None)):
        status, _after, resumed = _login(pki_target, context, source, wrong, offered)
        resumed_any |= resumed
        answers.append((how + (" (resumed)" if resumed else ""), status))
    status, _after, _ = _login(pki_target, context, source, right, None)
    if status != 200:
        pytest.skip(f"the closing right login was answered {status}: inconclusive ({answers})")
    bad = [(how, got) for how, got in answers if got != 401]
    if bad:
        raise ConformanceFailure.evidence(
            "CA-ENR-6: from one address, the account's right password (200), then the same "
            "alias with a wrong password on new connections",
            "401 auth_failed on each: a login is its request's password, never an earlier "
            "connection's",
            "; ".join(f"{how}: {got}" for how, got in bad),
            note="the CA resumed the session" if resumed_any else "no session was resumed",
        )
