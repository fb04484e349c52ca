"""An HTTP request to the CA as the network delivers it (SPEC §4.4, CA-ENR-2/9/15).

TLS hands a server its peer's bytes one record at a time, and a client chooses where its
records end: a head cut inside a header line, a body in small records, a multi-byte
UTF-8 character cut between two records, a body whose Content-Length counts bytes, not
characters. A CA that reads one record as one request (or one body), or reads its body
as text, answers a valid request with an error or waits for bytes that never come
[CA-ENR-2]. A keep-alive connection's later requests are requests like the first: a
query string on the second one is refused as on the first [CA-ENR-15]. A body that is
not JSON — a form (`alias=…&password=…`) — is malformed JSON: `400 bad_request`, never
read another way [CA-ENR-9].

Every login goes from a fresh loopback address (nothing is throttled); the enrolee's
right password (never a wrong one) or a fresh account's.
"""

from __future__ import annotations

import itertools
import json
import secrets
import socket
import time
import urllib.parse

import pytest

from conformance import ca_support as ca
from conformance.target import Target
from conformance.wire import ConformanceFailure

pytestmark = [
    pytest.mark.profile("pki"),
    pytest.mark.side("ca"),
    pytest.mark.xdist_group("ca-request-pieces"),
]

_TIMEOUT = 10.0


def _head(
    target: Target, path: str, body: bytes, *, method: str = "POST", content_type: str = ""
) -> bytes:
    # The CA's own address as Host (as every request of the suite): a CA MAY refuse a Host
    # it does not serve (RFC 9110 §15.5.20, 421 Misdirected Request).
    host, port = ca.ca_address(target)
    authority = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    lines = [f"{method} {path} HTTP/1.1", f"Host: {authority}"]
    if content_type:
        lines.append(f"Content-Type: {content_type}")
    if method == "POST":
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("ascii")


def _answer_of(data: bytes) -> tuple[int, dict[str, str], bytes, bytes]:
    """(status, headers, body, bytes after the answer) of the first answer in `data`;
    status 0 when no complete head came."""
    head, sep, rest = data.partition(b"\r\n\r\n")
    if not sep:
        return 0, {}, b"", data
    lines = head.split(b"\r\n")
    parts = lines[0].split(b" ", 2)
    status = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
    headers: dict[str, str] = {}
    for line in lines[1:]:
        key, _, value = line.partition(b":")
        headers[key.strip().lower().decode("latin-1")] = value.strip().decode("latin-1")
    if ca.is_chunked(head):
        body, end = ca.chunked_body(rest)
        return status, headers, body, rest[end:] if end is not None else b""
    length = headers.get("content-length", "")
    if length.isdigit():
        return status, headers, rest[: int(length)], rest[int(length) :]
    return status, headers, rest, b""


class _Connection:
    """One TLS connection to the CA that sends each piece as its own TLS record."""

    def __init__(self, target: Target) -> None:
        host, port = ca.ca_address(target)
        source = ca.sources(target).fresh()
        self.raw = socket.create_connection(
            (host, port), timeout=_TIMEOUT, source_address=(source, 0) if source else None
        )
        self.raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.tls = ca.tls_context(target).wrap_socket(self.raw)
        self.pending = b""
        self.version = ""

    def send_pieces(self, pieces: list[bytes]) -> None:
        for piece in pieces:
            if piece:
                self.tls.sendall(piece)  # one sendall, one TLS record

    def answer(self, timeout: float = _TIMEOUT) -> tuple[int, dict[str, str], bytes] | None:
        """The next complete answer, or None if the CA closed or went quiet first. An
        answer with neither Content-Length nor chunked coding ends at the close (RFC 9112
        §6.3 (8): a CA that closes after it MAY send it so)."""
        deadline = time.monotonic() + timeout
        data = self.pending
        while True:
            status, headers, body, rest = _answer_of(data)
            self.version = data.split(b" ", 1)[0].decode("latin-1") if status else ""
            chunked = "chunked" in headers.get("transfer-encoding", "").lower()
            complete = status and (
                ca.chunked_body(data.partition(b"\r\n\r\n")[2])[1] is not None
                if chunked
                else headers.get("content-length", "").isdigit()
                and len(body) >= int(headers["content-length"])
            )
            if complete:
                self.pending = rest
                return status, headers, body
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self.tls.settimeout(left)
            try:
                chunk = self.tls.recv(65536)
            except TimeoutError:
                return None
            except OSError:
                chunk = b""
            if not chunk:
                delimited = not chunked and "content-length" not in headers
                if status and delimited:  # the body ended at the close
                    self.pending = b""
                    return status, headers, body
                return None
            data += chunk

    def keeps_alive(self, headers: dict[str, str]) -> bool:
        """Whether the connection persists after the answer just read (RFC 9112 §9.3):
        HTTP/1.1 unless `Connection: close`; HTTP/1.0 only with `keep-alive`."""
        options = {o.strip().lower() for o in headers.get("connection", "").split(",")}
        if "close" in options:
            return False
        return self.version != "HTTP/1.0" or "keep-alive" in options

    def close(self) -> None:
        try:
            self.tls.close()
        except OSError:
            pass


