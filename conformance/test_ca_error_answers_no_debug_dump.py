"""No error answer of the CA is a debug dump, whatever the request got wrong (docs/SPEC.md
§2 ERR-6, §4.4 CA-ENR-9).

ERR-6: an endpoint MUST NOT answer any input "with a stack trace, a debug dump or a
message that differs by the internal cause". test_ca_failure_answers_dump_nothing.py and
test_ca_parser_errors_no_dump.py send logins (values a handler chokes on, malformed CSRs);
the answers a CA's framework makes without the login handler — an unknown path, a wrong or
unknown method, a missing length, a body too large, no JSON, a query string, a request
line that does not parse — come from another code path: a router's "debug" 404 that lists
its route table and the handler object, a 405 that appends the frame it was raised in, a
413 that prints the body reader's error struct.

`test_framework_refusals_dump_nothing` sends each such request (nothing of it is a
credential) and looks in every answer, status line to body (JSON escapes undone), for the
marks of a dump in the usual languages: an object's repr with its address (`<x.Handler
object at 0x7f...>`), a bare memory address, a stack frame (`Traceback`, `File "...", line
N`, `at pkg.Class.method(File.java:12)`, `source.ext:LINE`, `goroutine N [`), a Go value
printed with %#v (`&http.Request{...}`), an exception's type name (`...Error`,
`...Exception`). The status and error codes themselves are CA-ENR-9's cases' business.
"""

from __future__ import annotations

import json
import re

import pytest

from conformance import ca_support as ca
from conformance.target import Target
from conformance.wire import ConformanceFailure

pytestmark = [
    pytest.mark.profile("pki"),
    pytest.mark.side("ca"),
    pytest.mark.xdist_group("ca-error-answers-no-debug-dump"),
]

_WAIT = 5.0

_DUMP = re.compile(
    r"<[A-Za-z_][\w.$]* object at 0x[0-9a-fA-F]+>"  # Python's default repr
    r"|\b0x[0-9a-fA-F]{8,}\b"  # a memory address
    r"|Traceback \(most recent call last\)|File \"[^\"]+\", line \d+"  # Python frames
    r"|\bat [\w$.<>]+\([\w$.-]+\.(?:java|kt|scala|js|mjs|cjs|ts):\d+(?::\d+)?\)"  # JVM, V8
    r"|\b[\w-]+\.(?:py|java|kt|js|mjs|cjs|ts|go|rs|rb|cs|c|cc|cpp|php):\d+\b"  # file:line
    r"|\bgoroutine \d+ \["  # Go's panic trace
    r"|&[a-z]\w*\.[A-Z]\w*\{"  # Go's %#v / %+v of a struct pointer
    r"|\b[A-Z][A-Za-z0-9_]*(?:Error|Exception)\b"  # an exception's type
)


def _requests(host: str, port: int) -> dict[str, bytes]:
    """what -> the raw request (each on a connection of its own)."""

    def req(line: str, *headers: str, body: bytes = b"") -> bytes:
        head = line + "\r\n" + f"Host: {host}:{port}\r\n"
        head += "".join(h + "\r\n" for h in headers)
        return (head + "\r\n").encode() + body

    enrol = json.dumps({"alias": "dump-probe", "password": "x", "csr": "y"}).encode()
    length = f"Content-Length: {len(enrol)}"
    json_type = "Content-Type: application/json"
    return {
        "an unknown path": req("GET /v1/nothing-here HTTP/1.1"),
        "an unknown path under a route": req("GET /v1/enroll/more HTTP/1.1"),
        "a file-like path": req("GET /ca.db HTTP/1.1"),
        "a wrong method with a body": req("PUT /v1/enroll HTTP/1.1", json_type, length, body=enrol),
        "a wrong method on the root": req("DELETE /v1/root HTTP/1.1"),
        "POST on the CRL": req("POST /v1/crl HTTP/1.1", json_type, length, body=enrol),
        "an unknown method": req("BREW /v1/root HTTP/1.1"),
        "no Content-Length": req("POST /v1/enroll HTTP/1.1", json_type, "Connection: close"),
        "a Content-Length that is no number": req(
            "POST /v1/enroll HTTP/1.1", json_type, "Content-Length: 12x"
        ),
        "a body too large": req(
            "POST /v1/enroll HTTP/1.1",
            json_type,
            f"Content-Length: {70_000}",
            body=b'{"alias": "' + b"a" * 69_987 + b'"}',
        ),
        "a body that is no JSON": req(
            "POST /v1/enroll HTTP/1.1", json_type, "Content-Length: 9", body=b'{"alias":'
        ),
        "a JSON array": req("POST /v1/enroll HTTP/1.1", json_type, "Content-Length: 2", body=b"[]"),
        "a query string": req("GET /v1/root?debug=1 HTTP/1.1"),
        "a request line that does not parse": b"GARBAGE-LINE\r\n\r\n",
        "a bad HTTP version": req("GET /v1/root HTTP/9.x"),
    }


@pytest.mark.req("ERR-6", "CA-ENR-9")
def test_framework_refusals_dump_nothing(pki_target: Target) -> None:
    host, port = ca.ca_address(pki_target)
    dumps: list[str] = []
    seen = 0
    for what, data in _requests(host, port).items():
        try:
            received = ca.raw_exchange(
                pki_target, data, timeout=_WAIT, source=ca.sources(pki_target).fresh()
            )
        except OSError:
            continue  # refused at the transport: nothing answered, nothing dumped
        if not received:
            continue
        seen += 1
        text = received.decode("utf-8", "replace")
        _head, _sep, body = received.partition(b"\r\n\r\n")
        try:
            decoded = json.loads(body or received)
        except ValueError:
            decoded = None
        if isinstance(decoded, dict):  # the message as a client reads it, escapes undone
            text += "\n" + " ".join(str(v) for v in decoded.values())
        found = _DUMP.search(text)
        if found:
            dumps.append(f"{what}: {found.group(0)!r} in {received[:240]!r}")
    if not seen:
        pytest.skip("the CA answered none of the requests")
    if dumps:
        raise ConformanceFailure.evidence(
            f"ERR-6: {len(_requests(host, port))} requests a CA refuses before any login "
            "(unknown paths, wrong methods, framing, no JSON, a query, a bad request line)",
            "error answers without a debug dump: no object repr, memory address, stack "
            "frame, source location or exception type",
            "; ".join(dumps[:3]),
            note=f"{len(dumps)} answer(s) dump internals",
        )
