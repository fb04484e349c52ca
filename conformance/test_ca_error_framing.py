"""Error answers that carry non-ASCII text are framed in bytes (SPEC §4.4, CA-ENR-9).

An error answer MUST be a JSON object {"error", "message"} [CA-ENR-9], and an HTTP/1.1
answer's body is the number of BYTES its Content-Length says (RFC 9112 §6.3). A CA that
writes readable JSON (non-ASCII as UTF-8, `ensure_ascii=False`, `JSON.stringify`) and
counts its Content-Length in characters (`len(text)`, `String.length`) cuts every answer
that echoes non-ASCII text short: the client reads a broken JSON text, and the bytes left
over are read as the start of the next answer. ASCII-only answers never show it, so the
requests here put non-ASCII bytes where an error message is likely to quote them: the
path of an unknown route, and the method.

The body judged is exactly what the answer's framing delimits (Content-Length bytes, or
the chunks, or up to the close), never more.
"""

from __future__ import annotations

import secrets

import pytest

from conformance import ca_support as ca
from conformance.target import Target
from conformance.wire import ConformanceFailure

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("ca")]

_REQUESTS: dict[str, bytes] = {
    "non-ASCII path": (
        b"GET /v1/\xc3\xa9t\xc3\xa9-%s HTTP/1.1\r\nHost: ca\r\nConnection: close\r\n\r\n"
    ),
    "non-ASCII path, POST": (
        b"POST /v1/\xe2\x82\xac-%s HTTP/1.1\r\nHost: ca\r\nContent-Length: 0\r\n"
        b"Connection: close\r\n\r\n"
    ),
    "non-ASCII method": b"G\xc3\x89T-%s /v1/root HTTP/1.1\r\nHost: ca\r\nConnection: close\r\n\r\n",
}


def _length(head: bytes) -> int | None:
    for line in head.split(b"\r\n")[1:]:
        key, _, value = line.partition(b":")
        if key.strip().lower() == b"content-length" and value.strip().isdigit():
            return int(value.strip())
    return None


@pytest.mark.req("CA-ENR-9")
@pytest.mark.parametrize("case", list(_REQUESTS))
def test_an_error_answer_quoting_non_ascii_is_framed_in_bytes(
    pki_target: Target, case: str
) -> None:
    request = _REQUESTS[case] % secrets.token_hex(4).encode()
    line = request.split(b"\r\n", 1)[0]
    data = ca.raw_exchange(pki_target, request, timeout=3.0, source=ca.sources(pki_target).fresh())
    if not data:
        pytest.skip(f"no answer to {line!r} (test_ca.py judges unanswered requests)")
    if data[:1] == b"{":
        body, framing = data, "no head (HTTP/0.9 style): the bytes up to the close"
    else:
        head, sep, rest = data.partition(b"\r\n\r\n")
        parts = head.split(b"\r\n", 1)[0].split(b" ")
        if not sep or len(parts) < 2 or not parts[1].isdigit():
            raise ConformanceFailure.evidence(
                f"CA-ENR-9: {case}: {line!r}", "an HTTP answer", repr(data[:200])
            )
        length = _length(head)
        if ca.is_chunked(head):
            body, framing = ca.chunked_body(rest)[0], "chunked"
        elif length is not None:
            if len(rest) < length:
                raise ConformanceFailure.evidence(
                    f"CA-ENR-9: {case}: {line!r}",
                    f"the {length} body bytes its Content-Length announces",
                    f"the connection ended after {len(rest)}: {data[:300]!r}",
                )
            body, framing = rest[:length], f"Content-Length: {length}"
        else:
            body, framing = rest, "no length: the bytes up to the close"
        if not 400 <= int(parts[1]) <= 599:
            raise ConformanceFailure.evidence(
                f"CA-ENR-9: {case}: {line!r}", "a 4xx/5xx error answer", repr(data[:200])
            )
    try:
        obj = ca.json_body(ca.CaAnswer(400, {}, body), f"{case} ({line!r})")
        if not (isinstance(obj.get("error"), str) and isinstance(obj.get("message"), str)):
            raise ConformanceFailure(f"not {{error, message}}: {obj}")
    except ConformanceFailure as exc:
        raise ConformanceFailure.evidence(
            f"CA-ENR-9: {case}: {line!r}",
            "a JSON object {error, message} in the body its framing delimits",
            f"{framing}: body {body[:200]!r} ({exc}); all bytes received: {data[:400]!r}",
            "a length counted in characters cuts an answer holding UTF-8 text short",
        ) from None
