"""A body the CA did not read is never taken for a request (SPEC §4.4: CA-ENR-9).

CA-ENR-9: the body is all the `Content-Length` bytes after the head; after answering a
request whose body it did not read, the CA closes the connection ("the bytes after the head
are not a next request, and a CA that reads them as one answers requests a proxy in front
of it never saw"), or it reads the body through and discards it. Either way what a body
holds is never answered. Two ways to lose that, each the state of ONE request on a
kept-alive connection:

- earlier: the "this request's body was read" flag lives on the connection's handler
  (http.server makes one per connection) and is reset when it is made, not per request:
  after one enrolment (its JSON body read), every later request on the connection counts
  as read, and the body of a `GET /v1/root` is read as the next request;
- oversized: a `413` "discards" the body by marking it consumed, and keeps the
  connection — but above some size the CA never read it, and what it holds is answered.

Each case writes, in one go on one connection, requests whose bodies are themselves a
complete `GET /v1/crl` — the smuggled request — and ends with a `GET /v1/root` carrying
`Connection: close`. It reads until the close (at most 8 s). The CA MAY answer the
requests we made, close early, or wait for a body it was promised; it MUST NOT answer the
smuggled GET: no answer may be a CRL (`application/pkix-crl`, DER), and no more answers
may come than requests were made outside bodies.
"""

from __future__ import annotations

import json
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
    pytest.mark.xdist_group("ca-bodies"),
]

_WAIT = 8.0  # seconds until the CA closes; a CA waiting for a promised body is judged then
_SMUGGLED = b"GET /v1/crl HTTP/1.1\r\nHost: ca\r\nAccept: */*\r\n\r\n"
_LAST = b"GET /v1/root HTTP/1.1\r\nHost: ca\r\nConnection: close\r\n\r\n"
_LIMIT = 65536  # CA-ENR-9's body limit


def _post(path: str, body: bytes, length: int | None = None) -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: ca\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body) if length is None else length}\r\n\r\n"
    ).encode() + body


def _get_with_body(path: str, body: bytes) -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: ca\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body


def _exchange(target: Target, data: bytes) -> tuple[list[tuple[int, bytes]], bytes, str]:
    """`data` in one go on a fresh connection from a fresh address; everything read until
    the CA closes or `_WAIT` passes."""
    host, port = ca.ca_address(target)
    source = ca.sources(target).fresh()
    received, ended = b"", f"no close within {_WAIT:.0f} s"
    deadline = time.monotonic() + _WAIT
    with (
        socket.create_connection(
            (host, port), timeout=_WAIT, source_address=(source, 0) if source else None
        ) as raw,
        ca.tls_context(target).wrap_socket(raw) as tls,
    ):
        try:
            tls.sendall(data)
        except (ssl.SSLError, OSError) as exc:  # closed while we wrote: judge what came
            ended = f"the CA closed while the requests were written ({type(exc).__name__})"
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
    answers, rest = ca.split_answers(received)
    return answers, rest, ended


def _judge(context: str, made: int, data: bytes, target: Target) -> None:
    answers, _rest, ended = _exchange(target, data)
    crls = [i for i, (status, body) in enumerate(answers) if status == 200 and body[:1] == b"\x30"]
    if crls or len(answers) > made:
        shown = ", ".join(f"{s} {b[:40]!r}" for s, b in answers)
        raise ConformanceFailure.evidence(
            context,
            f"at most {made} answers (the requests made outside bodies), none of them a CRL: "
            "the GET /v1/crl inside a body is data, never a request",
            f"{len(answers)} answers: {shown}; then {ended}",
            note="a body the CA did not read was parsed as the next request (smuggling)",
        )


_ENROLMENTS = {
    # an enrolment whose body the CA reads: members of the wrong types (400, no password)
    "answered-400": lambda: _post(
        "/v1/enroll", json.dumps({"alias": 1, "password": 2, "csr": 3}).encode()
    ),
    # a wrong password of an unknown alias (401; one failure of a fresh address and alias)
    "answered-401": lambda: _post(
        "/v1/enroll",
        json.dumps({"alias": ca.ghost_alias(), "password": "wrong", "csr": "x"}).encode(),
    ),
}


@pytest.mark.req("CA-ENR-9")
@pytest.mark.parametrize("earlier", ["none", *_ENROLMENTS])
def test_a_later_requests_body_is_not_read_as_a_request(pki_target: Target, earlier: str) -> None:
    first = b"" if earlier == "none" else _ENROLMENTS[earlier]()
    data = first + _get_with_body("/v1/root", _SMUGGLED) + _LAST
    made = (0 if earlier == "none" else 1) + 2
    _judge(
        "CA-ENR-9: on one connection, in one write: "
        + ("" if earlier == "none" else f"an enrolment ({earlier}), then ")
        + f"GET /v1/root with a body of {len(_SMUGGLED)} bytes that is a GET /v1/crl, then "
        "GET /v1/root with Connection: close",
        made,
        data,
        pki_target,
    )


# Announced lengths over the limit: just over (the whole body sent: a CA may read it and
# answer 413 on a kept connection), past 1 MiB and past 2^31 (only the smuggled request
# sent: a CA that reads the body waits, one that does not must close).
_OVERSIZED = {
    "limit-plus-1-sent-whole": _LIMIT + 1,
    "1-MiB-plus-1": 2**20 + 1,
    "2^31": 2**31,
}


@pytest.mark.req("CA-ENR-9")
@pytest.mark.parametrize("size", list(_OVERSIZED))
def test_an_oversized_bodys_bytes_are_not_read_as_a_request(pki_target: Target, size: str) -> None:
    length = _OVERSIZED[size]
    if length <= 16 * _LIMIT:
        body = _SMUGGLED + b" " * (length - len(_SMUGGLED))  # the whole body, as announced
        data = _post("/v1/enroll", body) + _LAST
        made = 2
    else:
        data = _post("/v1/enroll", _SMUGGLED, length=length)
        made = 1
    _judge(
        f"CA-ENR-9: POST /v1/enroll announcing Content-Length: {length} (over the "
        f"{_LIMIT}-byte limit: 413) whose body starts with a GET /v1/crl"
        + (", sent whole, then GET /v1/root with Connection: close" if made == 2 else ""),
        made,
        data,
        pki_target,
    )
