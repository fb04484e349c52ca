"""The organisation CA of sft-pki/1 over HTTPS (SPEC §4.4): transport, HTTP surface,
answers to logins, root and CRL, revocation.

Needs the CA's URL (`--ca-url` / `[pki] ca_url`; the embedded reference has one) and, for
the cases that enrol, an enrolment identity (`--enroll ALIAS:PASSWORDFILE`); the
revocation case needs the CA's administration commands (`[pki] ca_user_add_cmd`,
`ca_revoke_cmd`). Cases that fail logins on purpose use fresh loopback source addresses,
so that the CA's per-address throttling never hits the other cases. What the CA issues
is judged in test_ca_csr.py, its throttling in test_ca_throttle.py.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import http.client
import json
import re
import secrets
import select
import socket
import ssl
import threading
import time
from collections.abc import Callable

import pytest

from conformance import ca_support as ca
from conformance import x509
from conformance.target import Target
from conformance.wire import ConformanceFailure

pytestmark = [pytest.mark.profile("pki"), pytest.mark.xdist_group("ca")]

_JSON = {"Content-Type": "application/json"}
_MAX_BODY = 64 * 1024


# --- transport (CA-ENR-1) ---------------------------------------------------------------------


@pytest.mark.req("CA-ENR-1")
def test_ca_refuses_tls12(pki_target: Target) -> None:
    host, port = ca.ca_address(pki_target)
    ctx = ca.tls_context(pki_target, max_version=ssl.TLSVersion.TLSv1_2)
    conn = http.client.HTTPSConnection(host, port, timeout=ca.TIMEOUT, context=ctx)
    try:
        conn.request("GET", "/v1/root")
        response = conn.getresponse()
    except (ssl.SSLError, OSError):
        return  # refused: what CA-ENR-1 asks
    finally:
        conn.close()
    raise ConformanceFailure(f"CA-ENR-1: a TLS 1.2 client got HTTP {response.status}")


@pytest.mark.req("CA-ENR-1")
def test_ca_does_not_answer_plain_http(pki_target: Target) -> None:
    """A request in clear must get no HTTP answer (a TLS alert or a close is fine)."""
    host, port = ca.ca_address(pki_target)
    request = f"GET /v1/root HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode()
    received = b""
    with socket.create_connection((host, port), timeout=ca.TIMEOUT) as sock:
        sock.sendall(request)
        sock.settimeout(3.0)
        try:
            while len(received) < 4096 and (chunk := sock.recv(4096)):
                received += chunk
        except OSError:
            pass
    if received.startswith(b"HTTP/"):
        raise ConformanceFailure(
            f"CA-ENR-1: a request in clear was answered in clear: {received[:200]!r}"
        )


# --- the HTTP surface (CA-ENR-9, CA-ENR-15) ---------------------------------------------------

_ERROR_CASES: dict[str, tuple[str, str, bytes | None, tuple[int, ...], str | None]] = {
    "unknown-path": ("GET", "/v1/nothing-here", None, (404,), None),
    "path-with-suffix": ("GET", "/v1/rootx", None, (404,), None),
    "path-below-route": ("POST", "/v1/enroll/x", b"{}", (404,), None),
    "path-trailing-slash": ("GET", "/v1/crl/", None, (404,), None),
    "path-other-case": ("GET", "/v1/ROOT", None, (404,), None),
    "path-other-version": ("GET", "/v2/root", None, (404,), None),
    "get-enroll": ("GET", "/v1/enroll", None, (405,), None),
    "put-enroll": ("PUT", "/v1/enroll", b"{}", (405,), None),
    "post-root": ("POST", "/v1/root", b"{}", (405,), None),
    "delete-crl": ("DELETE", "/v1/crl", None, (405,), None),
    # Methods a CA may implement nowhere (501 Not Implemented is then as right as 405):
    # still a JSON error, never the HTTP framework's own error page.
    "options-root": ("OPTIONS", "/v1/root", None, (405, 501), None),
    "patch-enroll": ("PATCH", "/v1/enroll", b"{}", (405, 501), None),
    "malformed-json": ("POST", "/v1/enroll", b'{"alias": ', (400,), "bad_request"),
    "not-utf8": ("POST", "/v1/enroll", b'{"alias": "\xff"}', (400,), "bad_request"),
    # Every member present, one byte not UTF-8: a decoder that turns it into U+FFFD and
    # goes on (Go's encoding/json does) answers the CSR's or the password's fault instead.
    "not-utf8-complete-body": (
        "POST",
        "/v1/enroll",
        b'{"alias": "nobody", "password": "pass\xffword", "csr": "z"}',
        (400,),
        "bad_request",
    ),
    "not-an-object": ("POST", "/v1/enroll", b"[1, 2]", (400,), "bad_request"),
    "fields-missing": ("POST", "/v1/enroll", b"{}", (400,), "bad_request"),
    "fields-not-strings": (
        "POST",
        "/v1/enroll",
        b'{"alias": 1, "password": [], "csr": null}',
        (400,),
        "bad_request",
    ),
    "too-large": ("POST", "/v1/enroll", b"{" + b" " * (_MAX_BODY - 1) + b"}", (413,), None),
    "at-the-limit": (
        "POST",
        "/v1/enroll",
        b"{" + b" " * (_MAX_BODY - 2) + b"}",
        (400,),
        "bad_request",
    ),
    # The limit is in bytes: 65539 bytes of UTF-8 that decode to half as many characters.
    # A CA that measures the decoded text (or a JSON string's length) reads this body and
    # answers its content instead (400 for the missing members, 401 for the password).
    "too-large-multibyte": (
        "POST",
        "/v1/enroll",
        b'{"alias": "nobody", "password": "'
        + "\u00e9".encode() * ((_MAX_BODY - 40) // 2 + 4)
        + b'", "csr": "z"}',
        (413,),
        None,
    ),
}


def _over_limit_request(
    target: Target,
    method: str,
    path: str,
    body: bytes,
    *,
    chunked: bool = False,
    announced: int | None = None,
) -> ca.CaAnswer:
    """A body over the limit, sent so that an early answer is not lost.

    A CA may answer 413 from the headers alone and close without reading the body
    (CA-ENR-9 allows it); a client that keeps writing into the closed connection gets a
    reset, and http.client then reports the failed write, not the answer. So the body
    goes in pieces, stopping at the first byte of an answer or at a failed write, and
    the answer is read after. `announced`: the Content-Length sent instead of the body's
    own length (a body announced longer than what is sent: the connection stays open).
    """
    host, port = ca.ca_address(target)
    source = ca.sources(target).fresh()
    size = len(body) if announced is None else announced
    length = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {size}"
    head = (
        f"{method} {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
        f"{length}\r\nConnection: close\r\n\r\n"
    ).encode()
    if chunked:  # the same bytes, announced by no length: 4096-byte chunks, then the last
        body = (
            b"".join(
                b"%x\r\n%s\r\n" % (len(body[i : i + 4096]), body[i : i + 4096])
                for i in range(0, len(body), 4096)
            )
            + b"0\r\n\r\n"
        )
    data = b""
    deadline = time.monotonic() + ca.TIMEOUT
    with (
        socket.create_connection(
            (host, port), timeout=ca.TIMEOUT, source_address=(source, 0) if source else None
        ) as raw,
        ca.tls_context(target).wrap_socket(raw) as tls,
    ):
        tls.sendall(head)
        with contextlib.suppress(ssl.SSLError, OSError):
            for offset in range(0, len(body), 4096):
                if select.select([tls], [], [], 0)[0] or tls.pending():
                    tls.settimeout(0.0)
                    try:
                        data = tls.recv(65536)  # an early answer (or only a session ticket)
                    except ssl.SSLWantReadError:
                        data = b""
                    tls.settimeout(ca.TIMEOUT)
                    if data:
                        break
                tls.sendall(body[offset : offset + 4096])
        while time.monotonic() < deadline and not ca._complete_http(data):
            tls.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                chunk = tls.recv(65536)
            except (ssl.SSLError, OSError):
                break
            if not chunk:
                break
            data += chunk
    status_line, _, rest = data.partition(b"\r\n")
    parts = status_line.split(b" ")
    if len(parts) < 2 or not parts[1].isdigit():
        raise ConnectionError(f"no HTTP answer: {data[:120]!r}")
    head_lines, _, answer_body = rest.partition(b"\r\n\r\n")
    headers: dict[str, str] = {}
    for line in head_lines.split(b"\r\n"):
        key, _, value = line.decode(errors="replace").partition(":")
        headers[key.strip().lower()] = value.strip()
    answer_body = ca.answer_body(b"\r\n" + head_lines, answer_body)
    return ca.CaAnswer(int(parts[1]), headers, answer_body)


@pytest.mark.req("CA-ENR-9")
@pytest.mark.parametrize("case", list(_ERROR_CASES))
def test_ca_errors_are_json(pki_target: Target, case: str) -> None:
    """Wrong paths (near misses too), wrong methods on every route, bad bodies, and the
    64 KiB limit from both sides (65536 bytes is within it, 65537 is over)."""
    method, path, body, want, code = _ERROR_CASES[case]
    headers = _JSON if body is not None else {}
    what = f"{method} {path} with {len(body) if body is not None else 'no'} body bytes"
    try:
        if body is not None and len(body) > _MAX_BODY:
            answer = _over_limit_request(pki_target, method, path, body)
        else:
            answer = ca.request(
                pki_target,
                method,
                path,
                body,
                source=ca.sources(pki_target).fresh(),
                headers=headers,
            )
    except (ConnectionError, http.client.HTTPException) as exc:
        raise ConformanceFailure(
            f"CA-ENR-9: {what} got no answer ({type(exc).__name__}); want {want[0]}"
        ) from exc
    obj = ca.json_body(answer, what)
    if answer.status not in want:
        raise ConformanceFailure(
            f"CA-ENR-9: {case}: {what} got {answer.status}, want "
            f"{' or '.join(map(str, want))}: {obj}"
        )
    if not (isinstance(obj.get("error"), str) and isinstance(obj.get("message"), str)):
        raise ConformanceFailure(f"CA-ENR-9: {case}: not {{error, message}}: {obj}")
    if code is not None and obj["error"] != code:
        raise ConformanceFailure(f"CA-ENR-9: {case}: error {obj['error']!r}, want {code!r}")
    if b"Traceback" in answer.body:
        raise ConformanceFailure(f"CA-ENR-9: {case}: a stack trace in an error answer")


# Requests the HTTP layer refuses before any route is looked at. Every one still gets an
# error answer of CA-ENR-9 (a JSON object, never the framework's HTML page); an unknown
# method token may be 501 as well as 405.
_MALFORMED_HTTP: dict[str, tuple[bytes, tuple[int, ...] | None]] = {
    "unknown-method": (
        b"BREW /v1/root HTTP/1.1\r\nHost: ca\r\nConnection: close\r\n\r\n",
        (405, 501),
    ),
    "lowercase-method": (
        b"get /v1/root HTTP/1.1\r\nHost: ca\r\nConnection: close\r\n\r\n",
        (405, 501, 400),
    ),
    "request-line-one-word": (b"GET\r\nHost: ca\r\nConnection: close\r\n\r\n", None),
    "request-line-four-words": (
        b"GET /v1/root HTTP/1.1 extra\r\nHost: ca\r\nConnection: close\r\n\r\n",
        None,
    ),
    "bad-version": (b"GET /v1/root HTTP/9.9\r\nHost: ca\r\nConnection: close\r\n\r\n", None),
    "not-http-version": (b"GET /v1/root FTP/1.0\r\nHost: ca\r\nConnection: close\r\n\r\n", None),
}


@pytest.mark.req("CA-ENR-9")
@pytest.mark.parametrize("case", list(_MALFORMED_HTTP))
def test_malformed_http_gets_a_json_error(pki_target: Target, case: str) -> None:
    """Unknown methods and broken request lines: a 4xx/5xx JSON {error, message}, never
    the HTTP framework's own HTML error page."""
    request, statuses = _MALFORMED_HTTP[case]
    data = ca.raw_exchange(pki_target, request, timeout=3.0, source=ca.sources(pki_target).fresh())
    head, _, body = data.partition(b"\r\n\r\n")
    body = ca.answer_body(head, body)
    parts = head.split(b"\r\n", 1)[0].split(b" ")
    line = request.split(b"\r\n", 1)[0]
    what = f"{case} ({line!r})"
    if not data and statuses is None:
        return  # a broken request line closed without an answer: no error page either
    if statuses is None and data[:1] == b"{":
        # A request line that does not parse says no HTTP version; a server may answer it
        # as HTTP/0.9, the body alone (Python's http.server does): still JSON.
        body = data
        parts = [b"HTTP/1.1", b"400"]
    if len(parts) < 2 or not parts[1].isdigit() or not 400 <= int(parts[1]) <= 599:
        raise ConformanceFailure(f"CA-ENR-9: {what}: want a 4xx/5xx answer, got {data[:200]!r}")
    status = int(parts[1])
    if statuses is not None and status not in statuses:
        raise ConformanceFailure(f"CA-ENR-9: {what}: got {status}, want one of {statuses}")
    obj = ca.json_body(ca.CaAnswer(status, {}, body), what)
    if not (isinstance(obj.get("error"), str) and isinstance(obj.get("message"), str)):
        raise ConformanceFailure(f"CA-ENR-9: {what}: not {{error, message}}: {obj}")


