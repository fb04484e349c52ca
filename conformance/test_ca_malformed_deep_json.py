"""Malformed JSON nested deeper than a recursive parser goes is still `400 bad_request`
(docs/SPEC.md §4.4: CA-ENR-9).

CA-ENR-9: "malformed JSON `400 bad_request`". A recursive-descent JSON parser (Python's
`json`, many hand-written ones) meets a deeply nested text with its own recursion limit
before it reaches the end where the text turns out to be malformed: the error it raises
is then not its "invalid JSON" error (`RecursionError` for Python, a stack overflow
elsewhere), and a CA that catches only the parser's own error class answers `500`, or
nothing. Whatever the parser does on the way, the body is malformed JSON.

Each body, well under the 64 KiB limit, is malformed: 65000 unclosed `[`; 13000
unclosed `{"a":`; an enrolment object whose `alias` opens 60000 `[` and never closes
them; 30000 `[` closed by 29999 `]` and a `}`. Each MUST be answered `400` with
`{"error": "bad_request", ...}`, from a fresh address (no credential is read).
"""

from __future__ import annotations

import http.client
import json

import pytest

from conformance import ca_support as ca
from conformance.target import Target
from conformance.wire import ConformanceFailure

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("ca")]

_BODIES: dict[str, bytes] = {
    "65000 unclosed [": b"[" * 65000,
    '13000 unclosed {"a":': b'{"a":' * 13000,
    "alias opening 60000 [": b'{"password": "x", "csr": "x", "alias": ' + b"[" * 60000,
    "30000 [ closed by 29999 ] and }": b"[" * 30000 + b"]" * 29999 + b"}",
}


@pytest.mark.req("CA-ENR-9")
@pytest.mark.parametrize("case", list(_BODIES))
def test_deeply_nested_malformed_json_is_a_bad_request(pki_target: Target, case: str) -> None:
    body = _BODIES[case]
    what = f"POST /v1/enroll with a body of {len(body)} bytes: {case} (malformed JSON)"
    try:
        answer = ca.request(
            pki_target,
            "POST",
            "/v1/enroll",
            body,
            source=ca.sources(pki_target).fresh(),
            headers={"Content-Type": "application/json"},
        )
    except (OSError, http.client.HTTPException) as exc:
        raise ConformanceFailure.evidence(
            f"CA-ENR-9: {what}",
            '400 {"error": "bad_request", ...}',
            f"no answer within {ca.TIMEOUT:g} s: {type(exc).__name__}: {exc}",
            note="the parser's recursion limit (a stack overflow) not handled",
        ) from None
    error = None
    try:
        obj = json.loads(answer.body)
        error = obj.get("error") if isinstance(obj, dict) else None
    except ValueError:
        pass
    if answer.status == 400 and error == "bad_request":
        return
    raise ConformanceFailure.evidence(
        f"CA-ENR-9: {what}",
        '400 {"error": "bad_request", ...}: malformed JSON, however deep it nests before '
        "it breaks",
        answer.describe(),
        note="the error a recursive parser raises at its depth limit (RecursionError, a "
        "stack overflow) is not its 'invalid JSON' error: caught as an internal failure",
    )
