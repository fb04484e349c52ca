"""A login whose body has not all arrived, or never will (SPEC §4.4, CA-ENR-9).

The body of a request is all the `Content-Length` bytes after its head. Two ways a CA gets
that wrong while every whole request is answered right:

- it reads "what is there" (one `recv`, `read1`, a non-blocking read) and parses it: a
  body whose announced length is not yet all on the wire is acted on early;
- it reads "up to Content-Length" and takes a short read at the client's end of stream as
  the body: a message its client ended early (RFC 9112 §8, incomplete) is acted on.

Each case sends a complete, valid enrolment (the enrolee's right password, a valid CSR)
whose head announces a few more bytes than the JSON has — JSON allows trailing
whitespace, so the whole body, once it arrives, is still that valid login. An honest CA
waits for those bytes; no certificate may come before them, and none at all when the
client ends its side instead of sending them. Every login goes from a fresh loopback
address (nothing is throttled).
"""

from __future__ import annotations

import socket
import ssl
import tempfile
import time
from pathlib import Path

import pytest

from conformance import ca_support as ca
from conformance.target import Target
from conformance.test_ca_request_pieces import _Connection, _csr, _describe, _head
from conformance.tls13_peek import Peek, PeekError
from conformance.wire import ConformanceFailure

pytestmark = [
    pytest.mark.profile("pki"),
    pytest.mark.side("ca"),
    pytest.mark.xdist_group("ca-incomplete-bodies"),
]

_MISSING = (1, 7, 300)  # bytes announced beyond the JSON: a space, a few, several records
_PAUSE = 0.4  # how long the last bytes are held back before they are sent


def _login(target: Target, missing: int) -> tuple[bytes, bytes, bytes]:
    """(head, the JSON sent first, the whitespace held back): the head announces both."""
    account = ca.enrolee(target)
    body = ca.enrol_body(account.user, account.password, _csr(account.user))
    rest = b" " * missing
    head = _head(target, "/v1/enroll", body + rest, content_type="application/json")
    return head, body, rest


def _ended(target: Target, head: bytes, body: bytes, ending: str) -> tuple[int, bytes]:
    """Sends `head` + `body` on a fresh TLS 1.3 connection, then ends the client's side
    (close_notify and a TCP half-close, or the half-close alone) and reads what the CA
    sends after it (Python's `ssl` refuses data after its own close_notify, so the
    records are opened by conformance/tls13_peek.py): (status, the answer's bytes);
    status 0 when no answer head came."""
    host, port = ca.ca_address(target)
    source = ca.sources(target).fresh()
    ctx = ca.tls_context(target)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    raw = socket.create_connection(
        (host, port), timeout=10.0, source_address=(source, 0) if source else None
    )
    raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    with tempfile.TemporaryDirectory(prefix="sft-keylog-") as keys:
        try:
            peek = Peek(raw, ctx, Path(keys) / "keylog")
        except (PeekError, ssl.SSLError, OSError) as exc:
            raw.close()
            pytest.skip(f"the case reads the CA's answer with TLS 1.3 record keys: {exc}")
        try:
            peek.send(head)
            peek.send(body)
            peek.end_side(close_notify=ending == "close-notify")
            data, _closed = peek.read(timeout=5.0)
        finally:
            peek.close()
    status = data.split(b" ", 2)[1] if data.startswith(b"HTTP/") else b""
    return (int(status) if status.isdigit() else 0), data


def _issued(answer: tuple[int, dict[str, str], bytes] | None) -> bool:
    return answer is not None and answer[0] == 200 and b"certificate" in answer[2]


@pytest.mark.req("CA-ENR-9")
@pytest.mark.parametrize("ending", ["close-notify", "tcp-fin"])
@pytest.mark.parametrize("missing", _MISSING)
def test_a_body_ended_before_its_length_issues_nothing(
    pki_target: Target, missing: int, ending: str
) -> None:
    """A valid enrolment whose head announces `missing` more bytes than the JSON; the
    client sends the JSON, then ends its side — a TLS close_notify and a TCP half-close,
    or the half-close alone: the message is incomplete. No certificate may come back (a
    `400`, or a close, is the answer)."""
    head, body, _rest = _login(pki_target, missing)
    status, data = _ended(pki_target, head, body, ending)
    if status == 200 or b"-----BEGIN CERTIFICATE" in data:
        raise ConformanceFailure.evidence(
            f"CA-ENR-9: an enrolment (right password, valid CSR) whose head says "
            f"Content-Length: {len(body) + missing}; the client sent the {len(body)}-byte "
            f"JSON and then ended its side ({ending}), {missing} byte(s) short",
            "no certificate: a body that ends before its Content-Length is an incomplete "
            "message (RFC 9112 §8), never acted on (400, or a close)",
            f"{data[:400]!r}",
        )


@pytest.mark.req("CA-ENR-9", "CA-ENR-2")
@pytest.mark.parametrize("missing", _MISSING)
def test_a_body_is_acted_on_only_once_all_of_it_came(pki_target: Target, missing: int) -> None:
    """The same enrolment, its last `missing` bytes (whitespace after the JSON) held back
    for a moment, the connection open: nothing may be issued before they are sent; once
    they are, the whole body is the valid login it always was, answered 200 with a
    certificate (CA-ENR-2)."""
    head, body, rest = _login(pki_target, missing)
    conn = _Connection(pki_target)
    try:
        conn.send_pieces([head, body])
        early = conn.answer(timeout=_PAUSE)
        if early is None:
            sent_at = time.monotonic()
            conn.send_pieces([rest])
            answer = conn.answer()
            waited = time.monotonic() - sent_at
    finally:
        conn.close()
    if early is not None:
        early_failure = ConformanceFailure.evidence(
            f"CA-ENR-9: an enrolment (right password, valid CSR) whose head says "
            f"Content-Length: {len(body) + missing}; the {len(body)}-byte JSON sent, the "
            f"last {missing} byte(s) (whitespace) held back {_PAUSE} s",
            "nothing before the whole body: the CA acts on a request once its "
            "Content-Length bytes have all arrived",
            f"answered before the body was complete: {_describe(early)}",
        )
        early_failure.violates = ("CA-ENR-9",)
        raise early_failure
    if not _issued(answer):
        late_failure = ConformanceFailure.evidence(
            f"CA-ENR-2: the same enrolment completed: its last {missing} byte(s) of "
            f"whitespace sent {_PAUSE} s after the JSON (answer after {waited:.2f} s)",
            '200 {"certificate": PEM}: whitespace after a JSON value is JSON (RFC 8259 '
            "§2), and a body may arrive slowly",
            _describe(answer),
        )
        late_failure.violates = ("CA-ENR-2",)
        raise late_failure
