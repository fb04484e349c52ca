"""Each request on a kept-alive connection is a login of its own (SPEC §4.4: CA-ENR-2,
CA-ENR-4, CA-ENR-6, CA-ENR-14).

HTTP/1.1 keeps a connection open between requests, and many servers keep one handler
object per CONNECTION (Python's http.server, a Node socket's closure, a Go connection
goroutine's locals). What a CA caches there outlives the request that made it: a parsed
body kept as a cached property answers the second request with the first one's alias,
password and CSR; a reservation of the throttle ended "when the connection ends" stays
pending while an honest client enrols again and again on it. The login cases open a
connection per request, so such a CA passes them.

On one connection (a fresh account, a fresh loopback address), a successful enrolment
(CSR for key K1), then on the SAME connection:

- the same account's right password with a CSR for a new key K2: 200 and a certificate
  for K2 [CA-ENR-4: the CA certifies the CSR's key];
- another fresh account's right password: 200 and a certificate naming THAT account
  [CA-ENR-4: subject CN = the enrolled alias];
- the account's alias with a wrong password, or an unknown alias: not 200 [CA-ENR-6];
- after a first login with a wrong password (401), the right one: 200 [CA-ENR-2];
- six honest enrolments one after the other: each 200, never 503 or 429 [CA-ENR-14:
  a right password "ends its reservation without a trace"; CA-ENR-2].

A CA MAY close a connection after any answer; a case whose second request finds the
connection closed sends it on a new connection from the same address (then it judges
nothing about keep-alive, and the CA passes it as any CA answering it right would).
"""

from __future__ import annotations

import json
import secrets
import socket
import ssl
import time
from dataclasses import dataclass

import pytest

from conformance import ca_support as ca
from conformance.target import Target
from conformance.wire import ConformanceFailure

pytestmark = [
    pytest.mark.profile("pki"),
    pytest.mark.side("ca"),
    pytest.mark.xdist_group("ca-keep-alive"),
]

_WAIT = 10.0  # seconds for one answer


@dataclass(frozen=True)
class _Answer:
    status: int
    body: bytes
    reused: bool  # sent on the connection an earlier answer kept open

    def describe(self) -> str:
        where = "on the kept-alive connection" if self.reused else "on a new connection"
        return f"HTTP {self.status} {self.body[:200]!r} ({where})"


