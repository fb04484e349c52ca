"""More connections than the CA's limit, each held after an answered request, never keep
it from answering others (SPEC §6 LIM-5, §4.4).

LIM-5: "connections held silent (in their TLS handshake or mid-request) or misbehaving
MUST NOT keep it from answering others — however many there are: a silent socket costs
its sender nothing". test_ca_silent_flood.py floods the CA with connections held before
their first request is complete; a CA that keeps room by closing the longest-waiting
connection decides *when* a connection waits, and a connection it has taken for busy
too early holds its slot for good: at an answer, once a request line or a complete head
is in, once an enrolment's head is in and its body is still to come. Those states are
reached only once the CA has read the bytes that lead to them, which a flood that sends
and moves on cannot see; here each connection first gets an answer, so the CA has read
what came with its request:

- idle: GET /v1/root answered, the connection kept (keep-alive) and silent;
- next request line: a second request pipelined behind it, its request line alone;
- next head, no body: a second request, an enrolment whose head is complete and
  announces its body (Content-Length), not one byte of the body;
- next body, half: the same enrolment with half of its body.

100 such connections, each from its own loopback address (more than the reference's
and LIM-4's default limit of 64); meanwhile GET /v1/crl and an honest enrolment, each
from a fresh address, must be answered 200 within 5 s each. A CA may keep room however
it likes — no limit, a cap per address, closing connections after an answer, closing the
longest-waiting one; only shutting out the honest client breaks LIM-5. (A CA that does
not read pipelined requests, or closes after each answer, passes: its held connections
cost it nothing.)
"""

from __future__ import annotations

import ssl
import time
from contextlib import ExitStack

import pytest

from conformance import ca_support as ca
from conformance import test_ca_stalled_clients as stalled
from conformance.target import Target
from conformance.wire import ConformanceFailure

pytestmark = [
    pytest.mark.profile("pki"),
    pytest.mark.side("ca"),
    pytest.mark.xdist_group("ca-stalled-clients"),
]

_FLOOD = 100  # above 64, the reference's and LIM-4's default connection limit
_READ_WITHIN = 10.0  # seconds to read every held connection's answer
_FIRST = b"GET /v1/root HTTP/1.1\r\nHost: ca\r\n\r\n"


def _enrolment_head_and_body() -> tuple[bytes, bytes]:
    alias = ca.ghost_alias()
    body = ca.enrol_body(alias, "wrong", stalled._csr(alias))
    head = (
        b"POST /v1/enroll HTTP/1.1\r\nHost: ca\r\nContent-Type: application/json\r\n"
        b"Content-Length: %d\r\n\r\n" % len(body)
    )
    return head, body


def _nothing() -> bytes:
    return b""


def _request_line() -> bytes:
    return b"GET /v1/crl HTTP/1.1\r\n"


def _head_no_body() -> bytes:
    return _enrolment_head_and_body()[0]


def _half_body() -> bytes:
    head, body = _enrolment_head_and_body()
    return head + body[: len(body) // 2]


# stage -> (what the connection holds after the answer, the bytes pipelined behind it)
_STAGES = {
    "idle": ("GET /v1/root answered, the connection kept and silent", _nothing),
    "next-request-line": (
        "GET /v1/root answered, then a pipelined request line alone, the head never ended",
        _request_line,
    ),
    "next-head-no-body": (
        "GET /v1/root answered, then a pipelined enrolment head announcing its body, and "
        "not one byte of the body",
        _head_no_body,
    ),
    "next-half-body": (
        "GET /v1/root answered, then a pipelined enrolment head and half of its body",
        _half_body,
    ),
}
# By default the boundary: a complete head, nothing of its body (a CA that takes a
# connection for busy at an answer, at a request line or at a complete head holds it
# there too); the other stages run with the slow cases.
_DEFAULT = ("next-head-no-body",)


def _open(target: Target, stack: ExitStack, tail: bytes) -> ssl.SSLSocket:
    """One connection from a fresh address: GET /v1/root and `tail` in one write."""
    tls = stack.enter_context(stalled._tls(target))
    tls.sendall(_FIRST + tail)
    return tls


def _answered_and_open(tls: ssl.SSLSocket, deadline: float) -> bool:
    """Reads the answer to GET /v1/root until `deadline` (monotonic): True when it came
    and the connection stays open (no `Connection: close`); False when the connection
    was closed or cut first, or the time ran out."""
    received = b""
    try:
        while not ca._complete_http(received):
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            tls.settimeout(left)
            chunk = tls.recv(65536)
            if not chunk:
                return False
            received += chunk
    except OSError:
        return False
    return b"connection: close" not in received.lower()


@pytest.mark.req("LIM-5")
@pytest.mark.parametrize(
    "stage",
    [s if s in _DEFAULT else pytest.param(s, marks=pytest.mark.slow) for s in _STAGES],
)
def test_a_flood_held_after_an_answer_shuts_out_nobody(pki_target: Target, stage: str) -> None:
    """100 connections, each from its own address, held at `stage` after an answered
    request; meanwhile GET /v1/crl and an honest enrolment are answered 200 within 5 s
    each."""
    ca.enrolee(pki_target)
    what, make_tail = _STAGES[stage]
    tail = make_tail()  # the same bytes behind every answer (one CSR, made once)
    with ExitStack() as stack:
        opened = []
        for _ in range(_FLOOD):
            try:
                opened.append(_open(pki_target, stack, tail))
            except (OSError, ValueError):
                # Refused or cut (a cap per address, the oldest closed to admit a newer
                # one): the flood is what was asked for either way.
                continue
        # Every answer read (all of them on the way meanwhile: no waiting one by one):
        # the CA has then read what each connection sent with its request.
        # One bound for all of them: a CA that leaves them unanswered costs 10 s, not 100 x 5.
        deadline = time.monotonic() + _READ_WITHIN
        held = sum(_answered_and_open(tls, deadline) for tls in opened)
        problems = stalled._honest(pki_target)
    if problems:
        raise ConformanceFailure.evidence(
            f"LIM-5: {_FLOOD} connections opened to the CA, each from its own address and "
            f"held ({what}; {held} answered and kept open); meanwhile, each from a fresh "
            "address",
            f"GET /v1/crl and the enrolment each answered 200 within {stalled._SERVED_WITHIN:g} "
            "s: connections held silent past an answer, above the CA's connection limit, "
            "must not shut everyone out",
            "; ".join(problems),
        )