def _describe(answer: tuple[int, dict[str, str], bytes] | None) -> str:
    if answer is None:
        return "no complete answer (the CA closed the connection or stayed silent)"
    status, _headers, body = answer
    return f"HTTP {status} {body[:300]!r}"


def _csr(alias: str) -> str:
    return ca.csr_pem(ca.CsrKey.ec("P-256"), ca.name((ca.OID_CN, alias)))


def _cut(data: bytes, *at: int) -> list[bytes]:
    points = [0, *sorted(p for p in at if 0 < p < len(data)), len(data)]
    return [data[a:b] for a, b in itertools.pairwise(points)]


def _splits(head: bytes, body: bytes) -> dict[str, list[bytes]]:
    request = head + body
    line_end = head.index(b"\r\n") + 2
    cl = head.lower().index(b"content-length:")
    return {
        # head cut inside the request line, inside "Content-Length", before its blank line
        "head-cut-inside-lines": _cut(request, line_end - 5, cl + 9, len(head) - 2),
        # the head alone, then the body in 64-byte records
        "body-in-small-records": [head, *(body[i : i + 64] for i in range(0, len(body), 64))],
        # the head and the body's first byte, then the rest of the body
        "body-cut-after-its-first-byte": _cut(request, len(head) + 1),
        # every byte of the head a record of its own, the body in one
        "head-byte-by-byte": [*(head[i : i + 1] for i in range(len(head))), body],
    }


_SPLITS = list(_splits(b"POST / HTTP/1.1\r\nContent-Length: 2\r\n\r\n", b"{}"))


@pytest.mark.req("CA-ENR-2")
@pytest.mark.parametrize("split", _SPLITS)
def test_an_enrolment_sent_in_pieces_is_answered(pki_target: Target, split: str) -> None:
    """The enrolee's right password and a valid CSR, the request cut into TLS records at
    unlucky places: 200 with a certificate, as in one piece."""
    account = ca.enrolee(pki_target)
    body = ca.enrol_body(account.user, account.password, _csr(account.user))
    head = _head(pki_target, "/v1/enroll", body, content_type="application/json")
    pieces = _splits(head, body)[split]
    conn = _Connection(pki_target)
    try:
        conn.send_pieces(pieces)
        answer = conn.answer()
    finally:
        conn.close()
    if answer is None or answer[0] != 200 or b'"certificate"' not in answer[2]:
        raise ConformanceFailure.evidence(
            f"CA-ENR-2: enrolment of {account.user!r} (right password, valid P-256 CSR), "
            f"the request ({len(head)}-byte head, {len(body)}-byte body) sent in "
            f"{len(pieces)} TLS records ({split}: {[len(p) for p in pieces][:12]}...)",
            '200 {"certificate": PEM}: where the records end is not part of the request',
            _describe(answer),
        )


def _add(target: Target, alias: str, password: str) -> None:
    if not target.ca_user_add_cmd:
        pytest.skip("needs the CA's administration command ([pki] ca_user_add_cmd)")
    ca.admin_command(target, "add", alias, stdin=password + "\n")


@pytest.mark.req("CA-ENR-2")
@pytest.mark.parametrize("cut", ["one-record", "inside-a-character"])
def test_a_raw_utf8_body_is_read_by_its_byte_length(pki_target: Target, cut: str) -> None:
    """A fresh account whose password is not ASCII; its enrolment's JSON carries the
    password as raw UTF-8 (no \\u escapes: RFC 8259 text), Content-Length in bytes. The
    body in one record, or cut inside a multi-byte character: 200 with a certificate.
    A CA that reads Content-Length characters waits for bytes that never come; one that
    decodes each record apart breaks the character."""
    alias = f"utf8-{secrets.token_hex(5)}"
    password = f"p\u00e4ssw\u00f6rd-\u2713-\U0001f511-{secrets.token_hex(4)}"
    _add(pki_target, alias, password)
    body = json.dumps(
        {"alias": alias, "password": password, "csr": _csr(alias)}, ensure_ascii=False
    ).encode("utf-8")
    head = _head(pki_target, "/v1/enroll", body, content_type="application/json")
    if cut == "one-record":
        pieces = [head + body]
    else:
        at = body.index("\u2713".encode()) + 1  # after the first of its three bytes
        pieces = [head + body[:at], body[at:]]
    conn = _Connection(pki_target)
    try:
        conn.send_pieces(pieces)
        answer = conn.answer()
    finally:
        conn.close()
    if answer is None or answer[0] != 200 or b'"certificate"' not in answer[2]:
        raise ConformanceFailure.evidence(
            f"CA-ENR-2: enrolment of the new account {alias!r} with its right password "
            f"({len(password)} characters, {len(password.encode())} UTF-8 bytes) as raw "
            f"UTF-8 in a {len(body)}-byte body (Content-Length: {len(body)}), {cut}",
            '200 {"certificate": PEM}: Content-Length counts bytes (RFC 9112 §8.6), and '
            "the password is compared exactly as the account was given it",
            _describe(answer),
        )


