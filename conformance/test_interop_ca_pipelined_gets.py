"""A request pipelined behind a GET is a next request (SPEC §4.4, CA-ENR-9).

CA-ENR-9: "A request with neither field [Content-Length, Transfer-Encoding] has an empty
body, RFC 9112 §6.3: what follows it is a next request." An HTTP/1.1 client may send
its next request before the answer to the previous one (RFC 9112 §9.3.2); a CA then
answers it, in order, or closes the connection after an answer (it may keep no
connection alive). What it must not do is keep the connection open and lose the request:
a reader discarded after a GET ("nothing of one request leaks into the next"), a buffer
reset after the answer, a handler that reads the rest of the segment as the GET's body.
The client then waits for an answer that never comes. Two GETs (or a GET and a request
for an unknown path) in one TLS write: the CA answers both, or the first and closes.

Fixtures (conformance/plugin.py): `pki_target` (its `ca_url` and `root`).
"""

from __future__ import annotations

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
    pytest.mark.xdist_group("ca"),
]

_WAIT = 6.0  # seconds for both answers (or the close)

# (first path, second path, what the second answer must be)
_PAIRS = {
    "root-then-crl": ("/v1/root", "/v1/crl", 200),
    "crl-then-root": ("/v1/crl", "/v1/root", 200),
    "root-then-unknown-path": ("/v1/root", "/v1/no-such-path", 404),
}


def _get(host: str, path: str) -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: {host}\r\nAccept: */*\r\n\r\n".encode()


def _exchange(
    target: Target, data: bytes, *, wait: float = _WAIT, send_may_fail: bool = False
) -> tuple[list[tuple[int, bytes]], bytes, str]:
    """Sends `data` in one TLS write; reads until two answers, the close, or `wait`
    seconds. `send_may_fail`: the target MAY stop reading or close before all of `data`
    is in (a refused body): a failed send is then no error, the answers are read anyway."""
    host, port = ca.ca_address(target)
    source = ca.sources(target).fresh()
    received, ended = b"", f"no second answer and no close within {wait:.1f} s"
    deadline = time.monotonic() + wait
    with (
        socket.create_connection((host, port), timeout=wait, source_address=(source, 0)) as raw,
        ca.tls_context(target).wrap_socket(raw) as tls,
    ):
        try:
            tls.sendall(data)
        except (OSError, ssl.SSLError):
            if not send_may_fail:
                raise
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
            if len(ca.split_answers(received)[0]) >= 2:
                ended = ""
                break
    answers, rest = ca.split_answers(received)
    return answers, rest, ended


@pytest.mark.req("CA-ENR-9")
@pytest.mark.parametrize("pair", sorted(_PAIRS))
def test_a_request_pipelined_behind_a_get_is_answered_or_the_connection_closed(
    pki_target: Target, pair: str
) -> None:
    first, second, status = _PAIRS[pair]
    host, _port = ca.ca_address(pki_target)
    answers, rest, ended = _exchange(pki_target, _get(host, first) + _get(host, second))
    if not answers:
        pytest.skip(
            f"GET {first} got no complete answer ({ended}; {rest[:120]!r}): its own cases judge"
        )
    if len(answers) >= 2:
        got, body = answers[1]
        if got != status:
            raise ConformanceFailure.evidence(
                f"CA-ENR-9: GET {first} and GET {second} in one write (pipelined)",
                f"the second answered {status} like on a connection of its own",
                f"the second answered {got} {body[:160]!r}: it was not read as the request it is",
            )
        return
    if ended:
        if ended.startswith("the connection ended"):
            return  # the CA answered the first request and closed: it keeps no connection
    raise ConformanceFailure.evidence(
        f"CA-ENR-9: GET {first} and GET {second} in one write (pipelined): a request with "
        "neither Content-Length nor Transfer-Encoding has an empty body, what follows it is "
        "a next request",
        f"an answer to GET {second} (after the first), or the connection closed after the "
        "first answer",
        f"the first answered {answers[0][0]}; then {ended}"
        + (f"; {len(rest)} more bytes: {rest[:120]!r}" if rest else ""),
        note="the CA lost the second request and kept the connection: a client waits for ever",
    )
