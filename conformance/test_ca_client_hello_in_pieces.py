"""A TLS handshake whose first bytes come in pieces is a TLS handshake (SPEC §4.4:
CA-ENR-1, CA-ENR-2; RFC 8446 §5.1, RFC 9293: TCP keeps no message boundaries).

A CA that wants to tell a plain-HTTP client on its HTTPS port what went wrong looks at
the first bytes before it starts TLS (a handshake record begins 0x16 0x03). The bug is in
how it looks: one `recv(n, MSG_PEEK)` taken to return n bytes. It does with the author's
client, whose ClientHello leaves in one segment; a client whose first segment is shorter
(a 1-byte write, a middlebox that splits, a ClientHello cut inside its record header) is
taken for plain HTTP and closed — an honest employee who cannot enrol.

Each case makes the suite's own TLS 1.3 handshake through a memory BIO and sends the
ClientHello in two TCP segments (TCP_NODELAY), cut inside its 5-byte record header, the
second a moment after the first (a pause that shapes the segments, as a slow link does;
a CA that reads correctly does not depend on it). Then, on that connection, the
enrolee's right password with a valid CSR: `200` with a certificate.
"""

from __future__ import annotations

import socket
import ssl
import time

import pytest

from conformance import ca_support as ca
from conformance.target import Target
from conformance.test_ca_request_pieces import _csr, _head
from conformance.wire import ConformanceFailure

pytestmark = [
    pytest.mark.profile("pki"),
    pytest.mark.side("ca"),
    pytest.mark.xdist_group("ca-client-hello-in-pieces"),
]

_PAUSE = 0.2  # between the two segments of the ClientHello
_TIMEOUT = 8.0


class _Failed(Exception):
    pass


def _pump(raw: socket.socket, outgoing: ssl.MemoryBIO) -> None:
    data = outgoing.read()
    if data:
        raw.sendall(data)


def _receive(raw: socket.socket, incoming: ssl.MemoryBIO) -> None:
    chunk = raw.recv(65536)
    if not chunk:
        raise _Failed("the CA closed the connection")
    incoming.write(chunk)


def _enrol_over_split_hello(target: Target, cut: int) -> tuple[int, bytes]:
    """(status, answer body) of an enrolment over a connection whose ClientHello was sent
    as `cut` bytes, then the rest."""
    host, port = ca.ca_address(target)
    source = ca.sources(target).fresh()
    context = ca.tls_context(target)
    context.minimum_version = ssl.TLSVersion.TLSv1_3
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = context.wrap_bio(incoming, outgoing)
    deadline = time.monotonic() + _TIMEOUT
    with socket.create_connection(
        (host, port), timeout=_TIMEOUT, source_address=(source, 0) if source else None
    ) as raw:
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            tls.do_handshake()
        except ssl.SSLWantReadError:
            pass
        hello = outgoing.read()
        raw.sendall(hello[:cut])
        time.sleep(_PAUSE)
        raw.sendall(hello[cut:])
        while True:
            try:
                tls.do_handshake()
                break
            except ssl.SSLWantReadError:
                _pump(raw, outgoing)
                if time.monotonic() > deadline:
                    raise _Failed("no handshake within the time") from None
                _receive(raw, incoming)
        _pump(raw, outgoing)
        account = ca.enrolee(target)
        body = ca.enrol_body(account.user, account.password, _csr(account.user))
        tls.write(_head(target, "/v1/enroll", body, content_type="application/json") + body)
        _pump(raw, outgoing)
        received = b""
        while time.monotonic() < deadline:
            try:
                received += tls.read(65536)
            except ssl.SSLWantReadError:
                _receive(raw, incoming)
                continue
            except ssl.SSLZeroReturnError:
                break
            answers, _rest = ca.split_answers(received)
            if answers:
                return answers[0]
        raise _Failed(f"no complete answer: {received[:200]!r}")


@pytest.mark.req("CA-ENR-2")
@pytest.mark.parametrize("cut", [1, 4], ids=["after-1-byte", "inside-the-length"])
def test_a_client_hello_in_two_segments_is_served(pki_target: Target, cut: int) -> None:
    try:
        status, body = _enrol_over_split_hello(pki_target, cut)
    except (_Failed, OSError, ssl.SSLError) as exc:
        outcome = f"{type(exc).__name__}: {exc}"
    else:
        if status == 200 and b"BEGIN CERTIFICATE" in body:
            return
        outcome = f"HTTP {status} {body[:200]!r}"
    raise ConformanceFailure.evidence(
        f"CA-ENR-2: a TLS 1.3 ClientHello sent as its first {cut} byte(s), then the rest "
        f"{_PAUSE} s later (TCP_NODELAY); then the enrolee's right password and a valid CSR "
        "on that connection",
        "200 with a certificate: TCP keeps no boundaries, the handshake is the same bytes",
        outcome,
        note="the first bytes peeked once to tell TLS from plain HTTP: a short first "
        "segment taken for plain HTTP",
    )
