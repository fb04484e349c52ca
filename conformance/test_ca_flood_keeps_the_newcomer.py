"""A flood that keeps arriving never closes the honest connection it follows (SPEC §6 LIM-5,
§4.4).

LIM-5: connections held silent MUST NOT keep the CA from answering others, "however many
there are"; a CA with a connection limit keeps room for honest clients "(the reference
closes the connection that has waited longest, in its handshake or for a request, when
every slot is taken; a cap per address, or no limit, also does)". test_ca_silent_flood.py
opens the flood first and the honest client after it: a CA that closes the NEWEST waiting
connection instead of the longest-waiting one (Python's `OrderedDict.popitem()` without
`last=False`, a stack where a queue was meant) passes it, since the newest is a flood
socket then. But the flood does not stop: each silent connection that arrives after the
honest one closes the honest one, in its handshake or before its first request, and an
attacker who keeps connecting keeps everyone out.

Here 72 silent connections (each from its own address, its TLS handshake done, no request)
fill the CA; the honest client
connects and completes its TLS handshake; then 4 more silent connections arrive, each
completing its handshake (so the CA has admitted it); only then does the honest client send
GET /v1/crl on its connection, which must be answered 200. A CA with a limit closes its
longest-waiting connections for the 4 newcomers — 4 of the flood's —, one with a cap per
address or no limit closes nothing.
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

# Above 64, the reference's and LIM-4's default connection limit; few enough that the
# first are still waiting (for a request: the CA's idle timeout) when the last arrives.
_FLOOD = 72
_LATER = 4  # silent connections arriving after the honest one: far below any sane limit


def _get_crl(tls: ssl.SSLSocket) -> bytes:
    tls.sendall(b"GET /v1/crl HTTP/1.1\r\nHost: ca\r\nConnection: close\r\n\r\n")
    data = b""
    deadline = time.monotonic() + stalled._SERVED_WITHIN
    while b"\r\n" not in data and len(data) < 65536 and time.monotonic() < deadline:
        chunk = tls.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


@pytest.mark.req("LIM-5")
def test_connections_arriving_later_do_not_close_the_honest_one(pki_target: Target) -> None:
    ca.ca_address(pki_target)
    with ExitStack() as stack:
        opened = 0
        for _ in range(_FLOOD):
            try:
                stack.enter_context(stalled._tls(pki_target))
            except (OSError, ValueError):
                continue  # refused or cut: the flood is what was asked for either way
            opened += 1
        honest = stack.enter_context(stalled._tls(pki_target))
        later = 0
        for _ in range(_LATER):
            try:
                stack.enter_context(stalled._tls(pki_target))  # admitted: handshake done
            except (OSError, ValueError):
                continue
            later += 1
        try:
            answer = _get_crl(honest)
            problem = None if answer.startswith(b"HTTP/1.1 200") else (
                f"answered {answer[:80]!r}" if answer else "the connection was closed"
            )
        except (OSError, ssl.SSLError) as exc:
            problem = f"{type(exc).__name__}: {exc}"
    if problem:
        raise ConformanceFailure.evidence(
            f"LIM-5: {_FLOOD} silent TLS connections to the CA ({opened} connected), then an "
            f"honest TLS connection, then {_LATER} more silent ones that completed their "
            f"handshake ({later} did); then GET /v1/crl on the honest connection",
            "200: the connections that arrive later make room by closing the longest-waiting "
            "ones (or none), never the honest connection that came before them",
            problem,
            note="a CA that closes the newest waiting connection lets a flood that keeps "
            "arriving close every honest client",
        )