class _KeptConnection:
    """Requests one after the other on one TLS connection, reopened (from the same
    source address) only when the CA closed it."""

    def __init__(self, target: Target, source: str | None) -> None:
        self._target = target
        self._source = source
        self._tls: ssl.SSLSocket | None = None
        self._buffer = b""

    def __enter__(self) -> _KeptConnection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._tls is not None:
            try:
                self._tls.close()
            except OSError:
                pass
            self._tls = None
        self._buffer = b""

    def _open(self) -> ssl.SSLSocket:
        host, port = ca.ca_address(self._target)
        raw = socket.create_connection(
            (host, port),
            timeout=_WAIT,
            source_address=(self._source, 0) if self._source else None,
        )
        try:
            return ca.tls_context(self._target).wrap_socket(raw)
        except BaseException:
            raw.close()
            raise

    def enrol(self, alias: str, password: str, csr: str) -> _Answer:
        body = ca.enrol_body(alias, password, csr)
        # The CA's own address as Host: a CA MAY refuse a Host it does not serve (421).
        host, port = ca.ca_address(self._target)
        authority = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        head = (
            f"POST /v1/enroll HTTP/1.1\r\nHost: {authority}\r\n"
            "Content-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode()
        if self._tls is not None:
            try:
                self._tls.sendall(head + body)
                answer = self._read(reused=True)
            except (OSError, ssl.SSLError):
                answer = None
            if answer is not None:
                return answer
            self.close()  # the CA closed the connection after its last answer
        self._tls = self._open()
        self._tls.sendall(head + body)
        answer = self._read(reused=False)
        if answer is None:
            raise ConformanceFailure(
                f"CA-ENR-2: POST /v1/enroll for {alias!r} on a new connection got no answer"
            )
        return answer

    def _read(self, *, reused: bool) -> _Answer | None:
        assert self._tls is not None
        deadline = time.monotonic() + _WAIT
        while True:
            head, sep, rest = self._buffer.partition(b"\r\n\r\n")
            if sep:
                parsed = self._complete(head, rest)
                if parsed is not None:
                    status, body, left, closes = parsed
                    self._buffer = left
                    if closes:
                        self.close()
                    return _Answer(status, body, reused)
            if time.monotonic() >= deadline:
                raise ConformanceFailure(
                    f"CA-ENR-2: no complete answer within {_WAIT:.0f} s ({self._buffer[:200]!r})"
                )
            self._tls.settimeout(max(0.05, deadline - time.monotonic()))
            try:
                chunk = self._tls.recv(65536)
            except TimeoutError:
                continue
            if not chunk:
                head, sep, rest = self._buffer.partition(b"\r\n\r\n")
                if sep and (parsed := self._complete(head, rest, ended=True)) is not None:
                    status, body, _left, _closes = parsed
                    self._buffer = b""
                    self.close()
                    return _Answer(status, body, reused)
                if self._buffer:
                    raise ConformanceFailure(
                        f"CA-ENR-9: the connection ended inside an answer: {self._buffer[:200]!r}"
                    )
                return None  # closed before answering: the caller reopens
            self._buffer += chunk

    @staticmethod
    def _complete(
        head: bytes, rest: bytes, *, ended: bool = False
    ) -> tuple[int, bytes, bytes, bool] | None:
        lines = head.split(b"\r\n")
        try:
            status = int(lines[0].split(b" ", 2)[1])
        except (IndexError, ValueError) as exc:
            raise ConformanceFailure(f"CA-ENR-9: not an HTTP answer: {head[:200]!r}") from exc
        closes = any(
            key.strip().lower() == b"connection" and b"close" in value.lower()
            for key, _, value in (line.partition(b":") for line in lines[1:])
        )
        if ca.is_chunked(head):
            body, end = ca.chunked_body(rest)
            return None if end is None else (status, body, rest[end:], closes)
        length = None
        for line in lines[1:]:
            key, _, value = line.partition(b":")
            if key.strip().lower() == b"content-length" and value.strip().isdigit():
                length = int(value.strip())
        if length is None:
            # Neither Content-Length nor chunked: the body ends at the close (RFC 9112
            # §6.3 (8)), which a CA MAY make after any answer.
            return (status, rest, b"", True) if ended else None
        if len(rest) < length:
            return None
        return status, rest[:length], rest[length:], closes


def _account(target: Target, stem: str) -> tuple[str, str]:
    if not target.ca_user_add_cmd:
        pytest.skip("needs the CA's administration command ([pki] ca_user_add_cmd)")
    alias = f"{stem}-{secrets.token_hex(5)}"
    password = f"pw-{secrets.token_urlsafe(12)}"
    ca.admin_command(target, "add", alias, stdin=password + "\n")
    return alias, password


def _csr(alias: str, key: ca.CsrKey) -> str:
    return ca.csr_pem(key, ca.name((ca.OID_CN, alias)))


def _certificate(answer: _Answer, what: str) -> ca.IssuedCertificate:
    if answer.status != 200:
        raise ConformanceFailure.evidence(
            what, "200 {certificate}", answer.describe(), note="CA-ENR-2"
        )
    try:
        pem = json.loads(answer.body)["certificate"]
    except (ValueError, KeyError, TypeError) as exc:
        raise ConformanceFailure(f"CA-ENR-2: {what}: {answer.describe()}") from exc
    return ca.read_issued(pem)


def _first_enrolment(target: Target, conn: _KeptConnection, alias: str, password: str) -> ca.CsrKey:
    key = ca.CsrKey.ec("P-256")
    first = conn.enrol(alias, password, _csr(alias, key))
    if first.status != 200:
        pytest.skip(f"the first enrolment of {alias!r} failed: {first.describe()}")
    return key


@pytest.mark.req("CA-ENR-4")
@pytest.mark.parametrize("second", ["same-account-new-key", "other-account"])
def test_the_second_enrolment_certifies_its_own_request(pki_target: Target, second: str) -> None:
    alias, password = _account(pki_target, "kept")
    with _KeptConnection(pki_target, ca.sources(pki_target).fresh()) as conn:
        first_key = _first_enrolment(pki_target, conn, alias, password)
        key = ca.CsrKey.ec("P-256")
        if second == "other-account":
            other, other_password = _account(pki_target, "kept-other")
            wanted, answer = other, conn.enrol(other, other_password, _csr(other, key))
        else:
            wanted, answer = alias, conn.enrol(alias, password, _csr(alias, key))
    what = (
        f"CA-ENR-4: on one connection, {alias!r} enrolled a key (200); then, on the same "
        f"connection, {wanted!r} with its right password and a CSR for a NEW key"
    )
    cert = _certificate(answer, what)
    problems = []
    if cert.spki != key.spki():
        same = cert.spki == first_key.spki()
        problems.append(
            "the certificate holds "
            + ("the FIRST request's key" if same else "a key that is not the CSR's")
        )
    if cert.subject_attributes != ((ca.OID_CN, wanted),):
        problems.append(f"its subject is {cert.subject_attributes!r}")
    if problems:
        raise ConformanceFailure.evidence(
            what,
            f"a certificate for the new CSR's key, subject CN={wanted}",
            "; ".join(problems) + f" ({answer.describe()[:120]})",
            note="the second request was answered from what the first left on the connection",
        )


@pytest.mark.req("CA-ENR-6")
@pytest.mark.parametrize("second", ["wrong-password", "unknown-alias"])
def test_a_refused_login_after_a_right_one_is_refused(pki_target: Target, second: str) -> None:
    alias, password = _account(pki_target, "kept-refuse")
    with _KeptConnection(pki_target, ca.sources(pki_target).fresh()) as conn:
        _first_enrolment(pki_target, conn, alias, password)
        sent_alias = alias if second == "wrong-password" else ca.ghost_alias()
        sent_password = f"wrong-{secrets.token_hex(4)}" if second == "wrong-password" else password
        key = ca.CsrKey.ec("P-256")
        answer = conn.enrol(sent_alias, sent_password, _csr(sent_alias, key))
    if answer.status == 200 or b"BEGIN CERTIFICATE" in answer.body:
        raise ConformanceFailure.evidence(
            f"CA-ENR-6: on one connection, {alias!r} enrolled with its right password (200); "
            f"then, on the same connection, {sent_alias!r} with "
            + ("a wrong password" if second == "wrong-password" else "an alias no account has"),
            "401 auth_failed (or 400 for an alias of no valid form): each request is its own login",
            answer.describe(),
        )


@pytest.mark.req("CA-ENR-2")
def test_a_right_login_after_a_wrong_one_enrols(pki_target: Target) -> None:
    alias, password = _account(pki_target, "kept-retry")
    with _KeptConnection(pki_target, ca.sources(pki_target).fresh()) as conn:
        wrong = conn.enrol(alias, f"wrong-{secrets.token_hex(4)}", _csr(alias, ca.CsrKey.ec()))
        if wrong.status == 200:
            raise ConformanceFailure(f"CA-ENR-6: a wrong password enrolled: {wrong.describe()}")
        key = ca.CsrKey.ec("P-256")
        answer = conn.enrol(alias, password, _csr(alias, key))
    what = (
        f"CA-ENR-2: on one connection, {alias!r} with a wrong password ({wrong.status}); then, "
        "on the same connection, its right password and a valid CSR (one failure: far "
        "below any throttle)"
    )
    cert = _certificate(answer, what)
    if cert.spki != key.spki():
        raise ConformanceFailure.evidence(
            what, "a certificate for the CSR's key", "a certificate for another key"
        )


_HONEST_RUN = 6  # more than the reference's pending cap (4) and its threshold


@pytest.mark.req("CA-ENR-14", "CA-ENR-2")
def test_honest_enrolments_one_after_another_on_one_connection(pki_target: Target) -> None:
    alias, password = _account(pki_target, "kept-run")
    answers = []
    with _KeptConnection(pki_target, ca.sources(pki_target).fresh()) as conn:
        for _ in range(_HONEST_RUN):
            key = ca.CsrKey.ec("P-256")
            answer = conn.enrol(alias, password, _csr(alias, key))
            answers.append(answer)
            if answer.status != 200:
                break
    refused = [(i, a) for i, a in enumerate(answers, 1) if a.status != 200]
    if refused:
        i, answer = refused[0]
        raise ConformanceFailure.evidence(
            f"CA-ENR-14: {alias!r} enrols with its right password {_HONEST_RUN} times, one "
            "request after the other (each sent once the last was answered), on one "
            "connection from one address",
            "200 each time: a right password ends its reservation without a trace, and "
            "nothing is pending between the requests",
            f"request {i}: {answer.describe()} (the {i - 1} before it 200)",
            note="a reservation that ends with the connection, not the verification, piles "
            "up on a kept-alive connection",
        )