# Request heads over the limits an HTTP parser keeps (Python's http.server: lines of
# 65536 bytes, 100 header fields; others: 8 or 32 KiB of headers). Each is sent so that the
# parser, refusing it, has read every byte (no unread data to reset the connection): the
# request line or the header line stops at 65537 bytes, the 101st header field ends the
# bytes sent. A CA with larger limits waits for the rest; then no answer is conformant.
_OVERSIZED_HEADS: dict[str, bytes] = {
    "request-line-65537": b"GET /v1/" + b"a" * (65537 - 8),
    "header-line-65537": (b"GET /v1/root HTTP/1.1\r\nHost: ca\r\nX-Pad: " + b"a" * (65537 - 7)),
    "header-fields-101": b"GET /v1/root HTTP/1.1\r\nHost: ca\r\n"
    + b"".join(b"X-Pad-%d: %d\r\n" % (n, n) for n in range(100)),
}


@pytest.mark.req("CA-ENR-9")
@pytest.mark.parametrize("case", list(_OVERSIZED_HEADS))
def test_a_head_over_the_parser_limits_gets_a_json_error(pki_target: Target, case: str) -> None:
    """A request line or header line of 65537 bytes, or 101 header fields: the CA may
    serve it (large limits), wait for its end, or refuse it (400, 414, 431) — a refusal is
    an error answer of CA-ENR-9, a JSON {error, message}, never the HTTP library's own
    (HTML or plain-text) error page."""
    request = _OVERSIZED_HEADS[case]
    try:
        data = ca.raw_exchange(
            pki_target, request, timeout=3.0, source=ca.sources(pki_target).fresh()
        )
    except (ConnectionError, ssl.SSLError):
        return  # reset while sending (a parser that stopped reading early): no error page
    if not data:
        return  # waiting for the rest, or closed without an answer: no error page either
    head, _, body = data.partition(b"\r\n\r\n")
    body = ca.answer_body(head, body)
    parts = head.split(b"\r\n", 1)[0].split(b" ")
    what = f"{case} ({len(request)} bytes of request head)"
    if data[:1] == b"{":  # answered as HTTP/0.9 (a request line without a version)
        body, parts = data, [b"HTTP/1.1", b"400"]
    if len(parts) < 2 or not parts[1].isdigit():
        raise ConformanceFailure(f"CA-ENR-9: {what}: not an HTTP answer: {data[:200]!r}")
    status = int(parts[1])
    if status < 400:
        return  # served: its limits are larger
    for line in head.split(b"\r\n")[1:]:
        key, _, value = line.partition(b":")
        if key.strip().lower() == b"content-length" and value.strip().isdigit():
            if len(body) < int(value.strip()):
                return  # cut short by the connection's end: the body cannot be judged
    obj = ca.json_body(ca.CaAnswer(status, {}, body), what)
    if not (isinstance(obj.get("error"), str) and isinstance(obj.get("message"), str)):
        raise ConformanceFailure(f"CA-ENR-9: {what}: not {{error, message}}: {obj}")


@pytest.mark.req("CA-ENR-9")
def test_body_without_content_length_is_answered(pki_target: Target) -> None:
    """A POST without Content-Length gets 411 or 400 at once, not a wait for EOF."""
    host, _port = ca.ca_address(pki_target)
    request = (
        f"POST /v1/enroll HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n\r\n"
        '{"alias": "x", "password": "y", "csr": "z"}'
    ).encode()
    data = ca.raw_exchange(pki_target, request, timeout=3.0, source=ca.sources(pki_target).fresh())
    status_line = data.split(b"\r\n", 1)[0]
    parts = status_line.split(b" ")
    if len(parts) < 2 or parts[1] not in (b"411", b"400"):
        raise ConformanceFailure(
            f"CA-ENR-9: a POST without Content-Length got {status_line[:80]!r} within 3 s, "
            "want 411 or 400"
        )
    body = ca.answer_body(*data.split(b"\r\n\r\n", 1)) if b"\r\n\r\n" in data else b""
    ca.json_body(ca.CaAnswer(int(parts[1]), {}, body), "the answer to a POST without length")


