"""A body sent after a head that announced less is never quoted by the CA (docs/SPEC.md
§4.4, CA-ENR-5, CA-ENR-9).

CA-ENR-5: a password a login sends "MUST NOT be written anywhere else: not to the CA's
log, not to an answer". A client that announces a shorter body than it sends (a
`Content-Length: 0`, or one counted in characters) leaves the rest of its body on the
connection, where HTTP framing makes it the next request line. A CA built on a stock HTTP
server then refuses that "request" with the server's own message — Python's http.server
says `Bad request version ('<last word>')`, `Bad HTTP/0.9 request type ('<first word>')`
or `Bad request syntax ('<whole line>')` — and logs the line it could not parse: the
password, when it is the word quoted, goes into an answer and into the log. The reference
did both until round 25.

The case sends, each on a fresh connection, an enrolment whose head announces 0 bytes (or
the first 10) followed by a JSON body holding a fresh marker password — last, first, or
the only word of a line without spaces — reads every answer until the CA closes (bounded),
and requires that no answer and nothing the declared log (`[pki] ca_log`) gains holds a
10-character piece of the marker.
"""

from __future__ import annotations

import json
import secrets
import socket
import ssl
import time

import pytest

from conformance import ca_support as ca
from conformance.log_files import SETTLE_WAIT, added_since, settled, size
from conformance.plugin import inconclusive
from conformance.target import Target
from conformance.wire import ConformanceFailure

pytestmark = [
    pytest.mark.profile("pki"),
    pytest.mark.side("ca"),
    pytest.mark.xdist_group("ca-misframed-body"),
]

_PIECE = 10
_READ_SECONDS = 5.0  # bound on reading one connection's answers
_MOST_BYTES = 1 << 20


def _bodies(marker: str) -> dict[str, tuple[bytes, int]]:
    """Bodies (and the length their head announces) whose unannounced rest holds the
    marker: as the last word of a line, the first, and a line without spaces."""
    last = json.dumps({"alias": "a", "csr": "x", "password": marker}).encode()
    first = ('{"password":"' + marker + '", "alias":"a"}').encode()
    compact = json.dumps({"alias": "a", "password": marker}, separators=(",", ":")).encode()
    return {
        "password last, Content-Length 0": (last, 0),
        "password first, two words, Content-Length 0": (first, 0),
        "no space in the line, Content-Length 0": (compact, 0),
        "password last, Content-Length 10": (last, 10),
    }


def _exchange(target: Target, body: bytes, announced: int, source: str | None) -> bytes:
    """One connection: the enrolment head announcing `announced` bytes, the whole body
    after it; everything the CA answers until it closes (or the bound)."""
    host, port = ca.ca_address(target)
    head = (
        f"POST /v1/enroll HTTP/1.1\r\nHost: {host}:{port}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {announced}\r\n\r\n"
    ).encode()
    deadline = time.monotonic() + _READ_SECONDS
    received = b""
    with (
        socket.create_connection(
            (host, port), timeout=_READ_SECONDS, source_address=(source, 0) if source else None
        ) as raw,
        ca.tls_context(target).wrap_socket(raw) as tls,
    ):
        tls.sendall(head + body + b"\r\n")
        while time.monotonic() < deadline and len(received) < _MOST_BYTES:  # bounded
            tls.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                chunk = tls.recv(65536)
            except (TimeoutError, ssl.SSLError, OSError):
                break
            if not chunk:
                break
            received += chunk
    return received


def _only_enr5(failure: ConformanceFailure) -> ConformanceFailure:
    failure.violates = ("CA-ENR-5",)  # a quoted password; CA-ENR-9's JSON form may hold
    return failure


def _pieces(marker: str) -> set[bytes]:
    return {marker[i : i + _PIECE].encode() for i in range(len(marker) - _PIECE + 1)}


def _send_all(target: Target) -> dict[str, tuple[str, bytes]]:
    sent: dict[str, tuple[str, bytes]] = {}
    for what in _bodies("x" * 32):
        marker = secrets.token_hex(16)
        body, announced = _bodies(marker)[what]
        sent[what] = (marker, _exchange(target, body, announced, ca.sources(target).fresh()))
    return sent


@pytest.mark.req("CA-ENR-5", "CA-ENR-9")
def test_a_body_past_its_announced_length_is_never_quoted(pki_target: Target) -> None:
    ca.ca_address(pki_target)
    log = pki_target.ca_log
    start = size(log) if log is not None else 0
    sent = _send_all(pki_target)
    if not any(answer for _, answer in sent.values()):
        inconclusive("the CA answered none of the requests (every connection ended silent)")
    bad = []
    for what, (marker, answer) in sent.items():
        escaped = {json.dumps(p.decode()).strip('"').encode() for p in _pieces(marker)}
        found = sorted(p.decode() for p in _pieces(marker) | escaped if p in answer)
        if found:
            at = answer.find(found[0].encode())
            bad.append(f"{what}: answered {answer[max(0, at - 80) : at + 40]!r}")
    if bad:
        raise _only_enr5(ConformanceFailure.evidence(
            f"CA-ENR-5: {len(sent)} enrolments whose head announced less than the body sent "
            "(a fresh marker password in the rest, which HTTP framing makes a request line)",
            f"no answer holding any {_PIECE}-character piece of the password",
            "; ".join(bad[:2]) + (f" (and {len(bad) - 2} more)" if len(bad) > 2 else ""),
            note="a stock HTTP server's 400 quotes the line it could not parse",
        ))
    if log is None:
        return
    if not settled(log, start):
        inconclusive(
            f"{log} gained nothing within {SETTLE_WAIT:g} s of {len(sent)} requests: the "
            "file the target declares is not where this CA logs them"
        )
    added = added_since(log, start)
    logged = []
    for what, (marker, _) in sent.items():
        escaped = {json.dumps(p.decode()).strip('"').encode() for p in _pieces(marker)}
        found = sorted(p.decode() for p in _pieces(marker) | escaped if p in added)
        if found:
            logged.append(f"{what}: {found[0]!r} of {marker!r}")
    if logged:
        raise _only_enr5(ConformanceFailure.evidence(
            f"CA-ENR-5: {len(sent)} enrolments whose head announced less than the body sent; "
            f"what the CA's log ({log}) gained meanwhile ({len(added)} bytes)",
            f"no {_PIECE}-character piece of any password in the log",
            "; ".join(logged[:2]) + (f" (and {len(logged) - 2} more)" if len(logged) > 2 else ""),
            note="a request line that does not parse logged as it came",
        ))
