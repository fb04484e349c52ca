"""A Content-Length that is empty, or a zero in another form, frames nothing (SPEC §4.4:
CA-ENR-9).

CA-ENR-9: a `Content-Length` that is not ASCII decimal digits alone is no length — the
body's length is unknown, the request is answered `411` or `400`, and the CA MUST then
close the connection: the bytes after the head are not a next request. The suite's other
length cases judge the STATUS of such a request; a CA reading an empty value as 0
(`int(v or 0)`, `strconv.Atoi` after a `TrimSpace` that leaves "", a regex `[0-9]*`), or
`-0`, `+0`, `0x0`, `0_0`, `0.0` as zero, answers `400` too (an empty body is no JSON) —
and keeps the connection, reading what follows the head as the next request. A proxy in
front of it that took the length as unknown never sent that request.

Each case writes, in one go on one connection: a request whose `Content-Length` is such
a form (POST /v1/enroll, or GET /v1/root), then right after its head `GET /v1/crl`. The
first answer MAY be anything (`400`/`411` for the POST); the CRL MUST never be answered.
"""

from __future__ import annotations

import socket
import time

import pytest

from conformance import ca_support as ca
from conformance.target import Target
from conformance.wire import ConformanceFailure

pytestmark = [
    pytest.mark.profile("pki"),
    pytest.mark.side("ca"),
    pytest.mark.xdist_group("ca-zero-like-lengths"),
]

_HIDDEN = b"GET /v1/crl HTTP/1.1\r\nHost: ca\r\n\r\n"
_READ_FOR = 5.0  # seconds the answers are read for (or until the CA closes)
_FORMS = {
    "empty": b"",
    "blank": b" ",
    "minus-zero": b"-0",
    "plus-zero": b"+0",
    "hex-zero": b"0x0",
    "underscore-zero": b"0_0",
    "fraction-zero": b"0.0",
}
_METHODS = {
    "post-enroll": b"POST /v1/enroll HTTP/1.1\r\nHost: ca\r\nContent-Type: application/json\r\n",
    "get-root": b"GET /v1/root HTTP/1.1\r\nHost: ca\r\n",
}


def _source(target: Target) -> tuple[str, int] | None:
    source = ca.sources(target).fresh()
    return (source, 0) if source else None


@pytest.mark.req("CA-ENR-9")
@pytest.mark.parametrize("method", list(_METHODS))
@pytest.mark.parametrize("form", list(_FORMS))
def test_a_zero_like_length_frames_no_next_request(
    pki_target: Target, form: str, method: str
) -> None:
    host, port = ca.ca_address(pki_target)
    head = _METHODS[method] + b"Content-Length:" + (b" " if _FORMS[form] else b"")
    head += _FORMS[form] + b"\r\n\r\n"
    received = b""
    deadline = time.monotonic() + _READ_FOR
    with (
        socket.create_connection(
            (host, port), timeout=_READ_FOR, source_address=_source(pki_target)
        ) as raw,
        ca.tls_context(pki_target).wrap_socket(raw) as tls,
    ):
        tls.sendall(head + _HIDDEN)
        while time.monotonic() < deadline and b"application/pkix-crl" not in received.lower():
            tls.settimeout(max(0.05, deadline - time.monotonic()))
            try:
                chunk = tls.recv(65536)
            except OSError:
                break
            if not chunk:
                break
            received += chunk
    if b"application/pkix-crl" in received.lower():
        first = received.split(b"\r\n", 1)[0]
        answers = received.count(b"HTTP/1.1 ") + received.count(b"HTTP/1.0 ")
        raise ConformanceFailure.evidence(
            f"CA-ENR-9: on one connection, {method.replace('-', ' ')} with the field "
            f"{(b'Content-Length: ' + _FORMS[form])!r} (not ASCII digits: no length), then "
            "GET /v1/crl right after its head",
            "one answer (411/400 for the POST), then the close: the bytes after a head "
            "whose body's length is unknown are never a next request",
            f"{answers} answers (the first {first[:60]!r}), one of them the CRL "
            "(application/pkix-crl): the length was read as 0 and the connection kept",
            note="a proxy in front of the CA that took the length as unknown never sent "
            "that request (request smuggling)",
        )
