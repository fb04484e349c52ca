"""A `Content-Length: 0` frames an empty body that is complete at the head's end (SPEC
§4.4: CA-ENR-9).

CA-ENR-9: "The body is all the `Content-Length` bytes after the head"; with a length of 0
that is nothing, and what follows the head is the next request (RFC 9112 §6.3). A CA
that takes the value 0 for "no length" (`read(length or None)`, `if (!contentLength)
readAll()`, a zero meaning "unknown" in a Go or C struct) reads the body to the
client's close instead: it answers nothing while the connection stays open, and the
requests pipelined behind are swallowed as that body. The length cases judge lengths
that are no lengths (`-0`, `0x0`, an empty value: test_interop_ca_zero_like_lengths.py)
and a zero length that closes; none judges a zero length kept alive.

Each case writes, in one go on one connection: a request with `Content-Length: 0` (also
`00`, ASCII digits with the same value) — POST /v1/enroll (an empty body is no JSON: 400
is the expected answer), POST /v1/root (405), GET /v1/root, GET /v1/crl — followed by
GET /v1/root. Within 5 s the first request MUST be answered (any status: the CA has all
of it), and then either the pipelined GET is answered 200 with the root, or the
connection is closed (a CA MAY keep no connection alive). No answer at all while the
connection stays open is a CA waiting for a body it was told is empty.
"""

from __future__ import annotations

import socket
import ssl
import time

import pytest

from conformance import ca_support as ca
from conformance.target import Target
from conformance.wire import ConformanceFailure

pytestmark = [
    pytest.mark.profile("pki"),
    pytest.mark.side("ca"),
    pytest.mark.xdist_group("ca-zero-length"),
]

_WAIT = 5.0  # seconds for both answers, or the first answer and the close
_NEXT = b"GET /v1/root HTTP/1.1\r\nHost: ca\r\nAccept: */*\r\n\r\n"
_REQUESTS = {
    "post-enroll": b"POST /v1/enroll HTTP/1.1\r\nHost: ca\r\nContent-Type: application/json\r\n",
    "post-root": b"POST /v1/root HTTP/1.1\r\nHost: ca\r\nContent-Type: application/json\r\n",
    "get-root": b"GET /v1/root HTTP/1.1\r\nHost: ca\r\n",
    "get-crl": b"GET /v1/crl HTTP/1.1\r\nHost: ca\r\n",
}
_ZEROS = {"0": b"0", "00": b"00"}


def _exchange(target: Target, data: bytes) -> tuple[list[tuple[int, bytes]], bytes, str]:
    """Sends `data` in one TLS write; reads until two answers, the close, or `_WAIT`."""
    host, port = ca.ca_address(target)
    source = ca.sources(target).fresh()
    received, ended = b"", ""
    deadline = time.monotonic() + _WAIT
    with (
        socket.create_connection(
            (host, port), timeout=_WAIT, source_address=(source, 0) if source else None
        ) as raw,
        ca.tls_context(target).wrap_socket(raw) as tls,
    ):
        tls.sendall(data)
        while time.monotonic() < deadline:
            tls.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                chunk = tls.recv(65536)
            except TimeoutError:
                break
            except (ssl.SSLError, OSError) as exc:
                ended = f"the connection ended ({type(exc).__name__})"
                break
            if not chunk:
                ended = "the connection ended"
                break
            received += chunk
            if len(ca.split_answers(received)[0]) >= 2:
                break
    answers, rest = ca.split_answers(received)
    return answers, rest, ended


@pytest.mark.req("CA-ENR-9")
@pytest.mark.parametrize("zero", list(_ZEROS))
@pytest.mark.parametrize("request_kind", list(_REQUESTS))
def test_a_zero_length_body_ends_at_the_head(
    pki_target: Target, request_kind: str, zero: str
) -> None:
    head = _REQUESTS[request_kind] + b"Content-Length: " + _ZEROS[zero] + b"\r\n\r\n"
    answers, rest, ended = _exchange(pki_target, head + _NEXT)
    shown = head.split(b"\r\n", 1)[0].decode()
    context = (
        f"CA-ENR-9: on one connection, in one write, `{shown}` with `Content-Length: "
        f"{zero}` (an empty body, complete at the head's end), then GET /v1/root pipelined"
    )
    if not answers:
        raise ConformanceFailure.evidence(
            context,
            "an answer to the first request at once (it has all of its body), then the "
            "root or the close",
            (f"{ended}" if ended else f"no answer and no close within {_WAIT:.0f} s")
            + " without any answer"
            + (f"; {len(rest)} bytes: {rest[:120]!r}" if rest else ""),
            note="a CA reading a zero length as 'no length' waits for the body to the "
            "client's close, and takes the next request for it",
        )
    if len(answers) >= 2:
        status, body = answers[1]
        if status != 200 or b"BEGIN CERTIFICATE" not in body:
            raise ConformanceFailure.evidence(
                context,
                "the pipelined GET /v1/root answered 200 with the root, as on a connection "
                "of its own",
                f"its answer {status} {body[:160]!r}: the bytes after the empty body were "
                "not read as the request they are",
            )
        return
    if ended:
        return  # the CA answered the first request and closed: it keeps no connection
    raise ConformanceFailure.evidence(
        context,
        "after the first answer, the pipelined GET /v1/root answered, or the connection closed",
        f"the first answered {answers[0][0]}; then neither a second answer nor the close "
        f"within {_WAIT:.0f} s" + (f"; {len(rest)} more bytes: {rest[:120]!r}" if rest else ""),
        note="the GET was read as part of the first request's (empty) body",
    )
