"""The bytes of a body refused as too large are never a next request (docs/SPEC.md §4.4,
CA-ENR-9).

CA-ENR-9: bodies over 64 KiB are answered `413`, and "the body is all the
`Content-Length` bytes after the head". A CA that refuses a large body after reading only
part of it — enough to know it is too large (the limit plus one byte, Go's
MaxBytesReader habit, a buffer's worth) — and keeps the connection leaves the rest of the
announced body in its buffer, and its next "request" is parsed from there: bytes the
client sent as content are answered as requests (a `400` for a line cut in the middle,
or a real answer to a request hidden in the body — request smuggling, as CA-ENR-9's
unknown lengths). Conforming: read (or discard) the whole announced body and go on, or
close the connection after the `413`.

Each case sends, in one stream, a login head announcing a body over the limit, that body
(filled with copies of `GET /v1/crl`, so that wherever a CA stops reading, what follows
is a request line or part of one), then an honest `GET /v1/root`. The `413` (or a close
before it: a CA MAY answer and close as soon as it sees the length) is followed by
nothing but the root's `200`, or the close: any other answer, a bare JSON error for a
line cut in the middle included, answers bytes of the body. Sizes: the limit plus one
byte (the boundary) and three times the limit (past any drain of "a little more than
the limit").
"""

from __future__ import annotations

import pytest

from conformance import ca_support as ca
from conformance.target import Target
from conformance.test_ca_request_pieces import _head
from conformance.test_interop_ca_pipelined_gets import _exchange, _get
from conformance.wire import ConformanceFailure

pytestmark = [
    pytest.mark.profile("pki"),
    pytest.mark.side("ca"),
    pytest.mark.xdist_group("ca-refused-body-remainder"),
]

_LIMIT = 65536  # CA-ENR-9
_WAIT = 8.0  # seconds for the answers (or the close)
_SIZES = {"limit-plus-one": _LIMIT + 1, "three-times-the-limit": 3 * _LIMIT}


def _hidden_requests(host: str, size: int) -> bytes:
    """`size` bytes of repeated GET /v1/crl requests (the last one cut)."""
    one = _get(host, "/v1/crl")
    return (one * (size // len(one) + 1))[:size]


@pytest.mark.req("CA-ENR-9")
@pytest.mark.parametrize("size", list(_SIZES))
def test_the_rest_of_a_refused_body_is_never_answered(pki_target: Target, size: str) -> None:
    length = _SIZES[size]
    host, _port = ca.ca_address(pki_target)
    body = _hidden_requests(host, length)
    head = _head(pki_target, "/v1/enroll", body, content_type="application/json")
    # A CA MAY stop reading, or close, after the head: the send then fails, its choice.
    answers, rest, ended = _exchange(
        pki_target, head + body + _get(host, "/v1/root"), wait=_WAIT, send_may_fail=True
    )
    context = (
        f"CA-ENR-9: POST /v1/enroll with Content-Length {length} (over the 65536-byte "
        "limit) and that many body bytes, all copies of `GET /v1/crl HTTP/1.1 ...`, then an "
        "honest GET /v1/root, in one stream"
    )
    expected = (
        "413, then the root's 200 or the close: every byte of the announced body is "
        "content, never a request"
    )
    if not answers:
        return  # closed (or silent) without answering a byte of the body
    first, first_body = answers[0]
    if first != 413:
        raise ConformanceFailure.evidence(
            context, expected, f"the first answer is {first} {first_body[:160]!r}"
        )
    for status, answer in answers[1:]:
        if status == 200 and b"BEGIN CERTIFICATE" in answer:
            continue  # the honest GET /v1/root after the body
        raise ConformanceFailure.evidence(
            context,
            expected,
            f"413, then {status} {answer[:160]!r} ({len(answers)} answers; {ended or 'more'})",
            note="the body was read only in part (enough to know it is too large) and the "
            "connection kept: the rest of it was parsed as the next request",
        )
    if rest and not rest.startswith(b"HTTP/1.1 200"):
        # Bytes after the 413 that are not the root's answer: an answer to body bytes
        # (a request line that does not parse MAY be answered with the JSON body alone).
        raise ConformanceFailure.evidence(
            context,
            expected,
            f"413, then {rest[:160]!r}",
            note="the body was read only in part (enough to know it is too large) and the "
            "connection kept: the rest of it was parsed as the next request",
        )
