"""Request smuggling on every route of the CA, not only on the enrolment (SPEC §4.4,
CA-ENR-9).

A CA whose body-length rules live in its enrolment handler (where the body is read) lets
a request on another route — the root, the CRL, an unknown path, a wrong method — keep
the connection after a head whose body length is unknown: a `Content-Length` that is not
ASCII digits, two that differ, or a `Transfer-Encoding` it does not read beside a
`Content-Length`. The bytes after that head are then read as a next request, one a proxy
in front of the CA never saw. CA-ENR-9: "After answering a request whose body's length
is unknown, or one that carries both Transfer-Encoding and Content-Length (RFC 9112
§6.1), the CA MUST close the connection". Whatever the CA answers to the first request
(its root, its CRL, 400, 404, 405 or 411), it MUST NOT answer the smuggled one and MUST
close.

The order and the spelling matter too (round 18): a route that reads only the FIRST
`Content-Length` (`headers.get`, `r.Header.Get`, a map that keeps the first) sees `0` and
keeps the connection when the zero comes first; a reader that takes `identity` (RFC 2616's
"no coding", removed by RFC 7230) for no Transfer-Encoding at all frames the body by the
Content-Length. Those heads are sent on the enrolment route too.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable

import pytest

from conformance import ca_support as ca
from conformance.target import Target
from conformance.test_ca import _http_messages, _read_until_close
from conformance.wire import ConformanceFailure

pytestmark = [
    pytest.mark.profile("pki"),
    pytest.mark.side("ca"),
    pytest.mark.xdist_group("ca"),
]

# The first request of each case.
_ROUTES: dict[str, tuple[str, str]] = {
    "enroll": ("POST", "/v1/enroll"),
    "root": ("GET", "/v1/root"),
    "crl": ("GET", "/v1/crl"),
    "unknown-path": ("POST", "/v1/no-such-path"),
    "wrong-method": ("PUT", "/v1/enroll"),
}

# Heads whose body length is unknown, each followed by a complete request of its own.
_FRAMINGS: dict[str, Callable[[bytes], tuple[str, bytes]]] = {
    "length-with-underscore": lambda nxt: ("Content-Length: 1_0\r\n", nxt),
    "conflicting-lengths": lambda nxt: (
        f"Content-Length: {len(nxt)}\r\nContent-Length: 0\r\n",
        nxt,
    ),
    # A coding the CA does not read, with a length that ends exactly where the next
    # request starts: a CA that reads by the length answers the next request.
    "other-coding-and-length": lambda nxt: (
        "Transfer-Encoding: gzip\r\nContent-Length: 2\r\n",
        b"{}" + nxt,
    ),
    # The zero first: a reader of the first field sees an empty body.
    "zero-then-length": lambda nxt: (f"Content-Length: 0\r\nContent-Length: {len(nxt)}\r\n", nxt),
    # The same, the second length spelled with leading zeros (still another value).
    "zero-then-padded-length": lambda nxt: (
        f"Content-Length: 0\r\nContent-Length: 00{len(nxt)}\r\n",
        nxt,
    ),
    # RFC 2616's identity coding beside a length that ends where the next request starts.
    "identity-and-length": lambda nxt: (
        "Transfer-Encoding: identity\r\nContent-Length: 2\r\n",
        b"{}" + nxt,
    ),
    "identity-capitals-and-length": lambda nxt: (
        "Transfer-Encoding: Identity\r\nContent-Length: 2\r\n",
        b"{}" + nxt,
    ),
}
_ORDER_AND_SPELLING = (
    "zero-then-length",
    "zero-then-padded-length",
    "identity-and-length",
    "identity-capitals-and-length",
)
# (route, framing): every route but the enrolment with the first three heads (the
# enrolment's own length rules are test_ca_length_forms.py's), and the enrolment, the root
# and the CRL with the heads of another order or spelling.
_CASES = [
    (route, framing)
    for route in ("root", "crl", "unknown-path", "wrong-method")
    for framing in _FRAMINGS
    if framing not in _ORDER_AND_SPELLING
] + [(route, framing) for route in ("enroll", "root", "crl") for framing in _ORDER_AND_SPELLING]


@pytest.mark.req("CA-ENR-9")
@pytest.mark.parametrize(("route", "framing"), _CASES, ids=[f"{r}-{f}" for r, f in _CASES])
def test_bytes_after_an_unframed_request_on_any_route_are_not_a_request(
    pki_target: Target, route: str, framing: str
) -> None:
    """A request on `route` whose body length is unknown, the connection left open
    (HTTP/1.1 keep-alive), then in the same write a complete GET /v1/crl. The CA answers
    the first request as it likes, then MUST close, and MUST NOT answer the GET."""
    host, port = ca.ca_address(pki_target)
    method, path = _ROUTES[route]
    nxt = f"GET /v1/crl HTTP/1.1\r\nHost: {host}\r\n\r\n".encode()
    fields, body = _FRAMINGS[framing](nxt)
    request = (
        f"{method} {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
        f"{fields}\r\n"
    ).encode() + body
    source = ca.sources(pki_target).fresh()
    with (
        socket.create_connection(
            (host, port), timeout=ca.TIMEOUT, source_address=(source, 0)
        ) as raw,
        ca.tls_context(pki_target).wrap_socket(raw, server_hostname=host) as tls,
    ):
        tls.sendall(request)
        data, closed = _read_until_close(tls, time.monotonic() + 4.0)
        if data and not closed:  # a late answer (a loaded CA): its close may follow it
            more, closed = _read_until_close(tls, time.monotonic() + 2.0)
            data += more
    answers = _http_messages(data)
    what = f"{method} {path} ({framing}: {fields.strip()!r}) then GET /v1/crl, one write"
    if len(answers) > 1:
        raise ConformanceFailure.evidence(
            f"CA-ENR-9: {what}, the connection left open",
            "one answer, then the close: the body length of the first request is unknown",
            f"{len(answers)} answers: "
            + ", ".join(repr(a.decode(errors="replace")) for a in answers),
            note="the bytes after the head were read as a next request (request smuggling): "
            "the body-length rules applied on one route only, the first Content-Length "
            "taken, or Transfer-Encoding: identity read as none",
        )
    if answers and not closed:
        raise ConformanceFailure.evidence(
            f"CA-ENR-9: {what}",
            "the close once the first request is answered (RFC 9112 §6.3)",
            f"answered {answers[0].decode(errors='replace')!r}, then the connection stayed "
            "open (4 s, and 2 s after the answer)",
            note="after a request whose body length is unknown the CA must close, or it "
            "reads the rest as a request",
        )
