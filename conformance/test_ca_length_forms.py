"""The length of a request body, in every form a lenient CA gets wrong (SPEC §4.4,
CA-ENR-9).

The body is exactly the `Content-Length` bytes after the head, and nothing else says
how long it is. Each case sends a login whose body a correct CA never acts on, so an
answer `200` or `401` (the login was read and verified) shows the CA took its length
from somewhere else:

- no `Content-Length`, with `Connection: close` or as HTTP/1.0 — a request's body is
  never delimited by the close (that is a response's framing, RFC 9112 §6.3): `411` or
  `400`, at once, not an answer once the client gives up;
- several `Content-Length` fields that do not all agree (the first and last equal, a
  middle one not): the length is unknown — `400`/`411`, never the login;
- a `Content-Length` over 64 KiB however large (2**32 + n, 2**64 + n: a 32- or 64-bit
  length wraps to the real body's n): `413` (or `400`/`411`), never the login;
- a body on a request that reads none (`GET /v1/root`), after an earlier request on
  the same connection: its bytes are never a next request — a request hidden in it is
  never answered.
"""

from __future__ import annotations

import json
import socket
import time

import pytest

from conformance import ca_support as ca
from conformance.target import Target
from conformance.wire import ConformanceFailure

pytestmark = [
    pytest.mark.profile("pki"),
    pytest.mark.side("ca"),
    pytest.mark.xdist_group("ca-length-forms"),
]


def _login() -> bytes:
    """A login a CA would answer 401 once it read it (an unknown alias)."""
    alias = ca.ghost_alias()
    csr = ca.csr_pem(ca.CsrKey.ec("P-256"), ca.name((ca.OID_CN, alias)))
    return json.dumps({"alias": alias, "password": "wrong", "csr": csr}).encode()


def _status(received: bytes) -> int | None:
    line = received.split(b"\r\n", 1)[0].split()
    if len(line) >= 2 and line[0].startswith(b"HTTP/") and line[1].isdigit():
        return int(line[1])
    try:  # a JSON error object alone (the HTTP/0.9 reading of CA-ENR-9)
        json.loads(received)
    except ValueError:
        return None
    return 400


def _exchange(target: Target, head: bytes, body: bytes) -> bytes:
    return ca.raw_exchange(target, head + body, timeout=8.0, source=ca.sources(target).fresh())


_CLOSE_FRAMED = {
    "connection-close": b"POST /v1/enroll HTTP/1.1\r\nHost: ca\r\nConnection: close\r\n",
    "http-1.0": b"POST /v1/enroll HTTP/1.0\r\nHost: ca\r\n",
}


@pytest.mark.req("CA-ENR-9")
@pytest.mark.parametrize("form", list(_CLOSE_FRAMED))
def test_no_content_length_is_not_read_to_the_close(pki_target: Target, form: str) -> None:
    """A login body without Content-Length (with Connection: close, or as HTTP/1.0),
    the connection left open: 411 or 400 within 8 s."""
    head = _CLOSE_FRAMED[form] + b"Content-Type: application/json\r\n\r\n"
    received = _exchange(pki_target, head, _login())
    status = _status(received)
    if status not in (400, 411):
        raise ConformanceFailure.evidence(
            f"CA-ENR-9: a login without Content-Length ({form}), the client's side left open",
            "411 or 400 at once: a request's body is never delimited by the close",
            f"status {status} ({received[:200]!r})" if received else "no answer within 8 s",
        )


@pytest.mark.req("CA-ENR-9")
@pytest.mark.parametrize("order", ["n,m", "n,m,n", "n,n,m", "m,n,n"])
def test_content_lengths_that_disagree(pki_target: Target, order: str) -> None:
    """Content-Length fields n (the body's length) and m = n + 7, in this order, then
    the body: 400 or 411, never the login (401 or 200)."""
    body = _login()
    values = {"n": len(body), "m": len(body) + 7}
    fields = b"".join(b"Content-Length: %d\r\n" % values[k] for k in order.split(","))
    head = b"POST /v1/enroll HTTP/1.1\r\nHost: ca\r\nContent-Type: application/json\r\n"
    received = _exchange(pki_target, head + fields + b"\r\n", body)
    status = _status(received)
    if status in (200, 401) or b"BEGIN CERTIFICATE" in received:
        raise ConformanceFailure.evidence(
            f"CA-ENR-9: a login with Content-Length fields {order} (n = {values['n']}, the "
            f"body's length; m = {values['m']})",
            "400 or 411: fields that do not all agree leave the length unknown",
            f"status {status}: the login was read ({received[:200]!r})",
        )


