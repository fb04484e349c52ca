"""An enrolee that vanishes before its answer leaves nothing held for its alias (SPEC
§4.4: CA-ENR-2, CA-ENR-4).

Once a right password is in, a CA may mark what it is doing for the alias — "one
enrolment per alias at a time", a reservation, a row being written — and clear the mark
where the answer has been written. The client that sends its whole enrolment and then
resets its connection (SO_LINGER 0) makes that write fail: a CA whose clearing sits on the
success path only keeps the mark, and the alias's every later enrolment is refused (409,
429, 503) or hangs — an honest employee locked out by one dropped connection.

Each case: the enrolee's whole enrolment (right password, valid CSR), sent in one write
over its own connection, which is then reset; then the enrolee's honest enrolments, one
after the other from fresh addresses, three of them (the vanished one's hash may still be
running when the first arrives), each must be answered 200 with a certificate for its
own key (a 503 busy with a Retry-After of at most 5 s is retried once after it, as
CA-ENR-14 allows).
"""

from __future__ import annotations

import http.client
import select
import socket
import struct
import time

import pytest

from conformance import ca_support as ca
from conformance import test_ca_stalled_clients as stalled
from conformance.target import Target
from conformance.wire import ConformanceFailure

pytestmark = [
    pytest.mark.profile("pki"),
    pytest.mark.side("ca"),
    pytest.mark.xdist_group("ca-refused-issuance"),
]

_HONEST = 3
_MAX_BUSY_WAIT = 5


def _csr(key: ca.CsrKey, alias: str) -> str:
    return ca.csr_pem(key, ca.name((ca.OID_CN, alias)))


def _vanish(target: Target, body: bytes) -> None:
    tls = stalled._tls(target)
    try:
        # The CA's side of the handshake ends after ours: wait (at most 1 s) for what it
        # sends at its end (TLS 1.3 session tickets), so the reset cannot cut the
        # handshake instead of the answer. A CA that sends nothing there is not waited on.
        select.select([tls], [], [], 1.0)
        tls.sendall(
            b"POST /v1/enroll HTTP/1.1\r\nHost: ca\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\n\r\n" % len(body) + body
        )
        # SO_LINGER 0: the close is a TCP reset; the CA's answer finds no one.
        tls.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    finally:
        tls.close()


@pytest.mark.req("CA-ENR-2", "CA-ENR-4")
def test_an_enrolee_that_vanishes_before_its_answer_holds_nothing(pki_target: Target) -> None:
    """A whole enrolment sent, then the connection reset; then three honest enrolments of
    the same alias, one after the other: each 200 with a certificate for its key."""
    account = ca.enrolee(pki_target)
    _vanish(
        pki_target,
        ca.enrol_body(account.user, account.password, _csr(ca.CsrKey.ec("P-256"), account.user)),
    )
    problems: list[str] = []
    for n in range(1, _HONEST + 1):
        key = ca.CsrKey.ec("P-256")
        csr = _csr(key, account.user)
        try:
            answer = ca.enrol(pki_target, account.user, account.password, csr)
            if answer.status == 503:
                wait = answer.headers.get("retry-after", "").strip()
                if wait.isascii() and wait.isdigit() and int(wait) <= _MAX_BUSY_WAIT:
                    time.sleep(max(1, int(wait)))  # the wait the CA asked for (CA-ENR-14)
                    answer = ca.enrol(pki_target, account.user, account.password, csr)
        except (OSError, http.client.HTTPException) as exc:
            problems.append(f"honest enrolment {n}: no answer ({type(exc).__name__}: {exc})")
            continue
        obj = ca.json_body(answer, f"enrolment of {account.user!r}")
        if answer.status != 200 or not isinstance(obj.get("certificate"), str):
            problems.append(f"honest enrolment {n}: {answer.describe()[:200]}")
        elif ca.read_issued(obj["certificate"]).spki != key.spki():
            problems.append(f"honest enrolment {n}: a certificate for another key")
    if problems:
        raise ConformanceFailure.evidence(
            f"CA-ENR-2: {account.user!r}'s whole enrolment (right password, valid CSR) sent "
            f"and its connection reset before the answer; then {_HONEST} honest enrolments "
            "of the same alias, one after the other",
            "each answered 200 with a certificate for its own key: a client that vanished "
            "holds nothing for its alias",
            "; ".join(problems),
        )