@pytest.mark.req("CA-ENR-15")
@pytest.mark.parametrize("route", ["/v1/root", "/v1/enroll"])
def test_a_query_string_on_a_later_request_is_refused(pki_target: Target, route: str) -> None:
    """One keep-alive connection: `GET /v1/root` (answered 200), then a request whose
    target has a query string: `400 {"error": "bad_request"}` as on a first request. A
    CA that closes after the first answer leaves nothing to judge (skipped)."""
    conn = _Connection(pki_target)
    try:
        conn.send_pieces([_head(pki_target, "/v1/root", b"", method="GET")])
        first = conn.answer()
        if first is None or first[0] != 200:
            pytest.skip(f"GET /v1/root was answered {_describe(first)} (CA-ENR-8 judges)")
        if not conn.keeps_alive(first[1]):
            pytest.skip("the CA closes the connection after each answer: no later request")
        if route == "/v1/root":
            second = _head(pki_target, "/v1/root?alias=x", b"", method="GET")
        else:
            account = ca.enrolee(pki_target)
            body = ca.enrol_body(account.user, account.password, _csr(account.user))
            query = urllib.parse.urlencode({"password": "not-in-a-url"})
            second = (
                _head(pki_target, f"/v1/enroll?{query}", body, content_type="application/json")
                + body
            )
        try:
            conn.send_pieces([second])
        except OSError:
            pytest.skip("the CA closed the connection after its first answer")
        answer = conn.answer()
    finally:
        conn.close()
    if answer is None and route == "/v1/root":
        pytest.skip("the CA closed the kept-alive connection before a second request")
    error = None
    if answer is not None:
        try:
            error = json.loads(answer[2]).get("error")
        except (ValueError, AttributeError):
            error = None
    if answer is None or answer[0] != 400 or error != "bad_request":
        raise ConformanceFailure.evidence(
            f"CA-ENR-15: on one kept-alive connection, GET /v1/root (answered 200), then "
            f"{second.split(b' HTTP/')[0].decode()!r}",
            '400 {"error": "bad_request"} before any credential is read, as for a first '
            "request: every request of a connection is checked",
            _describe(answer),
        )


@pytest.mark.req("CA-ENR-9")
@pytest.mark.parametrize("content_type", ["application/x-www-form-urlencoded", "application/json"])
def test_a_form_body_is_malformed_json(pki_target: Target, content_type: str) -> None:
    """`alias=…&password=…&csr=…` (an unknown alias, a wrong password): not JSON, so
    `400 {"error": "bad_request"}` whatever the Content-Type — never read as a form
    (which would verify the password and answer 401)."""
    alias = ca.ghost_alias()
    body = urllib.parse.urlencode(
        {"alias": alias, "password": "form-guess", "csr": _csr(alias)}
    ).encode("ascii")
    answer = ca.request(
        pki_target,
        "POST",
        "/v1/enroll",
        body,
        source=ca.sources(pki_target).fresh(),
        headers={"Content-Type": content_type},
    )
    obj = ca.json_body(answer, "an enrolment whose body is a form")
    if answer.status != 400 or obj.get("error") != "bad_request":
        raise ConformanceFailure.evidence(
            f"CA-ENR-9: POST /v1/enroll with Content-Type {content_type} and a form body "
            f"({body[:60]!r}...)",
            '400 {"error": "bad_request"}: the body is not JSON',
            answer.describe(),
        )


_MAX_BODY = 65536


def _later_request(target: Target, kind: str) -> tuple[bytes, tuple[int, ...], str]:
    """A request for the second place on a connection: its bytes, the statuses CA-ENR-9
    allows for it, and what it is."""
    alias = ca.ghost_alias()
    body = ca.enrol_body(alias, secrets.token_urlsafe(12), _csr(alias))
    if kind == "body-over-the-limit":
        frame = (b'{"pad": "', b'"}')
        big = frame[0] + b"x" * (_MAX_BODY + 1 - len(frame[0]) - len(frame[1])) + frame[1]
        head = _head(target, "/v1/enroll", big, content_type="application/json")
        return head + big, (413,), f"a POST /v1/enroll with a {len(big)}-byte body"
    head = _head(target, "/v1/enroll", body, content_type="application/json")
    head = head.replace(
        b"\r\n\r\n", f"\r\nContent-Length: {len(body) // 2}\r\n\r\n".encode("ascii"), 1
    )
    return (
        head + body,
        (400, 411),
        f"a POST /v1/enroll with Content-Length {len(body)} and {len(body) // 2}",
    )