@pytest.mark.req("CA-ENR-9")
@pytest.mark.parametrize("over", ["2**32", "2**64", "10**30"])
def test_huge_content_length_is_over_the_limit(pki_target: Target, over: str) -> None:
    """A login of n bytes announced as Content-Length `over` + n: 413 (or 400/411),
    never the login."""
    body = _login()
    length = {"2**32": 2**32, "2**64": 2**64, "10**30": 10**30}[over] + len(body)
    head = (
        b"POST /v1/enroll HTTP/1.1\r\nHost: ca\r\nContent-Type: application/json\r\n"
        b"Content-Length: %d\r\n\r\n" % length
    )
    received = _exchange(pki_target, head, body)
    status = _status(received)
    if status in (200, 401) or b"BEGIN CERTIFICATE" in received:
        raise ConformanceFailure.evidence(
            f"CA-ENR-9: a login of {len(body)} bytes announced as Content-Length {length} "
            f"({over} + {len(body)})",
            "413 (or 400/411): a body over 65536 bytes, whatever the length's size",
            f"status {status}: the login was read ({received[:200]!r})",
        )


_HIDDEN = b"GET /v1/crl HTTP/1.1\r\nHost: ca\r\n\r\n"


@pytest.mark.req("CA-ENR-9")
@pytest.mark.parametrize("before", ["nothing", "a-login", "a-root"])
def test_a_body_the_ca_does_not_read_is_no_request(pki_target: Target, before: str) -> None:
    """On one connection: `before` (nothing, a login answered 401, a GET /v1/root),
    then GET /v1/root with a Content-Length body that is itself GET /v1/crl: the CRL is
    never answered (the CA reads and drops the body, or answers and closes)."""
    first = b""
    if before == "a-login":
        login = _login()
        first = (
            b"POST /v1/enroll HTTP/1.1\r\nHost: ca\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\n\r\n" % len(login) + login
        )
    elif before == "a-root":
        first = b"GET /v1/root HTTP/1.1\r\nHost: ca\r\n\r\n"
    smuggler = b"GET /v1/root HTTP/1.1\r\nHost: ca\r\nContent-Length: %d\r\n\r\n" % len(_HIDDEN)
    received = b""
    host, port = ca.ca_address(pki_target)
    deadline = time.monotonic() + 6.0
    with (
        socket.create_connection(
            (host, port), timeout=6.0, source_address=_source(pki_target)
        ) as raw,
        ca.tls_context(pki_target).wrap_socket(raw) as tls,
    ):
        tls.sendall(first + smuggler + _HIDDEN)
        while time.monotonic() < deadline and b"application/pkix-crl" not in received:
            tls.settimeout(max(0.05, deadline - time.monotonic()))
            try:
                chunk = tls.recv(65536)
            except OSError:
                break
            if not chunk:
                break
            received += chunk
    if b"application/pkix-crl" in received.lower():
        answers = received.count(b"HTTP/1.1 ") + received.count(b"HTTP/1.0 ")
        raise ConformanceFailure.evidence(
            f"CA-ENR-9: on one connection {before.replace('-', ' ')}, then GET /v1/root "
            f"with a {len(_HIDDEN)}-byte body that reads GET /v1/crl",
            "the body is read and dropped, or the CA answers and closes: never an answer "
            "to the request hidden in it",
            f"{answers} answers, one of them the CRL (application/pkix-crl)",
        )


def _source(target: Target) -> tuple[str, int] | None:
    source = ca.sources(target).fresh()
    return (source, 0) if source else None
