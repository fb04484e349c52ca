"""Connections the CA ends itself give their slot back (SPEC §6 LIM-5, §4.4 CA-ENR-9).

A CA bounds the connections it serves at once (the reference: 64). Every way a
connection ends must give its slot back, and the ways the *CA* ends one are the easy ones
to forget: an error answer after which CA-ENR-9 makes it close (a body of unknown length:
no or a malformed Content-Length, a Transfer-Encoding it does not read, Content-Length
fields that disagree; a body over 64 KiB; a request line that does not parse). A CA that
unwinds its handler after such an answer ("close at once": an exception past the
handler, a `return` before the bookkeeping) while the slot's release sits on the normal
path, not in a `finally`, loses one slot per refusal; after its limit of them it accepts
no one (LIM-5: "connections ... misbehaving MUST NOT keep it from answering others").

The case sends 150 such requests (more than any CA's connection limit, the default 64),
each on its own connection (eight at a time), reads the answer (or the close) and ends
the connection;
then an honest GET /v1/root and an honest enrolment of the enrolee, each retried for a
few seconds while the CA may still be closing the last of them: `200` both.
"""

from __future__ import annotations

import socket
import ssl
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from conformance import ca_support as ca
from conformance.target import Target
from conformance.test_ca_request_pieces import _csr
from conformance.wire import ConformanceFailure

pytestmark = [
    pytest.mark.profile("pki"),
    pytest.mark.side("ca"),
    pytest.mark.xdist_group("ca-closing-answers-free-slots"),
]

_REFUSED = 150  # more than any CA's connection limit (default 64)
_RECOVER = 6.0  # seconds the honest requests are retried for
_AT_ONCE = 8  # refused requests in flight together (well under any connection limit)
_ENROLL = b"POST /v1/enroll HTTP/1.1\r\nHost: ca\r\nContent-Type: application/json\r\n"
_BODY = b'{"alias": "x"}'

# Requests CA-ENR-9 answers with an error after which the CA closes (or may close).
_CLOSING = {
    "no-content-length": _ENROLL + b"\r\n" + _BODY,
    "malformed-content-length": _ENROLL + b"Content-Length: 1_4\r\n\r\n" + _BODY,
    "disagreeing-content-lengths": _ENROLL
    + b"Content-Length: 14\r\nContent-Length: 15\r\n\r\n"
    + _BODY,
    "transfer-encoding-gzip": _ENROLL + b"Transfer-Encoding: gzip\r\n\r\n" + _BODY,
    "over-64-kib": _ENROLL + b"Content-Length: 70000\r\n\r\n" + b" " * 70000,
    "unparseable-request-line": b"NOT AN HTTP REQUEST LINE\r\n\r\n",
}


def _refused(
    host: str, port: int, context: ssl.SSLContext, data: bytes, source: str | None
) -> None:
    """One request on its own connection; reads until the answer's end or the close
    (at most 3 s), then ends the connection."""
    address = (source, 0) if source else None
    with socket.create_connection((host, port), timeout=3.0, source_address=address) as raw:
        with context.wrap_socket(raw) as tls:
            try:
                tls.sendall(data)
            except OSError:
                return  # answered and closed before all was taken
            received = b""
            deadline = time.monotonic() + 3.0
            while time.monotonic() < deadline:
                tls.settimeout(max(0.05, deadline - time.monotonic()))
                try:
                    chunk = tls.recv(65536)
                except OSError:
                    return
                if not chunk:
                    return
                received += chunk
                if ca.split_answers(received)[0]:
                    return


def _honest(target: Target, what: str) -> ca.CaAnswer | str:
    """GET /v1/root or the enrolee's enrolment, retried while refused (bounded)."""
    deadline = time.monotonic() + _RECOVER
    last: ca.CaAnswer | str = "never tried"
    for _ in range(60):
        try:
            if what == "root":
                last = ca.request(target, "GET", "/v1/root", timeout=3.0)
            else:
                account = ca.enrolee(target)
                last = ca.enrol(target, account.user, account.password, _csr(account.user))
        except (OSError, ssl.SSLError, ConnectionError) as exc:
            last = f"{type(exc).__name__}: {exc}"
        else:
            if last.status == 200:
                return last
        if time.monotonic() >= deadline:
            break
        time.sleep(0.2)  # a retry interval, not a synchronisation: the CA is polled
    return last


@pytest.mark.req("LIM-5")
def test_connections_the_ca_closes_give_their_slot_back(pki_target: Target) -> None:
    host, port = ca.ca_address(pki_target)
    context = ca.tls_context(pki_target)
    pool = ca.sources(pki_target)
    kinds = list(_CLOSING)

    def one(n: int) -> None:
        try:
            _refused(host, port, context, _CLOSING[kinds[n % len(kinds)]], pool.fresh())
        except (OSError, ssl.SSLError):
            pass  # refused outright: the honest requests below decide

    with ThreadPoolExecutor(max_workers=_AT_ONCE) as workers:
        list(workers.map(one, range(_REFUSED)))
    for what in ("root", "enrolment"):
        answer = _honest(pki_target, what)
        if isinstance(answer, str) or answer.status != 200:
            raise ConformanceFailure.evidence(
                f"LIM-5: {_REFUSED} requests the CA answers with an error after which it "
                f"closes ({', '.join(kinds)}, in turn), each on its own connection, each "
                f"connection ended after the answer; then an honest "
                f"{'GET /v1/root' if what == 'root' else 'enrolment of the enrolee'}, "
                f"retried for {_RECOVER:.0f} s",
                "200: a connection the CA ends after an error answer gives its slot back",
                answer if isinstance(answer, str) else answer.describe(),
                note="the slot's release skipped when the handler is unwound by a closing "
                "answer: after the connection limit's worth of them nobody is served",
            )