@pytest.mark.req("CA-ENR-9")
@pytest.mark.parametrize("kind", ["body-over-the-limit", "conflicting-lengths"])
def test_a_later_request_is_judged_like_a_first_one(pki_target: Target, kind: str) -> None:
    """One keep-alive connection: `GET /v1/root` (answered 200), then a request CA-ENR-9
    refuses — a body over 64 KiB (413), two Content-Length fields that differ (400 or
    411): the same answer as on a new connection. A CA that closes after its first
    answer leaves nothing to judge (skipped)."""
    request, allowed, what = _later_request(pki_target, kind)
    conn = _Connection(pki_target)
    try:
        conn.send_pieces([_head(pki_target, "/v1/root", b"", method="GET")])
        first = conn.answer()
        if first is None or first[0] != 200:
            pytest.skip(f"GET /v1/root was answered {_describe(first)} (CA-ENR-8 judges)")
        if not conn.keeps_alive(first[1]):
            pytest.skip("the CA closes the connection after each answer: no later request")
        try:
            conn.send_pieces([request])
        except OSError:
            pytest.skip("the CA closed the connection after its first answer")
        answer = conn.answer()
    finally:
        conn.close()
    if answer is None or answer[0] not in allowed:
        raise ConformanceFailure.evidence(
            f"CA-ENR-9: on one kept-alive connection, GET /v1/root (answered 200), then {what}",
            f"HTTP {' or '.join(map(str, allowed))}, as on a new connection: every request "
            "of a connection is framed and limited alike",
            _describe(answer),
        )


def _pipelined(target: Target, kind: str) -> tuple[bytes, str]:
    """Two requests for one TLS record: their bytes, and what they are."""
    root = _head(target, "/v1/root", b"", method="GET")
    if kind == "two-gets":
        return root + _head(target, "/v1/crl", b"", method="GET"), "GET /v1/root, GET /v1/crl"
    alias = ca.ghost_alias()
    body = ca.enrol_body(alias, f"wrong-{secrets.token_hex(4)}", _csr(alias))
    post = _head(target, "/v1/enroll", body, content_type="application/json") + body
    return post + root, "POST /v1/enroll (an unknown alias, its whole body), GET /v1/root"


_PIPELINE_WAIT = 5.0  # a CA answers GET /v1/root at once: this is generous


@pytest.mark.req("CA-ENR-9")
@pytest.mark.parametrize("kind", ["two-gets", "enrolment-then-get"])
def test_pipelined_requests_are_each_answered(pki_target: Target, kind: str) -> None:
    """Two requests sent back to back in ONE TLS record (HTTP/1.1 pipelining): what
    follows the first request's end (its head, or its Content-Length body) is the next
    request (RFC 9112 §6.3, §9.3.2), answered in order. A CA that closes after the first
    answer leaves nothing to judge (skipped: a client retries on a new connection); one
    that keeps the connection open but lost the second request (a reader made per request,
    its read-ahead dropped) leaves the client waiting for ever."""
    data, what = _pipelined(pki_target, kind)
    conn = _Connection(pki_target)
    try:
        conn.send_pieces([data])
        first = conn.answer()
        if first is None:
            raise ConformanceFailure.evidence(
                f"CA-ENR-9: {what}, pipelined in one TLS record", "an answer to the first",
                _describe(first),
            )  # fmt: skip
        if not conn.keeps_alive(first[1]):
            pytest.skip("the CA closes the connection after its answer: nothing pipelined to judge")
        second = conn.answer(_PIPELINE_WAIT)
        if second is not None:
            return
        conn.tls.settimeout(0.2)
        try:
            closed = conn.tls.recv(1) == b""
        except TimeoutError:
            closed = False
        except OSError:
            closed = True
    finally:
        conn.close()
    if closed:
        pytest.skip("the CA closed the connection after its first answer (a client retries)")
    raise ConformanceFailure.evidence(
        f"CA-ENR-9: {what}, pipelined in one TLS record on a kept-alive connection",
        f"two answers in order (the second within {_PIPELINE_WAIT:g} s), or the connection "
        "closed after the first",
        f"the first {_describe(first)[:120]}; then nothing, the connection still open",
        note="the CA lost the bytes of the second request (read ahead with the first)",
    )
