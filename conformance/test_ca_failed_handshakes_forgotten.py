"""Connections that ended before a request leave nothing behind at the CA (SPEC §6 LIM-5,
§4.4).

LIM-5: "The CA's HTTPS listener is held to the same: connections held silent (in their
TLS handshake or mid-request) or misbehaving MUST NOT keep it from answering others." The
flood cases (test_ca_silent_flood.py and its neighbours) hold connections open at once;
a CA that counts connections — a cap per address, a global slot count, a semaphore —
passes them as long as it gives a slot back when a connection ends normally. The slot
given back in the handler's `finally` is not given back when the connection never
reached the handler: a TLS handshake that failed (a ClientHello it refuses, bytes that
are no TLS), a client that closed before its ClientHello or right after the handshake.
Each such ending leaks a slot, and after a few dozen of them — none of them ever open at
the same time as another — the CA refuses everyone from that address (or everyone).

Here, from one loopback address, connections are opened and ended ONE AT A TIME, each
before any request (four kinds: a close before the ClientHello, plain-text
HTTP, a TLS 1.2-only ClientHello, a close right after the TLS 1.3 handshake; up to 70 of
each, 3 s of each at most); after each
kind, GET /v1/root from that same address must be answered 200 within 5 s. Never more
than one of these connections is open, so no connection limit of any size excuses a
refusal: the only slot they could hold is one that was never given back.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import time
from collections.abc import Callable

import pytest

from conformance import ca_support as ca
from conformance.target import Target
from conformance.wire import ConformanceFailure

pytestmark = [
    pytest.mark.profile("pki"),
    pytest.mark.side("ca"),
    pytest.mark.xdist_group("ca-failed-handshakes-forgotten"),
]

_EACH = 70  # connections of each kind: above the usual small caps (16, 32, 64)
_WAIT = 5.0  # seconds each connection and the honest request may take
_BUDGET = 3.0  # seconds for the connections of one kind (a slow CA gets fewer of them)


def _connect(target: Target, source: str | None) -> socket.socket:
    host, port = ca.ca_address(target)
    raw = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    try:
        if source:
            raw.bind((source, 0))
        raw.settimeout(_WAIT)
        raw.connect((host, port))
    except OSError:
        raw.close()
        raise
    return raw


def _until_closed(sock: socket.socket | ssl.SSLSocket) -> None:
    """Read what the CA sends until it closes (or _WAIT passes: then we close)."""
    deadline = time.monotonic() + _WAIT
    with contextlib.suppress(OSError, ValueError):
        while time.monotonic() < deadline:
            sock.settimeout(max(0.05, deadline - time.monotonic()))
            if not sock.recv(4096):
                return


def _close_at_once(target: Target, source: str | None) -> None:
    with _connect(target, source):
        pass


def _plain_text(target: Target, source: str | None) -> None:
    with _connect(target, source) as raw:
        with contextlib.suppress(OSError):
            raw.sendall(b"GET /v1/root HTTP/1.1\r\nHost: ca\r\nConnection: close\r\n\r\n")
        _until_closed(raw)


def _tls12_only(target: Target, source: str | None) -> None:
    ctx = ca.tls_context(target, max_version=ssl.TLSVersion.TLSv1_2)
    with _connect(target, source) as raw:
        with contextlib.suppress(OSError, ValueError), ctx.wrap_socket(raw) as tls:
            _until_closed(tls)


def _tls13_then_close(target: Target, source: str | None) -> None:
    ctx = ca.tls_context(target)
    with _connect(target, source) as raw, contextlib.suppress(OSError, ValueError):
        with ctx.wrap_socket(raw):
            pass


_KINDS: dict[str, tuple[str, Callable[[Target, str | None], None]]] = {
    "close-at-once": ("connected and closed before a ClientHello", _close_at_once),
    "plain-text": ("a plain-text HTTP request, no TLS", _plain_text),
    "tls12-only": ("a ClientHello offering TLS 1.2 only (refused)", _tls12_only),
    "tls13-then-close": ("the TLS 1.3 handshake done, closed before a request", _tls13_then_close),
}


def _honest(target: Target, source: str | None) -> str | None:
    """GET /v1/root from `source`: None when answered 200 in time, else what happened."""
    started = time.monotonic()
    try:
        answer = ca.request(target, "GET", "/v1/root", source=source, timeout=_WAIT)
    except (OSError, ssl.SSLError) as exc:
        return f"{type(exc).__name__}: {exc} after {time.monotonic() - started:.1f} s"
    if answer.status != 200:
        return answer.describe()[:200]
    return None


@pytest.mark.req("LIM-5")
def test_connections_ended_before_a_request_hold_no_slot(pki_target: Target) -> None:
    """From one address, up to 70 connections of each kind, one at a time, each ended before a
    request; after each kind, GET /v1/root from that address is answered 200."""
    source = ca.sources(pki_target).fresh()
    before = _honest(pki_target, source)
    if before is not None:
        pytest.fail(f"CA-ENR-8: GET /v1/root before any of this: {before}")
    done: list[str] = []
    for kind, (what, end_one) in _KINDS.items():
        deadline = time.monotonic() + _BUDGET
        made = 0
        for _ in range(_EACH):
            if time.monotonic() > deadline:
                break
            with contextlib.suppress(OSError, ValueError):
                end_one(pki_target, source)
            made += 1
        done.append(f"{made} × {what}")
        problem = _honest(pki_target, source)
        if problem is not None:
            raise ConformanceFailure.evidence(
                f"LIM-5: from the loopback address {source or '(default)'}, connections to "
                f"the CA opened and ended one at a time, never two open at once, each before "
                f"any request: {'; then '.join(done)}",
                f"GET /v1/root from the same address answered 200 within {_WAIT:g} s: a "
                "connection that has ended holds no slot of any connection limit, however "
                "it ended",
                f"after the {kind} ones: {problem}",
            )
