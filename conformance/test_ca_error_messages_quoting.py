"""Error answers that quote the client's bytes stay JSON (docs/SPEC.md §4.4: CA-ENR-9).

CA-ENR-9: every error answer MUST be a JSON object `{"error": code, "message": str}`.
A message often quotes what the client sent — the path of an unknown route, the method
of an unsupported request, the request line's version — and a CA that formats its error
body by hand around that text (`'{"error": "not_found", "message": "no such path %s"}'`,
`fmt.Fprintf(w, ...)`, a template) instead of through a JSON encoder writes invalid JSON
as soon as the quoted bytes hold a quotation mark, a backslash or a control character:
the client cannot read the error at all. ASCII letters never show it.

Each request below puts one such byte where an error message is likely to quote it: in
the path of an unknown route (`"`, `\\`, U+0001, U+001F), in the method token (`"`, `\\`)
and in the request line's version (`"`). The answer must be a 4xx/5xx HTTP answer (or,
for a request line that does not parse, the JSON body alone: CA-ENR-9) whose body — the
bytes its framing delimits — is a JSON object with a string `error` and a string
`message`. What the message says is the CA's choice.
"""

from __future__ import annotations

import json
import secrets

import pytest

from conformance import ca_support as ca
from conformance.target import Target
from conformance.wire import ConformanceFailure

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("ca")]

_TAIL = b"\r\nHost: ca\r\nConnection: close\r\n\r\n"
# %s: a few random hex digits, so no answer is a cached one
_REQUESTS: dict[str, bytes] = {
    'quotation mark in the path': b'GET /v1/a"b-%s HTTP/1.1' + _TAIL,
    "backslash in the path": b"GET /v1/a\\q-%s HTTP/1.1" + _TAIL,
    "U+0001 in the path": b"GET /v1/a\x01b-%s HTTP/1.1" + _TAIL,
    "U+001F in the path": b"GET /v1/a\x1fb-%s HTTP/1.1" + _TAIL,
    'quotation mark in the method': b'GE"T-%s /v1/root HTTP/1.1' + _TAIL,
    "backslash in the method": b"GE\\T-%s /v1/root HTTP/1.1" + _TAIL,
    'quotation mark in the version': b'GET /v1/root HTTP/1.1"%s' + _TAIL,
}


def _length(head: bytes) -> int | None:
    for line in head.split(b"\r\n")[1:]:
        key, _, value = line.partition(b":")
        if key.strip().lower() == b"content-length" and value.strip().isdigit():
            return int(value.strip())
    return None


def _body(case: str, line: bytes, data: bytes) -> tuple[bytes, str]:
    """The error answer's body as its framing delimits it, and how it was framed."""
    if data[:1] == b"{":
        return data, "no head (HTTP/0.9 style): the bytes up to the close"
    head, sep, rest = data.partition(b"\r\n\r\n")
    parts = head.split(b"\r\n", 1)[0].split(b" ")
    if not sep or len(parts) < 2 or not parts[1].isdigit():
        raise ConformanceFailure.evidence(
            f"CA-ENR-9: {case}: {line!r}", "an HTTP answer", repr(data[:200])
        )
    if not 400 <= int(parts[1]) <= 599:
        raise ConformanceFailure.evidence(
            f"CA-ENR-9: {case}: {line!r}", "a 4xx/5xx error answer", repr(data[:200])
        )
    length = _length(head)
    if ca.is_chunked(head):
        return ca.chunked_body(rest)[0], "chunked"
    if length is not None:
        return rest[:length], f"Content-Length: {length}"
    return rest, "no length: the bytes up to the close"


@pytest.mark.req("CA-ENR-9")
@pytest.mark.parametrize("case", list(_REQUESTS))
def test_an_error_answer_quoting_the_clients_bytes_is_json(pki_target: Target, case: str) -> None:
    request = _REQUESTS[case] % secrets.token_hex(4).encode()
    line = request.split(b"\r\n", 1)[0]
    data = ca.raw_exchange(pki_target, request, timeout=3.0, source=ca.sources(pki_target).fresh())
    if not data:
        pytest.skip(f"no answer to {line!r} (test_ca.py judges unanswered requests)")
    body, framing = _body(case, line, data)
    try:
        obj = json.loads(body)
    except ValueError as exc:
        problem = f"not JSON ({exc})"
    else:
        if (
            isinstance(obj, dict)
            and isinstance(obj.get("error"), str)
            and isinstance(obj.get("message"), str)
        ):
            return
        problem = f"JSON, but not an object {{error: str, message: str}}: {obj!r}"
    raise ConformanceFailure.evidence(
        f"CA-ENR-9: {case}: {line!r}",
        "a JSON object {error, message} in the body its framing delimits: bytes of the "
        "request quoted in a message are escaped by the JSON encoder",
        f"{framing}: body {body[:240]!r} — {problem}",
        note="an error body formatted by hand around the client's text",
    )
