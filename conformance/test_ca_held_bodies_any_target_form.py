"""Enrolments whose body never comes keep nobody out, whatever form their target takes
(SPEC §6 LIM-5, §4.4 CA-ENR-2).

LIM-5: "connections held silent (in their TLS handshake or mid-request) or misbehaving
MUST NOT keep it from answering others — however many there are". CA-ENR-2: a request
target in absolute form (`https://HOST:PORT/v1/enroll`, its scheme in any letter case) is
the same request as `/v1/enroll`. A CA that keeps room for honest clients by closing the
connection that has waited longest must count a connection whose enrolment head came and
whose body did not as still waiting; the test "is a body still to come?" is a second copy
of the router's, and where it compares the raw target with `/v1/enroll` an absolute-form
head is taken for a request already in progress: never closed to make room, it holds its
slot for the whole idle timeout (and renews it with a byte now and then).

Here, for each form of the enrolment's target, 100 connections (above the reference's and
LIM-4's default of 64), each from its own address, send an enrolment head announcing a
200-byte JSON body and then hold it back; meanwhile GET /v1/crl and an honest enrolment,
each from a fresh address, must be answered 200 within 5 s each
(test_ca_stalled_clients.py: the same for two held connections).

And below any connection limit: 48 connections opened over TCP at once, not one byte of a
ClientHello sent (fewer than the reference's 64 slots: no room needs making). A CA that
serves its connections from a fixed pool of workers, handshake included (a thread pool
of 8, 16 or 32, the connection limit counted apart), has every worker waiting out a
silent handshake while the honest client's connection queues behind them: it MUST be
answered within 5 s all the same.
"""

from __future__ import annotations

import socket
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
_OPENING = 30.0  # seconds for the whole flood to be opened (a CA that stalls it: judged)

_TARGETS = {
    "origin-form": "/v1/enroll",
    "absolute-form": "https://{host}:{port}/v1/enroll",
    "absolute-form-upper-scheme": "HTTPS://{host}:{port}/v1/enroll",
}


@pytest.mark.req("LIM-5", "CA-ENR-2")
@pytest.mark.parametrize("form", list(_TARGETS))
def test_held_enrolment_bodies_shut_out_nobody(pki_target: Target, form: str) -> None:
    ca.enrolee(pki_target)
    host, port = ca.ca_address(pki_target)
    target = _TARGETS[form].format(host=host, port=port)
    head = (
        f"POST {target} HTTP/1.1\r\nHost: {host}:{port}\r\n"
        "Content-Type: application/json\r\nContent-Length: 200\r\n\r\n"
    ).encode()
    with ExitStack() as stack:
        opened = 0
        deadline = time.monotonic() + _OPENING
        for _ in range(_FLOOD):
            if time.monotonic() > deadline:
                break
            try:
                tls = stack.enter_context(stalled._tls(pki_target))
                tls.sendall(head + b'{"alias": ')  # the body begun, then held back
            except (OSError, ValueError):
                continue  # refused or cut to make room: the flood is what was asked for
            opened += 1
        problems = stalled._honest(pki_target)
    if problems:
        raise ConformanceFailure.evidence(
            f"LIM-5: {_FLOOD} connections to the CA, each from its own address, each sent "
            f"POST {target} (Content-Length: 200) and 10 bytes of the body, then held it "
            f"back ({opened} got that far); meanwhile, each from a fresh address",
            f"GET /v1/crl and the enrolment each answered 200 within "
            f"{stalled._SERVED_WITHIN:g} s: a request whose body has not come is still "
            "waiting, whatever the form of its target (CA-ENR-2: the same request)",
            "; ".join(problems),
        )


_SILENT = 48  # below 64, the reference's and LIM-4's default connection limit


@pytest.mark.req("LIM-5")
def test_silent_connections_below_the_limit_queue_nobody(pki_target: Target) -> None:
    ca.enrolee(pki_target)
    host, port = ca.ca_address(pki_target)
    with ExitStack() as stack:
        opened = 0
        for _ in range(_SILENT):
            raw = stack.enter_context(
                socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
            )
            source = ca.sources(pki_target).fresh()
            try:
                if source:
                    raw.bind((source, 0))
                raw.settimeout(stalled._SERVED_WITHIN)
                raw.connect((host, port))
            except OSError:
                continue  # refused: the silent ones are what was asked for
            opened += 1
        problems = stalled._honest(pki_target)
    if problems:
        raise ConformanceFailure.evidence(
            f"LIM-5: {_SILENT} connections to the CA over TCP, each from its own address, "
            f"not one byte of a ClientHello sent ({opened} connected); meanwhile, each from "
            "a fresh address",
            f"GET /v1/crl and the enrolment each answered 200 within "
            f"{stalled._SERVED_WITHIN:g} s: silent handshakes must not hold the workers "
            "that every other connection waits for",
            "; ".join(problems),
        )
