"""An ambiguous body length closes the connection whatever order or spelling carries it
(SPEC §4.4, CA-ENR-9).

CA-ENR-9: two `Content-Length` fields whose values differ make the body's length
unknown ("a CA MUST NOT resolve [them] by taking either one"), and so does "a
`Transfer-Encoding` the CA does not read ... whatever `Content-Length` says"; "After
answering a request whose body's length is unknown, or one that carries both
`Transfer-Encoding` and `Content-Length` (RFC 9112 §6.1), the CA MUST close the
connection: the bytes after the head are not a next request."

The other framing cases send the conflicting lengths in one order (the non-zero one
first) and the unread coding as `gzip` or `chunked`. What a lenient parser gets wrong is
the order and the spelling: a route that reads only the FIRST `Content-Length`
(`headers.get`, `r.Header.Get`, a map that keeps the first) sees `0` and keeps the
connection when the zero comes first; a reader that takes `identity` (RFC 2616's "no
coding", removed by RFC 7230) for no Transfer-Encoding at all frames the body by the
Content-Length. Each case sends, in one write on one connection, a request on one route
(POST /v1/enroll, GET /v1/root, GET /v1/crl) with such a head, then a complete GET
/v1/crl: the CA answers the first request as it likes, then MUST close, and MUST NOT
answer the GET.
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

_ROUTES: dict[str, tuple[str, str]] = {
    "enroll": ("POST", "/v1/enroll"),
    "root": ("GET", "/v1/root"),
    "crl": ("GET", "/v1/crl"),
}

# Heads whose body length is unknown, each followed by the bytes that come after it: a
# CA that frames the body the lenient way finds the next request's start exactly there.
_FRAMINGS: dict[str, Callable[[bytes], tuple[str, bytes]]] = {
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


@pytest.mark.req("CA-ENR-9")
@pytest.mark.parametrize("framing", list(_FRAMINGS))
@pytest.mark.parametrize("route", list(_ROUTES))
def test_an_ambiguous_length_closes_in_any_order_and_spelling(
    pki_target: Target, route: str, framing: str
) -> None:
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
            "one answer, then the close: the first request's body length is unknown",
            f"{len(answers)} answers: "
            + ", ".join(repr(a.decode(errors="replace")) for a in answers),
            note="the bytes after the head were read as a next request (request smuggling): "
            "the first Content-Length taken, or Transfer-Encoding: identity read as none",
        )
    if answers and not closed:
        raise ConformanceFailure.evidence(
            f"CA-ENR-9: {what}",
            "the close once the first request is answered (RFC 9112 §6.1, §6.3)",
            f"answered {answers[0].decode(errors='replace')!r}, then the connection stayed "
            "open (4 s, and 2 s after the answer)",
            note="after a request whose body length is unknown the CA must close, or it "
            "reads the rest as a request",
        )
