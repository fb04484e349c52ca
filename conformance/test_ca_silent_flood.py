"""More silent connections than the CA's connection limit never keep it from answering
(SPEC §6 LIM-5, §4.4).

LIM-5: "The CA's HTTPS listener is held to the same: connections held silent (in their
TLS handshake or mid-request) or misbehaving MUST NOT keep it from answering others."
test_ca_stalled_clients.py holds two connections; a CA with a connection limit (the
reference's default is 64, LIM-4's default too) passes that and is still shut for
everyone by a flood of silent sockets above its limit: each takes a slot for the
handshake or idle timeout, and an attacker who renews them keeps the CA unreachable —
no password, no certificate needed.

Here 100 connections, each from its own loopback address, are held at one point:
- TCP only: connected, not one byte of a ClientHello;
- TLS done: the handshake completed, not one byte of a request;
- mid-head: a request line and one header field, the head never ended.
Meanwhile GET /v1/crl and an honest enrolment, each from a fresh address, must be
answered 200 within 5 s each. A CA may keep room however it likes — no limit, a cap per
address, or (the reference) closing the connection that has waited longest for its
handshake or its request when every slot is taken; only shutting out the honest client
breaks LIM-5.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
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


def _tcp_only(target: Target, stack: ExitStack) -> None:
    host, port = ca.ca_address(target)
    raw = stack.enter_context(
        socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    )
    source = ca.sources(target).fresh()
    if source:
        raw.bind((source, 0))
    raw.settimeout(5.0)
    raw.connect((host, port))


def _tls_done(target: Target, stack: ExitStack) -> None:
    stack.enter_context(stalled._tls(target))


def _mid_head(target: Target, stack: ExitStack) -> None:
    tls = stack.enter_context(stalled._tls(target))
    tls.sendall(b"GET /v1/crl HTTP/1.1\r\nHost: ca\r\n")


_HOLDS: dict[str, tuple[str, Callable[[Target, ExitStack], None]]] = {
    "tcp-only": ("connected over TCP, not one byte of a ClientHello", _tcp_only),
    "tls-done": ("the TLS handshake done, not one byte of a request", _tls_done),
    "mid-head": ("a request line and one header field, the head never ended", _mid_head),
}


@pytest.mark.req("LIM-5")
@pytest.mark.parametrize("hold", list(_HOLDS))
def test_a_flood_of_silent_connections_shuts_out_nobody(pki_target: Target, hold: str) -> None:
    """100 connections held silent at `hold`, each from its own address; meanwhile GET
    /v1/crl and an honest enrolment are answered 200 within 5 s each."""
    ca.enrolee(pki_target)
    what, open_one = _HOLDS[hold]
    with ExitStack() as stack:
        opened = 0
        for _ in range(_FLOOD):
            try:
                open_one(pki_target, stack)
            except (OSError, ValueError):
                # Refused or cut (a cap per address, the oldest closed to admit a newer
                # one): the flood is what was asked for either way.
                continue
            opened += 1
        problems = stalled._honest(pki_target)
    if problems:
        raise ConformanceFailure.evidence(
            f"LIM-5: {_FLOOD} connections opened to the CA, each from its own address and "
            f"held silent ({what}; {opened} got that far); meanwhile, each from a fresh "
            "address",
            f"GET /v1/crl and the enrolment each answered 200 within {stalled._SERVED_WITHIN:g} "
            "s: silent sockets above the CA's connection limit must not shut everyone out "
            "(close the longest-waiting one, cap them per address, or keep room otherwise)",
            "; ".join(problems),
        )