@pytest.mark.req("CA-ENR-9")
def test_chunked_body_over_the_limit_is_refused(pki_target: Target) -> None:
    """A body with no Content-Length, sent chunked, is refused (411 or 400) or read
    within the same 64 KiB limit (413 beyond it): a CA on an HTTP library that reads
    chunked bodies unbounded (Go's net/http, a hand-written loop) must not take 70,000
    bytes. The answer is a JSON error object either way.

    The body is a complete enrolment (a valid CSR, an unknown alias) padded with JSON
    white space, so a CA that reads it whole answers it as a login (401) — a 400 for
    missing members cannot hide that it read past the limit."""
    alias = ca.ghost_alias()
    csr = ca.csr_pem(ca.CsrKey.ec("P-256"), ca.name((ca.OID_CN, alias)))
    head = json.dumps({"alias": alias, "password": secrets.token_urlsafe(12)})[:-1] + ","
    body = head.encode() + b" " * (_MAX_BODY + 4464) + b'"csr": ' + json.dumps(csr).encode() + b"}"
    what = f"a chunked POST /v1/enroll of {len(body)} bytes with no Content-Length"
    try:
        answer = _over_limit_request(pki_target, "POST", "/v1/enroll", body, chunked=True)
    except ConnectionError as exc:
        raise ConformanceFailure(f"CA-ENR-9: {what}: no HTTP answer ({exc})") from None
    if answer.status not in (400, 411, 413):
        raise ConformanceFailure(
            f"CA-ENR-9: {what}: got {answer.status}, want 411 or 400 (refused), or 413"
        )
    announced = answer.headers.get("content-length", "")
    if announced.isdigit() and len(answer.body) < int(announced):
        # A CA that refuses from the headers and closes while chunks are still coming
        # resets the connection, which can cut its own answer: the status is judged,
        # the body (JSON, checked by every other CA-ENR-9 case) cannot be here.
        return
    obj = ca.json_body(answer, what)
    if not (isinstance(obj.get("error"), str) and isinstance(obj.get("message"), str)):
        raise ConformanceFailure(f"CA-ENR-9: {what}: not {{error, message}}: {obj}")


# Content-Length values that are not 1*DIGIT: the request's framing is invalid (RFC 9112
# §6.3), so it is a request without a (valid) Content-Length, 411 or 400 (CA-ENR-9). A CA
# that parses it with a language's integer parser takes some: "-1" then reads until EOF
# (an unbounded body and no answer), "+N" or "N_M" (Python's int()) reads the body and
# goes on to the login, a float parser takes "N.0" or "Ne0", and str.isdigit() takes the
# Latin-1 superscript "²" (byte 0xB2: header bytes are Latin-1), which int() refuses.
_BAD_LENGTHS: dict[str, Callable[[int], str]] = {
    "negative": lambda n: "-1",
    "plus-sign": lambda n: f"+{n}",
    "underscore": lambda n: f"{n // 10}_{n % 10}",
    "fraction": lambda n: f"{n}.0",
    "exponent": lambda n: f"{n}e0",
    "hex": hex,
    "superscript": lambda n: "\u00b2",
    # One field holding a list of two lengths that differ (RFC 9110 §5.3: a list is two
    # fields): the body's own length first, so a CA that takes the list's first element
    # reads the whole body and answers the login.
    "list": lambda n: f"{n}, {n // 2}",
    "list-no-space": lambda n: f"{n},{n // 2}",
    # Whitespace that is not OWS (RFC 9110 §5.5: only SP and HTAB surround a value), which
    # a language's "strip whitespace" takes off the Latin-1 text: VT, FS, NEL, NBSP.
    "vt-after": lambda n: f"{n}\x0b",
    "fs-after": lambda n: f"{n}\x1c",
    "nel-after": lambda n: f"{n}\x85",
    "nbsp-before": lambda n: f"\xa0{n}",
}


@pytest.mark.req("CA-ENR-9")
@pytest.mark.parametrize("form", list(_BAD_LENGTHS))
def test_malformed_content_length_is_refused(pki_target: Target, form: str) -> None:
    """A complete enrolment (an unknown alias, a valid CSR) whose Content-Length is not a
    decimal number gets 400 or 411 at once, never an answer to the login (401) nor a wait
    for more body."""
    host, _port = ca.ca_address(pki_target)
    alias = ca.ghost_alias()
    csr = ca.csr_pem(ca.CsrKey.ec("P-256"), ca.name((ca.OID_CN, alias)))
    body = ca.enrol_body(alias, secrets.token_urlsafe(12), csr)
    length = _BAD_LENGTHS[form](len(body))
    request = (
        f"POST /v1/enroll HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {length}\r\nConnection: close\r\n\r\n"
    ).encode("latin-1") + body
    data = ca.raw_exchange(pki_target, request, timeout=3.0, source=ca.sources(pki_target).fresh())
    status_line = data.split(b"\r\n", 1)[0]
    parts = status_line.split(b" ")
    what = f"a POST /v1/enroll of {len(body)} bytes with Content-Length: {length}"
    if len(parts) < 2 or parts[1] not in (b"400", b"411"):
        raise ConformanceFailure(
            f"CA-ENR-9: {what} got {status_line[:80]!r} within 3 s, want 400 or 411 (not a "
            "valid Content-Length: the body's length is unknown)"
        )
    answer_head, _, answer_body = data.partition(b"\r\n\r\n")
    answer_body = ca.answer_body(answer_head, answer_body)
    if answer_body:
        ca.json_body(ca.CaAnswer(int(parts[1]), {}, answer_body), f"the answer to {what}")


