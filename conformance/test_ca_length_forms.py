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
  never answered;
- the same for every answer given without the body being used — GET /v1/crl with a
  body, a 404, a 405, the 400 of a query string, a 413 for a body over 64 KiB, a
  Transfer-Encoding (chunked, or one the CA does not read) on a GET: nothing is sent
  after the first answer.
"""

from __future__ import annotations

import json
import socket
import time

import pytest

from conformance import ca_support as ca
from conformance.plugin import inconclusive
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


# Past Python's 4,300 digits int() raises (a 500 where a 413 is due); leading zeros do
# not make a length larger (RFC 9110 §8.6: 1*DIGIT); a header line of ~4.4 KB is within
# any server's head limit, and 431 (a smaller one) leaves the case unjudged.
_DIGITS = 4400


@pytest.mark.req("CA-ENR-9")
@pytest.mark.parametrize("digits", ["nines", "zeros-then-length"])
def test_a_length_of_thousands_of_digits(pki_target: Target, digits: str) -> None:
    """Content-Length is 1*DIGIT of any length: 4,400 nines is over the limit (413, or
    400/411), and 4,400 zeros before the body's own length is that length (the login is
    read: 401). Never a 5xx, never silence: the CA judges the digits, not its integer
    parser's limits."""
    body = _login()
    want: tuple[int, ...]
    if digits == "nines":
        length, want = "9" * _DIGITS, (400, 411, 413)
    else:
        length, want = "0" * _DIGITS + str(len(body)), (401,)
    head = (
        b"POST /v1/enroll HTTP/1.1\r\nHost: ca\r\nContent-Type: application/json\r\n"
        b"Content-Length: " + length.encode() + b"\r\nConnection: close\r\n\r\n"
    )
    received = _exchange(pki_target, head, body)
    status = _status(received)
    if status == 431:
        inconclusive(f"the CA's head limit is under {_DIGITS + 40} bytes (431)")
    if status not in want:
        raise ConformanceFailure.evidence(
            f"CA-ENR-9: a login of {len(body)} bytes with a Content-Length of {_DIGITS} "
            + ("nines" if digits == "nines" else f"zeros then {len(body)}"),
            " or ".join(map(str, want))
            + (": over 65536 bytes" if digits == "nines" else ": the body's length, read"),
            f"status {status} ({received[:200]!r})" if received else "no answer within 8 s",
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


# Requests whose body no route reads, or that are answered before their body is read:
# (head, body), the body holding _HIDDEN. The CA reads and drops the body, or answers
# and closes; what follows the head is never a next request (RFC 9112 §6.1, §6.3).
def _carriers() -> dict[str, tuple[bytes, bytes]]:
    chunked = b"%x\r\n" % len(_HIDDEN) + _HIDDEN + b"\r\n0\r\n\r\n"
    # Over 64 KiB, under 1 MiB: the hidden request first, then JSON white space.
    oversize = _HIDDEN + b" " * (70_000 - len(_HIDDEN))
    length = b"Content-Length: %d\r\n\r\n" % len(_HIDDEN)
    return {
        "crl-with-length": (b"GET /v1/crl HTTP/1.1\r\nHost: ca\r\n" + length, _HIDDEN),
        "unknown-path-404": (b"GET /v1/nothing HTTP/1.1\r\nHost: ca\r\n" + length, _HIDDEN),
        "wrong-method-405": (b"POST /v1/root HTTP/1.1\r\nHost: ca\r\n" + length, _HIDDEN),
        "query-400": (b"POST /v1/enroll?x=1 HTTP/1.1\r\nHost: ca\r\n" + length, _HIDDEN),
        "root-chunked": (
            b"GET /v1/root HTTP/1.1\r\nHost: ca\r\nTransfer-Encoding: chunked\r\n\r\n",
            chunked,
        ),
        "root-gzip-no-length": (
            b"GET /v1/root HTTP/1.1\r\nHost: ca\r\nTransfer-Encoding: gzip\r\n\r\n",
            _HIDDEN,
        ),
        "enroll-over-64kib-413": (
            b"POST /v1/enroll HTTP/1.1\r\nHost: ca\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\n\r\n" % len(oversize),
            oversize,
        ),
    }


_GRACE = 1.5  # seconds after the first answer for an answer to the body's bytes


def _first_answer_end(received: bytes) -> int | None:
    """Where the first HTTP answer in `received` ends (None: not complete yet)."""
    head, sep, rest = received.partition(b"\r\n\r\n")
    if not sep:
        return None
    start = len(head) + len(sep)
    if ca.is_chunked(head):
        end = ca.chunked_body(rest)[1]
        return None if end is None else start + end
    for line in head.split(b"\r\n")[1:]:
        key, _, value = line.partition(b":")
        if key.strip().lower() == b"content-length" and value.strip().isdigit():
            length = int(value.strip())
            return start + length if len(rest) >= length else None
    return None


def _answers_beyond_the_first(target: Target, data: bytes) -> tuple[bytes, bytes]:
    """Sends `data` on its own connection and reads until the first answer is complete,
    then for _GRACE seconds more (or until the close): (all received, what came after
    the first answer)."""
    host, port = ca.ca_address(target)
    received = b""
    end: int | None = None
    deadline = time.monotonic() + 8.0
    source = _source(target)
    with (
        socket.create_connection((host, port), timeout=8.0, source_address=source) as raw,
        ca.tls_context(target).wrap_socket(raw) as tls,
    ):
        try:
            tls.sendall(data)
        except OSError:
            pass  # answered and closed before all was taken: one answer at most
        while time.monotonic() < deadline and (end is None or len(received) == end):
            tls.settimeout(max(0.05, deadline - time.monotonic()))
            try:
                chunk = tls.recv(65536)
            except OSError:
                break
            if not chunk:
                break
            received += chunk
            if end is None:
                end = _first_answer_end(received)
                if end is not None:
                    deadline = min(deadline, time.monotonic() + _GRACE)
    return received, (received[end:] if end is not None else b"")


@pytest.mark.req("CA-ENR-9")
@pytest.mark.parametrize("carrier", list(_carriers()))
def test_a_body_no_route_reads_is_no_request(pki_target: Target, carrier: str) -> None:
    """One request on its own connection, answered without its body being used — a GET
    with a body, a 404, a 405, a 400 for a query string, a body over 64 KiB (413), a
    Transfer-Encoding on a GET — whose body is the bytes of GET /v1/crl: exactly one
    answer. The CA reads and drops the body (the length known), or answers and closes;
    anything it sends after its first answer (another answer, or a JSON error for a
    line of the body read as a request line) answers bytes the client sent as a body,
    which a proxy in front of the CA never saw as a request (request smuggling). A CA
    that closes only for the enrolment's errors, or only when Content-Length announces
    a body, or that answers 413 without reading and keeps the connection, answers it."""
    head, body = _carriers()[carrier]
    received, extra = _answers_beyond_the_first(pki_target, head + body)
    if extra:
        line = head.split(b"\r\n", 1)[0].decode()
        status = received.split(b"\r\n", 1)[0].decode(errors="replace")
        raise ConformanceFailure.evidence(
            f"CA-ENR-9: one request ({carrier}: {line!r}, {len(body)} body bytes beginning "
            "with GET /v1/crl), on its own connection",
            "one answer: the body is read and dropped, or the CA answers and closes — its "
            "bytes are never a next request",
            f"the answer {status!r}, then {len(extra)} more bytes: {extra[:160]!r}",
        )