@pytest.mark.req("CA-ENR-9")
@pytest.mark.parametrize("order", ["whole-first", "short-first"])
def test_conflicting_content_lengths_are_refused(pki_target: Target, order: str) -> None:
    """Two Content-Length fields, the body's own length and a shorter one, in either order:
    the body's length is unknown (RFC 9112 §6.3), so 400 or 411 — never an answer to the
    login, which a CA taking the first (or the last) field gives (and a proxy in front of
    it, taking the other, would read the rest as a second request: request smuggling)."""
    host, _port = ca.ca_address(pki_target)
    alias = ca.ghost_alias()
    csr = ca.csr_pem(ca.CsrKey.ec("P-256"), ca.name((ca.OID_CN, alias)))
    body = ca.enrol_body(alias, secrets.token_urlsafe(12), csr)
    lengths = [len(body), len(body) // 2]
    if order == "short-first":
        lengths.reverse()
    fields = "".join(f"Content-Length: {n}\r\n" for n in lengths)
    request = (
        f"POST /v1/enroll HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
        f"{fields}Connection: close\r\n\r\n"
    ).encode() + body
    data = ca.raw_exchange(pki_target, request, timeout=3.0, source=ca.sources(pki_target).fresh())
    status_line = data.split(b"\r\n", 1)[0]
    parts = status_line.split(b" ")
    if len(parts) < 2 or parts[1] not in (b"400", b"411"):
        raise ConformanceFailure(
            f"CA-ENR-9: a POST /v1/enroll of {len(body)} bytes with Content-Length fields "
            f"{lengths[0]} then {lengths[1]} got {status_line[:80]!r} within 3 s, want 400 or "
            "411 (two lengths that differ: the body's length is unknown)"
        )


def _read_until_close(tls: ssl.SSLSocket, deadline: float) -> tuple[bytes, bool]:
    """Everything the CA sends until it closes (True) or `deadline` passes (False)."""
    received = b""
    while time.monotonic() < deadline:
        tls.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            chunk = tls.recv(65536)
        except TimeoutError:
            return received, False
        except (ssl.SSLError, OSError):
            return received, True
        if not chunk:
            return received, True
        received += chunk
    return received, False


def _http_messages(data: bytes) -> list[bytes]:
    """The answers in `data`, one after the other: each one's status line, or for bytes
    that are no HTTP/1.x answer (an HTTP/0.9-style bare body) those bytes."""
    answers: list[bytes] = []
    while data:
        if not data.startswith(b"HTTP/"):
            answers.append(data[:80])
            break
        head, sep, rest = data.partition(b"\r\n\r\n")
        answers.append(head.split(b"\r\n", 1)[0])
        if not sep:
            break
        if ca.is_chunked(head):
            end = ca.chunked_body(rest)[1]
            if end is None:
                break
            data = rest[end:]
            continue
        length: int | None = None
        for line in head.split(b"\r\n")[1:]:
            key, _, value = line.partition(b":")
            if key.strip().lower() == b"content-length" and value.strip().isdigit():
                length = int(value.strip())
        if length is None:
            # Neither Content-Length nor chunked: the body runs to the close (RFC 9112
            # §6.3 (8)), which a CA MAY choose for an answer it closes after. Only another
            # status line in it is a further answer (a CA that answered again).
            further = _STATUS_LINE.search(rest)
            if further is None:
                break
            rest, length = rest[further.start() :], 0
        data = rest[length:]
    return answers


_STATUS_LINE = re.compile(rb"HTTP/1\.[01] [1-5][0-9][0-9] ")


def _chunked(payload: bytes) -> bytes:
    return b"%x\r\n%s\r\n0\r\n\r\n" % (len(payload), payload)


# Request heads whose body length is unknown (or ambiguous), each followed by bytes that
# are a complete request of their own: GET /v1/root. (unknown length: the CA must close
# after its answer; chunked alone: a CA that reads chunked bodies sees the GET as the
# body, one that does not must close — neither may answer the GET.)
_UNFRAMED: dict[str, Callable[[bytes], tuple[str, bytes]]] = {
    "conflicting-lengths": lambda get: (
        f"Content-Length: {len(get)}\r\nContent-Length: 0\r\n",
        get,
    ),
    "length-with-underscore": lambda get: ("Content-Length: 1_0\r\n", get),
    "chunked-and-length": lambda get: (
        f"Transfer-Encoding: chunked\r\nContent-Length: {len(get)}\r\n",
        _chunked(get),
    ),
    "chunked": lambda get: ("Transfer-Encoding: chunked\r\n", _chunked(get)),
    # Both fields, the length that of the whole chunked body: a CA that reads by the
    # length (ignoring Transfer-Encoding) finds the body's end exactly where the GET
    # starts, and unless it closes answers the GET as a next request.
    "chunked-and-whole-length": lambda get: (
        f"Transfer-Encoding: chunked\r\nContent-Length: {len(_chunked(b'{}'))}\r\n",
        _chunked(b"{}") + get,
    ),
    # A coding the CA does not read, with a length: the length is not the body's (RFC
    # 9112 §6.3); a CA that ignores every coding but chunked reads by the length.
    "other-coding-and-length": lambda get: (
        "Transfer-Encoding: gzip\r\nContent-Length: 2\r\n",
        b"{}" + get,
    ),
}


@pytest.mark.req("CA-ENR-9")
@pytest.mark.parametrize("framing", list(_UNFRAMED))
def test_bytes_after_an_unframed_body_are_not_a_request(pki_target: Target, framing: str) -> None:
    """A POST /v1/enroll whose body's length is unknown or ambiguous (two lengths, one
    that is not digits, Transfer-Encoding with or without Content-Length; not a head with
    neither, whose body is empty and whose next bytes are a next request), the
    connection left open (HTTP/1.1 keep-alive), and after the head a complete GET
    /v1/root. The CA answers the POST (an error), then MUST close: a CA that keeps the
    connection reads the GET as a next request and answers it — a request a proxy in
    front of it never saw (request smuggling, RFC 9112 §6.1, §6.3). A CA that reads
    the chunked body takes the GET as the body (not JSON) and may keep the connection;
    it still never answers a second request."""
    host, port = ca.ca_address(pki_target)
    get = f"GET /v1/root HTTP/1.1\r\nHost: {host}\r\n\r\n".encode()
    fields, body = _UNFRAMED[framing](get)
    request = (
        f"POST /v1/enroll HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
        f"{fields}\r\n"
    ).encode() + body
    source = ca.sources(pki_target).fresh()
    with (
        socket.create_connection(
            (host, port), timeout=ca.TIMEOUT, source_address=(source, 0)
        ) as raw,
        ca.tls_context(pki_target).wrap_socket(raw, server_hostname=host) as tls,
    ):
        tls.sendall(request)
        data, closed = _read_until_close(tls, time.monotonic() + 4.0)
        if data and not closed:  # a late answer (a loaded CA): its close may follow it
            more, closed = _read_until_close(tls, time.monotonic() + 2.0)
            data += more
    answers = _http_messages(data)
    what = f"POST /v1/enroll ({framing}: {fields.strip() or 'no Content-Length'}) then GET /v1/root"
    if len(answers) > 1:
        raise ConformanceFailure(
            f"CA-ENR-9: {what}, one write, the connection left open: {len(answers)} "
            f"answers ({', '.join(a.decode(errors='replace') for a in answers)}): the bytes "
            "after the head were read as a next request (request smuggling); the CA must "
            "close after answering a request whose body length it does not know"
        )
    must_close = framing != "chunked" or (answers and answers[0].split(b" ")[1:2] == [b"411"])
    if must_close and answers and not closed:
        raise ConformanceFailure(
            f"CA-ENR-9: {what}: answered {answers[0].decode(errors='replace')!r}, then the "
            "connection stayed open (4 s, and 2 s after the answer): after a request whose "
            "body length is unknown the CA must close (RFC 9112 §6.3), or it will read the "
            "rest as a request"
        )


@pytest.mark.req("CA-ENR-9")
@pytest.mark.parametrize("announced", [64 * 2**20, 2**40], ids=["64MiB", "1TiB"])
def test_an_announced_body_over_the_limit_is_not_awaited(
    pki_target: Target, announced: int
) -> None:
    """A Content-Length far over 64 KiB, and more than 64 KiB of body actually sent, the
    connection left open: the CA knows the body is over its limit and answers 413 — from
    the header, or once it has read 65537 bytes. A CA that reads (or allocates) the
    announced length before checking it waits for bytes that never come (or fails)."""
    body = b"{" + b" " * (_MAX_BODY + 4096) + b"}"
    what = f"POST /v1/enroll announcing {announced} bytes, {len(body)} sent, kept open"
    try:
        answer = _over_limit_request(pki_target, "POST", "/v1/enroll", body, announced=announced)
    except ConnectionError as exc:
        raise ConformanceFailure(
            f"CA-ENR-9: {what}: no answer within {ca.TIMEOUT:g} s ({exc}); want 413"
        ) from None
    if answer.status != 413:
        raise ConformanceFailure(f"CA-ENR-9: {what}: got {answer.describe()}, want 413")


# Request bodies whose values make a careless handler raise instead of answering: a lone
# surrogate (valid JSON, no UTF-8 encoding: a password hash or a database driver that
# encodes it raises), nesting deeper than a recursive parser's stack, a NUL inside the
# alias. Whatever a CA answers them (401, 400, even 500), it is an error answer of
# CA-ENR-9: a JSON {error, message}, never the text of an exception or a stack trace.
_HOSTILE_VALUES: dict[str, Callable[[str, str], bytes]] = {
    "surrogate-password": lambda alias, csr: (
        b'{"alias": "%s", "password": "\\ud800x", "csr": %s}'
        % (alias.encode(), json.dumps(csr).encode())
    ),
    "surrogate-alias": lambda alias, csr: (
        b'{"alias": "\\udfff%s", "password": "x", "csr": %s}'
        % (alias.encode(), json.dumps(csr).encode())
    ),
    "surrogate-csr": lambda alias, csr: (
        b'{"alias": "%s", "password": "x", "csr": "\\ud800"}' % alias.encode()
    ),
    "nul-in-alias": lambda alias, csr: (
        b'{"alias": "%s\\u0000x", "password": "x", "csr": %s}'
        % (alias.encode(), json.dumps(csr).encode())
    ),
    "deep-nesting": lambda alias, csr: (
        b'{"alias": ' + b"[" * 20000 + b"]" * 20000 + b', "password": "x", "csr": "x"}'
    ),
}

# What an exception's text or a stack trace looks like, in any of the usual languages.
_TRACE_MARKS = (
    "Traceback (most recent call last)",  # Python
    'File "',  # Python's frames
    '.py", line ',
    "goroutine ",  # Go
    "panic: ",
    "\tat java.",  # Java
    "Exception in thread",
    "stack backtrace",  # Rust
    "node:internal",  # Node
)


@pytest.mark.req("CA-ENR-9")
@pytest.mark.parametrize("value", list(_HOSTILE_VALUES))
def test_values_that_break_a_handler_get_a_plain_json_error(pki_target: Target, value: str) -> None:
    """A login whose values a handler may choke on (a lone surrogate in the password, the
    alias or the CSR; a NUL in the alias; 20,000 levels of nesting): the CA may refuse it
    as it likes (400, 401, or even 500), but its answer is a 4xx/5xx JSON {error, message}
    whose message holds no exception text or stack trace (CA-ENR-9: never a stack trace)."""
    alias = ca.ghost_alias()
    csr = ca.csr_pem(ca.CsrKey.ec("P-256"), ca.name((ca.OID_CN, alias)))
    body = _HOSTILE_VALUES[value](alias, csr)
    what = f"POST /v1/enroll with {value} ({len(body)} body bytes)"
    try:
        answer = ca.request(
            pki_target,
            "POST",
            "/v1/enroll",
            body,
            source=ca.sources(pki_target).fresh(),
            headers=_JSON,
        )
    except (OSError, http.client.HTTPException) as exc:
        # OSError: a reset or close, and a TimeoutError too: a handler that swallowed its
        # failure (a `return` in a `finally`) leaves the request without any answer.
        raise ConformanceFailure(
            f"CA-ENR-9: {what} got no answer within {ca.TIMEOUT:g} s ({type(exc).__name__}: "
            f"{exc}); want a JSON error"
        ) from exc
    if not 400 <= answer.status <= 599:
        raise ConformanceFailure(f"CA-ENR-9: {what}: want a 4xx/5xx error, got {answer.describe()}")
    obj = ca.json_body(answer, what)
    if not (isinstance(obj.get("error"), str) and isinstance(obj.get("message"), str)):
        raise ConformanceFailure(f"CA-ENR-9: {what}: not {{error, message}}: {obj}")
    text = answer.body.decode("utf-8", "replace") + "\n" + obj["message"]
    marks = [m for m in _TRACE_MARKS if m in text]
    if marks or len(obj["message"]) > 1000:
        raise ConformanceFailure(
            f"CA-ENR-9: {what}: the error answer shows the handler's failure "
            f"({', '.join(map(repr, marks)) or 'a message of ' + str(len(obj['message']))} "
            f"chars): {answer.describe()}"
        )


# Header field names are case-insensitive (RFC 9110 §5.1): clients send them in every case.
_HEADER_SPELLINGS = (
    ("Content-Type", "Content-Length"),
    ("content-type", "content-length"),
    ("CONTENT-TYPE", "CONTENT-LENGTH"),
    ("content-Type", "Content-length"),
    ("Content-Type", "Content-Length"),
    ("Content-Type", "Content-Length"),
)


@pytest.mark.req("CA-ENR-2", "CA-ENR-14")
def test_enrolments_in_a_row_from_one_address_all_succeed(pki_target: Target) -> None:
    """Six enrolments of the enrolment account with its right password, one after the
    other from one address, each on its own connection, header names spelt in several
    cases: every one gets 200 and a certificate. A right password ends its login attempt
    without a trace (CA-ENR-14): a CA that leaves it pending on the alias or the address
    refuses the later ones (503 or 429) once the leaks reach its threshold or pending
    cap; a CA that matches header names case-sensitively misses the body's length."""
    host, _port = ca.ca_address(pki_target)
    account = ca.enrolee(pki_target)
    source = ca.sources(pki_target).fresh()
    answers: list[str] = []
    for n, (content_type, content_length) in enumerate(_HEADER_SPELLINGS):
        key = ca.CsrKey.ec("P-256")
        body = ca.enrol_body(
            account.user, account.password, ca.csr_pem(key, ca.name((ca.OID_CN, account.user)))
        )
        request = (
            f"POST /v1/enroll HTTP/1.1\r\nHost: {host}\r\n{content_type}: application/json"
            f"\r\n{content_length}: {len(body)}\r\nConnection: close\r\n\r\n"
        ).encode() + body
        data = ca.raw_exchange(pki_target, request, timeout=ca.TIMEOUT, source=source)
        status_line = data.split(b"\r\n", 1)[0]
        answers.append(f"{n + 1} ({content_length}): {status_line[:40]!r}")
        parts = status_line.split(b" ")
        if len(parts) < 2 or parts[1] != b"200":
            raise ConformanceFailure(
                f"CA-ENR-2: enrolments of {account.user!r} with its right password, one "
                f"after the other from one address: " + "; ".join(answers) + " — want 200 "
                "for each",
                # 503/429 after honest logins: their attempts were left pending or counted.
                violates=["CA-ENR-2", "CA-ENR-14"]
                if n > 0 and parts[1:2] in ([b"503"], [b"429"])
                else ["CA-ENR-2"],
            )
        obj = ca.json_body(
            ca.CaAnswer(200, {}, ca.answer_body(*data.split(b"\r\n\r\n", 1))),
            f"enrolment {n + 1}",
        )
        if not isinstance(obj.get("certificate"), str):
            raise ConformanceFailure(f"CA-ENR-2: enrolment {n + 1} got 200 without a certificate")


@pytest.mark.req("CA-ENR-15")
@pytest.mark.parametrize("route", ["enroll", "enroll-bare-mark", "crl"])
def test_query_string_is_refused(pki_target: Target, route: str) -> None:
    """A URL with a query is refused before credentials are read: here the body holds
    the right ones and the query others, and nothing may be issued. A bare `?` (an
    empty query, which a parser's `if url.query:` lets through) is a query too."""
    account = ca.enrolee(pki_target)
    if route == "crl":
        answer = ca.request(pki_target, "GET", "/v1/crl?fresh=1")
    else:
        key = ca.CsrKey.ec("P-256")
        csr = ca.csr_pem(key, ca.name((ca.OID_CN, account.user)))
        query = f"?alias={account.user}&password=not-the-password-{secrets.token_hex(4)}"
        if route == "enroll-bare-mark":
            query = "?"
        answer = ca.request(
            pki_target,
            "POST",
            "/v1/enroll" + query,
            ca.enrol_body(account.user, account.password, csr),
            source=ca.sources(pki_target).fresh(),
            headers=_JSON,
        )
    obj = ca.json_body(answer, f"a request to /v1/{route} with a query string")
    if answer.status != 400 or obj.get("error") != "bad_request":
        raise ConformanceFailure(
            f"CA-ENR-15: /v1/{route} with a query string: want 400 bad_request, got "
            f"{answer.status} {str(obj)[:200]}"
        )


@pytest.mark.req("CA-ENR-15")
def test_logins_with_a_query_string_are_not_verified(pki_target: Target) -> None:
    """Wrong passwords for one unknown alias, each POSTed to `/v1/enroll?...` from a fresh
    address, one more than the throttle threshold (declared, else the SPEC's bound of 10):
    refused before any credential is read (CA-ENR-15), none is a failed login — so the
    alias's next wrong password, without a query, is answered 401, not 429. A CA that
    verifies the login first and refuses the query after counts every one of them (and
    has read the credentials the URL was not to carry)."""
    declared = pki_target.limits.ca_throttle_failures
    count = (declared if declared is not None else 10) + 1
    alias = ca.ghost_alias()
    csr = ca.csr_pem(ca.CsrKey.ec("P-256"), ca.name((ca.OID_CN, alias)))
    statuses: list[int] = []
    for n in range(count):
        answer = ca.request(
            pki_target,
            "POST",
            f"/v1/enroll?attempt={n}",
            ca.enrol_body(alias, f"wrong-{n}-{secrets.token_hex(4)}", csr),
            source=ca.sources(pki_target).fresh(),
            headers=_JSON,
        )
        statuses.append(answer.status)
        if answer.status == 429:
            break  # throttled: the earlier ones were counted
        if answer.status != 400:
            pytest.skip(
                f"a query string got {answer.describe()} (test_query_string_is_refused judges it)"
            )
    after = ca.enrol(pki_target, alias, f"wrong-{secrets.token_hex(4)}", csr)
    if 429 in statuses or after.status == 429:
        raise ConformanceFailure(
            f"CA-ENR-15: {len(statuses)} logins of the unknown alias {alias!r} sent to /v1/enroll "
            f"with a query string were answered {statuses}, and the alias's next login "
            f"without one was throttled: {after.describe()} — the refused logins were "
            "verified and counted (credentials read before the query was refused)"
        )


# --- logins (CA-ENR-6) ------------------------------------------------------------------------


@pytest.mark.req("CA-ENR-6", "ERR-6")
def test_wrong_password_and_unknown_alias_get_the_same_answer(pki_target: Target) -> None:
    account = ca.enrolee(pki_target)
    csr = ca.csr_pem(ca.CsrKey.ec("P-256"), ca.name((ca.OID_CN, account.user)))
    answers = []
    for alias, password in (
        (account.user, account.password + "-wrong"),
        (f"ghost-{secrets.token_hex(4)}", "whatever"),
    ):
        answer = ca.enrol(pki_target, alias, password, csr)
        answers.append((answer, ca.json_body(answer, f"login as {alias!r}")))
    (a1, wrong), (a2, unknown) = answers
    if not a1.status == a2.status == 401:
        raise ConformanceFailure(
            f"CA-ENR-6: statuses {a1.status} (wrong password) and {a2.status} (unknown alias)"
        )
    if wrong != unknown or wrong.get("error") != "auth_failed":
        raise ConformanceFailure(
            f"CA-ENR-6: the answers differ or are not auth_failed\n"
            f"wrong password: {wrong}\nunknown alias:  {unknown}"
        )
    skip = {"date", "content-length"}
    h1 = {k: v for k, v in a1.headers.items() if k not in skip}
    h2 = {k: v for k, v in a2.headers.items() if k not in skip}
    if h1 != h2:
        raise ConformanceFailure(f"CA-ENR-6: the headers differ: {h1} / {h2}")


@pytest.mark.req("CA-ENR-6")
def test_a_password_is_compared_exactly(pki_target: Target) -> None:
    """A fresh user's password with a space or a line end around it, or in upper case, is
    a wrong password (401): a CA that strips, trims the line end or folds case before
    comparing accepts passwords that are not the one it was given. The right password
    enrols first, so the user's account works (the variants follow, fewest first, from
    fresh addresses; once the CA throttles the alias its 429 is no enrolment either)."""
    ca.ca_address(pki_target)
    alias, secret = f"pw-{secrets.token_hex(5)}", secrets.token_urlsafe(15)
    ca.admin_command(pki_target, "add", alias, stdin=secret + "\n")
    key = ca.CsrKey.ec("P-256")
    csr = ca.csr_pem(key, ca.name((ca.OID_CN, alias)))
    first = ca.enrol(pki_target, alias, secret, csr)
    if first.status != 200:
        pytest.skip(f"the new user {alias!r} could not enrol: {first.describe()}")
    variants = {
        "trailing space": secret + " ",
        "trailing newline": secret + "\n",
        "leading space": " " + secret,
        "upper case": secret.upper() if secret.upper() != secret else secret + "A",
    }
    accepted = []
    for what, password in variants.items():
        answer = ca.enrol(pki_target, alias, password, csr)
        if answer.status == 200:
            accepted.append(what)
    if accepted:
        raise ConformanceFailure(
            f"CA-ENR-6: user {alias!r} enrolled with its password altered by "
            f"{', '.join(accepted)}: a wrong password must be answered 401 auth_failed"
        )


@pytest.mark.req("CA-ENR-5")
def test_every_character_of_a_long_password_counts(pki_target: Target) -> None:
    """A fresh user with a 100-character password: the password with only its last
    character changed, and its first 72 characters alone (or with another tail), are wrong
    passwords — before the user's first login and after it. A CA that stores a hash of a
    truncated password (bcrypt keeps 72 bytes; a fixed-size buffer, a NUL-terminated copy)
    or re-hashes it so at login does not store the password as an scrypt or Argon2id hash
    of it (CA-ENR-5), and accepts passwords that are not the one it was given. At most two
    wrong passwords follow a right one (the alias stays below a threshold of 3)."""
    ca.ca_address(pki_target)
    alias, secret = f"lp-{secrets.token_hex(5)}", secrets.token_urlsafe(75)[:100]
    ca.admin_command(pki_target, "add", alias, stdin=secret + "\n")
    key = ca.CsrKey.ec("P-256")
    csr = ca.csr_pem(key, ca.name((ca.OID_CN, alias)))
    last_changed = secret[:-1] + ("A" if secret[-1] != "A" else "B")
    other_tail = secret[:72] + "".join("A" if c != "A" else "B" for c in secret[72:])
    accepted: list[str] = []
    if ca.enrol(pki_target, alias, last_changed, csr).status == 200:
        accepted.append("its last character changed, before the user's first login")
    first = ca.enrol(pki_target, alias, secret, csr)
    if first.status != 200:
        if accepted:
            raise ConformanceFailure(
                f"CA-ENR-5: user {alias!r} (a 100-character password) enrolled with "
                f"{accepted[0]}; its right password then got {first.describe()}"
            )
        pytest.skip(f"the new user {alias!r} could not enrol: {first.describe()}")
    for what, password in (
        ("its last character changed, after a right login", last_changed),
        ("its first 72 characters and another tail, after a right login", other_tail),
    ):
        if ca.enrol(pki_target, alias, password, csr).status == 200:
            accepted.append(what)
    if accepted:
        raise ConformanceFailure(
            f"CA-ENR-5: user {alias!r}, whose password has 100 characters, enrolled with "
            f"the password {'; '.join(accepted)}: the CA verifies only part of the password "
            "(a hash of a truncated password), so a wrong password is answered 200"
        )


def _fullwidth(text: str) -> str:
    """The same text in fullwidth forms (`ｓｐ-…`): NFKC folds it back."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


# Other spellings of a real alias: unknown aliases, which a CA that normalises the alias
# before looking its password up (case, spaces, line ends, NFKC, a SQL LIKE) takes for it.
_ALIAS_SPELLINGS: dict[str, Callable[[str], str]] = {
    "upper case": str.upper,
    "padded": lambda alias: f" {alias} ",
    "trailing newline": lambda alias: alias + "\n",
    "fullwidth": _fullwidth,
    "like wildcard": lambda alias: alias[:-1] + "_",
}


@pytest.mark.req("CA-ENR-6")
def test_other_spellings_of_an_alias_are_unknown_aliases(pki_target: Target) -> None:
    """A real alias spelt otherwise (upper case, padded, with a line end, in fullwidth
    forms, a SQL LIKE wildcard) is an unknown alias, so the answer to it must not depend on
    the password: the real alias's RIGHT password must get exactly what an unknown alias
    with a wrong password gets. A CA that looks the password up under a normalised alias
    answers it otherwise (200 with a certificate, or 400 when the spelling fails a later
    check): it tells an attacker which password is right. When the answer differs from the
    unknown alias's usual one, it is compared with the same spelling's answer to a wrong
    password, so a CA may refuse a malformed alias as it likes, as long as it does so
    whatever the password."""
    ca.ca_address(pki_target)
    if pki_target.enroll or not pki_target.ca_user_add_cmd:
        # The enrolment identity: a conforming CA counts nothing against it here (every
        # spelling is another alias, sent from a fresh address).
        account = ca.enrolee(pki_target)
        alias, secret = account.user, account.password
    else:
        alias, secret = f"sp-{secrets.token_hex(5)}", secrets.token_urlsafe(15)
        ca.admin_command(pki_target, "add", alias, stdin=secret + "\n")
    key = ca.CsrKey.ec("P-256")
    csr = ca.csr_pem(key, ca.name((ca.OID_CN, alias)))
    usual = ca.enrol(pki_target, ca.ghost_alias(), f"wrong-{secrets.token_hex(4)}", csr)
    usual_view = (usual.status, ca.json_body(usual, "login as an unknown alias"))
    told: list[str] = []
    for what, spell in _ALIAS_SPELLINGS.items():
        variant = spell(alias)
        right = ca.enrol(pki_target, variant, secret, csr)
        right_view = (right.status, ca.json_body(right, f"login as {variant!r}"))
        if right_view == usual_view:
            continue
        wrong = ca.enrol(pki_target, variant, f"wrong-{secrets.token_hex(4)}", csr)
        wrong_view = (wrong.status, ca.json_body(wrong, f"login as {variant!r}"))
        if right.status == 200 or right_view != wrong_view:
            told.append(
                f"{what} {variant!r}: right password {right.status} "
                f"{str(right_view[1])[:100]}, wrong password {wrong.status} "
                f"{str(wrong_view[1])[:100]}"
            )
    if told:
        raise ConformanceFailure(
            f"CA-ENR-6: spellings of the alias {alias!r} (unknown aliases) are answered "
            f"differently with its right password and a wrong one (an unknown alias "
            f"with a wrong password gets {usual.status} {str(usual_view[1])[:100]}): "
            + "; ".join(told)
        )


# --- enrolment, root and CRL (CA-ENR-2, CA-ENR-8) ---------------------------------------------


@pytest.mark.req("CA-ENR-8")
def test_root_and_crl_are_served(pki_target: Target) -> None:
    answer = ca.request(pki_target, "GET", "/v1/root")
    if answer.status != 200:
        raise ConformanceFailure(f"CA-ENR-8: GET /v1/root: {answer.describe()}")
    assert pki_target.root is not None
    try:
        served = x509.pem_decode(answer.body)
    except ValueError as exc:  # DER, or bytes that are no PEM at all
        raise ConformanceFailure(
            f"CA-ENR-8: GET /v1/root is not a PEM certificate ({exc}): it begins "
            f"{answer.body[:24]!r}"
        ) from None
    if served != x509.pem_decode(pki_target.root.read_bytes()):
        raise ConformanceFailure("CA-ENR-8: GET /v1/root is not the organisation root")
    fetched = dt.datetime.now(dt.UTC)
    answer = ca.request(pki_target, "GET", "/v1/crl")
    if answer.status != 200 or not answer.headers.get("content-type", "").startswith(
        "application/pkix-crl"
    ):
        raise ConformanceFailure(
            f"CA-ENR-8: GET /v1/crl: {answer.status} {answer.headers.get('content-type')!r}"
        )
    problems = ca.crl_problems(ca.read_crl(answer.body), ca.root_info(pki_target), fetched)
    if problems:
        raise ConformanceFailure("CA-ENR-8: the CRL: " + "; ".join(problems))


@pytest.mark.req("CA-ENR-11", "CA-ENR-8")
def test_revoking_an_alias_revokes_all_its_certificates(pki_target: Target) -> None:
    """A fresh user enrols twice; after revocation the CRL lists both serials and the
    alias can no longer enrol. A CRL that lists none of them is also a stale CRL: one
    that does not list every revocation made before the request (CA-ENR-8)."""
    ca.ca_address(pki_target)
    root = ca.root_info(pki_target)
    alias = f"rv-{secrets.token_hex(5)}"
    account = type(ca.enrolee(pki_target))(alias, secrets.token_urlsafe(15))
    ca.admin_command(pki_target, "add", alias, stdin=account.password + "\n")
    serials = []
    for _ in range(2):
        key = ca.CsrKey.ec("P-256")
        cert, _problems = ca.enrol_and_read(
            pki_target, account, key, ca.csr_pem(key, ca.name((ca.OID_CN, alias))), root
        )
        serials.append(cert.serial)
    # A certificate nobody revokes (another fresh user's, issued now; not the enrolment
    # identity's, which other cases enrol, and so may have revoked, at the same time): the
    # CRL must not list it — a CRL that lists certificates beyond the revoked ones makes
    # every endpoint refuse their holders.
    enrolment = type(account)(f"rb-{secrets.token_hex(5)}", secrets.token_urlsafe(15))
    ca.admin_command(pki_target, "add", enrolment.user, stdin=enrolment.password + "\n")
    bystander_key = ca.CsrKey.ec("P-256")
    bystander, _problems = ca.enrol_and_read(
        pki_target,
        enrolment,
        bystander_key,
        ca.csr_pem(bystander_key, ca.name((ca.OID_CN, enrolment.user))),
        root,
    )
    # A CRL fetched before the revocation: the one after must not be a stale copy of it.
    before = ca.fetch_crl(pki_target)
    ca.admin_command(pki_target, "revoke", alias)
    fetched = dt.datetime.now(dt.UTC)
    crl = ca.fetch_crl(pki_target)
    missing = [f"{s:#x}" for s in serials if s not in crl.serials]
    if missing:
        stale = len(missing) == len(serials)  # none listed: the CRL predates the revocation
        raise ConformanceFailure(
            f"CA-ENR-11{'/CA-ENR-8' if stale else ''}: {alias!r} enrolled twice (serials "
            f"{', '.join(f'{s:#x}' for s in serials)}) and was revoked; the CRL fetched "
            f"after (thisUpdate {crl.this_update}, {len(crl.serials)} entries; the one "
            f"before: thisUpdate {before.this_update}, {len(before.serials)}) lacks {missing}",
            violates=["CA-ENR-11", "CA-ENR-8"] if stale else ["CA-ENR-11"],
        )
    problems = ca.crl_problems(crl, root, fetched)
    if problems:
        raise ConformanceFailure("CA-ENR-11: the CRL listing them: " + "; ".join(problems))
    if bystander.serial in crl.serials:
        raise ConformanceFailure(
            f"CA-ENR-8: the CRL fetched after revoking {alias!r} ({len(crl.serials)} entries) "
            f"also lists {bystander.serial:#x}, a certificate of {enrolment.user!r} issued "
            "moments before and never revoked: the CRL lists only revoked certificates",
            violates=["CA-ENR-8"],
        )
    key = ca.CsrKey.ec("P-256")
    again = ca.enrol(
        pki_target, alias, account.password, ca.csr_pem(key, ca.name((ca.OID_CN, alias)))
    )
    obj = ca.json_body(again, "enrolment of a revoked alias")
    if again.status != 401 or obj.get("error") != "auth_failed":
        raise ConformanceFailure(
            f"CA-ENR-11: the revoked alias {alias!r} enrolled again with its password: "
            f"{again.status} {str(obj)[:120]}"
        )
    # "Answered like a wrong password": the very body an unknown alias gets (CA-ENR-6).
    ghost = ca.enrol(pki_target, ca.ghost_alias(), account.password, ca.csr_pem(key, ca.name()))
    if ca.json_body(ghost, "login as an unknown alias") != obj:
        raise ConformanceFailure(
            f"CA-ENR-11: the revoked alias {alias!r} got {obj}, an unknown alias "
            f"{ghost.describe()}: a revoked alias must be answered like a wrong password"
        )


@pytest.mark.req("CA-ENR-11")
def test_an_alias_revoked_before_its_first_enrolment_cannot_enrol(pki_target: Target) -> None:
    """Revocation is of the alias, not only of its certificates: a fresh user revoked
    before it ever enrolled (the revoke command has no certificate to list) must not
    enrol with its right password — answered exactly like a wrong password (401, the
    body an unknown alias gets). A CA that reads "revoked" from the alias's revoked
    certificates, or marks only the certificates, issues it one that no CRL lists."""
    ca.ca_address(pki_target)
    alias = f"rz-{secrets.token_hex(5)}"
    account = type(ca.enrolee(pki_target))(alias, secrets.token_urlsafe(15))
    ca.admin_command(pki_target, "add", alias, stdin=account.password + "\n")
    ca.admin_command(pki_target, "revoke", alias)
    key = ca.CsrKey.ec("P-256")
    csr = ca.csr_pem(key, ca.name((ca.OID_CN, alias)))
    answer = ca.enrol(pki_target, alias, account.password, csr)
    obj = ca.json_body(answer, "enrolment of an alias revoked before it enrolled")
    if answer.status == 200:
        raise ConformanceFailure(
            f"CA-ENR-11: {alias!r} was added and revoked before it ever enrolled; its right "
            f"password then got a certificate ({str(obj)[:120]}...): a revoked alias must "
            "not enrol again until an administrator re-admits it"
        )
    if answer.status != 401 or obj.get("error") != "auth_failed":
        raise ConformanceFailure(
            f"CA-ENR-11: {alias!r} (revoked before its first enrolment) with its right "
            f"password got {answer.status} {str(obj)[:160]}; want 401 auth_failed, as for a "
            "wrong password"
        )
    ghost = ca.enrol(pki_target, ca.ghost_alias(), account.password, csr)
    if ca.json_body(ghost, "login as an unknown alias") != obj:
        raise ConformanceFailure(
            f"CA-ENR-11: {alias!r} (revoked before its first enrolment) got {obj}, an "
            f"unknown alias {ghost.describe()}: a revoked alias is answered like a wrong "
            "password"
        )


# --------------------------------------------------------------------------------------
# Edges of the CA's HTTP surface (SPEC §4.4, CA-ENR-8, CA-ENR-9).
#
# * `GET /v1/root` returns the root *as PEM* (CA-ENR-8). A CA that serves the DER
#   (`root.Cert.Raw`, the habit of CRL endpoints) answers bytes that are not text: they must
#   be judged a FAIL with evidence, not crash the comparison. And the root alone: a chain
#   file (the root and the CA's TLS certificate) puts a second trust anchor in every client.
# * A body that is one JSON object followed by anything but whitespace is not JSON (RFC
#   8259: a JSON text is one value), so it is malformed JSON: `400 bad_request` (CA-ENR-9).
#   A decoder read once (Go's `json.Decoder.Decode`, a streaming parser) takes the first
#   object and never looks at the rest; with every member of a login present, such a CA
#   answers the login (401) instead. Each body is a complete login of a ghost alias with a
#   valid CSR, from a fresh address: a CA that ignores the rest verifies a password.
# --------------------------------------------------------------------------------------

_PEM_CERT = re.compile(rb"-----BEGIN CERTIFICATE-----\r?\n(.*?)-----END CERTIFICATE-----", re.S)


@pytest.mark.side("ca")
@pytest.mark.req("CA-ENR-8")
def test_the_root_is_served_as_pem(pki_target: Target) -> None:
    assert pki_target.root is not None
    answer = ca.request(pki_target, "GET", "/v1/root")
    if answer.status != 200:
        raise ConformanceFailure(f"CA-ENR-8: GET /v1/root: {answer.describe()}")
    wanted = _PEM_CERT.search(pki_target.root.read_bytes())
    assert wanted is not None, "the target's root file is not PEM"
    root_der = base64.b64decode(b"".join(wanted.group(1).split()))
    shown = answer.body[:48]
    try:
        answer.body.decode("ascii")
    except UnicodeDecodeError:
        same = " (the root's DER)" if answer.body == root_der else ""
        raise ConformanceFailure.evidence(
            "CA-ENR-8: GET /v1/root",
            "the root certificate as PEM (text: -----BEGIN CERTIFICATE-----)",
            f"{len(answer.body)} bytes that are not text{same}, starting {shown!r}",
        ) from None
    found = _PEM_CERT.search(answer.body)
    if found is None:
        raise ConformanceFailure.evidence(
            "CA-ENR-8: GET /v1/root",
            "the root certificate as PEM (-----BEGIN CERTIFICATE-----)",
            f"{len(answer.body)} bytes without a PEM CERTIFICATE block, starting {shown!r}",
        )
    try:
        served = base64.b64decode(b"".join(found.group(1).split()), validate=True)
    except ValueError as exc:
        raise ConformanceFailure(f"CA-ENR-8: GET /v1/root: the PEM is not base64: {exc}") from None
    if served != root_der:
        raise ConformanceFailure(
            "CA-ENR-8: GET /v1/root: the PEM certificate served is not the organisation root"
        )
    # The root and nothing else: a client loads this answer as its trust anchors, so any
    # other certificate in it (a "chain file" with the CA's own TLS certificate, an
    # intermediate) would be trusted as a root too.
    blocks = re.findall(rb"-----BEGIN ([A-Z0-9 ]+)-----", answer.body)
    if len(blocks) != 1:
        raise ConformanceFailure.evidence(
            "CA-ENR-8: GET /v1/root",
            "the root certificate alone (one PEM block)",
            f"{len(blocks)} PEM blocks ({', '.join(b.decode() for b in blocks)}): the root "
            "first, then more that a client would install as trust anchors",
        )


_TRAILERS: dict[str, bytes] = {
    "second-object": b"{}",
    "garbage": b"x",
    "comma": b",",
}


@pytest.mark.side("ca")
@pytest.mark.req("CA-ENR-9")
@pytest.mark.parametrize("trailer", list(_TRAILERS))
def test_data_after_the_json_object_is_malformed_json(pki_target: Target, trailer: str) -> None:
    alias = ca.ghost_alias()
    csr = ca.csr_pem(ca.CsrKey.ec("P-256"), ca.name((ca.OID_CN, alias)))
    login = json.dumps({"alias": alias, "password": "not-the-password", "csr": csr}).encode()
    body = login + b" " + _TRAILERS[trailer]
    what = f"POST /v1/enroll: a complete login object followed by {_TRAILERS[trailer]!r}"
    answer = ca.request(
        pki_target, "POST", "/v1/enroll", body, source=ca.sources(pki_target).fresh(),
        headers=_JSON,
    )  # fmt: skip
    obj = ca.json_body(answer, what)
    if answer.status == 400 and obj.get("error") == "bad_request":
        return
    raise ConformanceFailure.evidence(
        f"CA-ENR-9: {what} (not a JSON text: RFC 8259 allows one value)",
        "400 bad_request (malformed JSON)",
        f"{answer.describe()}: the CA read the first object and ignored the rest",
    )


# What lenient JSON parsers take and RFC 8259 does not: Python's NaN/Infinity, JSON5's
# trailing commas, single quotes, comments, hexadecimal and signed or leading-zero
# numbers. Each is inside a complete login of a ghost alias, so a CA whose parser takes it
# answers the login (401) instead of `400 bad_request` (CA-ENR-9: malformed JSON).
_NOT_JSON: dict[str, str] = {
    "nan": '"n": NaN',
    "infinity": '"n": Infinity',
    "minus-infinity": '"n": -Infinity',
    "trailing-comma": '"n": [1,],',
    "single-quotes": "'n': 1",
    "comment": '"n": 1 /* note */',
    "hexadecimal": '"n": 0x10',
    "plus-sign": '"n": +1',
    "leading-zero": '"n": 007',
    # RFC 8259 §7: control characters (U+0000-U+001F) MUST be escaped inside a string; a
    # decoder made lenient for clients that paste a PEM with raw line ends (Python's
    # strict=False, Jackson's ALLOW_UNQUOTED_CONTROL_CHARS) takes them as they come.
    "raw-newlines-in-string": '"n": "-----BEGIN X-----\nAAAA\n-----END X-----\n"',
    "raw-tab-in-string": '"n": "a\tb"',
    "raw-control-in-string": '"n": "a\x01b"',
}


@pytest.mark.side("ca")
@pytest.mark.req("CA-ENR-9")
@pytest.mark.parametrize("form", list(_NOT_JSON))
def test_json_extensions_in_a_login_are_malformed_json(pki_target: Target, form: str) -> None:
    alias = ca.ghost_alias()
    csr = ca.csr_pem(ca.CsrKey.ec("P-256"), ca.name((ca.OID_CN, alias)))
    login = json.dumps({"alias": alias, "password": "not-the-password", "csr": csr})
    member = _NOT_JSON[form]
    # The extension as the first member; a trailing comma ends its own array.
    body = ("{" + member + ("" if member.endswith(",") else ",") + " " + login[1:]).encode()
    what = f"POST /v1/enroll: a complete login with the member {member!r} ({form})"
    answer = ca.request(
        pki_target, "POST", "/v1/enroll", body, source=ca.sources(pki_target).fresh(),
        headers=_JSON,
    )  # fmt: skip
    obj = ca.json_body(answer, what)
    if answer.status == 400 and obj.get("error") == "bad_request":
        return
    raise ConformanceFailure.evidence(
        f"CA-ENR-9: {what}: not JSON (RFC 8259)",
        "400 bad_request (malformed JSON)",
        f"{answer.describe()}: the CA's parser accepted an extension of JSON",
    )


# Enrolments of one alias kept running while it is revoked: for how long at most, and on
# how many connections (each from its own source address: no per-address cap bites).
_RACE_SECONDS = 3.0
_RACE_THREADS = 3


@pytest.mark.req("CA-ENR-11")
def test_enrolments_running_while_an_alias_is_revoked_leave_no_unlisted_certificate(
    pki_target: Target,
) -> None:
    """A CA checks the password (a slow hash), signs, then records the certificate; the
    revoke command may commit in between. Whatever the interleaving, every certificate
    it hands out for the alias must be listed by the CRL fetched after the revocation
    (revoked with the others), or the enrolment refused: otherwise the revoked employee
    holds a valid certificate no endpoint can refuse. Enrolments run in a loop on a few
    connections; the declared revoke command runs as soon as the first one succeeded,
    while the others are in flight."""
    ca.ca_address(pki_target)
    alias = f"rr-{secrets.token_hex(5)}"
    account = type(ca.enrolee(pki_target))(alias, secrets.token_urlsafe(15))
    ca.admin_command(pki_target, "add", alias, stdin=account.password + "\n")
    key = ca.CsrKey.ec("P-256")
    csr = ca.csr_pem(key, ca.name((ca.OID_CN, alias)))
    issued: list[int] = []
    other: list[str] = []
    first = threading.Event()
    revoked = threading.Event()
    stop = time.monotonic() + _RACE_SECONDS

    def enrol_in_a_loop() -> None:
        # After the revocation: one more round each, then stop (the window is behind us).
        rounds_after = 0
        while time.monotonic() < stop and rounds_after < 2:
            answer = ca.enrol(pki_target, alias, account.password, csr)
            if answer.status == 200:
                obj = ca.json_body(answer, "enrolment during a revocation")
                issued.append(ca.read_issued(obj.get("certificate")).serial)
                first.set()
            elif answer.status not in (401, 429, 503):
                other.append(answer.describe())
            if revoked.is_set():
                rounds_after += 1

    workers = [threading.Thread(target=enrol_in_a_loop, daemon=True) for _ in range(_RACE_THREADS)]
    for worker in workers:
        worker.start()
    if not first.wait(_RACE_SECONDS):
        revoked.set()
        pytest.skip(f"no enrolment of {alias!r} succeeded in {_RACE_SECONDS:g} s: {other[:2]}")
    ca.admin_command(pki_target, "revoke", alias)
    revoked.set()
    for worker in workers:
        worker.join(_RACE_SECONDS + 30.0)
    crl = ca.fetch_crl(pki_target)
    unlisted = [f"{s:#x}" for s in issued if s not in crl.serials]
    if unlisted:
        raise ConformanceFailure(
            f"CA-ENR-11: {len(issued)} certificates issued to {alias!r} while enrolments ran "
            f"on {_RACE_THREADS} connections and the alias was revoked after the first; the "
            f"CRL fetched after ({len(crl.serials)} entries) does not list {unlisted}: a "
            "certificate handed out for a revoked alias, which no endpoint can refuse"
        )
